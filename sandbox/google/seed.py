"""Deterministic Google data: calendars, ~40 events of every kind, bulk events, live churn."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .. import fakedata as fd
from .models import Calendar, GoogleCalendarState, new_id
from .recurrence import instance_suffix

HOME = fd.OWNER_TIME_ZONE
TEAM_ID = "c_7k2m9q4s1t8v3r6p0n5l2j4h6f@group.calendar.google.com"
HOLIDAYS_ID = "en.swedish#holiday@group.v.calendar.google.com"
# (month, day, name): fixed-date Swedish public holidays.
HOLIDAYS = [
    (1, 1, "Nyårsdagen"),
    (1, 6, "Trettondedag jul"),
    (5, 1, "Första maj"),
    (6, 6, "Sveriges nationaldag"),
    (12, 24, "Julafton"),
    (12, 25, "Juldagen"),
    (12, 26, "Annandag jul"),
    (12, 31, "Nyårsafton"),
]


def _local(now: datetime, days: int, hour: int, minute: int = 0, tz: str = HOME) -> datetime:
    """Wall-clock time `days` after today in tz."""
    zone = ZoneInfo(tz)
    day = now.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), zone)


def _timed(start: datetime, minutes: int, tz: str | None = None) -> dict:
    end = start + timedelta(minutes=minutes)
    if tz is None:
        return {"start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()}}
    return {
        "start": {"dateTime": start.isoformat(), "timeZone": tz},
        "end": {"dateTime": end.isoformat(), "timeZone": tz},
    }


def _all_day(now: datetime, days: int, length: int = 1) -> dict:
    first = now.astimezone(ZoneInfo(HOME)).date() + timedelta(days=days)
    return {
        "start": {"date": first.isoformat()},
        "end": {"date": (first + timedelta(days=length)).isoformat()},
    }


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(fd.FIRST_NAMES), rng.choice(fd.LAST_NAMES)
    _company, domain = rng.choice(fd.COMPANIES)
    email = f"{first}.{last}@{domain}".lower()
    email = email.translate(str.maketrans("åäöé", "aaoe"))
    return f"{first} {last}", email


def _attendees(rng: random.Random, n: int) -> list[dict]:
    out = [{"email": fd.OWNER_EMAIL, "responseStatus": "accepted"}]
    for _ in range(n):
        name, email = _person(rng)
        out.append(
            {
                "email": email,
                "displayName": name,
                "responseStatus": rng.choice(["needsAction", "accepted", "tentative", "declined"]),
            }
        )
    return out


def _title(rng: random.Random) -> str:
    subject = rng.choice(fd.MEETING_SUBJECTS)
    if subject.endswith("with"):
        return f"{subject} {rng.choice(fd.FIRST_NAMES)}"
    return f"{subject}: {rng.choice(fd.COMPANIES)[0]}"


def _place(rng: random.Random) -> str:
    return f"{rng.choice(fd.STREETS)}, {rng.choice(fd.PLACES)[0]}"


def seed_google(
    state: GoogleCalendarState, rng: random.Random, *, empty: bool, now: datetime
) -> None:
    """Calendars always; unless empty, ~40 events of every kind around now."""
    state.add_calendar(
        Calendar(
            id=state.owner_email,
            summary=state.owner_email,
            time_zone=HOME,
            access_role="owner",
            primary=True,
            color_id="14",
            background_color="#9fe1e7",
        )
    )
    state.add_calendar(
        Calendar(
            id=TEAM_ID,
            summary="Team",
            description="Shared team calendar of Lindqvist Sales AB",
            time_zone=HOME,
            access_role="writer",
            color_id="9",
            background_color="#7bd148",
        )
    )
    holidays = state.add_calendar(
        Calendar(
            id=HOLIDAYS_ID,
            summary="Holidays in Sweden",
            description="Holidays and Observances in Sweden",
            time_zone=HOME,
            access_role="reader",
            color_id="8",
            background_color="#16a765",
        )
    )
    if empty:
        return
    _seed_holidays(state, holidays, rng, now)
    _seed_primary(state, rng, now)
    _seed_team(state, rng, now)


def _seed_holidays(
    state: GoogleCalendarState, cal: Calendar, rng: random.Random, now: datetime
) -> None:
    lo, hi = (now - timedelta(days=30)).date(), (now + timedelta(days=365)).date()
    for year in (now.year, now.year + 1):
        for month, day, name in HOLIDAYS:
            when = date(year, month, day)
            if lo <= when <= hi:
                fields = {"summary": name, "transparency": "transparent", "visibility": "public"}
                state.add_seeded(cal, new_id(rng), fields, when, when + timedelta(days=1))


def _insert(state: GoogleCalendarState, rng: random.Random, cal_id: str, body: dict) -> str:
    body = {"id": new_id(rng), **body}
    return state.insert_event(cal_id, body).id


def _seed_primary(state: GoogleCalendarState, rng: random.Random, now: datetime) -> None:
    p = "primary"
    # Ordinary timed meetings, some with guests and descriptions.
    for _ in range(14):
        start = _local(now, rng.randrange(-30, 120), rng.randrange(8, 17), rng.choice([0, 15, 30]))
        body = {"summary": _title(rng), **_timed(start, rng.choice([30, 45, 60, 90]))}
        if rng.random() < 0.6:
            body["location"] = _place(rng)
        if rng.random() < 0.5:
            body["attendees"] = _attendees(rng, rng.randrange(1, 4))
        if rng.random() < 0.4:
            body["description"] = f"Agenda: {rng.choice(fd.DEAL_TITLES)}. Bring the latest figures."
        _insert(state, rng, p, body)
    # Other time zones, with the event's own timeZone.
    for city, tz, days, hour in (
        ("New York", "America/New_York", 12, 10),
        ("London", "Europe/London", 20, 14),
        ("Tokyo", "Asia/Tokyo", 45, 9),
        ("San Francisco", "America/Los_Angeles", 70, 11),
    ):
        body = {"summary": f"{_title(rng)} ({city})", "location": city}
        body.update(_timed(_local(now, days, hour, tz=tz), 60, tz))
        body["attendees"] = _attendees(rng, 2)
        _insert(state, rng, p, body)
    # Private, confidential, transparent.
    _insert(
        state,
        rng,
        p,
        {"summary": "Tandläkare", "visibility": "private", **_timed(_local(now, 6, 15), 45)},
    )
    _insert(
        state,
        rng,
        p,
        {
            "summary": "Salary review with Erik",
            "visibility": "confidential",
            "description": "Confidential: compensation",
            **_timed(_local(now, 9, 13), 30),
        },
    )
    _insert(
        state,
        rng,
        p,
        {"summary": "Focus time", "transparency": "transparent", **_timed(_local(now, 2, 8), 120)},
    )
    _insert(
        state,
        rng,
        p,
        {
            "summary": "Past: Partner dinner",
            "location": "Operakällaren, Stockholm",
            **_timed(_local(now, -12, 19), 150),
        },
    )
    # All-day and multi-day.
    _insert(state, rng, p, {"summary": "Offert deadline: Nordvik", **_all_day(now, 4)})
    _insert(
        state,
        rng,
        p,
        {"summary": "Semester", "transparency": "transparent", **_all_day(now, 40, 5)},
    )
    _insert(
        state,
        rng,
        p,
        {"summary": "Nordic Sales Summit", "location": "Göteborg", **_all_day(now, 25, 2)},
    )
    _insert(
        state,
        rng,
        p,
        {
            "summary": "Trade fair Helsinki",
            "location": "Messukeskus, Helsinki",
            **_timed(_local(now, 60, 9, tz="Europe/Helsinki"), 60 * 32, "Europe/Helsinki"),
        },
    )
    _insert(state, rng, p, {"summary": "Site visit: Lund Biotech", **_all_day(now, -5)})
    # Extended properties (shared), as other apps leave them.
    _insert(
        state,
        rng,
        p,
        {
            "summary": "Webinar: Pipeline hygiene",
            "extendedProperties": {"shared": {"source": "webinar-tool"}},
            **_timed(_local(now, 15, 16), 60),
        },
    )
    _seed_recurring(state, rng, now)


def _monday(now: datetime, weeks: int) -> int:
    """Days from today to the Monday `weeks` weeks from this week's."""
    today = now.astimezone(ZoneInfo(HOME)).date()
    return -today.weekday() + 7 * weeks


