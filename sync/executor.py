"""The executor: applies a Plan to both services and records each link as its write lands.

Google writes go through batch requests; Pipedrive writes run with bounded concurrency;
the two sides run side by side, each paced to its rate limit in its client. Each action is
applied on its own: a failure is an error event for that item, the rest of the plan still
runs, and links are only changed for writes that happened.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from .errors import AuthError, CalsyncError, ServiceUnavailable
from .google_api import BatchOp, BatchResult
from .http import ApiError
from .mapping import (
    UnmappableItem,
    google_body,
    google_event_id,
    item_from_google,
    item_from_pipedrive,
    pipedrive_body,
    pipedrive_marker,
)
from .models import (
    CalendarItem,
    Contact,
    Deal,
    Link,
    LinkedContacts,
    RunSummary,
    SyncEvent,
    origin_for,
)
from .options import Options
from .planner import (
    Conflict,
    CreateOnGoogle,
    CreateOnPipedrive,
    DeleteGoogle,
    DeletePipedrive,
    ForgetLink,
    Plan,
    Relink,
    Skip,
    UpdateGoogle,
    UpdatePipedrive,
)
from .progress import Progress
from .services import Services
from .store import AccountData

log = logging.getLogger("calsync.sync")

CHUNK = 100  # actions per progress step (and per Google batch)
PIPEDRIVE_CONCURRENCY = 8
FLUSH_EVERY = 2.0  # seconds between link flushes during a run
MAX_ID_ATTEMPTS = 5


@dataclasses.dataclass
class Context:
    """What the executor needs to know about the account and this run."""

    services: Services
    data: AccountData
    options: Options
    calendar_id: str
    calendar_tz: str
    id_seed: str
    api_domain: str
    now: datetime
    summary: RunSummary
    raw_activities: dict[str, dict]  # activity id -> its person_id/org_id/deal_id (linked contacts)
    events: list[SyncEvent] = dataclasses.field(default_factory=list)


class Executor:
    def __init__(self, ctx: Context, flush: Callable[[], None]) -> None:
        self.ctx = ctx
        self.flush = flush
        self._flushed = time.monotonic()
        self._linked_cache: dict[tuple[str, str], object] = {}

    # -- events ------------------------------------------------------------------

    def _event(
        self,
        kind: str,
        item: CalendarItem | None = None,
        *,
        side=None,
        reason: str = "",
        item_id: str | None = None,
        title: str = "",
        **detail,
    ) -> SyncEvent:
        event = SyncEvent(
            kind=kind,  # type: ignore[arg-type]
            side=side,
            title=item.title if item else title,
            when=item.start if item else None,
            reason=reason,
            item_id=item_id or (item.id if item else None),
            at=self.ctx.now,
            detail=detail,
        )
        self.ctx.events.append(event)
        return event

    def _error(self, item: CalendarItem | None, side, exc: Exception) -> SyncEvent:
        if isinstance(exc, AuthError | ServiceUnavailable):
            raise exc  # the whole run stops: nothing more can be written
        reason = (
            str(exc)
            if isinstance(exc, CalsyncError | ValueError)
            else f"{exc.__class__.__name__}: {exc}"
        )
        self.ctx.summary.error(item.id if item else None, item.title if item else "", reason)
        log.warning("error on %s %s: %s", side, item.id if item else "", reason)
        return self._event("error", item, side=side, reason=reason)

    # -- the run -----------------------------------------------------------------

    async def run(self, plan: Plan) -> AsyncIterator[SyncEvent]:
        ctx = self.ctx
        writes = plan.writes()
        total = len(writes)
        done = reported = 0
        # Bookkeeping first: conflicts to the log, skips counted, relinks/forgets recorded.
        for action in plan:
            if isinstance(action, Conflict):
                ctx.summary.conflicts += 1
                yield self._event(
                    "conflict",
                    action.winner,
                    side=None,
                    reason=action.reason,
                    winner=action.winner.side,
                    loser={
                        "side": action.loser.side,
                        "id": action.loser.id,
                        "title": action.loser.title,
                        "start": action.loser.start,
                        "end": action.loser.end,
                        "location": action.loser.location,
                        "description": action.loser.description,
                    },
                )
            elif isinstance(action, Skip):
                ctx.summary.skip(action.item.id, action.item.title, action.reason)
                yield self._event("skip", action.item, reason=action.reason, code=action.code)
            elif isinstance(action, Relink):
                ctx.data.put_link(action.link)
            elif isinstance(action, ForgetLink):
                ctx.data.delete_link(action.link)
        await self._prefetch_linked(writes)
        progress = Progress(Counter(a.side for a in writes), self._limit_rate)
        # Writes in the plan's order (deletes, updates, creates). Within a phase each side
        # runs its own pipeline, so a side waiting on its rate limit never stalls the other.
        for kinds in (
            (DeleteGoogle, DeletePipedrive),
            (UpdateGoogle, UpdatePipedrive),
            (CreateOnGoogle, CreateOnPipedrive),
        ):
            phase = [a for a in writes if isinstance(a, kinds)]
            async for side, n, events in self._phase(phase):
                for event in events:
                    yield event
                done += n
                progress.add(side, n)
                # Each flush rewrites the whole links table, so flushing per chunk made a big
                # first sync quadratic; every FLUSH_EVERY seconds bounds both the cost and
                # what a crash can lose (a lost link is recovered from the markers).
                if time.monotonic() - self._flushed >= FLUSH_EVERY:
                    self.flush()
                    self._flushed = time.monotonic()
                if total > CHUNK and (done - reported >= CHUNK or done == total):
                    reported = done
                    left = progress.seconds_left()
                    yield self._event(
                        "progress",
                        reason=f"{done} of {total} writes",
                        done=done,
                        total=total,
                        seconds_left=None if left is None else round(left, 1),
                    )

    def _limit_rate(self, side: str) -> float | None:
        """Writes a second that `side`'s rate limit allows, if the service has made it known."""
        services = self.ctx.services
        window = (
            services.google.quota.window if side == "google" else services.pipedrive.gate.window
        )
        return window.rate if window is not None else None

    async def _phase(self, phase: list) -> AsyncIterator[tuple[str, int, list[SyncEvent]]]:
        """Apply one phase's writes, both sides at once: (side, writes done, their events) as
        they land. Google goes a batch of CHUNK at a time; Pipedrive through PIPEDRIVE_CONCURRENCY
        workers. The first error that stops the run (AuthError, ServiceUnavailable) stops both
        sides and is raised here."""
        google = [a for a in phase if a.side == "google"]
        pipedrive = iter([a for a in phase if a.side == "pipedrive"])
        queue: asyncio.Queue[tuple[str, int, list[SyncEvent]] | BaseException | None] = (
            asyncio.Queue()
        )

        async def google_side() -> None:
            for start in range(0, len(google), CHUNK):
                chunk = google[start : start + CHUNK]
                await queue.put(("google", len(chunk), await self._google(chunk)))

        async def pipedrive_worker() -> None:
            for action in pipedrive:  # shared: each worker takes the next action
                await queue.put(("pipedrive", 1, await self._pipedrive_one_safe(action)))

        async def run(side) -> None:
            try:
                await side()
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

    # -- inferred deletes: confirm that the missing item is really gone ------------------

    async def _event_alive(self, event_id: str) -> bool:
        current = await self.ctx.services.google.get_event(self.ctx.calendar_id, event_id)
        return current is not None and current.get("status") != "cancelled"

    async def _activity_alive(self, activity_id: str) -> bool:
        current = await self.ctx.services.pipedrive.get_activity(activity_id)
        return current is not None and not current.get("is_deleted")

    # -- Google ------------------------------------------------------------------

    async def _prefetch_linked(self, writes: list) -> None:
        """Fetch the persons, organizations and deals of every activity about to be written to
        Google in a few list requests (by ids) rather than one request each."""
        if not self.ctx.options.linked_contacts:
            return
        wanted: dict[str, set[str]] = {"person": set(), "organization": set(), "deal": set()}
        for action in writes:
            if isinstance(action, CreateOnGoogle) or (
                isinstance(action, UpdateGoogle) and not action.only_time
            ):
                raw = self.ctx.raw_activities.get(action.item.id) or {}
                for kind, key in (("person", "person_id"), ("organization", "org_id"),
                                  ("deal", "deal_id")):  # fmt: skip
                    if raw.get(key):
                        wanted[kind].add(str(raw[key]))
        plural = {"person": "persons", "organization": "organizations", "deal": "deals"}
        for kind, ids in wanted.items():
            missing = sorted(i for i in ids if (kind, i) not in self._linked_cache)
            if not missing:
                continue
            try:
                rows = await self.ctx.services.pipedrive.by_ids(plural[kind], missing)
            except ApiError as exc:
                log.info("could not prefetch %s: %s", plural[kind], exc)
                continue  # each activity fetches its own, one by one
            by_id = {str(row.get("id")): row for row in rows}
            for i in missing:
                self._linked_cache[(kind, i)] = by_id.get(i)

    async def _linked(self, activity_id: str) -> LinkedContacts | None:
        """The person, organization and deal of an activity (only with linked contacts on)."""
        if not self.ctx.options.linked_contacts:
            return None
        raw = self.ctx.raw_activities.get(activity_id)
        if raw is None:
            raw = await self.ctx.services.pipedrive.get_activity(activity_id) or {}
        pd = self.ctx.services.pipedrive
        domain = self.ctx.api_domain.rstrip("/")

        async def fetch(kind: str, item_id):
            if not item_id:
                return None
            key = (kind, str(item_id))
            if key not in self._linked_cache:
                getter = {"person": pd.person, "organization": pd.organization, "deal": pd.deal}[
                    kind
                ]
                self._linked_cache[key] = await getter(item_id)
            return self._linked_cache[key]

        person = await fetch("person", raw.get("person_id"))
        org = await fetch("organization", raw.get("org_id"))
        deal = await fetch("deal", raw.get("deal_id"))

        def contact(data, path: str) -> Contact | None:
            if not data:
                return None
            return Contact(
                name=data.get("name", ""),
                emails=tuple(e["value"] for e in data.get("emails") or () if e.get("value")),
                phones=tuple(p["value"] for p in data.get("phones") or () if p.get("value")),
                url=f"{domain}/{path}/{data['id']}",
            )

        linked = LinkedContacts(
            person=contact(person, "person"),
            organization=contact(org, "organization"),
            deal=Deal(
                title=deal.get("title", ""),
                url=f"{domain}/deal/{deal['id']}",
                value=f"{deal.get('value', '')} {deal.get('currency', '')}".strip(),
            )
            if deal
            else None,
        )
        return None if linked.is_empty() else linked

    async def _google_body(self, action, event_id: str | None) -> dict:
        item = action.item
        if getattr(action, "keep_private", False):
            item = dataclasses.replace(item, private=True)
        only_time = getattr(action, "only_time", False)
        own_event = isinstance(action, UpdateGoogle) and action.link.origin == "google"
        return google_body(
            item,
            self.ctx.options,
            event_id=event_id,
            linked=None if only_time else await self._linked(item.id),
            origin=None if own_event else origin_for("pipedrive", item.id),
            default_tz=self.ctx.calendar_tz,
            only_time=only_time,
        )

    async def _google(self, actions: list) -> list[SyncEvent]:
        if not actions:
            return []
        ctx = self.ctx
        g = ctx.services.google
        cal = ctx.calendar_id
        events: list[SyncEvent] = []
        ops: list[BatchOp] = []
        pending: list[tuple[object, str | None]] = []
        for action in actions:
            try:
                if isinstance(action, DeleteGoogle):
                    if action.inferred and await self._activity_alive(action.link.pipedrive_id):
                        # The activity was only missing from the listing (another owner now):
                        # it was not deleted, so its event stays; the pair is no longer synced.
                        ctx.data.delete_link(action.link)
                        continue
                    ops.append(g.op_delete(cal, action.link.google_id))
                    pending.append((action, None))
                elif isinstance(action, UpdateGoogle):
                    ops.append(
                        g.op_patch(
                            cal, action.link.google_id, await self._google_body(action, None)
                        )
                    )
                    pending.append((action, None))
                elif isinstance(action, CreateOnGoogle):
                    event_id = google_event_id(ctx.id_seed, action.item.id)
                    ops.append(g.op_insert(cal, await self._google_body(action, event_id)))
                    pending.append((action, event_id))
            except (ApiError, ValueError, UnmappableItem) as exc:
                events.append(
                    self._error(action.item if hasattr(action, "item") else None, "google", exc)
                )
        if not ops:
            return events
        results = await g.batch(ops)
        for (action, chosen_id), result in zip(pending, results, strict=True):
            try:
                events.extend(await self._google_result(action, chosen_id, result))
            except (ApiError, ValueError, UnmappableItem) as exc:
                item = getattr(action, "item", None)
                events.append(self._error(item, "google", exc))
        return events

    async def _google_result(
        self, action, event_id: str | None, result: BatchResult
    ) -> list[SyncEvent]:
        ctx = self.ctx
        counts = ctx.summary.google
        if isinstance(action, DeleteGoogle):
            if result.status in (200, 204, 404, 410):
                ctx.data.delete_link(action.link)
                if result.status in (200, 204):
                    counts.deleted += 1
                    return [
                        self._event(
                            "delete",
                            None,
                            side="google",
                            reason=action.reason,
                            item_id=action.link.google_id,
                            title=action.link.title,
                        )
                    ]
                return []
            raise batch_error(result, "delete")
        if isinstance(action, UpdateGoogle):
            if result.status == 200:
                activity = action.item
                if action.reset_placeholder:
                    activity = await self._reset_placeholder(action)
                self._link(
                    item_from_google(result.body, ctx.calendar_tz), activity, action.link.origin
                )
                counts.updated += 1
                return [self._event("update", action.item, side="google")]
            if result.status in (404, 410):
                # The event went meanwhile: the activity still wants a copy.
                ctx.data.delete_link(action.link)
                return await self._create_google_one(action.item)
            raise batch_error(result, "update")
        assert isinstance(action, CreateOnGoogle)
        # The event is (re-)made from the activity: a copy of it, even in a restore.
        origin = "pipedrive"
        if action.replaces is not None:
            ctx.data.delete_link(action.replaces)
        if result.status == 200:
            self._link(item_from_google(result.body, ctx.calendar_tz), action.item, origin)
            counts.created += 1
            return [self._event("create", action.item, side="google")]
        if result.status == 409:
            return await self._create_google_one(action.item, origin)
        raise batch_error(result, "create")

    async def _reset_placeholder(self, action: UpdateGoogle) -> CalendarItem:
        """Patch the activity of a private event (mode `busy`) back to the Busy placeholder,
        keeping its time; the activity as Pipedrive now holds it."""
        ctx = self.ctx
        body = pipedrive_body(
            dataclasses.replace(action.item, private=True),
            ctx.options,
            marker=pipedrive_marker(action.link.google_id),
            private_mode="busy",
            create=False,
        )
        answer = await ctx.services.pipedrive.update_activity(action.link.pipedrive_id, body)
        if answer is None:
            return action.item  # gone meanwhile: the next run sees it deleted
        ctx.summary.pipedrive.updated += 1
        return item_from_pipedrive(answer)

    async def _create_google_one(
        self, item: CalendarItem, origin: str = "pipedrive"
    ) -> list[SyncEvent]:
        """Create one event outside a batch: adopt our own copy left by an interrupted run, or
        take the next id when the deterministic one belongs to a deleted event. `origin`: the
        side the pair started from (kept when a pair is restored or re-created)."""
        ctx = self.ctx
        g = ctx.services.google
        for attempt in range(MAX_ID_ATTEMPTS):
            event_id = google_event_id(ctx.id_seed, item.id, attempt)
            existing = await g.get_event(ctx.calendar_id, event_id)
            if existing is not None and existing.get("status") == "cancelled":
                continue  # the id of a deleted event cannot be used again: take the next one
            body = google_body(
                item,
                ctx.options,
                event_id=None if existing is not None else event_id,
                linked=await self._linked(item.id),
                origin=origin_for("pipedrive", item.id),
                default_tz=ctx.calendar_tz,
            )
            if existing is not None:
                # Ours already (a crash before the link was saved): adopt it, bring it up to date.
                written = await g.patch_event(ctx.calendar_id, event_id, body)
                reason = "recovered an interrupted create"
            else:
                written = await g.insert_event(ctx.calendar_id, body)
                reason = ""
            self._link(item_from_google(written, ctx.calendar_tz), item, origin)
            ctx.summary.google.created += 1
            return [self._event("create", item, side="google", reason=reason)]
        raise ValueError(f"no free event id for activity {item.id} after {MAX_ID_ATTEMPTS} tries")

    def _link(self, google: CalendarItem, pipedrive: CalendarItem, origin: str) -> None:
        data = self.ctx.data
        for stale in (data.link_by_google(google.id), data.link_by_pipedrive(pipedrive.id)):
            if stale is not None:
                data.delete_link(stale)
        data.put_link(Link.from_items(google, pipedrive, origin=origin, synced_at=self.ctx.now))  # type: ignore[arg-type]

    # -- Pipedrive ---------------------------------------------------------------

    async def _pipedrive_one_safe(self, action) -> list[SyncEvent]:
        try:
            return await self._pipedrive_one(action)
        except (ApiError, ValueError, UnmappableItem) as exc:
            return [self._error(getattr(action, "item", None), "pipedrive", exc)]

    async def _pipedrive_one(self, action) -> list[SyncEvent]:
        ctx = self.ctx
        pd = ctx.services.pipedrive
        counts = ctx.summary.pipedrive
        if isinstance(action, DeletePipedrive):
            if action.inferred and await self._event_alive(action.link.google_id):
                # The event was only missing from the window's listing (it moved out of the
                # window): it was not deleted, so its activity stays.
                ctx.data.delete_link(action.link)
                return []
            deleted = await pd.delete_activity(action.link.pipedrive_id)
            ctx.data.delete_link(action.link)
            if not deleted:
                return []
            counts.deleted += 1
            return [
                self._event(
                    "delete",
                    None,
                    side="pipedrive",
                    reason=action.reason,
                    item_id=action.link.pipedrive_id,
                    title=action.link.title,
                )
            ]
        if isinstance(action, UpdatePipedrive):
            item = action.item
            if action.rewrite_google:
                item = await self._rewrite_google(action.link.google_id, item, action.link)
            body = pipedrive_body(
                item,
                ctx.options,
                marker=pipedrive_marker(action.item.id),
                private_mode=action.private_mode,
                create=False,
            )
            answer = await pd.update_activity(action.link.pipedrive_id, body)
            if answer is None:
                ctx.data.delete_link(action.link)
                return await self._create_pipedrive(item, action.private_mode, action.link.origin)
            self._link(item, item_from_pipedrive(answer), action.link.origin)
            counts.updated += 1
            return [self._event("update", item, side="pipedrive")]
        assert isinstance(action, CreateOnPipedrive)
        if action.replaces is None:
            return await self._create_pipedrive(action.item, action.private_mode)
        # A restore keeps the pair's origin (the side it started from).
        item = action.item
        if action.rewrite_google:
            item = await self._rewrite_google(action.replaces.google_id, item, None)
        ctx.data.delete_link(action.replaces)
        return await self._create_pipedrive(item, action.private_mode, action.replaces.origin)

    async def _rewrite_google(
        self, event_id: str, item: CalendarItem, link: Link | None
    ) -> CalendarItem:
        """Write event `item` (as read, without our linked-contacts additions) again under the
        current options, with the linked contacts of `link`'s activity (None: none); the event
        as Google now holds it. Done before the activity is written: if it fails, the activity
        is left as it was and the next run does the action again."""
        ctx = self.ctx
        body = google_body(
            item,
            ctx.options,
            event_id=None,
            linked=await self._linked(link.pipedrive_id) if link is not None else None,
            origin=None,
            default_tz=ctx.calendar_tz,
        )
        written = await ctx.services.google.patch_event(ctx.calendar_id, event_id, body)
        ctx.summary.google.updated += 1
        return item_from_google(written, ctx.calendar_tz)

    async def _create_pipedrive(
        self, item: CalendarItem, mode, origin: str = "google"
    ) -> list[SyncEvent]:
        ctx = self.ctx
        marker = pipedrive_marker(item.id)
        body = pipedrive_body(item, ctx.options, marker=marker, private_mode=mode, create=True)
        created = await ctx.services.pipedrive.create_activity(body, marker=marker, started=ctx.now)
        self._link(item, item_from_pipedrive(created), origin)
        ctx.summary.pipedrive.created += 1
        return [self._event("create", item, side="pipedrive")]


def batch_error(result: BatchResult, what: str) -> ValueError:
    message = (
        (result.body.get("error") or {}).get("message", "") if isinstance(result.body, dict) else ""
    )
    return ValueError(
        f"Google refused the {what} ({result.status} {result.reason}): {message}".strip()
    )
