"""The intent of a write, made before it is sent: what its target will hold once it lands
(predicted through the same mapping that reads it back) and what the pair's link will be.

A run killed between a write landing and its link being saved leaves the intent behind; the
next run's planner settles it (sync/planner.py `_settle`): a target that holds exactly the
predicted content was written by calsync, not edited by someone, and a target gone after a
delete intent was deleted by calsync. A create's copy carries a marker (a Pipedrive note, a
deterministic Google id and origin) that the planner relinks it by; its intent keeps what the
pair was when the copy was made, so that an edit to the original made after the kill and
before the next run is carried over instead of being taken as synced.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from .actions import (
    DeleteGoogle,
    DeletePipedrive,
    ResetPlaceholder,
    RewriteGoogle,
    UpdateGoogle,
    UpdatePipedrive,
    Write,
    pair_key,
)
from .mapping import item_from_google, item_from_pipedrive
from .models import CalendarItem, Intent, Link, Side


def for_delete(action: DeleteGoogle | DeletePipedrive) -> Intent:
    target = action.link.google_id if action.side == "google" else action.link.pipedrive_id
    return Intent(pair_key(action), "delete", action.side, target)


def for_google_update(
    action: UpdateGoogle | RewriteGoogle,
    body: dict[str, Any],
    current: CalendarItem | None,
    calendar_tz: str,
) -> Intent | None:
    """An event patch: the event once patched is `body` over what it holds (`current`, as
    listed this run); a patch of its times only needs `current` (None: no intent)."""
    link = action.link
    if isinstance(action, UpdateGoogle) and action.only_time:
        if current is None or current.deleted:
            return None
        times = item_from_google({"id": link.google_id, **body}, calendar_tz)
        written = dataclasses.replace(
            current, start=times.start, end=times.end, all_day=times.all_day
        )
    else:
        written = item_from_google({"id": link.google_id, **body}, calendar_tz)
    expect = written.fingerprint()
    after = dataclasses.replace(link, google_fingerprint=expect, google_version="")
    if isinstance(action, UpdateGoogle):  # the activity it was written from is the pair's now
        after = dataclasses.replace(
            after,
            pipedrive_fingerprint=action.item.fingerprint(),
            pipedrive_version=action.item.version,
        )
    return Intent(pair_key(action), "update", "google", link.google_id, expect, after)


def for_pipedrive_update(
    action: UpdatePipedrive | ResetPlaceholder, body: dict[str, Any], event: CalendarItem | None
) -> Intent:
    """An activity patch (its body carries every field the fingerprint reads); `event`: the
    pair's event as it is now (an UpdatePipedrive imports it)."""
    link = action.link
    written = item_from_pipedrive({"id": link.pipedrive_id, **body})
    expect = written.fingerprint()
    after: Link = dataclasses.replace(link, pipedrive_fingerprint=expect, pipedrive_version="")
    if event is not None:
        after = dataclasses.replace(
            after, google_fingerprint=event.fingerprint(), google_version=event.version
        )
    return Intent(pair_key(action), "update", "pipedrive", link.pipedrive_id, expect, after)


def for_create(
    action: Write,
    original: CalendarItem,
    copy: CalendarItem,
    origin: Side,
    now: datetime,
) -> Intent:
    """A copy about to be made of `original` (`copy`: the copy as the mapping predicts it,
    under any id): the pair's link as of now, to relink the copy by when its answer is lost."""
    google, pipedrive = (copy, original) if action.side == "google" else (original, copy)
    after = Link.from_items(google, pipedrive, origin=origin, synced_at=now)
    return Intent(pair_key(action), "create", action.side, original.id, after=after)
