"""Conformance: Google Calendar v3 calendars and events through google-api-python-client."""

from __future__ import annotations

import re

import pytest

from .google_fixtures import TZ, all_day, error_of, ids, list_all, raw_client, timed

RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
OWNER = "anna.lindqvist@example.com"


# --- calendars ----------------------------------------------------------------------------
def test_calendar_list_has_primary_writable_and_read_only_calendars(calendar):
    items = calendar.calendarList().list().execute()["items"]
    primary = [c for c in items if c.get("primary")]
    assert len(primary) == 1
    assert primary[0]["id"] == OWNER
    assert primary[0]["accessRole"] == "owner"
    assert primary[0]["timeZone"] == TZ
    assert primary[0]["backgroundColor"].startswith("#")
    roles = {c["summary"]: c["accessRole"] for c in items}
    assert roles["Team"] == "writer"
    assert roles["Holidays in Sweden"] == "reader"
    assert all(c["kind"] == "calendar#calendarListEntry" for c in items)


def test_primary_alias_for_calendar_get_and_calendar_list_get(calendar):
    assert calendar.calendars().get(calendarId="primary").execute()["id"] == OWNER
    entry = calendar.calendarList().get(calendarId="primary").execute()
    assert entry["id"] == OWNER and entry["primary"] is True
    holidays = [
        c for c in calendar.calendarList().list().execute()["items"] if c["accessRole"] == "reader"
    ][0]
    got = calendar.calendars().get(calendarId=holidays["id"]).execute()
    assert got["kind"] == "calendar#calendar" and got["summary"] == "Holidays in Sweden"


def test_calendars_insert_appears_in_calendar_list(calendar):
    made = (
        calendar.calendars()
        .insert(body={"summary": "Kunder", "timeZone": "Europe/London"})
        .execute()
    )
    assert made["summary"] == "Kunder" and made["timeZone"] == "Europe/London"
    entries = {c["id"]: c for c in calendar.calendarList().list().execute()["items"]}
    assert entries[made["id"]]["accessRole"] == "owner"
    ev = (
        calendar.events()
        .insert(calendarId=made["id"], body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"))
        .execute()
    )
    assert ev["start"]["dateTime"] == "2026-12-01T10:00:00+00:00"


def test_unknown_calendar_and_event_give_404_not_found(calendar):
    status, reason, _ = error_of(calendar.events().list(calendarId="nobody@example.com"))
    assert (status, reason) == (404, "notFound")
    status, reason, _ = error_of(
        calendar.events().get(calendarId="primary", eventId="nosuchevent1")
    )
    assert (status, reason) == (404, "notFound")


# --- the event resource -------------------------------------------------------------------
def test_event_resource_looks_like_googles(calendar):
    ev = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed(
                "2026-12-01T10:00:00+01:00",
                "2026-12-01T11:00:00+01:00",
                summary="Demo",
                description="Agenda",
                location="Kungsgatan 5",
            ),
        )
        .execute()
    )
    assert ev["kind"] == "calendar#event"
    assert ev["etag"].startswith('"') and ev["etag"].endswith('"')
    assert ev["status"] == "confirmed"
    assert ev["htmlLink"].startswith("https://www.google.com/calendar/event?eid=")
    assert RFC3339_MS.match(ev["created"]) and RFC3339_MS.match(ev["updated"])
    assert ev["creator"] == {"email": OWNER, "self": True}
    assert ev["organizer"] == {"email": OWNER, "self": True}
    assert ev["iCalUID"] == f"{ev['id']}@google.com"
    assert ev["sequence"] == 0
    assert ev["reminders"] == {"useDefault": True}
    assert ev["eventType"] == "default"
    assert "transparency" not in ev and "visibility" not in ev
    assert calendar.events().get(calendarId="primary", eventId=ev["id"]).execute() == ev


def test_transparency_and_visibility_kept_when_not_default(calendar):
    ev = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed(
                "2026-12-01T10:00:00Z",
                "2026-12-01T11:00:00Z",
                transparency="transparent",
                visibility="private",
            ),
        )
        .execute()
    )
    assert ev["transparency"] == "transparent" and ev["visibility"] == "private"
    conf = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed(
                "2026-12-01T10:00:00Z",
                "2026-12-01T11:00:00Z",
                visibility="confidential",
                transparency="opaque",
            ),
        )
        .execute()
    )
    assert conf["visibility"] == "confidential" and "transparency" not in conf


