"""Crash points of an undo: the undo of a run with more than 50 writes of every kind (creates,
updates, deletes on both sides) is killed right after its k-th write lands, for every k; a
fresh process runs `undo` again; both sides must then equal the fault-free undo's, with
nothing lost and nothing duplicated."""

from __future__ import annotations

import pytest

from sync import store as store_module
from sync import undo_store
from sync.store import Store

from ..engine.test_undo import undo
from .helpers import compare, copies, crash_sweep, record, size, snapshot
from .test_crash_points import DyingTransport, Killed, Killer, build


async def undo_crash_and_recover(make_env, monkeypatch, k: int | None) -> tuple[dict, int]:
    """The scenario's big run, then its undo killed after write k (None: no crash), then a
    new process's undo to the end. Returns (final snapshot, writes of the killed undo)."""
    env = await make_env()
    killer = Killer(env.sandbox, k)
    await build(env)
    before = await snapshot(env)
    big = await env.sync()
    assert big.exit_code == 0 and big.writes() > 50, big.summary
    env.advance(60)
    env.transport = DyingTransport(env.app, killer)
    real_write, real_bytes = store_module.write_atomic, undo_store._write_bytes

    def unless_dead(real):
        def write(*args):
            if killer.dead:
                raise Killed()  # a dead process writes no more files
            real(*args)

        return write

    monkeypatch.setattr(store_module, "write_atomic", unless_dead(real_write))
    monkeypatch.setattr(undo_store, "_write_bytes", unless_dead(real_bytes))
    killer.armed = True
    if k is None:
        result = await undo(env, run=2, force_delete=True)
        assert result.exit_code == 0, result.summary
    else:
        with pytest.raises(Killed):
            await undo(env, run=2, force_delete=True)
    killer.armed = False
    writes = killer.writes
    killer.dead = False
    env.store = Store(env.home)  # a new process: only what the dead one put on disk
    if k is not None:
        again = await undo(env, run=2, force_delete=True)
        assert again.exit_code == 0, again.summary
    assert copies(await env.google_events(), await env.activities()) == []
    after = await snapshot(env)
    if k is None:  # the fault-free undo: both sides as they were before the run
        assert compare(before, after) == (0, 0), (before, after)
    return after, writes


_baseline: dict = {}


async def baseline(make_env, monkeypatch) -> tuple[dict, int]:
    if not _baseline:
        snap, writes = await undo_crash_and_recover(make_env, monkeypatch, None)
        _baseline.update(snap=snap, writes=writes)
    return _baseline["snap"], _baseline["writes"]


WRITES = 52  # the fault-free undo's writes (asserted below)
BLOCKS = size(7, 14)


async def test_the_undo_makes_more_than_50_writes(make_env, monkeypatch):
    _, writes = await baseline(make_env, monkeypatch)
    assert writes == WRITES


@pytest.mark.parametrize("block", range(BLOCKS))
async def test_an_undo_killed_after_every_write_converges(make_env, monkeypatch, block):
    expected, _ = await baseline(make_env, monkeypatch)
    ks = [k for k in range(1, WRITES + 1) if k % BLOCKS == block]
    failures, lost, extra = await crash_sweep(
        monkeypatch, ks, expected, lambda k: undo_crash_and_recover(make_env, monkeypatch, k)
    )
    record(undo_crash_points_injected=len(ks), items_lost=lost, duplicates=extra)
    assert failures == []
