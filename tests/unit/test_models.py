"""Models: fingerprints, overlaps, origins, JSON shapes of links, events and run summaries."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sync.models import (
    Attendee,
    CalendarItem,
    Link,
    RunSummary,
    SyncEvent,
    as_utc_instant,
    origin_for,
    parse_origin,
)

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def item(**kw):
    base = dict(side="google", id="e1", title="Demo", start=T0, end=T0 + timedelta(hours=1))
    base.update(kw)
    return CalendarItem(**base)


def test_fingerprint_ignores_ids_versions_and_bookkeeping():
    a = item()
    b = item(
        side="pipedrive",
        id="42",
        version="v2",
        updated=T0,
        activity_type="call",
        done=True,
        origin="google:e1",
        time_zone="Europe/Stockholm",
        attendees=(Attendee("X@Example.com", "X", "accepted"),),
    )
    c = item(attendees=(Attendee("x@example.com"),))
    assert a.fingerprint() != b.fingerprint()  # attendees differ
    assert b.fingerprint() == c.fingerprint()  # same emails (case), status and name ignored
    assert len(a.fingerprint()) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Other"},
        {"start": T0 + timedelta(minutes=1)},
        {"end": T0 + timedelta(hours=2)},
        {"location": "Solna"},
        {"description": "notes"},
        {"busy": False},
        {"private": True},
        {"all_day": True},
    ],
)
def test_fingerprint_changes_with_content(change):
    assert item().fingerprint() != item(**change).fingerprint()


def test_fingerprint_is_stable_across_offsets():
    from zoneinfo import ZoneInfo

    local = T0.astimezone(ZoneInfo("Asia/Tokyo"))
    assert item(start=local, end=local + timedelta(hours=1)).fingerprint() == item().fingerprint()


def test_overlaps_timed_all_day_zero_length_and_timeless():
    w0, w1 = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC)
    assert item().overlaps(w0, w1)
    assert not item(start=w1, end=w1 + timedelta(hours=1)).overlaps(w0, w1)  # end exclusive
    assert not item(start=w0 - timedelta(hours=1), end=w0).overlaps(w0, w1)  # ends at start
    assert item(start=w0, end=w0).overlaps(w0, w1)  # zero-length at the start counts
    assert not item(start=w1, end=w1).overlaps(w0, w1)
    all_day = item(start=date(2026, 5, 31), end=date(2026, 6, 1), all_day=True)
    assert not all_day.overlaps(w0, w1)
    assert item(start=date(2026, 5, 31), end=date(2026, 6, 2), all_day=True).overlaps(w0, w1)
    assert not item(start=None, end=None, deleted=True).overlaps(w0, w1)


def test_span_and_naive_times_refused():
    assert item().span() == (T0, T0 + timedelta(hours=1))
    assert item(start=None).span() is None
    assert as_utc_instant(date(2026, 1, 2)) == datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(ValueError):
        as_utc_instant(datetime(2026, 1, 2))


def test_origin_helpers():
    assert origin_for("pipedrive", "42") == "pipedrive:42"
    assert parse_origin("pipedrive:42") == ("pipedrive", "42")
    assert parse_origin("google:abc_20260101T100000Z") == ("google", "abc_20260101T100000Z")
    for bad in (None, "", "pipedrive:", "elsewhere:1", "nocolon"):
        assert parse_origin(bad) is None
    assert item(origin="pipedrive:7").peer() == ("pipedrive", "7")


def test_link_from_items_and_json_round_trip():
    g = item(version="etag1", series_id="master", private=True)
    p = item(side="pipedrive", id="42", version="2026-06-01T08:00:00Z", description="x")
    link = Link.from_items(g, p, origin="google", synced_at=T0)
    assert link.google_fingerprint == g.fingerprint()
    assert link.pipedrive_fingerprint == p.fingerprint()
    assert (link.series_id, link.google_private, link.end) == (
        "master",
        True,
        T0 + timedelta(hours=1),
    )
    doc = json.loads(json.dumps(link.to_json()))
    assert Link.from_json(doc) == link
    assert Link.from_json({"google_id": "g", "pipedrive_id": 5}).pipedrive_id == "5"


def test_sync_event_json_round_trip():
    ev = SyncEvent(
        kind="conflict",
        side="pipedrive",
        title="Demo",
        when=date(2026, 6, 1),
        reason="both changed",
        item_id="e1",
        at=T0,
        detail={"loser": {"version": "v1", "at": T0}},
    )
    doc = json.loads(json.dumps(ev.to_json()))
    assert doc["detail"]["loser"]["at"] == T0.isoformat()
    back = SyncEvent.from_json(doc)
    assert (back.kind, back.side, back.when, back.at, back.item_id) == (
        "conflict",
        "pipedrive",
        date(2026, 6, 1),
        T0,
        "e1",
    )
    assert SyncEvent.from_json(SyncEvent("progress", when=T0).to_json()).when == T0
    with pytest.raises(ValueError):
        SyncEvent.from_json({"kind": "explode"})


def test_run_summary_shape():
    s = RunSummary()
    s.google.created = 2
    s.pipedrive.deleted = 1
    s.pipedrive.requests = 7
    s.conflicts = 1
    s.skip("e9", "Private", "private event")
    s.error(None, "", "boom")
    s.seconds = 1.23456
    s.status = "guarded"
    doc = s.to_json()
    assert doc == {
        "google": {"created": 2, "updated": 0, "deleted": 0, "requests": 0},
        "pipedrive": {"created": 0, "updated": 0, "deleted": 1, "requests": 7},
        "conflicts": 1,
        "skipped": [{"id": "e9", "title": "Private", "reason": "private event"}],
        "errors": [{"id": None, "title": "", "reason": "boom"}],
        "seconds": 1.235,
        "status": "guarded",
    }
    assert RunSummary.from_json(json.loads(json.dumps(doc))).to_json() == doc
    assert s.side("google") is s.google


def test_pure_modules_import_no_io_or_ui_libraries():
    code = (
        "import sys; import sync.models, sync.options, sync.mapping, sync.planner, sync.errors, sync.store;"
        "bad = [m for m in ('httpx', 'textual', 'tui', 'sandbox', 'googleapiclient', 'starlette') if m in sys.modules];"
        "print(bad)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "[]"
