"""`calsync undo` against the sandbox: a run's writes put back on both sides (compared through
the APIs, every field calsync maps), what the user changed since left alone, the guard,
dry runs, reconnecting under new options, and runs too old to undo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sync import accounts as acc
from sync.errors import UsageError
from sync.undo import undo_run

from .conftest import NOW, Env, Result, timed

DAY1 = NOW + timedelta(days=3)


async def undo(env: Env, **kw: Any) -> Result:
    kw.setdefault("now", env.now)
    kw.setdefault("retry_wait", 0.001)
    events = [
        e
        async for e in undo_run(env.store, env.vault, env.account_id, transport=env.transport, **kw)
    ]
    done = events[-1]
    assert done.kind == "done", events
    return Result(done.detail["summary"], done.detail["exit_code"], events)


def _event_fields(e: dict) -> tuple:
    return (
        e["id"],
        e.get("summary"),
        e["start"].get("dateTime") or e["start"].get("date"),
        e["end"].get("dateTime") or e["end"].get("date"),
        e.get("location"),
        e.get("description"),
        e.get("visibility", "default"),
        e.get("transparency", "opaque"),
        tuple(sorted(a["email"] for a in e.get("attendees", []))),
    )


def _activity_fields(a: dict) -> tuple:
    return (
        a["id"],
        a["subject"],
        a["due_date"],
        a["due_time"],
        a["duration"],
        (a.get("location") or {}).get("value"),
        a.get("public_description"),
        a["busy"],
        a["private"],
        tuple(sorted(x["email"] for x in a.get("attendees") or [])),
    )


async def both_sides(env: Env) -> tuple[list, list]:
    """Both sides through their APIs, every field calsync maps."""
    events = sorted(_event_fields(e) for e in await env.google_events(single=False))
    acts = sorted(_activity_fields(a) for a in await env.activities())
    return events, acts


async def test_undo_first_sync_puts_both_sides_back(make_env):
    env = await make_env(empty=False)
    before = await both_sides(env)
    first = await env.sync()
    assert first.writes() > 5
    assert await both_sides(env) != before

    held = await undo(env)  # a first sync's undo deletes every copy: the guard holds it
    assert held.exit_code == 3 and held.kinds("guard")
    assert await both_sides(env) != before

    result = await undo(env, force_delete=True)
    assert result.exit_code == 0, result.events
    assert await both_sides(env) == before
    stopped = env.store.accounts("previously_synced")
    assert [a.id for a in stopped] == [env.account_id]
    assert "undo" in env.store.data(env.account_id).run().events[0].reason


async def test_undo_rename_puts_the_old_title_back(env):
    event = await env.g_insert({"summary": "Planning", **timed(DAY1)})
    await env.sync()
    env.advance()
    await env.g_patch(event["id"], {"summary": "Planning (moved)"})
    renamed = await env.sync()
    assert renamed.summary["pipedrive"]["updated"] == 1

    result = await undo(env)
    assert result.exit_code == 0, result.events
    assert result.summary["pipedrive"]["updated"] == 1
    assert [a["subject"] for a in await env.activities()] == ["Planning"]
    assert (await env.g_get(event["id"]))["summary"] == "Planning (moved)"


async def test_undo_deletes_brings_activities_back_with_new_ids(env):
    made = [await env.g_insert({"summary": f"Call {i}", **timed(DAY1 + timedelta(hours=i))})
            for i in range(2)]  # fmt: skip
    await env.g_insert({"summary": "Stays", **timed(DAY1 + timedelta(days=1))})
    await env.sync()
    old = {a["subject"]: a["id"] for a in await env.activities()}
    env.advance()
    for event in made:
        await env.g_delete(event["id"])
    gone = await env.sync()
    assert gone.summary["pipedrive"]["deleted"] == 2

    result = await undo(env)
    assert result.exit_code == 0, result.events
    back = {a["subject"]: a["id"] for a in await env.activities()}
    assert set(back) == {"Call 0", "Call 1", "Stays"}
    assert back["Call 0"] != old["Call 0"] and back["Call 1"] != old["Call 1"]
    assert back["Stays"] == old["Stays"]
    assert sorted(e["summary"] for e in await env.google_events()) == ["Stays"]
    # Run again: nothing more is made (no duplicate), it says the run is undone already.
    with pytest.raises(UsageError, match="undone already"):
        await undo(env, run=2)
    assert len(await env.activities()) == 3


async def test_item_edited_after_the_run_is_left_alone_and_listed(env):
    a = await env.g_insert({"summary": "Alpha", **timed(DAY1)})
    await env.g_insert({"summary": "Beta", **timed(DAY1 + timedelta(hours=2))})
    await env.sync()
    (alpha,) = await env.activities_by_subject("Alpha")
    env.advance()
    await env.p_patch(alpha["id"], subject="Alpha (edited in Pipedrive)")

    result = await undo(env)
    assert result.exit_code == 0, result.events
    (left,) = [e for e in result.kinds("skip") if e.detail.get("code") == "changed-since"]
    assert left.item_id == str(alpha["id"]) and "changed since run 1" in left.reason
    assert [x["subject"] for x in await env.activities()] == ["Alpha (edited in Pipedrive)"]
    assert await env.g_get(a["id"]) is not None


def _writes(stats: dict) -> dict:
    return {k: n for k, n in stats["requests"]["by_route"].items() if not k.startswith("GET")}


async def test_dry_run_writes_nothing(env):
    await env.g_insert({"summary": "Alpha", **timed(DAY1)})
    await env.sync()
    before = await both_sides(env)
    runs = len(env.store.data(env.account_id).runs())
    stats = await env.stats()

    result = await undo(env, dry_run=True)
    assert result.exit_code == 0
    assert [e.kind for e in result.events if e.detail.get("dry_run")] == ["delete"]
    assert await both_sides(env) == before
    assert len(env.store.data(env.account_id).runs()) == runs
    assert env.store.account(env.account_id).state == "active"
    assert _writes(await env.stats()) == _writes(stats)


async def test_reconnect_after_undo_syncs_under_new_options_without_duplicate(env):
    await env.g_insert({"summary": "Lunch with Kim", **timed(DAY1)})
    await env.g_insert({"summary": "Dentist", **timed(DAY1 + timedelta(hours=3)),
                        "visibility": "private"})  # fmt: skip
    await env.sync()
    assert len(await env.activities()) == 2
    await undo(env)
    assert await env.activities() == []

    env.options(private="busy")
    await acc.reconnect(env.store, env.vault, env.store.account(env.account_id),
                        transport=env.transport)  # fmt: skip
    env.advance()
    again = await env.sync()
    assert again.exit_code == 0
    subjects = sorted(a["subject"] for a in await env.activities())
    assert subjects == ["Busy", "Lunch with Kim"]
    assert len(await env.google_events()) == 2
    assert (await env.sync()).writes() == 0


async def test_runs_older_than_the_retention_cannot_be_undone(env):
    event = await env.g_insert({"summary": "Counter 0", **timed(DAY1)})
    for i in range(1, 23):  # 22 runs two days apart: run 1 is neither among the last 20
        # nor of the last 30 days
        env.advance(2 * 86400)
        await env.g_patch(
            event["id"], {"summary": f"Counter {i}", **timed(env.now + timedelta(days=3))}
        )
        assert (await env.sync()).writes() == 1
    with pytest.raises(UsageError, match="run 1 cannot be undone: .* last 20 runs .* 30 days"):
        await undo(env, run=1)
    result = await undo(env, run=22)
    assert result.exit_code == 0


async def test_undo_an_activity_rename_puts_the_events_old_title_back(env):
    activity = await env.p_create(subject="Demo", type="meeting", due_date="2026-03-24",
                                  due_time="10:00", duration="01:00")  # fmt: skip
    await env.sync()
    (event,) = await env.google_events()
    env.advance()
    await env.sync()  # our own create seen again: the event is quiet from now on
    env.advance()
    await env.p_patch(activity["id"], subject="Demo (new time)", due_time="14:00")
    carried = await env.sync()
    assert carried.summary["google"]["updated"] == 1
    # The event was not in the run's listing: its content before the write was read by id.
    routes = (await env.stats())["requests"]["by_route"]
    assert routes.get("batch: GET /calendar/v3/calendars/{calendar_id}/events/{event_id}") == 1

    result = await undo(env)
    assert result.exit_code == 0, result.events
    back = await env.g_get(event["id"])
    assert back["summary"] == "Demo" and back["start"] == event["start"]
    assert (await env.p_get(activity["id"]))["subject"] == "Demo (new time)"
