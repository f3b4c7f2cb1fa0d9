"""The planner's output: small frozen actions, each writing one side at most, and the Plan.

Every write action names the one side it writes in its class attribute `side`; a change that
touches both sides of a pair is two actions, ordered by their `stage` (see `STAGES`), and
the later one is skipped when the earlier one failed (`Plan` keeps them next to each other).
docs/planner.md has the table that decides them; docs/design.md the data flow of a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from .models import CalendarItem, Link, Side
from .options import PrivateMode

# ---------------------------------------------------------------- writes


@dataclass(frozen=True, slots=True)
class DeletePipedrive:
    """Delete the linked activity, then forget the link.

    `inferred`: the Google event was only missing from a full listing; the executor first
    confirms it is gone and, if it still exists (it moved out of the window), only forgets
    the link.
    """

    link: Link
    reason: str
    inferred: bool = False
    side: ClassVar[Side] = "pipedrive"
    stage: ClassVar[int] = 0


@dataclass(frozen=True, slots=True)
class DeleteGoogle:
    """Delete the linked Google event, then forget the link (`inferred`: as DeletePipedrive)."""

    link: Link
    reason: str
    inferred: bool = False
    side: ClassVar[Side] = "google"
    stage: ClassVar[int] = 0


@dataclass(frozen=True, slots=True)
class RewriteGoogle:
    """Write the linked event again from itself (`item`, as read: without our linked-contacts
    additions) under the current options, before its change is imported into Pipedrive by
    the action that follows it (UpdatePipedrive or CreateOnPipedrive of the same pair).

    `with_linked`: give it the linked contacts of the pair's activity (linked contacts just
    switched); False: none (a restore: the re-made activity links no one yet).
    """

    link: Link
    item: CalendarItem
    with_linked: bool = True
    side: ClassVar[Side] = "google"
    stage: ClassVar[int] = 1


@dataclass(frozen=True, slots=True)
class UpdatePipedrive:
    """Patch the linked activity with Google event `item`'s content.

    If the activity turns out to be gone, the executor drops the link and creates it anew.
    """

    link: Link
    item: CalendarItem
    private_mode: PrivateMode = "private"
    side: ClassVar[Side] = "pipedrive"
    stage: ClassVar[int] = 2


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
    keep_private: bool = False
    event_meeting: str | None = field(default=None, compare=False)
    """The meeting link the event holds (as seen this run, else as last synced; None: not
    known): its conference is written only when the activity's link differs. A hint for
    the writer, not part of what the action decides (left out of equality)."""
    side: ClassVar[Side] = "google"
    stage: ClassVar[int] = 2


@dataclass(frozen=True, slots=True)
class CreateOnPipedrive:
    """Create an activity from Google event `item`; `replaces` is a link to drop first (a restore)."""

    item: CalendarItem
    private_mode: PrivateMode = "private"
    """The mode to hand to mapping.pipedrive_body."""
    replaces: Link | None = None
    side: ClassVar[Side] = "pipedrive"
    stage: ClassVar[int] = 3


@dataclass(frozen=True, slots=True)
class CreateOnGoogle:
    """Create a Google event from activity `item`; `replaces` is a link to drop first (a restore)."""

    item: CalendarItem
    replaces: Link | None = None
    side: ClassVar[Side] = "google"
    stage: ClassVar[int] = 3


@dataclass(frozen=True, slots=True)
class ResetPlaceholder:
    """After the UpdateGoogle(only_time) of the same pair: patch the activity of a private event
    (mode `busy`) back to the Busy placeholder with only its time (privacy wins: someone put
    details into it, or it kept some from before the mode was `busy`)."""

    link: Link
    item: CalendarItem
    """The activity as read this run."""
    side: ClassVar[Side] = "pipedrive"
    stage: ClassVar[int] = 4


# ---------------------------------------------------------------- bookkeeping


@dataclass(frozen=True, slots=True)
class Relink:
    """Record `link` (new or refreshed) without writing to either side.

    Made when a copy we wrote is found without its link (a crash between the remote create
    and the link save), or when both sides changed to the same content.
    """

    link: Link
    reason: str


@dataclass(frozen=True, slots=True)
class Pair:
    """Record `link` between an unlinked event and an unlinked activity found to be the same
    meeting (sync/pairing.py): linked instead of copied. When their contents differ, the
    update of the side that changed first follows it (its winner's fingerprint is left
    empty until that update lands, so a lost update is made again)."""

    link: Link
    reason: str = "paired: the same meeting was already on both sides"


@dataclass(frozen=True, slots=True)
class ForgetLink:
    """Drop `link`; nothing is written to either side."""

    link: Link
    reason: str


@dataclass(frozen=True, slots=True)
class Skip:
    """`item` is not synced, for `reason`; `code` groups reasons (window, private, type,
    one-way, limits, an event type: working-location, birthday, from-gmail, out-of-office,
    focus-time; declined; `<code>-kept` for an activity kept although its event no longer is
    imported; see docs/planner.md)."""

    item: CalendarItem
    reason: str
    code: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """Both sides changed: `winner`'s content is written (by the update action next to this one)."""

    winner: CalendarItem
    loser: CalendarItem
    reason: str