def test_datetime_rendered_in_calendar_zone_or_event_zone_with_offset(calendar):
    utc_input = (
        calendar.events()
        .insert(calendarId="primary", body=timed("2026-03-29T08:00:00Z", "2026-03-29T09:00:00Z"))
        .execute()
    )
    assert utc_input["start"] == {"dateTime": "2026-03-29T10:00:00+02:00"}
    naive_with_zone = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed("2026-07-01T09:00:00", "2026-07-01T10:00:00", tz="America/New_York"),
        )
        .execute()
    )
    assert naive_with_zone["start"] == {
        "dateTime": "2026-07-01T09:00:00-04:00",
        "timeZone": "America/New_York",
    }
    got = (
        calendar.events()
        .get(calendarId="primary", eventId=naive_with_zone["id"], timeZone="Asia/Tokyo")
        .execute()
    )
    assert got["start"]["dateTime"] == "2026-07-01T09:00:00-04:00"  # the event's own zone wins


def test_datetime_without_offset_or_zone_is_refused(calendar):
    status, reason, body = error_of(
        calendar.events().insert(
            calendarId="primary", body=timed("2026-07-01T09:00:00", "2026-07-01T10:00:00")
        )
    )
    assert status == 400 and "Missing time zone definition" in body["message"]


def test_all_day_and_multi_day_events(calendar):
    one = (
        calendar.events()
        .insert(calendarId="primary", body=all_day("2026-12-24", "2026-12-25"))
        .execute()
    )
    assert one["start"] == {"date": "2026-12-24"} and one["end"] == {"date": "2026-12-25"}
    span = (
        calendar.events()
        .insert(calendarId="primary", body=all_day("2026-12-28", "2027-01-02"))
        .execute()
    )
    listed = (
        calendar.events()
        .list(calendarId="primary", timeMin="2026-12-31T12:00:00Z", timeMax="2026-12-31T13:00:00Z")
        .execute()["items"]
    )
    assert span["id"] in ids(listed) and one["id"] not in ids(listed)
    timed_span = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed("2026-12-29T09:00:00+01:00", "2026-12-31T17:00:00+01:00"),
        )
        .execute()
    )
    assert timed_span["id"] in ids(
        calendar.events()
        .list(calendarId="primary", timeMin="2026-12-30T12:00:00Z", timeMax="2026-12-30T13:00:00Z")
        .execute()["items"]
    )


def test_attendees_get_response_status_and_self(calendar):
    ev = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed(
                "2026-12-01T10:00:00Z",
                "2026-12-01T11:00:00Z",
                attendees=[
                    {"email": "erik@nordvik.se", "displayName": "Erik"},
                    {"email": OWNER, "responseStatus": "accepted"},
                ],
            ),
        )
        .execute()
    )
    erik, me = ev["attendees"]
    assert erik == {
        "email": "erik@nordvik.se",
        "displayName": "Erik",
        "responseStatus": "needsAction",
    }
    assert me["self"] is True and me["organizer"] is True and me["responseStatus"] == "accepted"


def test_end_before_start_gives_time_range_empty(calendar):
    status, reason, body = error_of(
        calendar.events().insert(
            calendarId="primary", body=timed("2026-12-01T10:00:00Z", "2026-12-01T09:00:00Z")
        )
    )
    assert (status, reason) == (400, "timeRangeEmpty")
    assert body["message"] == "The specified time range is empty."


# --- ids, etags, preconditions ----------------------------------------------------------
def test_client_id_base32hex_rules(calendar):
    body = timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")
    for bad in ("abcw1", "ABCDE1", "abc1", "a" * 1025, "abc-def"):
        status, reason, _ = error_of(
            calendar.events().insert(calendarId="primary", body={**body, "id": bad})
        )
        assert (status, reason) == (400, "invalid"), bad
    good = "ca1500" + "v" * 20
    assert (
        calendar.events().insert(calendarId="primary", body={**body, "id": good}).execute()["id"]
        == good
    )
    status, reason, err = error_of(
        calendar.events().insert(calendarId="primary", body={**body, "id": good})
    )
    assert (status, reason) == (409, "duplicate")
    assert err["message"] == "The requested identifier already exists."
    calendar.events().delete(calendarId="primary", eventId=good).execute()
    status, reason, _ = error_of(
        calendar.events().insert(calendarId="primary", body={**body, "id": good})
    )
    assert (status, reason) == (409, "duplicate")  # a deleted event's id stays taken


