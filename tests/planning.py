"""The planner called as the unit tests like to: items and links in, with the option changes
since the last complete run given as flags (the planner itself reads them off the Snapshot)."""

from __future__ import annotations

from datetime import datetime

from sync import planner
from sync.actions import Plan
from sync.models import CalendarItem, Link
from sync.options import Options
from sync.snapshot import Snapshot


def plan(
    *,
    links: list[Link],
    google: dict[str, CalendarItem],
    pipedrive: dict[str, CalendarItem],
    options: Options,
    now: datetime,
    full: bool,
    rewrite_google: bool = False,
    rewrite_private: bool = False,
    calendar_tz: str = "UTC",
) -> Plan:
    """`rewrite_google`: linked contacts were switched since the last complete run;
    `rewrite_private`: the private mode was changed; `calendar_tz`: the calendar's zone."""
    used = options.to_json()
    if rewrite_google:
        used["linked_contacts"] = not options.linked_contacts
    if rewrite_private:
        used["private"] = "public" if options.private != "public" else "private"
    snapshot = Snapshot(
        now=now,
        full=full,
        google=google,
        pipedrive=pipedrive,
        options_used=used,
        calendar_tz=calendar_tz,
    )
    return planner.plan(snapshot, list(links), options)
