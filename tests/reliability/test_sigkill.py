"""A real SIGKILL: `calsync sync --once` runs as its own process against a loopback sandbox
and is killed the moment the sandbox applies its k-th write (before the answer leaves); a
second `calsync sync --once` must bring both sides to the same state as a run never killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.app import create_app
from sandbox.server import start_in_thread
from sync.accounts import connect_sandbox

from ..engine.conftest import Env
from .helpers import compare, copies, links_one_to_one, record, size, snapshot
from .test_crash_points import WRITES, Killer, build

# Every k in the long profile; a spread sample in CI (each k costs two process starts).
SAMPLE = list(range(1, WRITES + 1)) if size(0, 1) else [1, 2, WRITES // 3, WRITES // 2, WRITES]


class KillAt(Killer):
    """Kills process `pid` (SIGKILL) right after the k-th write is applied."""

    def __init__(self, sandbox, k: int | None) -> None:
        super().__init__(sandbox, None)
        self.kill_at = k
        self.pid: int | None = None

    def _wrap(self, method):
        def write(*args, **kwargs):
            result = method(*args, **kwargs)
            if self.armed:
                self.writes += 1
                if self.writes == self.kill_at and self.pid is not None:
                    os.kill(self.pid, signal.SIGKILL)
                    self.dead = True
            return result

        return write


def _calsync(home, *args: str) -> subprocess.Popen:
    env = {**os.environ, "CALSYNC_HOME": str(home), "CALSYNC_KEYRING": "off"}
    env.pop("CALSYNC_FIGURES", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _scenario(tmp_path, k: int | None) -> tuple[dict, int]:
    # A live clock: the subprocess syncs at the real time, so the data lives around it.
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
        env.store.close()
        killer.armed = True
        proc = _calsync(home, "sync", "--once", "--json")
        killer.pid = proc.pid
        out, err = proc.communicate(timeout=60)
        killer.armed = False
        if k is None:
            assert proc.returncode == 0, err
        else:
            assert proc.returncode == -signal.SIGKILL, (proc.returncode, out, err)
        writes = killer.writes
        rerun = _calsync(home, "sync", "--once", "--json")
        out, err = rerun.communicate(timeout=60)
        assert rerun.returncode == 0, err
        assert json.loads(out.splitlines()[-1])["status"] == "ok"
        again = _calsync(home, "sync", "--once", "--json")
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, err
        quiet = json.loads(out.splitlines()[-1])
        assert sum(quiet[s][v] for s in ("google", "pipedrive")
                   for v in ("created", "updated", "deleted")) == 0, quiet  # fmt: skip
        events, acts = await env.google_events(), await env.activities()
        assert copies(events, acts) == []
        from sync.store import Store

        store = Store(home)
        assert links_one_to_one(store.data(env.account_id).links()) == []
        store.close()
        return await snapshot(env), writes
    finally:
        await env.client.aclose()
        running.stop()


_baseline: dict = {}


@pytest.mark.parametrize("k", SAMPLE)
async def test_sigkill_after_the_kth_write_recovers(tmp_path, monkeypatch, k):
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    if not _baseline:
        _baseline["snap"], _baseline["writes"] = await _scenario(tmp_path, None)
    expected = _baseline["snap"]
    assert _baseline["writes"] == WRITES
    got, written = await _scenario(tmp_path, k)
    assert written >= k  # the k-th write landed; the dying process may have had more in flight
    lost, extra = compare(expected, got)
    record(crash_points_sigkill=1, items_lost=lost, duplicates=extra)
    assert (lost, extra) == (0, 0), {
        side: (dict(expected[side] - got[side]), dict(got[side] - expected[side]))
        for side in ("google", "pipedrive")
    }
