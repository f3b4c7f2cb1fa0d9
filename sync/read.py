"""The first phase of a run, `read`: both sides' changes (or complete listings) as a Snapshot.

Google: events.list with the sync token, or the whole window (the first run, a 410, a full
reconcile). Pipedrive: activities updated since the cursor, or all of the user's. Both are
normalised to CalendarItems; what cannot be read is kept apart with its reason. The raw
listings are let go here: at 10,000 + 10,000 they are the run's biggest objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from .google_api import EventPage, GoogleCalendar, SyncTokenExpired
from .kinds import dropped_types, listed_types, not_imported
from .mapping import UnmappableItem, item_from_google, item_from_pipedrive
from .models import CalendarItem, Intent, Link, Side
from .options import Options, options_used
from .services import Services
from .snapshot import Snapshot, Unreadable
from .store import Cursors

CONTACT_KEYS = ("person_id", "org_id", "deal_id")  # what linked contacts read of an activity


async def read(
    services: Services,
    *,
    options: Options,
    cursors: Cursors,
    series_links: Callable[[str], list[Link]],
    linked_activity: Callable[[str], str | None],
    calendar_tz: str,
    owner_id: int | None,
    now: datetime,
    full: bool,
    intents: tuple[Intent, ...] = (),
) -> Snapshot:
    """Both sides' changes since `cursors` (or, with `full`, the window whole) as a Snapshot.

    `series_links(master id)`: the links of a recurring series' instances, to find those that
    left the series without a tombstone in an incremental feed. `linked_activity(event id)`:
    the activity linked to an event, read by id when the event is no longer imported (an
    invitation declined since) and the incremental feed did not carry the activity: the
    planner must know whether it was edited in Pipedrive."""
    window = options.window(now)
    page, google_raw, full, expired = await _read_google(
        services.google, options, cursors, window, full=full, series_links=series_links
    )
    since = None
    if not full and cursors.pipedrive_updated_since:
        since = datetime.fromisoformat(cursors.pipedrive_updated_since.replace("Z", "+00:00"))
    listing = await services.pipedrive.list_activities(updated_since=since, owner_id=owner_id)
    raw_activities = listing.items
    listed = len(raw_activities)
    retried = 0
    if not full and cursors.retry:
        retried = await _read_again(
            services, options.calendar, cursors.retry, google_raw, raw_activities
        )
    unreadable: list[Unreadable] = []
    google_items = _normalise(google_raw, "google", calendar_tz, unreadable)
    pipedrive_items = _normalise(raw_activities, "pipedrive", calendar_tz, unreadable)
    if not full:
        pipedrive_items.update(
            await _no_longer_imported(
                services, options, google_items, pipedrive_items, linked_activity, unreadable
            )
        )
    return Snapshot(
        now=now,
        full=full,
        google=google_items,
        pipedrive=pipedrive_items,
        unreadable=tuple(unreadable),
        google_listed=len(page.items),
        pipedrive_listed=listed,
        retried=retried,
        next_sync_token=page.next_sync_token,
        google_token_expired=expired,
        google_listed_at=page.listed_at,
        pipedrive_listed_at=listing.listed_at,
        pipedrive_newest=_newest(raw_activities),
        contacts=_contacts(raw_activities),
        calendar=options.calendar,
        calendar_tz=calendar_tz,
        calendar_used=cursors.google_calendar,
        options_used=options_used(cursors.options_used),
        intents=intents,
    )


async def _read_google(
    google: GoogleCalendar,
    options: Options,
    cursors: Cursors,
    window: tuple[datetime, datetime],
    *,
    full: bool,
    series_links: Callable[[str], list[Link]],
) -> tuple[EventPage, list[dict], bool, bool]:
    """Google's side: the listing (incremental from the sync token, or the window whole),
    its raw events, whether it is full, and whether the sync token had expired (a 410)."""
    types = listed_types(options)

    def whole(event_types: tuple[str, ...]):
        return google.list_events(
            options.calendar, time_min=window[0], time_max=window[1], event_types=event_types
        )

    expired = False
    try:
        page = await (
            whole(types)
            if full
            else google.list_events(
                options.calendar, sync_token=cursors.google_sync_token, event_types=types
            )
        )
    except SyncTokenExpired:
        full, expired = True, True
        page = await whole(types)
    google_raw = list(page.items)
    dropped = dropped_types(options, options_used(cursors.options_used)) if full else ()
    if dropped:
        # The blocks no longer imported, once (their sync token is not kept: the next runs
        # go on from the listing above, with the option's filter).
        google_raw += (await whole(dropped)).items
    if not full:
        google_raw += await _vanished_instances(
            google, options.calendar, google_raw, series_links, window
        )
    return page, google_raw, full, expired


def _newest(raw_activities: list[dict]) -> str | None:
    """The latest update_time of a Pipedrive listing."""
    return max(
        (
            str(a["update_time"])
            for a in raw_activities
            if isinstance(a, dict) and a.get("update_time")
        ),
        default=None,
    )


def _contacts(raw_activities: list[dict]) -> dict[str, dict]:
    """The person, organization and deal ids of each listed activity (for linked contacts),
    and its participants' person ids, the primary first (for guest matching)."""
    return {
        str(a["id"]): {
            **{k: a[k] for k in CONTACT_KEYS if a.get(k)},
            "participants": _participant_ids(a.get("participants")),
        }
        for a in raw_activities
        if isinstance(a, dict) and "id" in a
    }


