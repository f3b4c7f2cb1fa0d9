"""Google Calendar state and its domain methods (they raise GoogleError like the real API).

Decisions where Google's behaviour is unspecified or unknown (kept simple, documented here):

- Sync tokens are positions in a per-calendar append-only change log. Every change to an
  event (or to an instance exception) appends its id; an incremental list returns each
  event changed after the position once, in its latest state. Deleted events come back as
  minimal `status: cancelled` tombstones (id, etag, plus recurringEventId and
  originalStartTime for instances).
- With `singleEvents=true` and a sync token, a changed series comes back as its instances
  (over the expansion horizon); a deleted series comes back as a cancelled tombstone for
  every instance plus one for the master id. Changed exceptions come back as themselves.
- Without `singleEvents`, lists return series masters with `recurrence` and exception
  instances (edited or cancelled) as separate items; cancelled exceptions are included
  even without showDeleted, as Google documents.
- Series with no end are expanded up to two years after now (Google pages further), and
  one expansion stops after 5,000 occurrences.
- Tokens whose calendar scopes are all `.readonly` get 403 `insufficientPermissions` on
  writes.
- Page tokens carry an offset into the result: a change between two pages can shift it.
- `update` and `patch` of a deleted event both answer 410 `deleted`; `instances` of a
  non-recurring event answers an empty list.
- A recurring event without `start.timeZone` -> 400 reason `required`, "Missing time zone
  definition for start time." (the wording Google uses).
- patch replaces each top-level field sent (arrays and start/end whole) and merges
  `extendedProperties.private`/`shared` per key (a null value removes the key).
- Every write goes through `_build`: the body's fields (body.py), the event type's rules
  (event_types.py) and conference data (conference.py); then `_notify` records what Google
  would email (outbox.py). `eventTypes` narrows full and incremental lists alike.
"""

from __future__ import annotations

import base64
import copy
import random
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .. import fakedata
from ..clock import Clock
from ..limits import SlidingWindow
from . import body as bodies
from . import conference, errors, event_types, recurrence
from .outbox import Outbox

ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")
MAX_RESULTS_DEFAULT = 250
MAX_RESULTS_CAP = 2500
HORIZON = timedelta(days=730)
# What a change check compares (besides start, end, status and recurrence).
WRITABLE = (*bodies.PASSTHROUGH, *event_types.PROPERTIES.values(), "conferenceData")
B32HEX = "0123456789abcdefghijklmnopqrstuv"


def new_id(rng: random.Random, length: int = 26) -> str:
    """A Google-like event id (base32hex, lower case) drawn from rng."""
    bits = rng.getrandbits(5 * length)
    return "".join(B32HEX[(bits >> (5 * i)) & 31] for i in range(length))


