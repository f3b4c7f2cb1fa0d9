"""The second phase of a run, `plan`: a Snapshot + the links + the options -> a Plan (no I/O).

Every decision of a run is made here: forgetting the pairs of a calendar no longer synced,
rewriting copies when the options that shape them changed, the rules applied before the
tables, the two-way and one-way tables for linked pairs, and the table for new items.
docs/planner.md has the tables this module implements, in the same order.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Literal

from .actions import (
    Action,
    Conflict,
    CreateOnGoogle,
    CreateOnPipedrive,
    DeleteGoogle,
    DeletePipedrive,
    ForgetLink,
    Note,
    Pair,
    Plan,
    Relink,
    ResetPlaceholder,
    RewriteGoogle,
    Skip,
    UpdateGoogle,
    UpdatePipedrive,
    guard,
)
from .kinds import not_imported
from .mapping import (
    BUSY_SUBJECT,
    item_from_pipedrive,
    pipedrive_body,
    too_big_for_pipedrive,
    zone,
)
from .models import CalendarItem, Intent, Link, Side
from .options import Options, PrivateMode
from .pairing import Key, match, meeting_key
from .snapshot import Snapshot

__all__ = ["Plan", "guard", "plan", "SKIPPED_PRIVATE"]

SKIPPED_PRIVATE = "the event is private and private events are not synced (--private skip)"

State = Literal["changed", "unchanged", "deleted", "unknown", "missing"]


@dataclass
class _Rules:
    """The options and facts of this run that every rule reads, and the actions decided."""

    options: Options
    window: tuple[datetime, datetime]
    now: datetime
    two_way: bool
    day_zone: tzinfo = UTC
    """The calendar's time zone: where the days of all-day items begin (the window)."""
    rewrite_google: bool = False
    """The options that shape Google copies changed (linked contacts): every pair seen
    unchanged on both sides is written to Google again, and an event whose change is
    imported is rewritten first."""
    rewrite_private: bool = False
    """The private mode changed, or two-way resumed (one-way ignored the mode): the pairs
    that started from a private Google event are brought under the current mode."""
    out: list[Action] = field(default_factory=list)


def _option_changed(snapshot: Snapshot, options: Options, *keys: str) -> bool:
    used = snapshot.options_used
    mine = options.to_json()
    return used is not None and any(used.get(key) != mine[key] for key in keys)


def plan(snapshot: Snapshot, links: list[Link], options: Options) -> Plan:
    """Decide what to write where (see docs/planner.md).

    `snapshot.google` / `snapshot.pipedrive`: the items seen this run; with `snapshot.full`
    they are complete listings of the window, and a linked item absent from its side's
    listing is "missing"; otherwise absent means "unknown" (not changed).
    """
    full = snapshot.full
    rules = _Rules(
        options,
        options.window(snapshot.now),
        snapshot.now,
        options.sync_type == "two-way",
        day_zone=zone(snapshot.calendar_tz),
        rewrite_google=full and _option_changed(snapshot, options, "linked_contacts"),
        rewrite_private=full and _option_changed(snapshot, options, "private", "sync_type"),
    )
    for bad in snapshot.unreadable:
        rules.out.append(
            Skip(CalendarItem(bad.side, bad.id, title=bad.title), bad.reason, "invalid")
        )
    if snapshot.calendar_used and snapshot.calendar_used != snapshot.calendar and links:
        # Another calendar was chosen: the pairs of the old one are no longer synced (never
        # deleted: the old calendar's events and their activities stay as they are).
        rules.out.append(
            Note(
                f"the synced calendar changed: {len(links)} pairs with "
                f"{snapshot.calendar_used} are no longer synced",
                "calendar",
            )
        )
        rules.out.extend(ForgetLink(link, "the synced calendar changed") for link in links)
        links = []
    links = _settle(rules, snapshot, links)
    _linked_pairs(rules, snapshot, links)
    _unlinked_items(rules, snapshot, links)
    return Plan.of_actions(rules.out)