@dataclass(frozen=True, slots=True)
class Note:
    """Something about the run as a whole that the log should say (no item, no write)."""

    reason: str
    code: str


Write = (
    DeletePipedrive
    | DeleteGoogle
    | RewriteGoogle
    | UpdatePipedrive
    | UpdateGoogle
    | CreateOnPipedrive
    | CreateOnGoogle
    | ResetPlaceholder
)
Action = Write | Relink | Pair | ForgetLink | Skip | Conflict | Note
WRITES: tuple[type, ...] = Write.__args__  # type: ignore[attr-defined]
Creates = CreateOnGoogle | CreateOnPipedrive
Deletes = DeleteGoogle | DeletePipedrive
STAGES = 5
"""Writes run stage by stage: deletes (they free ids and let the guard see them), rewrites of
Google copies, updates, creates, then the placeholder resets that follow their updates."""


def verb(action: Write) -> str:
    """'create', 'update' or 'delete': what the action does to its side."""
    if isinstance(action, Creates):
        return "create"
    if isinstance(action, Deletes):
        return "delete"
    return "update"


def pair_key(action: Write) -> str:
    """The pair an action belongs to: its link's Google id, or (new pairs) its source item's
    side and id. Two actions of one pair share the key; the later one depends on the earlier."""
    link = getattr(action, "link", None) or getattr(action, "replaces", None)
    if link is not None:
        return f"link:{link.google_id}"
    item: CalendarItem = action.item  # type: ignore[union-attr]
    return f"{item.side}:{item.id}"


def source_key(action: Write) -> str:
    """ "<side>:<id>" of the item whose change the action carries (what a later run reads again
    when the action failed): its item, or for a delete the pair's other side."""
    item: CalendarItem | None = getattr(action, "item", None)
    if item is not None:
        return f"{item.side}:{item.id}"
    link: Link = action.link  # type: ignore[union-attr]
    if action.side == "google":
        return f"pipedrive:{link.pipedrive_id}"
    return f"google:{link.google_id}"


def target_id(action: Write) -> str | None:
    """The id of the item the action writes, when it exists already (None for a create)."""
    link = getattr(action, "link", None)
    if link is None:
        return None
    return link.google_id if action.side == "google" else link.pipedrive_id


# ---------------------------------------------------------------- the plan


def _rank(action: Action) -> int:
    if isinstance(action, WRITES):
        return action.stage  # type: ignore[union-attr]
    for rank, kinds in enumerate(((Conflict,), (Relink, Pair, ForgetLink), (Skip, Note)), STAGES):
        if isinstance(action, kinds):
            return rank
    raise TypeError(f"not an action: {action!r}")


@dataclass(frozen=True, slots=True)
class Plan:
    """The actions of one run, in a deterministic order (writes by stage, then bookkeeping)."""

    actions: tuple[Action, ...] = ()

    @classmethod
    def of_actions(cls, actions: list[Action]) -> Plan:
        return cls(tuple(sorted(actions, key=_rank)))  # stable: the planner's order within a rank

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def __len__(self) -> int:
        return len(self.actions)

    def of(self, kind: type) -> list[Action]:
        return [a for a in self.actions if isinstance(a, kind)]

    def writes(self) -> list[Write]:
        return [a for a in self.actions if isinstance(a, WRITES)]  # type: ignore[misc]

    def counts(self) -> dict[str, dict[str, int]]:
        """{"google": {"create", "update", "delete"}, "pipedrive": {...}} plus conflicts, skips
        and pairs (items already on both sides, linked: counted apart from the creates)."""
        out: dict[str, dict[str, int]] = {
            "google": {"create": 0, "update": 0, "delete": 0},
            "pipedrive": {"create": 0, "update": 0, "delete": 0},
        }
        for a in self.writes():
            out[a.side][verb(a)] += 1
        out["other"] = {
            "conflict": len(self.of(Conflict)),
            "skip": len(self.of(Skip)),
            "pair": len(self.of(Pair)),
        }
        return out

    def deletes(self, side: Side) -> int:
        return sum(1 for a in self.writes() if isinstance(a, Deletes) and a.side == side)

    def deleted_ids(self, side: Side) -> list[str]:
        """The ids of the items this plan deletes on `side` (the guard's event names them)."""
        return [
            target_id(a) or "" for a in self.writes() if isinstance(a, Deletes) and a.side == side
        ]

    def deleted_titles(self, side: Side, most: int = 5) -> list[str]:
        """Titles of up to `most` items this plan deletes on `side` (for the guard's question)."""
        titles = [
            a.link.title
            for a in self.writes()
            if isinstance(a, Deletes) and a.side == side and a.link.title
        ]
        return titles[:most]


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