def rfc3339(dt: datetime) -> str:
    """`2026-11-25T10:09:21.123Z`, as Google writes created/updated."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def zone(name: object, what: str = "start") -> ZoneInfo:
    if not isinstance(name, str):
        raise errors.invalid(f"Invalid time zone definition for {what} time.")
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError) as exc:
        raise errors.invalid(f"Invalid time zone definition for {what} time.") from exc


@dataclass(slots=True)
class Event:
    """An event, a series master, or a stored exception of a series (edited/cancelled)."""

    id: str
    fields: dict
    start: datetime | date  # aware UTC datetime, or date for all-day
    end: datetime | date
    start_tz: str | None
    end_tz: str | None
    recurrence: list[str] | None
    status: str
    created: datetime
    updated: datetime
    etag: str
    start_at: datetime  # instants for window filters (all-day: midnight in the calendar's zone)
    end_at: datetime
    sequence: int = 0
    ical_uid: str = ""
    recurring_event_id: str | None = None
    original_start: datetime | date | None = None

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass
class Calendar:
    id: str
    summary: str
    time_zone: str
    access_role: str  # owner / writer / reader
    primary: bool = False
    description: str = ""
    color_id: str = "14"
    background_color: str = "#9fe1e7"
    foreground_color: str = "#000000"
    etag: str = '"1"'
    serial: int = 0
    events: dict[str, Event] = field(default_factory=dict)
    exceptions: dict[str, dict[str, Event]] = field(default_factory=dict)  # master id -> exceptions
    log: list[str] = field(default_factory=list)  # append-only change log of event ids
    last_pos: dict[str, int] = field(default_factory=dict)  # event id -> its last log index

    @property
    def writable(self) -> bool:
        return self.access_role in ("owner", "writer")


@dataclass
class ListQuery:
    """The parameters of events.list / events.instances, parsed and validated by routes."""

    max_results: int = MAX_RESULTS_DEFAULT
    page_token: str | None = None
    sync_token: str | None = None
    time_min: datetime | None = None
    time_max: datetime | None = None
    updated_min: datetime | None = None
    q: str | None = None
    private_props: list[tuple[str, str]] = field(default_factory=list)
    shared_props: list[tuple[str, str]] = field(default_factory=list)
    ical_uid: str | None = None
    order_by: str | None = None
    show_deleted: bool = False
    single_events: bool = False
    event_types: frozenset[str] | None = None  # None: every type


@dataclass(frozen=True)
class Write:
    """How a write was asked for, besides its body (the query parameters that matter)."""

    conference_version: int = 0
    send_updates: str = "none"
    batch: bool = False  # through the batch endpoint
    seeding: bool = False  # the sandbox's own seed: rules for Gmail-made events do not apply
    organizer: dict | None = None  # seeding: an invitation from someone else


@dataclass
class Page:
    items: list[Event]
    next_page_token: str | None = None
    next_sync_token: str | None = None


class GoogleCalendarState:
    """All calendars of the sandbox's single Google user, with Google's semantics."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.owner_email = fakedata.OWNER_EMAIL
        self.calendars: dict[str, Calendar] = {}
        self.lock = threading.RLock()
        self._rng = random.Random("calsync-google-ids")
        self._version = 0
        self._epoch = 1  # bumped by invalidate_sync_tokens: older tokens are stale
        self._rate_windows: dict[str, SlidingWindow] = {}
        # Full listings by query and log length: paging through a big calendar (or polling
        # it unchanged) reuses one O(n) listing instead of redoing it per page.
        self._full_cache: dict[tuple, list[Event]] = {}
        self.outbox = Outbox()  # what Google would have emailed (GET /_sandbox/google/outbox)

    # --- infrastructure -------------------------------------------------------------
    def next_etag(self) -> str:
        self._version += 1
        return f'"{3_500_000_000_000_000 + self._version}"'

    def invalidate_sync_tokens(self) -> None:
        """Every outstanding sync and page token goes stale (-> 410 fullSyncRequired)."""
        with self.lock:
            self._epoch += 1

    def check_rate(self, user: str, limit: int | None) -> None:
        """Google's per-user quota (None = off); each call, batch parts too, counts."""
        if limit is None:
            return
        with self.lock:
            window = self._rate_windows.get(user)
            if window is None or window.limit != limit:  # (re)built when the limit changes
                window = self._rate_windows[user] = SlidingWindow(limit, 60.0)
        if not window.try_hit(self.clock.now().timestamp()):
            raise errors.rate_limited(403, "userRateLimitExceeded")

    def _fresh_id(self) -> str:
        while True:
            candidate = new_id(self._rng)
            if not any(candidate in c.events for c in self.calendars.values()):
                return candidate

    def _record(self, cal: Calendar, ev: Event) -> None:
        cal.last_pos[ev.id] = len(cal.log)
        cal.log.append(ev.id)

    # --- calendars ------------------------------------------------------------------
    def add_calendar(self, cal: Calendar) -> Calendar:
        with self.lock:
            cal.serial = len(self.calendars) + 1
            cal.etag = self.next_etag()
            self.calendars[cal.id] = cal
            return cal

    def calendar(self, calendar_id: str) -> Calendar:
        if calendar_id == "primary":
            calendar_id = self.owner_email
        cal = self.calendars.get(calendar_id)
        if cal is None:
            raise errors.not_found()
        return cal

    def writable_calendar(self, calendar_id: str) -> Calendar:
        cal = self.calendar(calendar_id)
        if not cal.writable:
            raise errors.writer_access_required()
        return cal

    def insert_calendar(self, body: dict) -> Calendar:
        summary = (body.get("summary") or "").strip()
        if not summary:
            raise errors.required("Missing title.")
        tz = body.get("timeZone") or fakedata.OWNER_TIME_ZONE
        zone(tz, "calendar")
        with self.lock:
            cal_id = new_id(self._rng, 52) + "@group.calendar.google.com"
            return self.add_calendar(
                Calendar(
                    id=cal_id,
                    summary=summary,
                    time_zone=tz,
                    access_role="owner",
                    description=body.get("description") or "",
                    color_id="7",
                    background_color="#42d692",
                )
            )

    # --- event parsing ----------------------------------------------------------------
    def _parse_when(
        self, cal: Calendar, value: object, what: str, recurring: bool
    ) -> tuple[datetime | date, str | None]:
        if not isinstance(value, dict):
            raise errors.required(f"Missing {what} time.")
        tz_name = value.get("timeZone") or None
        if tz_name is not None:
            zone(tz_name, what)
        if value.get("date") and value.get("dateTime"):
            raise errors.invalid(f"Invalid {what} time.")
        if value.get("date"):
            try:
                return date.fromisoformat(str(value["date"])), tz_name
            except ValueError as exc:
                raise errors.invalid(f"Invalid {what} time.") from exc
        if not value.get("dateTime"):
            raise errors.required(f"Missing {what} time.")
        if recurring and what == "start" and tz_name is None:
            raise errors.required("Missing time zone definition for start time.")
        try:
            dt = datetime.fromisoformat(str(value["dateTime"]))
        except ValueError as exc:
            raise errors.invalid(f"Invalid {what} time.") from exc
        if dt.tzinfo is None:
            if tz_name is None:
                raise errors.required(f"Missing time zone definition for {what} time.")
            dt = dt.replace(tzinfo=ZoneInfo(tz_name))
        return dt.astimezone(UTC).replace(microsecond=0), tz_name

    def _instants(self, cal: Calendar, start: datetime | date, end: datetime | date):
        if isinstance(start, datetime):
            return start, end
        tz = ZoneInfo(cal.time_zone)
        return (
            datetime.combine(start, time(), tz).astimezone(UTC),
            datetime.combine(end, time(), tz).astimezone(UTC),
        )

    def organizer_email(self, cal: Calendar, fields: dict | None = None) -> str:
        """Who organizes an event: its stored organizer (invitations), else the calendar's."""
        given = (fields or {}).get("organizer")
        if given:
            return given["email"]
        return self.owner_email if cal.primary else cal.id

    def _fields(self, cal: Calendar, body: dict, old: Event | None, how: Write, kind: str) -> dict:
        """The stored fields of a write: passthrough, type properties, conference, organizer."""
        stored = old.fields if old is not None else {}
        organizer = how.organizer or stored.get("organizer")
        fields = bodies.normalise(
            body,
            organizer=organizer["email"] if organizer else self.organizer_email(cal),
            owner=self.owner_email,
        )
        if body.get("attendeesOmitted") is True and old is not None and "attendees" in fields:
            kept = stored.get("attendees", [])
            fields["attendees"] = bodies.merge_omitted(fields["attendees"], kept)
        fields.update(event_types.properties(kind, body, stored, seeding=how.seeding))
        if kind != "default":
            fields["eventType"] = kind
        conf = stored.get("conferenceData")
        if how.conference_version >= 1 and ("conferenceData" in body or old is not None):
            conf = conference.apply(body.get("conferenceData"), conf, self._rng)
        if conf:
            fields["conferenceData"] = conf
        if organizer:
            fields["organizer"] = dict(organizer)
        return fields

    def _build(
        self, cal: Calendar, body: dict, event_id: str, old: Event | None, how: Write
    ) -> Event:
        """A validated Event from a full resource body (insert/update)."""
        old_type = old.fields.get("eventType", "default") if old is not None else None
        kind = event_types.of(body, old_type)
        rec = body.get("recurrence") or None
        if old is not None and old.recurring_event_id:
            rec = None  # an instance cannot become a series
        if rec is not None and (
            not isinstance(rec, list) or not all(isinstance(x, str) for x in rec)
        ):
            raise errors.invalid("Invalid recurrence rule.")
        start, start_tz = self._parse_when(cal, body.get("start"), "start", bool(rec))
        end, end_tz = self._parse_when(cal, body.get("end"), "end", False)
        if isinstance(start, datetime) != isinstance(end, datetime):
            raise errors.invalid("Invalid start time.")
        if end < start:  # type: ignore[operator]
            raise errors.time_range_empty()
        if rec:
            try:
                recurrence.validate(rec, start, start_tz)
            except recurrence.RecurrenceError as exc:
                raise errors.invalid("Invalid recurrence rule.") from exc
        status = body.get("status") or "confirmed"
        if status not in ("confirmed", "tentative"):
            status = "confirmed"
        fields = self._fields(cal, body, old, how, kind)
        # Checked on every write, used on inserts only (both are fixed afterwards).
        sequence, ical_uid = (
            _sequence(body.get("sequence")),
            _ical_uid(body.get("iCalUID"), event_id),
        )
        event_types.check_new(
            kind,
            fields,
            primary=cal.primary,
            start=start,
            end=end,
            recurrence=list(rec) if rec else None,
            batch=how.batch,
            seeding=how.seeding,
            insert=old is None,
        )
        now = self.clock.now()
        start_at, end_at = self._instants(cal, start, end)
        ev = Event(
            id=event_id,
            fields=fields,
            start=start,
            end=end,
            start_tz=start_tz,
            end_tz=end_tz or start_tz,
            recurrence=list(rec) if rec else None,
            status=status,
            created=old.created if old else now,
            updated=now,
            etag=self.next_etag(),
            start_at=start_at,
            end_at=end_at,
            sequence=sequence if old is None else old.sequence,
            ical_uid=ical_uid if old is None else old.ical_uid,
            recurring_event_id=old.recurring_event_id if old else None,
            original_start=old.original_start if old else None,
        )
        if old is not None:
            contact = bool((old.fields.get("birthdayProperties") or {}).get("contact"))
            event_types.check_change(kind, _view(old), _view(ev), contact)
        if old and (old.start, old.end, old.recurrence) != (ev.start, ev.end, ev.recurrence):
            ev.sequence += 1
        return ev

    # --- event reads ----------------------------------------------------------------
    def get_event(self, calendar_id: str, event_id: str) -> Event:
        with self.lock:
            cal = self.calendar(calendar_id)
            return self._find(cal, event_id)

    def _find(self, cal: Calendar, event_id: str) -> Event:
        ev = cal.events.get(event_id)
        if ev is not None:
            return ev
        virtual = self._virtual_by_id(cal, event_id)
        if virtual is None:
            raise errors.not_found()
        return virtual

    def _virtual_by_id(self, cal: Calendar, event_id: str) -> Event | None:
        master_id, sep, suffix = event_id.rpartition("_")
        master = cal.events.get(master_id) if sep else None
        original = recurrence.parse_suffix(suffix)
        if master is None or not master.recurrence or original is None:
            return None
        if isinstance(original, datetime) == master.all_day:
            return None
        found = recurrence.occurrences(
            master.recurrence, master.start, master.start_tz, original, original
        )
        return self._virtual(cal, master, original) if found else None

    def _virtual(self, cal: Calendar, master: Event, original: datetime | date) -> Event:
        """The instance of a series at an original start (not stored)."""
        duration = master.end - master.start  # type: ignore[operator]
        end = original + duration  # type: ignore[operator]
        start_at, end_at = self._instants(cal, original, end)
        return Event(
            id=f"{master.id}_{recurrence.instance_suffix(original)}",
            fields=master.fields,
            start=original,
            end=end,
            start_tz=master.start_tz,
            end_tz=master.end_tz,
            recurrence=None,
            status=master.status,
            created=master.created,
            updated=master.updated,
            etag=master.etag,
            start_at=start_at,
            end_at=end_at,
            sequence=master.sequence,
            ical_uid=master.ical_uid,
            recurring_event_id=master.id,
            original_start=original,
        )

    def expand(
        self, cal: Calendar, master: Event, lo: datetime | None, hi: datetime | None
    ) -> list[Event]:
        """Instances of a series overlapping (lo, hi): virtual ones and stored exceptions.

        Cancelled exceptions are included (callers filter on status).
        """
        assert master.recurrence
        hi_at = hi or (max(self.clock.now(), master.start_at) + HORIZON)
        duration = master.end_at - master.start_at
        lo_occ: datetime | date | None = None
        hi_occ: datetime | date = hi_at
        if lo is not None:
            lo_occ = lo - duration - timedelta(days=1)
        if master.all_day:
            tz = ZoneInfo(cal.time_zone)
            lo_occ = lo_occ.astimezone(tz).date() if isinstance(lo_occ, datetime) else None
            hi_occ = hi_at.astimezone(tz).date() + timedelta(days=1)
        exceptions = cal.exceptions.get(master.id, {})
        out: list[Event] = []
        for original in recurrence.occurrences(
            master.recurrence, master.start, master.start_tz, lo_occ, hi_occ
        ):
            inst_id = f"{master.id}_{recurrence.instance_suffix(original)}"
            if inst_id in exceptions:
                continue
            inst = self._virtual(cal, master, original)
            if _overlaps(inst, lo, hi_at):
                out.append(inst)
        for exc in exceptions.values():
            # A cancelled instance stays where it was; an edited one may have moved.
            if exc.cancelled:
                if _original_overlaps(cal, exc, duration, lo, hi_at):
                    out.append(exc)
            elif _overlaps(exc, lo, hi_at):
                out.append(exc)
        out.sort(key=lambda e: (e.start_at, e.id))
        return out

    # --- event writes -----------------------------------------------------------------
    def insert_event(self, calendar_id: str, body: dict, how: Write = Write()) -> Event:
        with self.lock:
            cal = self.writable_calendar(calendar_id)
            event_id = body.get("id")
            if event_id is not None:
                if not isinstance(event_id, str) or not ID_RE.match(event_id):
                    raise errors.invalid("Invalid resource id value.")
                if event_id in cal.events:
                    raise errors.duplicate()
            else:
                event_id = self._fresh_id()
            ev = self._build(cal, body, event_id, None, how)
            cal.events[ev.id] = ev
            self._record(cal, ev)
            self._notify("events.insert", cal, None, ev, how)
            return ev

    def _writable_event(self, cal: Calendar, event_id: str, if_match: str | None) -> Event:
        ev = self._find(cal, event_id)
        if ev.cancelled:
            raise errors.deleted()
        if if_match is not None and if_match.strip() not in ("*", ev.etag):
            raise errors.condition_not_met()
        return ev

    def _store(self, cal: Calendar, ev: Event) -> Event:
        cal.events[ev.id] = ev
        if ev.recurring_event_id:
            cal.exceptions.setdefault(ev.recurring_event_id, {})[ev.id] = ev
        self._record(cal, ev)
        return ev

    def _notify(
        self, method: str, cal: Calendar, old: Event | None, new: Event | None, how: Write
    ) -> None:
        ev = new or old
        assert ev is not None
        self.outbox.record(
            at=rfc3339(self.clock.now()),
            method=method,
            calendar_id=cal.id,
            event_id=ev.id,
            summary=ev.fields.get("summary", ""),
            organizer=self.organizer_email(cal, ev.fields),
            sender=self.owner_email,
            before=(old.fields.get("attendees") or []) if old is not None else [],
            after=(new.fields.get("attendees") or []) if new is not None else [],
            send_updates=how.send_updates,
        )

    def update_event(
        self,
        calendar_id: str,
        event_id: str,
        body: dict,
        if_match: str | None = None,
        how: Write = Write(),
    ) -> Event:
        with self.lock:
            cal = self.writable_calendar(calendar_id)
            old = self._writable_event(cal, event_id, if_match)
            ev = self._store(cal, self._build(cal, body, old.id, old, how))
            self._notify("events.update", cal, old, ev, how)
            return ev

    def patch_event(
        self,
        calendar_id: str,
        event_id: str,
        body: dict,
        if_match: str | None = None,
        how: Write = Write(),
    ) -> Event:
        with self.lock:
            cal = self.writable_calendar(calendar_id)
            old = self._writable_event(cal, event_id, if_match)
            merged = self.resource_body(old)
            for key, value in body.items():
                if key == "extendedProperties" and isinstance(value, dict):
                    props = merged.setdefault("extendedProperties", {})
                    for scope in ("private", "shared"):
                        if scope not in value:
                            continue
                        given = value[scope]
                        if given is not None and not isinstance(given, dict):
                            raise errors.invalid(f"Invalid value for extendedProperties.{scope}.")
                        target = props.setdefault(scope, {})
                        for pk, pv in (given or {}).items():
                            if pv is None:
                                target.pop(pk, None)
                            else:
                                target[pk] = pv
                elif value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            ev = self._store(cal, self._build(cal, merged, old.id, old, how))
            self._notify("events.patch", cal, old, ev, how)
            return ev

    def delete_event(
        self, calendar_id: str, event_id: str, if_match: str | None = None, how: Write = Write()
    ) -> None:
        with self.lock:
            cal = self.writable_calendar(calendar_id)
            ev = self._writable_event(cal, event_id, if_match)
            contact = bool((ev.fields.get("birthdayProperties") or {}).get("contact"))
            event_types.check_delete(ev.fields.get("eventType", "default"), contact)
            for victim in [ev, *cal.exceptions.get(ev.id, {}).values()]:
                if victim.cancelled and victim is not ev:
                    continue
                victim.status = "cancelled"
                victim.updated = self.clock.now()
                victim.etag = self.next_etag()
                self._store(cal, victim)
            self._notify("events.delete", cal, ev, None, how)

    def resource_body(self, ev: Event) -> dict:
        """The writable part of an event as a client would send it back (for patch)."""
        body = copy.deepcopy(ev.fields)
        body["start"] = _when(ev.start, ev.start_tz)
        body["end"] = _when(ev.end, ev.end_tz)
        body["status"] = ev.status
        if ev.recurrence:
            body["recurrence"] = list(ev.recurrence)
        return body

    # --- lists ------------------------------------------------------------------------
    def _token(self, kind: str, cal: Calendar, *parts: int) -> str:
        raw = ".".join(str(p) for p in (kind, self._epoch, cal.serial, *parts))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _untoken(self, kind: str, cal: Calendar, token: str, n: int) -> list[int]:
        """The n numbers in a token; stale ones give 410, foreign or garbled ones 400 (page)
        or 410 (sync: Google answers any unusable sync token with fullSyncRequired)."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            head, epoch, serial, *rest = raw.split(".")
            values = [int(x) for x in rest]
            usable = head == kind and int(serial) == cal.serial and len(values) == n
            stale = int(epoch) != self._epoch
        except (ValueError, UnicodeDecodeError):
            usable, stale, values = False, False, []
        if usable and not stale:
            return values
        if kind == "s" or (usable and stale):
            raise errors.full_sync_required()
        raise errors.invalid("Invalid page token value.", location="pageToken")

    def list_events(self, calendar_id: str, q: ListQuery) -> Page:
        with self.lock:
            cal = self.calendar(calendar_id)
            snap, offset, since = len(cal.log), 0, -1
            if q.sync_token:
                (since,) = self._untoken("s", cal, q.sync_token, 1)
                if since > len(cal.log):
                    raise errors.full_sync_required()
            if q.page_token:
                # A page token carries the list it continues: offset, snapshot, sync position.
                offset, snap, since = self._untoken("p", cal, q.page_token, 3)
                snap = min(snap, len(cal.log))
            if since >= 0:
                items = self._changes(cal, since, snap, q.single_events, q.event_types)
            else:
                key = (
                    cal.id,
                    len(cal.log),
                    self._version,
                    q.time_min,
                    q.time_max,
                    q.updated_min,
                    q.q,
                    tuple(q.private_props),
                    tuple(q.shared_props),
                    q.ical_uid,
                    q.order_by,
                    q.show_deleted,
                    q.single_events,
                    q.event_types,
                )
                cached = self._full_cache.get(key)
                if cached is None:
                    cached = self._full(cal, q)
                    if len(self._full_cache) >= 16:
                        self._full_cache.clear()
                    self._full_cache[key] = cached
                items = cached
            end = offset + q.max_results
            if end < len(items):
                token = self._token("p", cal, end, snap, since)
                return Page(items[offset:end], next_page_token=token)
            return Page(items[offset:end], next_sync_token=self._token("s", cal, snap))

    def _changes(
        self, cal: Calendar, since: int, snap: int, single: bool, types: frozenset[str] | None
    ) -> list[Event]:
        """Each event changed in log[since:snap] once, in its current state: O(changes)."""
        out: list[Event] = []
        seen: set[str] = set()
        for i in range(since, snap):
            event_id = cal.log[i]
            last = cal.last_pos[event_id]
            if last != i and (last < snap or event_id in seen):
                continue  # reported at its last position (or already, if it changed again)
            seen.add(event_id)
            ev = cal.events[event_id]
            if types is not None and _type(ev) not in types:
                continue
            if single and ev.recurrence:
                out.extend(self.expand(cal, ev, None, None))
                if ev.cancelled:
                    out.append(ev)
            else:
                out.append(ev)
        return out

    def _shown(self, ev: Event, q: ListQuery) -> bool:
        """Cancelled items show with showDeleted, or when deleted since updatedMin."""
        return (
            not ev.cancelled
            or q.show_deleted
            or (q.updated_min is not None and ev.updated >= q.updated_min)
        )

    def _full(self, cal: Calendar, q: ListQuery) -> list[Event]:
        out: list[Event] = []
        for ev in cal.events.values():
            if ev.recurring_event_id:
                if q.single_events:
                    continue  # reached through expand()
                master = cal.events.get(ev.recurring_event_id)
                series_gone = master is None or master.cancelled
                # Google lists cancelled instances without showDeleted, unless the series is gone.
                if ev.cancelled and series_gone and not self._shown(ev, q):
                    continue
            elif not self._shown(ev, q):
                continue
            if ev.recurrence and q.single_events:
                for inst in self.expand(cal, ev, q.time_min, q.time_max):
                    if self._shown(inst, q) and self._matches(cal, inst, q):
                        out.append(inst)
            elif self._matches(cal, ev, q):
                out.append(ev)
        if q.order_by == "startTime" or (q.single_events and q.order_by is None):
            out.sort(key=lambda e: (e.start_at, e.id))
        elif q.order_by == "updated":
            out.sort(key=lambda e: (e.updated, e.id))
        return out

    def _in_window(self, cal: Calendar, ev: Event, q: ListQuery) -> bool:
        if q.time_min is None and q.time_max is None:
            return True
        if ev.recurrence:  # a master: any live instance in the window
            if ev.cancelled:
                return True
            return any(not i.cancelled for i in self.expand(cal, ev, q.time_min, q.time_max))
        if ev.cancelled and ev.recurring_event_id:
            duration = ev.end_at - ev.start_at
            return _original_overlaps(cal, ev, duration, q.time_min, q.time_max)
        return _overlaps(ev, q.time_min, q.time_max)

    def _matches(self, cal: Calendar, ev: Event, q: ListQuery) -> bool:
        if q.event_types is not None and _type(ev) not in q.event_types:
            return False
        if not self._in_window(cal, ev, q):
            return False
        if q.updated_min and ev.updated < q.updated_min:
            return False
        if q.ical_uid and ev.ical_uid != q.ical_uid:
            return False
        f = ev.fields
        if q.q:
            hay = " ".join(
                [f.get("summary", ""), f.get("description", ""), f.get("location", "")]
                + [
                    f"{a.get('email', '')} {a.get('displayName', '')}"
                    for a in f.get("attendees", [])
                ]
            ).lower()
            if not all(word in hay for word in q.q.lower().split()):
                return False
        props = f.get("extendedProperties") or {}
        for scope, wanted in (("private", q.private_props), ("shared", q.shared_props)):
            have = props.get(scope) or {}
            if any(have.get(k) != v for k, v in wanted):
                return False
        return True

    def instances(
        self, calendar_id: str, event_id: str, q: ListQuery, original_start: datetime | None
    ) -> Page:
        with self.lock:
            cal = self.calendar(calendar_id)
            master = cal.events.get(event_id)
            if master is None:
                raise errors.not_found()
            if master.cancelled:
                raise errors.deleted()
            items: list[Event] = []
            if master.recurrence:
                items = [
                    e
                    for e in self.expand(cal, master, q.time_min, q.time_max)
                    if (q.show_deleted or not e.cancelled)
                    and (original_start is None or _same_start(e.original_start, original_start))
                ]
            offset = self._untoken("p", cal, q.page_token, 3)[0] if q.page_token else 0
            end = offset + q.max_results
            if end < len(items):
                return Page(items[offset:end], next_page_token=self._token("p", cal, end, 0, -1))
            return Page(items[offset:end])

    # --- bulk (seeding) ---------------------------------------------------------------
    def add_seeded(
        self,
        cal: Calendar,
        event_id: str,
        fields: dict,
        start: datetime | date,
        end: datetime | date,
    ) -> Event:
        """Store a pre-validated single event fast (bulk seeding: no parsing, O(1))."""
        now = self.clock.now()
        start_at, end_at = self._instants(cal, start, end)
        ev = Event(
            id=event_id,
            fields=fields,
            start=start,
            end=end,
            start_tz=None,
            end_tz=None,
            recurrence=None,
            status="confirmed",
            created=now,
            updated=now,
            etag=self.next_etag(),
            start_at=start_at,
            end_at=end_at,
            ical_uid=f"{event_id}@google.com",
        )
        cal.events[event_id] = ev
        self._record(cal, ev)
        return ev

    def state_dump(self) -> dict:
        """Everything held, JSON-able (GET /_sandbox/state)."""
        from .render import calendar_entry, event_json

        with self.lock:
            return {
                "owner_email": self.owner_email,
                "sync_epoch": self._epoch,
                "outbox": self.outbox.snapshot(),
                "calendars": [
                    {
                        **calendar_entry(cal),
                        "change_log_length": len(cal.log),
                        "events": [event_json(cal, ev, self) for ev in cal.events.values()],
                    }
                    for cal in self.calendars.values()
                ],
            }


def _sequence(value: object) -> int:
    if value is None:
        return 0
    if type(value) is not int or not 0 <= value < 2**31:
        raise errors.invalid("Invalid sequence value.")
    return value


def _ical_uid(value: object, event_id: str) -> str:
    if value is None or value == "":
        return f"{event_id}@google.com"
    if not isinstance(value, str) or len(value) > 1024:
        raise errors.invalid("Invalid iCalUID value.")
    return value


def _type(ev: Event) -> str:
    return ev.fields.get("eventType", "default")


def _view(ev: Event) -> dict:
    """What an event-type change check compares: the writable fields and the times."""
    out = {k: ev.fields[k] for k in WRITABLE if k in ev.fields}
    out["start"], out["end"] = (ev.start, ev.start_tz), (ev.end, ev.end_tz)
    out["status"], out["recurrence"] = ev.status, ev.recurrence
    return out


def _when(value: datetime | date, tz_name: str | None) -> dict:
    if isinstance(value, datetime):
        out = {"dateTime": value.isoformat()}
        if tz_name:
            out["timeZone"] = tz_name
        return out
    return {"date": value.isoformat()}


def _overlaps(ev: Event, lo: datetime | None, hi: datetime | None) -> bool:
    """timeMin bounds the end and timeMax the start, both exclusive."""
    if lo is not None and not ev.end_at > lo:
        return False
    return not (hi is not None and not ev.start_at < hi)


def _original_overlaps(
    cal: Calendar, exc: Event, duration: timedelta, lo: datetime | None, hi: datetime | None
) -> bool:
    original = exc.original_start if exc.original_start is not None else exc.start_at
    if isinstance(original, datetime):
        start = original
    else:
        start = datetime.combine(original, time(), ZoneInfo(cal.time_zone)).astimezone(UTC)
    return (lo is None or start + duration > lo) and (hi is None or start < hi)


def _same_start(a: datetime | date | None, b: datetime) -> bool:
    if isinstance(a, datetime):
        return a == b
    return a is not None and a == b.date()
