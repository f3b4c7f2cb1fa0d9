"""Mapping: Google events and Pipedrive activities <-> CalendarItem, options, DST, round trips."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.pipedrive.validation import activity_fields
from sync.mapping import (
    ACTIVITY_KEY,
    BLOCK_MARK,
    CUT_MARK,
    ORIGIN_KEY,
    PIPEDRIVE_MAX_SHORT,
    UnmappableItem,
    fit_short,
    format_hhmm,
    google_body,
    google_event_id,
    is_cut,
    item_from_google,
    item_from_pipedrive,
    linked_block,
    marker_google_id,
    parse_datetime,
    parse_hhmm,
    pipedrive_body,
    pipedrive_email_ok,
    pipedrive_marker,
    strip_linked_block,
    too_big_for_pipedrive,
)
from sync.models import Attendee, CalendarItem, Contact, Deal, LinkedContacts
from sync.options import Options

OPTS = Options()
LINKED = LinkedContacts(
    person=Contact(
        "Erik Nilsson",
        ("erik@nordvik.se",),
        ("+46 70 123 45 67",),
        "https://x.pipedrive.com/person/3",
    ),
    organization=Contact("Nordvik Logistik AB", url="https://x.pipedrive.com/organization/2"),
    deal=Deal("Fleet tracking licences", "https://x.pipedrive.com/deal/9", "12 000 SEK"),
)


def gevent(**kw):
    base = {
        "kind": "calendar#event",
        "id": "ev1",
        "etag": '"3181161784712000"',
        "status": "confirmed",
        "updated": "2026-03-01T10:00:00.000Z",
        "summary": "Kickoff",
        "start": {"dateTime": "2026-03-10T09:00:00+01:00", "timeZone": "Europe/Stockholm"},
        "end": {"dateTime": "2026-03-10T10:30:00+01:00", "timeZone": "Europe/Stockholm"},
    }
    base.update(kw)
    return base


def activity(**kw):
    base = {
        "id": 42,
        "subject": "Pricing call",
        "type": "call",
        "due_date": "2026-03-10",
        "due_time": "08:00",
        "duration": "01:30",
        "busy": True,
        "done": False,
        "location": {"value": "Solna"},
        "public_description": "agenda",
        "note": "internal only",
        "private": False,
        "is_deleted": False,
        "update_time": "2026-03-01T10:00:00Z",
        "attendees": [],
    }
    base.update(kw)
    return base


# ---------------------------------------------------------------- Google -> item


def test_timed_google_event():
    it = item_from_google(
        gevent(
            location="Kungsgatan 5",
            description="Bring slides",
            transparency="transparent",
            visibility="confidential",
            attendees=[
                {"email": "anna@example.com", "self": True, "responseStatus": "accepted"},
                {"email": "room@resource.calendar.google.com", "resource": True},
                {"email": "erik@nordvik.se", "displayName": "Erik", "responseStatus": "tentative"},
            ],
            extendedProperties={"private": {ORIGIN_KEY: "pipedrive:42", ACTIVITY_KEY: "42"}},
        ),
        "Europe/London",
    )
    assert it.side == "google" and it.id == "ev1" and it.version == '"3181161784712000"'
    assert it.start == datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    assert it.end == datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    assert it.updated == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert it.time_zone == "Europe/Stockholm" and not it.all_day
    assert (it.location, it.description, it.busy, it.private) == (
        "Kungsgatan 5",
        "Bring slides",
        False,
        True,
    )
    assert it.attendees == (Attendee("erik@nordvik.se", "Erik", "tentative"),)
    assert it.origin == "pipedrive:42" and it.peer() == ("pipedrive", "42")
    assert not it.deleted and it.series_id is None


def test_all_day_multi_day_and_defaults():
    it = item_from_google(
        gevent(start={"date": "2026-04-01"}, end={"date": "2026-04-04"}, summary=None), "UTC"
    )
    assert it.all_day and it.start == date(2026, 4, 1) and it.end == date(2026, 4, 4)
    assert it.busy and not it.private and it.time_zone is None
    one = item_from_google(gevent(start={"date": "2026-04-01"}, end={}), "UTC")
    assert one.end == date(2026, 4, 2)


def test_naive_datetime_is_read_in_its_time_zone_or_the_calendars():
    it = item_from_google(
        gevent(
            start={"dateTime": "2026-07-01T09:00:00", "timeZone": "America/New_York"},
            end={"dateTime": "2026-07-01T10:00:00"},
        ),
        "Europe/Stockholm",
    )
    assert it.start == datetime(2026, 7, 1, 13, tzinfo=UTC)
    assert it.end == datetime(2026, 7, 1, 14, tzinfo=UTC)
    cal = item_from_google(
        gevent(start={"dateTime": "2026-07-01T09:00:00"}, end={"dateTime": "2026-07-01T10:00:00"}),
        "Europe/Stockholm",
    )
    assert cal.start == datetime(2026, 7, 1, 7, tzinfo=UTC) and cal.time_zone == "Europe/Stockholm"


def test_tombstones_and_instances():
    tomb = item_from_google({"id": "ev1", "status": "cancelled"}, "UTC")
    assert tomb.deleted and tomb.start is None and tomb.end is None
    inst = item_from_google(
        gevent(
            id="ser_20260310T080000Z",
            recurringEventId="ser",
            status="cancelled",
            originalStartTime={"dateTime": "2026-03-10T09:00:00+01:00"},
        ),
        "UTC",
    )
    assert inst.deleted and inst.series_id == "ser"
    with pytest.raises(UnmappableItem, match="no start"):
        item_from_google({"id": "x", "status": "confirmed"}, "UTC")


def test_linked_block_is_stripped_when_reading_back():
    block = linked_block(LINKED)
    assert block.startswith(BLOCK_MARK) and block.endswith(BLOCK_MARK)
    assert "Erik Nilsson" in block and "+46 70 123 45 67" in block and "12 000 SEK" in block
    for text in ("", "agenda", "agenda\n", "line\n\nmore\n\n"):
        body = google_body(
            CalendarItem(
                "pipedrive",
                "42",
                title="x",
                start=datetime(2026, 1, 1, 9, tzinfo=UTC),
                end=datetime(2026, 1, 1, 10, tzinfo=UTC),
                description=text,
            ),
            OPTS.replace(linked_contacts=True),
            event_id=None,
            linked=LINKED,
            origin="pipedrive:42",
        )
        assert BLOCK_MARK in body["description"]
        assert strip_linked_block(body["description"]) == text
    assert strip_linked_block("no block here") == "no block here"
    assert strip_linked_block(f"before\n\n{block}\nafter") == "beforeafter"


# ---------------------------------------------------------------- Pipedrive -> item


def test_timed_activity():
    it = item_from_pipedrive(
        activity(
            note="calsync:ev1 and more",
            attendees=[
                {"email": "erik@nordvik.se", "name": "Erik", "status": "accepted"},
                {"email": "anna@example.com", "user_id": 1, "is_organizer": True},
            ],
        )
    )
    assert it.side == "pipedrive" and it.id == "42" and it.version == "2026-03-01T10:00:00Z"
    assert it.start == datetime(2026, 3, 10, 8, tzinfo=UTC) and it.end == datetime(
        2026, 3, 10, 9, 30, tzinfo=UTC
    )
    assert (it.title, it.location, it.description, it.activity_type) == (
        "Pricing call",
        "Solna",
        "agenda",
        "call",
    )
    assert it.attendees == (Attendee("erik@nordvik.se", "Erik", "accepted"),)
    assert it.origin == "google:ev1"
    assert it.time_zone is None


def test_activity_variants():
    assert item_from_pipedrive(activity(due_time="08:00:00", duration=None)).end == datetime(
        2026, 3, 10, 8, tzinfo=UTC
    )
    all_day = item_from_pipedrive(activity(due_time=None, duration=None))
    assert all_day.all_day and (all_day.start, all_day.end) == (
        date(2026, 3, 10),
        date(2026, 3, 11),
    )
    span = item_from_pipedrive(activity(due_time="", duration="72:00"))
    assert (span.start, span.end) == (date(2026, 3, 10), date(2026, 3, 13))
    long = item_from_pipedrive(activity(duration="26:15"))
    assert long.end - long.start == timedelta(hours=26, minutes=15)
    old = item_from_pipedrive(
        activity(
            update_time="2026-03-01 10:00:00", location="Plain", busy=None, private=True, done=True
        )
    )
    assert old.updated == datetime(2026, 3, 1, 10, tzinfo=UTC) and old.location == "Plain"
    assert old.busy and old.private and old.done
    gone = item_from_pipedrive({"id": 7, "is_deleted": True})
    assert gone.deleted and gone.start is None
    with pytest.raises(UnmappableItem, match="no due date"):
        item_from_pipedrive({"id": 8})


def test_hhmm_helpers():
    assert parse_hhmm("01:30") == timedelta(minutes=90)
    assert parse_hhmm("100:00:30") == timedelta(hours=100, seconds=30)
    assert parse_hhmm("") is None and parse_hhmm(None) is None
    with pytest.raises(ValueError):
        parse_hhmm("1")
    assert format_hhmm(timedelta(days=3, minutes=5, seconds=59)) == "72:05"
    assert marker_google_id(pipedrive_marker("abc")) == "abc" and marker_google_id(None) is None
    assert parse_datetime("2026-01-01T00:00:00Z") == datetime(2026, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------- item -> Google


def pd_item(**kw):
    base = dict(
        side="pipedrive",
        id="42",
        title="Demo",
        start=datetime(2026, 3, 10, 8, tzinfo=UTC),
        end=datetime(2026, 3, 10, 9, tzinfo=UTC),
        activity_type="meeting",
    )
    base.update(kw)
    return CalendarItem(**base)


def test_google_body_fields():
    it = pd_item(
        location="Solna",
        description="agenda",
        busy=False,
        private=True,
        attendees=(Attendee("a@x.se", "A"),),
    )
    body = google_body(
        it,
        OPTS,
        event_id="c0ffee42",
        linked=LINKED,
        origin="pipedrive:42",
        default_tz="Europe/Stockholm",
    )
    assert body["id"] == "c0ffee42"
    assert body["start"] == {
        "dateTime": "2026-03-10T09:00:00+01:00",
        "timeZone": "Europe/Stockholm",
    }
    assert body["end"] == {"dateTime": "2026-03-10T10:00:00+01:00", "timeZone": "Europe/Stockholm"}
    assert body["summary"] == "Demo" and body["location"] == "Solna"
    assert body["transparency"] == "transparent" and body["visibility"] == "private"
    assert body["extendedProperties"] == {
        "private": {ORIGIN_KEY: "pipedrive:42", ACTIVITY_KEY: "42"}
    }
    # linked contacts off: nothing of them leaves Pipedrive, even when given
    assert body["description"] == "agenda"
    assert body["attendees"] == [
        {"email": "a@x.se", "responseStatus": "needsAction", "displayName": "A"}
    ]
    utc = google_body(pd_item(), OPTS, event_id=None, linked=None, origin="pipedrive:42")
    assert "id" not in utc and utc["start"]["timeZone"] == "UTC" and utc["visibility"] == "default"


def test_google_body_with_linked_contacts_on():
    on = OPTS.replace(linked_contacts=True)
    body = google_body(
        pd_item(attendees=(Attendee("ERIK@nordvik.se"),)),
        on,
        event_id=None,
        linked=LINKED,
        origin="o",
    )
    assert BLOCK_MARK in body["description"]
    assert [a["email"] for a in body["attendees"]] == ["ERIK@nordvik.se"]  # de-duplicated
    body = google_body(pd_item(), on, event_id=None, linked=LINKED, origin="o")
    assert body["attendees"] == [
        {"email": "erik@nordvik.se", "responseStatus": "needsAction", "displayName": "Erik Nilsson"}
    ]
    assert google_body(pd_item(), on, event_id=None, linked=None, origin="o")["attendees"] == []
    assert (
        google_body(pd_item(), on, event_id=None, linked=LinkedContacts(), origin="o")[
            "description"
        ]
        == ""
    )


def test_google_body_all_day_and_only_time():
    body = google_body(
        pd_item(start=date(2026, 4, 1), end=date(2026, 4, 3), all_day=True),
        OPTS,
        event_id=None,
        linked=None,
        origin="o",
    )
    assert body["start"] == {"date": "2026-04-01"} and body["end"] == {"date": "2026-04-03"}
    body = google_body(
        pd_item(start=date(2026, 4, 1), end=None, all_day=True),
        OPTS,
        event_id=None,
        linked=None,
        origin="o",
    )
    assert body["end"] == {"date": "2026-04-02"}
    short = google_body(
        pd_item(title="Busy"), OPTS, event_id=None, linked=None, origin="o", only_time=True
    )
    assert set(short) == {"start", "end", "extendedProperties"}
    with pytest.raises(ValueError):
        google_body(pd_item(start=None), OPTS, event_id=None, linked=None, origin="o")


# ---------------------------------------------------------------- item -> Pipedrive


def g_item(**kw):
    base = dict(
        side="google",
        id="ev1",
        title="Kickoff",
        start=datetime(2026, 3, 10, 8, tzinfo=UTC),
        end=datetime(2026, 3, 10, 9, 30, tzinfo=UTC),
        location="Kungsgatan 5",
        description="Bring slides",
        attendees=(Attendee("erik@nordvik.se", "Erik", "accepted"),),
    )
    base.update(kw)
    return CalendarItem(**base)


def test_pipedrive_body_create_and_update():
    body = pipedrive_body(g_item(), OPTS.replace(save_as="lunch"), marker=pipedrive_marker("ev1"))
    assert body == {
        "type": "lunch",
        "note": "calsync:ev1",
        "due_date": "2026-03-10",
        "due_time": "08:00",
        "duration": "01:30",
        "subject": "Kickoff",
        "location": {"value": "Kungsgatan 5"},
        "public_description": "Bring slides",
        "busy": True,
        "private": False,
        "attendees": [{"email": "erik@nordvik.se", "status": "accepted", "name": "Erik"}],
        "conference_meeting_url": None,
    }
    update = pipedrive_body(g_item(location=""), OPTS, marker="calsync:ev1", create=False)
    assert "type" not in update and "note" not in update and update["location"] is None


def test_pipedrive_body_all_day():
    one = pipedrive_body(
        g_item(start=date(2026, 4, 1), end=date(2026, 4, 2), all_day=True), OPTS, marker="m"
    )
    assert (one["due_date"], one["due_time"], one["duration"]) == ("2026-04-01", None, None)
    three = pipedrive_body(
        g_item(start=date(2026, 4, 1), end=date(2026, 4, 4), all_day=True), OPTS, marker="m"
    )
    assert three["duration"] == "72:00"


@pytest.mark.parametrize(
    ("mode", "subject", "private", "description"),
    [
        ("private", "Kickoff", True, "Bring slides"),
        ("public", "Kickoff", False, "Bring slides"),
        ("busy", "Busy", False, ""),
    ],
)
def test_private_modes(mode, subject, private, description):
    body = pipedrive_body(g_item(private=True), OPTS.replace(private=mode), marker="m")
    assert (body["subject"], body["private"], body["public_description"]) == (
        subject,
        private,
        description,
    )
    if mode == "busy":
        assert body["location"] is None and body["attendees"] == []
        assert (body["due_time"], body["duration"]) == ("08:00", "01:30")
    # a non-private event is the same in every mode
    assert pipedrive_body(g_item(), OPTS.replace(private=mode), marker="m")["subject"] == "Kickoff"


def test_private_mode_override_and_skip():
    body = pipedrive_body(
        g_item(private=True), OPTS.replace(private="busy"), marker="m", private_mode="private"
    )
    assert body["subject"] == "Kickoff" and body["private"] is True
    with pytest.raises(ValueError):
        pipedrive_body(g_item(private=True), OPTS.replace(private="skip"), marker="m")


# ---------------------------------------------------------------- DST


def test_new_york_event_across_dst_lands_at_the_right_instant():
    # US DST starts 2026-03-08 02:00 local: 09:00 is 14:00Z the day before, 13:00Z that day.
    before = item_from_google(
        gevent(
            start={"dateTime": "2026-03-07T09:00:00-05:00", "timeZone": "America/New_York"},
            end={"dateTime": "2026-03-07T10:00:00-05:00"},
        ),
        "UTC",
    )
    after = item_from_google(
        gevent(
            start={"dateTime": "2026-03-08T09:00:00", "timeZone": "America/New_York"},
            end={"dateTime": "2026-03-08T10:00:00"},
        ),
        "UTC",
    )
    assert pipedrive_body(before, OPTS, marker="m")["due_time"] == "14:00"
    assert pipedrive_body(after, OPTS, marker="m")["due_time"] == "13:00"
    # and back: a Pipedrive activity at 13:00Z shows at 09:00 EDT
    body = google_body(
        item_from_pipedrive(activity(due_date="2026-03-08", due_time="13:00", duration="01:00")),
        OPTS,
        event_id=None,
        linked=None,
        origin="o",
        default_tz="America/New_York",
    )
    assert body["start"]["dateTime"] == "2026-03-08T09:00:00-04:00"


def test_stockholm_event_spanning_the_dst_change():
    # EU DST starts 2026-03-29 02:00 CET: 22:00 CET -> 10:00 CEST is 11 hours, not 12.
    ev = item_from_google(
        gevent(
            start={"dateTime": "2026-03-28T22:00:00", "timeZone": "Europe/Stockholm"},
            end={"dateTime": "2026-03-29T10:00:00", "timeZone": "Europe/Stockholm"},
        ),
        "UTC",
    )
    assert ev.start == datetime(2026, 3, 28, 21, tzinfo=UTC) and ev.end == datetime(
        2026, 3, 29, 8, tzinfo=UTC
    )
    body = pipedrive_body(ev, OPTS, marker="m")
    assert (body["due_date"], body["due_time"], body["duration"]) == (
        "2026-03-28",
        "21:00",
        "11:00",
    )
    back = item_from_pipedrive(
        activity(**{k: body[k] for k in ("due_date", "due_time", "duration")})
    )
    g = google_body(
        back, OPTS, event_id=None, linked=None, origin="o", default_tz="Europe/Stockholm"
    )
    assert g["start"]["dateTime"] == "2026-03-28T22:00:00+01:00"
    assert g["end"]["dateTime"] == "2026-03-29T10:00:00+02:00"


# ---------------------------------------------------------------- round trips (hypothesis)

texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="─"), max_size=40)
emails = st.sampled_from(
    ["erik@nordvik.se", "olivia@tvanalytics.co.uk", "karin@lundbiotech.se", "jack@harbourstreet.io"]
)
minutes = st.integers(min_value=0, max_value=60 * 24 * 3)
base_time = datetime(2025, 1, 1, tzinfo=UTC)


@st.composite
def items(draw, side="google"):
    all_day = draw(st.booleans())
    if all_day:
        start = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 800)))
        end = start + timedelta(days=draw(st.integers(1, 14)))
    else:
        start = base_time + timedelta(minutes=draw(st.integers(0, 800 * 1440)))
        end = start + timedelta(minutes=draw(minutes))
    return CalendarItem(
        side=side,
        id="7",
        title=draw(texts),
        start=start,
        end=end,
        all_day=all_day,
        location=draw(texts),
        description=draw(texts),
        busy=draw(st.booleans()),
        private=draw(st.booleans()),
        attendees=tuple(Attendee(e) for e in draw(st.lists(emails, unique=True, max_size=3))),
        activity_type="meeting",
    )


@settings(max_examples=150, deadline=None)
@given(items(side="google"))
def test_round_trip_through_pipedrive(it):
    body = pipedrive_body(it, OPTS, marker=pipedrive_marker("ev1"))
    back = item_from_pipedrive({"id": 7, "update_time": "2026-01-01T00:00:00Z", **body})
    assert back.fingerprint() == it.fingerprint()
    assert (back.start, back.end, back.all_day, back.origin) == (
        it.start,
        it.end,
        it.all_day,
        "google:ev1",
    )


@settings(max_examples=150, deadline=None)
@given(
    items(side="pipedrive"),
    st.sampled_from(["UTC", "Europe/Stockholm", "America/New_York", "Asia/Tokyo"]),
    st.booleans(),
)
def test_round_trip_through_google(it, tz, linked_on):
    options = OPTS.replace(linked_contacts=linked_on)
    linked = LinkedContacts(organization=Contact("Nordvik Logistik AB"))
    body = google_body(
        it, options, event_id="abc", linked=linked, origin="pipedrive:7", default_tz=tz
    )
    back = item_from_google(
        {"etag": '"1"', "status": "confirmed", "updated": "2026-01-01T00:00:00Z", **body}, "UTC"
    )
    assert back.fingerprint() == it.fingerprint()
    assert back.origin == "pipedrive:7" and back.id == "abc"


def test_google_event_ids_are_valid_deterministic_and_distinct():
    import re

    first = google_event_id("1:primary", "42")
    assert first == google_event_id("1:primary", "42")
    assert re.fullmatch(r"[a-v0-9]{5,1024}", first)
    others = {
        google_event_id("1:primary", "43"),
        google_event_id("2:primary", "42"),
        google_event_id("1:primary", "42", 1),
    }
    assert first not in others and len(others) == 3


# ---------------------------------------------------------------- Pipedrive's limits

long_texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="─"), min_size=0, max_size=400
)
any_emails = st.sampled_from(
    ["erik@nordvik.se", "bob", "a" * 250 + "@example.com", "two@at@example.com", "x y@z.se"]
)


@st.composite
def big_items(draw):
    """Google events Google accepts and Pipedrive may not: long texts, odd addresses, long spans."""
    it = draw(items(side="google"))
    if it.all_day:
        end = it.start + timedelta(days=draw(st.integers(1, 400)))
    else:
        end = it.start + timedelta(minutes=draw(st.integers(0, 100 * 1440)))
    return dataclasses.replace(
        it,
        title=draw(long_texts),
        location=draw(long_texts),
        end=end,
        attendees=tuple(
            Attendee(e, name=draw(long_texts)) for e in draw(st.lists(any_emails, unique=True))
        ),
    )


@settings(max_examples=200, deadline=None)
@given(big_items(), st.sampled_from(["private", "busy", "public"]))
def test_every_body_fits_pipedrive_and_keeps_the_span(it, mode):
    body = pipedrive_body(it, OPTS, marker=pipedrive_marker("ev1"), private_mode=mode)
    activity_fields(body)  # the sandbox's validation: raises on anything Pipedrive refuses
    back = item_from_pipedrive({"id": 7, "update_time": "2026-01-01T00:00:00Z", **body})
    assert (back.start, back.end, back.all_day) == (it.start, it.end, it.all_day)
    if not (it.private and mode == "busy"):
        assert back.description == it.description
        assert back.title == fit_short(it.title) and back.location == fit_short(it.location)
        assert {a.email for a in back.attendees} == {
            a.email for a in it.attendees if "@" in a.email and pipedrive_email_ok(a.email)
        }


def test_text_over_255_characters_is_cut_with_a_mark():
    assert fit_short("x" * 255) == "x" * 255 and not is_cut("x" * 255)
    cut = fit_short("x" * 300)
    assert cut == "x" * 254 + CUT_MARK and len(cut) == PIPEDRIVE_MAX_SHORT and is_cut(cut)
    assert not is_cut("short" + CUT_MARK)  # only a cut at the limit reads as ours


def test_a_cut_title_or_location_is_never_written_back_over_the_whole_one():
    cut = fit_short("T" * 300)
    back = item_from_pipedrive(activity(subject=cut, location={"value": fit_short("L" * 300)}))
    patch = google_body(back, OPTS, event_id=None, linked=None, origin=None)
    assert "summary" not in patch and "location" not in patch
    assert patch["start"]  # the rest still goes
    insert = google_body(back, OPTS, event_id="abc", linked=None, origin="pipedrive:42")
    assert insert["summary"] == cut  # a new event has no whole title to keep
    edited = google_body(
        dataclasses.replace(back, title=cut[:-1]), OPTS, event_id=None, linked=None, origin=None
    )
    assert edited["summary"] == cut[:-1]  # edited in Pipedrive: no longer our cut


def test_the_span_line_counts_only_while_the_duration_is_the_longest():
    line = "── calsync: lasts 60 days ──"
    kept = item_from_pipedrive(
        activity(due_time=None, duration="984:00", public_description=f"notes\n\n{line}")
    )
    assert (kept.end - kept.start).days == 60 and kept.description == "notes"
    # The user changed the duration in Pipedrive: theirs wins, the stale line is dropped.
    changed = item_from_pipedrive(
        activity(due_time=None, duration="72:00", public_description=f"notes\n\n{line}")
    )
    assert (changed.end - changed.start).days == 3 and changed.description == "notes"
    timed_line = "── calsync: lasts 1200 h 30 min ──"
    timed = item_from_pipedrive(activity(duration="999:59", public_description=timed_line))
    assert timed.end - timed.start == timedelta(hours=1200, minutes=30)
    assert timed.description == ""


def test_busy_placeholder_of_a_long_event_keeps_only_its_span():
    it = CalendarItem(
        side="google", id="p", title="Secret", start=date(2026, 4, 1),
        end=date(2026, 6, 1), all_day=True, private=True, description="details",
    )  # fmt: skip
    body = pipedrive_body(it, OPTS, marker="calsync:p", private_mode="busy")
    assert body["subject"] == "Busy"
    assert body["public_description"] == "── calsync: lasts 61 days ──"
    back = item_from_pipedrive({"id": 1, **body})
    assert (back.start, back.end, back.description) == (it.start, it.end, "")


def test_limits_count_only_what_pipedrive_would_get():
    bad = tuple(Attendee(f"guest{i}") for i in range(50))  # no "@": left out
    good = tuple(Attendee(f"g{i}@example.com") for i in range(100))
    it = CalendarItem(side="google", id="e", start=date(2026, 4, 1), attendees=bad + good)
    assert too_big_for_pipedrive(it) is None
    more = dataclasses.replace(it, attendees=(*good, Attendee("one@more.se")))
    assert too_big_for_pipedrive(more) == "101 attendees: Pipedrive takes at most 100"
    span = dataclasses.replace(it, end=date(2026, 8, 1), attendees=(), description="d" * 99_990)
    assert too_big_for_pipedrive(span) == (
        "description of 99,990 characters (100,021 with the line keeping its span): "
        "Pipedrive takes at most 100,000"
    )
