"""What the third phase of a run, `apply`, works with and gives back: the run's context (the
account's services and options), the Outcome (counts, events, which pairs failed), and the
Ledger through which every write's link change reaches the store as the write lands."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .actions import Write, pair_key, source_key
from .errors import AuthError, CalsyncError, ServiceUnavailable
from .models import CalendarItem, Intent, Link, RunSummary, Side, SyncEvent
from .options import Options
from .services import Services
from .snapshot import Snapshot
from .store import AccountData

log = logging.getLogger("calsync.sync")


@dataclass(frozen=True)
class RunContext:
    """What the writers need to know about the account and this run."""

    services: Services
    options: Options
    calendar_id: str
    calendar_tz: str
    id_seed: str
    """Keeps the deterministic Google ids of two accounts (or calendars) apart."""
    api_domain: str
    now: datetime
    """The run's time (the sync window, the links' synced_at)."""
    clock: Callable[[], datetime]
    """What the run's events are stamped with, as they happen."""
    contacts: dict[str, dict]
    """Activity id -> its person_id / org_id / deal_id, as listed (linked contacts)."""
    seen: Snapshot | None = None
    """What this run read of both sides (the current content of the items it writes)."""
    images: Any = None
    """The run's before-images recorder (sync/before_images.py Recorder; None: not kept)."""
    guests: Any = None
    """Guest matching for the activities made from events (sync/guest_source.py GuestSource;
    None: no matching)."""
    review: Any = None
    """The account's review list (sync/review.py ReviewList), for the items matching could
    not decide."""

    def landed(self, side: Side, verb: str, item_id: str | None) -> None:
        """A write landed: `verb` (create/update/delete) on `side`'s item `item_id` (the new
        id for a create); its before-image is kept, when the run keeps them."""
        if self.images is not None and item_id is not None:
            self.images.land(side, verb, item_id)


@dataclass
class Outcome:
    """What the writes of a run did: the summary's counts and errors, the events to log, and
    the pairs whose write failed (a later action of the same pair is then not attempted)."""

    summary: RunSummary = field(default_factory=RunSummary)
    events: list[SyncEvent] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    rewritten: dict[str, CalendarItem] = field(default_factory=dict)
    """Pair key -> its Google event as a RewriteGoogle left it, for the action that follows."""
    retry: set[str] = field(default_factory=set)
    """Source keys ("google:<id>") of the failed writes: the next runs read them again."""

    def count(self, side: Side, verb: str) -> None:
        """One more item created / updated / deleted (`verb`) on `side`."""
        counts = self.summary.side(side)
        name = {"create": "created", "update": "updated", "delete": "deleted"}[verb]
        setattr(counts, name, getattr(counts, name) + 1)

    def error(
        self,
        action: Write | None,
        item: CalendarItem | None,
        side: Side,
        exc: Exception,
        at: datetime,
    ) -> SyncEvent:
        """Record a failed write (the rest of the run goes on); AuthError and ServiceUnavailable
        stop the whole run instead: nothing more can be written."""
        if isinstance(exc, AuthError | ServiceUnavailable):
            raise exc
        reason = (
            str(exc)
            if isinstance(exc, CalsyncError | ValueError)
            else f"{exc.__class__.__name__}: {exc}"
        )
        if action is not None:
            self.failed.add(pair_key(action))
            self.retry.add(source_key(action))
        self.summary.error(item.id if item else None, item.title if item else "", reason)
        log.warning("error on %s %s: %s", side, item.id if item else "", reason)
        event = SyncEvent(
            "error",
            side,
            item.title if item else "",
            item.start if item else None,
            reason,
            item.id if item else None,
            at,
            {},
        )
        self.events.append(event)
        return event


class Ledger:
    """The links as the writes change them: each change is made as its write lands, before the
    run reports the item."""

    def __init__(self, data: AccountData, now: datetime) -> None:
        self.data = data
        self.now = now

    def pair(self, google: CalendarItem, pipedrive: CalendarItem, origin: Side) -> Link:
        """Link the pair as both sides now hold it (replacing any link either id had)."""
        for stale in (
            self.data.link_by_google(google.id),
            self.data.link_by_pipedrive(pipedrive.id),
        ):
            if stale is not None:
                self.data.delete_link(stale)
        link = Link.from_items(google, pipedrive, origin=origin, synced_at=self.now)
        self.data.put_link(link)
        return link

    def side(self, link: Link, side: Side, item: CalendarItem | None) -> None:
        """One side of a linked pair changed (`item` as that side now holds it; None: unknown,
        so the next run sees it changed and looks again)."""
        current = self.data.link_by_google(link.google_id) or link
        changes: dict[str, Any]
        if side == "google":
            assert item is not None
            changes = {"google_version": item.version, "google_fingerprint": item.fingerprint()}
        else:
            changes = (
                {"pipedrive_version": item.version, "pipedrive_fingerprint": item.fingerprint()}
                if item is not None
                else {"pipedrive_fingerprint": ""}
            )
        self.data.put_link(dataclasses.replace(current, **changes))

    def forget(self, link: Link) -> None:
        self.data.delete_link(link)

    def record(self, link: Link) -> None:
        self.data.put_link(link)

    def intend(self, intent: Intent) -> None:
        """A write about to be sent (made durable by `durable()` before it goes)."""
        self.data.intend(intent)

    def done(self, key: str) -> None:
        """The write of intent `key` landed (its link is recorded) or surely did not."""
        self.data.resolve(key)

    async def durable(self) -> None:
        """Every change so far on disk: what a write about to be sent depends on, and what
        the run is about to report."""
        await self.data.durable()