def test_etag_changes_on_every_change(calendar):
    ev = (
        calendar.events()
        .insert(calendarId="primary", body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"))
        .execute()
    )
    seen = {ev["etag"]}
    for title in ("a", "b", "b"):
        ev = (
            calendar.events()
            .patch(calendarId="primary", eventId=ev["id"], body={"summary": title})
            .execute()
        )
        assert ev["etag"] not in seen
        seen.add(ev["etag"])


def test_if_match_conflict_gives_412(calendar):
    ev = (
        calendar.events()
        .insert(calendarId="primary", body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"))
        .execute()
    )
    stale = ev["etag"]
    calendar.events().patch(
        calendarId="primary", eventId=ev["id"], body={"summary": "new"}
    ).execute()
    for req in (
        calendar.events().patch(calendarId="primary", eventId=ev["id"], body={"summary": "x"}),
        calendar.events().update(
            calendarId="primary",
            eventId=ev["id"],
            body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"),
        ),
        calendar.events().delete(calendarId="primary", eventId=ev["id"]),
    ):
        req.headers["If-Match"] = stale
        status, reason, body = error_of(req)
        assert (status, reason, body["message"]) == (412, "conditionNotMet", "Precondition Failed")
    current = calendar.events().get(calendarId="primary", eventId=ev["id"]).execute()
    req = calendar.events().patch(calendarId="primary", eventId=ev["id"], body={"summary": "ok"})
    req.headers["If-Match"] = current["etag"]
    assert req.execute()["summary"] == "ok"


def test_if_none_match_on_get_gives_304(live_sandbox, calendar):
    ev = (
        calendar.events()
        .insert(calendarId="primary", body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"))
        .execute()
    )
    path = f"/calendar/v3/calendars/primary/events/{ev['id']}"
    with raw_client(live_sandbox, calendar) as http:
        assert http.get(path, headers={"If-None-Match": ev["etag"]}).status_code == 304
        assert http.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


# --- patch, update, delete --------------------------------------------------------------
def test_patch_replaces_fields_sent_and_arrays_whole(calendar):
    ev = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed(
                "2026-12-01T10:00:00Z",
                "2026-12-01T11:00:00Z",
                description="keep me",
                attendees=[{"email": "a@x.se"}, {"email": "b@x.se"}],
            ),
        )
        .execute()
    )
    got = (
        calendar.events()
        .patch(
            calendarId="primary",
            eventId=ev["id"],
            body={"summary": "Renamed", "attendees": [{"email": "c@x.se"}]},
        )
        .execute()
    )
    assert got["summary"] == "Renamed" and got["description"] == "keep me"
    assert [a["email"] for a in got["attendees"]] == ["c@x.se"]
    assert got["start"] == ev["start"]


def test_patch_merges_private_extended_properties_per_key(calendar):
    ev = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed(
                "2026-12-01T10:00:00Z",
                "2026-12-01T11:00:00Z",
                extendedProperties={"private": {"a": "1", "b": "2"}, "shared": {"s": "x"}},
            ),
        )
        .execute()
    )
    got = (
        calendar.events()
        .patch(
            calendarId="primary",
            eventId=ev["id"],
            body={"extendedProperties": {"private": {"b": "3", "c": "4"}}},
        )
        .execute()
    )
    assert got["extendedProperties"] == {
        "private": {"a": "1", "b": "3", "c": "4"},
        "shared": {"s": "x"},
    }


def test_update_replaces_the_whole_event(calendar):
    ev = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed(
                "2026-12-01T10:00:00Z",
                "2026-12-01T11:00:00Z",
                description="gone after update",
                location="Here",
            ),
        )
        .execute()
    )
    got = (
        calendar.events()
        .update(
            calendarId="primary",
            eventId=ev["id"],
            body=timed("2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z", summary="Replaced"),
        )
        .execute()
    )
    assert "description" not in got and "location" not in got
    assert (
        got["summary"] == "Replaced" and got["id"] == ev["id"] and got["created"] == ev["created"]
    )
    assert got["sequence"] == 1  # the time changed


