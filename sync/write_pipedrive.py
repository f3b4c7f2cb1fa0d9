"""The Pipedrive side of `apply`: one handler per action that writes Pipedrive (delete, update,
create, placeholder reset), one request each (Pipedrive has no batch endpoint)."""

from __future__ import annotations

import dataclasses

from . import intents
from .actions import (
    CreateOnPipedrive,
    DeletePipedrive,
    ResetPlaceholder,
    UpdatePipedrive,
    pair_key,
    target_id,
    verb,
)
from .guests import GuestMatch
from .http import ApiError
from .mapping import UnmappableItem, item_from_pipedrive, pipedrive_body, pipedrive_marker
from .models import CalendarItem, Side, SyncEvent
from .options import PrivateMode
from .outcome import Ledger, Outcome, RunContext
from .report import event_for
from .review import review_item

PipedriveAction = DeletePipedrive | UpdatePipedrive | CreateOnPipedrive | ResetPlaceholder
FAILURES = (ApiError, ValueError, UnmappableItem)


class PipedriveWriter:
    def __init__(self, ctx: RunContext, ledger: Ledger, outcome: Outcome) -> None:
        self.ctx = ctx
        self.ledger = ledger
        self.outcome = outcome
        self.pipedrive = ctx.services.pipedrive

    async def apply(self, action: PipedriveAction) -> list[SyncEvent]:
        """Apply one Pipedrive write; its events (an error event if it failed). Its intent is
        settled once it landed or was refused; an error that leaves it unknown (a lost
        answer, a service gone) leaves the intent for the next run."""
        settled = False
        try:
            if isinstance(action, DeletePipedrive):
                events = await self._delete(action)
            elif isinstance(action, UpdatePipedrive):
                events = await self._update(action)
            elif isinstance(action, ResetPlaceholder):
                events = await self._reset(action)
            else:
                events = await self._create_from(action)
            settled = True
            return events
        except FAILURES as exc:
            if isinstance(action, ResetPlaceholder):
                # The event's time went back, the placeholder was not restored: the next run
                # must see the activity as changed and try again.
                self.ledger.side(action.link, "pipedrive", None)
            settled = True
            return [
                self.outcome.error(
                    action, getattr(action, "item", None), "pipedrive", exc, self.ctx.clock()
                )
            ]
        finally:
            if settled:
                self.ledger.done(pair_key(action))

    def _done(self, action: PipedriveAction) -> list[SyncEvent]:
        self.outcome.count("pipedrive", verb(action))
        self.ctx.landed("pipedrive", verb(action), target_id(action))
        event = event_for(action, self.ctx.clock())
        assert event is not None
        return [event]

    async def _delete(self, action: DeletePipedrive) -> list[SyncEvent]:
        if action.inferred and await self._event_alive(action.link.google_id):
            # The event was only missing from the window's listing (it moved out of the
            # window): it was not deleted, so its activity stays.
            self.ledger.forget(action.link)
            return []
        self.ledger.intend(intents.for_delete(action))
        await self.ledger.durable()
        deleted = await self.pipedrive.delete_activity(action.link.pipedrive_id)
        self.ledger.forget(action.link)
        return self._done(action) if deleted else []

    async def _update(self, action: UpdatePipedrive) -> list[SyncEvent]:
        item = self.outcome.rewritten.get(pair_key(action), action.item)
        body = pipedrive_body(
            item,
            self.ctx.options,
            marker=pipedrive_marker(action.item.id),
            private_mode=action.private_mode,
            create=False,
        )
        match = await self._guests_changed(action.link.pipedrive_id, body)
        self.ledger.intend(intents.for_pipedrive_update(action, body, item))
        await self.ledger.durable()
        answer = await self.pipedrive.update_activity(action.link.pipedrive_id, body)
        if answer is not None and match is not None and match.review and self.ctx.review:
            self.ctx.review.add(review_item(answer, match))
        if answer is None:
            # Gone meanwhile: the event still wants its activity.
            self.ledger.forget(action.link)
            return await self._create(action, item, action.private_mode, action.link.origin)
        self.ledger.pair(item, item_from_pipedrive(answer), action.link.origin)
        return self._done(action)

    async def _guests_changed(self, activity_id: str, body: dict) -> GuestMatch | None:
        """When the event's guests differ from the activity's (as read this run), the
        participants, organization and deal they give go into `body` (never over a link
        the user set by hand: GuestSource.changed_fields); the match, or None."""
        seen = self.ctx.seen
        current = seen.pipedrive.get(activity_id) if seen is not None else None
        if self.ctx.guests is None or current is None or "attendees" not in body:
            return None
        before = sorted({a.email.strip().lower() for a in current.attendees})
        after = sorted({str(a.get("email", "")).strip().lower() for a in body["attendees"]})
        if before == after:
            return None
        fields, match = await self.ctx.guests.changed_fields(
            body,
            before,
            self.ctx.contacts.get(activity_id) or {},
            create_persons=self.ctx.options.create_persons,
        )
        body.update(fields)
        return match

    async def _reset(self, action: ResetPlaceholder) -> list[SyncEvent]:
        body = pipedrive_body(
            dataclasses.replace(action.item, private=True),
            self.ctx.options,
            marker=pipedrive_marker(action.link.google_id),
            private_mode="busy",
            create=False,
        )
        self.ledger.intend(intents.for_pipedrive_update(action, body, None))
        await self.ledger.durable()
        answer = await self.pipedrive.update_activity(action.link.pipedrive_id, body)
        if answer is None:
            return []  # gone meanwhile: the next run sees it deleted
        self.ledger.side(action.link, "pipedrive", item_from_pipedrive(answer))
        return self._done(action)

    async def _create_from(self, action: CreateOnPipedrive) -> list[SyncEvent]:
        if action.replaces is None:
            return await self._create(action, action.item, action.private_mode, "google")
        # A restore keeps the pair's origin (the side it started from).
        item = self.outcome.rewritten.get(pair_key(action), action.item)
        # The old pair is forgotten for good before the activity is made again: a run killed
        # after the create finds the new activity by its marker, never the old link.
        self.ledger.forget(action.replaces)
        await self.ledger.durable()
        return await self._create(action, item, action.private_mode, action.replaces.origin)

    async def _create(
        self, action: PipedriveAction, item: CalendarItem, mode: PrivateMode, origin: Side
    ) -> list[SyncEvent]:
        marker = pipedrive_marker(item.id)
        body = pipedrive_body(item, self.ctx.options, marker=marker, private_mode=mode, create=True)
        match = None
        if self.ctx.guests is not None:
            fields, match = await self.ctx.guests.fields_for(
                body, create_persons=self.ctx.options.create_persons
            )
            body.update(fields)
        copy = item_from_pipedrive({**body, "id": 0})
        # Written to the journal at once (a SIGKILL keeps it), not waited on to disk: lost only
        # with the machine, when the copy is still relinked by its marker, as it is now.
        self.ledger.intend(intents.for_create(action, item, copy, origin, self.ctx.now))
        created = await self.pipedrive.create_activity(body, marker=marker, started=self.ctx.now)
        self.ledger.pair(item, item_from_pipedrive(created), origin)
        if match is not None and match.review and self.ctx.review is not None:
            self.ctx.review.add(review_item(created, match))
        self.outcome.count("pipedrive", "create")
        self.ctx.landed("pipedrive", "create", str(created["id"]))
        event = event_for(
            CreateOnPipedrive(item, mode, getattr(action, "replaces", None)), self.ctx.clock()
        )
        assert event is not None
        return [event]

    async def _event_alive(self, event_id: str) -> bool:
        current = await self.ctx.services.google.get_event(self.ctx.calendar_id, event_id)
        return current is not None and current.get("status") != "cancelled"
