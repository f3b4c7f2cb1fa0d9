"""The one watch loop: run each account again and again, a short interval apart (longer when
Pipedrive's daily budget needs it: sync/polling.py), until the consumer stops listening.

`calsync sync --watch` and the app's sync workers both consume it. It yields the runs' events
(idle polls kept quiet: sync/quiet.py) and, between runs, when each account runs next. The
clock and the sleep are injected, so the budget maths and the pacing run in tests at any
hour without waiting.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import polling
from .errors import NotSyncing, ServiceUnavailable
from .models import SyncEvent
from .quiet import QuietIdleRuns

RunFn = Callable[[str, datetime], AsyncGenerator[SyncEvent, None]]
"""One run of an account at a time: (account id, now) -> the run's events."""


@dataclass(frozen=True, slots=True)
class RunEvent:
    """An event of one account's run (a quiet idle run arrives as its `done` only)."""

    account_id: str
    event: SyncEvent


@dataclass(frozen=True, slots=True)
class Waiting:
    """The account's run is over; the next one is `seconds` away (at `until`)."""

    account_id: str
    seconds: float
    until: datetime
    stretched: bool
    """The wait is longer than the interval asked for, to spare Pipedrive's daily budget, and
    it was not said yet (it is said once, and again only when the wait changes a lot)."""
    budget_left: int | None


@dataclass(frozen=True, slots=True)
class Unreachable:
    """A service could not be reached: the account is tried again at its next interval."""

    account_id: str
    error: ServiceUnavailable
    seconds: float


@dataclass(frozen=True, slots=True)
class Stopped:
    """The account stopped syncing while watched (`calsync disconnect`, "Stop syncing" or an
    undo, here or in another process): the watch goes on without it."""

    account_id: str
    error: NotSyncing


WatchItem = RunEvent | Waiting | Unreachable | Stopped


async def watch(
    accounts: Sequence[str],
    run: RunFn,
    *,
    interval: float,
    budget: Callable[[str], polling.Budget | None],
    clock: Callable[[], datetime],
    sleep: Callable[[float], Awaitable[object]],
    runs: int | None = None,
    stopped: Callable[[], bool] = lambda: False,
) -> AsyncIterator[WatchItem]:
    """Run `accounts` until the consumer stops (or for `runs` rounds).

    `budget(account id)`: Pipedrive's daily budget as that account's last run left it.
    A ServiceUnavailable is reported and retried at the next interval; an account found
    stopped is reported and left out from then on (the watch ends when none is left); any
    other error ends the watch (a revoked sign-in: the account needs a reconnect).
    `stopped()` is asked after each sleep: once it says so, no run starts again."""
    due = {account_id: clock() for account_id in accounts}
    # What counts as "now" for who is due: the clock, or the time a sleep was meant to reach,
    # whichever is later (a frozen test clock, or a sleep woken early to run at once).
    reached = clock()
    rounds: dict[str, int] = dict.fromkeys(accounts, 0)
    told: dict[str, float] = {}  # the last stretched wait said, per account
    n = 0
    while runs is None or n < runs:
        for account_id in list(due):
            if due[account_id] > reached:
                continue
            wait = interval
            try:
                async for event in _one_run(run, account_id, clock(), quiet=rounds[account_id] > 0):
                    yield RunEvent(account_id, event)
                known = budget(account_id)
                wait = polling.next_interval(interval, known)
                stretched = (
                    wait > 1.5 * interval and not 0.8 < wait / told.get(account_id, 1) < 1.25
                )
                if wait > 1.5 * interval:
                    told[account_id] = wait
                yield Waiting(
                    account_id,
                    wait,
                    clock() + timedelta(seconds=wait),
                    stretched,
                    known.left if known is not None else None,
                )
            except ServiceUnavailable as exc:
                yield Unreachable(account_id, exc, interval)
            except NotSyncing as exc:
                del due[account_id]
                yield Stopped(account_id, exc)
                continue
            rounds[account_id] += 1
            due[account_id] = clock() + timedelta(seconds=wait)
        n += 1
        if not due:
            return
        if runs is None or n < runs:
            target = min(due.values())
            await sleep(max(0.0, (target - clock()).total_seconds()))
            if stopped():
                return
            reached = max(clock(), target)


async def _one_run(
    run: RunFn, account_id: str, now: datetime, *, quiet: bool
) -> AsyncIterator[SyncEvent]:
    """One run's events, its opening lines held while it may turn out idle (sync/quiet.py)."""
    ready: list[SyncEvent] = []
    holder = QuietIdleRuns(ready.append, quiet=quiet)
    try:
        async with contextlib.aclosing(run(account_id, now)) as events:
            async for event in events:
                holder.add_event(event)
                while ready:
                    yield ready.pop(0)
    except Exception:
        holder.release()  # a run cut short by an error: what it held is shown with the error
        for event in ready:
            yield event
        raise
    holder.release()
    for event in ready:
        yield event
