"""The planner's rules for what a real calendar holds besides meetings (docs/planner.md,
"Event types, declined invitations"): event types never imported, out-of-office and focus
time under `import_blocks`, invitations the user declined, and the window's days in the
calendar's time zone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.actions import CreateOnPipedrive, DeletePipedrive, ForgetLink, Skip, UpdateGoogle
from sync.options import Options
from tests.planning import plan
from tests.unit.test_planner import NOW, ONE, TWO, deleted, edit, g, linked, run


@pytest.mark.parametrize(
    ("event_type", "code"),
    [
        ("workingLocation", "working-location"),
        ("birthday", "birthday"),
        ("fromGmail", "from-gmail"),
    ],
)
@pytest.mark.parametrize("blocks", [(), ("out-of-office", "focus-time")])
def test_event_types_that_never_become_activities(event_type, code, blocks):
    options = Options(import_blocks=blocks)
    actions = run([], [g(event_type=event_type)], [], options, full=True).actions
    assert [(type(a), a.code) for a in actions] == [(Skip, code)]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("event_type", "name"), [("outOfOffice", "out-of-office"), ("focusTime", "focus-time")]
)
def test_blocks_only_when_the_option_names_them(event_type, name):
    block = g(event_type=event_type)
    (skip,) = run([], [block], [], TWO).actions
    assert isinstance(skip, Skip) and skip.code == name
    assert f"--import-blocks {name}" in skip.reason
    other = "focus-time" if name == "out-of-office" else "out-of-office"
    assert isinstance(run([], [block], [], Options(import_blocks=(other,))).actions[0], Skip)
    (create,) = run([], [block], [], Options(import_blocks=(name,))).actions
    assert create == CreateOnPipedrive(block, "private")


def test_a_declined_invitation_is_not_imported():
    (skip,) = run([], [g(declined=True)], [], TWO).actions
    assert isinstance(skip, Skip) and skip.code == "declined"
    assert len(run([], [g(declined=True)], [], ONE)) == 0  # one-way imports nothing anyway


def test_declined_later_removes_an_activity_not_edited_since():
    link, gi, pi = linked()
    declined = edit(gi, declined=True, version="etag2")
    for seen in ([pi], []):  # listed (a full run) or, incremental, not in the feed
        (delete,) = run([link], [declined], seen, TWO, full=bool(seen)).actions
        assert isinstance(delete, DeletePipedrive) and "declined" in delete.reason


def test_declined_later_keeps_an_activity_edited_in_pipedrive():
    link, gi, pi = linked()
    declined = edit(gi, declined=True, version="etag2")
    # A note, a deal, done: no content change, but its update_time moved.
    touched = edit(pi, version="2026-06-01T11:00:00Z")
    (skip,) = run([link], [declined], [touched], TWO).actions
    assert isinstance(skip, Skip) and skip.code == "declined-kept"
    assert skip.item == touched and "edited there" in skip.reason
    renamed = edit(pi, title="Kickoff (prep notes)", version="2026-06-01T11:00:00Z")
    assert isinstance(run([link], [declined], [renamed], TWO).actions[0], Skip)


def test_declined_later_with_the_activity_gone_forgets_the_pair():
    link, gi, pi = linked()
    declined = edit(gi, declined=True)
    assert [type(a) for a in run([link], [declined], [deleted(pi)], TWO)] == [ForgetLink]
    assert [type(a) for a in run([link], [declined], [], TWO, full=True)] == [ForgetLink]


def test_declined_rules_leave_pairs_made_in_pipedrive_and_one_way_alone():
    link, gi, pi = linked(origin="pipedrive")
    assert len(run([link], [edit(gi, declined=True)], [pi], TWO)) == 0
    link, gi, pi = linked()
    one = run([link], [edit(gi, declined=True)], [pi], ONE).actions
    assert not any(isinstance(a, DeletePipedrive) for a in one)


def test_blocks_dropped_from_the_option_go_unless_edited():
    link, gi, pi = linked(event_type="focusTime")
    (delete,) = run([link], [gi], [pi], TWO, full=True).actions
    assert isinstance(delete, DeletePipedrive) and "focus time" in delete.reason
    kept = run([link], [gi], [edit(pi, version="v2")], TWO, full=True).actions
    assert [(type(a), a.code) for a in kept] == [(Skip, "focus-time-kept")]  # type: ignore[union-attr]
    assert len(run([link], [gi], [pi], Options(import_blocks=("focus-time",)), full=True)) == 0


def test_all_day_items_on_the_windows_last_day_are_in_it_in_the_calendars_zone():
    """Google lists an all-day event on the day of timeMax in Stockholm (that day begins at
    23:00 UTC the day before, before timeMax): it is synced, not skipped on every run."""
    last = TWO.window(NOW)[1].date()
    day = g(start=last, end=last + timedelta(days=1), all_day=True)
    in_stockholm = plan(
        links=[], google={day.id: day}, pipedrive={}, options=TWO, now=NOW, full=True,
        calendar_tz="Europe/Stockholm",
    )  # fmt: skip
    assert [type(a) for a in in_stockholm] == [CreateOnPipedrive]
    after = last + timedelta(days=1)
    beyond = g(start=after, end=after + timedelta(days=1), all_day=True)
    outside = plan(
        links=[], google={beyond.id: beyond}, pipedrive={}, options=TWO, now=NOW, full=True,
        calendar_tz="Europe/Stockholm",
    )  # fmt: skip
    assert [a.code for a in outside] == ["window"]  # type: ignore[union-attr]
    # West of UTC the first day of the window is the one that begins late.
    first = TWO.window(NOW)[0].date()
    early = g("ev2", start=first - timedelta(days=1), end=first, all_day=True)
    in_new_york = plan(
        links=[], google={early.id: early}, pipedrive={}, options=TWO, now=NOW, full=True,
        calendar_tz="America/New_York",
    )  # fmt: skip
    assert [type(a) for a in in_new_york] == [CreateOnPipedrive]
    in_utc = run([], [day, early], [], TWO, full=True).actions
    assert sorted(a.code for a in in_utc) == ["window", "window"]  # type: ignore[union-attr]


def test_an_update_of_google_knows_the_events_meeting_link():
    link, gi, pi = linked(meeting_url="https://meet.google.com/abc-defg-hij")
    moved = edit(pi, start=pi.start + timedelta(hours=1), end=pi.end + timedelta(hours=1))
    (seen,) = run([link], [gi], [moved], TWO, full=True).actions
    (unseen,) = run([link], [], [moved], TWO).actions
    assert isinstance(seen, UpdateGoogle) and isinstance(unseen, UpdateGoogle)
    assert seen.event_meeting == unseen.event_meeting == "https://meet.google.com/abc-defg-hij"
