"""Request validation as strict as Pipedrive v2's: JSON types are never coerced; anything malformed is a 400.

Decisions where the real API is not documented:
- unknown body fields (and read-only ones such as `id`, `add_time`, `update_time`) are ignored,
  except `person_id` on activities, which is refused: it is derived from `participants`;
- the sandbox's length limits: subject, names, emails, phones and location 255 characters;
  note and public_description 100,000; `conference_meeting_url` 2,048 (a link); at most 100
  participants/attendees, 50 emails/phones;
- `duration` may exceed 24 hours (a multi-day span), up to 999:59.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.datastructures import QueryParams

from . import errors

MAX_BODY = 2_000_000
MAX_SHORT = 255
MAX_TEXT = 100_000
MAX_URL = 2048
MAX_ID = 2**31 - 1
MAX_ITEMS = 100
ATTENDEE_STATUSES = ("noreply", "accepted", "declined", "tentative")
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?", re.ASCII)
_DURATION = re.compile(r"(\d{1,3}):([0-5]\d)(?::([0-5]\d))?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DIGITS = re.compile(r"[0-9]{1,10}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def fail(field: str, message: str) -> errors.PipedriveError:
    return errors.validation(f"Validation failed: {field}: {message}")


# -- bodies ---------------------------------------------------------------------------------


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_body(raw: bytes) -> dict:
    """The request body as a JSON object, or 400."""
    if len(raw) > MAX_BODY:
        raise errors.validation("Validation failed: body: The request body is too large")
    try:
        data = json.loads(raw, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise errors.bad_json() from None
    if not isinstance(data, dict):
        raise errors.bad_json()
    try:
        # Lone surrogates (JSON "\ud800") parse but can never be answered back as UTF-8.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise errors.validation("Validation failed: body: Invalid Unicode in a string") from None
    return data


def _string(value: object, field: str, max_len: int, *, nullable: bool = True) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise fail(field, "Parameter must be a string")
    if len(value) > max_len:
        raise fail(field, f"Must be at most {max_len} characters long")
    return value


def _required_string(value: object, field: str, max_len: int) -> str:
    text = _string(value, field, max_len, nullable=False)
    assert text is not None
    return text


def _bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise fail(field, "Parameter must be a boolean (true or false)")
    return value


def _id(value: object, field: str, *, nullable: bool = True) -> int | None:
    if value is None and nullable:
        return None
    if type(value) is not int or not 0 < value <= MAX_ID:
        raise fail(field, "Parameter must be a positive integer")
    return value


def _int(value: object, field: str) -> int | None:
    if value is None:
        return None
    if type(value) is not int or abs(value) > MAX_ID:
        raise fail(field, "Parameter must be an integer")
    return value


def _date(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise fail(field, "Parameter must be a date in the format YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise fail(field, "Parameter must be a valid date") from None
    return value


def _clock_time(value: object, field: str, pattern: re.Pattern[str], what: str) -> str | None:
    if value is None:
        return None
    match = pattern.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise fail(field, f"Parameter must be {what} in the format HH:MM or HH:MM:SS")
    return f"{int(match[1]):02d}:{match[2]}"


def _due_time(value: object, field: str) -> str | None:
    return _clock_time(value, field, _TIME, "a time of day")


def _duration(value: object, field: str) -> str | None:
    return _clock_time(value, field, _DURATION, "a duration")


def _object(value: object, field: str) -> dict:
    if not isinstance(value, dict):
        raise fail(field, "Parameter must be an object")
    return value


def _list(value: object, field: str, max_items: int) -> list:
    if not isinstance(value, list):
        raise fail(field, "Parameter must be an array")
    if len(value) > max_items:
        raise fail(field, f"Must have at most {max_items} items")
    return value


def _location(value: object, field: str) -> dict | None:
    if value is None:
        return None
    given = _object(value, field)
    out = {}
    for key in (
        "value",
        "street_number",
        "route",
        "sublocality",
        "locality",
        "admin_area_level_1",
        "admin_area_level_2",
        "country",
        "postal_code",
        "formatted_address",
    ):
        if key in given:
            out[key] = _string(given[key], f"{field}.{key}", MAX_SHORT)
    return out


def _participants(value: object, field: str) -> list[dict]:
    out: list[dict] = []
    seen: set[int] = set()
    for item in _list(value, field, MAX_ITEMS):
        entry = _object(item, field)
        person_id = _id(entry.get("person_id"), f"{field}.person_id", nullable=False)
        assert person_id is not None
        if person_id in seen:
            raise fail(field, f"Person {person_id} is listed twice")
        seen.add(person_id)
        out.append(
            {
                "person_id": person_id,
                "primary": _bool(entry.get("primary", False), f"{field}.primary"),
            }
        )
    if sum(p["primary"] for p in out) > 1:
        raise fail(field, "Only one participant can be primary")
    return out


def _attendees(value: object, field: str) -> list[dict]:
    out: list[dict] = []
    for item in _list(value, field, MAX_ITEMS):
        entry = _object(item, field)
        email = _required_string(entry.get("email"), f"{field}.email", MAX_SHORT)
        if "@" not in email:
            raise fail(f"{field}.email", "Parameter must be an email address")
        given: dict = {"email": email}
        if "name" in entry:
            given["name"] = _string(entry["name"], f"{field}.name", MAX_SHORT)
        if entry.get("status") is not None:
            status = entry["status"]
            if status not in ATTENDEE_STATUSES:
                raise fail(f"{field}.status", f"Must be one of {', '.join(ATTENDEE_STATUSES)}")
            given["status"] = status
        if "is_organizer" in entry:
            given["is_organizer"] = _bool(entry["is_organizer"], f"{field}.is_organizer")
        for key in ("person_id", "user_id"):
            if key in entry:
                given[key] = _id(entry[key], f"{field}.{key}")
        out.append(given)
    return out


def _lead_id(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise fail(field, "Parameter must be a UUID")
    return value


def _nonempty(value: object, field: str) -> str:
    text = _required_string(value, field, MAX_SHORT)
    if not text.strip():
        raise fail(field, "Parameter must not be empty")
    return text


ACTIVITY_RULES = {
    "subject": lambda v, f: _required_string(v, f, MAX_SHORT),
    "type": _nonempty,
    "owner_id": lambda v, f: _id(v, f, nullable=False),
    "due_date": _date,
    "due_time": _due_time,
    "duration": _duration,
    "busy": _bool,
    "done": _bool,
    "private": _bool,
    "location": _location,
    "public_description": lambda v, f: _string(v, f, MAX_TEXT),
    "note": lambda v, f: _string(v, f, MAX_TEXT),
    "participants": _participants,
    "attendees": _attendees,
    "deal_id": _id,
    "org_id": _id,
    "project_id": _id,
    "lead_id": _lead_id,
    "priority": _int,
    "conference_meeting_url": lambda v, f: _string(v, f, MAX_URL),
}


def activity_fields(body: dict) -> dict:
    """The activity fields of a POST or PATCH body, checked and normalised."""
    if "person_id" in body:
        raise errors.read_only(
            "person_id",
            "Use participants to link persons; person_id follows the primary participant.",
        )
    return {name: rule(body[name], name) for name, rule in ACTIVITY_RULES.items() if name in body}


def _contacts(value: object, field: str) -> list[dict]:
    out: list[dict[str, Any]] = []
    for item in _list(value, field, 50):
        entry = _object(item, field)
        text = _nonempty(entry.get("value"), f"{field}.value")
        label = _string(entry.get("label", "work"), f"{field}.label", 50) or "work"
        out.append(
            {
                "value": text,
                "primary": _bool(entry.get("primary", False), f"{field}.primary"),
                "label": label,
            }
        )
    if out and not any(e["primary"] for e in out):
        out[0]["primary"] = True
    if sum(e["primary"] for e in out) > 1:
        raise fail(field, "Only one item can be primary")
    return out


def _visible_to(value: object, field: str) -> int:
    if type(value) is not int or value not in (1, 3, 5, 7):
        raise fail(field, "Must be one of 1, 3, 5, 7")
    return value


PERSON_RULES = {
    "name": _nonempty,
    "first_name": lambda v, f: _string(v, f, MAX_SHORT),
    "last_name": lambda v, f: _string(v, f, MAX_SHORT),
    "owner_id": lambda v, f: _id(v, f, nullable=False),
    "org_id": _id,
    "emails": _contacts,
    "phones": _contacts,
    "visible_to": _visible_to,
}


def person_fields(body: dict) -> dict:
    """The person fields of a POST or PATCH body, checked and normalised (unknown fields ignored)."""
    return {name: rule(body[name], name) for name, rule in PERSON_RULES.items() if name in body}


ADDRESS_PARTS = (
    "value", "country", "admin_area_level_1", "admin_area_level_2", "locality", "sublocality",
    "route", "street_number", "subpremise", "postal_code",
)  # fmt: skip
DEAL_STATUSES = ("open", "won", "lost")
_CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)


def _address(value: object, field: str) -> dict | None:
    if value is None:
        return None
    given = _object(value, field)
    return {k: _string(given[k], f"{field}.{k}", MAX_SHORT) for k in ADDRESS_PARTS if k in given}


def _label_ids(value: object, field: str) -> list[int]:
    return [_id(v, field, nullable=False) for v in _list(value, field, 50)]  # type: ignore[misc]


def _custom_fields(value: object, field: str) -> dict:
    given = _object(value, field)
    for key, item in given.items():
        if isinstance(item, dict | list):
            raise fail(f"{field}.{key}", "Parameter must be a plain value")
    return dict(given)


def _number(value: object, field: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > 1e15:
        raise fail(field, "Parameter must be a number")
    return value


def _probability(value: object, field: str) -> float | int | None:
    if value is None:
        return None
    number = _number(value, field)
    if not 0 <= number <= 100:
        raise fail(field, "Parameter must be between 0 and 100")
    return number


def _currency(value: object, field: str) -> str:
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise fail(field, "Parameter must be a 3-letter currency code, like SEK or EUR")
    return value


def _status(value: object, field: str) -> str:
    if value not in DEAL_STATUSES:
        raise fail(field, f"Must be one of {', '.join(DEAL_STATUSES)}")
    return value  # type: ignore[return-value]


ORGANIZATION_RULES = {
    "name": _nonempty,
    "owner_id": lambda v, f: _id(v, f, nullable=False),
    "visible_to": _visible_to,
    "label_ids": _label_ids,
    "address": _address,
    "custom_fields": _custom_fields,
}
DEAL_RULES = {
    "title": _nonempty,
    "owner_id": lambda v, f: _id(v, f, nullable=False),
    "person_id": _id,
    "org_id": _id,
    "pipeline_id": lambda v, f: _id(v, f, nullable=False),
    "stage_id": lambda v, f: _id(v, f, nullable=False),
    "value": _number,
    "currency": _currency,
    "status": _status,
    "probability": _probability,
    "lost_reason": lambda v, f: _string(v, f, MAX_SHORT),
    "visible_to": _visible_to,
    "expected_close_date": _date,
    "label_ids": _label_ids,
    "is_archived": _bool,
    "custom_fields": _custom_fields,
}


def _fields(body: dict, rules: dict, required: str | None) -> dict:
    fields = {name: rule(body[name], name) for name, rule in rules.items() if name in body}
    if required is not None and required not in fields:
        raise fail(required, f"{required.capitalize()} is required")
    return fields


def organization_fields(body: dict, *, creating: bool) -> dict:
    """An organization's fields from a POST (name required) or PATCH body."""
    return _fields(body, ORGANIZATION_RULES, "name" if creating else None)


