"""The engine's values: calendar items on either side, links between them, run events and summaries."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any, Literal

from . import shapes
from .shapes import ShapeError

Side = Literal["google", "pipedrive"]
SIDES: tuple[Side, Side] = ("google", "pipedrive")

EventKind = Literal[
    "start", "fetch", "create", "update", "delete", "skip",
    "conflict", "guard", "error", "progress", "notice", "done", "pair",
]  # fmt: skip
EVENT_KINDS: tuple[str, ...] = EventKind.__args__  # type: ignore[attr-defined]

RunStatus = Literal["ok", "guarded", "error"]


def origin_for(side: Side, item_id: str) -> str:
    """The origin marker written with a copy: which side and id it was copied from ("pipedrive:42")."""
    return f"{side}:{item_id}"


def parse_origin(origin: str | None) -> tuple[Side, str] | None:
    """("pipedrive", "42") from "pipedrive:42"; None for anything that is not our marker."""
    if not origin or ":" not in origin:
        return None
    side, _, item_id = origin.partition(":")
    if side == "google" and item_id:
        return "google", item_id
    if side == "pipedrive" and item_id:
        return "pipedrive", item_id
    return None


def as_utc_instant(value: datetime | date, day_zone: tzinfo = UTC) -> datetime:
    """An aware UTC datetime for comparisons: all-day dates count from midnight in
    `day_zone` (UTC unless told: the links' ends, and all-day Pipedrive items by default)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: calendar times must be timezone-aware")
        return value.astimezone(UTC)
    return datetime.combine(value, time(), day_zone).astimezone(UTC)


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


@dataclass(frozen=True, slots=True)
class Attendee:
    """One attendee: Google's attendee / Pipedrive's activity attendee."""

    email: str
    name: str = ""
    status: str = "needsAction"  # Google's responseStatus vocabulary


@dataclass(frozen=True, slots=True)
class Contact:
    """A linked Pipedrive person or organization."""

    name: str
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True, slots=True)
class Deal:
    """A linked Pipedrive deal."""

    title: str
    url: str = ""
    value: str = ""  # already formatted, e.g. "12 000 SEK"


@dataclass(frozen=True, slots=True)
class LinkedContacts:
    """What an activity is linked to in Pipedrive (only leaves Pipedrive with linked_contacts on)."""

    person: Contact | None = None
    organization: Contact | None = None
    deal: Deal | None = None

    def is_empty(self) -> bool:
        return self.person is None and self.organization is None and self.deal is None