# ---------------------------------------------------------------- writes left unsettled


def _settle(rules: _Rules, snapshot: Snapshot, links: list[Link]) -> list[Link]:
    """The writes an earlier run was killed in the middle of (its intents): a target that
    holds exactly what the write would have left was written by calsync, so the pair's link
    is what that write would have recorded (not someone's edit to carry back); a target gone
    after a delete was deleted by calsync, so the pair is forgotten (not a deletion to carry
    over). Any other intent did not land, or the item changed since: the tables decide."""
    if not snapshot.intents:
        return links
    by_google = {link.google_id: link for link in links}
    for intent in snapshot.intents:
        if intent.kind == "create":
            found = _created_copy(snapshot, intent, by_google)
            if found is not None:
                rules.out.append(Relink(found, "a create of an interrupted run, seen through"))
                by_google[found.google_id] = found
            continue
        link = by_google.get(intent.key.removeprefix("link:"))
        if link is None:
            continue
        items = snapshot.google if intent.side == "google" else snapshot.pipedrive
        target = items.get(intent.target)
        if intent.kind == "update" and intent.after is not None:
            if target is None or target.deleted or target.fingerprint() != intent.expect:
                continue
            settled = (
                dataclasses.replace(intent.after, google_version=target.version)
                if intent.side == "google"
                else dataclasses.replace(intent.after, pipedrive_version=target.version)
            )
            rules.out.append(Relink(settled, "a write of an interrupted run, seen through"))
            by_google[link.google_id] = settled
        elif intent.kind == "delete":
            gone = target.deleted if target is not None else snapshot.full
            if gone:
                rules.out.append(ForgetLink(link, "deleted by an interrupted run"))
                del by_google[link.google_id]
    return list(by_google.values())


def _created_copy(snapshot: Snapshot, intent: Intent, by_google: dict[str, Link]) -> Link | None:
    """The link of a copy an interrupted run made (found by its marker) as of when it was
    made: an edit to the original since then then shows as a change the tables carry over."""
    assert intent.after is not None
    original: Side = "pipedrive" if intent.side == "google" else "google"
    linked_g, linked_p = set(by_google), {link.pipedrive_id for link in by_google.values()}
    copies, linked = (linked_g, linked_p) if intent.side == "google" else (linked_p, linked_g)
    if intent.target in linked:
        return None  # a later run linked it already
    items = snapshot.google if intent.side == "google" else snapshot.pipedrive
    for copy in items.values():
        if copy.deleted or copy.peer() != (original, intent.target) or copy.id in copies:
            continue
        if intent.side == "google":
            return dataclasses.replace(
                intent.after, google_id=copy.id, google_version=copy.version,
                google_fingerprint=copy.fingerprint(),
            )  # fmt: skip
        return dataclasses.replace(
            intent.after, pipedrive_id=copy.id, pipedrive_version=copy.version,
            pipedrive_fingerprint=copy.fingerprint(),
        )  # fmt: skip
    return None


# ---------------------------------------------------------------- linked pairs


def _state(item: CalendarItem | None, fingerprint: str, full: bool) -> State:
    if item is None:
        return "missing" if full else "unknown"
    if item.deleted:
        return "deleted"
    return "unchanged" if item.fingerprint() == fingerprint else "changed"


