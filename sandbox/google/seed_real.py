"""A primary calendar as a real one looks since 2024 (`create_app(real_calendar=True)`).

On top of the ordinary seed: a working location on every working day (home Mondays and
Fridays, the office Tuesday to Thursday, one moved day, one custom place), out-of-office
blocks (a holiday week, an appointment, a past sick day), focus time (twice a week and once
alone), birthdays of contacts (with their `contact`), the user's own and an anniversary,
events Gmail made from flight, hotel and restaurant mails, and invitations from other people
with Google Meet links, the user's response varying (two declined). Everything is drawn
from the seed's random source after the ordinary seed, so that seed is unchanged.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .. import fakedata as fd
from . import conference
from .models import GoogleCalendarState, Write, new_id
from .recurrence import instance_suffix
from .seed import HOME, _all_day, _local, _monday, _person, _timed, _title

GMAIL = {"email": "unknownorganizer@calendar.google.com", "displayName": "Unknown Organizer"}
SEEDING = Write(seeding=True)


def _meet(rng: random.Random) -> dict:
    """A conferenceData create request for Google Meet (the client's side of it)."""
    key = {"type": conference.MEET}
    return {"createRequest": {"requestId": new_id(rng, 12), "conferenceSolutionKey": key}}


def _years_ago(day: date, years: int) -> date:
    if (day.month, day.day) == (2, 29):
        day = day.replace(day=28)
    return day.replace(year=day.year - years)


def _add(state: GoogleCalendarState, rng: random.Random, body: dict, how: Write = SEEDING) -> str:
    return state.insert_event("primary", {"id": new_id(rng), **body}, how).id


def seed_real_calendar(state: GoogleCalendarState, rng: random.Random, now: datetime) -> None:
    _working_locations(state, rng, now)
    _out_of_office(state, rng, now)
    _focus_time(state, rng, now)
    _birthdays(state, rng, now)
    _from_gmail(state, rng, now)
    _invitations(state, rng, now)


def _working_locations(state: GoogleCalendarState, rng: random.Random, now: datetime) -> None:
    first = _monday(now, -5)  # the schedule was set five weeks ago and goes on
    status = {"visibility": "public", "transparency": "transparent"}
    home = {"eventType": "workingLocation", **status}
    _add(
        state,
        rng,
        {
            **home,
            "summary": "Home",
            "workingLocationProperties": {"type": "homeOffice", "homeOffice": {}},
            **_all_day(now, first),
            "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO,FR"],
        },
    )
    office_props = {
        "type": "officeLocation",
        "officeLocation": {"label": "Kontoret, Stockholm", "buildingId": "sthlm-hq"},
    }
    office = _add(
        state,
        rng,
        {
            **home,
            "summary": "Kontoret, Stockholm",
            "workingLocationProperties": office_props,
            **_all_day(now, first + 1),
            "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU,WE,TH"],
        },
    )
    # Next week's Wednesday from home instead.
    wednesday = now.astimezone(ZoneInfo(HOME)).date() + timedelta(days=_monday(now, 1) + 2)
    state.patch_event(
        "primary",
        f"{office}_{instance_suffix(wednesday)}",
        {"summary": "Home", "workingLocationProperties": {"type": "homeOffice", "homeOffice": {}}},
    )
    _add(
        state,
        rng,
        {
            **home,
            "summary": "Göteborg",
            "workingLocationProperties": {
                "type": "customLocation",
                "customLocation": {"label": "Göteborg (Nordic Sales Summit)"},
            },
            **_all_day(now, 25),
        },
    )


def _blocked(start: datetime, end: datetime, tz: str = HOME) -> dict:
    return {
        "start": {"dateTime": start.isoformat(), "timeZone": tz},
        "end": {"dateTime": end.isoformat(), "timeZone": tz},
    }


