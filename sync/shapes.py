"""Reading stored JSON documents by their expected shape: each reader returns the field as
the type asked for, or raises ShapeError saying which field is wrong and how.

The store's and the vault's `from_json` readers use these, so that a document of the wrong
shape (valid JSON, but a link without `google_id`, a date that is not one, a token entry
that is a string) is refused when its file is loaded, in words, before anything uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

REQUIRED: Any = object()
"""The default of a field that must be there."""


class ShapeError(ValueError):
    """A stored document of the wrong shape; the message says which field and why.

    `private` is the same message without the stored value (for files holding secrets)."""

    def __init__(self, message: str, private: str | None = None) -> None:
        super().__init__(message)
        self.private = message if private is None else private

    def within(self, where: str) -> ShapeError:
        """The same error, said of the field or entry `where`."""
        return ShapeError(f"{where}: {self}", f"{where}: {self.private}")


def _kind(value: Any) -> str:
    if value == "":
        return "an empty string"
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), "null" if value is None else "a number"
    )


def _get(data: Any, key: str, default: Any) -> tuple[bool, Any]:
    """(present, value); ShapeError when it is missing and required."""
    if not isinstance(data, dict):
        raise ShapeError(f"is {_kind(data)}, not an object")
    if key in data:
        return True, data[key]
    if default is REQUIRED:
        raise ShapeError(f"{key} is missing")
    return False, default


def _wrong(key: str, what: str, value: Any) -> ShapeError:
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return ShapeError(
        f"{key} is {_kind(value)} ({shown}), not {what}", f"{key} is {_kind(value)}, not {what}"
    )


def document(data: Any, what: str = "entry") -> dict[str, Any]:
    """`data` itself, which must be an object."""
    if not isinstance(data, dict):
        raise ShapeError(f"the {what} is {_kind(data)}, not an object")
    return data


def _field(
    data: Any, key: str, default: Any, accept: Callable[[Any], bool], what: str, null: bool
) -> Any:
    present, value = _get(data, key, default)
    if not present or (null and value is None) or accept(value):
        return value
    raise _wrong(key, what, value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # true/false is not a number


def text(data: Any, key: str, default: Any = REQUIRED, *, null: bool = False) -> Any:
    """A string field (None too with `null`)."""
    return _field(data, key, default, lambda v: isinstance(v, str), "a string", null)


def identifier(data: Any, key: str) -> str:
    """A non-empty id, stored as a string or a whole number (Pipedrive's ids are numbers)."""
    value = _field(
        data, key, REQUIRED, lambda v: _is_int(v) or v and isinstance(v, str), "an id", False
    )
    return str(value)


def integer(data: Any, key: str, default: Any = REQUIRED, *, null: bool = False) -> Any:
    """A whole-number field (None too with `null`)."""
    return _field(data, key, default, _is_int, "a whole number", null)


def number(data: Any, key: str, default: Any = REQUIRED, *, null: bool = False) -> Any:
    """A number field, as a float (None too with `null`)."""
    value = _field(
        data, key, default, lambda v: _is_int(v) or isinstance(v, float), "a number", null
    )
    return float(value) if _is_int(value) or isinstance(value, float) else value


def flag(data: Any, key: str, default: Any = REQUIRED) -> Any:
    """A true/false field."""
    return _field(data, key, default, lambda v: isinstance(v, bool), "true/false", False)


def mapping(data: Any, key: str, default: Any = REQUIRED, *, null: bool = False) -> Any:
    """An object field (None too with `null`)."""
    return _field(data, key, default, lambda v: isinstance(v, dict), "an object", null)


def listing(data: Any, key: str, default: Any = REQUIRED, *, null: bool = False) -> Any:
    """A list field (None too with `null`)."""
    return _field(data, key, default, lambda v: isinstance(v, list), "a list", null)


def texts(data: Any, key: str) -> tuple[str, ...]:
    """A list of strings (missing or null: none)."""
    values = listing(data, key, None, null=True) or []
    for n, value in enumerate(values, 1):
        if not isinstance(value, str):
            raise _wrong(f"{key} entry {n}", "a string", value)
    return tuple(values)


def moment(data: Any, key: str, default: Any = None) -> datetime | None:
    """An ISO 8601 date-time with its offset, or null/missing (None)."""
    present, value = _get(data, key, default)
    if not present or value is None:
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    raise _wrong(key, "a date-time with a time zone", value)


def day_or_moment(data: Any, key: str) -> date | datetime | None:
    """A date ("2026-03-20"), a date-time with its offset, or null/missing (None)."""
    present, value = _get(data, key, None)
    if isinstance(value, str) and "T" not in value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _wrong(key, "a date or a date-time", value) from None
    return moment(data, key) if present else None


def each(values: list[Any], read: Any, what: str) -> list[Any]:
    """`read(v)` for each value, a ShapeError naming the entry (1-based) that failed."""
    out = []
    for n, value in enumerate(values, 1):
        try:
            out.append(read(value))
        except ShapeError as err:
            raise err.within(f"{what} {n}") from None
    return out