def _linked_pairs(rules: _Rules, snapshot: Snapshot, links: list[Link]) -> None:
    """Every link that this run has news about (all of them in a full run), through the rules
    before the table, then the table of the sync type."""
    google, pipedrive = snapshot.google, snapshot.pipedrive
    by_google = {link.google_id: link for link in links}
    by_pipedrive = {link.pipedrive_id: link for link in links}
    by_series: dict[str, list[Link]] = {}
    for link in links:
        if link.series_id:
            by_series.setdefault(link.series_id, []).append(link)

    # A cancelled series master deletes every linked instance: give each instance link a
    # synthetic deleted Google item (unless the feed also carried that instance itself).
    series_deleted: dict[str, CalendarItem] = {}
    for master in google.values():
        if master.deleted and master.id in by_series:
            for link in by_series[master.id]:
                if link.google_id not in google:
                    series_deleted[link.google_id] = dataclasses.replace(
                        master, id=link.google_id, series_id=master.id, title=master.title
                    )
    touched = sorted(
        {by_google[i] for i in (*google, *series_deleted) if i in by_google}
        | {by_pipedrive[i] for i in pipedrive if i in by_pipedrive}
        | (set(links) if snapshot.full else set()),
        key=lambda link: (link.google_id, link.pipedrive_id),
    )
    for link in touched:
        g = google.get(link.google_id) or series_deleted.get(link.google_id)
        p = pipedrive.get(link.pipedrive_id)
        pair = _Pair(
            link,
            g,
            _state(g, link.google_fingerprint, snapshot.full),
            p,
            _state(p, link.pipedrive_fingerprint, snapshot.full),
        )
        if _before_the_table(rules, pair):
            continue
        if pair.g_gone and pair.p_gone:
            _gone_on_both_sides(rules, pair)
        elif rules.two_way:
            _two_way(rules, pair)
        else:
            _one_way(rules, pair)


@dataclass(frozen=True, slots=True)
class _Pair:
    """A linked pair as this run sees it: each side's item (if seen) and state."""

    link: Link
    g: CalendarItem | None
    gs: State
    p: CalendarItem | None
    ps: State

    @property
    def g_gone(self) -> bool:
        return self.gs in ("deleted", "missing")

    @property
    def p_gone(self) -> bool:
        return self.ps in ("deleted", "missing")

    @property
    def g_quiet(self) -> bool:
        return self.gs in ("unchanged", "unknown")

    @property
    def p_quiet(self) -> bool:
        return self.ps in ("unchanged", "unknown")


def _before_the_table(rules: _Rules, pair: _Pair) -> bool:
    """The rules applied before the tables ("Rules applied before the table" in
    docs/planner.md); True when one of them decided the pair."""
    link, g, p = pair.link, pair.g, pair.p
    # The activity's type left push_types: its Google event goes, the activity stays.
    # (Checked whatever the fingerprint says: a retype changes no content.)
    if p is not None and not pair.p_gone and not pair.g_gone and not _pushable(rules, link, p):
        rules.out.append(DeleteGoogle(link, f"type {p.activity_type!r} is not synced to Google"))
        return True
    if _no_longer_imported(rules, pair):
        return True
    # Privacy wins: an activity made from a private event under `skip` goes, whatever else
    # changed (both sync types; pairs that started in Pipedrive never get here: `_pd_mode`).
    g_private = g.private if g is not None and not pair.g_gone else link.google_private
    if not pair.g_gone and not pair.p_gone and g_private and _pd_mode(rules, link) == "skip":
        # (A new mode alone acts in two-way only: one-way writes Pipedrive for no option.)
        if not (pair.g_quiet and pair.p_quiet) or (rules.rewrite_private and rules.two_way):
            rules.out.append(DeletePipedrive(link, SKIPPED_PRIVATE))
        return True
    return False


def _no_longer_imported(rules: _Rules, pair: _Pair) -> bool:
    """An activity made from an event that is no longer imported (the user declined the
    invitation since, or turned off importing its out-of-office / focus-time kind): it goes
    if Pipedrive holds it as calsync last synced it (its update_time unchanged), and
    otherwise stays with a line saying why: someone edited it there (a note, a deal, a
    time...). Two-way only, pairs that started on Google only; the Google event is never
    touched. True when the rule decided the pair."""
    link, g, p = pair.link, pair.g, pair.p
    if not rules.two_way or link.origin != "google" or g is None or pair.g_gone:
        return False
    why = not_imported(g, rules.options)
    if why is None:
        return False
    code, reason = why
    if pair.p_gone:
        rules.out.append(ForgetLink(link, f"{reason}; its activity is gone"))
    elif p is None or p.version == link.pipedrive_version:
        rules.out.append(DeletePipedrive(link, reason))
    else:
        kept = f"{reason}: kept in Pipedrive, edited there since calsync synced it"
        rules.out.append(Skip(p, kept, f"{code}-kept"))
    return True


