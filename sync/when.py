"""How a person reads a time, in the app and on the command line alike: in the synced
calendar's time zone, that zone named once per screen or listing (with the computer's own
where it differs), and a year on every date outside the current one.

Both front ends build one `TimeView` per account from their injected clock and format
every item time and run time through it, so they show the same text for the same item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from .store import AccountExtra


def calendar_zone(name: str | None) -> tzinfo:
    """The zone called `name` (a calendar's `timeZone`), UTC when unknown or missing."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


@dataclass(frozen=True)
class TimeView:
    """Times as one account's calendar shows them, as of `now` (the caller's clock)."""

    tz: tzinfo
    now: datetime

    @classmethod
    def for_account(cls, extra: AccountExtra, now: datetime) -> TimeView:
        """The view for an account, from its `extra` (which holds the calendar's zone)."""
        return cls(calendar_zone(extra.calendar_tz), now)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def _day(self, day: date) -> str:
        text = f"{day:%a} {day.day} {day:%b}"
        return text if day.year == self.today.year else f"{text} {day.year}"

    def when(self, value: datetime | date | None) -> str:
        """An item's start: "Mon 2 Mar 15:00", "Sat 20 Nov 2027 09:30", "Wed 25 Feb, all day"."""
        if value is None:
            return ""
        if isinstance(value, datetime):
            local = value.astimezone(self.tz)
            return f"{self._day(local.date())} {local:%H:%M}"
        return f"{self._day(value)}, all day"

    def stamp(self, value: datetime | None, *, with_date: bool = False) -> str:
        """When something happened: "09:00:05" today (unless `with_date`), else with its date."""
        if value is None:
            return "—"
        local = value.astimezone(self.tz)
        if local.date() == self.today and not with_date:
            return f"{local:%H:%M:%S}"
        day = f"{local.day} {local:%b}"
        if local.year != self.today.year:
            day += f" {local.year}"
        return f"{day} {local:%H:%M:%S}"

    def zone_note(self) -> str:
        """The zone the times are in, and the computer's when it keeps another offset now:
        "times in Europe/Stockholm; this computer: UTC"."""
        text = f"times in {zone_name(self.tz)}"
        here = self.now.astimezone()  # the computer's zone (TZ), at the caller's instant
        if here.utcoffset() != self.now.astimezone(self.tz).utcoffset():
            text += f"; this computer: {here.tzname()}"
        return text


def machine_view(now: datetime | None = None) -> TimeView:
    """Times in the computer's own zone: for output that is about no account in particular."""
    now = now or datetime.now(UTC)
    return TimeView(now.astimezone().tzinfo or UTC, now)
