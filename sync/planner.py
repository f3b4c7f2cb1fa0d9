"""The pure planner: links + both sides' changes + options -> a Plan of small actions (no I/O).

See docs/planner.md for the decision table this module implements.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from .mapping import BUSY_SUBJECT, too_big_for_pipedrive
from .models import CalendarItem, Link, Side, SyncEvent
from .options import Options, PrivateMode

# ---------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True)
class CreateOnPipedrive:
    """Create an activity from Google event `item`; `replaces` is a link to drop first (a restore)."""

    item: CalendarItem
    private_mode: PrivateMode = "private"
    """The mode to hand to mapping.pipedrive_body."""
    replaces: Link | None = None
    side: Side = "pipedrive"
    rewrite_google: bool = False
    """With `replaces`: first write the event again from `item` without linked contacts (it
    may carry those of the deleted activity; the new one links none)."""


@dataclass(frozen=True, slots=True)
class CreateOnGoogle:
    """Create a Google event from activity `item`; `replaces` is a link to drop first (a restore)."""

    item: CalendarItem
    replaces: Link | None = None
    side: Side = "google"


@dataclass(frozen=True, slots=True)
class UpdatePipedrive:
    """Patch the linked activity with Google event `item`'s content.

    If the activity turns out to be gone, the executor drops the link and creates it anew.
    """

    link: Link
    item: CalendarItem
    private_mode: PrivateMode = "private"
    side: Side = "pipedrive"
    rewrite_google: bool = False
    """The options that shape Google copies changed this run (linked contacts): first write
    the event again from `item` (the event as read, without our linked-contacts additions)
    under the current options, so that it keeps nothing the old options put in it and gets
    what the new ones add; then patch the activity."""


@dataclass(frozen=True, slots=True)
class UpdateGoogle:
    """Patch the linked Google event with activity `item`'s content.

    `only_time`: the event is private and its activity a Busy placeholder: send only the
    times. `keep_private`: the event is private but its activity is not (mode `public`): the
    event stays private (the activity `item` itself is left as it is, so that the link
    records what Pipedrive really holds). If the event turns out to be gone, the executor
    drops the link and creates it anew.
    """

    link: Link
    item: CalendarItem
    only_time: bool = False
    side: Side = "google"
    keep_private: bool = False
    reset_placeholder: bool = False
    """With `only_time`: the activity is no longer a bare placeholder (renamed, or details
    from before the mode was `busy`): after the event's time is patched, the activity is
    patched back to "Busy" with only its time (privacy wins)."""


@dataclass(frozen=True, slots=True)
class DeletePipedrive:
    """Delete the linked activity, then forget the link.

    `inferred`: the Google event was only missing from a full listing; the executor must
    first confirm it is gone (get -> 404/410/cancelled) and, if it still exists (it moved
    out of the window), only forget the link.
    """

    link: Link
    reason: str
    inferred: bool = False
    side: Side = "pipedrive"


@dataclass(frozen=True, slots=True)
class DeleteGoogle:
    """Delete the linked Google event, then forget the link (`inferred`: as DeletePipedrive)."""

    link: Link
    reason: str
    inferred: bool = False
    side: Side = "google"


@dataclass(frozen=True, slots=True)
class Relink:
    """Record `link` (new or refreshed) without writing to either side.

    Made when a copy we wrote is found without its link (a crash between the remote create
    and the link save), or when both sides changed to the same content.
    """

    link: Link
    reason: str


@dataclass(frozen=True, slots=True)
class ForgetLink:
    """Drop `link`; nothing is written to either side."""

    link: Link
    reason: str


@dataclass(frozen=True, slots=True)
class Skip:
    """`item` is not synced, for `reason`; `code` groups reasons (window/private/type/one-way/duplicate/limits)."""

    item: CalendarItem
    reason: str
    code: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """Both sides changed: `winner`'s content is written (by the update action next to this one)."""

    winner: CalendarItem
    loser: CalendarItem
    reason: str


