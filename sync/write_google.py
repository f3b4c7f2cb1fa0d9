"""The Google side of `apply`: one handler per action that writes Google (delete, rewrite,
update, create), sent a chunk at a time as one batch request."""

from __future__ import annotations

import dataclasses

from . import intents
from .actions import (
    CreateOnGoogle,
    DeleteGoogle,
    RewriteGoogle,
    UpdateGoogle,
    pair_key,
    target_id,
    verb,
)
from .google_api import BatchOp, BatchResult
from .http import ApiError
from .linked import LinkedReader
from .mapping import UnmappableItem, google_body, google_event_id, item_from_google
from .models import CalendarItem, SyncEvent, origin_for
from .outcome import Ledger, Outcome, RunContext
from .report import event_for

MAX_ID_ATTEMPTS = 5
RECOVERED = "recovered an interrupted create"

GoogleAction = DeleteGoogle | RewriteGoogle | UpdateGoogle | CreateOnGoogle
FAILURES = (ApiError, ValueError, UnmappableItem)


class GoogleWriter:
    def __init__(
        self, ctx: RunContext, ledger: Ledger, outcome: Outcome, linked: LinkedReader
    ) -> None:
        self.ctx = ctx
        self.ledger = ledger
        self.outcome = outcome
        self.linked = linked
        self.google = ctx.services.google

    async def apply(self, actions: list[GoogleAction]) -> list[SyncEvent]:
        """Apply a chunk of Google writes as one batch; their events."""
        events: list[SyncEvent] = []
        ops: list[BatchOp] = []
        pending: list[tuple[GoogleAction, str | None]] = []
        for action in actions:
            try:
                op, chosen_id = await self._op(action)
            except FAILURES as exc:
                events.append(self._failed(action, exc))
                continue
            if op is not None:
                ops.append(op)
                pending.append((action, chosen_id))
        if not ops:
            return events
        if any(not isinstance(a, CreateOnGoogle) or a.replaces for a, _ in pending):
            # The intents (and dropped links) on disk before the writes go. A chunk of new
            # copies only needs its create intents written (a kill keeps them), as Pipedrive's.
            await self.ledger.durable()
        results = await self.google.batch(ops)
        for (action, chosen_id), result in zip(pending, results, strict=True):
            try:
                events.extend(await self._result(action, chosen_id, result))
            except FAILURES as exc:
                events.append(self._failed(action, exc))
            finally:  # landed and recorded, or answered with a refusal: settled either way
                self.ledger.done(pair_key(action))
        return events

    def _failed(self, action: GoogleAction, exc: Exception) -> SyncEvent:
        item = getattr(action, "item", None)
        return self.outcome.error(action, item, "google", exc, self.ctx.clock())

    def _done(
        self, action: GoogleAction, reason: str | None = None, written: str | None = None
    ) -> list[SyncEvent]:
        self.outcome.count("google", verb(action))
        self.ctx.landed("google", verb(action), written or target_id(action))
        event = event_for(action, self.ctx.clock(), reason=reason)
        assert event is not None
        return [event]

    # -- requests ------------------------------------------------------------------------

    async def _op(self, action: GoogleAction) -> tuple[BatchOp | None, str | None]:
        cal = self.ctx.calendar_id
        if isinstance(action, DeleteGoogle):
            if action.inferred and await self._activity_alive(action.link.pipedrive_id):
                # The activity was only missing from the listing (another owner now): it was
                # not deleted, so its event stays; the pair is no longer synced.
                self.ledger.forget(action.link)
                return None, None
            self.ledger.intend(intents.for_delete(action))
            return self.google.op_delete(cal, action.link.google_id), None
        if isinstance(action, RewriteGoogle):
            linked = await self.linked.of(action.link.pipedrive_id) if action.with_linked else None
            body = google_body(
                action.item,
                self.ctx.options,
                event_id=None,
                linked=linked,
                origin=None,
                default_tz=self.ctx.calendar_tz,
                event_meeting=action.item.meeting_url,  # written from itself: kept as it is
            )
        elif isinstance(action, UpdateGoogle):
            body = await self._body(action, None)
        else:
            if action.replaces is not None:
                # A restore: the old pair is forgotten for good before its copy is made again.
                self.ledger.forget(action.replaces)
            event_id = google_event_id(self.ctx.id_seed, action.item.id)
            body = await self._body(action, event_id)
            copy = item_from_google(body, self.ctx.calendar_tz)
            self.ledger.intend(
                intents.for_create(action, action.item, copy, "pipedrive", self.ctx.now)
            )
            return self.google.op_insert(cal, body), event_id
        current = self.ctx.seen.google.get(action.link.google_id) if self.ctx.seen else None
        intent = intents.for_google_update(action, body, current, self.ctx.calendar_tz)
        if intent is not None:
            self.ledger.intend(intent)
        return self.google.op_patch(cal, action.link.google_id, body), None

    async def _body(self, action: UpdateGoogle | CreateOnGoogle, event_id: str | None) -> dict:
        item = action.item
        only_time = isinstance(action, UpdateGoogle) and action.only_time
        if isinstance(action, UpdateGoogle) and action.keep_private:
            item = dataclasses.replace(item, private=True)
        own_event = isinstance(action, UpdateGoogle) and action.link.origin == "google"
        # Linked contacts are read only when they go into the copy: with the option off (or a
        # Busy placeholder) nothing of them is asked for (a request per write otherwise).
        wanted = self.ctx.options.linked_contacts and not only_time
        return google_body(
            item,
            self.ctx.options,
            event_id=event_id,
            linked=await self.linked.of(item.id) if wanted else None,
            origin=None if own_event else origin_for("pipedrive", item.id),
            default_tz=self.ctx.calendar_tz,
            only_time=only_time,
            event_meeting=action.event_meeting if isinstance(action, UpdateGoogle) else "",
        )

    async def _activity_alive(self, activity_id: str) -> bool:
        current = await self.ctx.services.pipedrive.get_activity(activity_id)
        return current is not None and not current.get("is_deleted")

    # -- answers -------------------------------------------------------------------------

    async def _result(
        self, action: GoogleAction, event_id: str | None, result: BatchResult
    ) -> list[SyncEvent]:
        if isinstance(action, DeleteGoogle):
            return self._deleted(action, result)
        if isinstance(action, RewriteGoogle):
            return self._rewritten(action, result)
        if isinstance(action, UpdateGoogle):
            return await self._updated(action, result)
        return await self._created(action, result)

    def _deleted(self, action: DeleteGoogle, result: BatchResult) -> list[SyncEvent]:
        if result.status not in (200, 204, 404, 410):
            raise batch_error(result, "delete")
        self.ledger.forget(action.link)
        return self._done(action) if result.status in (200, 204) else []

    def _rewritten(self, action: RewriteGoogle, result: BatchResult) -> list[SyncEvent]:
        if result.status != 200:
            raise batch_error(result, "update")
        written = item_from_google(result.body, self.ctx.calendar_tz)
        self.outcome.rewritten[pair_key(action)] = written
        self.ledger.side(action.link, "google", written)
        return self._done(action)

    async def _updated(self, action: UpdateGoogle, result: BatchResult) -> list[SyncEvent]:
        if result.status == 200:
            written = item_from_google(result.body, self.ctx.calendar_tz)
            self.ledger.pair(written, action.item, action.link.origin)
            return self._done(action)
        if result.status in (404, 410):
            # The event went meanwhile: the activity still wants a copy.
            self.ledger.forget(action.link)
            return await self.create_one(action.item)
        raise batch_error(result, "update")

    async def _created(self, action: CreateOnGoogle, result: BatchResult) -> list[SyncEvent]:
        # The event is (re-)made from the activity: a copy of it, even in a restore.
        if result.status == 200:
            made = item_from_google(result.body, self.ctx.calendar_tz)
            self.ledger.pair(made, action.item, "pipedrive")
            return self._done(action, written=made.id)
        if result.status == 409:
            return await self.create_one(action.item)
        raise batch_error(result, "create")

    async def create_one(self, item: CalendarItem) -> list[SyncEvent]:
        """Create one event outside a batch: adopt our own copy left by an interrupted run, or
        take the next id when the deterministic one belongs to a deleted event."""
        ctx = self.ctx
        for attempt in range(MAX_ID_ATTEMPTS):
            event_id = google_event_id(ctx.id_seed, item.id, attempt)
            existing = await self.google.get_event(ctx.calendar_id, event_id)
            if existing is not None and existing.get("status") == "cancelled":
                continue  # the id of a deleted event cannot be used again: take the next one
            body = google_body(
                item,
                ctx.options,
                event_id=None if existing is not None else event_id,
                linked=await self.linked.of(item.id),
                origin=origin_for("pipedrive", item.id),
                default_tz=ctx.calendar_tz,
                event_meeting=None if existing is not None else "",
            )
            if existing is not None:
                # Ours already (a crash before the link was saved): adopt it, bring it up to date.
                written = await self.google.patch_event(ctx.calendar_id, event_id, body)
            else:
                written = await self.google.insert_event(ctx.calendar_id, body)
            self.ledger.pair(item_from_google(written, ctx.calendar_tz), item, "pipedrive")
            self.outcome.count("google", "create")
            self.ctx.landed("google", "create", written.get("id"))
            create = CreateOnGoogle(item)
            event = event_for(
                create, ctx.clock(), reason=RECOVERED if existing is not None else None
            )
            assert event is not None
            return [event]
        raise ValueError(f"no free event id for activity {item.id} after {MAX_ID_ATTEMPTS} tries")


def batch_error(result: BatchResult, what: str) -> ValueError:
    message = (
        (result.body.get("error") or {}).get("message", "") if isinstance(result.body, dict) else ""
    )
    return ValueError(
        f"Google refused the {what} ({result.status} {result.reason}): {message}".strip()
    )
