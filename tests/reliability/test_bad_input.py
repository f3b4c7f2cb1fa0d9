"""Bad input from the services, put straight into the sandbox's state (no validation): each
bad item is synced or skipped with a reason; the run never crashes and never stops half
way (the good items beside it are all synced, and the next run has nothing left to do)."""

from __future__ import annotations

from datetime import timedelta

import pytest

import sandbox.google.render as google_render
import sandbox.google.routes as google_routes
from sync.models import SyncEvent

from ..engine.conftest import NOW, timed
from .helpers import copies, record

DAY = NOW + timedelta(days=2)
BIG = 1_000_000
WEIRD = "Café ☕🎉 עברית مرحبا zero\u200bwidth\u200d\u2066rtl\u2069 \ufeff"


def _attendees(n: int) -> list[dict]:
    return [{"email": f"guest{i}@example.com", "responseStatus": "needsAction"} for i in range(n)]


# Google: (name, change to the stored fields or to the rendered resource)
GOOGLE_CASES = {
    "no end": lambda ev: ev.pop("end", None),
    "end before start": lambda ev: ev.update(end={"dateTime": "2026-03-22T08:00:00Z"}),
    "null summary": lambda ev: ev.update(summary=None),
    "null start": lambda ev: ev.update(start=None),
    "start without a time": lambda ev: ev.update(start={}),
    "10,000 attendees": lambda ev: ev.update(attendees=_attendees(10_000)),
    "1 MB description": lambda ev: ev.update(description="x" * BIG),
    "emoji, RTL and zero-width text": lambda ev: ev.update(summary=WEIRD, location=WEIRD),
    "unknown time zone": lambda ev: ev.update(
        start={"dateTime": "2026-03-22T10:00:00", "timeZone": "Mars/Olympus_Mons"},
        end={"dateTime": "2026-03-22T11:00:00", "timeZone": "Mars/Olympus_Mons"},
    ),
    "year 9999": lambda ev: ev.update(
        start={"dateTime": "9999-12-31T10:00:00Z"}, end={"dateTime": "9999-12-31T11:00:00Z"}
    ),
    "null attendees and bad emails": lambda ev: ev.update(
        attendees=[None, {"email": None}, {"displayName": "no email"}, {"email": "@@"}]
    ),
    "null extended properties": lambda ev: ev.update(extendedProperties={"private": None}),
    "status unknown": lambda ev: ev.update(status="tentative-ish"),
}

PIPEDRIVE_CASES = {
    "no due date": {"due_date": None, "due_time": None},
    "no duration": {"duration": None},
    "negative duration": {"duration": "-01:00"},
    "bad time": {"due_time": "25:99"},
    "null subject": {"subject": None},
    "10,000 attendees": {
        "attendees": [
            {
                "email": f"guest{i}@example.com",
                "name": None,
                "status": None,
                "is_organizer": False,
                "person_id": None,
                "user_id": None,
            }
            for i in range(10_000)
        ]  # fmt: skip
    },
    "1 MB description": {"public_description": "x" * BIG},
    "emoji, RTL and zero-width text": {"subject": WEIRD, "location": {"value": WEIRD}},
    "year 9999": {"due_date": "9999-12-31"},
    "null location and attendees": {"location": None, "attendees": None, "participants": None},
    "location not an object": {"location": "Room 4"},
    "type unknown": {"type": "no_such_type"},
    "null busy and private": {"busy": None, "private": None, "done": None},
}


async def _good_items(env) -> None:
    await env.g_insert({"summary": "Good event", **timed(DAY)})
    await env.p_create(subject="Good activity", type="call", due_date="2026-03-23",
                       due_time="09:00", duration="00:30")  # fmt: skip


async def _check(env, bad_id: str, side: str) -> None:
    result = await env.sync()  # never raises: a crash here fails the test
    reasons = {s["id"]: s["reason"] for s in result.summary["skipped"]}
    data = env.store.data(env.account_id)
    link = data.link_by_google(bad_id) if side == "google" else data.link_by_pipedrive(bad_id)
    skipped = bad_id in reasons and reasons[bad_id].strip() != ""
    assert link is not None or skipped, result.summary
    if skipped:
        logged = [e for e in result.events if e.kind == "skip" and e.item_id == bad_id]
        assert logged and all(isinstance(e, SyncEvent) and e.reason for e in logged)
    # Not half applied: the good items went through, and nothing is left to do.
    assert result.summary["errors"] == [], result.summary
    assert result.exit_code == 0, result.summary
    assert len(await env.google_by_summary("Good activity")) == 1
    assert len(await env.activities_by_subject("Good event")) == 1
    env.advance(60)
    again = await env.sync(full=True)
    assert again.exit_code == 0 and again.summary["errors"] == [], again.summary
    assert again.writes() == 0, again.summary
    assert copies(await env.google_events(), await env.activities()) == []
    record(bad_inputs=1)


@pytest.mark.parametrize("case", GOOGLE_CASES)
async def test_bad_google_event(env, monkeypatch, case):
    await _good_items(env)
    bad = await env.g_insert({"summary": "Bad event", **timed(DAY + timedelta(hours=3))})
    real = google_routes.event_json

    def rendered(cal, ev, state, display_tz=None):
        body = real(cal, ev, state, display_tz)
        if ev.id == bad["id"]:
            GOOGLE_CASES[case](body)
        return body

    # Every way out of the sandbox: get/insert/patch answers and list items.
    monkeypatch.setattr(google_routes, "event_json", rendered)
    monkeypatch.setattr(google_render, "event_json", rendered)
    await _check(env, bad["id"], "google")


@pytest.mark.parametrize("case", PIPEDRIVE_CASES)
async def test_bad_pipedrive_activity(env, case):
    await _good_items(env)
    bad = await env.p_create(subject="Bad activity", type="meeting", due_date="2026-03-24",
                             due_time="11:00", duration="01:00")  # fmt: skip
    env.sandbox.pipedrive.activities.rows[bad["id"]].update(PIPEDRIVE_CASES[case])
    await _check(env, str(bad["id"]), "pipedrive")