def _out_of_office(state: GoogleCalendarState, rng: random.Random, now: datetime) -> None:
    ooo = {"eventType": "outOfOffice"}
    _add(
        state,
        rng,
        {
            **ooo,
            "summary": "Semester",
            "outOfOfficeProperties": {
                "autoDeclineMode": "declineAllConflictingInvitations",
                "declineMessage": "Jag har semester och svarar när jag är tillbaka.",
            },
            **_blocked(_local(now, 40, 0), _local(now, 45, 0)),
        },
    )
    _add(
        state,
        rng,
        {
            **ooo,
            "summary": "Läkarbesök",
            "outOfOfficeProperties": {
                "autoDeclineMode": "declineOnlyNewConflictingInvitations",
                "declineMessage": "Borta på eftermiddagen.",
            },
            **_blocked(_local(now, 3, 13), _local(now, 3, 15)),
        },
    )
    _add(
        state,
        rng,
        {
            **ooo,
            "summary": "Sjuk",
            "outOfOfficeProperties": {"autoDeclineMode": "declineNone"},
            **_blocked(_local(now, -10, 8), _local(now, -10, 17)),
        },
    )


def _focus_time(state: GoogleCalendarState, rng: random.Random, now: datetime) -> None:
    props = {
        "autoDeclineMode": "declineOnlyNewConflictingInvitations",
        "chatStatus": "doNotDisturb",
        "declineMessage": "Fokustid: jag återkommer.",
    }
    tuesday = _local(now, _monday(now, -3) + 1, 8)
    _add(
        state,
        rng,
        {
            "eventType": "focusTime",
            "summary": "Fokustid",
            "focusTimeProperties": props,
            **_blocked(tuesday, tuesday + timedelta(hours=2)),
            "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU,TH"],
        },
    )
    _add(
        state,
        rng,
        {
            "eventType": "focusTime",
            "summary": "Fokus: offertarbete",
            "focusTimeProperties": {**props, "chatStatus": "available"},
            **_blocked(_local(now, 5, 13), _local(now, 5, 16)),
        },
    )


def _birthdays(state: GoogleCalendarState, rng: random.Random, now: datetime) -> None:
    yearly = ["RRULE:FREQ=YEARLY"]
    shown = {"eventType": "birthday", "visibility": "private", "transparency": "transparent"}
    today = now.astimezone(ZoneInfo(HOME)).date()
    for offset in rng.sample(range(2, 340), 5):
        name = f"{rng.choice(fd.FIRST_NAMES)} {rng.choice(fd.LAST_NAMES)}"
        day = _years_ago(today + timedelta(days=offset), rng.randrange(1, 40))
        contact = f"people/c{rng.randrange(10**17, 10**18)}"
        _add(
            state,
            rng,
            {
                **shown,
                "summary": f"{name}s födelsedag",
                "birthdayProperties": {"type": "birthday", "contact": contact},
                "start": {"date": day.isoformat()},
                "end": {"date": (day + timedelta(days=1)).isoformat()},
                "recurrence": yearly,
            },
        )
    own = date(1988, 2, 29)  # a leap-day birthday: the last day of February other years
    _add(
        state,
        rng,
        {
            **shown,
            "summary": "Happy birthday!",
            "birthdayProperties": {"type": "self"},
            "start": {"date": own.isoformat()},
            "end": {"date": "1988-03-01"},
            "recurrence": ["RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"],
        },
    )
    wedding = _years_ago(today + timedelta(days=61), 11)
    _add(
        state,
        rng,
        {
            **shown,
            "summary": "Bröllopsdag: Lars & Maria",
            "birthdayProperties": {
                "type": "anniversary",
                "contact": f"people/c{rng.randrange(10**17, 10**18)}",
            },
            "start": {"date": wedding.isoformat()},
            "end": {"date": (wedding + timedelta(days=1)).isoformat()},
            "recurrence": yearly,
        },
    )


