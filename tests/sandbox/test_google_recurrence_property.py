"""Property: a series' instances in the sandbox are the ones an independent RFC 5545 expander
(recurring-ical-events on icalendar) finds, over generated rules, starts, zones, RDATEs and
EXDATEs, timed and all-day.

The series goes in through the model's own insert (so Google's validation applies) and comes
out through `instances`, as a client sees it. The expander reads the same recurrence lines
in a VEVENT whose DTSTART carries the event's zone. Local start hours stay between 06 and 20:
what Google does with a start inside a DST gap is not documented, so it is not asserted.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.clock import Clock
from sandbox.google.models import GoogleCalendarState, ListQuery
from sandbox.google.seed import seed_google

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ZONES = ["Europe/Stockholm", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
SPAN = timedelta(days=600)  # compared up to here (inside the sandbox's 2-year horizon)

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def rules(draw, all_day: bool, day: date) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 3))}")
    if freq == "WEEKLY" and draw(st.booleans()):
        picked = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True))
        parts.append("BYDAY=" + ",".join(picked))
    if freq == "MONTHLY" and draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.sampled_from([1, 5, 15, 28, -1]))}")
    end = draw(st.sampled_from(["count", "until", "none"]))
    if end == "count":
        parts.append(f"COUNT={draw(st.integers(1, 12))}")
    elif end == "until":
        # Never before the start: what an UNTIL before DTSTART means is left open.
        until = datetime.combine(day + timedelta(days=draw(st.integers(0, 400))), time(23), UTC)
        parts.append(
            "UNTIL=" + (until.strftime("%Y%m%d") if all_day else until.strftime("%Y%m%dT%H%M%SZ"))
        )
    return "RRULE:" + ";".join(parts)


@st.composite
def series(draw) -> dict:
    all_day = draw(st.booleans())
    zone = draw(st.sampled_from(ZONES))
    day = NOW.date() + timedelta(days=draw(st.integers(5, 60)))
    at = time(draw(st.integers(6, 20)), draw(st.sampled_from([0, 15, 30, 45])))
    rdate_only = draw(st.integers(0, 4)) == 0
    lines = [] if rdate_only else [draw(rules(all_day, day))]
    offsets = st.lists(st.integers(0, 120), max_size=4, unique=True)
    exdates = draw(offsets)
    rdates = draw(st.lists(st.integers(0, 120), min_size=1 if rdate_only else 0, max_size=4))
    for name, extra in (("EXDATE", exdates), ("RDATE", rdates)):
        if not extra:
            continue
        values = [day + timedelta(days=n) for n in extra]
        if all_day:
            lines.append(f"{name};VALUE=DATE:" + ",".join(f"{v:%Y%m%d}" for v in values))
        elif draw(st.booleans()):  # local time in the event's zone
            stamps = [f"{datetime.combine(v, at):%Y%m%dT%H%M%S}" for v in values]
            lines.append(f"{name};TZID={zone}:" + ",".join(stamps))
        else:  # the same instants in UTC
            stamps = [
                f"{datetime.combine(v, at, ZoneInfo(zone)).astimezone(UTC):%Y%m%dT%H%M%SZ}"
                for v in values
            ]
            lines.append(f"{name}:" + ",".join(stamps))
    return {"all_day": all_day, "zone": zone, "day": day, "at": at, "lines": lines}


def _sandbox_starts(case: dict) -> list[datetime | date]:
    """The original starts of the series' instances, as `events.instances` lists them."""
    state = GoogleCalendarState(Clock(NOW))
    seed_google(state, random.Random(1), empty=True, now=NOW)
    day, at, zone = case["day"], case["at"], case["zone"]
    if case["all_day"]:
        when = {
            "start": {"date": day.isoformat()},
            "end": {"date": (day + timedelta(days=1)).isoformat()},
        }
    else:
        begin = datetime.combine(day, at)
        when = {
            "start": {"dateTime": begin.isoformat(), "timeZone": zone},
            "end": {"dateTime": (begin + timedelta(hours=1)).isoformat(), "timeZone": zone},
        }
    ev = state.insert_event("primary", {"summary": "P", **when, "recurrence": case["lines"]})
    page = state.instances("primary", ev.id, ListQuery(max_results=2500), None)
    return [i.original_start for i in page.items]


def _expander_starts(case: dict) -> list[datetime | date]:
    day, at, zone = case["day"], case["at"], case["zone"]
    if case["all_day"]:
        head = [
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
        ]
    else:
        start = datetime.combine(day, at)
        head = [
            f"DTSTART;TZID={zone}:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID={zone}:{start + timedelta(hours=1):%Y%m%dT%H%M%S}",
        ]
    ics = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//calsync//property//EN", "BEGIN:VEVENT"]
        + ["UID:property@calsync", "DTSTAMP:20261125T100000Z", *head, *case["lines"]]
        + ["END:VEVENT", "END:VCALENDAR", ""]
    )
    calendar = icalendar.Calendar.from_ical(ics)
    lo = datetime.combine(day - timedelta(days=1), time())
    hi = datetime.combine(day, time()) + SPAN
    out: list[datetime | date] = []
    for occurrence in recurring_ical_events.of(calendar).between(lo, hi):
        value = occurrence["DTSTART"].dt
        out.append(value.astimezone(UTC) if isinstance(value, datetime) else value)
    return sorted(out)


def _until_span(case: dict, starts: list[datetime | date]) -> list[datetime | date]:
    limit = datetime.combine(case["day"], time(), ZoneInfo(case["zone"])) + SPAN
    if case["all_day"]:
        return sorted(s for s in starts if s < limit.date())
    return sorted(s for s in starts if s < limit)


@PROPERTY
@given(case=series())
def test_instances_match_an_independent_expander(case):
    expected = _until_span(case, _expander_starts(case))
    got = _until_span(case, _sandbox_starts(case))
    assert got == expected, case["lines"]
