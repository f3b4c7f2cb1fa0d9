"""The planner, row by row of docs/planner.md's decision table."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from sync.actions import (
    Conflict,
    CreateOnGoogle,
    CreateOnPipedrive,
    DeleteGoogle,
    DeletePipedrive,
    ForgetLink,
    Plan,
    Relink,
    ResetPlaceholder,
    Skip,
    UpdateGoogle,
    UpdatePipedrive,
    guard,
)
from sync.models import CalendarItem, Link
from sync.options import Options
from sync.report import event_for as action_event
from tests.planning import plan

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
T = NOW + timedelta(days=2)
TWO = Options()
ONE = Options(sync_type="one-way")


def g(gid="ev1", **kw):
    base = dict(
        side="google",
        id=gid,
        version="etag1",
        updated=NOW - timedelta(hours=1),
        title="Kickoff",
        start=T,
        end=T + timedelta(hours=1),
    )
    base.update(kw)
    return CalendarItem(**base)


def p(pid="42", **kw):
    base = dict(
        side="pipedrive",
        id=pid,
        version="2026-06-01T10:00:00Z",
        updated=NOW - timedelta(hours=1),
        title="Kickoff",
        start=T,
        end=T + timedelta(hours=1),
        activity_type="meeting",
    )
    base.update(kw)
    return CalendarItem(**base)


def linked(gid="ev1", pid="42", origin="google", **kw):
    gi, pi = g(gid, **kw), p(pid, **kw)
    return Link.from_items(gi, pi, origin=origin, synced_at=NOW - timedelta(days=1)), gi, pi


def run(links=(), google=(), pipedrive=(), options=TWO, full=False, now=NOW):
    return plan(
        links=list(links),
        google={i.id: i for i in google},
        pipedrive={i.id: i for i in pipedrive},
        options=options,
        now=now,
        full=full,
    )


def kinds(pl: Plan):
    return [type(a).__name__ for a in pl]


def edit(item, **kw):
    return dataclasses.replace(item, **kw)


def deleted(item):
    return dataclasses.replace(item, deleted=True, version=item.version + "x")


# ---------------------------------------------------------------- two-way, linked pairs


@pytest.mark.parametrize("options", [TWO, ONE])
def test_unchanged_on_both_sides_does_nothing(options):
    link, gi, pi = linked()
    assert len(run([link], [gi], [pi], options)) == 0
    assert len(run([link], [], [], options)) == 0


@pytest.mark.parametrize("options", [TWO, ONE])
def test_etag_bump_alone_is_no_change(options):
    link, gi, pi = linked()
    assert (
        len(
            run(
                [link],
                [edit(gi, version="etag9", updated=NOW)],
                [edit(pi, version="v9", updated=NOW)],
                options,
            )
        )
        == 0
    )


@pytest.mark.parametrize("seen_p", [False, True])
def test_changed_on_google_updates_pipedrive(seen_p):
    link, gi, pi = linked()
    new = edit(gi, title="Kickoff (moved)")
    pl = run([link], [new], [pi] if seen_p else [])
    assert pl.actions == (UpdatePipedrive(link, new, "private"),)


@pytest.mark.parametrize("seen_g", [False, True])
def test_changed_in_pipedrive_updates_google(seen_g):
    link, gi, pi = linked()
    new = edit(pi, location="Solna")
    assert run([link], [gi] if seen_g else [], [new]).actions == (UpdateGoogle(link, new),)


def test_both_changed_pipedrive_later_wins():
    link, gi, pi = linked()
    gnew, pnew = (
        edit(gi, title="G", updated=NOW - timedelta(minutes=5)),
        edit(pi, title="P", updated=NOW),
    )
    pl = run([link], [gnew], [pnew])
    assert pl.of(Conflict) == [Conflict(pnew, gnew, "both changed; Pipedrive changed last")]
    assert pl.of(UpdateGoogle) == [UpdateGoogle(link, pnew)]
    assert not pl.of(UpdatePipedrive)


def test_both_changed_google_later_wins():
    link, gi, pi = linked()
    gnew, pnew = (
        edit(gi, title="G", updated=NOW),
        edit(pi, title="P", updated=NOW - timedelta(minutes=5)),
    )
    pl = run([link], [gnew], [pnew])
    assert pl.of(Conflict)[0].winner is gnew and pl.of(Conflict)[0].loser is pnew
    assert pl.of(UpdatePipedrive) == [UpdatePipedrive(link, gnew, "private")]


def test_both_changed_tie_goes_to_google():
    link, gi, pi = linked()
    gnew, pnew = edit(gi, title="G", updated=NOW), edit(pi, title="P", updated=NOW)
    pl = run([link], [gnew], [pnew])
    assert pl.of(Conflict)[0].winner is gnew
    assert kinds(pl) == ["UpdatePipedrive", "Conflict"]


def test_both_changed_to_the_same_content_is_no_conflict():
    link, gi, pi = linked()
    gnew, pnew = edit(gi, title="Same", version="e2"), edit(pi, title="Same", version="v2")
    pl = run([link], [gnew], [pnew])
    assert kinds(pl) == ["Relink"]
    assert pl.actions[0].link.google_fingerprint == gnew.fingerprint()
    assert pl.actions[0].link.google_version == "e2"


@pytest.mark.parametrize("seen_p", [False, True])
def test_deleted_on_google_deletes_the_activity(seen_p):
    link, gi, pi = linked()
    pl = run([link], [deleted(gi)], [pi] if seen_p else [])
    assert pl.actions == (DeletePipedrive(link, "deleted on Google"),)


def test_deleted_on_google_but_changed_in_pipedrive_restores_the_event():
    link, gi, pi = linked()
    pnew = edit(pi, title="still on")
    assert run([link], [deleted(gi)], [pnew]).actions == (CreateOnGoogle(pnew, replaces=link),)


@pytest.mark.parametrize("seen_g", [False, True])
def test_deleted_in_pipedrive_deletes_the_event(seen_g):
    link, gi, pi = linked()
    assert run([link], [gi] if seen_g else [], [deleted(pi)]).actions == (
        DeleteGoogle(link, "deleted in Pipedrive"),
    )


def test_deleted_in_pipedrive_but_changed_on_google_restores_the_activity():
    link, gi, pi = linked()
    gnew = edit(gi, title="still on")
    assert run([link], [gnew], [deleted(pi)]).actions == (
        CreateOnPipedrive(gnew, "private", replaces=link),
    )


def test_deleted_in_pipedrive_and_changed_private_event_skipped_is_forgotten():
    link, gi, pi = linked()
    pl = run([link], [edit(gi, private=True)], [deleted(pi)], TWO.replace(private="skip"))
    assert kinds(pl) == ["ForgetLink"]


@pytest.mark.parametrize("options", [TWO, ONE])
def test_deleted_on_both_sides_forgets_the_link(options):
    link, gi, pi = linked()
    assert run([link], [deleted(gi)], [deleted(pi)], options).actions == (
        ForgetLink(link, "deleted on both sides"),
    )


def test_changed_linked_pair_outside_the_window_still_syncs():
    link, gi, pi = linked()
    far = edit(pi, start=NOW + timedelta(days=900), end=NOW + timedelta(days=900, hours=1))
    assert kinds(run([link], [], [far])) == ["UpdateGoogle"]


# ---------------------------------------------------------------- series


def series_links(n=3, series="ser"):
    out = []
    for i in range(n):
        start = T + timedelta(days=7 * i)
        gi = g(f"ser_{i}", series_id=series, start=start, end=start + timedelta(hours=1))
        pi = p(str(100 + i), start=start, end=start + timedelta(hours=1))
        out.append((Link.from_items(gi, pi, origin="google", synced_at=NOW), gi, pi))
    return out


def test_cancelled_series_deletes_every_linked_instance():
    trio = series_links()
    master = CalendarItem("google", "ser", deleted=True, series_id="ser")
    pl = run([t[0] for t in trio], [master], [])
    assert [a.link.pipedrive_id for a in pl.of(DeletePipedrive)] == ["100", "101", "102"]
    assert kinds(pl) == ["DeletePipedrive"] * 3


def test_cancelled_series_with_an_instance_changed_in_pipedrive_restores_that_one():
    trio = series_links()
    master = CalendarItem("google", "ser", deleted=True, series_id="ser")
    changed = edit(trio[1][2], title="moved")
    pl = run([t[0] for t in trio], [master], [changed])
    assert sorted(kinds(pl)) == ["CreateOnGoogle", "DeletePipedrive", "DeletePipedrive"]
    assert pl.of(CreateOnGoogle)[0].replaces == trio[1][0]


def test_one_cancelled_instance_deletes_only_its_activity():
    trio = series_links()
    pl = run([t[0] for t in trio], [deleted(trio[0][1])], [])
    assert [a.link.pipedrive_id for a in pl] == ["100"]


def test_edited_instance_updates_its_activity_only():
    trio = series_links()
    new = edit(trio[2][1], title="Special")
    assert run([t[0] for t in trio], [new], []).actions == (
        UpdatePipedrive(trio[2][0], new, "private"),
    )


# ---------------------------------------------------------------- new items


def test_new_google_event_in_window_creates_an_activity():
    gi = g()
    assert run([], [gi], []).actions == (CreateOnPipedrive(gi, "private"),)


def test_new_google_event_outside_window_is_skipped():
    old = g(start=NOW - timedelta(days=40), end=NOW - timedelta(days=40, hours=-1))
    assert run([], [old], []).actions == (Skip(old, "outside the sync window", "window"),)
    assert kinds(run([], [old], [], TWO.replace(window_past_days=60))) == ["CreateOnPipedrive"]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("private", "CreateOnPipedrive"),
        ("busy", "CreateOnPipedrive"),
        ("public", "CreateOnPipedrive"),
        ("skip", "Skip"),
    ],
)
def test_new_private_google_event_per_mode(mode, expected):
    gi = g(private=True)
    pl = run([], [gi], [], TWO.replace(private=mode))
    assert kinds(pl) == [expected]
    if expected == "CreateOnPipedrive":
        assert pl.actions[0].private_mode == mode
    else:
        assert pl.actions[0].code == "private"


def test_new_activity_of_a_selected_type_creates_an_event():
    pi = p(activity_type="call")
    assert run([], [], [pi]).actions == (CreateOnGoogle(pi),)


def test_new_activity_of_an_unselected_type_is_skipped():
    pi = p(activity_type="lunch")
    pl = run([], [], [pi], TWO.replace(push_types=["call"]))
    assert pl.actions == (Skip(pi, "type 'lunch' is not synced to Google", "type"),)


def test_new_activity_outside_window_is_skipped():
    pi = p(start=NOW + timedelta(days=400), end=NOW + timedelta(days=400, hours=1))
    assert kinds(run([], [], [pi])) == ["Skip"]


def test_done_activities_are_synced_like_any_other():
    pi = p(done=True)
    assert kinds(run([], [], [pi])) == ["CreateOnGoogle"]


def test_unlinked_deleted_items_are_ignored():
    assert len(run([], [deleted(g())], [deleted(p())])) == 0


# ---------------------------------------------------------------- push types and retyping


def test_retyped_to_an_unselected_type_removes_the_event_and_keeps_the_activity():
    link, gi, pi = linked(origin="pipedrive")
    retyped = edit(pi, activity_type="lunch", version="v2")
    pl = run([link], [], [retyped], TWO.replace(push_types=["meeting"]))
    assert pl.actions == (DeleteGoogle(link, "type 'lunch' is not synced to Google"),)
    assert not pl.of(DeletePipedrive)


def test_unselected_type_of_an_activity_made_from_google_keeps_its_event():
    link, gi, pi = linked(origin="google")
    pl = run(
        [link], [], [edit(pi, activity_type="lunch", title="x")], TWO.replace(push_types=["call"])
    )
    assert kinds(pl) == ["UpdateGoogle"]


def test_retyped_in_one_way_also_removes_the_event():
    link, gi, pi = linked(origin="pipedrive")
    pl = run([link], [], [edit(pi, activity_type="task")], ONE.replace(push_types=["meeting"]))
    assert kinds(pl) == ["DeleteGoogle"]


def test_save_as_does_not_filter_creates_from_google():
    gi = g()
    pl = run([], [gi], [], TWO.replace(save_as="lunch", push_types=["call"]))
    assert kinds(pl) == ["CreateOnPipedrive"]


# ---------------------------------------------------------------- private events on updates


def _busy_pair():
    gi = g(private=True, title="Secret")
    pi = p(title="Busy")
    return Link.from_items(gi, pi, origin="google", synced_at=NOW - timedelta(days=1)), gi, pi


def test_busy_placeholder_sends_only_the_time_back():
    link, gi, pi = _busy_pair()
    moved = edit(pi, start=T + timedelta(hours=2), end=T + timedelta(hours=3))
    pl = run([link], [], [moved], TWO.replace(private="busy"))
    assert pl.actions == (UpdateGoogle(link, moved, only_time=True),)


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Lunch with Ada"},
        {"location": "Room 1"},
        {"description": "notes"},
        {"private": True},
    ],  # fmt: skip
)
def test_a_placeholder_given_details_is_reset_after_its_time_goes_back(change):
    """Privacy wins: the activity of a private event under `busy` stays a bare placeholder."""
    link, gi, pi = _busy_pair()
    changed = edit(pi, **change)
    pl = run([link], [], [changed], TWO.replace(private="busy"))
    assert pl.actions == (
        UpdateGoogle(link, changed, only_time=True),
        ResetPlaceholder(link, changed),
    )


def test_public_mode_never_drops_privacy_on_google():
    gi = g(private=True)
    pi = p(private=False)
    link = Link.from_items(gi, pi, origin="google", synced_at=NOW)
    pl = run([link], [], [edit(pi, title="renamed")], TWO.replace(private="public"))
    assert pl.actions[0].keep_private is True and pl.actions[0].item.title == "renamed"
    # The item stays what Pipedrive holds, so that the link records the real activity.
    assert pl.actions[0].item.private is False


def test_event_turned_private_under_skip_deletes_the_activity_made_from_it():
    """Privacy wins: the event's details must not stay in Pipedrive."""
    link, gi, pi = linked()
    pl = run([link], [edit(gi, private=True)], [], TWO.replace(private="skip"))
    assert kinds(pl) == ["DeletePipedrive"]
    assert pl.actions[0].link == link and pl.actions[0].inferred is False
    # Also when the activity was not in a full listing (it may have left the window).
    pl = run([link], [edit(gi, private=True)], [], TWO.replace(private="skip"), full=True)
    assert kinds(pl) == ["DeletePipedrive"]