def _from_gmail(state: GoogleCalendarState, rng: random.Random, now: datetime) -> None:
    gmail = Write(seeding=True, organizer=GMAIL)
    mail = {"eventType": "fromGmail", "visibility": "private"}
    code = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
    source = {"title": "Your SAS booking", "url": f"https://mail.google.com/mail?extsrc=sync&client=h&plid={rng.getrandbits(64):x}"}  # fmt: skip
    out = _local(now, 20, 7, 5)
    land = out + timedelta(hours=2, minutes=40)
    _add(
        state,
        rng,
        {
            **mail,
            "summary": "Flight to London (SK 1525)",
            "location": "Stockholm Arlanda Airport ARN",
            "description": f"SAS flight SK 1525, confirmation {code}.",
            "source": source,
            "start": {"dateTime": out.isoformat(), "timeZone": HOME},
            "end": {
                "dateTime": land.astimezone(ZoneInfo("Europe/London")).isoformat(),
                "timeZone": "Europe/London",
            },
        },
        gmail,
    )
    back = _local(now, 21, 18, 40, tz="Europe/London")
    _add(
        state,
        rng,
        {
            **mail,
            "summary": "Flight to Stockholm (SK 1530)",
            "location": "London Heathrow Airport LHR",
            "description": f"SAS flight SK 1530, confirmation {code}.",
            "source": source,
            "start": {"dateTime": back.isoformat(), "timeZone": "Europe/London"},
            "end": {
                "dateTime": (back + timedelta(hours=2, minutes=25))
                .astimezone(ZoneInfo(HOME))
                .isoformat(),
                "timeZone": HOME,
            },
        },
        gmail,
    )
    _add(
        state,
        rng,
        {
            **mail,
            "summary": "Stay at The Hoxton, Holborn",
            "location": "199-206 High Holborn, London",
            "transparency": "transparent",
            **_all_day(now, 20),
        },
        gmail,
    )
    _add(
        state,
        rng,
        {
            **mail,
            "summary": "Reservation at Frantzén",
            "location": "Klara Norra Kyrkogata 26, Stockholm",
            "description": "Table for 4, booked through the restaurant's site.",
            **_timed(_local(now, 9, 19), 150, HOME),
        },
        gmail,
    )


def _invitations(state: GoogleCalendarState, rng: random.Random, now: datetime) -> None:
    """Meetings other people organize, with Meet links; the user accepted some, declined two."""
    for days, hour, response in (
        (1, 10, "accepted"),
        (4, 14, "declined"),
        (8, 9, "tentative"),
        (13, 15, "needsAction"),
        (-3, 11, "declined"),
        (17, 13, "accepted"),
    ):
        name, email = _person(rng)
        organizer = {"email": email, "displayName": name}
        guests = [{"email": email, "displayName": name, "responseStatus": "accepted"}]
        guests.append({"email": state.owner_email, "responseStatus": response})
        for _ in range(rng.randrange(0, 3)):
            other, other_email = _person(rng)
            guests.append({"email": other_email, "displayName": other, "responseStatus": rng.choice(["accepted", "needsAction"])})  # fmt: skip
        body = {
            "summary": _title(rng),
            "attendees": guests,
            "conferenceData": _meet(rng),
            **_timed(_local(now, days, hour), rng.choice([30, 45, 60])),
        }
        _add(state, rng, body, Write(conference_version=1, seeding=True, organizer=organizer))
    name, email = _person(rng)
    weekly = {
        "summary": f"Weekly sync: {fd.COMPANIES[6][0]}",
        "attendees": [
            {"email": email, "displayName": name, "responseStatus": "accepted"},
            {"email": state.owner_email, "responseStatus": "accepted"},
        ],
        "conferenceData": _meet(rng),
        **_timed(_local(now, _monday(now, -1) + 3, 15, tz="Europe/London"), 30, "Europe/London"),
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TH"],
    }
    _add(
        state,
        rng,
        weekly,
        Write(conference_version=1, seeding=True, organizer={"email": email, "displayName": name}),
    )
