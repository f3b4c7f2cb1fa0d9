"""Which Google events become Pipedrive activities: by Google's event type, the
`import_blocks` option, and the calendar owner's own response to an invitation.

Since 2024 `events.list` returns every event type unless `eventTypes` narrows it. Working
locations (every working day), birthdays and events Gmail made (flights, hotels, bookings)
are never activities, and are not even listed (`eventTypes`: `listed_types`).
Out-of-office and focus time are the user's own blocks, listed and imported as busy
activities only when `import_blocks` names them; the run that drops one from the option
lists its events once more (`dropped_types`), to remove the activities made from them.
docs/planner.md has the table.
"""

from __future__ import annotations

from .mapping import BLOCK_EVENT_TYPES
from .models import CalendarItem
from .options import BLOCKS, Options

BLOCK_TYPES = dict(zip(BLOCKS, BLOCK_EVENT_TYPES, strict=True))
"""import_blocks' names (as the CLI says them) -> Google's eventType."""


def listed_types(options: Options) -> tuple[str, ...]:
    """The `eventTypes` of every events.list under these options: default events and the
    blocks imported. (The same in a full listing and in the incremental ones that follow
    its sync token, as Google asks: a change of the option is a full run.)"""
    return ("default", *(BLOCK_TYPES[b] for b in options.import_blocks))


def dropped_types(options: Options, used: dict | None) -> tuple[str, ...]:
    """The block types the last complete run imported (`used`: its options) and these
    options no longer do: listed once more, so that their activities can go."""
    before = (used or {}).get("import_blocks") or ()
    return tuple(BLOCK_TYPES[b] for b in BLOCKS if b in before and b not in options.import_blocks)


_NEVER = {
    "workingLocation": ("working-location", "a working-location entry: never an activity"),
    "birthday": ("birthday", "a birthday: never an activity"),
    "fromGmail": ("from-gmail", "made by Gmail from a mail (flight, hotel, booking): never an activity"),
}  # fmt: skip
_BLOCKS = {
    "outOfOffice": ("out-of-office", "out of office"),
    "focusTime": ("focus-time", "focus time"),
}
DECLINED = ("declined", "an invitation you declined")


def not_imported(item: CalendarItem, options: Options) -> tuple[str, str] | None:
    """(reason code, reason) when Google event `item` must not be an activity; None when it
    may be (the other rules still apply: the window, the private mode, the limits)."""
    if item.event_type in _NEVER:
        return _NEVER[item.event_type]
    if item.event_type in _BLOCKS:
        code, what = _BLOCKS[item.event_type]
        if code not in options.import_blocks:
            return code, f"{what}: not imported (calsync options --import-blocks {code})"
    if item.declined:
        return DECLINED
    return None