def test_event_turned_private_under_busy_becomes_the_placeholder():
    link, gi, pi = linked()
    gnew = edit(gi, private=True)
    pl = run([link], [gnew], [], TWO.replace(private="busy"))
    assert pl.actions == (UpdatePipedrive(link, gnew, "busy"),)


def test_a_private_event_wins_a_conflict_under_busy_and_skip():
    """Pipedrive changed last, but its version carries the details the mode keeps out."""
    link, gi, pi = linked()
    gnew = edit(gi, private=True, title="secret", updated=NOW - timedelta(minutes=30))
    pnew = edit(pi, title="renamed", updated=NOW - timedelta(minutes=5))
    pl = run([link], [gnew], [pnew], TWO.replace(private="busy"))
    assert pl.of(Conflict)[0].winner == gnew
    assert kinds(pl) == ["UpdatePipedrive", "Conflict"]
    # `skip`: not synced at all, whatever Pipedrive did: the activity goes.
    assert kinds(run([link], [gnew], [pnew], TWO.replace(private="skip"))) == ["DeletePipedrive"]
    # Under `private` the later change still wins as usual.
    pl = run([link], [gnew], [pnew], TWO.replace(private="private"))
    assert pl.of(Conflict)[0].winner == pnew


@pytest.mark.parametrize(
    ("was", "mode", "expected"),
    [
        ("details", "busy", "UpdatePipedrive"),
        ("details", "public", "UpdatePipedrive"),
        ("details", "skip", "DeletePipedrive"),
        ("details", "private", None),  # already what the mode makes of it
        ("placeholder", "private", "UpdatePipedrive"),
        ("placeholder", "public", "UpdatePipedrive"),
        ("placeholder", "busy", None),
    ],  # fmt: skip
)
def test_rewrite_private_brings_private_pairs_under_the_current_mode(was, mode, expected):
    """A new private mode rewrites each activity of a private event that it would change (and
    only those: switching back and forth writes nothing that is already so)."""
    gi = g(private=True)
    pi = p(private=True) if was == "details" else p(title="Busy")
    link = Link.from_items(gi, pi, origin="google", synced_at=NOW - timedelta(days=1))
    args = dict(links=[link], google={gi.id: gi}, pipedrive={pi.id: pi}, now=NOW, full=True)
    options = TWO.replace(private=mode)
    assert len(plan(**args, options=options)) == 0
    pl = plan(**args, options=options, rewrite_private=True)
    assert kinds(pl) == ([expected] if expected else [])
    if expected == "UpdatePipedrive":
        assert pl.actions == (UpdatePipedrive(link, gi, mode),)


