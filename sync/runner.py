"""The runner: one sync run (`run_once`) or a loop of them (`watch`), as a stream of SyncEvents.

One run: lock the account; read what changed on each side (Google: events.list with the
sync token, or the window in full; Pipedrive: activities updated since the cursor, or all
of them in full); normalise; plan (pure); hold the run if it would mass-delete; apply;
save links, cursors and the run log. The TUI log, `calsync sync --json` and the tests
consume the same stream. The last event is always `done`, with the run's summary.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx

from . import polling
from .errors import AuthError, CalsyncError
from .executor import Context, Executor
from .google_api import SyncTokenExpired
from .mapping import UnmappableItem, item_from_google, item_from_pipedrive
from .models import CalendarItem, EventKind, RunSummary, SyncEvent
from .planner import Plan, guard, plan
from .services import open_services
from .store import Store
from .vault import Vault

log = logging.getLogger("calsync.sync")

FULL_RECONCILE_EVERY = timedelta(hours=24)
CURSOR_SKEW_MARGIN = timedelta(minutes=10)
CURSOR_SETTLED = timedelta(seconds=2)
CURSOR_TRUSTED = timedelta(hours=1)
CONTACT_KEYS = ("person_id", "org_id", "deal_id")  # what linked contacts read of an activity
EXIT_OK, EXIT_FAILED, EXIT_GUARDED = 0, 1, 3


def _now() -> datetime:
    return datetime.now(UTC)


def _normalise(
    raw: list[dict],
    side: str,
    calendar_tz: str,
    summary: RunSummary,
    events: list[SyncEvent],
    now: datetime,
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
            item_id = str(data.get("id", "?")) if isinstance(data, dict) else "?"
            title = (
                str(data.get("summary") or data.get("subject") or "")
                if isinstance(data, dict)
                else ""
            )
            reason = f"cannot be read: {exc}"
            summary.skip(item_id, title, reason)
            events.append(
                SyncEvent("skip", None, title, None, reason, item_id, now, {"code": "invalid"})
            )
            continue
        items[item.id] = item
    return items


async def run_once(
    store: Store,
    vault: Vault,
    account_id: str,
    *,
    dry_run: bool = False,
    force_delete: bool = False,
    full: bool | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    now: datetime | None = None,
    retry_wait: float = 0.2,
) -> AsyncIterator[SyncEvent]:
    """One sync run of an account, as events. Raises CalsyncError when the run cannot go on
    (after recording it); a guarded or dry run ends normally with its `done` event."""
    with store.lock(account_id):
        async for event in _run(
            store,
            vault,
            account_id,
            dry_run=dry_run,
            force_delete=force_delete,
            full=full,
            transport=transport,
            now=now,
            retry_wait=retry_wait,
        ):
            yield event


async def _run(
    store: Store,
    vault: Vault,
    account_id: str,
    *,
    dry_run: bool,
    force_delete: bool,
    full: bool | None,
    transport,
    now: datetime | None,
    retry_wait: float,
) -> AsyncIterator[SyncEvent]:
    started = time.perf_counter()
    now = now or _now()
    account = store.account(account_id)
    if account.state != "active":
        raise CalsyncError(
            f"account {account_id} is not syncing: run `calsync reconnect {account_id}` first"
        )
    options = account.options
    data = store.data(account_id)
    cursors = data.cursors()
    summary = RunSummary()
    log_events: list[SyncEvent] = []

    def emit(kind: str, reason: str = "", **detail) -> SyncEvent:
        event = SyncEvent(kind, None, "", None, reason, None, now, detail)  # type: ignore[arg-type]
        log_events.append(event)
        return event

    calendar_id = options.calendar
    calendar_tz = account.extra.get("calendar_tz") or "UTC"
    if full is None:
        full = (
            cursors.google_sync_token is None
            or cursors.google_calendar != calendar_id
            or cursors.options_used != options.to_json()
            or cursors.pipedrive_updated_since is None
            or cursors.last_full_reconcile is None
            or now - cursors.last_full_reconcile >= FULL_RECONCILE_EVERY
        )
    yield emit(
        "start",
        "dry run" if dry_run else ("full reconcile" if full else "incremental"),
        account=account_id,
        full=full,
        dry_run=dry_run,
    )

    services = open_services(account, vault, transport=transport, retry_wait=retry_wait)
    try:
        window_start, window_end = options.window(now)
        # -- read both sides
        try:
            if full:
                page = await services.google.list_events(
                    calendar_id, time_min=window_start, time_max=window_end
                )
            else:
                page = await services.google.list_events(
                    calendar_id, sync_token=cursors.google_sync_token
                )
        except SyncTokenExpired:
            yield emit(
                "fetch",
                "Google's sync token expired: listing the whole window again",
                side="google",
            )
            full = True
            page = await services.google.list_events(
                calendar_id, time_min=window_start, time_max=window_end
            )
        google_raw = list(page.items)
        if not full:
            google_raw += await _vanished_instances(
                services.google, calendar_id, google_raw, data, (window_start, window_end)
            )
        owner_id = account.extra.get("pipedrive_user_id")
        since = None
        if not full and cursors.pipedrive_updated_since:
            since = datetime.fromisoformat(cursors.pipedrive_updated_since.replace("Z", "+00:00"))
        raw_activities = await services.pipedrive.list_activities(
            updated_since=since, owner_id=owner_id
        )
        yield emit(
            "fetch",
            f"{len(page.items)} Google events, {len(raw_activities)} Pipedrive activities",
            google=len(page.items),
            pipedrive=len(raw_activities),
            full=full,
        )

        google_items = _normalise(google_raw, "google", calendar_tz, summary, log_events, now)
        pipedrive_items = _normalise(
            raw_activities, "pipedrive", calendar_tz, summary, log_events, now
        )
        # The raw listings are the run's biggest objects (at 10,000 + 10,000 about 40 MB of
        # decoded JSON): keep only what the rest of the run reads from them.
        next_sync_token = page.next_sync_token
        newest_stamp = max(
            (
                str(a["update_time"])
                for a in raw_activities
                if isinstance(a, dict) and a.get("update_time")
            ),
            default=None,
        )
        contacts_by_id = (
            {
                str(a["id"]): {k: a[k] for k in CONTACT_KEYS if a.get(k)}
                for a in raw_activities
                if isinstance(a, dict) and "id" in a
            }
            if options.linked_contacts
            else {}
        )
        del page, google_raw, raw_activities
        for event in log_events[-(len(log_events)) :]:
            if event.kind == "skip":
                yield event

        links = data.links()
        switched = bool(cursors.google_calendar) and cursors.google_calendar != calendar_id
        if switched and links:
            # Another calendar was chosen: the pairs of the old one are no longer synced (never
            # deleted: the old calendar's events and their activities stay as they are).
            yield emit(
                "skip",
                f"the synced calendar changed: {len(links)} pairs with "
                f"{cursors.google_calendar} are no longer synced",
                code="calendar",
            )
            if not dry_run:
                for link in links:
                    data.delete_link(link)
            links = []
        the_plan: Plan = plan(
            links=links,
            google=google_items,
            pipedrive=pipedrive_items,
            options=options,
            now=now,
            full=full,
            # Linked contacts switched on or off: existing copies get (or lose) them now.
            rewrite_google=full
            and cursors.options_used is not None
            and cursors.options_used.get("linked_contacts") != options.linked_contacts,
            # The private mode changed, or two-way resumed (one-way ignored the mode): the
            # activities made from private events are brought under the current mode now.
            rewrite_private=full
            and cursors.options_used is not None
            and (
                cursors.options_used.get("private") != options.private
                or cursors.options_used.get("sync_type") != options.sync_type
            ),
        )
        n_links = len(links)
        held = guard(the_plan, n_links, n_links)
        if held and not force_delete:
            summary.status = "guarded"
            yield emit(
                "guard",
                held,
                deletes={
                    "google": the_plan.deletes("google"),
                    "pipedrive": the_plan.deletes("pipedrive"),
                },
                examples={side: the_plan.deleted_titles(side) for side in ("google", "pipedrive")},
                links=n_links,
            )
            _finish(
                store,
                data,
                account_id,
                summary,
                log_events,
                started,
                services,
                now,
                record=not dry_run,
            )
            yield emit("done", held, summary=summary.to_json(), exit_code=EXIT_GUARDED)
            return
        if dry_run:
            for event in _preview(the_plan, now):
                log_events.append(event)
                yield event
            _finish(
                store, data, account_id, summary, log_events, started, services, now, record=False
            )
            yield emit(
                "done",
                "dry run: nothing was written",
                summary=summary.to_json(),
                exit_code=EXIT_OK,
                plan=the_plan.counts(),
            )
            return

        ctx = Context(
            services=services,
            data=data,
            options=options,
            calendar_id=calendar_id,
            calendar_tz=calendar_tz,
            id_seed=f"{account_id}:{calendar_id}",
            api_domain=account.pipedrive_domain,
            now=now,
            summary=summary,
            raw_activities=contacts_by_id,
            events=log_events,
        )
        # One transaction: links are written every few seconds (the executor flushes) and at
        # the end, never once per link.
        with data.transaction():
            async for event in Executor(ctx, data.flush).run(the_plan):
                yield event

        # -- cursors: only when every item went through (a failed item is tried again)
        if not summary.errors:
            changes: dict = {
                "google_sync_token": next_sync_token,
                "google_calendar": calendar_id,
                "options_used": options.to_json(),
            }
            if newest_stamp:
                changes["pipedrive_updated_since"] = _next_cursor(
                    newest_stamp, services.pipedrive.listed_at
                )
            elif full:
                # Nothing to take the server's time from: our clock, minus a margin for skew
                # (re-reading a few minutes of our own writes costs nothing: they are echoes).
                since_now = now - CURSOR_SKEW_MARGIN
                changes["pipedrive_updated_since"] = since_now.isoformat(
                    timespec="seconds"
                ).replace("+00:00", "Z")
            if full:
                changes["last_full_reconcile"] = now
            data.set_cursors(**changes)
        summary.status = "error" if summary.errors else "ok"
        _finish(store, data, account_id, summary, log_events, started, services, now)
        yield emit(
            "done",
            summary.status,
            summary=summary.to_json(),
            exit_code=EXIT_FAILED if summary.errors else EXIT_OK,
        )
    except CalsyncError as exc:
        summary.status = "error"
        summary.error(None, "", str(exc))
        log_events.append(SyncEvent("error", None, "", None, str(exc), None, now, {}))
        _finish(
            store,
            data,
            account_id,
            summary,
            log_events,
            started,
            services,
            now,
            needs_reconnect=isinstance(exc, AuthError),
            error=str(exc),
        )
        raise
    finally:
        await services.aclose()


async def _vanished_instances(
    google, calendar_id: str, items: list[dict], data, window: tuple[datetime, datetime]
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
            for link in data.links_by_series(series_id)
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


def _next_cursor(newest: str, listed_at: datetime | None) -> str:
    """The next run's `updated_since`: the newest update_time read, inclusive (it has one-second
    precision, and more writes may land in that second), unless the listing began at least
    CURSOR_SETTLED after that second by Pipedrive's own clock: then that second's writes were
    all in it and the cursor moves past it. Without that, after a fast bulk write every idle
    run would read the hundreds of items of the last second again.

    A listing time far from the data (over CURSOR_TRUSTED: a sandbox with a frozen clock, a
    skewed server) says nothing about that second: inclusive then."""
    try:
        second = datetime.fromisoformat(newest.replace("Z", "+00:00"))
    except ValueError:
        return newest
    if second.tzinfo is None or listed_at is None:
        return newest
    if CURSOR_SETTLED <= listed_at - second <= CURSOR_TRUSTED:
        after = second.replace(microsecond=0) + timedelta(seconds=1)
        return after.isoformat(timespec="seconds").replace("+00:00", "Z")
    return newest


def _finish(
    store: Store,
    data,
    account_id: str,
    summary: RunSummary,
    events: list[SyncEvent],
    started: float,
    services,
    now: datetime,
    *,
    record: bool = True,
    needs_reconnect: bool = False,
    error: str | None = None,
) -> None:
    summary.seconds = time.perf_counter() - started
    summary.google.requests = services.requests("google")
    summary.pipedrive.requests = services.requests("pipedrive")
    # A watch polls every few seconds: a stretch of idle runs is kept as its first run only,
    # so the history keeps what happened and the runs file is not rewritten every poll.
    if record and not (summary.idle and data.last_run_idle()):
        data.append_run(summary, [e for e in events if e.kind not in ("progress",)], at=now)
    data.flush()
    changes: dict = {"last_run": now, "last_status": summary.status, "last_error": error}
    left = services.pipedrive.gate.daily_left
    if left is not None:  # for the watch's pacing (sync/polling.py)
        extra = store.account(account_id).extra
        budget = polling.observe(polling.Budget.from_json(extra.get("pipedrive_budget")), left, now)
        if budget is not None:
            changes["extra"] = {**extra, "pipedrive_budget": budget.to_json()}
    if needs_reconnect:
        changes["needs_reconnect"] = True
    store.update_account(account_id, **changes)


def _preview(the_plan: Plan, now: datetime) -> list[SyncEvent]:
    """The plan as events marked `dry_run`, for `--dry-run` and the app's preview."""
    from .planner import (
        CreateOnGoogle,
        CreateOnPipedrive,
        DeleteGoogle,
        DeletePipedrive,
        Skip,
        UpdateGoogle,
        UpdatePipedrive,
    )

    out = []
    kind: EventKind
    title = ""
    for action in the_plan:
        if isinstance(action, CreateOnGoogle | CreateOnPipedrive):
            kind, item, item_id = "create", action.item, action.item.id
        elif isinstance(action, UpdateGoogle | UpdatePipedrive):
            kind, item, item_id = "update", action.item, action.item.id
        elif isinstance(action, DeleteGoogle | DeletePipedrive):
            kind, item, title = "delete", None, action.link.title  # the pair's last title
            item_id = action.link.google_id if action.side == "google" else action.link.pipedrive_id
        elif isinstance(action, Skip):
            kind, item, item_id = "skip", action.item, action.item.id
        else:
            continue
        out.append(
            SyncEvent(
                kind,
                getattr(action, "side", None) if kind != "skip" else None,  # type: ignore[arg-type]
                item.title if item else title,
                item.start if item else None,
                getattr(action, "reason", ""),
                item_id,
                now,
                {"dry_run": True},
            )
        )
    return out


async def watch(
    store: Store,
    vault: Vault,
    account_id: str,
    *,
    interval: float = polling.DEFAULT_INTERVAL,
    transport: httpx.AsyncBaseTransport | None = None,
    runs: int | None = None,
) -> AsyncIterator[SyncEvent]:
    """Run again and again, `interval` seconds apart (longer when Pipedrive's daily budget
    needs it: sync/polling.py), until cancelled (or `runs` runs)."""
    n = 0
    while runs is None or n < runs:
        async for event in run_once(store, vault, account_id, transport=transport):
            yield event
        n += 1
        if runs is None or n < runs:
            await asyncio.sleep(polling.interval_for(store.account(account_id).extra, interval))