Action = (
    CreateOnPipedrive
    | CreateOnGoogle
    | UpdatePipedrive
    | UpdateGoogle
    | DeletePipedrive
    | DeleteGoogle
    | Relink
    | ForgetLink
    | Skip
    | Conflict
)
WriteAction = (
    CreateOnPipedrive
    | CreateOnGoogle
    | UpdatePipedrive
    | UpdateGoogle
    | DeletePipedrive
    | DeleteGoogle
)


@dataclass(frozen=True, slots=True)
class Plan:
    """The actions of one run, in a deterministic order (deletes, updates, creates, bookkeeping)."""

    actions: tuple[Action, ...] = ()

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def __len__(self) -> int:
        return len(self.actions)

    def of(self, kind: type) -> list[Action]:
        return [a for a in self.actions if isinstance(a, kind)]

    def writes(self) -> list[WriteAction]:
        return [a for a in self.actions if isinstance(a, WriteAction)]

    def counts(self) -> dict[str, dict[str, int]]:
        """{"google": {"create", "update", "delete"}, "pipedrive": {...}} plus conflicts/skips."""
        out: dict[str, dict[str, int]] = {
            "google": {"create": 0, "update": 0, "delete": 0},
            "pipedrive": {"create": 0, "update": 0, "delete": 0},
        }
        for a in self.writes():
            verb = (
                "create"
                if isinstance(a, CreateOnGoogle | CreateOnPipedrive)
                else "update"
                if isinstance(a, UpdateGoogle | UpdatePipedrive)
                else "delete"
            )
            out[a.side][verb] += 1
        out["other"] = {"conflict": len(self.of(Conflict)), "skip": len(self.of(Skip))}
        return out

    def deletes(self, side: Side) -> int:
        return sum(
            1
            for a in self.writes()
            if isinstance(a, DeleteGoogle | DeletePipedrive) and a.side == side
        )

    def deleted_titles(self, side: Side, most: int = 5) -> list[str]:
        """Titles of up to `most` items this plan deletes on `side` (for the guard's question)."""
        titles = [
            a.link.title
            for a in self.writes()
            if isinstance(a, DeleteGoogle | DeletePipedrive) and a.side == side and a.link.title
        ]
        return titles[:most]

    def deletes_share(self, side: Side, total_on_side: int) -> float:
        """The share of `side`'s `total_on_side` items this plan deletes (0 when the side is empty)."""
        return self.deletes(side) / total_on_side if total_on_side > 0 else 0.0


def guard(
    plan: Plan, google_total: int, pipedrive_total: int, threshold: float = 0.5, minimum: int = 5
) -> str | None:
    """A reason to hold the run when it would delete more than `threshold` of a side with at
    least `minimum` items (rclone's --max-delete); None when the plan may go ahead."""
    names = {"google": "Google events", "pipedrive": "Pipedrive activities"}
    for side, total in (("google", google_total), ("pipedrive", pipedrive_total)):
        n = plan.deletes(side)  # type: ignore[arg-type]
        if total >= minimum and n > threshold * total:
            return (
                f"would delete {n} of {total} {names[side]} ({n / total:.0%} > {threshold:.0%}); "
                "run with --force-delete to go ahead"
            )
    return None


# ---------------------------------------------------------------- planning

SKIPPED_PRIVATE = "the event is private and private events are not synced (--private skip)"

State = Literal["new", "changed", "unchanged", "deleted", "unknown", "missing"]


@dataclass
class _Ctx:
    options: Options
    window: tuple[datetime, datetime]
    now: datetime
    two_way: bool
    rewrite_google: bool = False
    rewrite_private: bool = False
    out: list[Action] = field(default_factory=list)