def test_delete_gives_204_then_tombstone_and_410_deleted(live_sandbox, calendar):
    ev = (
        calendar.events()
        .insert(calendarId="primary", body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"))
        .execute()
    )
    with raw_client(live_sandbox, calendar) as http:
        answer = http.delete(f"/calendar/v3/calendars/primary/events/{ev['id']}")
        assert answer.status_code == 204 and answer.content == b""
    got = calendar.events().get(calendarId="primary", eventId=ev["id"]).execute()
    assert got["status"] == "cancelled" and got["id"] == ev["id"]
    for req in (
        calendar.events().delete(calendarId="primary", eventId=ev["id"]),
        calendar.events().patch(calendarId="primary", eventId=ev["id"], body={"summary": "x"}),
    ):
        status, reason, body = error_of(req)
        assert (status, reason, body["message"]) == (410, "deleted", "Resource has been deleted")


def test_list_hides_cancelled_unless_show_deleted(calendar):
    ev = (
        calendar.events()
        .insert(calendarId="primary", body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"))
        .execute()
    )
    calendar.events().delete(calendarId="primary", eventId=ev["id"]).execute()
    assert ev["id"] not in ids(list_all(calendar, calendarId="primary")[0])
    shown = list_all(calendar, calendarId="primary", showDeleted=True)[0]
    assert [i["status"] for i in shown if i["id"] == ev["id"]] == ["cancelled"]


def test_writes_on_reader_calendar_give_403(calendar):
    holidays = [
        c for c in calendar.calendarList().list().execute()["items"] if c["accessRole"] == "reader"
    ][0]
    items = calendar.events().list(calendarId=holidays["id"]).execute()["items"]
    assert items
    for req in (
        calendar.events().insert(
            calendarId=holidays["id"], body=all_day("2026-12-01", "2026-12-02")
        ),
        calendar.events().patch(
            calendarId=holidays["id"], eventId=items[0]["id"], body={"summary": "x"}
        ),
        calendar.events().delete(calendarId=holidays["id"], eventId=items[0]["id"]),
    ):
        status, reason, body = error_of(req)
        assert (status, reason) == (403, "requiredAccessLevel")
        assert body["message"] == "You need to have writer access to this calendar."


# --- auth and quota --------------------------------------------------------------------------
def test_missing_or_bad_token_gives_401(live_sandbox):
    import httpx

    with httpx.Client(base_url=live_sandbox.url) as http:
        answer = http.get("/calendar/v3/users/me/calendarList")
        assert answer.status_code == 401
        assert answer.json()["error"]["errors"][0]["reason"] == "required"
        answer = http.get(
            "/calendar/v3/users/me/calendarList", headers={"Authorization": "Bearer nope"}
        )
        assert answer.status_code == 401
        assert answer.json()["error"]["errors"][0]["reason"] == "authError"


def test_rate_limit_when_quota_on(live_sandbox, calendar):
    live_sandbox.sandbox.limits.google_per_user_per_minute = 3
    for _ in range(3):
        calendar.calendarList().list().execute()
    status, reason, body = error_of(calendar.calendarList().list())
    assert (status, reason) == (403, "userRateLimitExceeded")
    assert body["errors"][0]["domain"] == "usageLimits"
    live_sandbox.sandbox.limits.google_per_user_per_minute = None
    calendar.calendarList().list().execute()


# --- lists ---------------------------------------------------------------------------------
def test_max_results_default_250_and_silently_capped_at_2500(live_sandbox, calendar):
    import random

    from sandbox.google.seed import bulk_events

    sandbox = live_sandbox.sandbox
    bulk_events(sandbox.google, random.Random(5), 2600, sandbox.clock.now())
    page = calendar.events().list(calendarId="primary").execute()
    assert len(page["items"]) == 250 and "nextPageToken" in page and "nextSyncToken" not in page
    page = calendar.events().list(calendarId="primary", maxResults=5000).execute()
    assert len(page["items"]) == 2500 and "nextPageToken" in page


def test_next_sync_token_only_on_last_page(calendar):
    items, sync = list_all(calendar, calendarId="primary", maxResults=7)
    assert sync and len(items) == len(ids(items))
    everything = calendar.events().list(calendarId="primary", maxResults=2500).execute()
    assert ids(everything["items"]) == ids(items) and "nextPageToken" not in everything


def test_sync_token_returns_only_changes(calendar):
    _, sync = list_all(calendar, calendarId="primary")
    fresh = (
        calendar.events()
        .insert(calendarId="primary", body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"))
        .execute()
    )
    old, gone = calendar.events().list(calendarId="primary", maxResults=2).execute()["items"]
    calendar.events().patch(
        calendarId="primary", eventId=old["id"], body={"summary": "edited"}
    ).execute()
    calendar.events().patch(
        calendarId="primary", eventId=old["id"], body={"summary": "edited twice"}
    ).execute()
    calendar.events().delete(calendarId="primary", eventId=gone["id"]).execute()
    changes, sync2 = list_all(calendar, calendarId="primary", syncToken=sync, maxResults=1)
    assert [i["id"] for i in changes] == [fresh["id"], old["id"], gone["id"]]
    assert changes[1]["summary"] == "edited twice"
    assert changes[2] == {
        "kind": "calendar#event",
        "etag": changes[2]["etag"],
        "id": gone["id"],
        "status": "cancelled",
    }
    assert list_all(calendar, calendarId="primary", syncToken=sync2)[0] == []


def test_stale_sync_token_gives_410_full_sync_required(live_sandbox, calendar):
    page = calendar.events().list(calendarId="primary", maxResults=3).execute()
    _, sync = list_all(calendar, calendarId="primary")
    live_sandbox.sandbox.google.invalidate_sync_tokens()
    for req in (
        calendar.events().list(calendarId="primary", syncToken=sync),
        calendar.events().list(calendarId="primary", pageToken=page["nextPageToken"], maxResults=3),
        calendar.events().list(calendarId="primary", syncToken="garbage"),
    ):
        status, reason, body = error_of(req)
        assert (status, reason) == (410, "fullSyncRequired")
        assert body["message"] == "Sync token is no longer valid, a full sync is required."
    assert list_all(calendar, calendarId="primary")[1]


@pytest.mark.parametrize(
    "param",
    [
        {"timeMin": "2026-01-01T00:00:00Z"},
        {"timeMax": "2027-01-01T00:00:00Z"},
        {"q": "demo"},
        {"privateExtendedProperty": "a=1"},
        {"sharedExtendedProperty": "a=1"},
        {"orderBy": "updated"},
        {"iCalUID": "x@google.com"},
        {"updatedMin": "2026-01-01T00:00:00Z"},
    ],
)
def test_sync_token_mixed_with_filters_gives_400(calendar, param):
    _, sync = list_all(calendar, calendarId="primary")
    status, reason, _ = error_of(
        calendar.events().list(calendarId="primary", syncToken=sync, **param)
    )
    assert (status, reason) == (400, "invalid")


def test_time_min_bounds_end_exclusive(calendar):
    ev = (
        calendar.events()
        .insert(calendarId="primary", body=timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"))
        .execute()
    )
    at_end = (
        calendar.events()
        .list(calendarId="primary", timeMin="2030-01-01T11:00:00Z")
        .execute()["items"]
    )
    assert ev["id"] not in ids(at_end)
    before_end = (
        calendar.events()
        .list(calendarId="primary", timeMin="2030-01-01T10:59:59Z")
        .execute()["items"]
    )
    assert ev["id"] in ids(before_end)


def test_time_max_bounds_start_exclusive(calendar):
    ev = (
        calendar.events()
        .insert(calendarId="primary", body=timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"))
        .execute()
    )
    at_start = (
        calendar.events()
        .list(calendarId="primary", timeMin="2029-12-31T00:00:00Z", timeMax="2030-01-01T10:00:00Z")
        .execute()["items"]
    )
    assert ev["id"] not in ids(at_start)
    after = (
        calendar.events()
        .list(calendarId="primary", timeMin="2029-12-31T00:00:00Z", timeMax="2030-01-01T10:00:01Z")
        .execute()["items"]
    )
    assert ev["id"] in ids(after)


def test_empty_list_range_gives_400(calendar):
    status, reason, _ = error_of(
        calendar.events().list(
            calendarId="primary", timeMin="2030-01-02T00:00:00Z", timeMax="2030-01-01T00:00:00Z"
        )
    )
    assert (status, reason) == (400, "timeRangeEmpty")


def test_order_by_start_time_requires_single_events(calendar):
    status, reason, _ = error_of(calendar.events().list(calendarId="primary", orderBy="startTime"))
    assert status == 400 and reason == "badRequest"
    items = (
        calendar.events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime", maxResults=2500)
        .execute()["items"]
    )
    starts = [i["start"].get("dateTime") or i["start"]["date"] for i in items]
    assert len(items) > 40 and all("recurrence" not in i for i in items)
    assert starts[0] < starts[-1]


def test_q_searches_summary_description_location(calendar):
    a = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z", summary="Zebra talk"),
        )
        .execute()
    )
    b = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z", description="about zebras"),
        )
        .execute()
    )
    c = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z", location="Zebra street"),
        )
        .execute()
    )
    assert ids(calendar.events().list(calendarId="primary", q="zebra").execute()["items"]) == {
        a["id"],
        b["id"],
        c["id"],
    }


