"""A real SIGKILL of an undo: `calsync undo` runs as its own process against a loopback
sandbox and is killed the moment the sandbox applies its k-th write; a second `calsync undo`
must bring both sides to the state before the run it undoes, as an undo never killed does."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.app import create_app
from sandbox.server import start_in_thread
from sync.accounts import connect_sandbox

from ..engine.conftest import Env
from .helpers import compare, copies, record, snapshot
from .test_crash_points import build
from .test_sigkill import SAMPLE, KillAt, _calsync


async def _scenario(tmp_path, k: int | None) -> tuple[dict, dict, int]:
    app = create_app(seed=1, empty=True)
    running = start_in_thread(app)
    home = tmp_path / f"home-{k}"
    env = Env(app, home)
    try:
        connected = await connect_sandbox(env.store, env.vault, running.url)
        env.account_id = connected.account.id
        killer = KillAt(app.state.sandbox, k)
        today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
        await build(env, today + timedelta(days=2))
        before = await snapshot(env)
        env.store.close()
        big = _calsync(home, "sync", "--once", "--json")
        out, err = big.communicate(timeout=60)
        assert big.returncode == 0, err
        killer.armed = True
        proc = _calsync(home, "undo", "--force-delete", "--json")
        killer.pid = proc.pid
        out, err = proc.communicate(timeout=60)
        killer.armed = False
        if k is None:
            assert proc.returncode == 0, err
        else:
            assert proc.returncode == -signal.SIGKILL, (proc.returncode, out, err)
        writes = killer.writes
        if k is not None:
            rerun = _calsync(home, "undo", "--force-delete", "--json")
            out, err = rerun.communicate(timeout=60)
            assert rerun.returncode == 0, err
            assert json.loads(out.splitlines()[-1])["status"] == "ok"
        assert copies(await env.google_events(), await env.activities()) == []
        return before, await snapshot(env), writes
    finally:
        await env.client.aclose()
        running.stop()


@pytest.mark.parametrize("k", [None, *SAMPLE])
async def test_sigkill_of_an_undo_after_the_kth_write_converges(tmp_path, monkeypatch, k):
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    before, got, written = await _scenario(tmp_path, k)
    assert written >= (k or 50)
    lost, extra = compare(before, got)
    record(undo_crash_points_sigkill=int(k is not None), items_lost=lost, duplicates=extra)
    assert (lost, extra) == (0, 0), {
        side: (dict(before[side] - got[side]), dict(got[side] - before[side]))
        for side in ("google", "pipedrive")
    }
