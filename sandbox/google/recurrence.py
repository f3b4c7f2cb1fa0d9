"""RRULE/EXRULE/RDATE/EXDATE expansion (python-dateutil) in the event's own wall-clock time.

A series is expanded with a *naive* local dtstart in the event's zone and each occurrence
is then localised with zoneinfo, so 10:00 in Stockholm stays 10:00 across DST. UNTIL and
date values given in UTC (`...Z`) or another TZID are converted to that local time first.
All-day series use naive midnights and yield `date`s.

As Google does (and RFC 5545 says "DTSTART always counts as the first occurrence"), the
event's own start is always an instance, also when the rule would not produce it: a
Tuesday start with `FREQ=WEEKLY;BYDAY=TH;COUNT=3` has four instances (the Tuesday and
three Thursdays), and a start with only an RDATE has two. An EXDATE removes any instance,
the start and RDATEs included. Rules Google refuses are refused: a COUNT that is not a
positive whole number, and COUNT together with UNTIL (RFC 5545: "MUST NOT occur in the
same recur").
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr

# One expansion yields at most this many occurrences (a FREQ=SECONDLY rule cannot hang us).
MAX_OCCURRENCES = 5000
_UNTIL = re.compile(r"UNTIL=([0-9TZ]+)", re.IGNORECASE)


class RecurrenceError(ValueError):
    """A recurrence line the sandbox (like Google) refuses."""


def _to_local(value: str, params: list[str], tz: ZoneInfo | None, at: time) -> datetime:
    """An iCalendar DATE or DATE-TIME value as a naive wall-clock datetime in `tz`."""
    value = value.strip()
    try:
        if len(value) == 8:  # VALUE=DATE: the occurrence on that day
            day = datetime.strptime(value, "%Y%m%d")
            return datetime.combine(day.date(), at)
        if value.endswith(("Z", "z")):
            instant = datetime.strptime(value[:-1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
            return (
                instant.astimezone(tz).replace(tzinfo=None) if tz else instant.replace(tzinfo=None)
            )
        naive = datetime.strptime(value, "%Y%m%dT%H%M%S")
    except ValueError as exc:
        raise RecurrenceError(f"bad date value {value!r}") from exc
    tzid = next((p[5:] for p in params if p.upper().startswith("TZID=")), None)
    if tzid and tz:
        try:
            zone = ZoneInfo(tzid)
        except (KeyError, ValueError) as exc:
            raise RecurrenceError(f"unknown TZID {tzid!r}") from exc
        return naive.replace(tzinfo=zone).astimezone(tz).replace(tzinfo=None)
    return naive


def _check_rule(value: str) -> None:
    """Refuse what Google refuses in a RRULE value (dateutil would accept it)."""
    parts = {}
    for item in value.split(";"):
        key, sep, val = item.partition("=")
        if not sep:
            raise RecurrenceError(f"bad rule part {item!r}")
        parts[key.strip().upper()] = val.strip()
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit() or int(parts["COUNT"]) < 1:
            raise RecurrenceError(f"COUNT must be a positive number, not {parts['COUNT']!r}")
        if "UNTIL" in parts:
            raise RecurrenceError("COUNT and UNTIL cannot both be given")


def _fix_until(rule: str, tz: ZoneInfo | None, dtstart: datetime) -> str:
    """Rewrite UNTIL as naive local time, which dateutil needs with a naive dtstart."""

    def repl(m: re.Match) -> str:
        value = m.group(1)
        if len(value) == 8:  # a date: the whole day is included
            local = datetime.combine(datetime.strptime(value, "%Y%m%d").date(), time(23, 59, 59))
        else:
            local = _to_local(value, [], tz, dtstart.time())
        return "UNTIL=" + local.strftime("%Y%m%dT%H%M%S")

    return _UNTIL.sub(repl, rule)


@lru_cache(maxsize=4096)
def build(lines: tuple[str, ...], dtstart: datetime, tz_name: str | None) -> rruleset:
    """The rruleset of a series; dtstart is naive local time (midnight for all-day)."""
    tz = ZoneInfo(tz_name) if tz_name else None
    rset = rruleset()
    has_rule = False
    for line in lines:
        head, sep, value = line.partition(":")
        if not sep:
            raise RecurrenceError(f"bad recurrence line {line!r}")
        params = head.split(";")
        name = params[0].strip().upper()
        try:
            if name in ("RRULE", "EXRULE"):
                _check_rule(value)
                rule = rrulestr(_fix_until(value, tz, dtstart), dtstart=dtstart)
                if not isinstance(rule, rrule):  # one RRULE value is one rule, never a set
                    raise RecurrenceError(f"bad recurrence line {line!r}")
                (rset.rrule if name == "RRULE" else rset.exrule)(rule)
                has_rule = has_rule or name == "RRULE"
            elif name in ("EXDATE", "RDATE"):
                for v in value.split(","):
                    local = _to_local(v, params[1:], tz, dtstart.time())
                    (rset.exdate if name == "EXDATE" else rset.rdate)(local)
                has_rule = has_rule or name == "RDATE"
            else:
                raise RecurrenceError(f"unsupported recurrence property {name!r}")
        except (ValueError, TypeError) as exc:
            raise RecurrenceError(str(exc)) from exc
    if not has_rule:
        raise RecurrenceError("no RRULE or RDATE")
    rset.rdate(dtstart)  # the start is always an instance (EXDATEs still apply)
    return rset


def validate(lines: list[str], start: datetime | date, tz_name: str | None) -> None:
    """Raise RecurrenceError unless the lines parse and yield at least one occurrence."""
    rset = build(tuple(lines), naive_start(start, tz_name), tz_name)
    try:
        next(iter(rset), None)
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(str(exc)) from exc


def naive_start(start: datetime | date, tz_name: str | None) -> datetime:
    """The series' dtstart as dateutil gets it: naive local wall-clock time."""
    if isinstance(start, datetime):
        return start.astimezone(ZoneInfo(tz_name or "UTC")).replace(tzinfo=None)
    return datetime.combine(start, time())


