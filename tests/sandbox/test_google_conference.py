"""Conformance: conferenceData and Google Meet through google-api-python-client."""

from __future__ import annotations

import re

import httpx
import pytest

from .google_fixtures import error_of, timed

MEET = re.compile(r"^[a-z]{3}-[a-z]{4}-[a-z]{3}$")
WHEN = timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")


def _request(request_id: str = "req-1", kind: str = "hangoutsMeet") -> dict:
    return {"createRequest": {"requestId": request_id, "conferenceSolutionKey": {"type": kind}}}


def _with_meet(calendar, **extra) -> dict:
    body = {**WHEN, "summary": "Demo", "conferenceData": _request(), **extra}
    return (
        calendar.events().insert(calendarId="primary", body=body, conferenceDataVersion=1).execute()
    )


def test_a_create_request_gives_a_meet_conference(calendar):
    made = _with_meet(calendar)
    data = made["conferenceData"]
    code = data["conferenceId"]
    assert MEET.match(code)
    assert data["createRequest"] == {
        "requestId": "req-1",
        "conferenceSolutionKey": {"type": "hangoutsMeet"},
        "status": {"statusCode": "success"},
    }
    assert data["conferenceSolution"]["key"] == {"type": "hangoutsMeet"}
    assert data["conferenceSolution"]["name"] == "Google Meet"
    video = next(e for e in data["entryPoints"] if e["entryPointType"] == "video")
    assert video == {
        "entryPointType": "video",
        "uri": f"https://meet.google.com/{code}",
        "label": f"meet.google.com/{code}",
    }
    assert made["hangoutLink"] == f"https://meet.google.com/{code}"
    got = calendar.events().get(calendarId="primary", eventId=made["id"]).execute()
    assert got["conferenceData"] == data and got["hangoutLink"] == made["hangoutLink"]


def test_without_the_version_conference_data_is_ignored(calendar):
    body = {**WHEN, "conferenceData": _request()}
    made = calendar.events().insert(calendarId="primary", body=body).execute()
    assert "conferenceData" not in made and "hangoutLink" not in made
    zero = (
        calendar.events().insert(calendarId="primary", body=body, conferenceDataVersion=0).execute()
    )
    assert "conferenceData" not in zero


def test_a_write_without_the_version_keeps_the_conference(calendar):
    made = _with_meet(calendar)
    patched = (
        calendar.events()
        .patch(
            calendarId="primary",
            eventId=made["id"],
            body={"summary": "Renamed", "conferenceData": None},
        )
        .execute()
    )
    assert patched["conferenceData"] == made["conferenceData"]
    body = {**WHEN, "summary": "Updated"}
    updated = (
        calendar.events().update(calendarId="primary", eventId=made["id"], body=body).execute()
    )
    assert updated["hangoutLink"] == made["hangoutLink"]


def test_version_one_patches_repeat_remove_and_renew(calendar):
    made = _with_meet(calendar)
    code = made["conferenceData"]["conferenceId"]

    def patch(body: dict) -> dict:
        call = calendar.events().patch(
            calendarId="primary", eventId=made["id"], body=body, conferenceDataVersion=1
        )
        return call.execute()

    assert patch({"summary": "Kept"})["conferenceData"]["conferenceId"] == code
    again = patch({"conferenceData": _request("req-1")})  # the same request: ignored
    assert again["conferenceData"]["conferenceId"] == code
    renewed = patch({"conferenceData": _request("req-2")})
    assert renewed["conferenceData"]["conferenceId"] != code
    removed = patch({"conferenceData": None})
    assert "conferenceData" not in removed and "hangoutLink" not in removed


def test_conference_data_is_copied_to_another_event(calendar):
    made = _with_meet(calendar)
    copied = {
        k: v
        for k, v in made["conferenceData"].items()
        if k in ("conferenceSolution", "entryPoints", "conferenceId")
    }
    other = (
        calendar.events()
        .insert(
            calendarId="primary", body={**WHEN, "conferenceData": copied}, conferenceDataVersion=1
        )
        .execute()
    )
    assert other["conferenceData"]["conferenceId"] == made["conferenceData"]["conferenceId"]
    assert other["hangoutLink"] == made["hangoutLink"]


@pytest.mark.parametrize(
    "data",
    [
        _request(kind="eventHangout"),
        _request(kind="addOn"),
        {"createRequest": {"conferenceSolutionKey": {"type": "hangoutsMeet"}}},
        {"entryPoints": []},
        {"conferenceSolution": {"key": {"type": "hangoutsMeet"}}, "entryPoints": [{"uri": 5}]},
        "meet",
    ],
)
def test_bad_conference_data_is_400(calendar, data):
    status, _, _ = error_of(
        calendar.events().insert(
            calendarId="primary", body={**WHEN, "conferenceData": data}, conferenceDataVersion=1
        )
    )
    assert status == 400


@pytest.mark.parametrize("value", ["2", "-1", "one"])
def test_a_conference_data_version_out_of_range_is_400(live_sandbox, calendar, value):
    answer = httpx.post(
        live_sandbox.url + "/calendar/v3/calendars/primary/events",
        params={"conferenceDataVersion": value},
        json=WHEN,
        headers={"Authorization": f"Bearer {calendar._http.credentials.token}"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["errors"][0]["location"] == "conferenceDataVersion"


def test_seeded_invitations_carry_meet_links(real_calendar):
    items = real_calendar.events().list(calendarId="primary", maxResults=2500).execute()["items"]
    live = [i for i in items if i["status"] != "cancelled"]
    invitations = [i for i in live if not i["organizer"].get("self")]
    meetings = [i for i in invitations if i["eventType"] == "default"]
    assert len(meetings) >= 5
    for event in meetings:
        assert event["hangoutLink"].startswith("https://meet.google.com/")
        assert MEET.match(event["conferenceData"]["conferenceId"])
