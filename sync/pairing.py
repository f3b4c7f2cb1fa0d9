"""Items that already exist on both sides, found before anything is copied (the first run of
an account and every full reconcile, unlinked items only): an unlinked Google event and an
unlinked Pipedrive activity are the same meeting when they have the same start and end
(all-day or not) and the same title once case, whitespace and the Busy placeholder are
normalised. Pure: the planner turns the pairs into links (docs/planner.md, "Pairing")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from .mapping import BUSY_SUBJECT
from .models import CalendarItem

Key = tuple[bool, datetime | date | None, datetime | date | None, str]


def normal_title(title: str) -> str:
    """The title as pairing compares it: whitespace collapsed, case folded."""
    return " ".join(title.split()).casefold()


def meeting_key(item: CalendarItem, *, busy_placeholder: bool = False) -> Key:
    """What two items of one meeting share. `busy_placeholder`: the item is a private Google
    event whose activity holds only the Busy placeholder (private mode `busy`)."""
    title = BUSY_SUBJECT if busy_placeholder else item.title
    return (item.all_day, item.start, item.end, normal_title(title))


@dataclass
class Matches:
    """The pairs found, and the items left for review: several candidates for one meeting
    on a side, more than the other side has (never paired across titles or times)."""

    pairs: list[tuple[CalendarItem, CalendarItem]] = field(default_factory=list)
    review: list[CalendarItem] = field(default_factory=list)


def _order(item: CalendarItem) -> tuple[str, str]:
    updated = item.updated.isoformat() if item.updated is not None else ""
    return updated, item.id


def match(
    google: Iterable[tuple[Key, CalendarItem]], pipedrive: Iterable[tuple[Key, CalendarItem]]
) -> Matches:
    """Pair the candidates of each side by key, one to one in time order (last changed
    order, then id, within one key); the surplus of a key held on both sides goes to review."""
    by_key: dict[Key, tuple[list[CalendarItem], list[CalendarItem]]] = {}
    for key, g in google:
        by_key.setdefault(key, ([], []))[0].append(g)
    for key, p in pipedrive:
        by_key.setdefault(key, ([], []))[1].append(p)
    out = Matches()
    for gs, ps in by_key.values():
        if not gs or not ps:
            continue
        gs.sort(key=_order)
        ps.sort(key=_order)
        out.pairs.extend(zip(gs, ps, strict=False))
        out.review.extend(gs[len(ps) :] or ps[len(gs) :])
    out.pairs.sort(key=lambda pair: (str(pair[0].start), pair[0].id))
    return out


__all__ = ["Key", "Matches", "match", "meeting_key", "normal_title"]
