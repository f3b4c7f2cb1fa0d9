"""The one place an action (planned, or applied) becomes a SyncEvent: the preview of a dry run,
the executor's log and the tests all read the same events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .actions import (
    Action,
    Conflict,
    CreateOnGoogle,
    CreateOnPipedrive,
    ForgetLink,
    Note,
    Pair,
    Relink,
    ResetPlaceholder,
    RewriteGoogle,
    Skip,
    Write,
    target_id,
    verb,
)
from .models import CalendarItem, SyncEvent

RESTORED = "restored (changed on one side, deleted on the other)"
REWRITTEN = "written again under the changed options"
PLACEHOLDER = "kept as a Busy placeholder: the event is private"


def event_for(
    action: Action, at: datetime, *, reason: str | None = None, **detail: Any
) -> SyncEvent | None:
    """The event that reports `action` at `at`; None for the bookkeeping actions (Relink,
    ForgetLink) that the log does not show. `reason` overrides the action's own; `detail`
    is added to the event's (e.g. `dry_run=True` for a preview)."""
    if isinstance(action, Relink | ForgetLink):
        return None
    if isinstance(action, Pair):
        link = action.link
        return SyncEvent(
            "pair",
            None,
            link.title,
            link.start,
            reason or action.reason,
            link.google_id,
            at,
            {"google_id": link.google_id, "pipedrive_id": link.pipedrive_id, **detail},
        )
    if isinstance(action, Note):
        return SyncEvent(
            "skip",
            None,
            "",
            None,
            reason or action.reason,
            None,
            at,
            {"code": action.code, **detail},
        )
    if isinstance(action, Skip):
        item = action.item
        return SyncEvent(
            "skip",
            None,
            item.title,
            item.start,
            reason or action.reason,
            item.id,
            at,
            {"code": action.code, "from": item.side, **detail},
        )
    if isinstance(action, Conflict):
        return _conflict(action, at, reason, detail)
    return _write(action, at, reason, detail)


def _conflict(action: Conflict, at: datetime, reason: str | None, detail: dict) -> SyncEvent:
    w, loser = action.winner, action.loser
    return SyncEvent(
        "conflict",
        loser.side,  # where the winner's content is written
        w.title,
        w.start,
        reason or action.reason,
        loser.id,
        at,
        {
            "winner": {"side": w.side, "id": w.id, "version": w.version, "updated": w.updated},
            "loser": {
                "side": loser.side,
                "id": loser.id,
                "version": loser.version,
                "updated": loser.updated,
                "title": loser.title,
                "start": loser.start,
                "end": loser.end,
                "location": loser.location,
                "description": loser.description,
            },
            **detail,
        },
    )


def _write(action: Write, at: datetime, reason: str | None, detail: dict) -> SyncEvent:
    kind = verb(action)
    item: CalendarItem | None = getattr(action, "item", None)
    link = getattr(action, "link", None) or getattr(action, "replaces", None)
    extra: dict[str, Any] = {}
    if item is not None:
        extra["from"] = item.side
        if kind == "update":
            extra["source_id"] = item.id
    if kind == "delete":
        extra["inferred"] = action.inferred  # type: ignore[union-attr]
    if isinstance(action, CreateOnGoogle | CreateOnPipedrive) and action.replaces is not None:
        extra["restores"] = "link"
    return SyncEvent(
        kind,  # type: ignore[arg-type]
        action.side,
        item.title if item is not None else (link.title if link is not None else ""),
        item.start if item is not None else (link.start if link is not None else None),
        reason if reason is not None else _reason(action),
        target_id(action) or (item.id if item is not None else None),
        at,
        {**extra, **detail},
    )


def _reason(action: Write) -> str:
    if isinstance(action, CreateOnGoogle | CreateOnPipedrive):
        return RESTORED if action.replaces is not None else ""
    if isinstance(action, RewriteGoogle):
        return REWRITTEN
    if isinstance(action, ResetPlaceholder):
        return PLACEHOLDER
    return getattr(action, "reason", "")