def deal_fields(body: dict, *, creating: bool) -> dict:
    """A deal's fields from a POST (title required) or PATCH body; lost_reason only when lost."""
    return _fields(body, DEAL_RULES, "title" if creating else None)


# -- query parameters -----------------------------------------------------------------------


def path_id(text: str, name: str = "id") -> int:
    if not _DIGITS.fullmatch(text) or not 0 < int(text) <= MAX_ID:
        raise fail(name, "Parameter must be a positive integer")
    return int(text)


def q_limit(params: QueryParams) -> int:
    raw = params.get("limit")
    if raw is None:
        return 100
    if not _DIGITS.fullmatch(raw):
        raise fail("limit", "Parameter must be an integer")
    value = int(raw)
    if not 1 <= value <= 500:
        raise fail("limit", "Parameter must be between 1 and 500")
    return value


def q_id(params: QueryParams, name: str) -> int | None:
    raw = params.get(name)
    return None if raw is None else path_id(raw, name)


def q_bool(params: QueryParams, name: str) -> bool | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise fail(name, "Parameter must be true or false")
    return raw == "true"


def q_ids(params: QueryParams) -> set[int] | None:
    raw = params.get("ids")
    if raw is None:
        return None
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) > 100:
        raise fail("ids", "At most 100 ids can be given")
    return {path_id(p, "ids") for p in parts}


