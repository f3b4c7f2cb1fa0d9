"""The plan of an undo: from a run's before-images and what both sides hold now, the actions
that put back what calsync wrote in that run, for the executor's own handlers to apply.

Pure, like sync/planner.py. Each entry of the run (sync/before_images.py) becomes:

- a create: the copy is deleted (DeleteGoogle / DeletePipedrive), unless it is gone already
  (its link is forgotten) or someone changed it since (left alone, reported);
- an update: the item is written back as it was (UpdateGoogle / UpdatePipedrive from its
  before-image), unless it holds that already or someone changed it since (left alone);
- a delete: the item is made again from its full before-image (CreateOnGoogle /
  CreateOnPipedrive), unless an earlier, interrupted undo made it already (found by its
  marker) or the item is back.

The executor runs deletes before updates before creates: nothing is left half-linked. What
the plan decides from the state it reads, not from a record of the undo's progress, so an
undo killed at any point is planned again from what did land, and converges.
Once the writes landed, the pairs written back get their links as before the run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from .actions import (
    Action,
    CreateOnGoogle,
    CreateOnPipedrive,
    DeleteGoogle,
    DeletePipedrive,
    ForgetLink,
    Plan,
    Skip,
    UpdateGoogle,
    UpdatePipedrive,
)
from .before_images import Entry
from .models import CalendarItem, Link

CHANGED = "changed-since"
GONE = "gone-since"
BACK = "back-since"

Current = dict[tuple[str, str], CalendarItem | None]
LinkOf = Callable[[str, str], Link | None]
"""(side, id) -> the pair's link now."""


@dataclass
class UndoPlan:
    """The plan, and the links to put back once its writes landed."""

    plan: Plan
    relink: list[tuple[Entry, CalendarItem | None]] = field(default_factory=list)
    """Items written back or made again: their pair's link as before the run, with the
    item's id and version as it now is (the item: known already, as it needs no write;
    None: the one the write leaves, taken from the link the write recorded)."""


def plan_undo(
    run: int,
    entries: tuple[Entry, ...],
    current: Current,
    link_of: LinkOf,
    remade: dict[str, CalendarItem],
) -> UndoPlan:
    """The undo of run `run`. `current`: each entry's item as it is now, None when gone;
    `remade`: "<side>:<old id>" -> the item an interrupted undo already made again of a
    deleted one."""
    actions: list[Action] = []
    out = UndoPlan(Plan())
    for entry in entries:
        now = current.get((entry.side, entry.id))
        if entry.verb == "create":
            actions.extend(_uncreate(run, entry, now, link_of))
        elif entry.verb == "update":
            actions.extend(_unupdate(run, entry, now, link_of, out))
        else:
            actions.extend(_undelete(run, entry, now, remade, out))
    out.plan = Plan.of_actions(actions)
    return out


def _left(item: CalendarItem, run: int, code: str) -> Skip:
    why = {
        CHANGED: f"changed since run {run}: left as it is",
        GONE: f"deleted since run {run}: nothing to put back",
        BACK: f"there again since run {run}: left as it is",
    }[code]
    return Skip(item, why, code)


def _stub(entry: Entry) -> CalendarItem:
    return CalendarItem(entry.side, entry.id, title=entry.before.title if entry.before else "")


def _uncreate(run: int, entry: Entry, now: CalendarItem | None, link_of: LinkOf) -> list[Action]:
    link = link_of(entry.side, entry.id)
    if now is None:
        return [ForgetLink(link, "undo: the copy is gone")] if link is not None else []
    if entry.after and now.fingerprint() != entry.after:
        return [_left(now, run, CHANGED)]
    if link is None:  # forgotten since: the item alone, by its id
        link = Link(entry.id, "") if entry.side == "google" else Link("", entry.id)
    link = dataclasses.replace(link, title=now.title, start=now.start)
    reason = f"undo of run {run}: calsync made it"
    if entry.side == "google":
        return [DeleteGoogle(link, reason)]
    return [DeletePipedrive(link, reason)]


def _unupdate(
    run: int, entry: Entry, now: CalendarItem | None, link_of: LinkOf, out: UndoPlan
) -> list[Action]:
    before = entry.before
    if before is None:
        return []
    if now is None:
        return [_left(_stub(entry), run, GONE)]
    link = link_of(entry.side, entry.id) or entry.link_before
    if now.fingerprint() == before.fingerprint():
        out.relink.append((entry, now))
        return []  # put back already (an interrupted undo): only its link
    if entry.after and now.fingerprint() != entry.after:
        return [_left(now, run, CHANGED)]
    if link is None:
        return [_left(now, run, GONE)]
    out.relink.append((entry, None))
    if entry.side == "pipedrive":
        source = dataclasses.replace(before, side="google", id=link.google_id, version="")
        return [UpdatePipedrive(link, source, private_mode="private")]
    source = dataclasses.replace(before, side="pipedrive", id=link.pipedrive_id, version="")
    return [UpdateGoogle(link, source, event_meeting=now.meeting_url)]


def _undelete(
    run: int,
    entry: Entry,
    now: CalendarItem | None,
    remade: dict[str, CalendarItem],
    out: UndoPlan,
) -> list[Action]:
    before, link = entry.before, entry.link_before
    if before is None or link is None:
        return []
    if now is not None:
        return [_left(now, run, BACK)]
    again = remade.get(f"{entry.side}:{entry.id}")
    out.relink.append((entry, again))
    if again is not None:
        return []  # made again by an interrupted undo: only its link
    if entry.side == "pipedrive":
        source = dataclasses.replace(before, side="google", id=link.google_id, version="")
        return [CreateOnPipedrive(source, private_mode="private")]
    source = dataclasses.replace(before, side="pipedrive", id=link.pipedrive_id, version="")
    return [CreateOnGoogle(source)]