def _gone_on_both_sides(rules: _Rules, pair: _Pair) -> None:
    """Gone on both sides (or missing from both listings)."""
    link, gs, ps = pair.link, pair.gs, pair.ps
    if gs == "missing" and ps == "missing":
        # Both out of the window: keep the link while the pair may come back into it, forget
        # it once it has aged out (ended before the window starts).
        if link.end is not None and link.end <= rules.window[0]:
            rules.out.append(ForgetLink(link, "pair ended before the sync window"))
        return
    if gs == "deleted" and ps == "missing" and rules.two_way:
        # Deleted on Google, activity not in its listing (maybe moved out of the window):
        # delete it (already gone counts as done).
        rules.out.append(DeletePipedrive(link, "deleted on Google"))
    elif ps == "deleted" and gs == "missing":
        # Deleted in Pipedrive, event not in its listing: delete it (both sync types).
        rules.out.append(DeleteGoogle(link, "deleted in Pipedrive"))
    else:
        rules.out.append(ForgetLink(link, "deleted on both sides"))


def _two_way(rules: _Rules, pair: _Pair) -> None:
    """The two-way table of docs/planner.md, row by row (Google's state down)."""
    out, link, g, p, gs, ps = rules.out, pair.link, pair.g, pair.p, pair.gs, pair.ps
    if pair.g_quiet:
        if pair.p_quiet:
            # Unchanged on both sides (an etag bump alone is no change), unless the options
            # that shape the copies changed.
            _rewrite_unchanged(rules, pair)
        elif ps == "changed":
            assert p is not None
            out.extend(_update_google(rules, link, p, g))
        else:
            # Deleted in Pipedrive, not changed on Google: delete the event.
            out.append(DeleteGoogle(link, "deleted in Pipedrive", inferred=ps == "missing"))
        return
    if gs == "changed":
        assert g is not None
        if pair.p_quiet:
            out.extend(_update_pipedrive(rules, link, g))
        elif ps == "changed":
            assert p is not None
            _both_changed(rules, link, g, p)
        elif ps == "missing":
            # Changed on Google, missing from Pipedrive's listing: patch it (the executor
            # re-creates it if it is really gone).
            out.extend(_update_pipedrive(rules, link, g))
        else:
            # Deleted in Pipedrive but changed on Google: the change wins, restore the activity.
            _restore_activity(rules, link, g)
        return
    # Deleted on Google (or missing from its listing).
    assert pair.g_gone
    if pair.p_quiet:
        out.append(DeletePipedrive(link, "deleted on Google", inferred=gs == "missing"))
    elif gs == "missing":
        # Missing from Google's listing but changed in Pipedrive: patch the event (the
        # executor re-creates it if it is really gone).
        assert p is not None
        out.extend(_update_google(rules, link, p, g))
    else:
        # Deleted on Google but changed in Pipedrive: the change wins, restore the event.
        assert p is not None
        out.append(CreateOnGoogle(p, replaces=link))


def _rewrite_unchanged(rules: _Rules, pair: _Pair) -> None:
    """A pair unchanged on both sides, written again when the options shaping its copies
    changed: a new private mode re-applies to every private event that started on Google
    whose activity it would change (privacy wins: `busy` turns its activity into the
    placeholder, `skip` deletes it); new linked contacts rewrite the Google copy. One-way
    writes nothing to Pipedrive for an option change: the new private mode waits until
    two-way resumes (the sync type's change makes that run rewrite)."""
    link, g, p = pair.link, pair.g, pair.p
    if g is None or p is None:
        return
    private_pair = g.private and link.origin == "google"
    if rules.rewrite_private and private_pair and rules.two_way:
        mode = _pd_mode(rules, link)
        if mode == "skip" or _under_mode(rules, g, p, mode).fingerprint() != p.fingerprint():
            rules.out.extend(_update_pipedrive(rules, link, g))
            return
    if rules.rewrite_google:
        rules.out.extend(_update_google(rules, link, p, g))


