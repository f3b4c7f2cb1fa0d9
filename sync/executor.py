"""The third phase of a run, `apply`: a Plan's writes against both services, as events.

Writes go stage by stage (deletes, rewrites, updates, creates, placeholder resets; see
sync/actions.py). Within a stage the two sides run side by side, each paced to its rate
limit in its client: Google a batch request of CHUNK writes at a time, Pipedrive through
PIPEDRIVE_CONCURRENCY workers. Each action is applied on its own: a failure is an error
event for that item, the rest of the plan still runs, a later action of the same pair is
not attempted, and links change only for writes that happened (through the Ledger).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable

from .actions import (
    STAGES,
    Conflict,
    CreateOnGoogle,
    ForgetLink,
    Note,
    Pair,
    Plan,
    Relink,
    Skip,
    UpdateGoogle,
    Write,
    pair_key,
)
from .linked import LinkedReader
from .models import SyncEvent
from .outcome import Ledger, Outcome, RunContext
from .progress import Progress
from .report import event_for
from .write_google import GoogleAction, GoogleWriter
from .write_pipedrive import PipedriveAction, PipedriveWriter

CHUNK = 100  # actions per progress step (and per Google batch)
PIPEDRIVE_CONCURRENCY = 8
REPORT_EVERY = 0.05  # seconds between the fsyncs that make what the run reports durable

Landed = tuple[str, int, list[SyncEvent]]  # side, writes done, their events


class Executor:
    """Applies one plan; `outcome` holds what it did once `run` is done."""

    def __init__(
        self, ctx: RunContext, ledger: Ledger, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ctx = ctx
        self.ledger = ledger
        self.clock = clock
        self.outcome = Outcome()
        self.linked = LinkedReader(ctx.services.pipedrive, ctx.contacts, ctx.api_domain)
        self.google = GoogleWriter(ctx, ledger, self.outcome, self.linked)
        self.pipedrive = PipedriveWriter(ctx, ledger, self.outcome)
        self._reported = clock()

    async def run(self, plan: Plan, settled: tuple[str, ...] = ()) -> AsyncIterator[SyncEvent]:
        """Apply `plan`; `settled`: the keys of the earlier runs' intents the plan took into
        account (they are forgotten once its relinks are recorded)."""
        for event in self._bookkeeping(plan):
            yield event
        for key in settled:
            self.ledger.done(key)
        writes = plan.writes()
        if self.ctx.options.linked_contacts:
            await self.linked.prefetch([a.item.id for a in writes if _reads_linked(a)])  # type: ignore[union-attr]
        progress = Progress(Counter(a.side for a in writes), self._limit_rate)
        total, done, reported = len(writes), 0, 0
        if total > CHUNK:  # a long run: its size at once, before the first chunk lands
            yield self._progress(0, total, None)
        # What the run reports is durable first: the events of the writes that land are held
        # until the journal holding their links is on disk (an fsync shared by everything
        # landed meanwhile, every REPORT_EVERY seconds at most), then passed on.
        held: list[SyncEvent] = []
        for stage in range(STAGES):
            failed = self.outcome.failed
            batch = [a for a in writes if a.stage == stage and pair_key(a) not in failed]
            if self.ctx.images is not None:  # what the stage overwrites, kept for an undo
                ctx = self.ctx
                await ctx.images.capture(batch, ctx.services, ctx.calendar_id, ctx.calendar_tz)
            async for side, n, events in self._stage(batch):
                held.extend(events)
                done += n
                progress.add(side, n)
                if total > CHUNK and (done - reported >= CHUNK or done == total):
                    reported = done
                    held.append(self._progress(done, total, progress.seconds_left()))
                if self.clock() - self._reported >= REPORT_EVERY:
                    for event in await self._durable(held):
                        yield event
            # A stage's links are on disk before the next stage's writes, which may rely on them.
            for event in await self._durable(held):
                yield event

    async def _durable(self, held: list[SyncEvent]) -> list[SyncEvent]:
        """Make the links so far durable, then hand over (and forget) the events held."""
        await self.ledger.durable()
        self._reported = self.clock()
        out = list(held)
        held.clear()
        return out

    def _bookkeeping(self, plan: Plan) -> list[SyncEvent]:
        """Conflicts, pairs and notes to the log, skips counted, relinks, pairs and forgets
        recorded."""
        events = []
        for action in plan:
            if isinstance(action, Relink):
                self.ledger.record(action.link)
            elif isinstance(action, ForgetLink):
                self.ledger.forget(action.link)
            elif isinstance(action, Pair):
                self.ledger.record(action.link)
                event = event_for(action, self.ctx.clock())
                assert event is not None
                events.append(event)
            elif isinstance(action, Conflict | Skip | Note):
                if isinstance(action, Conflict):
                    self.outcome.summary.conflicts += 1
                elif isinstance(action, Skip):
                    self.outcome.summary.skip(action.item.id, action.item.title, action.reason)
                event = event_for(action, self.ctx.clock())
                assert event is not None
                events.append(event)
        self.outcome.events.extend(events)
        return events

    def _progress(self, done: int, total: int, left: float | None) -> SyncEvent:
        return SyncEvent(
            "progress",
            reason=f"{done} of {total} writes",
            at=self.ctx.clock(),
            detail={
                "done": done,
                "total": total,
                "seconds_left": None if left is None else round(left, 1),
            },
        )

    def _limit_rate(self, side: str) -> float | None:
        """Writes a second that `side`'s rate limit allows, if the service has made it known."""
        services = self.ctx.services
        window = (
            services.google.quota.window if side == "google" else services.pipedrive.gate.window
        )
        return window.rate if window is not None else None

    async def _stage(self, batch: list[Write]) -> AsyncIterator[Landed]:
        """Apply one stage's writes, both sides at once, yielding them as they land. The first
        error that stops the run (AuthError, ServiceUnavailable) stops both sides and is raised
        here."""
        google: list[GoogleAction] = [a for a in batch if a.side == "google"]  # type: ignore[misc]
        pipedrive = iter([a for a in batch if a.side == "pipedrive"])
        queue: asyncio.Queue[Landed | BaseException | None] = asyncio.Queue()

        async def google_side() -> None:
            for start in range(0, len(google), CHUNK):
                chunk = google[start : start + CHUNK]
                await queue.put(
                    ("google", len(chunk), self._logged(await self.google.apply(chunk)))
                )

        async def pipedrive_worker() -> None:
            for action in pipedrive:  # shared: each worker takes the next action
                events = await self.pipedrive.apply(action)  # type: ignore[arg-type]
                await queue.put(("pipedrive", 1, self._logged(events)))

        async def run(side: Callable[[], object]) -> None:
            try:
                await side()  # type: ignore[misc]
            except BaseException as exc:  # handed to the consumer, which raises it
                await queue.put(exc)
                return
            await queue.put(None)

        sides = [google_side] + [pipedrive_worker] * PIPEDRIVE_CONCURRENCY
        tasks = [asyncio.create_task(run(side)) for side in sides]
        try:
            running = len(tasks)
            while running:
                item = await queue.get()
                if item is None:
                    running -= 1
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
        finally:  # an error, or the consumer stopped listening (Stop syncing)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _logged(self, events: list[SyncEvent]) -> list[SyncEvent]:
        """Keep the write events (error events are kept by Outcome.error itself)."""
        self.outcome.events.extend(e for e in events if e.kind != "error")
        return events


def _reads_linked(action: Write) -> bool:
    """Will the action put an activity's linked contacts into a Google event?"""
    return isinstance(action, CreateOnGoogle) or (
        isinstance(action, UpdateGoogle) and not action.only_time
    )


__all__ = ["Executor", "GoogleAction", "PipedriveAction", "CHUNK"]
