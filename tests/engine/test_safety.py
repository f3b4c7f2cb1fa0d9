"""Safety: the mass-deletion guard, stale sync tokens, crashes between a create and its link,
retries under faults, and one-way sync."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from sync.google_api import GoogleCalendar
from sync.pipedrive_api import Pipedrive
from sync.store import AccountData

from .conftest import NOW, timed

DAY1 = NOW + timedelta(days=3)


def _no_duplicates(events: list[dict], acts: list[dict]) -> None:
    g = Counter(
        (e["summary"], e["start"].get("dateTime") or e["start"].get("date")) for e in events
    )
    p = Counter((a["subject"], a["due_date"], a["due_time"]) for a in acts)
    assert [k for k, n in g.items() if n > 1] == []
    assert [k for k, n in p.items() if n > 1] == []


async def _both_sides(env, n_google: int = 4, n_pd: int = 4) -> None:
    for i in range(n_google):
        await env.g_insert({"summary": f"Event {i}", **timed(DAY1 + timedelta(hours=i))})
    for i in range(n_pd):
        await env.p_create(subject=f"Activity {i}", type="call", due_date="2026-03-25",
                           due_time=f"{8 + i:02d}:00", duration="00:30")  # fmt: skip


async def test_mass_deletion_is_held_until_forced(env):
    await _both_sides(env, 6, 2)
    await env.sync()
    assert len(await env.activities()) == 8
    env.advance(60)
    for event in await env.google_events():
        if event["summary"].startswith("Event"):
            await env.g_delete(event["id"])
    held = await env.sync()
    assert held.exit_code == 3
    assert held.summary["status"] == "guarded"
    assert held.writes() == 0
    assert [e.kind for e in held.events if e.kind == "guard"] == ["guard"]
    assert len(await env.activities()) == 8  # nothing deleted
    assert env.store.data(env.account_id).run().summary.status == "guarded"
    again = await env.sync()
    assert again.exit_code == 3  # still held on the next run
    forced = await env.sync(force_delete=True)
    assert forced.exit_code == 0, forced.summary
    assert forced.summary["pipedrive"]["deleted"] == 6
    assert sorted(a["subject"] for a in await env.activities()) == ["Activity 0", "Activity 1"]
    quiet = await env.sync()
    assert quiet.writes() == 0 and quiet.exit_code == 0


async def test_stale_sync_token_resyncs_without_duplicates(env):
    await _both_sides(env, 3, 3)
    await env.sync()
    env.advance(60)
    await env.g_insert({"summary": "After the first run", **timed(DAY1 + timedelta(days=1))})
    await env.faults(target="google", rate=1, kinds=["stale_sync_token"], count=1)
    result = await env.sync()
    assert result.exit_code == 0, result.summary
    assert any("sync token" in e.reason for e in result.events if e.kind == "fetch")
    assert result.summary["pipedrive"]["created"] == 1
    assert result.summary["google"]["created"] == 0
    events, acts = await env.google_events(), await env.activities()
    assert len(events) == 7 and len(acts) == 7
    _no_duplicates(events, acts)
    quiet = await env.sync()
    assert quiet.writes() == 0, quiet.summary


async def test_one_way_sends_pipedrive_and_ignores_google(make_env):
    env = await make_env(sync_type="one-way")
    own = await env.g_insert({"summary": "Google only", **timed(DAY1)})
    act = await env.p_create(subject="Demo for Ikano", type="meeting", due_date="2026-03-24",
                             due_time="12:00", duration="01:00")  # fmt: skip
    await env.sync()
    assert [a["subject"] for a in await env.activities()] == ["Demo for Ikano"]
    (copy,) = await env.google_by_summary("Demo for Ikano")

    # A Google edit of the synced event is not imported...
    env.advance(60)
    await env.g_patch(copy["id"], {"summary": "Edited on Google"})
    await env.g_patch(own["id"], {"summary": "Google only, edited"})
    result = await env.sync()
    assert result.summary["pipedrive"] == {**result.summary["pipedrive"], "created": 0,
                                           "updated": 0, "deleted": 0}  # fmt: skip
    assert (await env.p_get(act["id"]))["subject"] == "Demo for Ikano"
    # ...and is overwritten by the next Pipedrive change.
    env.advance(60)
    await env.p_patch(act["id"], location={"value": "Ikano HQ"})
    result = await env.sync()
    assert result.summary["google"]["updated"] == 1
    after = await env.g_get(copy["id"])
    assert after["summary"] == "Demo for Ikano" and after["location"] == "Ikano HQ"
    # The copy deleted on Google is put back (Pipedrive is the source), under a fresh id,
    # and the activity stays.
    env.advance(60)
    await env.g_delete(copy["id"])
    await env.sync()
    assert await env.activities_by_subject("Demo for Ikano")
    env.advance(60)
    await env.p_patch(act["id"], subject="Demo for Ikano, take 2")
    await env.sync()
    (back,) = await env.google_by_summary("Demo for Ikano, take 2")
    assert back["id"] != copy["id"] and back["location"] == "Ikano HQ"
    # Deleting the activity deletes its event; the Google-only event stays.
    env.advance(60)
    await env.p_delete(act["id"])
    await env.sync()
    assert [e["summary"] for e in await env.google_events()] == ["Google only, edited"]
    assert await env.activities() == []


class Crash(Exception):
    """The process died here."""


@pytest.mark.parametrize("crash_after", [1, 3])
async def test_crash_before_links_are_saved_creates_no_duplicates(env, monkeypatch, crash_after):
    """The process dies when it records the link of its (k+1)-th remote write: that write
    happened, its link (and everything after) is lost. The next run must find the copies
    instead of creating them again."""
    await _both_sides(env, 3, 3)
    real_put = AccountData.put_link
    seen = {"n": 0}

    def dying_put(self, link):
        seen["n"] += 1
        if seen["n"] > crash_after:
            raise Crash()
        real_put(self, link)

    monkeypatch.setattr(AccountData, "put_link", dying_put)
    with pytest.raises(Crash):
        await env.sync()
    monkeypatch.undo()
    await _recovers(env)


@pytest.mark.parametrize("where", ["google", "pipedrive"])
async def test_crash_right_after_a_remote_create_creates_no_duplicates(env, monkeypatch, where):
    """The process dies the moment a create has answered, before anything is recorded."""
    await _both_sides(env, 3, 3)
    if where == "google":
        real = GoogleCalendar.batch

        async def dying(self, ops, **kw):
            await real(self, ops, **kw)
            raise Crash()

        monkeypatch.setattr(GoogleCalendar, "batch", dying)
    else:
        real_create, real_put = Pipedrive.create_activity, AccountData.put_link
        made = {"n": 0}

        async def dying(self, body, **kw):
            if made["n"] >= 2:
                raise Crash()  # dead: nothing more happens
            answer = await real_create(self, body, **kw)
            made["n"] += 1
            if made["n"] == 2:
                raise Crash()
            return answer

        def put_unless_dead(self, link):
            if made["n"] >= 2:
                raise Crash()
            real_put(self, link)

        monkeypatch.setattr(Pipedrive, "create_activity", dying)
        monkeypatch.setattr(AccountData, "put_link", put_unless_dead)
    with pytest.raises(Crash):
        await env.sync()
    monkeypatch.undo()
    await _recovers(env)


async def _recovers(env) -> None:
    # The dead process's memory is gone: open the store again from disk.
    env.store = type(env.store)(env.home)
    env.advance(60)
    result = await env.sync()
    assert result.exit_code == 0, result.summary
    events, acts = await env.google_events(), await env.activities()
    assert len(events) == 6 and len(acts) == 6, (events, acts)
    _no_duplicates(events, acts)
    env.advance(60)
    quiet = await env.sync(full=True)
    assert quiet.writes() == 0, quiet.summary
    # The pairs are really linked: an edit still flows.
    act = next(a for a in acts if a["subject"] == "Activity 0")
    await env.p_patch(act["id"], subject="Activity 0 renamed")
    await env.sync()
    assert len(await env.google_by_summary("Activity 0 renamed")) == 1


async def test_retries_under_faults_converge_without_duplicates(make_env):
    env = await make_env(empty=False, seed=3)
    await env.faults(target="all", rate=0.2, kinds=["429", "500"], retry_after=0)
    for _ in range(4):
        result = await env.sync()
        if result.exit_code == 0 and result.summary["errors"] == []:
            break
        env.advance(60)
    assert result.exit_code == 0, result.summary
    await env.clear_faults()
    injected = (await env.stats())["faults_injected"]
    assert sum(injected.values()) > 0
    env.advance(60)
    quiet = await env.sync(full=True)
    assert quiet.writes() == 0, quiet.summary
    events, acts = await env.google_events(), await env.activities()
    _no_duplicates(events, acts)
    # Every pushed activity has exactly one copy on Google and every Google copy one activity.
    copies = Counter(
        (e.get("extendedProperties") or {}).get("private", {}).get("calsync_activity")
        for e in events
    )
    del copies[None]
    assert all(n == 1 for n in copies.values())
    markers = Counter(a["note"] for a in acts if (a["note"] or "").startswith("calsync:"))
    assert all(n == 1 for n in markers.values())


@pytest.mark.parametrize("seed", [1, 4])
async def test_churn_under_faults_converges(make_env, seed):
    """Live edits on both sides while requests fail, drop (before or after being applied) and
    tokens expire: once the faults stop, one full run brings both sides level, the next
    finds nothing to do, and no item has two copies."""
    env = await make_env(empty=False, seed=seed, linked_contacts=True, private="busy")
    await env.faults(target="all", rate=0.2, kinds=["429", "500", "503", "403", "drop",
                                                    "expire_tokens"], retry_after=0)  # fmt: skip
    await env.client.post("/_sandbox/churn", json={"per_minute": 300})
    for _ in range(3):
        await env.sync()
        env.advance(10)
        await env.state()  # churn is applied lazily, on requests
    await env.client.post("/_sandbox/churn", json={"per_minute": 0})
    await env.clear_faults()
    env.advance(60)
    level = await env.sync(full=True)
    assert level.exit_code == 0 and level.summary["errors"] == [], level.summary
    env.advance(60)
    quiet = await env.sync(full=True)
    assert quiet.writes() == 0, quiet.summary
    events, acts = await env.google_events(), await env.activities()
    copies = Counter(
        (e.get("extendedProperties") or {}).get("private", {}).get("calsync_activity")
        for e in events
    )
    del copies[None]
    assert [k for k, n in copies.items() if n > 1] == []
    markers = Counter(a["note"] for a in acts if (a["note"] or "").startswith("calsync:"))
    assert [k for k, n in markers.items() if n > 1] == []
    # No link is half gone. (A pair gone on both sides may keep its link until it ages out
    # of the window: a full listing cannot tell "deleted" from "moved out of the window".)
    event_ids, act_ids = {e["id"] for e in events}, {str(a["id"]) for a in acts}
    links = env.store.data(env.account_id).links()
    half = [k for k in links if (k.google_id in event_ids) != (k.pipedrive_id in act_ids)]
    assert half == []
    linked_events = {k.google_id for k in links}
    linked_acts = {k.pipedrive_id for k in links}
    # Every live item of a synced kind in the window is linked.
    start, end = env.store.account(env.account_id).options.window(env.now)
    unlinked = [
        e["id"] for e in events if e["id"] not in linked_events and _in_window(e, start, end)
    ]
    assert unlinked == []
    assert act_ids - linked_acts <= {
        str(a["id"])
        for a in acts
        if not _act_in_window(a, start, end)
        or a["type"] not in env.store.account(env.account_id).options.push_types
    }


def _in_window(event: dict, start, end) -> bool:
    from datetime import UTC, date, datetime

    def instant(when: dict) -> datetime:
        if "date" in when:
            return datetime.combine(date.fromisoformat(when["date"]), datetime.min.time(), UTC)
        return datetime.fromisoformat(when["dateTime"]).astimezone(UTC)

    return instant(event["start"]) < end and instant(event["end"]) > start


def _act_in_window(act: dict, start, end) -> bool:
    from datetime import UTC, date, datetime

    if not act["due_date"]:
        return False
    day = datetime.combine(date.fromisoformat(act["due_date"]), datetime.min.time(), UTC)
    return start <= day + timedelta(days=1) and day < end


async def test_dry_run_writes_nothing_and_the_real_run_does_it(env):
    await _both_sides(env, 2, 2)
    before = await env.state()
    preview = await env.sync(dry_run=True)
    assert preview.exit_code == 0
    planned = [e for e in preview.events if e.detail.get("dry_run") and e.kind != "start"]
    assert sorted((e.kind, e.side) for e in planned) == [
        ("create", "google"), ("create", "google"),
        ("create", "pipedrive"), ("create", "pipedrive"),
    ]  # fmt: skip
    after = await env.state()
    assert after["google"] == before["google"]
    assert after["pipedrive"]["activities"] == before["pipedrive"]["activities"]
    assert env.store.data(env.account_id).links() == []
    real = await env.sync()
    assert real.summary["google"]["created"] == 2 and real.summary["pipedrive"]["created"] == 2


async def test_old_and_far_activities_stay_out_of_google(env):
    for subject, day in (("Long ago", "2025-12-01"), ("Recent", "2026-03-01"),
                         ("Far ahead", "2027-06-01")):  # fmt: skip
        await env.p_create(subject=subject, type="call", due_date=day, due_time="10:00",
                           duration="00:30")  # fmt: skip
    await env.g_insert({"summary": "Old event", **timed(NOW - timedelta(days=60))})
    result = await env.sync()
    assert [e["summary"] for e in await env.google_events() if e["summary"] != "Old event"] == [
        "Recent"
    ]
    reasons = {s["title"]: s["reason"] for s in result.summary["skipped"]}
    assert "window" in reasons["Long ago"] and "window" in reasons["Far ahead"]
    assert [a["subject"] for a in await env.activities_by_subject("Old event")] == []


async def test_a_token_expiring_during_a_batch_is_refreshed_and_the_parts_sent_again(
    env, monkeypatch
):
    """Google checks each part of a batch on its own: a token that expires between the
    listing and the batch comes back as 401 parts in a 200 answer. The run refreshes the
    token and sends those parts again: every copy is made, no error, no duplicate."""
    await _both_sides(env, 0, 3)
    real = GoogleCalendar._send_batch
    expired = {"n": 0}

    async def expiring(self, ops):
        if not expired["n"]:
            expired["n"] = env.sandbox.tokens.expire_all("google")
        return await real(self, ops)

    monkeypatch.setattr(GoogleCalendar, "_send_batch", expiring)
    result = await env.sync()
    assert expired["n"] >= 1
    assert result.exit_code == 0 and result.summary["errors"] == [], result.summary
    assert result.summary["google"]["created"] == 3
    monkeypatch.undo()
    events = await env.google_events()
    assert sorted(e["summary"] for e in events) == [f"Activity {i}" for i in range(3)]
    env.advance(60)
    assert (await env.sync(full=True)).writes() == 0
