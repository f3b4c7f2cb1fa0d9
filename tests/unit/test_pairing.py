"""Pairing: unlinked items already on both sides (the first run, a full reconcile) are linked,
not copied (sync/pairing.py, docs/planner.md "Pairing")."""

from __future__ import annotations

from datetime import date, timedelta

from sync.actions import (
    CreateOnGoogle,
    CreateOnPipedrive,
    Pair,
    Skip,
    UpdateGoogle,
    UpdatePipedrive,
)
from sync.options import Options
from sync.pairing import normal_title
from sync.report import event_for
from tests.unit.test_planner import NOW, ONE, T, g, p, run


def test_same_meeting_on_both_sides_is_paired_not_copied():
    pl = run(google=[g(title="  Kickoff   call")], pipedrive=[p(title="kickoff CALL")], full=True)
    # Titles differ in case and spacing only; contents otherwise equal except the title text.
    pairs = pl.of(Pair)
    assert len(pairs) == 1 and (pairs[0].link.google_id, pairs[0].link.pipedrive_id) == (
        "ev1",
        "42",
    )
    assert not pl.of(CreateOnGoogle) and not pl.of(CreateOnPipedrive)
    assert pl.counts()["other"]["pair"] == 1
    event = event_for(pairs[0], NOW)
    assert event is not None and event.kind == "pair" and "paired" in event.reason


def test_equal_contents_pair_without_writes():
    pl = run(google=[g()], pipedrive=[p()], full=True)
    assert [type(a) for a in pl] == [Pair]
    link = pl.of(Pair)[0].link
    assert link.google_fingerprint == g().fingerprint()
    assert link.pipedrive_fingerprint == p().fingerprint()


def test_the_later_changed_side_wins():
    later = NOW - timedelta(minutes=5)
    pl = run(google=[g(location="Room 1")], pipedrive=[p(location="Room 2", updated=later)],
             full=True)  # fmt: skip
    (update,) = pl.of(UpdateGoogle)
    assert update.item.location == "Room 2"
    assert pl.of(Pair)[0].link.pipedrive_fingerprint == ""  # made again if the update is lost
    pl = run(google=[g(location="Room 1", updated=later)], pipedrive=[p(location="Room 2")],
             full=True)  # fmt: skip
    (update,) = pl.of(UpdatePipedrive)
    assert update.item.location == "Room 1"
    assert pl.of(Pair)[0].link.google_fingerprint == ""


def test_one_way_pairs_with_the_activity_winning():
    pl = run(google=[g(location="Room 1", updated=NOW)], pipedrive=[p(location="Room 2")],
             options=ONE, full=True)  # fmt: skip
    assert len(pl.of(Pair)) == 1 and pl.of(UpdateGoogle)[0].item.location == "Room 2"


def test_never_across_titles_or_times():
    pl = run(google=[g(title="Kickoff"), g("ev2", start=T + timedelta(minutes=30),
                                              end=T + timedelta(minutes=90))],
             pipedrive=[p(title="Kick-off"), p("43", end=T + timedelta(minutes=90))],
             full=True)  # fmt: skip
    assert not pl.of(Pair)
    assert len(pl.of(CreateOnGoogle)) == 2 and len(pl.of(CreateOnPipedrive)) == 2


def test_all_day_pairs_only_with_all_day():
    day = dict(all_day=True, start=date(2026, 6, 4), end=date(2026, 6, 5))
    pl = run(google=[g(**day)], pipedrive=[p(**day), p("43")], full=True)
    assert [(a.link.google_id, a.link.pipedrive_id) for a in pl.of(Pair)] == [("ev1", "42")]
    assert len(pl.of(CreateOnGoogle)) == 1


def test_only_on_full_runs():
    pl = run(google=[g()], pipedrive=[p()], full=False)
    assert not pl.of(Pair) and len(pl.of(CreateOnGoogle)) == 1


def test_several_candidates_pair_one_to_one_and_the_rest_go_to_review():
    google = [g(f"ev{i}", updated=NOW - timedelta(hours=5 - i)) for i in range(3)]
    pipedrive = [p(str(40 + i), updated=NOW - timedelta(hours=5 - i)) for i in range(2)]
    pl = run(google=google, pipedrive=pipedrive, full=True)
    assert sorted((a.link.google_id, a.link.pipedrive_id) for a in pl.of(Pair)) == [
        ("ev0", "40"), ("ev1", "41"),
    ]  # fmt: skip
    (review,) = [s for s in pl.of(Skip) if s.code == "review"]
    assert review.item.id == "ev2"
    assert not pl.of(CreateOnGoogle) and not pl.of(CreateOnPipedrive)


def test_busy_placeholder_pairs_with_its_private_event():
    opts = Options(private="busy")
    pl = run(google=[g(title="Doctor", private=True)], pipedrive=[p(title="Busy")],
             options=opts, full=True)  # fmt: skip
    (pair,) = pl.of(Pair)
    assert pair.link.origin == "google" and pair.link.google_private


def test_our_copies_are_relinked_not_paired():
    copy = g(origin="pipedrive:42")
    pl = run(google=[copy], pipedrive=[p()], full=True)
    assert not pl.of(Pair)


def test_normal_title():
    assert normal_title("  Weekly\tSYNC \n") == "weekly sync"