@dataclass(frozen=True, slots=True)
class CalendarItem:
    """A Google event or a Pipedrive activity, normalised.

    Times: timed items have aware UTC datetimes; all-day items have `datetime.date`s with an
    exclusive end (a one-day item on 1 May is start=1 May, end=2 May). Deleted items
    (Google tombstones) may carry no times at all (start=end=None).
    """

    side: Side
    id: str
    """Google event id (the instance id for a recurring instance) or Pipedrive activity id."""
    version: str = ""
    """Google etag or Pipedrive update_time, as the service gave it."""
    updated: datetime | None = None
    """Aware UTC time of the last change (Google `updated`, Pipedrive `update_time`)."""
    title: str = ""
    start: datetime | date | None = None
    end: datetime | date | None = None
    all_day: bool = False
    time_zone: str | None = None
    """IANA zone the item is shown in (Google's start.timeZone or the calendar's); None if unknown."""
    location: str = ""
    description: str = ""
    busy: bool = True
    private: bool = False
    attendees: tuple[Attendee, ...] = ()
    activity_type: str | None = None
    deleted: bool = False
    series_id: str | None = None
    """Google recurringEventId of an instance, or the master id for a cancelled series."""
    origin: str | None = None
    """Our marker on a copy we wrote: "pipedrive:<activity id>" / "google:<event id>"."""
    done: bool = False
    event_type: str = "default"
    """Google's eventType (default, outOfOffice, focusTime, workingLocation, birthday,
    fromGmail); "default" for activities."""
    declined: bool = False
    """The calendar's owner declined this Google event (their own attendee entry)."""
    meeting_url: str = ""
    """The video meeting link: Google's conference (Meet) or our line in the description;
    Pipedrive's `conference_meeting_url`."""

    def fingerprint(self) -> str:
        """sha256 of the content the mapping carries (not ids, versions, type, done, origin,
        event type or the owner's response). The meeting link counts only when there is one,
        so that the fingerprints of items without one are those of before it was carried."""
        content = {
            "title": self.title,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "all_day": self.all_day,
            "location": self.location,
            "description": self.description,
            "busy": self.busy,
            "private": self.private,
            "attendees": sorted({a.email.strip().lower() for a in self.attendees}),
        }
        if self.meeting_url:
            content["meeting_url"] = self.meeting_url
        blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def span(self, day_zone: tzinfo = UTC) -> tuple[datetime, datetime] | None:
        """(start, end) as UTC instants, or None for an item without times (all-day dates
        from midnight in `day_zone`)."""
        if self.start is None:
            return None
        start = as_utc_instant(self.start, day_zone)
        end = as_utc_instant(self.end, day_zone) if self.end is not None else start
        return start, max(start, end)

    def overlaps(
        self, window_start: datetime, window_end: datetime, day_zone: tzinfo = UTC
    ) -> bool:
        """True when the item touches [window_start, window_end); zero-length items count at
        their start; all-day dates from midnight in `day_zone` (the calendar's time zone:
        the days Google lists for the window)."""
        span = self.span(day_zone)
        if span is None:
            return False
        start, end = span
        if start == end:
            return window_start <= start < window_end
        return start < window_end and end > window_start

    def peer(self) -> tuple[Side, str] | None:
        """The (side, id) this item was copied from, when our origin marker is on it."""
        return parse_origin(self.origin)


