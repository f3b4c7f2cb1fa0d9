"""The sync options of Pipedrive's Calendar sync page, as one validated frozen value."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from .errors import OptionError, UsageError

SyncType = Literal["one-way", "two-way"]
PrivateMode = Literal["private", "busy", "public", "skip"]

SYNC_TYPES: tuple[str, ...] = ("one-way", "two-way")
BLOCKS: tuple[str, ...] = ("out-of-office", "focus-time")
"""The Google event types that `import_blocks` can import (as the CLI names them)."""
PRIVATE_MODES: tuple[str, ...] = ("private", "busy", "public", "skip")
DEFAULT_PUSH_TYPES: tuple[str, ...] = ("call", "meeting", "task", "deadline", "email", "lunch")
MAX_WINDOW_DAYS = 3650

# Pipedrive activity type key_strings: lowercase words joined by underscores (custom types
# get keys such as "demo_call"); Google calendar ids are e-mail-like, so they are only
# checked for being one non-blank token.
_TYPE_KEY = re.compile(r"^[a-z0-9][a-z0-9_]*$")

JSON_KEYS: tuple[str, ...] = (
    "calendar",
    "sync_type",
    "save_as",
    "push_types",
    "private",
    "linked_contacts",
    "window_past_days",
    "window_future_days",
    "import_blocks",
    "create_persons",
)


@dataclass(frozen=True, slots=True)
class Options:
    """One account's sync options; field names are the `calsync options --json` keys."""

    calendar: str = "primary"
    """The Google calendar that is synced: a calendarList id, or the alias `primary`."""
    sync_type: SyncType = "two-way"
    """`two-way`: both directions. `one-way`: Pipedrive -> Google only; nothing comes back."""
    save_as: str = "meeting"
    """The activity type key_string given to activities created from Google events."""
    push_types: tuple[str, ...] = DEFAULT_PUSH_TYPES
    """Activity type key_strings that go to Google; others stay in Pipedrive."""
    private: PrivateMode = "private"
    """How private/confidential Google events land in Pipedrive: private, busy, public or skip."""
    linked_contacts: bool = False
    """Put the linked person/organization/deal into the Google event (off by default:
    nothing of the CRM leaves Pipedrive unless the user asks for it)."""
    window_past_days: int = 30
    """Days back from now that are synced."""
    window_future_days: int = 365
    """Days ahead of now that are synced."""
    import_blocks: tuple[str, ...] = ()
    """Google's out-of-office and focus-time blocks imported as busy activities (a subset
    of BLOCKS); none by default: they are the user's own time, not meetings."""
    create_persons: bool = False
    """Create a Pipedrive person for each external guest of a Google event that matches no
    person (once: found again by e-mail, never made twice); off by default."""

    def __post_init__(self) -> None:
        _validate(self)

    def to_json(self) -> dict[str, Any]:
        """The `options --json` keys, JSON-ready (push_types and import_blocks as lists)."""
        return {
            "calendar": self.calendar,
            "sync_type": self.sync_type,
            "save_as": self.save_as,
            "push_types": list(self.push_types),
            "private": self.private,
            "linked_contacts": self.linked_contacts,
            "window_past_days": self.window_past_days,
            "window_future_days": self.window_future_days,
            "import_blocks": list(self.import_blocks),
            "create_persons": self.create_persons,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Options:
        """Options from a JSON object; missing keys take their defaults, unknown keys are refused."""
        if not isinstance(data, dict):
            raise UsageError("options must be a JSON object")
        unknown = sorted(set(data) - set(JSON_KEYS))
        if unknown:
            raise UsageError(
                f"unknown option {unknown[0]!r}: known options are {', '.join(JSON_KEYS)}"
            )
        values = dict(data)
        if "push_types" in values:
            values["push_types"] = _as_types(values["push_types"])
        if "import_blocks" in values:
            values["import_blocks"] = _as_blocks(values["import_blocks"])
        return cls(**values)

    def replace(self, **changes: Any) -> Options:
        """A copy with `changes` applied and validated (UsageError on a bad value or key)."""
        unknown = sorted(set(changes) - set(JSON_KEYS))
        if unknown:
            raise UsageError(f"unknown option {unknown[0]!r}")
        if "push_types" in changes:
            changes["push_types"] = _as_types(changes["push_types"])
        if "import_blocks" in changes:
            changes["import_blocks"] = _as_blocks(changes["import_blocks"])
        return dataclasses.replace(self, **changes)

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """The sync window around `now` in UTC: [start, end).

        Whole UTC days (start at midnight `window_past_days` ago, end at the midnight after
        `window_future_days` ahead) so that repeated runs on one day see the same window.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        today = now.astimezone(UTC).date()
        start = datetime.combine(today - timedelta(days=self.window_past_days), time(), UTC)
        end = datetime.combine(today + timedelta(days=self.window_future_days + 1), time(), UTC)
        return start, end


def parse_push_types(text: str) -> tuple[str, ...]:
    """`--push-types call,meeting` -> ("call", "meeting"); blanks and duplicates dropped.
    `none` is the empty set (nothing goes to the calendar); an empty value is refused, so
    that a script's unset variable cannot silently mean "no types"."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise UsageError(
            "--push-types needs activity types, e.g. call,meeting (or none: nothing goes to "
            "the calendar)"
        )
    if [p.lower() for p in parts] == ["none"]:
        return ()
    return _as_types(parts)


