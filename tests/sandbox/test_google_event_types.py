"""Conformance: Google's event types through google-api-python-client: the seeded real calendar,
the `eventTypes` filter, and the creation and change rules Google enforces for each type."""

from __future__ import annotations

import httpx
import pytest
from googleapiclient.http import BatchHttpRequest

from .google_fixtures import TZ, all_day, error_of, list_all, timed

TYPES = {"default", "birthday", "focusTime", "fromGmail", "outOfOffice", "workingLocation"}
WINDOW = {"timeMin": "2026-10-26T00:00:00Z", "timeMax": "2027-11-25T00:00:00Z"}
TEAM = "c_7k2m9q4s1t8v3r6p0n5l2j4h6f@group.calendar.google.com"
FOCUS = {
    "eventType": "focusTime",
    "focusTimeProperties": {"chatStatus": "doNotDisturb", "autoDeclineMode": "declineNone"},
}
OOO = {
    "eventType": "outOfOffice",
    "outOfOfficeProperties": {
        "autoDeclineMode": "declineAllConflictingInvitations",
        "declineMessage": "Away",
    },
}
HOME = {
    "eventType": "workingLocation",
    "visibility": "public",
    "transparency": "transparent",
    "workingLocationProperties": {"type": "homeOffice", "homeOffice": {}},
}
BIRTHDAY = {
    "eventType": "birthday",
    "visibility": "private",
    "transparency": "transparent",
    "recurrence": ["RRULE:FREQ=YEARLY"],
    "birthdayProperties": {"type": "birthday"},
}


def _insert(calendar, body: dict, calendar_id: str = "primary") -> dict:
    return calendar.events().insert(calendarId=calendar_id, body=body).execute()


def _refusal(calendar, body: dict, calendar_id: str = "primary") -> str:
    status, reason, err = error_of(calendar.events().insert(calendarId=calendar_id, body=body))
    assert (status, reason, err["errors"][0]["domain"]) == (400, "eventTypeRestriction", "calendar")
    return err["message"]


def _seeded(calendar, kind: str) -> list[dict]:
    return calendar.events().list(calendarId="primary", eventTypes=[kind]).execute()["items"]


# --- the seeded real calendar and the filter ----------------------------------------------
def test_without_the_filter_every_type_is_listed(real_calendar):
    items = list_all(real_calendar, calendarId="primary", singleEvents=True, **WINDOW)[0]
    kinds = [i["eventType"] for i in items]
    assert set(kinds) == TYPES
    # A working location on every working day of the window, a few of the others.
    days = {i["start"].get("date") for i in items if i["eventType"] == "workingLocation"}
    assert len(days) > 250
    assert 2 <= kinds.count("outOfOffice") <= 5 and kinds.count("fromGmail") >= 3
    assert kinds.count("birthday") >= 5 and kinds.count("focusTime") > 50


def test_the_filter_takes_one_or_more_types(real_calendar):
    only = list_all(real_calendar, calendarId="primary", eventTypes=["outOfOffice"])[0]
    assert only and {i["eventType"] for i in only} == {"outOfOffice"}
    two = list_all(
        real_calendar,
        calendarId="primary",
        singleEvents=True,
        eventTypes=["default", "focusTime"],
        **WINDOW,
    )[0]
    assert {i["eventType"] for i in two} == {"default", "focusTime"}


def test_the_filter_applies_to_incremental_lists(real_calendar):
    _, token = list_all(real_calendar, calendarId="primary", eventTypes=["focusTime"])
    _insert(real_calendar, timed("2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z"))
    made = _insert(
        real_calendar, {**FOCUS, **timed("2026-12-03T08:00:00Z", "2026-12-03T10:00:00Z")}
    )
    changes, _ = list_all(
        real_calendar, calendarId="primary", eventTypes=["focusTime"], syncToken=token
    )
    assert [c["id"] for c in changes] == [made["id"]]