def test_rewrite_private_leaves_other_pairs_alone():
    busy = TWO.replace(private="busy")

    def rewritten(link, gi, pi, options=busy):
        return plan(links=[link], google={gi.id: gi}, pipedrive={pi.id: pi}, options=options,
                    now=NOW, full=True, rewrite_private=True)  # fmt: skip

    assert len(rewritten(*linked())) == 0  # not private
    assert len(rewritten(*linked(origin="pipedrive", private=True))) == 0  # born in Pipedrive
    assert len(rewritten(*linked(private=True), options=ONE.replace(private="public"))) == 0
    # Only pairs seen on both sides: nothing to write from otherwise.
    link, gi, pi = linked(private=True)
    assert len(plan(links=[link], google={gi.id: gi}, pipedrive={}, now=NOW, full=False,
                    options=TWO.replace(private="busy"), rewrite_private=True)) == 0  # fmt: skip


def test_pairs_born_in_pipedrive_keep_their_details():
    link, gi, pi = linked(origin="pipedrive")
    gnew = edit(gi, private=True, title="x")
    assert run([link], [gnew], [], TWO.replace(private="busy")).actions == (
        UpdatePipedrive(link, gnew, "private"),
    )
    assert kinds(run([link], [gnew], [], TWO.replace(private="skip"))) == ["UpdatePipedrive"]


