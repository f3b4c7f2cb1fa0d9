"""Google Calendar v3 event JSON <-> CalendarItem <-> Pipedrive v2 activity JSON (docs/design.md,
"Field mapping")."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .models import Attendee, CalendarItem, Contact, LinkedContacts
from .options import Options, PrivateMode

# extendedProperties.private keys we write on Google events.
ORIGIN_KEY = "calsync_origin"
ACTIVITY_KEY = "calsync_activity"
# Tags of the attendees a copy got from the activity's linked person (not its own attendees).
LINKED_KEY = "calsync_linked"

# The delimiter of the linked-contacts block in Google descriptions.
BLOCK_MARK = "── Pipedrive ──"
_BLOCK_RE = re.compile(
    r"(?:\n\n)?" + re.escape(BLOCK_MARK) + r"\n.*?\n" + re.escape(BLOCK_MARK) + r"\n?", re.DOTALL
)

# The idempotency marker in a Pipedrive activity's note (the note never leaves Pipedrive).
MARKER_PREFIX = "calsync:"
_MARKER_RE = re.compile(re.escape(MARKER_PREFIX) + r"(\S+)")

BUSY_SUBJECT = "Busy"
# Google's out-of-office and focus time (sync/kinds.py imports them, when asked, as busy time).
BLOCK_EVENT_TYPES = ("outOfOffice", "focusTime")

# A meeting link Google holds as a Meet conference: conferenceData. Any other link goes into
# the description as our line, between the user's text and the linked-contacts block.
_MEET_RE = re.compile(r"https://meet\.google\.com/([a-z]{3}-[a-z]{4}-[a-z]{3})")
_MEETING_RE = re.compile(r"(?:\n\n)?── calsync: meeting (?P<url>\S+) ──\Z")

# Pipedrive's field limits, as the sandbox enforces them (sandbox/pipedrive/validation.py;
# Pipedrive's API reference states none): subject, location and attendee fields 255
# characters, a description 100,000, at most 100 attendees, durations up to 999:59.
PIPEDRIVE_MAX_SHORT = 255
PIPEDRIVE_MAX_DESCRIPTION = 100_000
PIPEDRIVE_MAX_ATTENDEES = 100
PIPEDRIVE_MAX_DURATION = timedelta(hours=999, minutes=59)
PIPEDRIVE_MAX_URL = 2048  # conference_meeting_url
# The longest all-day span a duration of whole days can say (41 days, "984:00").
PIPEDRIVE_MAX_DAYS = PIPEDRIVE_MAX_DURATION // timedelta(days=1)

# A text cut to fit Pipedrive ends with this; a subject or location exactly at the limit and
# ending with it reads back as a cut (see `is_cut`).
CUT_MARK = "…"

# A span too long for Pipedrive's duration is kept at the end of the activity's description:
# "── calsync: lasts 61 days ──" (all-day) or "── calsync: lasts 1200 h 30 min ──" (timed).
_SPAN_RE = re.compile(
    r"(?:\n\n)?── calsync: lasts (?:(?P<days>\d+) days|(?P<hours>\d+) h (?P<minutes>\d+) min) ──\Z"
)
# What Pipedrive takes as an attendee's address (the sandbox asks for an "@"; a space or a
# second "@" would not be an address either).
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+")

# Google responseStatus <-> Pipedrive attendee status.
_PD_STATUS = {
    "needsAction": "noreply",
    "accepted": "accepted",
    "declined": "declined",
    "tentative": "tentative",
}
_GOOGLE_STATUS = {v: k for k, v in _PD_STATUS.items()}


class UnmappableItem(ValueError):
    """An event or activity that cannot become a CalendarItem (no date at all)."""

    def __init__(self, side: str, item_id: str, reason: str) -> None:
        super().__init__(f"{side} item {item_id}: {reason}")
        self.side = side
        self.item_id = item_id
        self.reason = reason


# ---------------------------------------------------------------- helpers


def zone(name: str | None) -> ZoneInfo:
    """ZoneInfo for an IANA name; UTC for None or an unknown name."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_datetime(text: str, tz_name: str | None = None) -> datetime:
    """RFC 3339 (or Pipedrive's "YYYY-MM-DD HH:MM:SS") -> aware UTC; naive times are read in tz_name."""
    value = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz_name))
    return value.astimezone(UTC)


