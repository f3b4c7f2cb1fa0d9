"""sync.when: the one place both front ends format the times a person reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sync.when import TimeView, calendar_zone, zone_name

NOW = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already New Year's Day in Stockholm


@pytest.fixture
def view() -> TimeView:
    return TimeView(calendar_zone("Europe/Stockholm"), NOW)


def test_item_times_are_in_the_calendars_zone_with_a_year_outside_the_current_one(view):
    assert view.today == date(2027, 1, 1)  # the current year is the calendar's: 2027
    assert view.when(datetime(2027, 1, 1, 8, 0, tzinfo=UTC)) == "Fri 1 Jan 09:00"
    assert view.when(datetime(2026, 12, 31, 8, 0, tzinfo=UTC)) == "Thu 31 Dec 2026 09:00"
    assert view.when(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "Fri 1 Jan 00:30"
    assert view.when(date(2027, 11, 20)) == "Sat 20 Nov, all day"
    assert view.when(date(2026, 2, 25)) == "Wed 25 Feb 2026, all day"
    assert view.when(None) == ""


def test_stamps_carry_a_date_unless_today(view):
    assert view.stamp(NOW) == "00:30:00"
    assert view.stamp(NOW, with_date=True) == "1 Jan 00:30:00"
    assert view.stamp(NOW - timedelta(days=1)) == "31 Dec 2026 00:30:00"
    assert view.stamp(datetime(2025, 6, 1, 10, 0, tzinfo=UTC)) == "1 Jun 2025 12:00:00"
    assert view.stamp(None) == "—"


def test_the_zone_is_named_with_the_computers_where_it_differs(monkeypatch):
    import time

    for tz, note in (
        ("UTC", "times in Europe/Stockholm; this computer: UTC"),
        ("Europe/Stockholm", "times in Europe/Stockholm"),
    ):
        monkeypatch.setenv("TZ", tz)
        time.tzset()
        assert TimeView(calendar_zone("Europe/Stockholm"), NOW).zone_note() == note
    monkeypatch.undo()
    time.tzset()


def test_an_unknown_zone_is_utc():
    assert zone_name(calendar_zone("Mars/Olympus")) == zone_name(calendar_zone(None)) == "UTC"
    assert TimeView(UTC, NOW).when(NOW) == "Thu 31 Dec 23:30"
