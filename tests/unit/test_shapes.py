"""The store's shape readers: each field as the type asked for, or a ShapeError saying which
field and how (with and without the stored value)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sync import shapes
from sync.models import Link, RunSummary, SyncEvent
from sync.shapes import ShapeError


def test_fields_of_the_right_type_and_defaults():
    doc = {
        "s": "x",
        "n": 3,
        "f": 1.5,
        "b": False,
        "o": {},
        "l": [],
        "t": "2026-03-20T09:00:00+00:00",
    }
    assert shapes.text(doc, "s") == "x" and shapes.text(doc, "gone", "d") == "d"
    assert shapes.integer(doc, "n") == 3 and shapes.number(doc, "n") == 3.0
    assert shapes.number(doc, "f") == 1.5 and shapes.flag(doc, "b") is False
    assert shapes.mapping(doc, "o") == {} and shapes.listing(doc, "l") == []
    assert shapes.moment(doc, "t") == datetime(2026, 3, 20, 9, tzinfo=UTC)
    assert shapes.day_or_moment({"w": "2026-03-20"}, "w") == date(2026, 3, 20)
    assert shapes.identifier({"id": 42}, "id") == "42"


@pytest.mark.parametrize(
    ("read", "message", "private"),
    [
        (lambda: shapes.text({}, "google_id"), "google_id is missing", None),
        (lambda: shapes.integer({"n": True}, "n"), "n is true/false (True), not a whole number",
         "n is true/false, not a whole number"),
        (lambda: shapes.text({"t": 5}, "t"), "t is a number (5), not a string", "t is a number, not a string"),
        (lambda: shapes.moment({"at": "2026-03-20T09:00"}, "at"),
         "at is a string ('2026-03-20T09:00'), not a date-time with a time zone",
         "at is a string, not a date-time with a time zone"),
        (lambda: shapes.identifier({"id": ""}, "id"), "id is an empty string (''), not an id",
         "id is an empty string, not an id"),
        (lambda: shapes.text("oops", "x"), "is a string, not an object", None),
    ],
)  # fmt: skip
def test_wrong_fields_say_which_and_how(read, message, private):
    with pytest.raises(ShapeError) as caught:
        read()
    assert str(caught.value) == message
    assert caught.value.private == (private or message)


def test_entries_are_named_by_their_place():
    with pytest.raises(ShapeError, match=r"^link 2: pipedrive_id is missing$"):
        shapes.each(
            [{"google_id": "a", "pipedrive_id": "1"}, {"google_id": "b"}], Link.from_json, "link"
        )


def test_model_readers_refuse_wrong_shapes():
    with pytest.raises(ShapeError, match="origin is 'outlook'"):
        Link.from_json({"google_id": "g", "pipedrive_id": "1", "origin": "outlook"})
    with pytest.raises(ShapeError, match="^google: created is a string"):
        RunSummary.from_json({"google": {"created": "2"}})
    with pytest.raises(ShapeError, match="^errors entry 1: reason is a number"):
        RunSummary.from_json({"errors": [{"id": None, "title": "", "reason": 5}]})
    with pytest.raises(ShapeError, match="^when is a string"):
        SyncEvent.from_json({"kind": "create", "when": "2026-13-01"})
