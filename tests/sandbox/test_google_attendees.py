"""Conformance: attendees' `self` and `responseStatus`, invitations from other people (declined
ones too), `maxAttendees` with `attendeesOmitted`, through google-api-python-client."""

from __future__ import annotations

from .google_fixtures import list_all, timed

OWNER = "anna.lindqvist@example.com"
GUESTS = [
    {"email": OWNER, "responseStatus": "accepted"},
    {"email": "karin@nordvik.se", "displayName": "Karin"},
    {"email": "lars@example.com"},
    {"email": "room-4@resource.example.com", "resource": True, "responseStatus": "accepted"},
]


def _invitations(calendar) -> list[dict]:
    items, _ = list_all(calendar, calendarId="primary", eventTypes=["default"])
    return [i for i in items if i["status"] != "cancelled" and not i["organizer"].get("self")]


def test_seeded_invitations_are_organized_by_someone_else(real_calendar):
    invitations = _invitations(real_calendar)
    assert len(invitations) >= 6
    for event in invitations:
        organizer = event["organizer"]
        assert "self" not in organizer and organizer["email"] != OWNER
        assert event["creator"] == organizer
        (mine,) = [a for a in event["attendees"] if a.get("self")]
        assert mine["email"] == OWNER
        (theirs,) = [a for a in event["attendees"] if a.get("organizer")]
        assert theirs["email"] == organizer["email"] and "self" not in theirs
    responses = [
        next(a for a in e["attendees"] if a.get("self"))["responseStatus"] for e in invitations
    ]
    assert responses.count("declined") == 2
    assert set(responses) == {"accepted", "declined", "tentative", "needsAction"}


def test_my_response_is_kept_and_changed_on_my_copy(real_calendar):
    event = next(
        e
        for e in _invitations(real_calendar)
        if next(a for a in e["attendees"] if a.get("self"))["responseStatus"] == "needsAction"
    )
    mine = next(a for a in event["attendees"] if a.get("self"))
    answer = (
        real_calendar.events()
        .patch(
            calendarId="primary",
            eventId=event["id"],
            body={"attendees": [{**mine, "responseStatus": "declined"}], "attendeesOmitted": True},
        )
        .execute()
    )
    after = {a["email"]: a["responseStatus"] for a in answer["attendees"]}
    assert after[OWNER] == "declined"
    assert len(answer["attendees"]) == len(event["attendees"])  # the others were kept
    assert answer["organizer"] == event["organizer"]


def test_self_and_organizer_flags_on_my_own_event(calendar):
    made = (
        calendar.events()
        .insert(
            calendarId="primary",
            body={**timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"), "attendees": GUESTS},
        )
        .execute()
    )
    assert made["organizer"] == {"email": OWNER, "self": True}
    by_email = {a["email"]: a for a in made["attendees"]}
    assert by_email[OWNER]["self"] is True and by_email[OWNER]["organizer"] is True
    assert by_email["karin@nordvik.se"]["responseStatus"] == "needsAction"
    assert "self" not in by_email["lars@example.com"]
    assert by_email["room-4@resource.example.com"]["resource"] is True


def test_max_attendees_leaves_only_my_entry(calendar):
    made = (
        calendar.events()
        .insert(
            calendarId="primary",
            body={
                **timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"),
                "summary": "Zqmax",
                "attendees": GUESTS,
            },
            maxAttendees=2,
        )
        .execute()
    )
    assert made["attendeesOmitted"] is True
    assert [a["email"] for a in made["attendees"]] == [OWNER]
    got = calendar.events().get(calendarId="primary", eventId=made["id"], maxAttendees=3).execute()
    assert got["attendeesOmitted"] is True and len(got["attendees"]) == 1
    full = calendar.events().get(calendarId="primary", eventId=made["id"], maxAttendees=4).execute()
    assert len(full["attendees"]) == 4 and "attendeesOmitted" not in full
    listed = (
        calendar.events().list(calendarId="primary", q="Zqmax", maxAttendees=1).execute()["items"]
    )
    assert listed[0]["attendeesOmitted"] is True and len(listed[0]["attendees"]) == 1
    # An update of the shortened copy, marked attendeesOmitted, keeps the other guests.
    body = {**got, "summary": "Zqmax renamed"}
    kept = calendar.events().update(calendarId="primary", eventId=made["id"], body=body).execute()
    assert kept["summary"] == "Zqmax renamed" and len(kept["attendees"]) == 4


def test_max_attendees_must_be_positive(live_sandbox, calendar):
    import httpx

    for value in ("0", "-3", "many"):
        answer = httpx.get(
            live_sandbox.url + "/calendar/v3/calendars/primary/events",
            params={"maxAttendees": value},
            headers={"Authorization": f"Bearer {calendar._http.credentials.token}"},
        )
        assert answer.status_code == 400
        assert answer.json()["error"]["errors"][0]["location"] == "maxAttendees"
