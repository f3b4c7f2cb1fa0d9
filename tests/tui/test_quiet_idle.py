"""Idle polls stay out of the live log; runs that do something show in full."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sync.models import RunSummary, SyncEvent
from sync.quiet import QuietIdleRuns
from tui.screens.sync_log import shown
from tui.session import SyncSession

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def ev(kind: str, **detail) -> SyncEvent:
    return SyncEvent(kind, None, "", None, "", None, AT, detail)  # type: ignore[arg-type]


def done(**counts) -> SyncEvent:
    summary = RunSummary()
    summary.google.created = counts.get("created", 0)
    return ev("done", summary=summary.to_json(), exit_code=0)


def run(quiet: bool, events: list[SyncEvent]) -> list[SyncEvent]:
    out: list[SyncEvent] = []
    q = QuietIdleRuns(out.append, quiet=quiet)
    for event in events:
        q.add_event(event)
    q.release()
    return out


def test_an_idle_poll_reaches_the_log_as_a_quiet_done_only():
    out = run(True, [ev("start"), ev("fetch"), done()])
    assert [e.kind for e in out] == ["done"] and out[0].detail["quiet"]
    assert not shown(out[0], "all")
    session = SyncSession("1")
    for event in out:
        session.record(event)
    assert session.runs == 1 and not session.events  # counted, not kept


def test_a_run_that_writes_shows_everything_in_order():
    create = ev("create")
    out = run(True, [ev("start"), ev("fetch"), create, done(created=1)])
    assert [e.kind for e in out] == ["start", "fetch", "create", "done"]
    assert not out[-1].detail.get("quiet")


def test_the_first_run_of_a_watch_is_always_shown():
    out = run(False, [ev("start"), ev("fetch"), done()])
    assert [e.kind for e in out] == ["start", "fetch", "done"]


def test_a_run_cut_short_passes_on_what_it_held():
    out = run(True, [ev("start"), ev("fetch")])  # stopped before its done
    assert [e.kind for e in out] == ["start", "fetch"]


def test_time_left_counts_down_from_the_engines_estimate():
    now = [0.0]
    session = SyncSession("1", clock=lambda: now[0])
    session.record(ev("start"))
    assert session.time_left() is None  # no estimate yet
    session.record(ev("progress", done=1_000, total=10_000, seconds_left=None))
    assert session.time_left() is None
    session.record(ev("progress", done=1_100, total=10_000, seconds_left=180.0))
    now[0] += 30
    assert session.time_left() == pytest.approx(150.0)
    from sync.wording import time_left

    assert time_left(session.time_left()) == "about 2 min left"
    assert time_left(None) == "" and time_left(42) == "about 40 s left"