def test_an_unknown_type_in_the_filter_is_400(real_sandbox, real_calendar):
    token = real_calendar._http.credentials.token
    answer = httpx.get(
        real_sandbox.url + "/calendar/v3/calendars/primary/events",
        params={"eventTypes": "holiday"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["errors"][0]["location"] == "eventTypes"


def test_seeded_types_carry_their_properties(real_calendar):
    (wl, *_) = [i for i in _seeded(real_calendar, "workingLocation") if "recurrence" in i]
    assert wl["workingLocationProperties"]["type"] in ("homeOffice", "officeLocation")
    assert wl["visibility"] == "public" and wl["transparency"] == "transparent"
    assert "date" in wl["start"]
    (custom,) = [
        i
        for i in _seeded(real_calendar, "workingLocation")
        if i["workingLocationProperties"]["type"] == "customLocation"
    ]
    assert custom["workingLocationProperties"]["customLocation"]["label"].startswith("Göteborg")
    ooo = _seeded(real_calendar, "outOfOffice")[0]
    assert "dateTime" in ooo["start"] and ooo["outOfOfficeProperties"]["autoDeclineMode"]
    focus = _seeded(real_calendar, "focusTime")[0]
    assert focus["focusTimeProperties"]["chatStatus"] in ("available", "doNotDisturb")
    birthdays = _seeded(real_calendar, "birthday")
    assert all(b["recurrence"][0].startswith("RRULE:FREQ=YEARLY") for b in birthdays)
    assert all("date" in b["start"] and b["visibility"] == "private" for b in birthdays)
    kinds = {b["birthdayProperties"]["type"] for b in birthdays}
    assert kinds == {"birthday", "self", "anniversary"}
    assert any(b["birthdayProperties"].get("contact", "").startswith("people/c") for b in birthdays)
    gmail = _seeded(real_calendar, "fromGmail")
    assert {g["organizer"]["email"] for g in gmail} == {"unknownorganizer@calendar.google.com"}
    flight = next(g for g in gmail if g["summary"].startswith("Flight to London"))
    assert flight["start"]["timeZone"] == TZ and flight["end"]["timeZone"] == "Europe/London"


def test_an_event_without_a_type_is_default(calendar):
    made = _insert(calendar, timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"))
    assert made["eventType"] == "default"
    again = _insert(
        calendar, {"eventType": "default", **timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")}
    )
    assert again["eventType"] == "default"


# --- creation rules -----------------------------------------------------------------------
def test_status_events_are_made_on_the_primary_calendar(calendar):
    focus = _insert(calendar, {**FOCUS, **timed("2026-12-01T08:00:00", "2026-12-01T10:00:00", TZ)})
    assert (
        focus["eventType"] == "focusTime"
        and focus["focusTimeProperties"] == FOCUS["focusTimeProperties"]
    )
    assert "transparency" not in focus  # opaque
    ooo = _insert(calendar, {**OOO, **timed("2026-12-07T00:00:00", "2026-12-12T00:00:00", TZ)})
    assert ooo["outOfOfficeProperties"]["declineMessage"] == "Away"
    home = _insert(calendar, {**HOME, **all_day("2026-12-02", "2026-12-03")})
    assert home["workingLocationProperties"]["type"] == "homeOffice"
    office = {
        **HOME,
        "workingLocationProperties": {"type": "officeLocation", "officeLocation": {"label": "HQ"}},
    }
    made = _insert(calendar, {**office, **timed("2026-12-03T08:00:00", "2026-12-03T12:00:00", TZ)})
    assert made["workingLocationProperties"]["officeLocation"] == {"label": "HQ"}
    for body in (FOCUS, OOO, HOME):
        when = timed("2026-12-04T08:00:00Z", "2026-12-04T09:00:00Z")
        assert "primary calendar" in _refusal(calendar, {**body, **when}, TEAM)


BAD = {
    "focus time all day": {**FOCUS, **all_day("2026-12-01", "2026-12-02")},
    "focus time transparent": {**FOCUS, "transparency": "transparent", **timed("2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z")},
    "focus time without properties": {"eventType": "focusTime", **timed("2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z")},
    "focus time with guests": {**FOCUS, "attendees": [{"email": "a@b.se"}], **timed("2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z")},
    "out of office all day": {**OOO, **all_day("2026-12-01", "2026-12-03")},
    "out of office transparent": {**OOO, "transparency": "transparent", **timed("2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z")},
    "working location of two days": {**HOME, **all_day("2026-12-01", "2026-12-03")},
    "working location not public": {**HOME, "visibility": "default", **all_day("2026-12-01", "2026-12-02")},
    "working location opaque": {**HOME, "transparency": "opaque", **all_day("2026-12-01", "2026-12-02")},
    "working location without properties": {"eventType": "workingLocation", "visibility": "public", "transparency": "transparent", **all_day("2026-12-01", "2026-12-02")},
    "birthday not yearly": {**BIRTHDAY, "recurrence": ["RRULE:FREQ=MONTHLY"], **all_day("2026-12-01", "2026-12-02")},
    "birthday timed": {**BIRTHDAY, **timed("2026-12-01T08:00:00", "2026-12-01T09:00:00", TZ)},
    "birthday of two days": {**BIRTHDAY, **all_day("2026-12-01", "2026-12-03")},
    "birthday with a location": {**BIRTHDAY, "location": "Home", **all_day("2026-12-01", "2026-12-02")},
    "birthday as an anniversary": {**BIRTHDAY, "birthdayProperties": {"type": "anniversary"}, **all_day("2026-12-01", "2026-12-02")},
    "birthday with a contact": {**BIRTHDAY, "birthdayProperties": {"type": "birthday", "contact": "people/c1"}, **all_day("2026-12-01", "2026-12-02")},
    "from gmail": {"eventType": "fromGmail", **timed("2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z")},
    "properties of another type": {**OOO, "focusTimeProperties": {}, **timed("2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z")},
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_creation_rules_google_enforces(calendar, case):
    message = _refusal(calendar, BAD[case])
    assert message.startswith("Attempt made to create '")


@pytest.mark.parametrize(
    "body",
    [
        {"eventType": "meeting"},
        {**HOME, "workingLocationProperties": {"type": "boat"}},
        {**HOME, "workingLocationProperties": {"homeOffice": {}}},
        {**FOCUS, "focusTimeProperties": {"chatStatus": "away"}},
        {**OOO, "outOfOfficeProperties": {"autoDeclineMode": "declineSome"}},
        {**OOO, "outOfOfficeProperties": "yes"},
    ],
)
def test_bad_type_values_are_400(calendar, body):
    status, reason, _ = error_of(
        calendar.events().insert(
            calendarId="primary", body={**body, **all_day("2026-12-01", "2026-12-02")}
        )
    )
    assert status == 400 and reason in ("invalid", "required")


def test_a_birthday_can_be_made_and_renamed_not_moved_elsewhere(calendar):
    made = _insert(calendar, {**BIRTHDAY, "summary": "Eva", **all_day("2026-12-01", "2026-12-02")})
    assert made["eventType"] == "birthday" and made["birthdayProperties"] == {"type": "birthday"}
    leap = _insert(
        calendar,
        {
            **BIRTHDAY,
            "recurrence": ["RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"],
            **all_day("2028-02-29", "2028-03-01"),
        },
    )
    assert leap["recurrence"] == ["RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"]
    renamed = (
        calendar.events()
        .patch(calendarId="primary", eventId=made["id"], body={"summary": "Eva B", "colorId": "4"})
        .execute()
    )
    assert (renamed["summary"], renamed["colorId"]) == ("Eva B", "4")
    status, reason, _ = error_of(
        calendar.events().patch(calendarId="primary", eventId=made["id"], body={"location": "x"})
    )
    assert (status, reason) == (400, "eventTypeRestriction")
    calendar.events().delete(calendarId="primary", eventId=made["id"]).execute()


def test_birthdays_from_contacts_cannot_be_changed_or_deleted(real_calendar):
    contact = next(
        b for b in _seeded(real_calendar, "birthday") if b["birthdayProperties"].get("contact")
    )
    for call in (
        real_calendar.events().patch(
            calendarId="primary", eventId=contact["id"], body={"colorId": "3"}
        ),
        real_calendar.events().delete(calendarId="primary", eventId=contact["id"]),
    ):
        status, reason, err = error_of(call)
        assert (status, reason) == (400, "eventTypeRestriction")
        assert err["message"].startswith("Attempt made to modify 'birthday' event")


def test_gmail_events_change_only_in_what_google_allows(real_calendar):
    hotel = next(g for g in _seeded(real_calendar, "fromGmail") if g["summary"].startswith("Stay"))
    changed = (
        real_calendar.events()
        .patch(
            calendarId="primary",
            eventId=hotel["id"],
            body={"colorId": "5", "extendedProperties": {"private": {"seen": "1"}}},
        )
        .execute()
    )
    assert changed["colorId"] == "5" and changed["extendedProperties"]["private"] == {"seen": "1"}
    for patch in (
        {"summary": "Hotel"},
        {"start": {"date": "2026-12-20"}, "end": {"date": "2026-12-21"}},
    ):
        status, reason, err = error_of(
            real_calendar.events().patch(calendarId="primary", eventId=hotel["id"], body=patch)
        )
        assert (status, reason) == (400, "eventTypeRestriction")
        assert "'fromGmail'" in err["message"]


def test_the_type_of_an_event_never_changes(calendar):
    made = _insert(calendar, {**FOCUS, **timed("2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z")})
    status, reason, _ = error_of(
        calendar.events().patch(
            calendarId="primary", eventId=made["id"], body={"eventType": "default"}
        )
    )
    assert (status, reason) == (400, "eventTypeRestriction")
    # An update that leaves eventType out keeps the type.
    body = {**timed("2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"), "summary": "Deep work"}
    body["focusTimeProperties"] = FOCUS["focusTimeProperties"]
    kept = calendar.events().update(calendarId="primary", eventId=made["id"], body=body).execute()
    assert kept["eventType"] == "focusTime" and kept["summary"] == "Deep work"


def test_working_locations_are_refused_through_the_batch_endpoint(live_sandbox, calendar):
    answers: dict[str, object] = {}
    batch = BatchHttpRequest(
        callback=lambda rid, response, exc: answers.__setitem__(rid, exc or response),
        batch_uri=live_sandbox.url + "/batch/calendar/v3",
    )
    batch.add(
        calendar.events().insert(
            calendarId="primary", body={**HOME, **all_day("2026-12-01", "2026-12-02")}
        ),
        request_id="wl",
    )
    batch.add(
        calendar.events().insert(
            calendarId="primary",
            body={**FOCUS, **timed("2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z")},
        ),
        request_id="focus",
    )
    batch.execute()
    assert answers["wl"].resp.status == 400 and b"eventTypeRestriction" in answers["wl"].content
    assert answers["focus"]["eventType"] == "focusTime"
