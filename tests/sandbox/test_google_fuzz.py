"""Malformed requests to the fake Google Calendar always get a 4xx in Google's envelope, never a 5xx.

Generated bodies for insert, update and patch (one bad field at a time: wrong JSON types, bad
times and zones, attendees, reminders, recurrence, event types and their properties,
conference data), bad query parameters on lists and writes (eventTypes, maxAttendees,
fields, sendUpdates, conferenceDataVersion and the older ones), bad event ids and garbled
batches; derandomized so every run sends the same requests.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.app import create_app
from sandbox.google import fields, schema
from sandbox.state import GOOGLE_CLIENT_ID
from sandbox.tokens import Grant

from .conftest import FROZEN
from .loop_client import LoopClient, fuzz

EVENTS = "/calendar/v3/calendars/primary/events"
SCOPE = "https://www.googleapis.com/auth/calendar"
WHEN = {
    "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "Europe/Stockholm"},
    "end": {"dateTime": "2026-12-01T11:00:00", "timeZone": "Europe/Stockholm"},
}


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
not_string = json_value.filter(lambda v: v is not None and not isinstance(v, str))
not_bool = json_value.filter(lambda v: v is not None and not isinstance(v, bool))
not_dict = json_value.filter(lambda v: v is not None and not isinstance(v, dict))
not_list = json_value.filter(lambda v: v is not None and not isinstance(v, list))
bad_time = st.one_of(
    not_dict,
    st.fixed_dictionaries({"dateTime": st.one_of(not_string, text)}),
    st.fixed_dictionaries({"date": st.one_of(not_string, text)}),
    st.fixed_dictionaries({"dateTime": st.just("2026-12-01T10:00:00"), "timeZone": st.one_of(not_string, text)}),
    st.fixed_dictionaries({"date": st.just("2026-12-01"), "dateTime": st.just("2026-12-01T10:00:00Z")}),
    st.just({}),
)  # fmt: skip
bad_attendees = st.one_of(
    not_list,
    st.lists(not_dict, min_size=1, max_size=2),
    st.lists(st.fixed_dictionaries({"email": not_string}), min_size=1, max_size=2),
    st.lists(st.fixed_dictionaries({"displayName": text}), min_size=1, max_size=1),
    st.lists(
        st.fixed_dictionaries(
            {"email": st.just("a@b.se")},
            optional={
                "responseStatus": text.filter(lambda s: s not in ("needsAction", "declined", "tentative", "accepted", "")),
                "optional": not_bool,
                "resource": not_bool,
                "displayName": not_string,
                "additionalGuests": st.one_of(st.integers(max_value=-1), text.filter(bool)),
            },
        ).filter(lambda d: len(d) > 1),
        min_size=1,
        max_size=1,
    ),
)  # fmt: skip
bad_reminders = st.one_of(
    not_dict,
    st.fixed_dictionaries({"useDefault": not_bool}),
    st.fixed_dictionaries({"overrides": not_list}),
    st.fixed_dictionaries({"overrides": st.lists(st.one_of(not_dict, st.fixed_dictionaries({"method": text, "minutes": json_value})), min_size=1, max_size=2)}),
    st.just({"useDefault": True, "overrides": [{"method": "popup", "minutes": 10}]}),
)  # fmt: skip
bad_recurrence = st.one_of(
    not_list,
    st.lists(not_string, min_size=1, max_size=2),
    st.lists(text, min_size=1, max_size=2),
    st.sampled_from([["RRULE:FREQ=DAILY;COUNT=-1"], ["RRULE:FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z"], ["RRULE:FREQ=SOMETIMES"], ["EXDATE:2026"], ["RRULE:FREQ=WEEKLY;BYDAY=XX"]]),
)  # fmt: skip
bad_type = st.one_of(
    st.fixed_dictionaries({"eventType": st.one_of(not_string, text.filter(lambda s: s not in ("default", "")))}),
    st.fixed_dictionaries({"eventType": st.just("focusTime"), "focusTimeProperties": st.one_of(not_dict, st.fixed_dictionaries({"chatStatus": json_value.filter(lambda v: v not in (None, "available", "doNotDisturb"))}))}),
    st.fixed_dictionaries({"eventType": st.just("outOfOffice"), "outOfOfficeProperties": st.one_of(not_dict, st.fixed_dictionaries({"autoDeclineMode": not_string}), st.fixed_dictionaries({"declineMessage": not_string}))}),
    st.fixed_dictionaries({"eventType": st.just("workingLocation"), "visibility": st.just("public"), "transparency": st.just("transparent"), "workingLocationProperties": st.one_of(not_dict, st.just({}), st.fixed_dictionaries({"type": json_value.filter(lambda v: v not in (None, "homeOffice", "officeLocation", "customLocation"))}), st.fixed_dictionaries({"type": st.just("officeLocation"), "officeLocation": not_dict}))}),
    st.fixed_dictionaries({"eventType": st.sampled_from(["birthday", "fromGmail", "outOfOffice", "focusTime", "workingLocation"])}),
    st.fixed_dictionaries({"birthdayProperties": json_value.filter(lambda v: v is not None)}),
)  # fmt: skip
bad_conference = st.one_of(
    not_dict,
    st.fixed_dictionaries({"createRequest": not_dict}),
    st.fixed_dictionaries({"createRequest": st.fixed_dictionaries({"requestId": json_value, "conferenceSolutionKey": st.one_of(not_dict, st.fixed_dictionaries({"type": json_value.filter(lambda v: v != "hangoutsMeet")}))})}),
    st.fixed_dictionaries({"conferenceSolution": json_value, "entryPoints": json_value}),
)  # fmt: skip
BAD_FIELDS = {
    "summary": not_string,
    "description": not_string,
    "location": not_string,
    "colorId": not_string,
    "transparency": st.one_of(not_string, text.filter(lambda s: s not in ("opaque", "transparent", ""))),
    "visibility": st.one_of(not_string, text.filter(lambda s: s not in ("default", "public", "private", "confidential", ""))),
    "start": bad_time,
    "end": bad_time,
    "attendees": bad_attendees,
    "extendedProperties": st.one_of(not_dict, st.fixed_dictionaries({"private": not_dict}), st.fixed_dictionaries({"shared": st.dictionaries(text, st.one_of(st.lists(st.integers(), min_size=1), st.dictionaries(text, st.integers(), min_size=1)), min_size=1, max_size=2)})),
    "reminders": bad_reminders,
    "recurrence": bad_recurrence,
    "source": st.one_of(not_dict, st.fixed_dictionaries({"url": not_string})),
    "guestsCanModify": not_bool,
    "anyoneCanAddSelf": not_bool,
    "sequence": st.one_of(text.filter(bool), st.floats(allow_nan=False), st.lists(st.integers(), min_size=1), st.integers(max_value=-1)),
    "iCalUID": not_string,
}  # fmt: skip


def one_bad_body(draw_from: dict) -> st.SearchStrategy[dict]:
    single = st.sampled_from(sorted(draw_from)).flatmap(
        lambda name: draw_from[name].map(lambda v: {name: v})
    )
    return st.one_of(single, bad_type, bad_conference.map(lambda v: {"conferenceData": v}))


class GoogleClient(LoopClient):
    """The whole sandbox app with a Calendar bearer token, and one event to change."""

    def __init__(self) -> None:
        app = create_app(seed=1, frozen_time=FROZEN)
        sandbox = app.state.sandbox
        grant = Grant("google", GOOGLE_CLIENT_ID, sandbox.google.owner_email, SCOPE)
        token, _, _ = sandbox.tokens.issue(grant)
        super().__init__(app, {"Authorization": f"Bearer {token}"})
        made = self.request("POST", EVENTS, json={"summary": "Fuzz target", **WHEN})
        assert made.status_code == 200, made.text
        self.event_id = made.json()["id"]


@pytest.fixture(scope="module")
def google():
    client = GoogleClient()
    yield client
    client.close()


def assert_4xx(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert error["code"] == response.status_code and isinstance(error["message"], str)
    assert error["errors"] and error["errors"][0]["reason"]


@fuzz(400)
@given(bad=one_bad_body(BAD_FIELDS))
def test_insert_with_a_bad_field(google, bad):
    assert_4xx(
        google.send_json("POST", EVENTS, {"summary": "x", **WHEN, **bad}, conferenceDataVersion=1)
    )


@fuzz(300)
@given(bad=one_bad_body(BAD_FIELDS), put=st.booleans())
def test_patch_or_update_with_a_bad_field(google, bad, put):
    path = f"{EVENTS}/{google.event_id}"
    if put:
        response = google.send_json(
            "PUT", path, {"summary": "x", **WHEN, **bad}, conferenceDataVersion=1
        )
    else:
        response = google.send_json("PATCH", path, bad, conferenceDataVersion=1)
    assert_4xx(response)


@fuzz(100)
@given(
    raw=st.one_of(
        st.binary(max_size=40).filter(lambda b: not _is_object(b)),
        st.sampled_from([b"[]", b"null", b"5", b'"x"', b"{", b"[" * 3000 + b"]" * 3000]),
    )
)
def test_bodies_that_are_not_json_objects(google, raw):  # fmt: skip
    assert_4xx(
        google.request("POST", EVENTS, content=raw, headers={"content-type": "application/json"})
    )


def _is_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except (ValueError, RecursionError):
        return False


def _refused(check) -> object:
    """A filter keeping the values `check` refuses (raises on)."""

    def keep(value: str) -> bool:
        try:
            check(value)
        except Exception:
            return True
        return False

    return keep


def _aware(value: str) -> None:
    if datetime.fromisoformat(value).tzinfo is None:
        raise ValueError("naive")


not_a_type = text.filter(
    lambda s: (
        s not in ("default", "birthday", "focusTime", "fromGmail", "outOfOffice", "workingLocation")
    )
)
not_positive = text.filter(lambda s: not (s.isascii() and s.isdigit() and int(s) >= 1))
BAD_LIST_PARAMS = {
    "eventTypes": st.lists(not_a_type, min_size=1, max_size=2),
    "maxAttendees": not_positive,
    "maxResults": not_positive,
    "fields": text.filter(lambda s: s.strip() != "").filter(_refused(lambda s: fields.parse(s, schema.EVENTS))),
    "timeMin": text.filter(_refused(_aware)),
    "timeMax": st.sampled_from(["2026-12-01", "tomorrow", "2026-13-01T00:00:00Z"]),
    "updatedMin": st.sampled_from(["2026-12-01T00:00:00", "x"]),
    "orderBy": text.filter(lambda s: s not in ("startTime", "updated", "")),
    "showDeleted": text.filter(lambda s: s.lower() not in ("true", "false")),
    "singleEvents": text.filter(lambda s: s.lower() not in ("true", "false")),
    "syncToken": text.filter(bool),
    "pageToken": text.filter(bool),
    "timeZone": text.filter(_refused(ZoneInfo)),
    "privateExtendedProperty": text.filter(lambda s: "=" not in s or s.startswith("=")),
}  # fmt: skip
BAD_WRITE_PARAMS = {
    "sendUpdates": text.filter(lambda s: s not in ("all", "externalOnly", "none")),
    "sendNotifications": text.filter(lambda s: s.lower() not in ("true", "false")),
    "conferenceDataVersion": text.filter(lambda s: s not in ("0", "1")),
    "maxAttendees": not_positive,
    "fields": text.filter(lambda s: s.strip() != "").filter(_refused(lambda s: fields.parse(s, schema.EVENT))),
}  # fmt: skip


def _one_param(params: dict) -> st.SearchStrategy[tuple[str, object]]:
    return st.sampled_from(sorted(params)).flatmap(lambda n: params[n].map(lambda v: (n, v)))


@fuzz(250)
@given(bad=_one_param(BAD_LIST_PARAMS), path=st.sampled_from([EVENTS, "instances"]))
def test_list_with_a_bad_parameter(google, bad, path):
    name, value = bad
    if path == "instances":
        if name not in (
            "maxAttendees",
            "maxResults",
            "fields",
            "timeMin",
            "timeMax",
            "showDeleted",
            "pageToken",
            "timeZone",
        ):
            return  # a parameter instances does not take
        path = f"{EVENTS}/{google.event_id}/instances"
    if name == "syncToken":  # any unusable sync token is 410 fullSyncRequired
        response = google.request("GET", path, params={name: value})
        assert (
            response.status_code == 410
            and response.json()["error"]["errors"][0]["reason"] == "fullSyncRequired"
        )
        return
    assert_4xx(google.request("GET", path, params={name: value}))  # fmt: skip


@fuzz(200)
@given(
    bad=_one_param(BAD_WRITE_PARAMS),
    verb=st.sampled_from(["POST", "PATCH", "PUT", "DELETE", "GET"]),
)
def test_write_with_a_bad_parameter(google, bad, verb):
    name, value = bad
    if verb == "GET" and name not in ("maxAttendees", "fields"):
        return  # get takes neither
    if verb == "DELETE" and name not in ("sendUpdates", "sendNotifications"):
        return  # delete answers no body: the others do not apply
    path = EVENTS if verb == "POST" else f"{EVENTS}/{google.event_id}"
    body = None if verb in ("GET", "DELETE") else {"summary": "x", **WHEN}
    assert_4xx(google.send_json(verb, path, body, **{name: value}) if body else google.request(verb, path, params={name: value}))  # fmt: skip


@fuzz(120)
@given(
    ident=st.one_of(text.filter(lambda s: s.strip(". ") and "/" not in s), st.integers(10**6, 10**18).map(str)),
    verb=st.sampled_from(["GET", "PATCH", "PUT", "DELETE"]),
)  # fmt: skip
def test_unknown_or_bad_event_ids(google, ident, verb):
    response = google.send_json(verb, f"{EVENTS}/{quote(ident, safe='')}", {"summary": "x", **WHEN})
    assert_4xx(response)


@fuzz(80)
@given(body=st.binary(max_size=300), boundary=st.sampled_from(["b1", "xyz"]))
def test_garbled_batches(google, body, boundary):
    response = google.request(
        "POST",
        "/batch/calendar/v3",
        content=f"--{boundary}\r\nContent-Type: application/http\r\n\r\n".encode() + body,
        headers={"content-type": f"multipart/mixed; boundary={boundary}"},
    )
    if response.status_code == 200:  # a batch answers per part: none of them a 5xx
        assert "HTTP/1.1 5" not in response.text
    else:
        assert_4xx(response)