def _under_mode(rules: _Rules, g: CalendarItem, p: CalendarItem, mode: PrivateMode) -> CalendarItem:
    """Activity `p` as event `g` would leave it under private mode `mode` (for a rewrite that
    changes nothing, nothing is written)."""
    body = pipedrive_body(g, rules.options, marker="", private_mode=mode, create=False)
    return item_from_pipedrive({**body, "id": p.id})


def _both_changed(rules: _Rules, link: Link, g: CalendarItem, p: CalendarItem) -> None:
    out = rules.out
    if g.fingerprint() == p.fingerprint():
        # Changed on both sides to the same content: just remember the new state (or write
        # the copy again when the options that shape it changed).
        if rules.rewrite_google:
            out.extend(_update_google(rules, link, p, g))
        else:
            out.append(
                Relink(
                    Link.from_items(g, p, origin=link.origin, synced_at=rules.now),
                    "same change on both sides",
                )
            )
        return
    # The later change wins; a tie goes to Google. A private event under `busy` / `skip`
    # always wins (privacy first).
    privacy = _privacy_wins(rules, link, g)
    if p.updated is not None and (g.updated is None or p.updated > g.updated) and not privacy:
        out.append(Conflict(p, g, "both changed; Pipedrive changed last"))
        out.extend(_update_google(rules, link, p, g))
        return
    reason = (
        f"both changed; the event is private (--private {rules.options.private}): "
        "Google's version wins"
        if privacy
        else "both changed; Google changed last (or a tie)"
    )
    out.append(Conflict(g, p, reason))
    out.extend(_update_pipedrive(rules, link, g))


def _restore_activity(rules: _Rules, link: Link, g: CalendarItem) -> None:
    """Deleted in Pipedrive but changed on Google: the change wins, the activity is made again
    (the event may carry the linked contacts of the deleted activity: written again first,
    without them, when linked contacts are on or just switched)."""
    mode = _pd_mode(rules, link)
    if g.private and mode == "skip":
        rules.out.append(ForgetLink(link, "deleted in Pipedrive; the event is private and skipped"))
        return
    if rules.rewrite_google or rules.options.linked_contacts:
        rules.out.append(RewriteGoogle(link, g, with_linked=False))
    rules.out.append(CreateOnPipedrive(g, mode, replaces=link))


def _one_way(rules: _Rules, pair: _Pair) -> None:
    """The one-way table: Pipedrive is the source; nothing comes from Google."""
    out, link, g, p, gs, ps = rules.out, pair.link, pair.g, pair.p, pair.gs, pair.ps
    if pair.p_gone:
        # Deleted in Pipedrive (whatever happened on Google): delete the event.
        out.append(DeleteGoogle(link, "deleted in Pipedrive", inferred=ps == "missing"))
        return
    if pair.g_gone:
        if p is None:
            # Deleted on Google, activity not seen this run: forget the pair; the activity
            # is copied again when it changes or at the next full reconcile.
            out.append(ForgetLink(link, "deleted on Google (one-way: the activity stays)"))
        elif gs == "missing":
            out.extend(_update_google(rules, link, p, g))  # re-created if really gone
        else:
            # The event went but the activity is here: write it back.
            out.append(CreateOnGoogle(p, replaces=link))
        return
    if ps == "changed":
        # Changed in Pipedrive (a Google-side edit, if any, is overwritten).
        assert p is not None
        out.extend(_update_google(rules, link, p, g))
        return
    if gs == "changed":
        assert g is not None
        if _privacy_wins(rules, link, g):
            # An activity made from an event that is now private, under `busy` / `skip`:
            # privacy wins even in one-way (the placeholder, or the activity goes).
            out.extend(_update_pipedrive(rules, link, g))
        elif rules.rewrite_google and p is not None:
            # Not imported, and the copy is written again now (the options that shape it
            # changed): the Pipedrive change that would overwrite the edit is this one.
            out.extend(_update_google(rules, link, p, g))
        else:
            # Changed on Google only: not imported; overwritten on the next Pipedrive change.
            out.append(Skip(g, "one-way sync: Google edits are not imported", "one-way"))
        return
    _rewrite_unchanged(rules, pair)