def parse_hhmm(text: str | None) -> timedelta | None:
    """'HH:MM' or 'HH:MM:SS' (hours may exceed 23) -> timedelta; None for empty."""
    if not text:
        return None
    parts = [int(p) for p in str(text).split(":")]
    if len(parts) not in (2, 3) or any(p < 0 for p in parts):
        raise ValueError(f"bad HH:MM value {text!r}")
    hours, minutes = parts[0], parts[1]
    seconds = parts[2] if len(parts) == 3 else 0
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def format_hhmm(delta: timedelta) -> str:
    """timedelta -> 'HH:MM' (whole minutes, hours not capped at 24)."""
    minutes = int(delta.total_seconds()) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def pipedrive_marker(google_id: str) -> str:
    """The note marker of an activity created from Google event `google_id`."""
    return MARKER_PREFIX + google_id


def marker_google_id(note: str | None) -> str | None:
    """The Google event id in a note's marker, if there is one."""
    if not note:
        return None
    found = _MARKER_RE.search(note)
    return found.group(1) if found else None


def google_event_id(seed: str, activity_id: str, attempt: int = 0) -> str:
    """A client-chosen Google event id for the copy of an activity: base32hex (a-v, 0-9), 32 chars.

    Deterministic, so that a create retried after a crash hits 409 `duplicate` instead of
    making a second event. `seed` keeps accounts apart (e.g. the account id + calendar id);
    `attempt` > 0 gives fresh ids when the previous one belonged to a since-deleted event
    (Google refuses reusing it: 409 as well).
    """
    digest = hashlib.sha256(f"{seed}\0{activity_id}\0{attempt}".encode()).digest()[:20]
    return base64.b32hexencode(digest).decode().lower()


# ---------------------------------------------------------------- linked contacts block


def linked_block(linked: LinkedContacts) -> str:
    """The delimited block describing an activity's person, organization and deal."""
    lines = [BLOCK_MARK]
    for label, contact in (("Person", linked.person), ("Organization", linked.organization)):
        if contact is None:
            continue
        lines.append(f"{label}: {contact.name}")
        lines.extend(f"  email: {e}" for e in contact.emails)
        lines.extend(f"  phone: {p}" for p in contact.phones)
        if contact.url:
            lines.append(f"  {contact.url}")
    if linked.deal is not None:
        lines.append(
            f"Deal: {linked.deal.title}" + (f" ({linked.deal.value})" if linked.deal.value else "")
        )
        if linked.deal.url:
            lines.append(f"  {linked.deal.url}")
    lines.append(BLOCK_MARK)
    return "\n".join(lines)


def strip_linked_block(text: str) -> str:
    """The description without our linked-contacts block (and the blank line we put before it)."""
    return _BLOCK_RE.sub("", text or "")


def _with_block(description: str, linked: LinkedContacts) -> str:
    block = linked_block(linked)
    return f"{description}\n\n{block}" if description else block