# ---------------------------------------------------------------- echoes and lost links (idempotent creates)


def test_our_own_write_coming_back_is_an_echo():
    link, gi, pi = linked(origin="pipedrive")
    echo = edit(gi, origin="pipedrive:42", version="etag-after-our-patch", updated=NOW)
    assert len(run([link], [echo], [])) == 0


def test_google_copy_without_its_link_is_relinked_not_copied():
    gi = g(origin="pipedrive:42")
    pi = p()
    pl = run([], [gi], [pi])
    assert pl.of(Relink) == list(pl.actions)
    link = pl.actions[0].link
    assert (link.google_id, link.pipedrive_id, link.origin) == ("ev1", "42", "pipedrive")
    assert link.pipedrive_fingerprint == pi.fingerprint()


def test_pipedrive_copy_without_its_link_is_relinked_not_copied():
    gi = g()
    pi = p(origin="google:ev1")
    pl = run([], [gi], [pi])
    assert kinds(pl) == ["Relink"]
    assert pl.actions[0].link.origin == "google"


@pytest.mark.parametrize(
    ("google", "pipedrive"), [((g(origin="pipedrive:42"),), ()), ((), (p(origin="google:ev1"),))]
)
def test_copy_relinked_when_its_original_is_not_in_this_run(google, pipedrive):
    pl = run([], google, pipedrive)
    assert kinds(pl) == ["Relink"]
    assert (pl.actions[0].link.google_id, pl.actions[0].link.pipedrive_id) == ("ev1", "42")