# ---------------------------------------------------------------- the writes of a pair


def _pd_mode(rules: _Rules, link: Link | None) -> PrivateMode:
    """The private mode for writes to Pipedrive: the option for Google-born items; "private"
    for pairs born in Pipedrive (their activity is never turned into a Busy placeholder)."""
    if link is not None and link.origin == "pipedrive":
        return "private"
    return rules.options.private


def _pushable(rules: _Rules, link: Link | None, p: CalendarItem) -> bool:
    """Does activity `p` go to Google? push_types filters activities born in Pipedrive only:
    activities made from Google events keep their event whatever their type."""
    if link is not None and link.origin == "google":
        return True
    return p.activity_type in rules.options.push_types


def _update_google(
    rules: _Rules, link: Link, p: CalendarItem, g: CalendarItem | None
) -> list[Action]:
    if not _pushable(rules, link, p):
        return [DeleteGoogle(link, f"type {p.activity_type!r} is not synced to Google")]
    # The meeting link the event holds: as seen this run, else as last synced.
    meeting = g.meeting_url if g is not None and not g.deleted else link.meeting_url
    if link.google_private and link.origin == "google" and rules.options.private == "busy":
        # The activity is a Busy placeholder of a private event: only its time goes back,
        # and anything else written into it is taken out again.
        update = UpdateGoogle(link, p, only_time=True)
        return [update] if _is_placeholder(p) else [update, ResetPlaceholder(link, p)]
    private_now = link.google_private or (g is not None and not g.deleted and g.private)
    if private_now and not p.private:
        # "public" mode dropped the privacy on the Pipedrive side (or the event turned private
        # in a change not imported: one-way, a lost conflict); never drop it on Google.
        return [UpdateGoogle(link, p, keep_private=True, event_meeting=meeting)]
    return [UpdateGoogle(link, p, event_meeting=meeting)]


def _is_placeholder(p: CalendarItem) -> bool:
    """Is activity `p` a bare Busy placeholder (a title of "Busy" and nothing but its time)?"""
    return (
        p.title == BUSY_SUBJECT
        and not (p.location or p.description or p.attendees)
        and not p.private
    )


def _update_pipedrive(rules: _Rules, link: Link, g: CalendarItem) -> list[Action]:
    mode = _pd_mode(rules, link)
    if g.private and mode == "skip":
        # Privacy wins: the event's details must not stay in Pipedrive. `_pd_mode` is only
        # "skip" for pairs that started on Google, so the activity deleted here is always
        # one we made from the event, never one the user made in Pipedrive.
        return [DeletePipedrive(link, SKIPPED_PRIVATE)]
    update = UpdatePipedrive(link, g, mode)
    return [RewriteGoogle(link, g), update] if rules.rewrite_google else [update]


def _privacy_wins(rules: _Rules, link: Link, g: CalendarItem) -> bool:
    """Does Google's version win a conflict because the event is private and the mode keeps
    its details out of Pipedrive (`busy`, `skip`)? Pipedrive's version would carry them."""
    return g.private and link.origin == "google" and _pd_mode(rules, link) in ("busy", "skip")


# ---------------------------------------------------------------- new items