def q_time(params: QueryParams, name: str, *, round_up: bool = False) -> str | None:
    """An RFC3339 query time as the stored `YYYY-MM-DDTHH:MM:SSZ` form (naive means UTC)."""
    raw = params.get(name)
    if raw is None:
        return None
    try:
        when = datetime.fromisoformat(raw)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        when = when.astimezone(UTC)
        if round_up and when.microsecond:
            when += timedelta(seconds=1)
    except (ValueError, OverflowError):
        raise fail(
            name, "Parameter must be an RFC3339 date-time, like 2025-01-01T10:20:00Z"
        ) from None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def q_sort(params: QueryParams, allowed: tuple[str, ...]) -> tuple[str, str]:
    sort_by = params.get("sort_by", "id")
    if sort_by not in allowed:
        raise fail("sort_by", f"Must be one of {', '.join(allowed)}")
    direction = params.get("sort_direction", "asc")
    if direction not in ("asc", "desc"):
        raise fail("sort_direction", "Must be one of asc, desc")
    return sort_by, direction


def q_include(params: QueryParams, allowed: tuple[str, ...]) -> set[str]:
    raw = params.get("include_fields")
    if raw is None or raw == "":
        return set()
    fields = {p.strip() for p in raw.split(",")}
    unknown = fields - set(allowed)
    if unknown:
        raise fail("include_fields", f"Unknown field(s): {', '.join(sorted(unknown))[:200]}")
    return fields