def test_private_extended_property_filter(calendar):
    both = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed(
                "2026-12-01T10:00:00Z",
                "2026-12-01T11:00:00Z",
                extendedProperties={"private": {"origin": "calsync", "link": "7"}},
            ),
        )
        .execute()
    )
    one = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=timed(
                "2026-12-01T10:00:00Z",
                "2026-12-01T11:00:00Z",
                extendedProperties={
                    "private": {"origin": "calsync"},
                    "shared": {"origin": "other"},
                },
            ),
        )
        .execute()
    )
    found = (
        calendar.events()
        .list(calendarId="primary", privateExtendedProperty="origin=calsync")
        .execute()["items"]
    )
    assert ids(found) == {both["id"], one["id"]}
    found = (
        calendar.events()
        .list(calendarId="primary", privateExtendedProperty=["origin=calsync", "link=7"])
        .execute()["items"]
    )
    assert ids(found) == {both["id"]}
    found = (
        calendar.events()
        .list(calendarId="primary", sharedExtendedProperty="origin=other")
        .execute()["items"]
    )
    assert ids(found) == {one["id"]}


def test_updated_min_filters_and_includes_deleted(live_sandbox, calendar):
    clock = live_sandbox.sandbox.clock
    clock.set(clock.now())  # freeze, then step
    old = calendar.events().list(calendarId="primary", maxResults=1).execute()["items"][0]
    clock.advance(3600)
    since = clock.now().isoformat()
    clock.advance(1)
    fresh = (
        calendar.events()
        .insert(calendarId="primary", body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"))
        .execute()
    )
    calendar.events().delete(calendarId="primary", eventId=old["id"]).execute()
    found = calendar.events().list(calendarId="primary", updatedMin=since).execute()["items"]
    assert {i["id"]: i["status"] for i in found} == {
        fresh["id"]: "confirmed",
        old["id"]: "cancelled",
    }


def test_read_only_scope_cannot_write(live_sandbox):
    import httpx

    from sandbox.tokens import Grant

    grant = Grant("google", "client", OWNER, "https://www.googleapis.com/auth/calendar.readonly")
    token, _, _ = live_sandbox.sandbox.tokens.issue(grant)
    with httpx.Client(
        base_url=live_sandbox.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        assert http.get("/calendar/v3/calendars/primary/events").status_code == 200
        answer = http.post(
            "/calendar/v3/calendars/primary/events",
            json=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"),
        )
    assert answer.status_code == 403
    assert answer.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"


def test_incremental_pages_continue_with_page_token_alone(calendar):
    _, sync = list_all(calendar, calendarId="primary")
    made = [
        calendar.events()
        .insert(calendarId="primary", body=timed("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"))
        .execute()["id"]
        for _ in range(3)
    ]
    first = calendar.events().list(calendarId="primary", syncToken=sync, maxResults=2).execute()
    second = (
        calendar.events()
        .list(calendarId="primary", pageToken=first["nextPageToken"], maxResults=2)
        .execute()
    )
    assert [i["id"] for i in first["items"] + second["items"]] == made
    assert "nextSyncToken" in second and "nextSyncToken" not in first


# --- what the sandbox does not fake ---------------------------------------------------------
def test_methods_the_sandbox_does_not_fake_are_501_not_implemented(calendar):
    for call, name in (
        (calendar.colors().get(), "colors.get"),
        (
            calendar.events().move(calendarId="primary", eventId="abcde", destination="x"),
            "events.move",
        ),
        (calendar.events().quickAdd(calendarId="primary", text="Lunch"), "events.quickAdd"),
        (calendar.acl().list(calendarId="primary"), "acl.list"),
        (calendar.calendars().delete(calendarId="primary"), "calendars.delete"),
        (calendar.settings().list(), "settings.list"),
    ):
        status, reason, err = error_of(call)
        assert (status, reason) == (501, "notImplemented")
        assert err["message"] == f"{name} is not implemented by the calsync sandbox."
    # A missing event is still the 404 of a missing resource.
    assert error_of(calendar.events().get(calendarId="primary", eventId="nosuchevent1"))[:2] == (
        404,
        "notFound",
    )


def test_paths_that_are_no_calendar_method_are_501_too(live_sandbox, calendar):
    with raw_client(live_sandbox, calendar) as http:
        answer = http.get("/calendar/v3/nowhere")
        wrong_verb = http.delete("/calendar/v3/users/me/calendarList")
    for response in (answer, wrong_verb):
        assert response.status_code == 501
        assert response.json()["error"]["errors"][0]["reason"] == "notImplemented"
    assert "GET /calendar/v3/nowhere" in answer.json()["error"]["message"]