def _unlinked_items(rules: _Rules, snapshot: Snapshot, links: list[Link]) -> None:
    """Items no link has. Copies we wrote whose link was lost are relinked first, so that
    neither they nor their originals are copied again; then the table for new items.
    (A live item whose id is a linked series' master is a master listed without singleEvents
    expansion: its instances are what is synced, never the master itself.)"""
    google, pipedrive = snapshot.google, snapshot.pipedrive
    by_google = {link.google_id for link in links}
    by_pipedrive = {link.pipedrive_id for link in links}
    masters = {link.series_id for link in links if link.series_id}
    new_g = {
        i: g
        for i, g in sorted(google.items())
        if i not in by_google and not g.deleted and i not in masters
    }
    new_p = {i: p for i, p in sorted(pipedrive.items()) if i not in by_pipedrive and not p.deleted}
    claimed_g: set[str] = set()
    claimed_p: set[str] = set()
    for g in list(new_g.values()):
        peer = g.peer()
        if (
            peer
            and peer[0] == "pipedrive"
            and peer[1] not in by_pipedrive
            and peer[1] not in claimed_p
        ):
            original = pipedrive.get(peer[1])
            link = _relink(rules, g, new_p.pop(peer[1], None), origin="pipedrive", peer_id=peer[1])
            if original is not None and original.deleted:
                # The activity went before its copy was recorded: the copy goes too.
                rules.out.append(DeleteGoogle(link, "copy of a deleted activity"))
            else:
                rules.out.append(Relink(link, "copy found without its link"))
            claimed_g.add(g.id)
            claimed_p.add(peer[1])
            del new_g[g.id]
    for p in list(new_p.values()):
        peer = p.peer()
        if peer and peer[0] == "google" and peer[1] not in by_google and peer[1] not in claimed_g:
            original = google.get(peer[1])
            link = _relink(rules, new_g.pop(peer[1], None), p, origin="google", peer_id=peer[1])
            if original is not None and original.deleted and rules.two_way:
                rules.out.append(DeletePipedrive(link, "copy of a deleted event"))
            else:
                rules.out.append(Relink(link, "copy found without its link"))
            del new_p[p.id]
    for held in snapshot.held:  # under review (sync/review.py): left as they are
        side, _, item_id = held.partition(":")
        (new_g if side == "google" else new_p).pop(item_id, None)
    if snapshot.full:
        _pair_existing(rules, new_g, new_p)
    for g in new_g.values():
        _new_google(rules, g)
    for p in new_p.values():
        _new_pipedrive(rules, p)


def _pair_existing(
    rules: _Rules, new_g: dict[str, CalendarItem], new_p: dict[str, CalendarItem]
) -> None:
    """Items on both sides that are the same meeting (sync/pairing.py) are linked instead of
    copied; the later-changed side's content wins, as in a conflict. The surplus of several
    candidates for one meeting goes to review. Paired and reviewed items leave `new_g` /
    `new_p`."""
    found = match(
        ((key, g) for g in new_g.values() if (key := _google_key(rules, g)) is not None),
        ((key, p) for p in new_p.values() if (key := _pipedrive_key(rules, p)) is not None),
    )
    for g, p in found.pairs:
        _pair(rules, g, p)
        del new_g[g.id], new_p[p.id]
    for item in found.review:
        rules.out.append(Skip(item, REVIEW_DUPLICATE, "review"))
        (new_g if item.side == "google" else new_p).pop(item.id)


REVIEW_DUPLICATE = (
    "several items on the other side look like the same meeting: left for review (calsync review)"
)


def _google_key(rules: _Rules, g: CalendarItem) -> Key | None:
    """The event's meeting key when it would otherwise be copied (or, one-way, could be the
    copy of an activity): None for events that are never synced."""
    if g.peer() is not None or not g.overlaps(*rules.window, rules.day_zone):
        return None
    busy = g.private and rules.options.private == "busy"
    if rules.two_way and (
        not_imported(g, rules.options) is not None
        or (g.private and rules.options.private == "skip")
        or too_big_for_pipedrive(g) is not None
    ):
        return None
    return meeting_key(g, busy_placeholder=busy)