def parse_import_blocks(text: str) -> tuple[str, ...]:
    """`--import-blocks out-of-office,focus-time` -> both; `none` -> (); anything else is bad
    usage (an empty value too, as for --push-types)."""
    parts = [part.strip().lower() for part in text.split(",") if part.strip()]
    if parts == ["none"]:
        return ()
    if not parts:
        raise UsageError(
            "--import-blocks needs out-of-office, focus-time or both (or none: neither)"
        )
    return _as_blocks(parts)


def _as_blocks(value: Any) -> tuple[str, ...]:
    """import_blocks in BLOCKS order, without duplicates (UsageError on an unknown name)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise UsageError("import_blocks must be a list: out-of-office, focus-time")
    for name in value:
        if name not in BLOCKS:
            raise OptionError(
                "import_blocks",
                f"unknown --import-blocks entry {name!r}: choose out-of-office, focus-time or none",
                f"{name!r} is not out-of-office or focus-time.",
            )
    return tuple(b for b in BLOCKS if b in value)


def options_used(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The options a past run stored (Options.to_json() of its day), with the keys added
    since then at their defaults: a store written before a new option compares equal to
    the same options now, so an upgrade alone reshapes nothing and forces no full run."""
    if data is None:
        return None
    return {**Options().to_json(), **data}


def _as_types(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise UsageError("push_types must be a list of activity type keys")
    seen: dict[str, None] = {}
    for key in value:
        seen.setdefault(key, None)
    return tuple(seen)


def _validate(o: Options) -> None:
    _validate_choices(o)
    _validate_types(o)
    for name in ("linked_contacts", "create_persons"):
        if not isinstance(getattr(o, name), bool):
            raise UsageError(f"{name} must be true or false")
    if not isinstance(o.import_blocks, tuple) or any(b not in BLOCKS for b in o.import_blocks):
        raise UsageError("import_blocks must be a list: out-of-office, focus-time")
    _validate_window(o)


def _validate_choices(o: Options) -> None:
    """The calendar, the sync type and the private mode."""
    if not isinstance(o.calendar, str) or not o.calendar.strip() or len(o.calendar.split()) != 1:
        raise OptionError(
            "calendar",
            f"bad --calendar {o.calendar!r}: give a calendar id, its name or 'primary'",
            "Choose a calendar to sync.",
        )
    if o.sync_type not in SYNC_TYPES:
        raise OptionError(
            "sync_type",
            f"unknown --sync-type {o.sync_type!r}: choose one-way or two-way",
            "Choose one-way or two-way.",
        )
    if o.private not in PRIVATE_MODES:
        raise OptionError(
            "private",
            f"unknown --private {o.private!r}: choose private, busy, public or skip",
            "Choose how private events are synced.",
        )


def _validate_types(o: Options) -> None:
    """save_as and push_types: activity type keys."""
    if not isinstance(o.save_as, str) or not _TYPE_KEY.match(o.save_as):
        raise OptionError(
            "save_as",
            f"bad --save-as {o.save_as!r}: give an activity type key such as 'meeting'",
            "Choose an activity type.",
        )
    if not isinstance(o.push_types, tuple):
        raise UsageError("push_types must be a list of activity type keys")
    for key in o.push_types:
        if not isinstance(key, str) or not _TYPE_KEY.match(key):
            raise OptionError(
                "push_types",
                f"bad --push-types entry {key!r}: give activity type keys such as 'call'",
                f"{key!r} is not an activity type.",
            )


def _validate_window(o: Options) -> None:
    for field, flag, days in (
        ("window_past_days", "--window-past", o.window_past_days),
        ("window_future_days", "--window-future", o.window_future_days),
    ):
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_WINDOW_DAYS:
            raise OptionError(
                field,
                f"bad {flag} {days!r}: give a whole number of days from 0 to {MAX_WINDOW_DAYS}",
                f"A whole number of days from 0 to {MAX_WINDOW_DAYS}.",
            )
