"""Options: defaults, JSON keys, validation messages, the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sync.errors import CalsyncError, UsageError
from sync.options import DEFAULT_PUSH_TYPES, JSON_KEYS, Options, parse_push_types


def test_defaults_and_json_keys():
    o = Options()
    assert o.to_json() == {
        "calendar": "primary",
        "sync_type": "two-way",
        "save_as": "meeting",
        "push_types": list(DEFAULT_PUSH_TYPES),
        "private": "private",
        "linked_contacts": False,
        "window_past_days": 30,
        "window_future_days": 365,
        "import_blocks": [],
        "create_persons": False,
    }
    assert tuple(o.to_json()) == JSON_KEYS


def test_json_round_trip_and_missing_keys_default():
    o = Options(
        calendar="team@group.calendar.google.com", sync_type="one-way", push_types=("call",)
    )
    assert Options.from_json(o.to_json()) == o
    assert Options.from_json({"private": "busy"}) == Options(private="busy")


def test_from_json_refuses_unknown_keys():
    with pytest.raises(UsageError, match="unknown option 'colour'"):
        Options.from_json({"colour": "red"})
    with pytest.raises(UsageError):
        Options.from_json([])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sync_type": "sideways"}, "unknown --sync-type 'sideways': choose one-way or two-way"),
        ({"private": "secret"}, "unknown --private 'secret': choose private, busy, public or skip"),
        ({"window_past_days": -1}, "bad --window-past -1"),
        ({"window_future_days": 3651}, "bad --window-future 3651"),
        ({"window_future_days": True}, "bad --window-future True"),
        ({"window_past_days": "30"}, "bad --window-past '30'"),
        ({"save_as": "Big Meeting"}, "bad --save-as 'Big Meeting'"),
        ({"push_types": ["call", "No Way"]}, "bad --push-types entry 'No Way'"),
        ({"calendar": ""}, "bad --calendar ''"),
        ({"linked_contacts": "yes"}, "linked_contacts must be true or false"),
    ],
)
def test_replace_validates_with_one_clear_line(changes, message):
    with pytest.raises(UsageError) as err:
        Options().replace(**changes)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)
    assert err.value.exit_code == 2


def test_replace_keeps_other_values_and_refuses_unknown():
    o = Options().replace(sync_type="one-way", push_types=["call", "call", "task"])
    assert o.sync_type == "one-way"
    assert o.push_types == ("call", "task")
    assert o.save_as == "meeting"
    with pytest.raises(UsageError, match="unknown option 'nope'"):
        Options().replace(nope=1)


def test_window_edges_are_accepted():
    assert Options(window_past_days=0, window_future_days=3650).window_future_days == 3650


def test_parse_push_types():
    assert parse_push_types("call, meeting,,call ") == ("call", "meeting")
    assert parse_push_types("none") == parse_push_types(" None ") == ()
    for empty in ("", " , "):
        with pytest.raises(UsageError, match="needs activity types"):
            parse_push_types(empty)


def test_window_is_whole_utc_days():
    now = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))  # 2026-03-28 23:30Z
    start, end = Options(window_past_days=30, window_future_days=365).window(now)
    assert start == datetime(2026, 2, 26, tzinfo=UTC)
    assert end == datetime(2027, 3, 29, tzinfo=UTC)
    assert start.tzinfo is UTC and end.tzinfo is UTC
    with pytest.raises(ValueError):
        Options().window(datetime(2026, 1, 1))


def test_zero_day_window_still_covers_today():
    start, end = Options(window_past_days=0, window_future_days=0).window(
        datetime(2026, 5, 1, 12, tzinfo=UTC)
    )
    assert (start, end) == (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC))


def test_error_classes_are_one_line_with_exit_codes():
    from sync.errors import AuthError, NotFound, ServiceUnavailable, StoreError

    assert str(CalsyncError("two\n  lines")) == "two lines"
    assert CalsyncError("x").exit_code == 1
    assert CalsyncError("x", exit_code=3).exit_code == 3
    for cls in (StoreError, AuthError, ServiceUnavailable, NotFound):
        assert issubclass(cls, CalsyncError) and cls("x").exit_code == 1
    assert UsageError("x").exit_code == 2
