"""One sync run of an account, as a stream of SyncEvents: four phases with typed values between them.

    read    (sync/snapshot.py)  both sides' changes         -> Snapshot
    plan    (sync/planner.py)   Snapshot + links + options  -> Plan      (pure)
    apply   (sync/executor.py)  Plan                        -> Outcome   (links change as writes land)
    commit  (sync/commit.py)    Snapshot + Outcome          -> cursors, run record, account status

A plan that would mass-delete is held between `plan` and `apply` (the guard); a dry run stops
there too, and commits nothing. The TUI log, `calsync sync --json` and the tests consume the
same stream; its last event is always `done`, with the run's summary. docs/design.md has the
data flow of a run.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx

from . import undo_store
from .accounts import not_syncing_error
from .actions import Plan, Skip, guard
from .before_images import Recorder
from .commit import commit, next_cursors
from .contact_index import IndexFile
from .errors import EXIT_FAILED, EXIT_GUARDED, EXIT_OK, AuthError, CalsyncError
from .executor import Executor
from .guest_source import GuestSource
from .models import RunSummary, SyncEvent
from .outcome import Ledger, RunContext
from .planner import plan
from .read import read
from .report import event_for
from .review import ReviewList
from .services import open_services
from .snapshot import SKEW_TOLERATED, Snapshot, clock_skew, needs_full
from .store import Account, Store
from .vault import Vault
from .wording import plural


async def run_once(
    store: Store,
    vault: Vault,
    account_id: str,
    *,
    dry_run: bool = False,
    force_delete: bool = False,
    full: bool | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    now: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
    retry_wait: float = 0.2,
) -> AsyncIterator[SyncEvent]:
    """One sync run of an account, as events. Raises CalsyncError when the run cannot go on
    (after recording it); a guarded or dry run ends normally with its `done` event.

    `now`: the run's time (default: this machine's); `clock`: what its events are stamped
    with as they happen (default: this machine's clock, or `now` itself when `now` is given)."""
    if clock is None:
        clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))  # type: ignore[assignment,return-value]
    with store.lock(account_id):
        run = _Run(store, vault, account_id, now or clock(), clock, dry_run=dry_run)
        async for event in run.events(force_delete, full, transport, retry_wait):
            yield event


