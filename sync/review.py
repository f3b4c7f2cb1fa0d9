"""The items a run could not decide alone, kept for the user to review (`calsync review`):
the surplus of several same-title, same-time candidates for one meeting (pairing,
sync/pairing.py). An item under review is not copied while it is open, nor once dismissed;
resolving it takes it off the list.

One file per account, `review.json` beside its state (written atomically, like the store's
other files). Items are keyed "<side>:<id>", the key `calsync review ITEM` takes."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from . import shapes
from .actions import Plan, Skip
from .guests import GuestMatch
from .models import CalendarItem
from .store import _File

ReviewState = Literal["open", "dismissed"]
REVIEW_CODE = "review"
"""The Skip code of an item the planner sends to review."""


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One item waiting for the user. `code`: why (`duplicate`: more candidates for one
    meeting than the other side has). `to_json()` is one entry of `calsync review --json`."""

    key: str
    side: str
    id: str
    title: str
    start: str | None
    reason: str
    code: str = "duplicate"
    state: ReviewState = "open"
    choices: tuple[str, ...] = ()
    """The ids to choose from, when known (the open deals of a `deal` item)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.key,
            "side": self.side,
            "id": self.id,
            "title": self.title,
            "start": self.start,
            "reason": self.reason,
            "code": self.code,
            "state": self.state,
            "choices": list(self.choices),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReviewItem:
        state = shapes.text(data, "state", "open")
        return cls(
            key=shapes.identifier(data, "item"),
            side=shapes.text(data, "side"),
            id=shapes.identifier(data, "id"),
            title=shapes.text(data, "title", ""),
            start=shapes.text(data, "start", None, null=True),
            reason=shapes.text(data, "reason", ""),
            code=shapes.text(data, "code", "duplicate"),
            state="dismissed" if state == "dismissed" else "open",
            choices=tuple(str(c) for c in data.get("choices") or ()),
        )

    @classmethod
    def of_item(cls, item: CalendarItem, reason: str, code: str = "duplicate") -> ReviewItem:
        start = item.start.isoformat() if isinstance(item.start, datetime | date) else None
        return cls(f"{item.side}:{item.id}", item.side, item.id, item.title, start, reason, code)


class ReviewList:
    """An account's review items (safe between threads; one process runs an account)."""

    def __init__(self, folder: Path) -> None:
        self._path = folder / "review.json"
        # Made on the first item only: a run with nothing to review writes no file.
        self._file = _File(self._path) if self._path.exists() else None
        self._lock = threading.RLock()
        docs = self._file.table("items") if self._file is not None else []
        self._items = {i.key: i for i in (ReviewItem.from_json(d) for d in docs)}

    def items(self) -> list[ReviewItem]:
        """The items still open, in the order they came."""
        return [i for i in self._items.values() if i.state == "open"]

    def get(self, key: str) -> ReviewItem | None:
        return self._items.get(key)

    def held(self) -> frozenset[str]:
        """The keys of the items the planner must not copy (open or dismissed)."""
        return frozenset(self._items)

    def add_from(self, plan: Plan) -> int:
        """Record the items `plan` sends to review (those not already listed); how many."""
        new = [
            ReviewItem.of_item(a.item, a.reason)
            for a in plan.of(Skip)
            if isinstance(a, Skip) and a.code == REVIEW_CODE
        ]
        with self._lock:
            new = [i for i in new if i.key not in self._items]
            for item in new:
                self._items[item.key] = item
            if new:
                self._save()
        return len(new)

    def add(self, item: ReviewItem) -> None:
        """Record one item (a later one with the same key replaces it)."""
        with self._lock:
            self._items[item.key] = item
            self._save()

    def dismiss(self, key: str) -> ReviewItem:
        """Leave the item as it is for good: off the list, never copied."""
        with self._lock:
            item = replace(self._items[key], state="dismissed")
            self._items[key] = item
            self._save()
            return item

    def drop(self, key: str) -> None:
        """Forget the item (it was resolved, or it is gone)."""
        with self._lock:
            if self._items.pop(key, None) is not None:
                self._save()

    def _save(self) -> None:
        if self._file is None:
            self._file = _File(self._path)
        self._file.replace_table("items", [i.to_json() for i in self._items.values()])
        self._file.flush()


def review_item(activity: dict, match: GuestMatch) -> ReviewItem:
    """The review item of an activity whose guests matching could not settle: `deal` (several
    open deals: `choices`), or `person` (external guests, none of them a person)."""
    code = "deal" if match.deals else "person"
    start = activity.get("due_date")
    if start and activity.get("due_time"):
        start = f"{start}T{activity['due_time']}"
    return ReviewItem(
        key=f"pipedrive:{activity['id']}",
        side="pipedrive",
        id=str(activity["id"]),
        title=activity.get("subject") or "",
        start=start,
        reason=match.review or "",
        code=code,
        choices=match.deals,
    )


__all__ = ["REVIEW_CODE", "ReviewItem", "ReviewList", "review_item"]
