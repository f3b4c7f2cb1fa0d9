"""`sendUpdates` honoured: what Google would email, at `GET /_sandbox/google/outbox`."""

from __future__ import annotations

import httpx
import pytest

from .google_fixtures import error_of, timed

OWNER = "anna.lindqvist@example.com"
GUESTS = [
    {"email": OWNER},
    {"email": "karin@nordvik.se"},
    {"email": "lars@example.com"},
    {"email": "room@resource.example.com", "resource": True},
]
BODY = {
    **timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"),
    "summary": "Review",
    "attendees": GUESTS,
}


def outbox(live_sandbox) -> list[dict]:
    answer = httpx.get(live_sandbox.url + "/_sandbox/google/outbox")
    assert answer.status_code == 200
    return answer.json()["messages"]


def test_all_emails_every_guest_but_me_and_rooms(live_sandbox, calendar):
    made = calendar.events().insert(calendarId="primary", body=BODY, sendUpdates="all").execute()
    (message,) = outbox(live_sandbox)
    assert message == {
        "at": message["at"],
        "method": "events.insert",
        "kind": "invitation",
        "calendarId": OWNER,
        "eventId": made["id"],
        "summary": "Review",
        "sendUpdates": "all",
        "from": OWNER,
        "to": ["karin@nordvik.se", "lars@example.com"],
    }


def test_external_only_emails_guests_outside_the_organizers_domain(live_sandbox, calendar):
    calendar.events().insert(calendarId="primary", body=BODY, sendUpdates="externalOnly").execute()
    assert [m["to"] for m in outbox(live_sandbox)] == [["karin@nordvik.se"]]


@pytest.mark.parametrize("params", [{"sendUpdates": "none"}, {}, {"sendNotifications": False}])
def test_none_and_the_default_email_nobody(live_sandbox, calendar, params):
    made = calendar.events().insert(calendarId="primary", body=BODY, **params).execute()
    calendar.events().patch(
        calendarId="primary", eventId=made["id"], body={"summary": "x"}, **params
    ).execute()
    calendar.events().delete(calendarId="primary", eventId=made["id"], **params).execute()
    assert outbox(live_sandbox) == []


def test_updates_invite_new_guests_and_cancel_removed_ones(live_sandbox, calendar):
    made = calendar.events().insert(calendarId="primary", body=BODY).execute()
    guests = [GUESTS[0], GUESTS[1], {"email": "eva@brightwater.com"}]
    calendar.events().patch(
        calendarId="primary", eventId=made["id"], body={"attendees": guests}, sendUpdates="all"
    ).execute()
    calendar.events().delete(
        calendarId="primary", eventId=made["id"], sendNotifications=True
    ).execute()
    messages = outbox(live_sandbox)
    assert [(m["method"], m["kind"], m["to"]) for m in messages] == [
        ("events.patch", "update", ["karin@nordvik.se"]),
        ("events.patch", "invitation", ["eva@brightwater.com"]),
        ("events.patch", "cancellation", ["lars@example.com"]),
        ("events.delete", "cancellation", ["karin@nordvik.se", "eva@brightwater.com"]),
    ]
    assert messages[-1]["sendUpdates"] == "all"


def test_events_without_guests_email_nobody_and_reset_empties_the_outbox(live_sandbox, calendar):
    calendar.events().insert(calendarId="primary", body=BODY, sendUpdates="all").execute()
    alone = {k: v for k, v in BODY.items() if k != "attendees"}
    calendar.events().insert(calendarId="primary", body=alone, sendUpdates="all").execute()
    assert len(outbox(live_sandbox)) == 1
    httpx.post(live_sandbox.url + "/_sandbox/reset")
    assert outbox(live_sandbox) == []


def test_a_bad_send_updates_value_is_400(live_sandbox, calendar):
    answer = httpx.post(
        live_sandbox.url + "/calendar/v3/calendars/primary/events",
        params={"sendUpdates": "everyone"},
        json=BODY,
        headers={"Authorization": f"Bearer {calendar._http.credentials.token}"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["errors"][0]["location"] == "sendUpdates"
    status, _, _ = error_of(
        calendar.events().delete(calendarId="primary", eventId="nosuchevent1", sendUpdates="all")
    )
    assert status == 404 and outbox(live_sandbox) == []