def test_copy_of_a_deleted_original_is_deleted():
    pl = run([], [g(origin="pipedrive:42")], [deleted(p())])
    assert kinds(pl) == ["DeleteGoogle"]
    pl = run([], [deleted(g())], [p(origin="google:ev1")])
    assert kinds(pl) == ["DeletePipedrive"]
    assert kinds(run([], [deleted(g())], [p(origin="google:ev1")], ONE)) == ["Relink"]


def test_copy_whose_original_is_linked_elsewhere_is_a_new_event():
    link, gi, pi = linked()
    dup = g("ev2", origin="pipedrive:42")
    assert kinds(run([link], [dup], [])) == ["CreateOnPipedrive"]


def test_relink_works_in_one_way_too():
    assert kinds(run([], [g(origin="pipedrive:42")], [p()], ONE)) == ["Relink"]


# ---------------------------------------------------------------- one-way


def test_one_way_never_imports_google_only_events():
    assert len(run([], [g(), g("ev2", private=True)], [], ONE)) == 0


def test_one_way_google_edit_is_not_imported():
    link, gi, pi = linked()
    pl = run([link], [edit(gi, title="edited on Google")], [], ONE)
    assert kinds(pl) == ["Skip"] and pl.actions[0].code == "one-way"


def test_one_way_pipedrive_change_overwrites_a_google_edit_without_conflict():
    link, gi, pi = linked()
    gnew, pnew = (
        edit(gi, title="G", updated=NOW),
        edit(pi, title="P", updated=NOW - timedelta(hours=1)),
    )
    assert run([link], [gnew], [pnew], ONE).actions == (UpdateGoogle(link, pnew),)


