"""Google's event types and the rules the API enforces for each (events.insert/update/patch).

From Google's guides "Event types" and "Manage focus time, out of office, and working
location events":

- `default`: any event; what an event without `eventType` is.
- `outOfOffice`, `focusTime`: primary calendar only; timed, never all-day; opaque; with
  `outOfOfficeProperties` / `focusTimeProperties`.
- `workingLocation`: primary calendar only; `visibility: public`, `transparency:
  transparent`; timed, or all-day spanning exactly one day; `workingLocationProperties` with
  a `type` of homeOffice / officeLocation / customLocation; not through the batch endpoint.
- `birthday`: all-day, exactly one day, yearly (`RRULE:FREQ=YEARLY`, or
  `RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1` for 29 February), private and transparent;
  `birthdayProperties.type` only `birthday` through the API; only colorId, summary, reminders
  and the dates can change later, and birthdays synced from Contacts (with a `contact`)
  cannot be changed or deleted at all.
- `fromGmail`: made by Gmail, never through the API; later changes may touch only colorId,
  reminders, visibility, transparency, status, attendees' responses and extended properties.
- The type of an event never changes.

Refusals are 400 `eventTypeRestriction` in the `calendar` domain with Google's wording
"Attempt made to ... '<type>' event in a way that is not valid for this event type.", the
sandbox appending which rule was broken (Google's own answer does not say).
Sandbox choices where the guides are silent: attendees and conference data are refused on
out-of-office, focus-time and working-location events (they are about the user alone); a
PUT without `eventType` keeps the event's type; birthdays may be made on any calendar.
"""

from __future__ import annotations

from datetime import datetime

from . import errors

TYPES = ("default", "birthday", "focusTime", "fromGmail", "outOfOffice", "workingLocation")
PROPERTIES = {
    "outOfOffice": "outOfOfficeProperties",
    "focusTime": "focusTimeProperties",
    "workingLocation": "workingLocationProperties",
    "birthday": "birthdayProperties",
}
STATUS_TYPES = ("outOfOffice", "focusTime", "workingLocation")
AUTO_DECLINE = (
    "declineNone",
    "declineAllConflictingInvitations",
    "declineOnlyNewConflictingInvitations",
)
CHAT_STATUS = ("available", "doNotDisturb")
WORKING_LOCATIONS = ("homeOffice", "officeLocation", "customLocation")
BIRTHDAY_RULES = (["RRULE:FREQ=YEARLY"], ["RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"])
# What may still change on an existing event of these types (all else must stay as it was).
MUTABLE = {
    "fromGmail": {
        "colorId", "reminders", "visibility", "transparency", "status", "attendees",
        "extendedProperties",
    },
    "birthday": {"colorId", "summary", "reminders", "start", "end"},
}  # fmt: skip
HELP = "https://developers.google.com/workspace/calendar/api/guides/event-types"


def restriction(event_type: str, rule: str, verb: str = "create") -> errors.GoogleError:
    message = (
        f"Attempt made to {verb} '{event_type}' event in a way that is not valid for this "
        f"event type: {rule}"
    )
    return errors.GoogleError(400, "eventTypeRestriction", message, domain="calendar")


def of(body: dict, old_type: str | None) -> str:
    """The type a write gives the event: the body's, else the old one, else `default`."""
    given = body.get("eventType")
    if given is None:
        return old_type or "default"
    if given not in TYPES:
        raise errors.invalid(f"Invalid value for eventType: {str(given)[:100]}")
    if old_type is not None and given != old_type:
        raise restriction(old_type, "the type of an event cannot be changed", "modify")
    return given


def _choice(value: object, allowed: tuple[str, ...], what: str) -> None:
    if value is not None and value not in allowed:
        raise errors.invalid(f"Invalid value for {what}: {str(value)[:100]}")


