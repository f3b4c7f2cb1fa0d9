"""Before-images: what a run that writes keeps so that it can be reversed (`calsync undo`).

For every write that lands the run records one entry: the side and id it wrote, the verb
(create / update / delete), the item as it was before the write (updates and deletes: every
field calsync maps, as a CalendarItem), the pair's link before the run (to put it back), and
the fingerprint the written item had once written (to tell later whether someone changed it
since). Entries are saved with the run by sync/undo_store.py.

The content before a write comes from what the run read (`RunContext.seen`); an item the run
did not list (an incremental run updating or deleting an item it did not see change) is read
by id just before its stage is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from .actions import Creates, Write, target_id
from .mapping import item_from_google, item_from_pipedrive
from .models import Attendee, CalendarItem, Link, Side
from .snapshot import Snapshot

FETCH_CONCURRENCY = 8


# ---------------------------------------------------------------- items as JSON


def item_to_json(item: CalendarItem) -> dict[str, Any]:
    """A CalendarItem as plain JSON (dates and datetimes tagged so they read back as such)."""
    out: dict[str, Any] = {}
    for f in fields(CalendarItem):
        value = getattr(item, f.name)
        if isinstance(value, datetime):
            value = {"dt": value.isoformat()}
        elif isinstance(value, date):
            value = {"d": value.isoformat()}
        elif f.name == "attendees":
            value = [[a.email, a.name, a.status] for a in value]
        out[f.name] = value
    return out


def item_from_json(data: dict[str, Any]) -> CalendarItem:
    """The CalendarItem `item_to_json` wrote (unknown keys ignored)."""
    known = {f.name for f in fields(CalendarItem)}
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in known:
            continue
        if isinstance(value, dict) and "dt" in value:
            value = datetime.fromisoformat(value["dt"])
        elif isinstance(value, dict) and "d" in value:
            value = date.fromisoformat(value["d"])
        elif name == "attendees":
            value = tuple(Attendee(*a) for a in value)
        values[name] = value
    return CalendarItem(**values)


# ---------------------------------------------------------------- entries


@dataclass(frozen=True, slots=True)
class Entry:
    """One landed write of a run, and what reverses it."""

    side: Side
    verb: str
    """create, update or delete."""
    id: str
    """The id written (for a create: the new item's)."""
    before: CalendarItem | None = None
    """The item before the write (updates and deletes)."""
    link_before: Link | None = None
    """The pair's link before the run (None: the pair is new in this run)."""
    after: str = ""
    """The written item's fingerprint once written (creates and updates; '' for a delete)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "verb": self.verb,
            "id": self.id,
            "before": item_to_json(self.before) if self.before is not None else None,
            "link_before": self.link_before.to_json() if self.link_before else None,
            "after": self.after,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        before, link = data.get("before"), data.get("link_before")
        return cls(
            side=data["side"],
            verb=data["verb"],
            id=str(data["id"]),
            before=item_from_json(before) if before else None,
            link_before=Link.from_json(link) if link else None,
            after=data.get("after", ""),
        )


# ---------------------------------------------------------------- the recorder


class Recorder:
    """Collects a run's before-images as its writes land (RunContext.images)."""

    def __init__(self, links: Iterable[Link], seen: Snapshot | None) -> None:
        self._links = {link.google_id: link for link in links}
        self._by_pipedrive = {link.pipedrive_id: link for link in self._links.values()}
        self._seen = seen
        self._before: dict[tuple[str, str], CalendarItem | None] = {}
        self._landed: list[tuple[Side, str, str]] = []

    def link_of(self, side: str, item_id: str) -> Link | None:
        """The pair's link before the run, by either side's id."""
        if side == "google":
            return self._links.get(item_id)
        return self._by_pipedrive.get(item_id)

    async def capture(self, writes: list[Write], services: Any, calendar_id: str, tz: str) -> None:
        """Keep what the targets of `writes` hold before they are written (first write wins:
        a pair written twice in one run is put back to what it was before the run)."""
        wanted: list[tuple[Side, str]] = []
        for action in writes:
            if isinstance(action, Creates):
                continue
            item_id = target_id(action)
            key = (action.side, item_id or "")
            if item_id is None or key in self._before:
                continue
            seen = self._seen_item(action.side, item_id)
            if seen is not None:
                self._before[key] = seen
            else:
                self._before[key] = None
                wanted.append((action.side, item_id))
        events = [item_id for side, item_id in wanted if side == "google"]
        if events:  # one batch request for a chunk's events
            found = await read_events(services, events, calendar_id, tz)
            self._before.update((("google", i), item) for i, item in found.items())
        gate = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def fetch(item_id: str) -> None:
            async with gate:
                self._before[("pipedrive", item_id)] = await _read(
                    services, "pipedrive", item_id, calendar_id, tz
                )

        await asyncio.gather(*(fetch(i) for side, i in wanted if side == "pipedrive"))

    def _seen_item(self, side: Side, item_id: str) -> CalendarItem | None:
        if self._seen is None:
            return None
        item = (self._seen.google if side == "google" else self._seen.pipedrive).get(item_id)
        return item if item is not None and not item.deleted else None

    def land(self, side: Side, verb: str, item_id: str) -> None:
        """A write landed: `verb` on `side`'s item `item_id` (a create: the new id)."""
        self._landed.append((side, verb, str(item_id)))

    def entries(self, data: Any) -> list[Entry]:
        """The run's entries, with each written item's fingerprint as the links now hold it."""
        out = []
        for side, verb, item_id in self._landed:
            before = self._before.get((side, item_id)) if verb != "create" else None
            link_before = self.link_of(side, item_id)
            after = ""
            if verb != "delete":
                now = data.link_by_google(item_id) if side == "google" else None
                now = now or (data.link_by_pipedrive(item_id) if side == "pipedrive" else None)
                if now is not None:
                    after = (
                        now.google_fingerprint if side == "google" else now.pipedrive_fingerprint
                    )
            out.append(Entry(side, verb, item_id, before, link_before, after))
        return out


async def _read(
    services: Any, side: Side, item_id: str, calendar_id: str, tz: str
) -> CalendarItem | None:
    """An item by id as it is now (None: gone)."""
    if side == "google":
        event = await services.google.get_event(calendar_id, item_id)
        if event is None or event.get("status") == "cancelled":
            return None
        return item_from_google(event, tz)
    activity = await services.pipedrive.get_activity(item_id)
    if activity is None or activity.get("is_deleted"):
        return None
    return item_from_pipedrive(activity)


read_item = _read


async def read_events(
    services: Any, event_ids: list[str], calendar_id: str, tz: str
) -> dict[str, CalendarItem | None]:
    """Events by id through batch requests (None: gone, or not readable now)."""
    google = services.google
    results = await google.batch([google.op_get(calendar_id, i) for i in event_ids])
    out: dict[str, CalendarItem | None] = {}
    for event_id, result in zip(event_ids, results, strict=True):
        body = result.body if result.status == 200 else None
        alive = isinstance(body, dict) and body.get("status") != "cancelled"
        out[event_id] = item_from_google(body, tz) if alive else None  # type: ignore[arg-type]
    return out
