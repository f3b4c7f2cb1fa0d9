"""Google events over Pipedrive's field limits, through the real engine and the sandbox: each
becomes an activity with its fields fitted (sync/mapping.py), the run ends `ok`, the next
runs write nothing, and a change coming back from Pipedrive never shortens the event."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from .conftest import NOW, Result, timed

DAY1 = NOW + timedelta(days=3)
CUT_MARK = "…"  # what ends a cut text (sync/mapping.py)
LONG_TITLE = "Quarterly planning with the whole Nordic sales team " * 6  # 312 characters
LONG_PLACE = "Konferensrum Stora Salen, Drottninggatan 1, 111 51 Stockholm; " * 5


def assert_ok(result: Result) -> None:
    assert result.summary["status"] == "ok", result.summary
    assert result.summary["errors"] == [] and result.summary["skipped"] == [], result.summary


async def assert_idle(env) -> None:
    """The next incremental run and a full reconcile write nothing and report nothing."""
    for full in (False, True):
        env.advance(60)
        result = await env.sync(full=full)
        assert_ok(result)
        assert result.writes() == 0 and result.summary["conflicts"] == 0, result.summary


async def _only_activity(env) -> dict:
    (act,) = await env.activities()
    return act


async def edit_in_pipedrive(env, act: dict, event: dict, **fields) -> dict:
    """Patch the activity, sync, and return its Google event as the run left it."""
    await env.p_patch(act["id"], **fields)
    result = await env.sync()
    assert_ok(result)
    assert result.summary["google"]["updated"] == 1, result.summary
    return await env.g_get(event["id"])


async def test_title_over_255_characters_syncs_and_stays_idle(env):
    assert len(LONG_TITLE) > 255
    event = await env.g_insert({"summary": LONG_TITLE, **timed(DAY1)})
    first = await env.sync()
    assert_ok(first)
    assert first.summary["pipedrive"]["created"] == 1
    act = await _only_activity(env)
    assert len(act["subject"]) == 255
    assert act["subject"] == LONG_TITLE[:254] + CUT_MARK
    await assert_idle(env)

    # Moved in Pipedrive: the time goes to Google, the cut title does not.
    after = await edit_in_pipedrive(env, act, event, due_time="13:00")
    assert after["summary"] == LONG_TITLE
    assert after["start"]["dateTime"].startswith("2026-03-23T14:00:00")
    await assert_idle(env)


async def test_title_renamed_past_255_characters_on_google_updates_and_stays_idle(env):
    event = await env.g_insert({"summary": "Short", **timed(DAY1)})
    assert_ok(await env.sync())
    env.advance(60)
    await env.g_patch(event["id"], {"summary": LONG_TITLE})
    renamed = await env.sync()
    assert_ok(renamed)
    assert renamed.summary["pipedrive"]["updated"] == 1
    assert (await _only_activity(env))["subject"] == LONG_TITLE[:254] + CUT_MARK
    await assert_idle(env)


async def test_location_over_255_characters_syncs_and_stays_idle(env):
    assert len(LONG_PLACE) > 255
    event = await env.g_insert({"summary": "Offsite", "location": LONG_PLACE, **timed(DAY1)})
    assert_ok(await env.sync())
    act = await _only_activity(env)
    assert act["location"]["value"] == LONG_PLACE[:254] + CUT_MARK
    await assert_idle(env)

    after = await edit_in_pipedrive(env, act, event, subject="Offsite (moved)")
    assert (after["summary"], after["location"]) == ("Offsite (moved)", LONG_PLACE)
    await assert_idle(env)


@pytest.mark.parametrize("bad", ["a" * 250 + "@example.com", "bob"], ids=["over-255", "no-at"])
async def test_attendee_address_over_255_characters_or_without_at_is_left_out(env, bad):
    await env.g_insert(
        {
            "summary": "Review",
            **timed(DAY1),
            "attendees": [{"email": "eva@example.com"}, {"email": bad}],
        }
    )
    assert_ok(await env.sync())
    act = await _only_activity(env)
    assert [a["email"] for a in act["attendees"]] == ["eva@example.com"]
    await assert_idle(env)


async def test_attendee_name_over_255_characters_is_cut(env):
    await env.g_insert(
        {
            "summary": "Review",
            **timed(DAY1),
            "attendees": [{"email": "eva@example.com", "displayName": "E" * 300}],
        }
    )
    assert_ok(await env.sync())
    (attendee,) = (await _only_activity(env))["attendees"]
    assert attendee["name"] == "E" * 254 + CUT_MARK
    await assert_idle(env)


async def test_all_day_event_longer_than_41_days_keeps_its_span_and_stays_idle(env):
    start = date(2026, 4, 1)
    event = await env.g_insert(
        {
            "summary": "Parental leave",
            "description": "Back in June",
            "start": {"date": start.isoformat()},
            "end": {"date": (start + timedelta(days=60)).isoformat()},
        }
    )
    assert_ok(await env.sync())
    act = await _only_activity(env)
    assert (act["due_date"], act["due_time"], act["duration"]) == ("2026-04-01", None, "984:00")
    assert act["public_description"] == "Back in June\n\n── calsync: lasts 60 days ──"
    await assert_idle(env)

    # Renamed in Pipedrive: Google gets the name and keeps its 60 days (and no span line).
    after = await edit_in_pipedrive(env, act, event, subject="Parental leave (Anna)")
    assert after["summary"] == "Parental leave (Anna)"
    assert (after["start"], after["end"]) == ({"date": "2026-04-01"}, {"date": "2026-05-31"})
    assert after["description"] == "Back in June"
    await assert_idle(env)


async def test_timed_event_longer_than_999_hours_keeps_its_span_and_stays_idle(env):
    event = await env.g_insert({"summary": "Expedition", **timed(DAY1, minutes=50 * 24 * 60 + 30)})
    assert_ok(await env.sync())
    act = await _only_activity(env)
    assert (act["due_time"], act["duration"]) == ("09:00", "999:59")
    assert act["public_description"] == "── calsync: lasts 1200 h 30 min ──"
    await assert_idle(env)

    # Moved an hour later in Pipedrive: the whole span moves, its length kept.
    after = await edit_in_pipedrive(env, act, event, due_time="10:00")
    assert after["start"]["dateTime"].startswith("2026-03-23T11:00:00")
    assert after["end"]["dateTime"].startswith("2026-05-12T12:30:00")
    assert after.get("description", "") == ""
    await assert_idle(env)


async def test_long_event_shortened_on_google_drops_the_span_line(env):
    start = date(2026, 4, 1)
    event = await env.g_insert(
        {
            "summary": "Sabbatical",
            "start": {"date": start.isoformat()},
            "end": {"date": (start + timedelta(days=90)).isoformat()},
        }
    )
    assert_ok(await env.sync())
    env.advance(60)
    await env.g_patch(event["id"], {"end": {"date": (start + timedelta(days=10)).isoformat()}})
    assert_ok(await env.sync())
    act = await _only_activity(env)
    assert (act["duration"], act["public_description"]) == ("240:00", "")
    await assert_idle(env)
