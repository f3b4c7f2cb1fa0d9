"""`calsync undo`: put back what calsync wrote in one run, as a run of its own.

    read     each item the run wrote, by id, as it is now      -> current
    plan     before-images + current (sync/undo_plan.py)       -> UndoPlan  (pure)
    apply    the executor's own handlers, journal and intents  -> Outcome
    commit   the pairs' links as before the run, the run record, the account stopped

A plan that would delete more than the guard allows is held until `--force-delete`, as a
sync's is; a dry run stops after `plan` and writes nothing. Before the first write the
account stops syncing (listed under previously synced, "run N was undone") and the undo is
recorded as under way: killed at any point, the next `calsync undo` plans again from what
landed (sync/undo_plan.py) and finds what it made by its markers, without a duplicate.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx

from .actions import Plan, Skip, guard
from .before_images import FETCH_CONCURRENCY, Entry, read_events, read_item
from .commit import CURSOR_SKEW_MARGIN
from .errors import CalsyncError, UsageError
from .executor import Executor
from .mapping import item_from_pipedrive, marker_google_id
from .models import CalendarItem, Link, RunSummary, SyncEvent
from .options import Options
from .outcome import Ledger, RunContext
from .report import event_for
from .runner import _Run
from .services import Services, open_services
from .store import AccountData, Store
from .undo_plan import Current, UndoPlan, plan_undo
from .undo_store import KEEP_DAYS, KEEP_RUNS, MAX_RUN_BYTES, Images, UndoStore
from .vault import Vault


def too_old(run: int) -> str:
    return (
        f"run {run} cannot be undone: calsync keeps what reverses a run for the last "
        f"{KEEP_RUNS} runs that wrote or the last {KEEP_DAYS} days, whichever keeps more, "
        f"and run {run} is older"
    )


def pick_images(data: AccountData, undo: UndoStore, run: int | None) -> Images:
    """The images of run `run` (default: the last run that wrote and is not undone yet);
    UsageError, in words, when it cannot be undone."""
    state = undo.state()
    if run is None:
        pending = state.pending["run"] if state.pending else None
        candidates = [r for r in undo.kept() if r not in state.undone or r == pending]
        if not candidates:
            raise UsageError("no run to undo: no kept run wrote anything that is not undone")
        run = pending if pending in candidates else candidates[-1]
    if run in state.undone and not (state.pending and state.pending["run"] == run):
        raise UsageError(f"run {run} was undone already (by run {state.undone[run]})")
    images = undo.load(run)
    if images is None:
        runs = {r.run: r for r in data.runs()}
        if run in runs and _wrote_nothing(runs[run].summary):
            raise UsageError(f"run {run} wrote nothing: there is nothing to undo")
        if run not in runs and (not runs or run > max(runs)):
            raise UsageError(f"no run {run} in the log")
        raise UsageError(too_old(run))
    if images.too_large:
        raise UsageError(
            f"run {run} cannot be undone: what it overwrote was over {MAX_RUN_BYTES >> 20} MB, "
            "more than calsync keeps for one run"
        )
    return images


def _wrote_nothing(summary: RunSummary) -> bool:
    sides = (summary.google, summary.pipedrive)
    return not any(c.created or c.updated or c.deleted for c in sides)


async def undo_run(
    store: Store,
    vault: Vault,
    account_id: str,
    *,
    run: int | None = None,
    dry_run: bool = False,
    force_delete: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    now: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
    retry_wait: float = 0.2,
) -> AsyncIterator[SyncEvent]:
    """The undo of run `run` of an account, as events ending with `done` (as a sync's)."""
    if clock is None:
        clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))  # type: ignore[assignment,return-value]
    with store.lock(account_id):
        undo = _Undo(store, vault, account_id, now or clock(), clock, dry_run=dry_run)
        async for event in undo.undo_events(run, force_delete, transport, retry_wait):
            yield event


