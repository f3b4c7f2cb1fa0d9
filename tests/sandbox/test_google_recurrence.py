"""Conformance: recurring events, instances and exceptions, through the client and the model."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sandbox.google import recurrence

from .google_fixtures import TZ, all_day, error_of, ids, list_all, timed


def _series(
    calendar, rules, start="2026-12-07T10:00:00", end="2026-12-07T11:00:00", tz=TZ, **extra
):
    body = {**timed(start, end, tz=tz, **extra), "recurrence": rules}
    return calendar.events().insert(calendarId="primary", body=body).execute()


def _instances(calendar, master_id, **params):
    return (
        calendar.events()
        .instances(calendarId="primary", eventId=master_id, **params)
        .execute()["items"]
    )


def test_recurring_event_without_start_time_zone_is_refused(calendar):
    body = {
        **timed("2026-12-07T10:00:00+01:00", "2026-12-07T11:00:00+01:00"),
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
    }
    status, reason, err = error_of(calendar.events().insert(calendarId="primary", body=body))
    assert (status, reason) == (400, "required")
    assert err["message"] == "Missing time zone definition for start time."


def test_bad_rrule_gives_400_invalid(calendar):
    status, reason, _ = error_of(
        calendar.events().insert(
            calendarId="primary",
            body={
                **timed("2026-12-07T10:00:00", "2026-12-07T11:00:00", tz=TZ),
                "recurrence": ["RRULE:FREQ=SOMETIMES"],
            },
        )
    )
    assert (status, reason) == (400, "invalid")


def test_single_events_expansion_ids_and_fields(calendar):
    master = _series(calendar, ["RRULE:FREQ=DAILY;COUNT=3"], summary="Zqstandup")
    items = (
        calendar.events()
        .list(calendarId="primary", singleEvents=True, q="Zqstandup")
        .execute()["items"]
    )
    assert [i["id"] for i in items] == [f"{master['id']}_2026120{d}T090000Z" for d in (7, 8, 9)]
    first = items[0]
    assert first["recurringEventId"] == master["id"]
    assert first["originalStartTime"] == {"dateTime": "2026-12-07T10:00:00+01:00", "timeZone": TZ}
    assert first["start"] == {"dateTime": "2026-12-07T10:00:00+01:00", "timeZone": TZ}
    assert "recurrence" not in first and first["iCalUID"] == master["iCalUID"]
    got = calendar.events().get(calendarId="primary", eventId=items[1]["id"]).execute()
    assert got["start"]["dateTime"] == "2026-12-08T10:00:00+01:00"
    error_of(
        calendar.events().get(calendarId="primary", eventId=f"{master['id']}_20261210T090000Z")
    )


def test_all_day_series_instance_ids_use_the_date(calendar):
    body = {
        **all_day("2026-12-01", "2026-12-02", summary="Payday"),
        "recurrence": ["RRULE:FREQ=MONTHLY;BYMONTHDAY=1;COUNT=3"],
    }
    master = calendar.events().insert(calendarId="primary", body=body).execute()
    got = _instances(calendar, master["id"])
    assert [i["id"] for i in got] == [
        f"{master['id']}_{d}" for d in ("20261201", "20270101", "20270201")
    ]
    assert got[1]["start"] == {"date": "2027-01-01"} and got[1]["originalStartTime"] == {
        "date": "2027-01-01"
    }


def test_recurring_expansion_with_exdate_and_edited_instance(calendar):
    master = _series(
        calendar,
        ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6", f"EXDATE;TZID={TZ}:20261209T100000"],
        summary="Zqsync",
    )
    edited_id = f"{master['id']}_20261214T090000Z"
    calendar.events().patch(
        calendarId="primary",
        eventId=edited_id,
        body={
            "summary": "Zqsync (moved)",
            "start": {"dateTime": "2026-12-14T15:00:00", "timeZone": TZ},
            "end": {"dateTime": "2026-12-14T16:00:00", "timeZone": TZ},
        },
    ).execute()
    cancelled_id = f"{master['id']}_20261216T090000Z"
    calendar.events().delete(calendarId="primary", eventId=cancelled_id).execute()
    items = (
        calendar.events()
        .list(
            calendarId="primary",
            singleEvents=True,
            q="Zqsync",
            timeMin="2026-12-01T00:00:00Z",
            timeMax="2027-01-01T00:00:00Z",
        )
        .execute()["items"]
    )
    starts = {i["id"]: i["start"]["dateTime"] for i in items}
    assert starts == {
        f"{master['id']}_20261207T090000Z": "2026-12-07T10:00:00+01:00",
        edited_id: "2026-12-14T15:00:00+01:00",
        f"{master['id']}_20261221T090000Z": "2026-12-21T10:00:00+01:00",
        f"{master['id']}_20261223T090000Z": "2026-12-23T10:00:00+01:00",
    }
    edited = [i for i in items if i["id"] == edited_id][0]
    assert edited["summary"] == "Zqsync (moved)"
    assert edited["originalStartTime"]["dateTime"] == "2026-12-14T10:00:00+01:00"
    with_deleted = (
        calendar.events()
        .list(calendarId="primary", singleEvents=True, q="Zqsync", showDeleted=True)
        .execute()["items"]
    )
    assert {i["id"]: i["status"] for i in with_deleted}[cancelled_id] == "cancelled"


def test_list_without_single_events_gives_master_and_exceptions(calendar):
    master = _series(calendar, ["RRULE:FREQ=DAILY;COUNT=5"], summary="Daily")
    calendar.events().patch(
        calendarId="primary", eventId=f"{master['id']}_20261208T090000Z", body={"summary": "Daily!"}
    ).execute()
    calendar.events().delete(
        calendarId="primary", eventId=f"{master['id']}_20261209T090000Z"
    ).execute()
    items, _ = list_all(calendar, calendarId="primary")
    mine = {i["id"]: i for i in items if i["id"].startswith(master["id"])}
    assert set(mine) == {
        master["id"],
        f"{master['id']}_20261208T090000Z",
        f"{master['id']}_20261209T090000Z",
    }
    assert mine[master["id"]]["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=5"]
    cancelled = mine[f"{master['id']}_20261209T090000Z"]
    assert cancelled["status"] == "cancelled" and cancelled["recurringEventId"] == master["id"]
    assert cancelled["originalStartTime"]["dateTime"] == "2026-12-09T10:00:00+01:00"


def test_instances_window_paging_and_show_deleted(calendar):
    master = _series(calendar, ["RRULE:FREQ=DAILY;COUNT=10"])
    calendar.events().delete(
        calendarId="primary", eventId=f"{master['id']}_20261208T090000Z"
    ).execute()
    assert len(_instances(calendar, master["id"])) == 9
    assert len(_instances(calendar, master["id"], showDeleted=True)) == 10
    window = _instances(
        calendar, master["id"], timeMin="2026-12-10T09:30:00Z", timeMax="2026-12-12T09:00:00Z"
    )
    assert [i["start"]["dateTime"][:10] for i in window] == ["2026-12-10", "2026-12-11"]
    first = (
        calendar.events()
        .instances(calendarId="primary", eventId=master["id"], maxResults=4)
        .execute()
    )
    second = (
        calendar.events()
        .instances(
            calendarId="primary",
            eventId=master["id"],
            maxResults=4,
            pageToken=first["nextPageToken"],
        )
        .execute()
    )
    assert len(first["items"]) == 4 and not ids(first["items"]) & ids(second["items"])


def test_rrule_count_until_interval_bymonthday():
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    far = datetime(2028, 1, 1, tzinfo=UTC)

    def days(lines):
        return [o.date().isoformat() for o in recurrence.occurrences(lines, start, TZ, None, far)]

    assert len(days(["RRULE:FREQ=DAILY;COUNT=4"])) == 4
    assert days(["RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20261230T000000Z"]) == [
        "2026-12-01",
        "2026-12-15",
        "2026-12-29",
    ]
    assert days(["RRULE:FREQ=WEEKLY;UNTIL=20261215"]) == ["2026-12-01", "2026-12-08", "2026-12-15"]
    # The start is an instance even where the rule would not give it (as Google expands).
    assert days(["RRULE:FREQ=MONTHLY;BYMONTHDAY=15;COUNT=2"]) == [
        "2026-12-01",
        "2026-12-15",
        "2027-01-15",
    ]
    assert days(["RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=3"]) == [
        "2026-12-01",
        "2026-12-03",
        "2026-12-08",
    ]
    assert days(
        ["RRULE:FREQ=DAILY;COUNT=3", "EXDATE:20261202T090000Z", "RDATE:20261224T090000Z"]
    ) == ["2026-12-01", "2026-12-03", "2026-12-24"]
    all_days = recurrence.occurrences(
        ["RRULE:FREQ=YEARLY;COUNT=2"], date(2026, 12, 24), None, None, date(2030, 1, 1)
    )
    assert all_days == [date(2026, 12, 24), date(2027, 12, 24)]


def test_dst_wall_clock_kept(calendar):
    master = _series(
        calendar,
        ["RRULE:FREQ=WEEKLY;COUNT=3"],
        start="2027-03-22T10:00:00",
        end="2027-03-22T11:00:00",
    )
    got = _instances(calendar, master["id"])
    assert [i["start"]["dateTime"] for i in got] == [
        "2027-03-22T10:00:00+01:00",
        "2027-03-29T10:00:00+02:00",
        "2027-04-05T10:00:00+02:00",
    ]
    assert [i["id"][-16:] for i in got] == [
        "20270322T090000Z",
        "20270329T080000Z",
        "20270405T080000Z",
    ]
    utc_view = (
        calendar.events()
        .list(
            calendarId="primary",
            singleEvents=True,
            timeZone="UTC",
            timeMin="2027-03-28T00:00:00Z",
            timeMax="2027-03-30T00:00:00Z",
        )
        .execute()
    )
    assert utc_view["timeZone"] == "UTC"
    assert {i["id"]: i["start"]["dateTime"] for i in utc_view["items"]}[
        got[1]["id"]
    ] == "2027-03-29T10:00:00+02:00"


def test_sync_with_single_events_gives_changed_instances_and_deleted_series(calendar):
    master = _series(calendar, ["RRULE:FREQ=DAILY;COUNT=3"], summary="Series")
    _, sync = list_all(calendar, calendarId="primary", singleEvents=True)
    inst = f"{master['id']}_20261208T090000Z"
    calendar.events().patch(
        calendarId="primary", eventId=inst, body={"summary": "One changed"}
    ).execute()
    changes, sync = list_all(calendar, calendarId="primary", singleEvents=True, syncToken=sync)
    assert [(i["id"], i["summary"]) for i in changes] == [(inst, "One changed")]
    calendar.events().delete(calendarId="primary", eventId=master["id"]).execute()
    changes, _ = list_all(calendar, calendarId="primary", singleEvents=True, syncToken=sync)
    assert {i["id"] for i in changes} == {
        master["id"],
        inst,
        f"{master['id']}_20261207T090000Z",
        f"{master['id']}_20261209T090000Z",
    }
    assert all(i["status"] == "cancelled" for i in changes)
    status, reason, _ = error_of(
        calendar.events().instances(calendarId="primary", eventId=master["id"])
    )
    assert (status, reason) == (410, "deleted")


def test_runaway_rule_expansion_is_capped():
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    far = datetime(2028, 1, 1, tzinfo=UTC)
    got = recurrence.occurrences(["RRULE:FREQ=SECONDLY"], start, TZ, None, far)
    assert len(got) == recurrence.MAX_OCCURRENCES


# --- as Google expands them: cases from the issue and from others' bug reports ------------
def _in_december(calendar, q: str) -> list[dict]:
    """events.list without singleEvents over December 2026: series masters, by a search word."""
    window = {"timeMin": "2026-12-01T00:00:00Z", "timeMax": "2026-12-31T00:00:00Z"}
    return calendar.events().list(calendarId="primary", q=q, **window).execute()["items"]


def _starts(items: list[dict]) -> list[str]:
    return [i["start"].get("dateTime", i["start"].get("date")) for i in items]


def test_a_start_outside_its_rule_is_still_the_first_instance(calendar):
    """Tuesday 1 December with `BYDAY=TH;COUNT=3`: Google gives Dec 1, 3, 10 and 17."""
    master = _series(
        calendar,
        ["RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=3"],
        start="2026-12-01T10:00:00",
        end="2026-12-01T11:00:00",
    )
    assert _starts(_instances(calendar, master["id"])) == [
        "2026-12-01T10:00:00+01:00",
        "2026-12-03T10:00:00+01:00",
        "2026-12-10T10:00:00+01:00",
        "2026-12-17T10:00:00+01:00",
    ]
    first = f"{master['id']}_20261201T090000Z"
    assert calendar.events().get(calendarId="primary", eventId=first).execute()["id"] == first


def test_an_rdate_only_series_has_its_start_and_the_rdate(calendar):
    master = _series(
        calendar,
        ["RDATE:20240913T120000Z"],
        start="2024-09-12T14:00:00",
        end="2024-09-12T15:00:00",
    )
    assert _starts(_instances(calendar, master["id"])) == [
        "2024-09-12T14:00:00+02:00",
        "2024-09-13T14:00:00+02:00",
    ]


def test_an_rdate_cancelled_by_an_equal_exdate_keeps_the_series_listed(calendar):
    master = _series(
        calendar,
        ["RRULE:FREQ=DAILY;COUNT=2", "RDATE:20261210T090000Z", "EXDATE:20261210T090000Z"],
        summary="Zqrdex",
    )
    assert _starts(_instances(calendar, master["id"])) == [
        "2026-12-07T10:00:00+01:00",
        "2026-12-08T10:00:00+01:00",
    ]
    listed = _in_december(calendar, "Zqrdex")
    assert [i["id"] for i in listed] == [master["id"]]
    only = _series(
        calendar,
        ["RDATE:20261210T090000Z", "EXDATE:20261210T090000Z"],
        summary="Zqrdonly",
    )
    listed = _in_december(calendar, "Zqrdonly")
    assert [i["id"] for i in listed] == [only["id"]]
    assert _starts(_instances(calendar, only["id"])) == ["2026-12-07T10:00:00+01:00"]


def test_an_exdate_on_the_start_removes_it(calendar):
    master = _series(calendar, ["RRULE:FREQ=DAILY;COUNT=3", f"EXDATE;TZID={TZ}:20261207T100000"])
    assert _starts(_instances(calendar, master["id"])) == [
        "2026-12-08T10:00:00+01:00",
        "2026-12-09T10:00:00+01:00",
    ]


# Rules that others' calendars produced (bug reports of GAS-ICS-Sync #466, Simple Calendar
# #1831, ownCloud #971) and that Google refuses with "Invalid recurrence rule.".
REFUSED = [
    ["RRULE:FREQ=YEARLY;UNTIL=20230617;COUNT=-1;INTERVAL=1"],
    ["RRULE:FREQ=DAILY;UNTIL=20220916T130000;COUNT=-1;INTERVAL=1"],
    ["RRULE:FREQ=YEARLY;UNTIL=19961027T030000;COUNT=16;BYDAY=-1SU;BYMONTH=9"],
    ["RRULE:FREQ=DAILY;COUNT=-1"],
    ["RRULE:FREQ=DAILY;COUNT=0"],
    ["RRULE:FREQ=WEEKLY;COUNT=3;UNTIL=20261231T000000Z"],
]


@pytest.mark.parametrize("rules", REFUSED, ids=[r[0][6:40] for r in REFUSED])
def test_rules_google_refuses_give_400_invalid_recurrence_rule(calendar, rules):
    status, reason, err = error_of(
        calendar.events().insert(
            calendarId="primary",
            body={
                **timed("2026-12-07T10:00:00", "2026-12-07T11:00:00", tz=TZ),
                "recurrence": rules,
            },
        )
    )
    assert (status, reason, err["message"]) == (400, "invalid", "Invalid recurrence rule.")
