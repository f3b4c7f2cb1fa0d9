"""Conformance: `fields` partial responses for get, list and writes (Google's syntax), and the
400 Google gives for a name the resource does not have."""

from __future__ import annotations

import pytest

from sandbox.google import fields, schema

from .google_fixtures import error_of, timed

BODY = {
    **timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"),
    "summary": "Zqfields",
    "location": "Kungsgatan 5",
    "attendees": [{"email": "anna.lindqvist@example.com"}, {"email": "karin@nordvik.se", "displayName": "Karin"}],
    "extendedProperties": {"private": {"a": "1", "b": "2"}},
}  # fmt: skip


@pytest.fixture
def event(calendar) -> dict:
    return calendar.events().insert(calendarId="primary", body=BODY).execute()


def test_list_with_items_and_next_page_token(calendar, event):
    page = (
        calendar.events()
        .list(calendarId="primary", maxResults=1, fields="items(id,summary,start),nextPageToken")
        .execute()
    )
    assert set(page) == {"items", "nextPageToken"}
    assert set(page["items"][0]) <= {"id", "summary", "start"} and "id" in page["items"][0]
    last = (
        calendar.events()
        .list(calendarId="primary", q="Zqfields", fields="items(id),nextSyncToken")
        .execute()
    )
    assert last == {"items": [{"id": event["id"]}], "nextSyncToken": last["nextSyncToken"]}


def test_nested_parentheses_and_paths(calendar, event):
    got = (
        calendar.events()
        .get(
            calendarId="primary",
            eventId=event["id"],
            fields="id,start(dateTime),attendees(email,responseStatus),extendedProperties/private/a",
        )
        .execute()
    )
    assert got == {
        "id": event["id"],
        "start": {"dateTime": "2026-12-01T11:00:00+01:00"},
        "attendees": [
            {"email": "anna.lindqvist@example.com", "responseStatus": "needsAction"},
            {"email": "karin@nordvik.se", "responseStatus": "needsAction"},
        ],
        "extendedProperties": {"private": {"a": "1"}},
    }
    listed = (
        calendar.events()
        .list(
            calendarId="primary", q="Zqfields", fields="items(attendees(displayName),end/timeZone)"
        )
        .execute()
    )
    assert listed == {"items": [{"attendees": [{}, {"displayName": "Karin"}], "end": {}}]}


def test_writes_answer_the_fields_asked_for(calendar):
    made = calendar.events().insert(calendarId="primary", body=BODY, fields="id,etag").execute()
    assert set(made) == {"id", "etag"}
    patched = (
        calendar.events()
        .patch(calendarId="primary", eventId=made["id"], body={"summary": "x"}, fields="summary")
        .execute()
    )
    assert patched == {"summary": "x"}


def test_a_wildcard_selects_everything_at_its_level(calendar, event):
    got = calendar.events().get(calendarId="primary", eventId=event["id"], fields="*").execute()
    assert got == calendar.events().get(calendarId="primary", eventId=event["id"]).execute()
    items = calendar.events().list(calendarId="primary", q="Zqfields", fields="items(*)").execute()
    assert items["items"][0]["id"] == event["id"] and set(items) == {"items"}


@pytest.mark.parametrize(
    ("selection", "bad"),
    [
        ("items(id,colour)", "colour"),
        ("kind,bogus", "bogus"),
        ("items(start(hour))", "hour"),
        ("summary(text)", "summary"),
        ("items(", "items("),
        ("items(id))", ")"),
        ("items/", "items/"),
        ("", None),
    ],
)
def test_unknown_or_malformed_selections_are_400(calendar, selection, bad):
    call = calendar.events().list(calendarId="primary", fields=selection)
    if bad is None:  # an empty selection is no selection
        assert "kind" in call.execute()
        return
    status, reason, err = error_of(call)
    assert (status, reason) == (400, "invalidParameter")
    assert err["errors"][0]["location"] == "fields"
    assert err["message"].startswith("Invalid field selection")


def test_calendar_list_and_calendars_take_fields_too(calendar):
    entries = calendar.calendarList().list(fields="items(id,accessRole)").execute()
    assert all(set(e) == {"id", "accessRole"} for e in entries["items"])
    primary = calendar.calendars().get(calendarId="primary", fields="timeZone").execute()
    assert primary == {"timeZone": "Europe/Stockholm"}


def test_the_parser_merges_repeated_and_overlapping_selections():
    parsed = fields.parse("items(id),items(start/date),items/start,kind", schema.EVENTS)
    assert parsed == {"items": {"id": None, "start": None}, "kind": None}
    assert fields.apply({"a": [{"b": 1, "c": 2}], "d": 3}, {"a": {"b": None}}) == {"a": [{"b": 1}]}