def test_one_way_google_deletion_is_not_propagated():
    link, gi, pi = linked()
    assert run([link], [deleted(gi)], [pi], ONE).actions == (CreateOnGoogle(pi, replaces=link),)
    assert kinds(run([link], [deleted(gi)], [], ONE)) == ["ForgetLink"]


def test_one_way_pipedrive_deletion_deletes_the_event():
    link, gi, pi = linked()
    assert kinds(run([link], [edit(gi, title="x")], [deleted(pi)], ONE)) == ["DeleteGoogle"]


def test_one_way_new_activity_creates_an_event():
    assert kinds(run([], [], [p()], ONE)) == ["CreateOnGoogle"]


# ---------------------------------------------------------------- full reconcile


def test_full_missing_on_google_is_an_inferred_deletion():
    link, gi, pi = linked()
    pl = run([link], [], [pi], full=True)
    assert pl.actions == (DeletePipedrive(link, "deleted on Google", inferred=True),)


def test_full_missing_in_pipedrive_is_an_inferred_deletion():
    link, gi, pi = linked()
    assert run([link], [gi], [], full=True).actions == (
        DeleteGoogle(link, "deleted in Pipedrive", inferred=True),
    )
    assert kinds(run([link], [gi], [], ONE, full=True)) == ["DeleteGoogle"]


def test_full_missing_on_one_side_changed_on_the_other_is_patched_not_recreated():
    link, gi, pi = linked()
    assert kinds(run([link], [], [edit(pi, title="x")], full=True)) == ["UpdateGoogle"]
    assert kinds(run([link], [edit(gi, title="x")], [], full=True)) == ["UpdatePipedrive"]
    assert kinds(run([link], [], [pi], ONE, full=True)) == ["UpdateGoogle"]


def test_full_missing_on_both_sides_keeps_a_future_pair():
    link, gi, pi = linked()
    assert len(run([link], [], [], full=True)) == 0


def test_full_missing_on_both_sides_forgets_an_aged_out_pair():
    old = NOW - timedelta(days=60)
    link, gi, pi = linked(start=old, end=old + timedelta(hours=1))
    assert run([link], [], [], full=True).actions == (
        ForgetLink(link, "pair ended before the sync window"),
    )


def test_incremental_absence_means_unknown_not_deleted():
    link, gi, pi = linked()
    assert len(run([link], [], [], full=False)) == 0


# ---------------------------------------------------------------- plan shape and the guard


def test_plan_order_counts_and_determinism():
    a, ga, pa = linked("a", "1")
    b, gb, pb = linked("b", "2")
    args = dict(
        links=[a, b],
        google=[g("new"), deleted(ga)],
        pipedrive=[edit(pb, title="x"), p("9", activity_type="call")],
    )
    pl = run(**args)
    assert kinds(pl) == ["DeletePipedrive", "UpdateGoogle", "CreateOnPipedrive", "CreateOnGoogle"]
    assert pl.counts() == {
        "google": {"create": 1, "update": 1, "delete": 0},
        "pipedrive": {"create": 1, "update": 0, "delete": 1},
        "other": {"conflict": 0, "skip": 0, "pair": 0},
    }
    assert run(**args) == pl
    assert len(pl) == 4 and list(pl) == list(pl.actions) and len(pl.writes()) == 4


