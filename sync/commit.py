"""The fourth phase of a run, `commit`: the cursors (only after a complete run), the run record
and the account's status. A dry run commits nothing. (Links are committed by the writes
themselves, through the Ledger, as each lands.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from . import polling
from .models import RunSummary, SyncEvent
from .options import Options
from .services import Services
from .snapshot import Snapshot
from .store import AccountData, Store

CURSOR_SKEW_MARGIN = timedelta(minutes=10)
CURSOR_SETTLED = timedelta(seconds=2)
CURSOR_TRUSTED = timedelta(hours=1)
MAX_RETRIES = 5


def next_cursors(
    snapshot: Snapshot, options: Options, *, failed: set[str], retry: dict[str, int]
) -> dict[str, Any]:
    """Where the next run's listings resume after this one went through.

    Items whose write failed (`failed`, source keys) do not hold the cursors back: they are
    read again by id in the next runs (`retry`, the earlier failures and how many runs in a
    row each failed), until it has failed MAX_RETRIES runs, then left to the next full reconcile. But when
    the options changed in this run, a failure keeps the old options on record, so that the
    next run is full again and repeats what the change called for (rewrites, removals)."""
    changes: dict[str, Any] = {
        "google_sync_token": snapshot.next_sync_token,
        "google_calendar": options.calendar,
        "retry": {
            key: retry.get(key, 0) + 1
            for key in sorted(failed)
            if retry.get(key, 0) + 1 < MAX_RETRIES
        },
    }
    if not failed or snapshot.options_used == options.to_json():
        changes["options_used"] = options.to_json()
    if snapshot.pipedrive_newest:
        changes["pipedrive_updated_since"] = next_pipedrive_cursor(
            snapshot.pipedrive_newest, snapshot.pipedrive_listed_at
        )
    elif snapshot.full:
        # No activity to take the time from: Pipedrive's clock when it listed (its Date header;
        # this machine's only if it did not say), minus a margin (re-reading a few minutes of
        # our own writes costs nothing: they are echoes). Never the machine's clock when the
        # service said its own: a clock a day ahead would put the cursor a day ahead.
        since = (snapshot.pipedrive_listed_at or snapshot.now) - CURSOR_SKEW_MARGIN
        changes["pipedrive_updated_since"] = since.isoformat(timespec="seconds").replace(
            "+00:00", "Z"
        )
    if snapshot.full:
        changes["last_full_reconcile"] = snapshot.now
    return changes


def next_pipedrive_cursor(newest: str, listed_at: datetime | None) -> str:
    """The next run's `updated_since`: the newest update_time read, inclusive (it has one-second
    precision, and more writes may land in that second), unless the listing began at least
    CURSOR_SETTLED after that second by Pipedrive's own clock: then that second's writes were
    all in it and the cursor moves past it. Without that, after a fast bulk write every idle
    run would read the hundreds of items of the last second again.

    A listing time far from the data (over CURSOR_TRUSTED: a sandbox with a frozen clock, a
    skewed server) says nothing about that second: inclusive then."""
    try:
        second = datetime.fromisoformat(newest.replace("Z", "+00:00"))
    except ValueError:
        return newest
    if second.tzinfo is None or listed_at is None:
        return newest
    if CURSOR_SETTLED <= listed_at - second <= CURSOR_TRUSTED:
        after = second.replace(microsecond=0) + timedelta(seconds=1)
        return after.isoformat(timespec="seconds").replace("+00:00", "Z")
    return newest


def commit(
    store: Store,
    data: AccountData,
    account_id: str,
    *,
    summary: RunSummary,
    events: list[SyncEvent],
    services: Services,
    now: datetime,
    seconds: float,
    cursors: dict[str, Any] | None = None,
    error: str | None = None,
    needs_reconnect: bool = False,
    learnt: dict[str, Any] | None = None,
) -> None:
    """Save what a run did: `cursors` (None: the run was not complete, they stay), the run in
    the history, the account's last run, status and error, and what the run `learnt` of the
    services (AccountExtra fields)."""
    if cursors is not None:
        data.set_cursors(**cursors)
    summary.seconds = seconds
    summary.google.requests = services.requests("google")
    summary.pipedrive.requests = services.requests("pipedrive")
    # A watch polls every few seconds: a stretch of idle runs is kept as its first run only,
    # so the history keeps what happened and the runs file is not rewritten every poll.
    if not (summary.idle and data.last_run_idle()):
        data.append_run(summary, [e for e in events if e.kind != "progress"], at=now)
    data.flush()
    data.compact()  # the journal of the run's link changes folded into the state file
    changes: dict[str, Any] = {"last_run": now, "last_status": summary.status, "last_error": error}
    learnt = dict(learnt or {})
    account = store.account(account_id)
    left = services.pipedrive.gate.daily_left
    if left is not None:  # for the watch's pacing (sync/polling.py)
        budget = polling.observe(account.extra.pipedrive_budget, left, now)
        if budget is not None:
            learnt["pipedrive_budget"] = budget
    if learnt:
        changes["extra"] = account.extra.replace(**learnt)
    if needs_reconnect:
        changes["needs_reconnect"] = True
    store.update_account(account_id, **changes)