def _pipedrive_key(rules: _Rules, p: CalendarItem) -> Key | None:
    if p.peer() is not None or not p.overlaps(*rules.window, rules.day_zone):
        return None
    if not rules.two_way and p.activity_type not in rules.options.push_types:
        return None
    return meeting_key(p)


def _pair(rules: _Rules, g: CalendarItem, p: CalendarItem) -> None:
    """Link `g` and `p`; when their contents differ, the side changed last is written to the
    other (one-way: the activity always is; a private event under `busy` / `skip` wins). The
    pair counts as born in Pipedrive when the activity goes to Google by its type and the
    event is not private, else as born on Google (privacy and push_types then never touch
    the user's own event)."""
    pushable = p.activity_type in rules.options.push_types
    origin: Side = "pipedrive" if pushable and not g.private else "google"
    link = Link.from_items(g, p, origin=origin, synced_at=rules.now)
    if g.fingerprint() == p.fingerprint():
        rules.out.append(Pair(link))
        return
    p_later = p.updated is not None and (g.updated is None or p.updated > g.updated)
    if not rules.two_way or (p_later and not _privacy_wins(rules, link, g)):
        link = dataclasses.replace(link, pipedrive_fingerprint="")
        rules.out.append(Pair(link))
        rules.out.extend(_update_google(rules, link, p, g))
    else:
        link = dataclasses.replace(link, google_fingerprint="")
        rules.out.append(Pair(link))
        rules.out.extend(_update_pipedrive(rules, link, g))


def _relink(
    rules: _Rules, g: CalendarItem | None, p: CalendarItem | None, *, origin: Side, peer_id: str
) -> Link:
    """The link of a copy we wrote, found without its link (recorded instead of copying again)."""
    if g is not None and p is not None:
        return Link.from_items(g, p, origin=origin, synced_at=rules.now)
    if g is not None:
        # The activity was not in this run's input: its fingerprint is learnt on its next change.
        return Link(
            google_id=g.id,
            pipedrive_id=peer_id,
            google_version=g.version,
            google_fingerprint=g.fingerprint(),
            origin=origin,
            synced_at=rules.now,
            series_id=g.series_id,
            google_private=g.private,
            end=(g.span() or (None, None))[1],
            title=g.title,
        )
    assert p is not None
    return Link(
        google_id=peer_id,
        pipedrive_id=p.id,
        pipedrive_version=p.version,
        pipedrive_fingerprint=p.fingerprint(),
        origin=origin,
        synced_at=rules.now,
        end=(p.span() or (None, None))[1],
        title=p.title,
    )


def _new_google(rules: _Rules, g: CalendarItem) -> None:
    if not rules.two_way:
        return  # one-way: Google-only events are never imported (no Skip: that is the point)
    if (why := not_imported(g, rules.options)) is not None:
        rules.out.append(Skip(g, why[1], why[0]))
        return
    if not g.overlaps(*rules.window, rules.day_zone):
        rules.out.append(Skip(g, "outside the sync window", "window"))
        return
    mode = rules.options.private
    if g.private and mode == "skip":
        rules.out.append(
            Skip(g, "private event: private events are not synced (--private skip)", "private")
        )
        return
    if (too_big := too_big_for_pipedrive(g)) is not None:
        rules.out.append(Skip(g, too_big, "limits"))
        return
    rules.out.append(CreateOnPipedrive(g, mode))


def _new_pipedrive(rules: _Rules, p: CalendarItem) -> None:
    if p.activity_type not in rules.options.push_types:
        rules.out.append(Skip(p, f"type {p.activity_type!r} is not synced to Google", "type"))
        return
    if not p.overlaps(*rules.window, rules.day_zone):
        rules.out.append(Skip(p, "outside the sync window", "window"))
        return
    rules.out.append(CreateOnGoogle(p))
