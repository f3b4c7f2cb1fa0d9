"""A machine whose clock is off the services': the cursors go by the services' clocks, and the
log says so once."""

from __future__ import annotations

from datetime import timedelta

from sync.runner import run_once

from .conftest import NOW, Dated, Env, timed


async def _sync(env: Env, now) -> list:
    return [
        e
        async for e in run_once(
            env.store, env.vault, env.account_id, transport=Dated(env), now=now, retry_wait=0.001
        )  # fmt: skip
    ]


def _notices(events) -> list[str]:
    return [e.reason for e in events if e.kind == "notice"]


async def test_a_clock_a_day_ahead_stalls_no_pipedrive_change(env: Env):
    ahead = NOW + timedelta(days=1)
    first = await _sync(env, ahead)  # a first run on an empty company: no activity to go by
    assert first[-1].detail["summary"]["status"] == "ok"
    assert _notices(first) == [
        "this machine's clock is 1 day ahead of the services' clocks: calsync goes by theirs; "
        "set the clock right for the times it shows"
    ]
    assert (await _sync(env, ahead + timedelta(minutes=1)))[-1].kind == "done"
    assert _notices(await _sync(env, ahead + timedelta(minutes=2))) == []  # said once
    # The clock is set right; an activity is made in Pipedrive.
    env.advance(120)
    await env.p_create(subject="After the fix", type="meeting", due_date="2026-03-24",
                       due_time="10:00", duration="01:00")  # fmt: skip
    events = await _sync(env, env.now + timedelta(seconds=30))
    assert [e.title for e in events if e.kind == "create"] == ["After the fix"]
    assert len(await env.google_by_summary("After the fix")) == 1


async def test_a_clock_behind_is_said_and_a_clock_set_right_says_nothing(env: Env):
    behind = await _sync(env, NOW - timedelta(hours=3, minutes=5))
    assert _notices(behind) and "3 h 5 min behind" in _notices(behind)[0]
    await env.g_insert({"summary": "Soon", **timed(NOW + timedelta(days=1))})
    right = await _sync(env, NOW + timedelta(minutes=1))
    assert _notices(right) == []
    assert env.store.account(env.account_id).extra.clock_skew_said is None
