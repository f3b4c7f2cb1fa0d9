"""Crash points: a run with more than 50 remote writes is killed right after its k-th write
lands (before the answer reaches calsync), for every k; a fresh process reruns it to the
end; both sides must then equal the fault-free run, with nothing lost and no duplicates."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sandbox.transport import SandboxTransport
from sync import store as store_module
from sync.store import Store

from ..engine.conftest import NOW, timed
from .helpers import copies, crash_sweep, links_one_to_one, record, size, snapshot

DAY = NOW + timedelta(days=2)  # 9:00 UTC


class Killed(BaseException):
    """The process died: nothing after this point happens, not even `finally` clean-ups that
    write (those are refused below)."""


class Killer:
    """Counts the writes the sandbox applies; the k-th write lands, then the engine is dead."""

    GOOGLE = ("insert_event", "patch_event", "update_event", "delete_event")
    PIPEDRIVE = ("create_activity", "update_activity", "delete_activity")

    def __init__(self, sandbox, k: int | None) -> None:
        self.k = k
        self.writes = 0
        self.dead = False
        for state, names in ((sandbox.google, self.GOOGLE), (sandbox.pipedrive, self.PIPEDRIVE)):
            for name in names:
                setattr(state, name, self._wrap(getattr(state, name)))
        self.armed = False

    def _wrap(self, method):
        def write(*args, **kwargs):
            if self.dead:
                raise Killed()
            result = method(*args, **kwargs)
            if self.armed:
                self.writes += 1
                if self.k is not None and self.writes >= self.k:
                    self.dead = True
                    raise Killed()
            return result

        return write


class DyingTransport(SandboxTransport):
    def __init__(self, app, killer: Killer) -> None:
        super().__init__(app=app)
        self.killer = killer

    async def handle_async_request(self, request):
        if self.killer.dead:
            raise Killed()
        return await super().handle_async_request(request)


async def build(env, day: datetime = DAY) -> None:
    """Both sides linked by a first run, then edited: the next run makes > 50 writes of every
    kind (creates, updates, deletes; both sides; a recurring series). `day` is 9:00 UTC of
    the first event's day."""
    due = (day + timedelta(days=2)).date().isoformat()
    for i in range(10):
        await env.g_insert({"summary": f"Old event {i}", **timed(day + timedelta(hours=i))})
    for i in range(10):
        await env.p_create(subject=f"Old activity {i}", type="call", due_date=due,
                           due_time=f"{7 + i:02d}:00", duration="00:30")  # fmt: skip
    first = await env.sync()
    assert first.exit_code == 0, first.summary
    env.advance(120)
    events = sorted(await env.google_events(), key=lambda e: e["summary"])
    acts = sorted(await env.activities(), key=lambda a: a["subject"])
    old_events = [e for e in events if e["summary"].startswith("Old event")]
    old_acts = [a for a in acts if a["subject"].startswith("Old activity")]
    for e in old_events[:5]:
        await env.g_patch(e["id"], {"summary": e["summary"] + " (renamed)", "location": "Room 4"})
    for e in old_events[5:8]:
        await env.g_delete(e["id"])
    for a in old_acts[:5]:
        await env.p_patch(a["id"], subject=a["subject"] + " (moved)", due_time="18:00")
    for a in old_acts[5:8]:
        await env.p_delete(a["id"])
    for i in range(16):
        body = {"summary": f"New event {i}", "description": f"agenda {i}",
                **timed(day + timedelta(days=1, hours=i))}  # fmt: skip
        await env.g_insert(body)
    series = timed(day + timedelta(days=3))
    await env.g_insert({"summary": "Weekly", "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"], **series})
    for i in range(16):
        await env.p_create(subject=f"New activity {i}", type="meeting", due_date=due,
                           due_time=f"{6 + i:02d}:15", duration="00:45",
                           location={"value": f"Office {i}"})  # fmt: skip


async def crash_and_recover(make_env, monkeypatch, k: int | None) -> tuple[dict, int]:
    """Build the scenario, run with a crash after write k (None: no crash), rerun to the end.
    Returns (final snapshot, writes of the crashed run)."""
    env = await make_env()
    killer = Killer(env.sandbox, k)
    await build(env)
    env.transport = DyingTransport(env.app, killer)
    real_write = store_module.write_atomic

    def write_unless_dead(path, text):
        if killer.dead:
            raise Killed()  # a dead process writes no more files
        real_write(path, text)

    monkeypatch.setattr(store_module, "write_atomic", write_unless_dead)
    killer.armed = True
    if k is None:
        result = await env.sync()
        assert result.exit_code == 0, result.summary
    else:
        with pytest.raises(Killed):
            await env.sync()
        assert killer.dead
    killer.armed = False
    writes = killer.writes
    # A new process: nothing of the dead one's memory, only what it put on disk.
    killer.dead = False
    env.store = Store(env.home)
    env.advance(60)
    again = await env.sync()
    assert again.exit_code == 0, again.summary
    env.advance(60)
    quiet = await env.sync(full=True)
    assert quiet.writes() == 0, quiet.summary
    events, acts = await env.google_events(), await env.activities()
    assert copies(events, acts) == []
    assert links_one_to_one(env.store.data(env.account_id).links()) == []
    return await snapshot(env), writes


_baseline: dict = {}


async def baseline(make_env, monkeypatch) -> tuple[dict, int]:
    if not _baseline:
        snap, writes = await crash_and_recover(make_env, monkeypatch, None)
        _baseline.update(snap=snap, writes=writes)
    return _baseline["snap"], _baseline["writes"]


# Every k from 1 to the run's writes, in blocks so that xdist can share them out.
WRITES = 52  # the fault-free run's writes (asserted below)
BLOCKS = size(7, 14)


async def test_the_scenario_makes_more_than_50_writes(make_env, monkeypatch):
    _, writes = await baseline(make_env, monkeypatch)
    assert writes == WRITES


@pytest.mark.parametrize("block", range(BLOCKS))
async def test_a_crash_after_every_write_recovers_to_the_same_state(make_env, monkeypatch, block):
    expected, _ = await baseline(make_env, monkeypatch)
    ks = [k for k in range(1, WRITES + 1) if k % BLOCKS == block]
    failures, lost, extra = await crash_sweep(
        monkeypatch, ks, expected, lambda k: crash_and_recover(make_env, monkeypatch, k)
    )
    record(crash_points_injected=len(ks), items_lost=lost, duplicates=extra)
    assert failures == []