class _Undo(_Run):
    """One undo between its phases (a run of its own: what it has said so far, its summary,
    its commit and its last event as a sync run's)."""

    async def undo_events(
        self, run, force_delete, transport, retry_wait
    ) -> AsyncIterator[SyncEvent]:
        account = self.store.account(self.account_id)
        data = self.store.data(self.account_id)
        undo = UndoStore(data.folder)
        images = pick_images(data, undo, run)
        options = Options.from_json(images.options)
        mode = "undo dry run" if self.dry_run else "undo"
        yield self.emit("start", f"{mode} of run {images.run}", undo_of=images.run)
        services = open_services(account, self.vault, transport=transport, retry_wait=retry_wait)
        try:
            current = await _read_current(services, images, options.calendar)
            remade = await _remade(services, images, data, undo)
            up = plan_undo(images.run, images.entries, current, _link_of(data), remade)
            for event in self._left_alone(up):
                yield event
            n = len(data.links())
            held = guard(up.plan, n, n)
            if held and not force_delete:
                yield self._held(up, held, data, services)
                yield self._done(held, services)
            elif self.dry_run:
                for event in self._undo_preview(up):
                    yield event
                yield self._done("dry run: nothing was written", services, up.plan.counts())
            else:
                async for event in self._undo_apply(up, images, options, account, data, services):
                    yield event
        except CalsyncError as exc:
            if self.executor is not None:  # what the writes did before the undo had to stop
                self.summary = self.executor.outcome.summary
                self.log.extend(self.executor.outcome.events)
            self.summary.status = "error"
            self.summary.error(None, "", str(exc))
            self.log.append(SyncEvent("error", None, "", None, str(exc), None, self.clock(), {}))
            if not self.dry_run:
                self._commit(data, services, error=str(exc))
            raise
        finally:
            await services.aclose()

    def _held(self, up: UndoPlan, held: str, data: AccountData, services: Services) -> SyncEvent:
        deletes = {side: up.plan.deletes(side) for side in ("google", "pipedrive")}  # type: ignore[arg-type]
        ids = {side: up.plan.deleted_ids(side) for side in ("google", "pipedrive")}  # type: ignore[arg-type]
        event = self.emit("guard", held, deletes=deletes, ids=ids)
        self.summary.status = "guarded"
        if not self.dry_run:
            self._commit(data, services)
        return event

    def _undo_preview(self, up: UndoPlan) -> list[SyncEvent]:
        at = self.clock()
        events = [e for a in up.plan.writes() if (e := event_for(a, at, dry_run=True))]
        self.log.extend(events)
        return events

    def _left_alone(self, up: UndoPlan) -> list[SyncEvent]:
        at = self.clock()
        out = []
        for skip in up.plan.of(Skip):
            self.summary.skip(skip.item.id, skip.item.title, skip.reason)  # type: ignore[union-attr]
            event = event_for(skip, at)
            assert event is not None
            self.log.append(event)
            out.append(event)
        return out

    async def _undo_apply(
        self, up, images, options, account, data, services
    ) -> AsyncIterator[SyncEvent]:
        undo = UndoStore(data.folder)
        state = undo.state()
        if not (state.pending and state.pending.get("run") == images.run):
            state.pending = {"run": images.run, "started": self.now.isoformat()}
            undo.set_state(state)  # before the first write: what a killed undo resumes
        if account.state == "active":
            self.store.deactivate(self.account_id)
        ctx = RunContext(
            services=services,
            options=options,
            calendar_id=options.calendar,
            calendar_tz=images.calendar_tz,
            id_seed=f"{self.account_id}:{options.calendar}",
            api_domain=account.pipedrive_domain,
            now=self.now,
            clock=self.clock,
            contacts={},
        )
        executor = self.executor = Executor(ctx, Ledger(data, self.now))
        ids = {e.id for e in images.entries}
        settled = tuple(i.key for i in data.intents() if i.target in ids)
        writes = Plan(tuple(a for a in up.plan if not isinstance(a, Skip)))  # said already
        with data.transaction():
            async for event in executor.run(writes, settled):
                yield event
            _relink(data, up)
        outcome = executor.outcome
        self.executor = None
        self.summary.google, self.summary.pipedrive = (
            outcome.summary.google,
            outcome.summary.pipedrive,
        )
        self.summary.errors = outcome.summary.errors
        self.log.extend(outcome.events)
        self.summary.status = "error" if self.summary.errors else "ok"
        self._commit(data, services)
        if not self.summary.errors:
            state = undo.state()
            state.undone[images.run] = data.runs()[-1].run
            state.pending = None
            undo.set_state(state)
        yield self._done(self.summary.status, services)


