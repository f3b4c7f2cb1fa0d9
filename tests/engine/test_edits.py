"""Edits, deletions and conflicts flowing both ways between Google and Pipedrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .conftest import NEW_YORK, NOW, STOCKHOLM, timed

DAY1 = NOW + timedelta(days=3)


async def _synced_event(env, **body) -> tuple[dict, dict]:
    event = await env.g_insert({"summary": "Planning", **timed(DAY1), **body})
    await env.sync()
    (act,) = await env.activities()
    return event, act


async def _synced_activity(env, **body) -> tuple[dict, dict]:
    fields = {"subject": "Call Eva", "type": "call", "due_date": "2026-03-24",
              "due_time": "12:00", "duration": "00:30", **body}  # fmt: skip
    act = await env.p_create(**fields)
    await env.sync()
    (event,) = await env.google_events()
    return act, event


async def test_google_edits_reach_pipedrive(env):
    event, act = await _synced_event(env)
    env.advance(60)
    await env.g_patch(event["id"], {
        "summary": "Planning v2", **timed(DAY1 + timedelta(hours=2), 45),
        "location": "Room 7", "description": "New agenda", "transparency": "transparent",
    })  # fmt: skip
    result = await env.sync()
    assert result.summary["pipedrive"]["updated"] == 1, result.summary
    assert result.summary["google"] == {**result.summary["google"], "created": 0, "updated": 0}
    (after,) = await env.activities()
    assert after["id"] == act["id"]
    assert after["subject"] == "Planning v2"
    assert (after["due_date"], after["due_time"], after["duration"]) == (
        "2026-03-23",
        "11:00",
        "00:45",
    )
    assert after["location"]["value"] == "Room 7"
    assert after["public_description"] == "New agenda"
    assert after["busy"] is False
    env.advance(60)
    quiet = await env.sync()
    assert quiet.writes() == 0, quiet.summary


async def test_pipedrive_edits_reach_google(env):
    act, event = await _synced_activity(env)
    env.advance(60)
    await env.p_patch(act["id"], subject="Call Eva again", due_date="2026-03-25", due_time="15:15",
                      duration="01:00", location={"value": "Skype"},
                      public_description="About the offer", busy=False)  # fmt: skip
    result = await env.sync()
    assert result.summary["google"]["updated"] == 1, result.summary
    (after,) = await env.google_events()
    assert after["id"] == event["id"]
    assert after["summary"] == "Call Eva again"
    assert after["start"]["dateTime"] == "2026-03-25T16:15:00+01:00"
    assert after["end"]["dateTime"] == "2026-03-25T17:15:00+01:00"
    assert after["location"] == "Skype"
    assert after["description"] == "About the offer"
    assert after["transparency"] == "transparent"
    env.advance(60)
    quiet = await env.sync()
    assert quiet.writes() == 0, quiet.summary
    assert len(await env.activities()) == 1


async def test_edits_without_the_clock_moving_are_seen(env):
    """Pipedrive stamps whole seconds: an edit in the same second as our last read is still
    picked up (updated_since is inclusive), and our own writes are not echoed."""
    act, _ = await _synced_activity(env)
    await env.p_patch(act["id"], subject="Same second")
    result = await env.sync()
    assert result.summary["google"]["updated"] == 1
    (event,) = await env.google_events()
    assert event["summary"] == "Same second"
    again = await env.sync()
    assert again.writes() == 0, again.summary


@pytest.mark.parametrize(
    ("tz", "before", "after", "utc_before", "utc_after"),
    [
        # New York: EST (UTC-5) until 8 March 2026, then EDT (UTC-4).
        (NEW_YORK, datetime(2026, 3, 6, 14, 0, tzinfo=UTC), datetime(2026, 3, 9, 13, 0, tzinfo=UTC),
         ("2026-03-06", "14:00"), ("2026-03-09", "13:00")),
        # Stockholm: CET (UTC+1) until 29 March 2026, then CEST (UTC+2).
        (STOCKHOLM, datetime(2026, 3, 27, 9, 0, tzinfo=UTC), datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
         ("2026-03-27", "09:00"), ("2026-03-30", "08:00")),
    ],
)  # fmt: skip
async def test_google_moves_across_dst_land_at_the_right_instant(
    env, tz, before, after, utc_before, utc_after
):
    # 09:00 local in New York, 10:00 local in Stockholm, before and after the change.
    event = await env.g_insert({"summary": f"Call {tz}", **timed(before, 30, tz)})
    await env.sync()
    (act,) = await env.activities()
    assert (act["due_date"], act["due_time"]) == utc_before
    env.advance(60)
    await env.g_patch(event["id"], timed(after, 30, tz))
    await env.sync()
    (act,) = await env.activities()
    assert (act["due_date"], act["due_time"], act["duration"]) == (*utc_after, "00:30")
    (back,) = await env.google_events()
    assert back["start"]["timeZone"] == tz
    local = datetime.fromisoformat(back["start"]["dateTime"])
    assert local.astimezone(UTC) == after


async def test_pipedrive_moves_across_dst_keep_the_local_hour_on_google(env):
    act, event = await _synced_activity(env, due_date="2026-03-27", due_time="09:00")
    assert event["start"]["dateTime"] == "2026-03-27T10:00:00+01:00"
    env.advance(60)
    await env.p_patch(act["id"], due_date="2026-03-30", due_time="08:00")
    await env.sync()
    (after,) = await env.google_events()
    assert after["start"]["dateTime"] == "2026-03-30T10:00:00+02:00"
    assert after["start"]["timeZone"] == STOCKHOLM


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
async def test_deletions_flow_both_ways(env, full):
    gone_on_google = await env.g_insert({"summary": "Dropped on Google", **timed(DAY1)})
    kept = await env.g_insert({"summary": "Kept", **timed(DAY1 + timedelta(hours=3))})
    gone_in_pd = await env.p_create(subject="Dropped in Pipedrive", type="call",
                                    due_date="2026-03-24", due_time="12:00", duration="00:30")  # fmt: skip
    await env.sync()
    (copy_of_google,) = await env.activities_by_subject("Dropped on Google")
    (copy_of_pd,) = await env.google_by_summary("Dropped in Pipedrive")

    env.advance(60)
    await env.g_delete(gone_on_google["id"])
    await env.p_delete(gone_in_pd["id"])
    result = await env.sync(full=full)
    assert result.exit_code == 0, result.summary
    assert result.summary["pipedrive"]["deleted"] == 1
    assert result.summary["google"]["deleted"] == 1
    assert await env.p_get(copy_of_google["id"]) is None
    assert (await env.g_get(copy_of_pd["id"]))["status"] == "cancelled"
    assert [a["subject"] for a in await env.activities()] == ["Kept"]
    assert [e["id"] for e in await env.google_events()] == [kept["id"]]
    # The log names what was deleted (a Google tombstone has no title: the link keeps it).
    deletes = {(e.side, e.title) for e in result.kinds("delete")}
    assert deletes == {("pipedrive", "Dropped on Google"), ("google", "Dropped in Pipedrive")}
    quiet = await env.sync(full=True)
    assert quiet.writes() == 0, quiet.summary
    assert len(await env.activities()) == 1 and len(await env.google_events()) == 1


async def test_items_leaving_the_window_are_not_deleted(make_env):
    env = await make_env(window_future_days=30)
    event = await env.g_insert({"summary": "Moves far ahead", **timed(DAY1)})
    act = await env.p_create(subject="Also moves", type="call", due_date="2026-03-24",
                             due_time="12:00", duration="00:30")  # fmt: skip
    await env.sync()
    (copy,) = await env.google_by_summary("Also moves")
    env.advance(60)
    await env.g_patch(event["id"], timed(DAY1 + timedelta(days=200)))
    await env.p_patch(act["id"], due_date="2026-10-24")
    result = await env.sync(full=True)
    assert result.summary["pipedrive"]["deleted"] == 0 and result.summary["google"]["deleted"] == 0
    assert len(await env.activities()) == 2
    assert (await env.g_get(copy["id"]))["status"] == "confirmed"
    assert (await env.g_get(event["id"]))["status"] == "confirmed"
    again = await env.sync(full=True)
    assert again.writes() == 0, again.summary
    assert len(await env.activities()) == 2 and len(await env.google_events()) == 2


async def test_retyped_activity_leaves_google_and_stays_in_pipedrive(make_env):
    env = await make_env(push_types=["call", "meeting"])
    act, event = await _synced_activity(env)
    env.advance(60)
    await env.p_patch(act["id"], type="task")
    result = await env.sync()
    assert result.summary["google"]["deleted"] == 1, result.summary
    assert (await env.g_get(event["id"]))["status"] == "cancelled"
    assert (await env.p_get(act["id"]))["type"] == "task"
    env.advance(60)
    await env.p_patch(act["id"], subject="Still a task")
    quiet = await env.sync()
    assert quiet.writes() == 0, quiet.summary
    # Back to a synced type: it goes to Google again.
    env.advance(60)
    await env.p_patch(act["id"], type="meeting")
    back = await env.sync()
    assert back.summary["google"]["created"] == 1, back.summary
    (again,) = await env.google_events()
    assert again["summary"] == "Still a task"


async def test_deleting_a_google_series_deletes_its_activities(env):
    series = await env.g_insert({"summary": "Daily sync", **timed(DAY1, 15),
                                 "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]})  # fmt: skip
    other = await env.g_insert({"summary": "Unrelated", **timed(DAY1 + timedelta(hours=4))})
    await env.sync()
    assert len(await env.activities_by_subject("Daily sync")) == 3
    env.advance(60)
    await env.g_delete(series["id"])
    result = await env.sync()
    assert result.summary["pipedrive"]["deleted"] == 3, result.summary
    assert [a["subject"] for a in await env.activities()] == ["Unrelated"]
    assert [e["id"] for e in await env.google_events()] == [other["id"]]


async def test_editing_one_instance_of_a_series_edits_one_activity(env):
    series = await env.g_insert({"summary": "Daily sync", **timed(DAY1, 15),
                                 "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]})  # fmt: skip
    await env.sync()
    instances = await env.g("GET", f"{env._events_path()}/{series['id']}/instances")
    second = instances.json()["items"][1]
    env.advance(60)
    await env.g_patch(second["id"], {"summary": "Daily sync (moved)",
                                     **timed(DAY1 + timedelta(days=1, hours=1), 15)})  # fmt: skip
    result = await env.sync()
    assert result.summary["pipedrive"]["updated"] == 1, result.summary
    subjects = sorted((a["due_date"], a["subject"], a["due_time"]) for a in await env.activities())
    assert subjects == [
        ("2026-03-23", "Daily sync", "09:00"),
        ("2026-03-24", "Daily sync (moved)", "10:00"),
        ("2026-03-25", "Daily sync", "09:00"),
    ]


@pytest.mark.parametrize("last", ["google", "pipedrive"])
async def test_conflict_later_edit_wins_and_loser_is_logged(env, last):
    event, act = await _synced_event(env)
    env.advance(60)
    if last == "google":
        await env.p_patch(act["id"], subject="Pipedrive title")
        env.advance(30)
        await env.g_patch(event["id"], {"summary": "Google title"})
    else:
        await env.g_patch(event["id"], {"summary": "Google title"})
        env.advance(30)
        await env.p_patch(act["id"], subject="Pipedrive title")
    result = await env.sync()
    assert result.summary["conflicts"] == 1, result.summary
    winner = "Google title" if last == "google" else "Pipedrive title"
    loser = "Pipedrive title" if last == "google" else "Google title"
    events = await env.google_events()
    acts = await env.activities()
    assert [e["summary"] for e in events] == [winner]
    assert [a["subject"] for a in acts] == [winner]
    run = env.store.data(env.account_id).run()
    (conflict,) = [e for e in run.events if e.kind == "conflict"]
    assert conflict.detail["loser"]["title"] == loser
    assert conflict.detail["loser"]["side"] == ("pipedrive" if last == "google" else "google")
    quiet = await env.sync()
    assert quiet.writes() == 0, quiet.summary


async def test_moving_a_whole_series_moves_its_activities(env):
    series = await env.g_insert({"summary": "Weekly review", **timed(DAY1, 30),
                                 "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"]})  # fmt: skip
    await env.sync()
    assert len(await env.activities()) == 3
    env.advance(60)
    await env.g_patch(series["id"], {"summary": "Weekly review (later)",
                                     **timed(DAY1 + timedelta(hours=5), 30)})  # fmt: skip
    result = await env.sync()
    assert result.exit_code == 0, result.summary
    acts = sorted((a["due_date"], a["due_time"], a["subject"]) for a in await env.activities())
    assert acts == [
        ("2026-03-23", "14:00", "Weekly review (later)"),
        ("2026-03-30", "13:00", "Weekly review (later)"),  # summer time: still 15:00 local
        ("2026-04-06", "13:00", "Weekly review (later)"),
    ]
    quiet = await env.sync(full=True)
    assert quiet.writes() == 0, quiet.summary
    assert len(await env.activities()) == 3


async def test_cancelling_one_instance_deletes_one_activity(env):
    series = await env.g_insert({"summary": "Daily sync", **timed(DAY1, 15),
                                 "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]})  # fmt: skip
    await env.sync()
    instances = await env.g("GET", f"{env._events_path()}/{series['id']}/instances")
    middle = instances.json()["items"][1]
    env.advance(60)
    await env.g_delete(middle["id"])
    result = await env.sync()
    assert result.summary["pipedrive"]["deleted"] == 1, result.summary
    assert sorted(a["due_date"] for a in await env.activities()) == ["2026-03-23", "2026-03-25"]
    quiet = await env.sync(full=True)
    assert quiet.writes() == 0, quiet.summary


async def test_busy_placeholder_moves_only_the_time_of_the_private_event(make_env):
    env = await make_env(private="busy")
    event = await env.g_insert({"summary": "Therapy", "description": "Room 12",
                                **timed(DAY1), "visibility": "private"})  # fmt: skip
    await env.sync()
    (act,) = await env.activities()
    env.advance(60)
    await env.p_patch(act["id"], due_time="13:00")
    result = await env.sync()
    assert result.summary["google"]["updated"] == 1, result.summary
    after = await env.g_get(event["id"])
    assert after["summary"] == "Therapy" and after["description"] == "Room 12"
    assert after["visibility"] == "private"
    assert after["start"]["dateTime"] == "2026-03-23T14:00:00+01:00"
    # The user's own event is not marked as a copy of the activity.
    assert "calsync_origin" not in str(after.get("extendedProperties"))
    quiet = await env.sync(full=True)
    assert quiet.writes() == 0, quiet.summary
    (act,) = await env.activities()
    assert act["subject"] == "Busy"


async def test_google_born_event_edited_in_pipedrive_keeps_its_own_properties(env):
    event = await env.g_insert({"summary": "Own event", **timed(DAY1),
                                "extendedProperties": {"private": {"app": "mine"}}})  # fmt: skip
    await env.sync()
    (act,) = await env.activities()
    env.advance(60)
    await env.p_patch(act["id"], subject="Own event, renamed in Pipedrive")
    await env.sync()
    after = await env.g_get(event["id"])
    assert after["summary"] == "Own event, renamed in Pipedrive"
    assert after["extendedProperties"]["private"] == {"app": "mine"}