def _object(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise errors.invalid(f"Invalid value for {what}.")
    return value


def _string(value: object, what: str) -> None:
    if value is not None and not isinstance(value, str):
        raise errors.invalid(f"Invalid value for {what}.")


def properties(
    event_type: str, body: dict, old: dict | None = None, *, seeding: bool = False
) -> dict:
    """The type's own properties from a body, checked (other types' properties are refused).

    `old` is the event's stored fields on an update: read-only parts may come back as they were.
    """
    out: dict = {}
    for kind, name in PROPERTIES.items():
        if body.get(name) is None:
            continue
        if kind != event_type:
            raise restriction(event_type, f"{name} belongs to '{kind}' events")
        props = _object(body[name], name)
        if kind in ("outOfOffice", "focusTime"):
            _block_properties(kind, name, props)
        elif kind == "workingLocation":
            _working_location_properties(name, props)
        else:
            kept = props if seeding else (old or {}).get(name) or {}
            _birthday_properties(event_type, name, props, kept)
        out[name] = dict(props)
    return out


def _block_properties(kind: str, name: str, props: dict) -> None:
    """Out of office and focus time: how they decline, and focus time's chat status."""
    _choice(props.get("autoDeclineMode"), AUTO_DECLINE, f"{name}.autoDeclineMode")
    _string(props.get("declineMessage"), f"{name}.declineMessage")
    if kind == "focusTime":
        _choice(props.get("chatStatus"), CHAT_STATUS, f"{name}.chatStatus")


def _working_location_properties(name: str, props: dict) -> None:
    """A working location: its type, and the strings of an office or custom location."""
    if props.get("type") is None:
        raise errors.required("Missing workingLocationProperties.type.")
    _choice(props.get("type"), WORKING_LOCATIONS, f"{name}.type")
    for sub in ("officeLocation", "customLocation"):
        if props.get(sub) is not None:
            for key, value in _object(props[sub], f"{name}.{sub}").items():
                _string(value, f"{name}.{sub}.{key}")


def _birthday_properties(event_type: str, name: str, props: dict, kept: dict) -> None:
    """A birthday: the contact and custom name are read-only (`kept`: what they were; the
    sandbox's seed makes what Contacts and Gmail make), and only birthdays can be made."""
    for key in ("contact", "customTypeName"):
        if props.get(key) and props.get(key) != kept.get(key):
            raise restriction(event_type, f"{name}.{key} is read-only")
    if props.get("type", "birthday") != kept.get("type", "birthday"):
        raise restriction(event_type, "only birthdays can be made through the API")


# What a birthday may carry besides its own fields.
_BIRTHDAY_FIELDS = {
    "summary",
    "colorId",
    "reminders",
    "birthdayProperties",
    "visibility",
    "transparency",
    "eventType",
}


def check_new(
    event_type: str,
    fields: dict,
    *,
    primary: bool,
    start: object,
    end: object,
    recurrence: list[str] | None,
    batch: bool,
    seeding: bool = False,
    insert: bool = True,
) -> None:
    """Google's creation rules for a type (insert, and the shape an update must keep)."""
    if event_type == "default":
        return
    if event_type == "fromGmail" and insert and not seeding:
        raise restriction(event_type, "events from Gmail cannot be created through the API")
    all_day = not isinstance(start, datetime)
    one_day = all_day and (end - start).days == 1  # type: ignore[operator]
    name = PROPERTIES.get(event_type)
    if name is not None and name not in fields and not seeding:
        raise restriction(event_type, f"{name} is required")
    if event_type in STATUS_TYPES:
        _check_status_type(event_type, fields, primary)
    if event_type in ("outOfOffice", "focusTime"):
        if all_day:
            raise restriction(event_type, "it cannot be an all-day event")
        if fields.get("transparency", "opaque") != "opaque":
            raise restriction(event_type, "transparency must be opaque")
    elif event_type == "workingLocation":
        _check_working_location(fields, batch=batch, all_day=all_day, one_day=one_day)
    elif event_type == "birthday":
        if not one_day:
            raise restriction(event_type, "it is an all-day event of exactly one day")
        _check_birthday(fields, recurrence, strict=insert and not seeding)


def _check_status_type(event_type: str, fields: dict, primary: bool) -> None:
    """Out of office, focus time and working locations: the owner's own, on the primary."""
    if not primary:
        raise restriction(event_type, "only on the primary calendar")
    if fields.get("attendees"):
        raise restriction(event_type, "it cannot have attendees")
    if fields.get("conferenceData"):
        raise restriction(event_type, "it cannot have conference data")


def _check_working_location(fields: dict, *, batch: bool, all_day: bool, one_day: bool) -> None:
    event_type = "workingLocation"
    if batch:
        raise restriction(event_type, "not through the batch endpoint", "write")
    if fields.get("visibility") != "public":
        raise restriction(event_type, "visibility must be public")
    if fields.get("transparency") != "transparent":
        raise restriction(event_type, "transparency must be transparent")
    if all_day and not one_day:
        raise restriction(event_type, "an all-day working location spans exactly one day")


def _check_birthday(fields: dict, recurrence: list[str] | None, *, strict: bool) -> None:
    """A yearly, private, transparent event; `strict` (an insert through the API): nothing
    else on it."""
    event_type = "birthday"
    if recurrence not in BIRTHDAY_RULES:
        raise restriction(event_type, "its recurrence is RRULE:FREQ=YEARLY")
    if fields.get("visibility") != "private" or fields.get("transparency") != "transparent":
        raise restriction(event_type, "it is private and transparent")
    extra = set(fields) - _BIRTHDAY_FIELDS
    if extra and strict:
        raise restriction(event_type, f"it cannot have {', '.join(sorted(extra))}")


def check_change(event_type: str, old_body: dict, new_body: dict, contact: bool) -> None:
    """What an update or patch may change on an event of this type."""
    if event_type == "birthday" and contact:
        if _changed(old_body, new_body):
            raise restriction(event_type, "birthdays from Contacts are changed there", "modify")
        return
    allowed = MUTABLE.get(event_type)
    if allowed is None:
        return
    changed = _changed(old_body, new_body) - allowed
    if changed:
        raise restriction(event_type, f"{', '.join(sorted(changed))} cannot change", "modify")


def check_delete(event_type: str, contact: bool) -> None:
    if event_type == "birthday" and contact:
        raise restriction(event_type, "birthdays from Contacts are deleted there", "modify")


def _changed(old: dict, new: dict) -> set[str]:
    return {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
