"""The Google model directly: seeding (kinds, determinism), churn, change log, dump."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest

from sandbox.clock import Clock
from sandbox.google.models import GoogleCalendarState, ListQuery
from sandbox.google.seed import bulk_events, churn_step, seed_google

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _seeded(seed: int = 1, empty: bool = False) -> GoogleCalendarState:
    state = GoogleCalendarState(Clock(NOW))
    seed_google(state, random.Random(seed), empty=empty, now=NOW)
    return state


def test_seed_has_every_kind_of_event():
    state = _seeded()
    primary = state.calendar("primary")
    assert (
        primary.primary
        and primary.time_zone == "Europe/Stockholm"
        and primary.id == state.owner_email
    )
    assert {c.access_role for c in state.calendars.values()} >= {"owner", "writer", "reader"}
    events = list(primary.events.values())
    assert 35 <= len(events) <= 50
    fields = [e.fields for e in events]
    assert any(e.all_day and (e.end - e.start).days > 1 for e in events)
    assert any(not e.all_day and (e.end_at - e.start_at).days >= 1 for e in events)
    rules = " ".join(r for e in events for r in (e.recurrence or []))
    for needle in ("COUNT=", "BYDAY=", "UNTIL=", "INTERVAL=", "EXDATE", "BYMONTHDAY="):
        assert needle in rules
    assert any(e.recurring_event_id and e.cancelled for e in events)
    assert any(e.recurring_event_id and not e.cancelled for e in events)
    assert {f.get("visibility") for f in fields} >= {"private", "confidential"}
    assert any(f.get("transparency") == "transparent" for f in fields)
    assert any(f.get("attendees") for f in fields)
    assert {e.start_tz for e in events} >= {"America/New_York", "Europe/London", "Asia/Tokyo"}
    lo, hi = NOW.timestamp() - 31 * 86400, NOW.timestamp() + 366 * 86400
    assert all(lo <= e.start_at.timestamp() <= hi for e in events)


def test_empty_seed_keeps_calendars_only():
    state = _seeded(empty=True)
    assert len(state.calendars) == 3
    assert all(not c.events for c in state.calendars.values())


def test_seed_is_deterministic_ids_included():
    a, b = _seeded(7), _seeded(7)
    assert list(a.calendar("primary").events) == list(b.calendar("primary").events)
    assert list(a.calendar("primary").events) != list(_seeded(8).calendar("primary").events)


def test_bulk_10000_events_inside_window():
    """(How fast: bench/sandbox.py.)"""
    state = _seeded(empty=True)
    assert bulk_events(state, random.Random(3), 10_000, NOW) == 10_000
    events = state.calendar("primary").events.values()
    assert len(events) == 10_000
    assert all(-31 <= (e.start_at - NOW).days <= 365 for e in events)
    assert any(e.all_day for e in events) and any(not e.all_day for e in events)


class Counting(dict):
    """A dict that counts item reads and walks over its values."""

    reads = walks = 0

    def __getitem__(self, key):
        self.reads += 1
        return super().__getitem__(key)

    def values(self):
        self.walks += 1
        return super().values()


def test_sync_list_is_proportional_to_changes(monkeypatch):
    state = _seeded(empty=True)
    bulk_events(state, random.Random(3), 10_000, NOW)
    sync = state.list_events("primary", ListQuery(max_results=2500, page_token=None))
    while sync.next_page_token:
        sync = state.list_events(
            "primary", ListQuery(max_results=2500, page_token=sync.next_page_token)
        )
    cal = state.calendar("primary")
    state.patch_event("primary", next(iter(cal.events)), {"summary": "x"})
    # An incremental list reads the changed events only, never the whole calendar.
    cal.events = Counting(cal.events)
    monkeypatch.setattr(state, "_full", lambda *a: pytest.fail("a full listing"))
    for _ in range(200):
        page = state.list_events("primary", ListQuery(sync_token=sync.next_sync_token))
    assert [e.fields["summary"] for e in page.items] == ["x"]
    assert cal.events.reads == 200 and cal.events.walks == 0


def test_churn_step_is_deterministic_and_changes_the_log():
    a, b = _seeded(), _seeded()
    ra, rb = random.Random(11), random.Random(11)
    before = len(a.calendar("primary").log)
    steps = [churn_step(a, ra, NOW) for _ in range(12)]
    assert steps == [churn_step(b, rb, NOW) for _ in range(12)]
    assert all(s.startswith("google: ") for s in steps)
    assert len(a.calendar("primary").log) == before + 12


def test_state_dump_is_json():
    dumped = json.loads(json.dumps(_seeded().state_dump()))
    assert dumped["owner_email"] == "anna.lindqvist@example.com"
    assert sum(len(c["events"]) for c in dumped["calendars"]) > 40


def test_churn_on_a_real_calendar_edits_only_the_users_own_ordinary_events():
    from sandbox.google.seed_real import seed_real_calendar

    state = GoogleCalendarState(Clock(NOW))
    rng = random.Random(1)
    seed_google(state, rng, empty=False, now=NOW)
    seed_real_calendar(state, rng, NOW)
    special = {
        e.id: e.etag
        for e in state.calendar("primary").events.values()
        if "eventType" in e.fields or "organizer" in e.fields
    }
    churn = random.Random(5)
    steps = [churn_step(state, churn, NOW) for _ in range(200)]
    assert len(steps) == 200
    events = state.calendar("primary").events
    assert {i: events[i].etag for i in special} == special


def test_the_real_calendar_seed_is_deterministic_and_leaves_the_ordinary_seed_as_it_was():
    from sandbox.app import create_app

    def dump(seed: int, real: bool) -> dict:
        return create_app(
            seed=seed, real_calendar=real, frozen_time=NOW
        ).state.sandbox.google.state_dump()

    real = dump(7, True)
    assert real == dump(7, True) and real != dump(8, True)
    ordinary = dump(7, False)
    extra = {e["id"] for c in real["calendars"] for e in c["events"]} - {
        e["id"] for c in ordinary["calendars"] for e in c["events"]
    }
    assert len(extra) > 20
    for plain, rich in zip(ordinary["calendars"], real["calendars"], strict=True):
        assert plain["events"] == [e for e in rich["events"] if e["id"] not in extra]
