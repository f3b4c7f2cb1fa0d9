"""Mapping of meeting links, event types and the owner's response (docs/planner.md,
"Mapping decisions worth knowing"): a Meet link as conferenceData, any other link as our
line, each counted once on read-back; Pipedrive's conference_meeting_url."""

from __future__ import annotations

import dataclasses
import random

import pytest

from sandbox.google import conference
from sandbox.pipedrive.validation import activity_fields
from sync.mapping import (
    BLOCK_MARK,
    google_body,
    item_from_google,
    item_from_pipedrive,
    pipedrive_body,
)
from tests.unit.test_mapping import LINKED, OPTS, activity, gevent

MEET = "https://meet.google.com/abc-defg-hij"
ZOOM = "https://example.zoom.us/j/81234567890?pwd=x1"


def stored(body: dict, old: dict | None = None) -> dict:
    """The event as Google keeps it after a write of `body` with conferenceDataVersion=1
    (the sandbox's own conference rules: the Meet link also becomes hangoutLink)."""
    event = {**(old or gevent()), **{k: v for k, v in body.items() if k != "conferenceData"}}
    if "conferenceData" in body:
        data = conference.apply(
            body["conferenceData"], event.get("conferenceData"), random.Random(1)
        )
        event["conferenceData"] = data
        event["hangoutLink"] = conference.hangout_link(data)
    return {k: v for k, v in event.items() if v is not None}


def test_a_meet_conference_is_the_items_meeting_link():
    meet = conference.meet("abc-defg-hij", "123456789")
    item = item_from_google(gevent(conferenceData=meet, hangoutLink=MEET), "UTC")
    assert item.meeting_url == MEET and item.description == ""
    assert item_from_google(gevent(hangoutLink=MEET), "UTC").meeting_url == MEET
    assert item_from_google(gevent(), "UTC").meeting_url == ""


def test_the_link_counts_once_and_changes_the_fingerprint():
    plain = item_from_google(gevent(), "UTC")
    with_link = dataclasses.replace(plain, meeting_url=MEET)
    assert plain.fingerprint() != with_link.fingerprint()


@pytest.mark.parametrize("url", [MEET, ZOOM])
def test_an_activitys_link_reaches_google_and_reads_back_unchanged(url):
    act = item_from_pipedrive(activity(conference_meeting_url=url, public_description="agenda"))
    assert act.meeting_url == url
    body = google_body(
        act, OPTS.replace(linked_contacts=True), event_id="x", linked=LINKED, origin="pipedrive:42"
    )
    if url == MEET:
        assert body["conferenceData"]["entryPoints"][0]["uri"] == MEET
        assert MEET not in body["description"]
    else:
        assert "conferenceData" not in body  # nothing to remove on a new event
        assert body["description"].count(url) == 1
        assert body["description"].index(url) < body["description"].index(BLOCK_MARK)
    back = item_from_google(stored(body), "UTC")
    assert back.meeting_url == url and back.description == "agenda"
    assert back.fingerprint() == act.fingerprint()


def test_a_patch_leaves_an_unchanged_conference_alone_and_replaces_a_changed_one():
    act = item_from_pipedrive(activity(conference_meeting_url=MEET))
    assert "conferenceData" not in google_body(
        act, OPTS, event_id=None, linked=None, origin=None, event_meeting=MEET
    )
    new = google_body(act, OPTS, event_id=None, linked=None, origin=None, event_meeting=ZOOM)
    assert new["conferenceData"]["conferenceId"] == "abc-defg-hij"
    zoom = dataclasses.replace(act, meeting_url=ZOOM)
    away = google_body(zoom, OPTS, event_id=None, linked=None, origin=None, event_meeting=MEET)
    assert away["conferenceData"] is None and ZOOM in away["description"]
    gone = dataclasses.replace(act, meeting_url="")
    removed = google_body(gone, OPTS, event_id=None, linked=None, origin=None, event_meeting=MEET)
    assert removed["conferenceData"] is None and "calsync: meeting" not in removed["description"]
    unknown = google_body(act, OPTS, event_id=None, linked=None, origin=None, event_meeting=None)
    assert unknown["conferenceData"]["entryPoints"][0]["uri"] == MEET
    assert "conferenceData" not in google_body(
        act, OPTS, event_id=None, linked=None, origin=None, only_time=True
    )


def test_a_link_edited_in_our_line_on_google_is_read():
    body = google_body(
        item_from_pipedrive(activity(conference_meeting_url=ZOOM)),
        OPTS,
        event_id="x",
        linked=None,
        origin="pipedrive:42",
    )
    edited = body["description"].replace(ZOOM, "https://example.zoom.us/j/999")
    item = item_from_google(stored({**body, "description": edited}), "UTC")
    assert item.meeting_url == "https://example.zoom.us/j/999" and item.description == "agenda"


def test_pipedrive_bodies_carry_the_link_and_pipedrive_takes_them():
    event = item_from_google(gevent(hangoutLink=MEET), "UTC")
    body = pipedrive_body(event, OPTS, marker="calsync:ev1")
    assert body["conference_meeting_url"] == MEET
    assert activity_fields(body)["conference_meeting_url"] == MEET
    private = dataclasses.replace(event, private=True)
    assert (
        pipedrive_body(private, OPTS.replace(private="busy"), marker="m")["conference_meeting_url"]
        is None
    )
    long = dataclasses.replace(event, meeting_url="https://x.example/" + "a" * 3000)
    assert pipedrive_body(long, OPTS, marker="m")["conference_meeting_url"] is None


def test_event_type_and_the_owners_response_are_read():
    me = {"email": "anna@example.com", "self": True, "responseStatus": "declined"}
    other = {"email": "erik@nordvik.se", "responseStatus": "accepted"}
    item = item_from_google(gevent(eventType="focusTime", attendees=[me, other]), "UTC")
    assert item.event_type == "focusTime" and item.declined
    assert [a.email for a in item.attendees] == ["erik@nordvik.se"]
    assert not item_from_google(
        gevent(attendees=[{**me, "responseStatus": "tentative"}]), "UTC"
    ).declined
    assert not item_from_google(
        gevent(attendees=[{**other, "responseStatus": "declined"}]), "UTC"
    ).declined
    assert item_from_google(gevent(), "UTC").event_type == "default"


@pytest.mark.parametrize("event_type", ["outOfOffice", "focusTime"])
def test_blocks_are_imported_as_busy_time(event_type):
    block = item_from_google(gevent(eventType=event_type, transparency="transparent"), "UTC")
    assert pipedrive_body(block, OPTS, marker="m")["busy"] is True
    plain = item_from_google(gevent(transparency="transparent"), "UTC")
    assert pipedrive_body(plain, OPTS, marker="m")["busy"] is False