class _Run:
    """The state of one run between its phases: what it has said so far, and its summary."""

    def __init__(
        self,
        store: Store,
        vault: Vault,
        account_id: str,
        now: datetime,
        clock: Callable[[], datetime],
        *,
        dry_run: bool,
    ):
        self.store, self.vault, self.account_id = store, vault, account_id
        self.now, self.clock, self.dry_run = now, clock, dry_run
        self.started = time.perf_counter()
        self.log: list[SyncEvent] = []
        self.summary = RunSummary()
        self.executor: Executor | None = None
        self.images: Recorder | None = None
        """The before-images of this run's writes (kept for `calsync undo` at its commit)."""
        self.learnt: dict[str, object] = {}
        """What this run learnt of the services, for the account (AccountExtra fields)."""

    def emit(self, kind: str, reason: str = "", **detail: object) -> SyncEvent:
        event = SyncEvent(kind, None, "", None, reason, None, self.clock(), detail)  # type: ignore[arg-type]
        self.log.append(event)
        return event

    async def events(
        self, force_delete: bool, full: bool | None, transport, retry_wait: float
    ) -> AsyncIterator[SyncEvent]:
        account = self.store.account(self.account_id)
        if account.state != "active":
            raise not_syncing_error(account)
        data = self.store.data(self.account_id)
        options = account.options
        if full is None:
            full = needs_full(data.cursors(), options, self.now)
        mode = "dry run" if self.dry_run else ("full reconcile" if full else "incremental")
        yield self.emit("start", mode, account=self.account_id, full=full, dry_run=self.dry_run)
        services = open_services(account, self.vault, transport=transport, retry_wait=retry_wait)
        try:
            snapshot = await read(
                services,
                options=options,
                cursors=data.cursors(),
                series_links=data.links_by_series,
                linked_activity=lambda event_id: (
                    link.pipedrive_id if (link := data.link_by_google(event_id)) else None
                ),
                calendar_tz=account.extra.calendar_tz,
                owner_id=account.extra.pipedrive_user_id,
                now=self.now,
                full=full,
                intents=tuple(data.intents()),
            )
            for event in self._fetched(snapshot):
                yield event
            for event in self._skew(snapshot, account.extra.clock_skew_said):
                yield event
            links = data.links()
            review = ReviewList(data.folder)
            snapshot = dataclasses.replace(snapshot, held=review.held())
            the_plan = plan(snapshot, links, options)
            held = guard(the_plan, len(links), len(links))
            if held and not force_delete:
                yield self._guarded(the_plan, held, len(links), data, services)
                yield self._done(held, services)
            elif self.dry_run:
                for event in self._preview(the_plan):
                    yield event
                yield self._done("dry run: nothing was written", services, the_plan.counts())
            else:
                review.add_from(the_plan)
                async for event in self._apply(the_plan, snapshot, account, data, services, review):
                    yield event
        except CalsyncError as exc:
            if self.executor is not None:  # what the writes did before the run had to stop
                self.summary = self.executor.outcome.summary
                self.log.extend(self.executor.outcome.events)
            self.summary.status = "error"
            self.summary.error(None, "", str(exc))
            self.log.append(SyncEvent("error", None, "", None, str(exc), None, self.clock(), {}))
            if not self.dry_run:
                self._commit(
                    data, services, error=str(exc), needs_reconnect=isinstance(exc, AuthError)
                )
            raise
        finally:
            await services.aclose()

    def _fetched(self, snapshot: Snapshot) -> list[SyncEvent]:
        out = []
        if snapshot.google_token_expired:
            out.append(
                self.emit(
                    "fetch",
                    "Google's sync token expired: listing the whole window again",
                    side="google",
                )
            )
        listed = (
            f"{plural(snapshot.google_listed, 'Google event')}, "
            f"{plural(snapshot.pipedrive_listed, 'Pipedrive activity', 'Pipedrive activities')}"
        )
        if snapshot.retried:
            listed += f", {plural(snapshot.retried, 'item')} read again after a failed write"
        out.append(
            self.emit(
                "fetch",
                listed,
                google=snapshot.google_listed,
                pipedrive=snapshot.pipedrive_listed,
                retried=snapshot.retried,
                full=snapshot.full,
            )
        )
        return out

    def _skew(self, snapshot: Snapshot, said: float | None) -> list[SyncEvent]:
        """Say once that this machine's clock is off the services' (again only when the
        difference changes by more than the tolerance); the cursors never rely on it."""
        skew = clock_skew(snapshot)
        if skew is None:
            return []
        off = abs(skew)
        if off <= SKEW_TOLERATED:
            if said is not None:
                self.learnt["clock_skew_said"] = None
            return []
        seconds = skew.total_seconds()
        if said is not None and abs(seconds - said) <= SKEW_TOLERATED.total_seconds():
            return []
        self.learnt["clock_skew_said"] = seconds
        way = "ahead of" if seconds > 0 else "behind"
        return [
            self.emit(
                "notice",
                f"this machine's clock is {_duration(off)} {way} the services' clocks: "
                "calsync goes by theirs; set the clock right for the times it shows",
                clock_skew=seconds,
            )
        ]

    def _guarded(self, the_plan: Plan, held: str, n_links: int, data, services) -> SyncEvent:
        self.summary.status = "guarded"
        event = self.emit(
            "guard",
            held,
            deletes={
                "google": the_plan.deletes("google"),
                "pipedrive": the_plan.deletes("pipedrive"),
            },
            examples={side: the_plan.deleted_titles(side) for side in ("google", "pipedrive")},
            ids={side: the_plan.deleted_ids(side) for side in ("google", "pipedrive")},
            links=n_links,
            pairs=the_plan.counts()["other"]["pair"],
        )
        if not self.dry_run:
            self._commit(data, services)
        return event

    def _preview(self, the_plan: Plan) -> list[SyncEvent]:
        """The plan as events marked `dry_run`, for `--dry-run` and the app's preview."""
        at = self.clock()
        events = [e for a in the_plan if (e := event_for(a, at, dry_run=True)) is not None]
        for skip in the_plan.of(Skip):
            self.summary.skip(skip.item.id, skip.item.title, skip.reason)  # type: ignore[union-attr]
        self.log.extend(events)
        return events

    async def _apply(
        self, the_plan: Plan, snapshot: Snapshot, account: Account, data, services, review
    ) -> AsyncIterator[SyncEvent]:
        options = account.options
        ctx = RunContext(
            services=services,
            options=options,
            calendar_id=options.calendar,
            calendar_tz=account.extra.calendar_tz,
            id_seed=f"{self.account_id}:{options.calendar}",
            api_domain=account.pipedrive_domain,
            now=self.now,
            clock=self.clock,
            contacts=snapshot.contacts,
            seen=snapshot,
            images=(images := Recorder(data.links(), snapshot)),
            guests=GuestSource(
                IndexFile(data.folder),
                services.pipedrive,
                full=snapshot.full,
                now=self.now,
                own=(account.email, account.pipedrive_email),
            ),
            review=review,
        )
        self.images = images
        executor = self.executor = Executor(ctx, Ledger(data, self.now))
        # One transaction: link changes go to the journal as the writes land (made durable
        # before what depends on them: sync/executor.py), the files at its end.
        with data.transaction():
            settled = tuple(intent.key for intent in snapshot.intents)
            async for event in executor.run(the_plan, settled):
                yield event
        outcome = executor.outcome
        self.summary = outcome.summary
        self.log.extend(outcome.events)
        self.executor = None
        self.summary.status = "error" if self.summary.errors else "ok"
        # A failed item is read again by id in the next runs: it holds no cursor back.
        cursors = next_cursors(snapshot, options, failed=outcome.retry, retry=data.cursors().retry)
        self._commit(data, services, cursors=cursors)
        yield self._done(self.summary.status, services)

    def _commit(self, data, services, *, cursors=None, error=None, needs_reconnect=False) -> None:
        commit(
            self.store,
            data,
            self.account_id,
            summary=self.summary,
            events=self.log,
            services=services,
            now=self.now,
            seconds=time.perf_counter() - self.started,
            cursors=cursors,
            error=error,
            needs_reconnect=needs_reconnect,
            learnt=self.learnt,
        )
        if self.images is not None:  # what reverses the writes, with the run's record
            extra = self.store.account(self.account_id).extra
            options = self.store.account(self.account_id).options.to_json()
            undo_store.keep(data, self.images, options, extra.calendar_tz, self.now)
            self.images = None

    def _done(self, reason: str, services, plan: dict | None = None) -> SyncEvent:
        """The last event: the summary (committed already, unless this is a dry run)."""
        if self.dry_run:
            self.summary.seconds = time.perf_counter() - self.started
            self.summary.google.requests = services.requests("google")
            self.summary.pipedrive.requests = services.requests("pipedrive")
        code = {"ok": EXIT_OK, "guarded": EXIT_GUARDED}.get(self.summary.status, EXIT_FAILED)
        detail: dict = {"summary": self.summary.to_json(), "exit_code": code}
        if plan is not None:
            detail["plan"] = plan
        return self.emit("done", reason, **detail)


def _duration(delta: timedelta) -> str:
    """A skew in words: '1 day 2 h', '3 h 5 min', '12 min'."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts) or "under a minute"