def _seed_recurring(state: GoogleCalendarState, rng: random.Random, now: datetime) -> None:
    p = "primary"

    def rec(start: datetime, minutes: int, rules: list[str], tz: str = HOME, **extra) -> str:
        body = {**extra, **_timed(start, minutes, tz), "recurrence": rules}
        return _insert(state, rng, p, body)

    rec(_local(now, -2, 9), 15, ["RRULE:FREQ=DAILY;COUNT=10"], summary="Daily standup")
    weekly_start = _local(now, _monday(now, -2), 10)
    exdate = (weekly_start + timedelta(days=14)).strftime("%Y%m%dT%H%M%S")
    weekly = rec(
        weekly_start,
        60,
        ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR", f"EXDATE;TZID={HOME}:{exdate}"],
        summary="Sales sync",
        location="Konferensrum Vasa",
        attendees=_attendees(rng, 3),
    )
    # An edited and a cancelled instance of the weekly series.
    edited = weekly_start + timedelta(days=16)  # a Wednesday
    moved = edited + timedelta(hours=3)
    state.patch_event(
        p,
        f"{weekly}_{instance_suffix(edited.astimezone(UTC))}",
        {
            "summary": "Sales sync (moved)",
            "start": {"dateTime": moved.isoformat(), "timeZone": HOME},
            "end": {"dateTime": (moved + timedelta(hours=1)).isoformat(), "timeZone": HOME},
        },
    )
    cancelled = weekly_start + timedelta(days=18)  # a Friday
    state.delete_event(p, f"{weekly}_{instance_suffix(cancelled.astimezone(UTC))}")
    until = (now + timedelta(days=90)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    rec(
        _local(now, _monday(now, 0) + 3, 14),
        30,
        [f"RRULE:FREQ=WEEKLY;BYDAY=TH;UNTIL={until}"],
        summary="Project check-in: Data platform",
    )
    rec(
        _local(now, _monday(now, -1) + 1, 11),
        30,
        ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"],
        summary="1:1 with Lars",
        visibility="private",
    )
    first_of_month = now.astimezone(ZoneInfo(HOME)).date().replace(day=1)
    days = (first_of_month - now.astimezone(ZoneInfo(HOME)).date()).days
    rec(_local(now, days, 8, 30), 30, ["RRULE:FREQ=MONTHLY;BYMONTHDAY=1"], summary="Monthly report")
    rec(
        _local(now, 3, 9, tz="America/New_York"),
        45,
        ["RRULE:FREQ=WEEKLY;COUNT=8"],
        tz="America/New_York",
        summary="US pipeline call",
        attendees=_attendees(rng, 1),
    )
    birthday = _all_day(now, 33)
    _insert(
        state,
        rng,
        p,
        {
            "summary": "Karins födelsedag",
            **birthday,
            "recurrence": ["RRULE:FREQ=YEARLY"],
            "transparency": "transparent",
        },
    )


def _seed_team(state: GoogleCalendarState, rng: random.Random, now: datetime) -> None:
    for days, hour, title in (
        (1, 13, "Team lunch"),
        (7, 15, "Pipeline review"),
        (14, 10, "Säljmöte"),
        (-7, 16, "After work"),
        (30, 9, "Kvartalsplanering"),
    ):
        _insert(
            state,
            rng,
            TEAM_ID,
            {
                "summary": title,
                "location": "Kontoret, Stockholm",
                **_timed(_local(now, days, hour), 60),
            },
        )


def bulk_events(state: GoogleCalendarState, rng: random.Random, n: int, now: datetime) -> int:
    """n timed/all-day events on the primary calendar inside [now-30d, now+365d], fast."""
    zone = ZoneInfo(HOME)
    today = now.astimezone(zone).date()
    titles = [f"{s}" for s in fd.MEETING_SUBJECTS]
    companies = [c for c, _ in fd.COMPANIES]
    places = [p for p, _ in fd.PLACES]
    with state.lock:
        cal = state.calendar("primary")
        for _ in range(n):
            event_id = new_id(rng)
            while event_id in cal.events:
                event_id = new_id(rng)
            day = today + timedelta(days=rng.randrange(-29, 364))
            fields = {
                "summary": f"{rng.choice(titles)} {rng.choice(companies)}",
                "location": rng.choice(places),
            }
            if rng.random() < 0.15:
                state.add_seeded(cal, event_id, fields, day, day + timedelta(days=1))
                continue
            start = datetime.combine(
                day, time(rng.randrange(7, 18), rng.choice((0, 15, 30, 45))), zone
            )
            start = start.astimezone(UTC)
            end = start + timedelta(minutes=rng.choice((15, 30, 45, 60, 90)))
            state.add_seeded(cal, event_id, fields, start, end)
    return n


def churn_step(state: GoogleCalendarState, rng: random.Random, now: datetime) -> str:
    """One random live edit on the primary calendar: create, move, rename or delete."""
    with state.lock:
        cal = state.calendar("primary")
        lo, hi = now - timedelta(days=1), now + timedelta(days=60)
        candidates = [
            e.id
            for e in cal.events.values()
            if not e.cancelled
            and not e.recurrence
            and not e.recurring_event_id
            and e.end_at > lo
            and e.start_at < hi
            # The user's own ordinary events: Gmail's and others' invitations stay as made.
            and "eventType" not in e.fields
            and "organizer" not in e.fields
        ]
        op = rng.choice(("create", "move", "rename", "delete")) if candidates else "create"
        if op == "create":
            start = _local(now, rng.randrange(0, 30), rng.randrange(8, 17), rng.choice((0, 30)))
            body = {"id": new_id(rng), "summary": _title(rng), **_timed(start, 60)}
            ev = state.insert_event("primary", body)
            return f"google: created {ev.fields['summary']!r} ({ev.id})"
        event_id = rng.choice(candidates)
        ev = cal.events[event_id]
        if op == "delete":
            state.delete_event("primary", event_id)
            return f"google: deleted {ev.fields.get('summary', '')!r} ({event_id})"
        if op == "rename":
            title = _title(rng)
            state.patch_event("primary", event_id, {"summary": title})
            return f"google: renamed {event_id} to {title!r}"
        shift = timedelta(hours=rng.choice((-2, -1, 1, 2, 24, 48)))
        if ev.all_day:
            patch = {
                "start": {"date": (ev.start + timedelta(days=1)).isoformat()},
                "end": {"date": (ev.end + timedelta(days=1)).isoformat()},
            }
        else:
            patch = {
                "start": {"dateTime": (ev.start + shift).isoformat()},
                "end": {"dateTime": (ev.end + shift).isoformat()},
            }
        state.patch_event("primary", event_id, patch)
        return f"google: moved {ev.fields.get('summary', '')!r} ({event_id}) by {shift}"