def email_tag(email: str) -> str:
    """A short hash of an e-mail address: what LINKED_KEY lists (the key stays on the event
    after linked contacts are switched off, so it must not carry the address itself)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def _linked_tags(private_props: dict[str, Any], description: str) -> set[str]:
    """The tags of the attendees we added from the linked person. They count only while our
    block is in the description: both are written together, and a write without linked
    contacts replaces the description (and the attendees) but leaves the key behind."""
    if not _BLOCK_RE.search(description):
        return set()
    return set(str(private_props.get(LINKED_KEY) or "").split())


# ---------------------------------------------------------------- Google -> item


def item_from_google(event: dict[str, Any], calendar_tz: str) -> CalendarItem:
    """A Calendar v3 event (as events.list/get return it) as a CalendarItem.

    Attendees flagged `self` (the calendar's owner) or `resource` (rooms) are not carried,
    nor our linked-contacts block and the attendees it lists in LINKED_KEY (the linked
    person, added by `google_body`): they are Pipedrive's, not the event's.
    """
    event_id = str(event["id"])
    deleted = event.get("status") == "cancelled"
    start_obj = event.get("start") or {}
    end_obj = event.get("end") or {}
    tz_name = start_obj.get("timeZone") or calendar_tz
    start: datetime | date | None = None
    end: datetime | date | None = None
    all_day = False
    if "date" in start_obj:
        all_day = True
        start = date.fromisoformat(start_obj["date"])
        end = (
            date.fromisoformat(end_obj["date"])
            if end_obj.get("date")
            else start + timedelta(days=1)
        )
    elif "dateTime" in start_obj:
        start = parse_datetime(start_obj["dateTime"], tz_name)
        end_text = end_obj.get("dateTime")
        end = parse_datetime(end_text, end_obj.get("timeZone") or tz_name) if end_text else start
    elif not deleted:
        raise UnmappableItem("google", event_id, "event has no start")

    private_props = (event.get("extendedProperties") or {}).get("private") or {}
    description = strip_linked_block(event.get("description") or "")
    description, line_url = _read_meeting_line(description)
    # Attendees that came from the linked person are ours, like the block: not read back.
    ours = _linked_tags(private_props, event.get("description") or "")
    attendees = tuple(
        Attendee(
            email=a["email"],
            name=a.get("displayName", ""),
            status=a.get("responseStatus", "needsAction"),
        )
        for a in event.get("attendees") or ()
        if isinstance(a, dict)
        and a.get("email")
        and not a.get("self")
        and not a.get("resource")
        and not (ours and email_tag(str(a["email"])) in ours)
    )
    updated = event.get("updated")
    series_id = event.get("recurringEventId")
    declined = any(
        isinstance(a, dict) and a.get("self") and a.get("responseStatus") == "declined"
        for a in event.get("attendees") or ()
    )
    return CalendarItem(
        side="google",
        id=event_id,
        version=event.get("etag", ""),
        updated=parse_datetime(updated) if updated else None,
        title=event.get("summary") or "",
        start=start,
        end=end,
        all_day=all_day,
        time_zone=tz_name if not all_day else None,
        location=event.get("location") or "",
        description=description,
        busy=event.get("transparency", "opaque") != "transparent",
        private=event.get("visibility") in ("private", "confidential"),
        attendees=attendees,
        deleted=deleted,
        series_id=series_id,
        origin=private_props.get(ORIGIN_KEY),
        event_type=str(event.get("eventType") or "default"),
        declined=declined,
        meeting_url=conference_url(event) or line_url,
    )


def conference_url(event: dict[str, Any]) -> str:
    """The video link of the event's conference (Meet or an add-on), else its hangoutLink."""
    data = event.get("conferenceData")
    if isinstance(data, dict):
        for entry in data.get("entryPoints") or ():
            if isinstance(entry, dict) and entry.get("entryPointType") == "video":
                uri = entry.get("uri")
                if isinstance(uri, str) and uri:
                    return uri
    link = event.get("hangoutLink")
    return link if isinstance(link, str) else ""


def _read_meeting_line(description: str) -> tuple[str, str]:
    """The description without our meeting line, and the line's link ("" when none)."""
    found = _MEETING_RE.search(description)
    if found is None:
        return description, ""
    return description[: found.start()], found["url"]


def meet_conference(url: str) -> dict[str, Any] | None:
    """conferenceData for a Google Meet link (as Google copies a conference from another
    event: its id, solution and video entry point); None for any other link."""
    found = _MEET_RE.fullmatch(url)
    if found is None:
        return None
    code = found.group(1)
    return {
        "conferenceId": code,
        "conferenceSolution": {"key": {"type": "hangoutsMeet"}},
        "entryPoints": [
            {"entryPointType": "video", "uri": url, "label": f"meet.google.com/{code}"}
        ],
    }


# ---------------------------------------------------------------- Pipedrive -> item


def item_from_pipedrive(activity: dict[str, Any]) -> CalendarItem:
    """A Pipedrive v2 activity as a CalendarItem.

    Times are UTC. No due_time: an all-day item; its span in days is kept in `duration` as a
    multiple of 24 hours ("72:00" = three days; empty = one day). A span longer than
    Pipedrive's durations has the longest duration and our span line at the end of the
    description (`span_line`): the line gives the span while the duration is still that
    longest one, and is never part of the item's description. The note's marker
    "calsync:<google id>" becomes origin "google:<google id>". What the activity is linked to
    (person, organization, deal) is read apart, by the executor, when linked contacts are on.
    """
    activity_id = str(activity["id"])
    deleted = bool(activity.get("is_deleted"))
    due_date = activity.get("due_date")
    description, span_days, span_length = _read_span(activity.get("public_description") or "")
    start: datetime | date | None = None
    end: datetime | date | None = None
    all_day = False
    if due_date:
        day = date.fromisoformat(str(due_date)[:10])
        duration = parse_hhmm(activity.get("duration"))
        due_time = parse_hhmm(activity.get("due_time"))
        if due_time is None:
            all_day = True
            days = 1
            if duration is not None and duration >= timedelta(days=1):
                days = duration // timedelta(days=1)
            if span_days is not None and days == PIPEDRIVE_MAX_DAYS:
                days = span_days
            start, end = day, day + timedelta(days=days)
        else:
            start = datetime.combine(day, time(), UTC) + due_time
            if span_length is not None and duration == PIPEDRIVE_MAX_DURATION:
                duration = span_length
            end = start + (duration or timedelta())
    elif not deleted:
        raise UnmappableItem("pipedrive", activity_id, "activity has no due date")

    location = activity.get("location")
    if isinstance(location, dict):
        location = location.get("value")
    if not isinstance(location, str):
        location = ""
    attendees = tuple(
        Attendee(
            email=a["email"],
            name=a.get("name") or "",
            status=_GOOGLE_STATUS.get(a.get("status") or "noreply", "needsAction"),
        )
        for a in activity.get("attendees") or ()
        if isinstance(a, dict)
        and a.get("email")
        and not a.get("is_organizer")
        and not a.get("user_id")
    )
    marker = marker_google_id(activity.get("note"))
    updated = activity.get("update_time")
    busy = activity.get("busy")
    return CalendarItem(
        side="pipedrive",
        id=activity_id,
        version=str(updated or ""),
        updated=parse_datetime(updated) if updated else None,
        title=activity.get("subject") or "",
        start=start,
        end=end,
        all_day=all_day,
        time_zone=None,
        location=location or "",
        description=description,
        busy=True if busy is None else bool(busy),
        private=bool(activity.get("private", False)),
        attendees=attendees,
        activity_type=activity.get("type"),
        deleted=deleted,
        origin=f"google:{marker}" if marker else None,
        done=bool(activity.get("done", False)),
        meeting_url=str(activity.get("conference_meeting_url") or ""),
    )


# ---------------------------------------------------------------- fitting Pipedrive's limits


def fit_short(text: str) -> str:
    """`text` cut to Pipedrive's 255 characters, the last one the cut mark."""
    if len(text) <= PIPEDRIVE_MAX_SHORT:
        return text
    return text[: PIPEDRIVE_MAX_SHORT - len(CUT_MARK)] + CUT_MARK


def is_cut(text: str) -> bool:
    """Whether `text` (a subject or location read from Pipedrive) is a cut made by `fit_short`.

    Such a text is not written back to Google: the event keeps the whole one."""
    return len(text) == PIPEDRIVE_MAX_SHORT and text.endswith(CUT_MARK)


def pipedrive_email_ok(email: str) -> bool:
    """Whether Pipedrive takes `email` as an attendee's address (others are left out)."""
    return len(email) <= PIPEDRIVE_MAX_SHORT and _EMAIL_RE.fullmatch(email) is not None


def span_line(item: CalendarItem) -> str:
    """The line that keeps a span longer than Pipedrive's durations ("" when it fits)."""
    if item.start is None:
        return ""
    if item.all_day or not isinstance(item.start, datetime):
        days = _all_day_days(item)
        return f"── calsync: lasts {days} days ──" if days > PIPEDRIVE_MAX_DAYS else ""
    length = _timed_length(item)
    if length <= PIPEDRIVE_MAX_DURATION:
        return ""
    minutes = int(length.total_seconds()) // 60
    return f"── calsync: lasts {minutes // 60} h {minutes % 60:02d} min ──"


def _with_span(description: str, line: str) -> str:
    if not line:
        return description
    return f"{description}\n\n{line}" if description else line


def _read_span(description: str) -> tuple[str, int | None, timedelta | None]:
    """The description without our span line, and the line's days or length, if any."""
    found = _SPAN_RE.search(description)
    if found is None:
        return description, None, None
    text = description[: found.start()]
    if found["days"] is not None:
        return text, int(found["days"]), None
    return text, None, timedelta(hours=int(found["hours"]), minutes=int(found["minutes"]))


def _pipedrive_attendees(item: CalendarItem) -> list[Attendee]:
    """The item's attendees Pipedrive can hold: one per address, valid addresses only."""
    return [a for a in _unique(item.attendees) if pipedrive_email_ok(a.email)]


def too_big_for_pipedrive(item: CalendarItem) -> str | None:
    """Why `item` cannot become a Pipedrive activity, or None when it can.

    Pipedrive refuses bigger activities (400 "Must be at most ..."): such events are skipped
    with a reason rather than failing every run. What can be fitted is (`pipedrive_body`)."""
    size = len(item.description)
    fitted = len(_with_span(item.description, span_line(item)))
    if fitted > PIPEDRIVE_MAX_DESCRIPTION:
        with_span = f" ({fitted:,} with the line keeping its span)" if fitted != size else ""
        return (
            f"description of {size:,} characters{with_span}: Pipedrive takes at most "
            f"{PIPEDRIVE_MAX_DESCRIPTION:,}"
        )
    attendees = len(_pipedrive_attendees(item))
    if attendees > PIPEDRIVE_MAX_ATTENDEES:
        return f"{attendees:,} attendees: Pipedrive takes at most {PIPEDRIVE_MAX_ATTENDEES}"
    return None


# ---------------------------------------------------------------- item -> Google


def _google_times(item: CalendarItem, default_tz: str | None) -> dict[str, Any]:
    if item.start is None:
        raise ValueError(f"item {item.id} has no start")
    if item.all_day or not isinstance(item.start, datetime):
        start_day = item.start if not isinstance(item.start, datetime) else item.start.date()
        end_day = (
            item.end if isinstance(item.end, date) and not isinstance(item.end, datetime) else None
        )
        if end_day is None or end_day <= start_day:
            end_day = start_day + timedelta(days=1)
        return {"start": {"date": start_day.isoformat()}, "end": {"date": end_day.isoformat()}}
    tz_name = item.time_zone or default_tz or "UTC"
    tz = zone(tz_name)
    end = item.end if isinstance(item.end, datetime) else item.start
    return {
        "start": {"dateTime": item.start.astimezone(tz).isoformat(), "timeZone": tz_name},
        "end": {"dateTime": end.astimezone(tz).isoformat(), "timeZone": tz_name},
    }


def google_body(
    item: CalendarItem,
    options: Options,
    *,
    event_id: str | None,
    linked: LinkedContacts | None,
    origin: str | None,
    default_tz: str | None = None,
    only_time: bool = False,
    event_meeting: str | None = "",
) -> dict[str, Any]:
    """The events.insert / events.patch body for `item` (usually a Pipedrive activity).

    The item's meeting link: a Meet link as the event's conferenceData (sent with
    conferenceDataVersion=1), any other as our line at the end of the description.
    `event_meeting` is the link the event holds now ("" for none, as for a new event; None:
    not known): conferenceData is sent only when the item's link differs from it (null when
    the link is gone or is no Meet link), so that an unchanged conference keeps what Google
    gave it (phone numbers, its creator's request).

    Timed items are written in the item's time zone, else `default_tz` (the calendar's), else
    UTC; all-day items as dates. With `only_time` only start/end (and our marker) are sent:
    used for the Busy placeholders of private Google events, whose details stay in Google.
    Linked contacts (block in the description, linked person as attendee) only when
    `options.linked_contacts` is on and `linked` is given; never otherwise. The attendees
    added for the linked person (not those the item has itself) are tagged in LINKED_KEY,
    so that reading the event back leaves them out. `origin` None
    writes no marker: updates of the user's own events (pairs that started on Google) must
    not label them as copies. A patch (`event_id` None) sends no title or location that
    Pipedrive holds cut (`is_cut`): the event keeps the whole text it has.
    """
    body: dict[str, Any] = {}
    if event_id is not None:
        body["id"] = event_id
    body.update(_google_times(item, default_tz))
    if origin is not None:
        props = {ORIGIN_KEY: origin}
        if item.side == "pipedrive":
            props[ACTIVITY_KEY] = item.id
        body["extendedProperties"] = {"private": props}
    if only_time:
        return body
    attendees: dict[str, dict[str, str]] = {}
    for a in item.attendees:
        attendees.setdefault(a.email.lower(), _google_attendee(a.email, a.name, a.status))
    description = _with_meeting(body, item, event_id=event_id, event_meeting=event_meeting)
    if options.linked_contacts and linked is not None and not linked.is_empty():
        description = _with_block(description, linked)
        _add_linked_person(body, attendees, linked)
    body.update(
        {
            "summary": item.title,
            "location": item.location,
            "description": description,
            "transparency": "opaque" if item.busy else "transparent",
            "visibility": "private" if item.private else "default",
            "attendees": list(attendees.values()),
        }
    )
    if event_id is None:
        # A patch leaves out what Pipedrive holds cut: the event keeps its whole text.
        for key, text in (("summary", item.title), ("location", item.location)):
            if is_cut(text):
                del body[key]
    return body


def _with_meeting(
    body: dict[str, Any], item: CalendarItem, *, event_id: str | None, event_meeting: str | None
) -> str:
    """The item's meeting link into `body`: a Meet link as conferenceData (only when it
    differs from `event_meeting`), any other as our line; the description to write."""
    description = item.description
    conference = meet_conference(item.meeting_url) if item.meeting_url else None
    if item.meeting_url and conference is None:
        line = f"── calsync: meeting {item.meeting_url} ──"
        description = f"{description}\n\n{line}" if description else line
    changed = event_meeting is None or event_meeting != item.meeting_url
    if changed and (conference is not None or event_id is None):
        body["conferenceData"] = conference  # None (a patch): the event's conference goes
    return description


def _add_linked_person(
    body: dict[str, Any], attendees: dict[str, dict[str, str]], linked: LinkedContacts
) -> None:
    """The linked person's addresses as attendees, tagged in LINKED_KEY (the tags are
    written with every block, empty when nothing was added: they replace the last ones)."""
    added: list[str] = []
    person = linked.person or Contact(name="")
    for email in person.emails:
        if email.lower() not in attendees:
            attendees[email.lower()] = _google_attendee(email, person.name, "needsAction")
            added.append(email_tag(email))
    props = body.setdefault("extendedProperties", {"private": {}})["private"]
    props[LINKED_KEY] = " ".join(added)


def _google_attendee(email: str, name: str, status: str) -> dict[str, str]:
    out = {"email": email, "responseStatus": status}
    if name:
        out["displayName"] = name
    return out


# ---------------------------------------------------------------- item -> Pipedrive


def _all_day_days(item: CalendarItem) -> int:
    assert item.start is not None
    start_day = item.start if not isinstance(item.start, datetime) else item.start.date()
    if isinstance(item.end, date) and not isinstance(item.end, datetime):
        return max(1, (item.end - start_day).days)
    return 1


def _timed_length(item: CalendarItem) -> timedelta:
    assert isinstance(item.start, datetime)
    end = item.end if isinstance(item.end, datetime) else item.start
    return max(end - item.start, timedelta())


def _pipedrive_times(item: CalendarItem) -> dict[str, Any]:
    """due_date, due_time and duration; a span over Pipedrive's limit gets the longest
    duration (its true length goes into the description: `span_line`)."""
    if item.start is None:
        raise ValueError(f"item {item.id} has no start")
    if item.all_day or not isinstance(item.start, datetime):
        start_day = item.start if not isinstance(item.start, datetime) else item.start.date()
        days = min(_all_day_days(item), PIPEDRIVE_MAX_DAYS)
        return {
            "due_date": start_day.isoformat(),
            "due_time": None,
            "duration": format_hhmm(timedelta(days=days)) if days > 1 else None,
        }
    start = item.start.astimezone(UTC)
    return {
        "due_date": start.date().isoformat(),
        "due_time": start.strftime("%H:%M"),
        "duration": format_hhmm(min(_timed_length(item), PIPEDRIVE_MAX_DURATION)),
    }


def pipedrive_body(
    item: CalendarItem,
    options: Options,
    *,
    marker: str,
    private_mode: PrivateMode | None = None,
    create: bool = True,
) -> dict[str, Any]:
    """The POST/PATCH /api/v2/activities body for `item` (usually a Google event).

    `private_mode` overrides options.private (the planner passes "private" for pairs that
    started in Pipedrive). For a private item: "private" -> a private activity with details;
    "busy" -> subject "Busy" and only the time; "public" -> like any event; "skip" -> refused
    (ValueError: the planner never asks). With `create` the body carries `type` (save_as) and
    the idempotency `marker` in `note`; updates leave both alone (the user may have retyped
    the activity or written a note).

    Every field is fitted to Pipedrive's limits: subject, location and attendee names over
    255 characters are cut (`fit_short`), attendees whose address Pipedrive refuses are left
    out, and a span longer than its durations keeps the longest duration with the true span
    in a line at the end of the description (`span_line`, read back by `item_from_pipedrive`).
    """
    mode = private_mode or options.private
    body: dict[str, Any] = {}
    if create:
        body["type"] = options.save_as
        body["note"] = marker
    body.update(_pipedrive_times(item))
    span = span_line(item)
    if item.private and mode == "skip":
        raise ValueError(f"private item {item.id} is skipped in private mode 'skip'")
    if item.private and mode == "busy":
        body.update(
            {
                "subject": BUSY_SUBJECT,
                "location": None,
                "public_description": span,
                "busy": _busy(item),
                "private": False,
                "attendees": [],
                "conference_meeting_url": None,
            }
        )
        return body
    location = fit_short(item.location)
    body.update(
        {
            "subject": fit_short(item.title),
            "location": {"value": location} if location else None,
            "public_description": _with_span(item.description, span),
            # Out-of-office and focus time are imported as busy time, whatever Google says.
            "busy": _busy(item),
            "private": item.private and mode == "private",
            "attendees": [_pd_attendee(a) for a in _pipedrive_attendees(item)],
            "conference_meeting_url": _pd_meeting(item.meeting_url),
        }
    )
    return body


def _busy(item: CalendarItem) -> bool:
    """Out-of-office and focus time are imported as busy time, whatever Google says."""
    return item.busy or item.event_type in BLOCK_EVENT_TYPES


def _pd_meeting(url: str) -> str | None:
    """The activity's `conference_meeting_url`: a link longer than Pipedrive takes is left
    out (the event keeps it) rather than failing the write on every run."""
    return url if url and len(url) <= PIPEDRIVE_MAX_URL else None


def _unique(attendees: tuple[Attendee, ...]) -> list[Attendee]:
    seen: dict[str, Attendee] = {}
    for a in attendees:
        seen.setdefault(a.email.lower(), a)
    return list(seen.values())


def _pd_attendee(a: Attendee) -> dict[str, str]:
    out = {"email": a.email, "status": _PD_STATUS.get(a.status, "noreply")}
    if a.name:
        out["name"] = fit_short(a.name)
    return out