def plan(
    *,
    links: list[Link],
    google: dict[str, CalendarItem],
    pipedrive: dict[str, CalendarItem],
    options: Options,
    now: datetime,
    full: bool,
    rewrite_google: bool = False,
    rewrite_private: bool = False,
) -> Plan:
    """Decide what to write where.

    `google` / `pipedrive`: the items seen this run by id (changed items from the incremental
    feeds, or, with `full`, complete listings of the window). With `full`, a linked item absent
    from its side's listing counts as "missing" (see docs/planner.md); otherwise absent means
    "unknown" (not changed). `rewrite_google`: the options that shape Google copies changed
    (linked contacts): every pair seen unchanged on both sides is written to Google again,
    and an event whose change is imported is written again first (`UpdatePipedrive`).
    `rewrite_private`: the private mode may have changed (or two-way sync resumed): every pair
    that started from a private Google event, seen unchanged on both sides, is written to
    Pipedrive again under the current mode (in one-way only `busy` / `skip`, which take
    details out; nothing else is imported).
    """
    ctx = _Ctx(
        options,
        options.window(now),
        now,
        options.sync_type == "two-way",
        rewrite_google,
        rewrite_private,
    )
    by_google = {link.google_id: link for link in links}
    by_pipedrive = {link.pipedrive_id: link for link in links}
    by_series: dict[str, list[Link]] = {}
    for link in links:
        if link.series_id:
            by_series.setdefault(link.series_id, []).append(link)

    # A cancelled series master deletes every linked instance: give each instance link a
    # synthetic deleted Google item (unless the feed also carried that instance itself).
    series_deleted: dict[str, CalendarItem] = {}
    for g in google.values():
        if g.deleted and g.id in by_series:
            for link in by_series[g.id]:
                if link.google_id not in google:
                    series_deleted[link.google_id] = dataclasses.replace(
                        g, id=link.google_id, series_id=g.id, title=g.title
                    )

    # Phase 1: every link that this run has news about (all of them in a full run).
    touched = sorted(
        {by_google[i] for i in (*google, *series_deleted) if i in by_google}
        | {by_pipedrive[i] for i in pipedrive if i in by_pipedrive}
        | (set(links) if full else set()),
        key=lambda link: (link.google_id, link.pipedrive_id),
    )
    for link in touched:
        g_item = google.get(link.google_id) or series_deleted.get(link.google_id)
        p_item = pipedrive.get(link.pipedrive_id)
        _pair(
            ctx,
            link,
            g_item,
            _state(g_item, link.google_fingerprint, full),
            p_item,
            _state(p_item, link.pipedrive_fingerprint, full),
        )

    # Phase 2: unlinked items. Copies we wrote whose link was lost are relinked first, so
    # that neither they nor their originals are copied again.
    # (A live item whose id is a linked series' master is a master listed without
    # singleEvents expansion: its instances are what is synced, never the master itself.)
    new_g = {
        i: g
        for i, g in sorted(google.items())
        if i not in by_google and not g.deleted and i not in by_series
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
            link = _relink(ctx, g, new_p.pop(peer[1], None), origin="pipedrive", peer_id=peer[1])
            if original is not None and original.deleted:
                # The activity went before its copy was recorded: the copy goes too.
                ctx.out.append(DeleteGoogle(link, "copy of a deleted activity"))
            else:
                ctx.out.append(Relink(link, "copy found without its link"))
            claimed_g.add(g.id)
            claimed_p.add(peer[1])
            del new_g[g.id]
    for p in list(new_p.values()):
        peer = p.peer()
        if peer and peer[0] == "google" and peer[1] not in by_google and peer[1] not in claimed_g:
            original = google.get(peer[1])
            link = _relink(ctx, new_g.pop(peer[1], None), p, origin="google", peer_id=peer[1])
            if original is not None and original.deleted and ctx.two_way:
                ctx.out.append(DeletePipedrive(link, "copy of a deleted event"))
            else:
                ctx.out.append(Relink(link, "copy found without its link"))
            del new_p[p.id]
    for g in new_g.values():
        _new_google(ctx, g)
    for p in new_p.values():
        _new_pipedrive(ctx, p)
    return Plan(tuple(sorted(ctx.out, key=_order)))


def _state(item: CalendarItem | None, fingerprint: str, full: bool) -> State:
    if item is None:
        return "missing" if full else "unknown"
    if item.deleted:
        return "deleted"
    return "unchanged" if item.fingerprint() == fingerprint else "changed"


def _order(action: Action) -> int:
    # Deletes first (they free ids and let the guard see them), then updates, creates, bookkeeping.
    for rank, kinds in enumerate(
        (
            (DeleteGoogle, DeletePipedrive),
            (UpdateGoogle, UpdatePipedrive),
            (CreateOnGoogle, CreateOnPipedrive),
            (Conflict,),
            (Relink, ForgetLink),
            (Skip,),
        )
    ):
        if isinstance(action, kinds):
            return rank
    return 99


def _pd_mode(ctx: _Ctx, link: Link | None) -> PrivateMode:
    """The private mode for writes to Pipedrive: the option for Google-born items; "private"
    for pairs born in Pipedrive (their activity is never turned into a Busy placeholder)."""
    if link is not None and link.origin == "pipedrive":
        return "private"
    return ctx.options.private


def _pushable(ctx: _Ctx, link: Link | None, p: CalendarItem) -> bool:
    """Does activity `p` go to Google? push_types filters activities born in Pipedrive only:
    activities made from Google events keep their event whatever their type."""
    if link is not None and link.origin == "google":
        return True
    return p.activity_type in ctx.options.push_types


def _update_google(ctx: _Ctx, link: Link, p: CalendarItem, g: CalendarItem | None = None) -> Action:
    if not _pushable(ctx, link, p):
        return DeleteGoogle(link, f"type {p.activity_type!r} is not synced to Google")
    if link.google_private and link.origin == "google" and ctx.options.private == "busy":
        # The activity is a Busy placeholder of a private event: only its time goes back,
        # and anything else written into it is taken out again.
        return UpdateGoogle(link, p, only_time=True, reset_placeholder=not _is_placeholder(p))
    private_now = link.google_private or (g is not None and not g.deleted and g.private)
    if private_now and not p.private:
        # "public" mode dropped the privacy on the Pipedrive side (or the event turned private
        # in a change not imported: one-way, a lost conflict); never drop it on Google.
        return UpdateGoogle(link, p, keep_private=True)
    return UpdateGoogle(link, p)


def _is_placeholder(p: CalendarItem) -> bool:
    """Is activity `p` a bare Busy placeholder (a title of "Busy" and nothing but its time)?"""
    return (
        p.title == BUSY_SUBJECT
        and not (p.location or p.description or p.attendees)
        and not p.private
    )


def _update_pipedrive(ctx: _Ctx, link: Link, g: CalendarItem) -> list[Action]:
    mode = _pd_mode(ctx, link)
    if g.private and mode == "skip":
        # Privacy wins: the event's details must not stay in Pipedrive. `_pd_mode` is only
        # "skip" for pairs that started on Google, so the activity deleted here is always
        # one we made from the event, never one the user made in Pipedrive.
        return [DeletePipedrive(link, SKIPPED_PRIVATE)]
    return [UpdatePipedrive(link, g, mode, rewrite_google=ctx.rewrite_google)]


def _privacy_wins(ctx: _Ctx, link: Link, g: CalendarItem) -> bool:
    """Does Google's version win a conflict because the event is private and the mode keeps
    its details out of Pipedrive (`busy`, `skip`)? Pipedrive's version would carry them."""
    return g.private and link.origin == "google" and _pd_mode(ctx, link) in ("busy", "skip")


def _pair(
    ctx: _Ctx, link: Link, g: CalendarItem | None, gs: State, p: CalendarItem | None, ps: State
) -> None:
    out = ctx.out
    g_gone = gs in ("deleted", "missing")
    p_gone = ps in ("deleted", "missing")
    g_quiet = gs in ("unchanged", "unknown")
    p_quiet = ps in ("unchanged", "unknown")
    inferred_g = gs == "missing"
    inferred_p = ps == "missing"

    # The activity's type left push_types: its Google event goes, the activity stays.
    # (Checked whatever the fingerprint says: a retype changes no content.)
    if p is not None and not p_gone and not g_gone and not _pushable(ctx, link, p):
        out.append(DeleteGoogle(link, f"type {p.activity_type!r} is not synced to Google"))
        return

    # Privacy wins: an activity made from a private event under `skip` goes, whatever else
    # changed (both sync types; pairs that started in Pipedrive never get here: `_pd_mode`).
    g_private = g.private if g is not None and not g_gone else link.google_private
    if not g_gone and not p_gone and g_private and _pd_mode(ctx, link) == "skip":
        if not (g_quiet and p_quiet) or ctx.rewrite_private:
            out.append(DeletePipedrive(link, SKIPPED_PRIVATE))
        return

    if g_gone and p_gone:
        # Gone on both sides (or missing from both listings).
        if gs == "missing" and ps == "missing":
            # Both out of the window: keep the link while the pair may come back into it,
            # forget it once it has aged out (ended before the window starts).
            if link.end is not None and link.end <= ctx.window[0]:
                out.append(ForgetLink(link, "pair ended before the sync window"))
            return
        if gs == "deleted" and ps == "missing" and ctx.two_way:
            # Deleted on Google, activity not in its listing (maybe moved out of the window):
            # delete it (already gone counts as done).
            out.append(DeletePipedrive(link, "deleted on Google"))
        elif ps == "deleted" and gs == "missing":
            # Deleted in Pipedrive, event not in its listing: delete it (both sync types).
            out.append(DeleteGoogle(link, "deleted in Pipedrive"))
        else:
            out.append(ForgetLink(link, "deleted on both sides"))
        return

    if ctx.two_way:
        if g_quiet and p_quiet:
            # Unchanged on both sides (an etag bump alone is no change), unless the options
            # that shape the copies changed: then the copy is written again. A new private
            # mode re-applies to every private event that started on Google (privacy wins:
            # `busy` turns its activity into the placeholder, `skip` deletes it).
            if (
                ctx.rewrite_private
                and g is not None
                and p is not None
                and g.private
                and link.origin == "google"
            ):
                out.extend(_update_pipedrive(ctx, link, g))
            elif ctx.rewrite_google and g is not None and p is not None:
                out.append(_update_google(ctx, link, p, g))
            return
        if gs == "changed" and p_quiet:
            out.extend(_update_pipedrive(ctx, link, g))  # type: ignore[arg-type]
            return
        if g_quiet and ps == "changed":
            out.append(_update_google(ctx, link, p, g))  # type: ignore[arg-type]
            return
        if gs == "changed" and ps == "changed":
            assert g is not None and p is not None
            if g.fingerprint() == p.fingerprint():
                # Changed on both sides to the same content: just remember the new state
                # (or write the copy again when the options that shape it changed).
                if ctx.rewrite_google:
                    out.append(_update_google(ctx, link, p, g))
                    return
                out.append(
                    Relink(
                        Link.from_items(g, p, origin=link.origin, synced_at=ctx.now),
                        "same change on both sides",
                    )
                )
                return
            # Changed on both sides: the later change wins; a tie goes to Google. A private
            # event under `busy` / `skip` always wins (privacy first).
            if (
                p.updated is not None
                and (g.updated is None or p.updated > g.updated)
                and not _privacy_wins(ctx, link, g)
            ):
                out.append(Conflict(p, g, "both changed; Pipedrive changed last"))
                out.append(_update_google(ctx, link, p, g))
            else:
                reason = (
                    "both changed; the event is private (--private "
                    f"{ctx.options.private}): Google's version wins"
                    if _privacy_wins(ctx, link, g)
                    else "both changed; Google changed last (or a tie)"
                )
                out.append(Conflict(g, p, reason))
                out.extend(_update_pipedrive(ctx, link, g))
            return
        if g_gone and p_quiet:
            # Deleted on Google, not changed in Pipedrive: delete the activity.
            out.append(DeletePipedrive(link, "deleted on Google", inferred=inferred_g))
            return
        if g_gone and ps == "changed":
            assert p is not None
            if inferred_g:
                # Missing from Google's listing but changed in Pipedrive: patch the event (the
                # executor re-creates it if it is really gone).
                out.append(_update_google(ctx, link, p, g))
            else:
                # Deleted on Google but changed in Pipedrive: the change wins, restore the event.
                out.append(CreateOnGoogle(p, replaces=link))
            return
        if g_quiet and p_gone:
            # Deleted in Pipedrive, not changed on Google: delete the event.
            out.append(DeleteGoogle(link, "deleted in Pipedrive", inferred=inferred_p))
            return
        if gs == "changed" and p_gone:
            assert g is not None
            if inferred_p:
                out.extend(_update_pipedrive(ctx, link, g))
            else:
                # Deleted in Pipedrive but changed on Google: the change wins, restore the activity.
                mode = _pd_mode(ctx, link)
                if g.private and mode == "skip":
                    out.append(
                        ForgetLink(link, "deleted in Pipedrive; the event is private and skipped")
                    )
                else:
                    # The event may carry the linked contacts of the deleted activity.
                    rewrite = ctx.rewrite_google or ctx.options.linked_contacts
                    out.append(CreateOnPipedrive(g, mode, replaces=link, rewrite_google=rewrite))
            return
        raise AssertionError(f"unhandled two-way state {gs}/{ps}")

    # One-way: Pipedrive is the source; nothing comes from Google.
    if p_gone:
        # Deleted in Pipedrive (whatever happened on Google): delete the event.
        out.append(DeleteGoogle(link, "deleted in Pipedrive", inferred=inferred_p))
        return
    if g_gone:
        if p is not None:
            # The event went (or left the listing) but the activity is here: write it back.
            if inferred_g:
                out.append(_update_google(ctx, link, p, g))
            else:
                out.append(CreateOnGoogle(p, replaces=link))
        else:
            # Deleted on Google, activity not seen this run: forget the pair; the activity
            # is copied again when it changes or at the next full reconcile.
            out.append(ForgetLink(link, "deleted on Google (one-way: the activity stays)"))
        return
    if ps == "changed":
        # Changed in Pipedrive (a Google-side edit, if any, is overwritten).
        out.append(_update_google(ctx, link, p, g))  # type: ignore[arg-type]
        return
    if gs == "changed":
        assert g is not None
        if _privacy_wins(ctx, link, g):
            # An activity made from an event that is now private, under `busy` / `skip`:
            # privacy wins even in one-way (the placeholder, or the activity goes).
            out.extend(_update_pipedrive(ctx, link, g))
            return
        if ctx.rewrite_google and p is not None:
            # Not imported, and the copy is written again now (the options that shape it
            # changed): the Pipedrive change that would overwrite the edit is this one.
            out.append(_update_google(ctx, link, p, g))
            return
        # Changed on Google only: not imported; overwritten on the next Pipedrive change.
        out.append(Skip(g, "one-way sync: Google edits are not imported", "one-way"))
        return
    # Unchanged on both sides (rewritten when the options shaping the copies changed; in
    # one-way a new private mode only takes details out: `busy` / `skip`).
    if ctx.rewrite_private and g is not None and p is not None and _privacy_wins(ctx, link, g):
        out.extend(_update_pipedrive(ctx, link, g))
    elif ctx.rewrite_google and g is not None and p is not None:
        out.append(_update_google(ctx, link, p, g))


def _relink(
    ctx: _Ctx, g: CalendarItem | None, p: CalendarItem | None, *, origin: Side, peer_id: str
) -> Link:
    """The link of a copy we wrote, found without its link (recorded instead of copying again)."""
    if g is not None and p is not None:
        link = Link.from_items(g, p, origin=origin, synced_at=ctx.now)
    elif g is not None:
        # The activity was not in this run's input: its fingerprint is learnt on its next change.
        link = Link(
            google_id=g.id,
            pipedrive_id=peer_id,
            google_version=g.version,
            google_fingerprint=g.fingerprint(),
            origin=origin,
            synced_at=ctx.now,
            series_id=g.series_id,
            google_private=g.private,
            end=(g.span() or (None, None))[1],
        )
    else:
        assert p is not None
        link = Link(
            google_id=peer_id,
            pipedrive_id=p.id,
            pipedrive_version=p.version,
            pipedrive_fingerprint=p.fingerprint(),
            origin=origin,
            synced_at=ctx.now,
            end=(p.span() or (None, None))[1],
        )
    return link


def _in_window(ctx: _Ctx, item: CalendarItem) -> bool:
    return item.overlaps(*ctx.window)


def _new_google(ctx: _Ctx, g: CalendarItem) -> None:
    if not ctx.two_way:
        return  # one-way: Google-only events are never imported (no Skip: that is the point)
    if not _in_window(ctx, g):
        ctx.out.append(Skip(g, "outside the sync window", "window"))
        return
    mode = ctx.options.private
    if g.private and mode == "skip":
        ctx.out.append(
            Skip(g, "private event: private events are not synced (--private skip)", "private")
        )
        return
    if (too_big := too_big_for_pipedrive(g)) is not None:
        ctx.out.append(Skip(g, too_big, "limits"))
        return
    ctx.out.append(CreateOnPipedrive(g, mode))


def _new_pipedrive(ctx: _Ctx, p: CalendarItem) -> None:
    if p.activity_type not in ctx.options.push_types:
        ctx.out.append(Skip(p, f"type {p.activity_type!r} is not synced to Google", "type"))
        return
    if not _in_window(ctx, p):
        ctx.out.append(Skip(p, "outside the sync window", "window"))
        return
    ctx.out.append(CreateOnGoogle(p))


def action_event(action: Action, at: datetime) -> SyncEvent | None:
    """The SyncEvent that reports `action` (for --dry-run and the run log); None for the
    bookkeeping actions (Relink, ForgetLink) that write to neither side."""
    if isinstance(action, Relink | ForgetLink):
        return None
    if isinstance(action, Skip):
        item = action.item
        return SyncEvent(
            "skip",
            None,
            item.title,
            item.start,
            action.reason,
            item.id,
            at,
            {"code": action.code, "from": item.side},
        )
    if isinstance(action, Conflict):
        w, loser = action.winner, action.loser
        detail = {
            "winner": {"side": w.side, "id": w.id, "version": w.version, "updated": w.updated},
            "loser": {
                "side": loser.side,
                "id": loser.id,
                "version": loser.version,
                "updated": loser.updated,
                "title": loser.title,
                "start": loser.start,
                "end": loser.end,
                "location": loser.location,
                "description": loser.description,
            },
        }
        return SyncEvent(
            "conflict", loser.side, w.title, w.start, action.reason, loser.id, at, detail
        )
    if isinstance(action, CreateOnGoogle | CreateOnPipedrive):
        item = action.item
        detail = {"from": item.side}
        if action.replaces is not None:
            detail["restores"] = "link"
        reason = "restored (changed on one side, deleted on the other)" if action.replaces else ""
        return SyncEvent(
            "create", action.side, item.title, item.start, reason, item.id, at, dict(detail)
        )
    if isinstance(action, UpdateGoogle | UpdatePipedrive):
        item = action.item
        link = action.link
        target = link.google_id if action.side == "google" else link.pipedrive_id
        return SyncEvent(
            "update",
            action.side,
            item.title,
            item.start,
            "",
            target,
            at,
            {"from": item.side, "source_id": item.id},
        )
    link = action.link
    target = link.google_id if action.side == "google" else link.pipedrive_id
    return SyncEvent(
        "delete", action.side, "", None, action.reason, target, at, {"inferred": action.inferred}
    )
