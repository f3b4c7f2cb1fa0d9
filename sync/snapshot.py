"""What the first phase of a run (`read`, sync/read.py) hands the planner: a Snapshot of both
sides. Pure values (no I/O), so that the planner stays pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .models import CalendarItem, Intent, Side
from .options import Options, options_used
from .store import Cursors

FULL_RECONCILE_EVERY = timedelta(hours=24)
SKEW_TOLERATED = timedelta(minutes=5)
"""A difference between this machine's clock and a service's that is said in the log."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An item of a listing that cannot become a CalendarItem (no date, a bad field...)."""

    side: Side
    id: str
    title: str
    reason: str


@dataclass(frozen=True)
class Snapshot:
    """What one run saw of both sides, and what it needs to know of the run before.

    `google` / `pipedrive`: items by id: the changes since the cursors, or (`full`) complete
    listings of the window, in which a linked item that is absent is "missing".
    """

    now: datetime
    full: bool
    google: dict[str, CalendarItem] = field(default_factory=dict)
    pipedrive: dict[str, CalendarItem] = field(default_factory=dict)
    unreadable: tuple[Unreadable, ...] = ()
    google_listed: int = 0
    """Events in Google's listing (before vanished instances were added)."""
    pipedrive_listed: int = 0
    retried: int = 0
    """Items read again by id because their write failed in an earlier run."""
    next_sync_token: str | None = None
    google_token_expired: bool = False
    """Google refused the sync token (410): the window was listed whole instead."""
    google_listed_at: datetime | None = None
    """When the Google listing began by Google's clock (its first page's Date header)."""
    pipedrive_listed_at: datetime | None = None
    """When the Pipedrive listing began by Pipedrive's clock (its first page's Date header)."""
    pipedrive_newest: str | None = None
    """The newest `update_time` in the Pipedrive listing, as Pipedrive wrote it."""
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Activity id -> its person_id / org_id / deal_id (read only with linked contacts on)."""
    calendar: str = "primary"
    calendar_tz: str = "UTC"
    """The synced calendar's time zone: where the days of all-day items begin."""
    calendar_used: str | None = None
    """The calendar of the last complete run (None: there was none)."""
    options_used: dict[str, Any] | None = None
    """The options of the last complete run (Options.to_json()), None if there was none."""
    intents: tuple[Intent, ...] = ()
    """Writes a run killed in mid-write left unsettled (sync/intents.py): the planner settles
    them from what this run sees."""
    held: frozenset[str] = frozenset()
    """"<side>:<id>" of the unlinked items under review (sync/review.py): never copied."""


def needs_full(cursors: Cursors, options: Options, now: datetime) -> bool:
    """Must this run list both sides whole? The first run, a new calendar or new options since
    the last complete run, a lost cursor, or a day since the last full reconcile."""
    return (
        cursors.google_sync_token is None
        or cursors.google_calendar != options.calendar
        or options_used(cursors.options_used) != options.to_json()
        or cursors.pipedrive_updated_since is None
        or cursors.last_full_reconcile is None
        or now - cursors.last_full_reconcile >= FULL_RECONCILE_EVERY
        # ...or in the future: the clock was ahead then (or is behind now).
        or cursors.last_full_reconcile > now + SKEW_TOLERATED
    )


def options_unsynced(cursors: Cursors, options: Options) -> bool:
    """Has no complete run used these options (and this calendar) yet? Then the next run is
    in effect a first one: a new calendar, sync type or mode reshapes what is synced."""
    return (
        options_used(cursors.options_used) != options.to_json()
        or cursors.google_calendar != options.calendar
    )


def clock_skew(snapshot: Snapshot) -> timedelta | None:
    """How far this machine's clock is ahead of the services' (negative: behind), by their
    Date headers; None when neither said."""
    server = snapshot.pipedrive_listed_at or snapshot.google_listed_at
    return snapshot.now - server if server is not None else None