async def _read_current(services: Services, images: Images, calendar_id: str) -> Current:
    """Every item the run wrote, as it is now (None: gone): Google's in batch requests."""
    gate = asyncio.Semaphore(FETCH_CONCURRENCY)
    keys = list(dict.fromkeys((e.side, e.id) for e in images.entries))
    events = [i for side, i in keys if side == "google"]
    found = await read_events(services, events, calendar_id, images.calendar_tz) if events else {}
    out: Current = {("google", i): item for i, item in found.items()}

    async def one(item_id: str) -> None:
        async with gate:
            out[("pipedrive", item_id)] = await read_item(
                services, "pipedrive", item_id, calendar_id, images.calendar_tz
            )

    await asyncio.gather(*(one(i) for side, i in keys if side == "pipedrive"))
    return out


async def _remade(
    services: Services, images: Images, data: AccountData, undo: UndoStore
) -> dict[str, CalendarItem]:
    """Activities an interrupted undo of this run made again already ("pipedrive:<old id>"
    -> the new activity): linked since, or found by their marker among the activities
    written since that undo began. (Google events need no search: their ids are chosen, and
    the create handler adopts the one made before.)"""
    pending = undo.state().pending
    wanted = [
        e for e in images.entries if e.verb == "delete" and e.side == "pipedrive" and e.link_before
    ]
    if not wanted or not pending or pending.get("run") != images.run:
        return {}
    # From a while before the undo began by this machine's clock: Pipedrive's may differ.
    since = datetime.fromisoformat(pending["started"]) - CURSOR_SKEW_MARGIN
    listing = await services.pipedrive.list_activities(updated_since=since)
    by_marker = {
        marker_google_id(a.get("note")): a for a in listing.items if not a.get("is_deleted")
    }
    out = {}
    for entry in wanted:
        found = by_marker.get(entry.link_before.google_id)  # type: ignore[union-attr]
        if found is not None and str(found["id"]) != entry.id:
            out[f"pipedrive:{entry.id}"] = item_from_pipedrive(found)
    return out


def _link_of(data: AccountData):
    def link_of(side: str, item_id: str) -> Link | None:
        return data.link_by_google(item_id) if side == "google" else data.link_by_pipedrive(item_id)

    return link_of


def _relink(data: AccountData, up: UndoPlan) -> None:
    """The pairs written back or made again get their links as before the run, with the
    written side's id, version and fingerprint as it now is."""
    for entry, item in up.relink:
        link = _restored(data, entry, item)
        if link is not None:
            data.put_link(link)


def _restored(data: AccountData, entry: Entry, item: CalendarItem | None) -> Link | None:
    before = entry.link_before
    if before is None:
        return None
    if item is None:  # the write's own link: by the written id, or by the peer's for a create
        if entry.side == "google":
            now = data.link_by_google(entry.id) or data.link_by_pipedrive(before.pipedrive_id)
        else:
            now = data.link_by_pipedrive(entry.id) or data.link_by_google(before.google_id)
        if now is None:
            return None  # the write failed: the next undo tries again
        if entry.side == "google":
            return dataclasses.replace(
                before,
                google_id=now.google_id,
                google_version=now.google_version,
                google_fingerprint=now.google_fingerprint,
            )
        return dataclasses.replace(
            before,
            pipedrive_id=now.pipedrive_id,
            pipedrive_version=now.pipedrive_version,
            pipedrive_fingerprint=now.pipedrive_fingerprint,
        )
    if entry.side == "google":
        return dataclasses.replace(
            before,
            google_id=item.id,
            google_version=item.version,
            google_fingerprint=item.fingerprint(),
        )
    return dataclasses.replace(
        before,
        pipedrive_id=item.id,
        pipedrive_version=item.version,
        pipedrive_fingerprint=item.fingerprint(),
    )


__all__ = ["undo_run", "pick_images", "too_old"]