@dataclass(frozen=True, slots=True)
class Link:
    """One synced pair, as last written: ids, each side's version and content fingerprint.

    Two fingerprints, one per side, because the mapping is not always lossless (busy mode,
    linked contacts as attendees, minute precision in Pipedrive): each side is "changed"
    when its own item's fingerprint differs from what was last seen on that side.
    """

    google_id: str
    pipedrive_id: str
    google_version: str = ""
    pipedrive_version: str = ""
    google_fingerprint: str = ""
    pipedrive_fingerprint: str = ""
    origin: Side = "google"
    """Which side the pair started from."""
    synced_at: datetime | None = None
    series_id: str | None = None
    google_private: bool = False
    """The Google event was private/confidential when last synced (drives the private modes)."""
    end: datetime | None = None
    """The pair's end as a UTC instant when last synced (lets a full reconcile prune aged-out links)."""
    title: str = ""
    """The pair's title when last synced: what the log says when one side deletes the other
    (a Google tombstone carries no title)."""
    start: datetime | date | None = None
    """The pair's start when last synced (a date for all-day pairs), for the same lines."""
    meeting_url: str = ""
    """The Google event's meeting link when last synced: a write leaves the event's
    conference alone unless the activity's link differs from it."""

    @classmethod
    def from_items(
        cls, google: CalendarItem, pipedrive: CalendarItem, *, origin: Side, synced_at: datetime
    ) -> Link:
        """The link for a pair as both sides now hold it (call with the items read back after writing)."""
        span = google.span() or pipedrive.span()
        return cls(
            google_id=google.id,
            pipedrive_id=pipedrive.id,
            google_version=google.version,
            pipedrive_version=pipedrive.version,
            google_fingerprint=google.fingerprint(),
            pipedrive_fingerprint=pipedrive.fingerprint(),
            origin=origin,
            synced_at=synced_at,
            series_id=google.series_id,
            google_private=google.private,
            end=span[1] if span else None,
            title=google.title or pipedrive.title,
            start=google.start if google.start is not None else pipedrive.start,
            meeting_url=google.meeting_url,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "google_id": self.google_id,
            "pipedrive_id": self.pipedrive_id,
            "google_version": self.google_version,
            "pipedrive_version": self.pipedrive_version,
            "google_fingerprint": self.google_fingerprint,
            "pipedrive_fingerprint": self.pipedrive_fingerprint,
            "origin": self.origin,
            "synced_at": _iso(self.synced_at),
            "series_id": self.series_id,
            "google_private": self.google_private,
            "end": _iso(self.end),
            "title": self.title,
            "start": _iso(self.start),
            # Only when there is one: the links of items without a meeting stay as they were.
            **({"meeting_url": self.meeting_url} if self.meeting_url else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Link:
        """A stored link; ShapeError when a field is missing or of the wrong type."""
        origin = shapes.text(data, "origin", "google")
        if origin not in SIDES:
            raise ShapeError(f"origin is {origin!r}, not google or pipedrive")
        return cls(
            google_id=shapes.identifier(data, "google_id"),
            pipedrive_id=shapes.identifier(data, "pipedrive_id"),
            google_version=shapes.text(data, "google_version", ""),
            pipedrive_version=shapes.text(data, "pipedrive_version", ""),
            google_fingerprint=shapes.text(data, "google_fingerprint", ""),
            pipedrive_fingerprint=shapes.text(data, "pipedrive_fingerprint", ""),
            origin=origin,
            synced_at=shapes.moment(data, "synced_at"),
            series_id=shapes.text(data, "series_id", None, null=True),
            google_private=shapes.flag(data, "google_private", False),
            end=shapes.moment(data, "end"),
            title=shapes.text(data, "title", "", null=True) or "",
            start=shapes.day_or_moment(data, "start"),
            meeting_url=shapes.text(data, "meeting_url", "", null=True) or "",
        )


@dataclass(frozen=True, slots=True)
class Intent:
    """A write about to be made to one side of a linked pair, on disk before it is sent.

    If the run is killed after the write lands and before its link is saved, the next run
    finds the intent unresolved: when the target then holds exactly what the write would
    have left (`expect`, the fingerprint the mapping predicts; for a delete, the item gone),
    the write happened, and the pair's link becomes `after` instead of the write being read
    as someone's change (docs/reliability.md, "Durable before dependent")."""

    key: str
    """The pair: its link's Google id when the write was decided."""
    kind: Literal["update", "delete", "create"]
    side: Side
    """The side written."""
    target: str
    """The id written on that side; for a create, the id of the item copied (on the other
    side: the copy's own id is not known before the answer)."""
    expect: str = ""
    """An update: the target's fingerprint once written."""
    after: Link | None = None
    """An update: the pair's link once written (the target's version is learnt on reading it).
    A create: the pair's link as of the create (the copy's id and version learnt on finding
    it by its marker), so that a change made to either side since still counts as one."""

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "side": self.side,
            "target": self.target,
            "expect": self.expect,
            "after": self.after.to_json() if self.after is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Intent:
        kind, side = shapes.text(data, "kind"), shapes.text(data, "side")
        if kind not in ("update", "delete", "create") or side not in SIDES:
            raise ShapeError(f"intent of kind {kind!r} on side {side!r}")
        after = shapes.mapping(data, "after", None, null=True)
        return cls(
            key=shapes.identifier(data, "key"),
            kind=kind,
            side=side,
            target=shapes.identifier(data, "target"),
            expect=shapes.text(data, "expect", ""),
            after=Link.from_json(after) if after is not None else None,
        )


@dataclass(frozen=True, slots=True)
class SyncEvent:
    """One thing a run did or saw; the runner yields these to the TUI log, `--json` and tests."""

    kind: EventKind
    side: Side | None = None
    """The side written to (None for events that write nothing)."""
    title: str = ""
    when: datetime | date | None = None
    """The item's start, if any."""
    reason: str = ""
    item_id: str | None = None
    at: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    """Extra data: a conflict loser's version, progress counts, ..."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "side": self.side,
            "title": self.title,
            "when": _iso(self.when),
            "reason": self.reason,
            "item_id": self.item_id,
            "at": _iso(self.at),
            "detail": _jsonable(self.detail),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SyncEvent:
        """A stored run event; ShapeError when a field is missing or of the wrong type."""
        kind = shapes.text(data, "kind")
        if kind not in EVENT_KINDS:
            raise ShapeError(f"kind is {kind!r}, not one of {', '.join(EVENT_KINDS)}")
        side = shapes.text(data, "side", None, null=True)
        return cls(
            kind=kind,
            side=side if side in SIDES else None,
            title=shapes.text(data, "title", ""),
            when=shapes.day_or_moment(data, "when"),
            reason=shapes.text(data, "reason", ""),
            item_id=shapes.text(data, "item_id", None, null=True),
            at=shapes.moment(data, "at"),
            detail=dict(shapes.mapping(data, "detail", None, null=True) or {}),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return _iso(value)
    return value


SIDE_COUNT_KEYS = ("created", "updated", "deleted", "requests")


@dataclass(slots=True)
class SideCounts:
    """What a run did to one side."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    requests: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "requests": self.requests,
        }


@dataclass(slots=True)
class RunSummary:
    """The outcome of one run; mutable while the run goes, then serialised.

    `to_json()` is the last line of `calsync sync --once --json`::

        {"google":    {"created": n, "updated": n, "deleted": n, "requests": n},
         "pipedrive": {"created": n, "updated": n, "deleted": n, "requests": n},
         "conflicts": n,
         "skipped": [{"id": str, "title": str, "reason": str}, ...],
         "errors":  [{"id": str | null, "title": str, "reason": str}, ...],
         "seconds": float,
         "status": "ok" | "guarded" | "error"}
    """

    google: SideCounts = field(default_factory=SideCounts)
    pipedrive: SideCounts = field(default_factory=SideCounts)
    conflicts: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str | None]] = field(default_factory=list)
    seconds: float = 0.0
    status: RunStatus = "ok"

    def side(self, side: Side) -> SideCounts:
        return self.google if side == "google" else self.pipedrive

    @property
    def idle(self) -> bool:
        """Nothing written, skipped, conflicting or failed."""
        return (
            self.status == "ok"
            and not (self.conflicts or self.skipped or self.errors)
            and not any(c.created or c.updated or c.deleted for c in (self.google, self.pipedrive))
        )

    def skip(self, item_id: str, title: str, reason: str) -> None:
        self.skipped.append({"id": item_id, "title": title, "reason": reason})

    def error(self, item_id: str | None, title: str, reason: str) -> None:
        self.errors.append({"id": item_id, "title": title, "reason": reason})

    def to_json(self) -> dict[str, Any]:
        return {
            "google": self.google.to_json(),
            "pipedrive": self.pipedrive.to_json(),
            "conflicts": self.conflicts,
            "skipped": [dict(s) for s in self.skipped],
            "errors": [dict(e) for e in self.errors],
            "seconds": round(self.seconds, 3),
            "status": self.status,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSummary:
        """A stored summary; ShapeError when a field is of the wrong type."""

        def counts(side: str) -> SideCounts:
            d = shapes.mapping(data, side, {})
            try:
                return SideCounts(*(shapes.integer(d, k, 0) for k in SIDE_COUNT_KEYS))
            except ShapeError as err:
                raise err.within(side) from None

        def entry(item: Any) -> dict[str, Any]:
            shapes.document(item)
            for key in ("title", "reason"):
                shapes.text(item, key, "")
            shapes.text(item, "id", None, null=True)
            return dict(item)

        shapes.document(data, "summary")
        status = shapes.text(data, "status", "ok")
        return cls(
            google=counts("google"),
            pipedrive=counts("pipedrive"),
            conflicts=shapes.integer(data, "conflicts", 0),
            skipped=shapes.each(shapes.listing(data, "skipped", []), entry, "skipped entry"),
            errors=shapes.each(shapes.listing(data, "errors", []), entry, "errors entry"),
            seconds=shapes.number(data, "seconds", 0.0),
            status=status if status in ("ok", "guarded", "error") else "error",
        )