def _participant_ids(participants: object) -> list[str]:
    if not isinstance(participants, list):
        return []
    entries = [p for p in participants if isinstance(p, dict) and p.get("person_id")]
    entries.sort(key=lambda p: not p.get("primary"))
    return [str(p["person_id"]) for p in entries]


async def _read_again(
    services: Services,
    calendar_id: str,
    keys: Iterable[str],
    google: list[dict],
    pipedrive: list[dict],
) -> int:
    """Add the items whose write failed in an earlier run (by id, unless the feeds carried
    them anyway): what they are now, or a tombstone when they are gone. How many were read."""
    listed = {("google", str(e.get("id"))) for e in google} | {
        ("pipedrive", str(a.get("id"))) for a in pipedrive if isinstance(a, dict)
    }
    n = 0
    for key in sorted(keys):
        side, _, item_id = key.partition(":")
        if (side, item_id) in listed or side not in ("google", "pipedrive"):
            continue
        n += 1
        if side == "google":
            event = await services.google.get_event(calendar_id, item_id)
            google.append(event or {"id": item_id, "status": "cancelled"})
        else:
            activity = await services.pipedrive.get_activity(item_id)
            pipedrive.append(activity or {"id": item_id, "is_deleted": True})
    return n


async def _no_longer_imported(
    services: Services,
    options: Options,
    google: dict[str, CalendarItem],
    pipedrive: dict[str, CalendarItem],
    linked_activity: Callable[[str], str | None],
    unreadable: list[Unreadable],
) -> dict[str, CalendarItem]:
    """The activities linked to events of the feed that are no longer imported (declined
    since), read by id when the feed of activities did not carry them (tombstones for the
    gone ones). Declines are rare: one request each."""
    raw: list[dict] = []
    for event in google.values():
        if event.deleted or not_imported(event, options) is None:
            continue
        activity_id = linked_activity(event.id)
        if activity_id is None or activity_id in pipedrive:
            continue
        activity = await services.pipedrive.get_activity(activity_id)
        raw.append(activity or {"id": activity_id, "is_deleted": True})
    return _normalise(raw, "pipedrive", "UTC", unreadable)


def _normalise(
    raw: list[dict], side: Side, calendar_tz: str, unreadable: list[Unreadable]
) -> dict[str, CalendarItem]:
    items: dict[str, CalendarItem] = {}
    for data in raw:
        try:
            item = (
                item_from_google(data, calendar_tz)
                if side == "google"
                else item_from_pipedrive(data)
            )
        except (UnmappableItem, ValueError, KeyError, TypeError, AttributeError) as exc:
            ok = isinstance(data, dict)
            title = str(data.get("summary") or data.get("subject") or "") if ok else ""
            item_id = str(data.get("id", "?")) if ok else "?"
            unreadable.append(Unreadable(side, item_id, title, f"cannot be read: {exc}"))
            continue
        items[item.id] = item
    return items


async def _vanished_instances(
    google: GoogleCalendar,
    calendar_id: str,
    items: list[dict],
    series_links: Callable[[str], list[Link]],
    window: tuple[datetime, datetime],
) -> list[dict]:
    """Tombstones for linked instances that left their series without one in the feed.

    When a series' master is moved or its rule changes, Google's incremental feed
    (singleEvents) lists the new instances, and the old instance ids may simply stop
    existing. For each series the feed touched, list its instances in the window; each
    linked instance not among them is fetched, and counts as deleted only if it is gone.
    """
    seen = {str(e.get("id")) for e in items}
    masters_gone = {
        str(e.get("id"))
        for e in items
        if e.get("status") == "cancelled" and not e.get("recurringEventId")
    }
    series = sorted(
        {str(e["recurringEventId"]) for e in items if e.get("recurringEventId")} - masters_gone
    )
    out: list[dict] = []
    for series_id in series:
        linked = [
            link
            for link in series_links(series_id)
            if link.google_id not in seen and (link.end is None or link.end > window[0])
        ]
        if not linked:
            continue
        current = await google.instances(
            calendar_id, series_id, time_min=window[0], time_max=window[1]
        )
        alive = {str(e.get("id")) for e in current or () if e.get("status") != "cancelled"}
        for link in linked:
            if link.google_id in alive:
                continue
            event = await google.get_event(calendar_id, link.google_id)
            if event is None or event.get("status") == "cancelled":
                out.append(
                    {"id": link.google_id, "status": "cancelled", "recurringEventId": series_id}
                )
    return out