def mass_delete(n_deleted, n_total):
    links = []
    gone = []
    for i in range(n_total):
        link, gi, _ = linked(f"e{i}", str(i))
        links.append(link)
        if i < n_deleted:
            gone.append(deleted(gi))
    return run(links, gone, [])


def test_guard_holds_a_plan_deleting_most_of_a_side():
    pl = mass_delete(6, 10)
    assert pl.deletes("pipedrive") == 6
    reason = guard(pl, google_total=10, pipedrive_total=10)
    assert (
        reason
        == "would delete 6 of 10 Pipedrive activities (60% > 50%); run with --force-delete to go ahead"
    )


def test_guard_lets_half_or_less_through():
    assert guard(mass_delete(5, 10), 10, 10) is None


def test_guard_ignores_small_sides():
    assert guard(mass_delete(4, 4), 4, 4) is None
    assert guard(mass_delete(4, 4), 4, 4, minimum=4) is not None


def test_guard_threshold_is_configurable_and_covers_google():
    link, gi, pi = linked()
    pl = run([link], [], [deleted(pi)])
    assert pl.deletes("google") == 1
    assert guard(pl, 1, 1, threshold=0.5, minimum=1).startswith("would delete 1 of 1 Google events")
    assert Plan().deletes("google") == 0


# ---------------------------------------------------------------- reporting actions


def test_action_events_report_each_write_and_conflict_losers():
    link, gi, pi = linked()
    gnew, pnew = (
        edit(gi, title="G", updated=NOW - timedelta(minutes=1)),
        edit(pi, title="P", updated=NOW),
    )
    pl = run([link], [gnew], [pnew])
    events = [action_event(a, NOW) for a in pl]
    conflict = next(e for e in events if e.kind == "conflict")
    assert conflict.side == "google" and conflict.detail["loser"]["title"] == "G"
    assert conflict.detail["winner"]["side"] == "pipedrive"
    update = next(e for e in events if e.kind == "update")
    assert (update.side, update.item_id, update.title) == ("google", "ev1", "P")
    assert json.loads(json.dumps(conflict.to_json()))["detail"]["loser"]["start"] == T.isoformat()


def test_action_events_for_creates_deletes_skips_and_bookkeeping():
    link, gi, pi = linked()
    create = action_event(CreateOnGoogle(pi, replaces=link), NOW)
    assert (create.kind, create.side, create.reason.startswith("restored")) == (
        "create",
        "google",
        True,
    )
    delete = action_event(DeletePipedrive(link, "deleted on Google", inferred=True), NOW)
    assert (delete.kind, delete.side, delete.item_id, delete.detail) == (
        "delete",
        "pipedrive",
        "42",
        {"inferred": True},
    )
    skip = action_event(Skip(gi, "outside the sync window", "window"), NOW)
    assert (skip.kind, skip.side, skip.detail["code"]) == ("skip", None, "window")
    assert action_event(ForgetLink(link, "x"), NOW) is None
    assert action_event(Relink(link, "x"), NOW) is None


def test_a_listed_series_master_is_not_copied():
    trio = series_links()
    master = g("ser", title="Weekly")
    assert len(run([t[0] for t in trio], [master], [])) == 0


def test_full_deleted_on_one_side_missing_on_the_other_deletes_the_missing_one():
    link, gi, pi = linked()
    assert run([link], [deleted(gi)], [], full=True).actions == (
        DeletePipedrive(link, "deleted on Google"),
    )
    assert run([link], [], [deleted(pi)], full=True).actions == (
        DeleteGoogle(link, "deleted in Pipedrive"),
    )
    assert run([link], [], [deleted(pi)], ONE, full=True).actions == (
        DeleteGoogle(link, "deleted in Pipedrive"),
    )
    assert kinds(run([link], [deleted(gi)], [], ONE, full=True)) == ["ForgetLink"]


def test_an_id_is_never_relinked_twice_in_one_run():
    # Two copies claim the same originals (the user duplicated them): one pair is relinked,
    # the other copy is a new item.
    pl = run(
        [],
        [g("ev1", origin="pipedrive:42"), g("ev2", origin="pipedrive:42")],
        [p("42"), p("43", origin="google:ev1")],
    )
    relinked = [(a.link.google_id, a.link.pipedrive_id) for a in pl.of(Relink)]
    assert relinked == [("ev1", "42")]
    assert sorted(kinds(pl)) == ["CreateOnGoogle", "CreateOnPipedrive", "Relink"]


