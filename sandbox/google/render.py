"""Google Calendar v3 JSON for calendars and events (camelCase, Google's omissions)."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .conference import hangout_link
from .event_types import PROPERTIES
from .models import Calendar, Event, rfc3339

if TYPE_CHECKING:
    from .models import GoogleCalendarState


def _datetime(value: datetime, tz_name: str) -> str:
    """An instant in a zone with its offset, e.g. 2026-03-29T10:00:00+02:00 (UTC as Z)."""
    text = value.astimezone(ZoneInfo(tz_name)).isoformat()
    return text[:-6] + "Z" if tz_name in ("UTC", "Etc/UTC") else text


def _when(value: datetime | date, tz_name: str | None, display_tz: str) -> dict:
    if isinstance(value, datetime):
        out = {"dateTime": _datetime(value, tz_name or display_tz)}
        if tz_name:
            out["timeZone"] = tz_name
        return out
    return {"date": value.isoformat()}


def html_link(cal: Calendar, ev: Event) -> str:
    eid = base64.urlsafe_b64encode(f"{ev.id} {cal.id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def _person(state: GoogleCalendarState, cal: Calendar) -> dict:
    if cal.primary:
        return {"email": state.owner_email, "self": True}
    return {"email": cal.id, "displayName": cal.summary, "self": True}


def tombstone(ev: Event, display_tz: str) -> dict:
    """A deleted event as lists show it: only what identifies it."""
    out: dict[str, Any] = {
        "kind": "calendar#event",
        "etag": ev.etag,
        "id": ev.id,
        "status": "cancelled",
    }
    if ev.recurring_event_id and ev.original_start is not None:
        out["recurringEventId"] = ev.recurring_event_id
        out["originalStartTime"] = _when(ev.original_start, ev.start_tz, display_tz)
    return out


def limit_attendees(payload: dict, max_attendees: int | None) -> dict:
    """`maxAttendees`: past it, only the participant's own entry, and `attendeesOmitted`."""
    attendees = payload.get("attendees")
    if max_attendees is None or attendees is None or len(attendees) <= max_attendees:
        return payload
    out = {k: v for k, v in payload.items() if k != "attendees"}
    out["attendees"] = [a for a in attendees if a.get("self")]
    out["attendeesOmitted"] = True
    return out


def event_json(
    cal: Calendar, ev: Event, state: GoogleCalendarState, display_tz: str | None = None
) -> dict:
    """The full event resource (also for a deleted event fetched with get), its keys in
    Google's order."""
    tz = display_tz or cal.time_zone
    f = ev.fields
    out: dict = {
        "kind": "calendar#event",
        "etag": ev.etag,
        "id": ev.id,
        "status": ev.status,
        "htmlLink": html_link(cal, ev),
        "created": rfc3339(ev.created),
        "updated": rfc3339(ev.updated),
    }
    for key in ("summary", "description", "location", "colorId"):
        if f.get(key):
            out[key] = f[key]
    organizer = f.get("organizer")
    if organizer:  # an invitation from someone else
        out["creator"] = dict(organizer)
        out["organizer"] = dict(organizer)
    else:
        out["creator"] = {"email": state.owner_email, "self": True}
        out["organizer"] = _person(state, cal)
    out.update(_times(ev, tz))
    if f.get("transparency") == "transparent":
        out["transparency"] = "transparent"
    if f.get("visibility") not in (None, "default"):
        out["visibility"] = f["visibility"]
    out["iCalUID"] = ev.ical_uid
    out["sequence"] = ev.sequence
    out.update(_the_rest(f))
    return out


def _times(ev: Event, tz: str) -> dict:
    """start and end; a series' recurrence; an instance's series and original start."""
    out: dict[str, Any] = {
        "start": _when(ev.start, ev.start_tz, tz),
        "end": _when(ev.end, ev.end_tz, tz),
    }
    if ev.recurrence:
        out["recurrence"] = list(ev.recurrence)
    if ev.recurring_event_id and ev.original_start is not None:
        out["recurringEventId"] = ev.recurring_event_id
        out["originalStartTime"] = _when(ev.original_start, ev.start_tz, tz)
    return out


def _the_rest(f: dict) -> dict:
    """Guests, the conference, the passthrough fields, reminders and the event's type."""
    out: dict = {}
    if "attendees" in f:
        out["attendees"] = f["attendees"]
    link = hangout_link(f.get("conferenceData"))
    if link:
        out["hangoutLink"] = link
    for key in (
        "conferenceData",
        "extendedProperties",
        "guestsCanInviteOthers",
        "guestsCanModify",
        "guestsCanSeeOtherGuests",
        "anyoneCanAddSelf",
        "source",
    ):
        if key in f:
            out[key] = f[key]
    out["reminders"] = f.get("reminders") or {"useDefault": True}
    kind = f.get("eventType", "default")
    out["eventType"] = kind
    name = PROPERTIES.get(kind)
    if name and name in f:
        out[name] = f[name]
    return out


def list_item(
    cal: Calendar,
    ev: Event,
    state: GoogleCalendarState,
    display_tz: str | None,
    max_attendees: int | None = None,
) -> dict:
    if ev.cancelled:
        return tombstone(ev, display_tz or cal.time_zone)
    return limit_attendees(event_json(cal, ev, state, display_tz), max_attendees)


def events_envelope(
    cal: Calendar,
    items: list[dict],
    *,
    updated: datetime,
    etag: str,
    display_tz: str | None,
    next_page_token: str | None,
    next_sync_token: str | None,
) -> dict:
    out: dict = {
        "kind": "calendar#events",
        "etag": etag,
        "summary": cal.summary,
        "description": cal.description,
        "updated": rfc3339(updated),
        "timeZone": display_tz or cal.time_zone,
        "accessRole": cal.access_role,
        "defaultReminders": default_reminders(cal),
    }
    if next_page_token:
        out["nextPageToken"] = next_page_token
    if next_sync_token:
        out["nextSyncToken"] = next_sync_token
    out["items"] = items
    return out


def default_reminders(cal: Calendar) -> list[dict]:
    return [{"method": "popup", "minutes": 10}] if cal.writable else []


def calendar_json(cal: Calendar) -> dict:
    """calendars.get / calendars.insert."""
    out = {
        "kind": "calendar#calendar",
        "etag": cal.etag,
        "id": cal.id,
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    if cal.description:
        out["description"] = cal.description
    return out


def calendar_entry(cal: Calendar) -> dict:
    """A calendarList entry."""
    out = {
        "kind": "calendar#calendarListEntry",
        "etag": cal.etag,
        "id": cal.id,
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "colorId": cal.color_id,
        "backgroundColor": cal.background_color,
        "foregroundColor": cal.foreground_color,
        "selected": True,
        "accessRole": cal.access_role,
        "defaultReminders": default_reminders(cal),
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    if cal.description:
        out["description"] = cal.description
    if cal.primary:
        out["primary"] = True
        out["notificationSettings"] = {
            "notifications": [
                {"type": "eventCreation", "method": "email"},
                {"type": "eventChange", "method": "email"},
                {"type": "eventCancellation", "method": "email"},
                {"type": "eventResponse", "method": "email"},
            ]
        }
    return out


def last_updated(cal: Calendar) -> datetime:
    """When anything in the calendar last changed (the list envelope's `updated`)."""
    if cal.log:
        return cal.events[cal.log[-1]].updated
    return datetime(2026, 1, 1, tzinfo=UTC)
