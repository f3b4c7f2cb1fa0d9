"""The writable fields of an event body, checked and normalised as Calendar v3 stores them.

A value of the wrong JSON type is a 400 `invalid` (Google's parser refuses it before the
method runs; the wording is the sandbox's). Attendees get `responseStatus: needsAction`
unless given, `self` on the calendar owner's entry and `organizer` on the organizer's.
`attendeesOmitted: true` in a write means the attendees sent are only some of them (the
participant's own response, typically): they update the stored list by email, the others
stay. Google documents that use; the flag itself is not stored.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from . import errors

STRINGS = ("summary", "description", "location", "colorId", "transparency", "visibility")
BOOLS = ("guestsCanInviteOthers", "guestsCanModify", "guestsCanSeeOtherGuests", "anyoneCanAddSelf")
# Fields the client writes and reads back as they were sent.
PASSTHROUGH = (*STRINGS, *BOOLS, "attendees", "extendedProperties", "reminders", "source")
RESPONSES = ("needsAction", "declined", "tentative", "accepted")
REMINDER_METHODS = ("email", "popup")


def _bad(name: str) -> errors.GoogleError:
    return errors.invalid(f"Invalid value for {name}.")


def _strings(value: object, name: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _bad(name)
    out = {}
    for key, item in value.items():
        if item is None:
            continue
        if isinstance(item, dict | list):
            raise _bad(f"{name}.{key}")
        out[str(key)] = str(item)
    return out


def _reminders(value: object) -> dict:
    if not isinstance(value, dict):
        raise _bad("reminders")
    out: dict = {}
    if "useDefault" in value:
        if not isinstance(value["useDefault"], bool):
            raise _bad("reminders.useDefault")
        out["useDefault"] = value["useDefault"]
    if value.get("overrides") is not None:
        overrides = value["overrides"]
        if not isinstance(overrides, list) or len(overrides) > 5:
            raise _bad("reminders.overrides")
        for item in overrides:
            minutes = item.get("minutes") if isinstance(item, dict) else None
            if (
                not isinstance(item, dict)
                or item.get("method") not in REMINDER_METHODS
                or type(minutes) is not int
                or not 0 <= minutes <= 40320
            ):
                raise _bad("reminders.overrides")
        if out.get("useDefault"):
            raise errors.GoogleError(
                400, "cannotUseDefaultRemindersAndSpecifyOverride",
                "Cannot specify both default reminders and overrides at the same time.",
            )  # fmt: skip
        out["overrides"] = [dict(o) for o in overrides]
    return out


# The attendee fields kept besides the email, each with the check its value must pass.
_ATTENDEE_FIELDS: dict[str, Callable[[object], bool]] = {
    "displayName": lambda v: isinstance(v, str),
    "comment": lambda v: isinstance(v, str),
    "id": lambda v: isinstance(v, str),
    "optional": lambda v: isinstance(v, bool),
    "resource": lambda v: isinstance(v, bool),
    "additionalGuests": lambda v: type(v) is int and v >= 0,
    "responseStatus": lambda v: v in RESPONSES,
}


def attendee(given: object, organizer: str, owner: str) -> dict:
    """One attendee as stored: with `responseStatus`, and `self` / `organizer` where they hold."""
    if not isinstance(given, dict) or not given.get("email"):
        raise errors.required("Missing attendee email.")
    if not isinstance(given["email"], str):
        raise _bad("attendees.email")
    out: dict = {}
    for key, value in given.items():  # in the order given, as Google echoes them
        if value is None:
            continue
        if key == "email":
            out["email"] = value.strip()
        elif key in _ATTENDEE_FIELDS:
            if not _ATTENDEE_FIELDS[key](value):
                raise _bad(f"attendees.{key}")
            out[key] = value
    out.setdefault("responseStatus", "needsAction")
    if out["email"].lower() == organizer.lower():
        out["organizer"] = True
    if out["email"].lower() == owner.lower():
        out["self"] = True
    return out


def normalise(body: dict, *, organizer: str, owner: str) -> dict:
    """The passthrough fields of a resource body, type-checked, as the event stores them."""
    out = _scalars(body)
    if body.get("attendees") is not None:
        given = body["attendees"]
        if not isinstance(given, list):
            raise _bad("attendees")
        out["attendees"] = [attendee(a, organizer, owner) for a in given]
    props = body.get("extendedProperties")
    if props is not None:
        if not isinstance(props, dict):
            raise _bad("extendedProperties")
        out["extendedProperties"] = {
            scope: _strings(props[scope] or {}, f"extendedProperties.{scope}")
            for scope in ("private", "shared")
            if scope in props
        }
    if body.get("reminders") is not None:
        out["reminders"] = _reminders(body["reminders"])
    if body.get("source") is not None:
        out["source"] = _source(body["source"])
    return out


def _scalars(body: dict) -> dict:
    """The string and boolean fields, type-checked, transparency and visibility by value."""
    out: dict = {}
    for names, kind in ((STRINGS, str), (BOOLS, bool)):
        for name in names:
            value = body.get(name)
            if value is not None:
                if not isinstance(value, kind):
                    raise _bad(name)
                out[name] = value
    if out.get("transparency") not in (None, "opaque", "transparent"):
        raise errors.invalid("Invalid transparency value.")
    if out.get("visibility") not in (None, "default", "public", "private", "confidential"):
        raise errors.invalid("Invalid visibility value.")
    return out


def _source(source: object) -> dict:
    """An event's `source`: a title and a URL, both strings."""
    if not isinstance(source, dict) or not all(
        isinstance(source.get(k, ""), str) for k in ("title", "url")
    ):
        raise _bad("source")
    return copy.deepcopy(source)


def merge_omitted(given: list[dict], stored: list[dict]) -> list[dict]:
    """Attendees after a write with `attendeesOmitted`: the given ones replace theirs by email."""
    by_email = {a["email"].lower(): a for a in given}
    merged = [by_email.pop(a["email"].lower(), a) for a in stored]
    return merged + list(by_email.values())