# ---------------------------------------------------------------- options that reshape copies


@pytest.mark.parametrize("options", [TWO, ONE], ids=["two-way", "one-way"])
def test_rewrite_google_writes_unchanged_pairs_again(options):
    link, gi, pi = linked(origin="pipedrive")
    args = dict(links=[link], google={gi.id: gi}, pipedrive={pi.id: pi}, options=options, now=NOW)
    assert len(plan(**args, full=True)) == 0
    assert plan(**args, full=True, rewrite_google=True).actions == (UpdateGoogle(link, pi),)
    # Only pairs seen on both sides: nothing to write from when the activity was not listed.
    assert len(plan(**{**args, "pipedrive": {}}, full=False, rewrite_google=True)) == 0


def test_rewrite_google_keeps_busy_placeholders_to_their_time():
    link, gi, pi = _busy_pair()
    pl = plan(links=[link], google={gi.id: gi}, pipedrive={pi.id: pi},
              options=TWO.replace(private="busy"), now=NOW, full=True, rewrite_google=True)  # fmt: skip
    assert pl.actions == (UpdateGoogle(link, pi, only_time=True),)


@pytest.mark.parametrize(("mode", "expected"), [("busy", "UpdatePipedrive"), ("skip", "DeletePipedrive"),
                                                ("private", "Skip"), ("public", "Skip")])  # fmt: skip
def test_one_way_event_turned_private_privacy_wins_under_busy_and_skip(mode, expected):
    """One-way imports no Google edit, except that a private event takes its details out of
    the activity made from it (`busy`: the placeholder; `skip`: the activity goes)."""
    link, gi, pi = linked()
    gnew = edit(gi, private=True, title="secret")
    pl = run([link], [gnew], [], ONE.replace(private=mode))
    assert kinds(pl) == [expected]
    # Pairs born in Pipedrive: nothing comes back in one-way.
    link, gi, pi = linked(origin="pipedrive")
    assert kinds(run([link], [edit(gi, private=True)], [], ONE.replace(private=mode))) == ["Skip"]
    # A new private mode in one-way writes nothing to Pipedrive: it waits for two-way.
    link, gi, pi = linked(private=True)
    pl = plan(links=[link], google={gi.id: gi}, pipedrive={pi.id: pi}, now=NOW, full=True,
              options=ONE.replace(private=mode), rewrite_private=True)  # fmt: skip
    assert kinds(pl) == []


@pytest.mark.parametrize("options", [TWO, ONE], ids=["two-way", "one-way"])
def test_activity_of_a_private_event_changed_under_skip_is_deleted(options):
    """The activity of a private event (synced under another mode) changed in Pipedrive
    once the mode is `skip`: it goes rather than being written to the event."""
    link, gi, pi = linked(private=True)
    pl = run([link], [], [edit(pi, title="renamed")], options.replace(private="skip"))
    assert kinds(pl) == ["DeletePipedrive"]
    # Unchanged on both sides in an incremental run: nothing to do.
    assert len(run([link], [gi], [pi], options.replace(private="skip"))) == 0
    # Born in Pipedrive: the activity is never deleted for its copy's privacy.
    link, gi, pi = linked(origin="pipedrive", private=True)
    pl = run([link], [], [edit(pi, title="renamed")], options.replace(private="skip"))
    assert kinds(pl) == ["UpdateGoogle"]


@pytest.mark.parametrize("options", [TWO, ONE], ids=["two-way", "one-way"])
def test_an_event_turned_private_stays_private_when_pipedrive_wins(options):
    """The event turned private in a change that is not imported (one-way, or a conflict that
    Pipedrive won under `public`): writing the activity back keeps the event private."""
    link, gi, pi = linked()
    gnew = edit(gi, private=True, updated=NOW - timedelta(minutes=30))
    pnew = edit(pi, title="renamed", updated=NOW - timedelta(minutes=5))
    pl = run([link], [gnew], [pnew], options.replace(private="public"))
    update = pl.of(UpdateGoogle)[0]
    assert update.keep_private is True and update.item == pnew