def occurrences(
    lines: list[str],
    start: datetime | date,
    tz_name: str | None,
    lo: datetime | date | None,
    hi: datetime | date,
) -> list[datetime | date]:
    """Original starts of the series in [lo, hi] (inclusive), oldest first.

    Timed series take and give aware datetimes (UTC out); all-day series take and give dates.
    """
    all_day = not isinstance(start, datetime)
    tz = None if all_day else ZoneInfo(tz_name or "UTC")
    rset = build(tuple(lines), naive_start(start, tz_name), None if all_day else tz_name)

    def local(x: datetime | date) -> datetime:
        if isinstance(x, datetime):
            return x.astimezone(tz).replace(tzinfo=None) if tz else x.replace(tzinfo=None)
        return datetime.combine(x, time())

    # One day of slack on both sides: the exact bounds are applied on instants below.
    lo_local = local(lo) - timedelta(days=1) if lo is not None else datetime.min
    hi_local = local(hi) + timedelta(days=1)
    out: list[datetime | date] = []
    for occ in islice(rset.xafter(lo_local, inc=True), MAX_OCCURRENCES):
        if occ > hi_local:
            break
        value: datetime | date = occ.date() if all_day else occ.replace(tzinfo=tz).astimezone(UTC)
        if (lo is None or value >= lo) and value <= hi:
            out.append(value)
    return out


def instance_suffix(original: datetime | date) -> str:
    """The id suffix Google gives an instance: `20261201T090000Z` or `20261201` (all-day)."""
    if isinstance(original, datetime):
        return original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return original.strftime("%Y%m%d")


def parse_suffix(suffix: str) -> datetime | date | None:
    """The original start encoded in an instance id suffix, or None."""
    try:
        if len(suffix) == 8 and suffix.isdigit():
            return datetime.strptime(suffix, "%Y%m%d").date()
        if len(suffix) == 16 and suffix.endswith("Z"):
            return datetime.strptime(suffix, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return None
