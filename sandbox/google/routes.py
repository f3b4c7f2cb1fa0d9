"""Starlette routes for Google Calendar v3 (`/calendar/v3/...`) and its batch endpoint.

Thin: authenticate, enforce the per-user quota, parse parameters, call the model, render.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import batch, conference, errors, event_types, fields, outbox, schema
from .models import MAX_RESULTS_CAP, MAX_RESULTS_DEFAULT, GoogleCalendarState, ListQuery, Write
from .render import (
    calendar_entry,
    calendar_json,
    event_json,
    events_envelope,
    last_updated,
    limit_attendees,
    list_item,
)

BASE = "/calendar/v3"
# Parameters Google refuses next to a syncToken.
NOT_WITH_SYNC = (
    "timeMin",
    "timeMax",
    "q",
    "privateExtendedProperty",
    "sharedExtendedProperty",
    "orderBy",
    "iCalUID",
    "updatedMin",
)


def _google(request: Request, *, write: bool = False) -> GoogleCalendarState:
    """The caller's state after authentication, scope check and the per-user quota."""
    sandbox = request.app.state.sandbox
    header = request.headers.get("authorization")
    if not header:
        raise errors.login_required()
    scheme, _, token = header.partition(" ")
    grant = sandbox.tokens.check(token.strip(), "google") if scheme.lower() == "bearer" else None
    if grant is None:
        raise errors.unauthorized()
    if write:
        calendar_scopes = [s for s in grant.scope.split() if "auth/calendar" in s]
        if calendar_scopes and all(s.endswith(".readonly") for s in calendar_scopes):
            raise errors.insufficient_scopes()
    state: GoogleCalendarState = sandbox.google
    state.check_rate(grant.subject, sandbox.limits.google_per_user_per_minute)
    return state


async def _body(request: Request) -> dict:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: arrays nested thousands deep
        raise errors.parse_error() from exc
    if not isinstance(body, dict):
        raise errors.parse_error()
    return body


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise errors.invalid(f"Invalid value '{raw}'.", location=name) from exc
    if value < 1:
        raise errors.invalid(
            f"Invalid value '{raw}'. Values must be within the range: [1, 2500]", location=name
        )
    return min(value, MAX_RESULTS_CAP)


def _max_attendees(request: Request) -> int | None:
    raw = request.query_params.get("maxAttendees")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 2**31 - 1:
        raise errors.invalid(
            f"Invalid value '{raw[:50]}'. Values must be within the range: [1, 2147483647]",
            location="maxAttendees",
        )
    return int(raw)


def _event_types(request: Request) -> frozenset[str] | None:
    given = request.query_params.getlist("eventTypes")
    if not given:
        return None
    for value in given:
        if value not in event_types.TYPES:
            raise errors.invalid(f"Invalid value '{value[:50]}'.", location="eventTypes")
    return frozenset(given)


def _write(request: Request) -> Write:
    """The query parameters of a write that change what it does."""
    params = request.query_params
    return Write(
        conference_version=conference.version(params.get("conferenceDataVersion")),
        send_updates=outbox.choice(params.get("sendUpdates"), params.get("sendNotifications")),
        batch=batch.IN_BATCH in request.scope.get("extensions", {}),
    )


def _bool(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise errors.invalid(f"Invalid value '{raw}'.", location=name)
    return raw.lower() == "true"


def _time(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise errors.bad_request("Bad Request") from exc
    if value.tzinfo is None:
        raise errors.bad_request("Bad Request")
    return value


def _display_tz(request: Request) -> str | None:
    name = request.query_params.get("timeZone")
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise errors.invalid("Invalid time zone definition.", location="timeZone") from exc
    return name


def _props(request: Request, name: str) -> list[tuple[str, str]]:
    out = []
    for raw in request.query_params.getlist(name):
        key, sep, value = raw.partition("=")
        if not sep or not key:
            raise errors.invalid(f"Invalid value for {name}: {raw}", location=name)
        out.append((key, value))
    return out


def _query(request: Request) -> ListQuery:
    params = request.query_params
    q = ListQuery(
        max_results=_int(request, "maxResults", MAX_RESULTS_DEFAULT),
        page_token=params.get("pageToken") or None,
        sync_token=params.get("syncToken") or None,
        time_min=_time(request, "timeMin"),
        time_max=_time(request, "timeMax"),
        updated_min=_time(request, "updatedMin"),
        q=params.get("q") or None,
        private_props=_props(request, "privateExtendedProperty"),
        shared_props=_props(request, "sharedExtendedProperty"),
        ical_uid=params.get("iCalUID") or None,
        order_by=params.get("orderBy") or None,
        show_deleted=_bool(request, "showDeleted"),
        single_events=_bool(request, "singleEvents"),
        event_types=_event_types(request),
    )
    if q.sync_token and any(name in params for name in NOT_WITH_SYNC):
        raise errors.invalid("Sync token cannot be used with other filter parameters.")
    if q.time_min and q.time_max and q.time_max <= q.time_min:
        raise errors.time_range_empty()
    if q.order_by not in (None, "startTime", "updated"):
        raise errors.invalid(f"Invalid value '{q.order_by}'.", location="orderBy")
    if q.order_by == "startTime" and not q.single_events:
        raise errors.bad_request(
            "The requested ordering is not available for the particular query."
        )
    return q


def _event_response(
    payload: dict, selection: fields.Selection | None, max_attendees: int | None
) -> Response:
    shown = fields.apply(limit_attendees(payload, max_attendees), selection)
    return JSONResponse(shown, headers={"ETag": payload["etag"]})


# --- calendarList and calendars ---------------------------------------------------------
ROLES = ("freeBusyReader", "reader", "writer", "owner")


async def calendar_list(request: Request) -> Response:
    state = _google(request)
    selection = fields.of(request, schema.CALENDAR_LIST)
    min_role = request.query_params.get("minAccessRole")
    if min_role is not None and min_role not in ROLES:
        raise errors.invalid(f"Invalid value '{min_role}'.", location="minAccessRole")
    max_results = min(_int(request, "maxResults", 100), 250)
    since = 0
    if token := request.query_params.get("syncToken"):
        try:
            since = int(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()[3:])
        except (ValueError, UnicodeDecodeError) as exc:
            raise errors.full_sync_required() from exc
    offset = 0
    if page := request.query_params.get("pageToken"):
        try:
            offset = int(base64.urlsafe_b64decode(page + "=" * (-len(page) % 4)).decode()[3:])
        except (ValueError, UnicodeDecodeError) as exc:
            raise errors.invalid("Invalid page token value.", location="pageToken") from exc
    with state.lock:
        cals = [
            c
            for c in state.calendars.values()
            if c.serial > since
            and (min_role is None or ROLES.index(c.access_role) >= ROLES.index(min_role))
        ]
        total = len(state.calendars)
    out: dict = {"kind": "calendar#calendarList", "etag": f'"p{total:015d}"'}
    end = offset + max_results
    if end < len(cals):
        out["nextPageToken"] = base64.urlsafe_b64encode(f"cp.{end}".encode()).decode().rstrip("=")
    else:
        out["nextSyncToken"] = base64.urlsafe_b64encode(f"cs.{total}".encode()).decode().rstrip("=")
    out["items"] = [calendar_entry(c) for c in cals[offset:end]]
    return JSONResponse(fields.apply(out, selection))


async def calendar_list_get(request: Request) -> Response:
    state = _google(request)
    selection = fields.of(request, schema.CALENDAR_LIST_ENTRY)
    cal = state.calendar(request.path_params["calendar_id"])
    return JSONResponse(fields.apply(calendar_entry(cal), selection))


async def calendar_get(request: Request) -> Response:
    state = _google(request)
    selection = fields.of(request, schema.CALENDAR)
    cal = state.calendar(request.path_params["calendar_id"])
    return JSONResponse(fields.apply(calendar_json(cal), selection))


async def calendar_insert(request: Request) -> Response:
    state = _google(request, write=True)
    selection = fields.of(request, schema.CALENDAR)
    cal = state.insert_calendar(await _body(request))
    return JSONResponse(fields.apply(calendar_json(cal), selection))


# --- events ---------------------------------------------------------------------------
async def events_list(request: Request) -> Response:
    state = _google(request)
    selection = fields.of(request, schema.EVENTS)
    query = _query(request)
    tz = _display_tz(request)
    most = _max_attendees(request)
    cal_id = request.path_params["calendar_id"]
    page = state.list_events(cal_id, query)
    with state.lock:
        cal = state.calendar(cal_id)
        items = [list_item(cal, ev, state, tz, most) for ev in page.items]
        etag = cal.events[cal.log[-1]].etag if cal.log else '"0"'
        updated = last_updated(cal)
    envelope = events_envelope(
        cal,
        items,
        updated=updated,
        etag=etag,
        display_tz=tz,
        next_page_token=page.next_page_token,
        next_sync_token=page.next_sync_token,
    )
    return JSONResponse(fields.apply(envelope, selection))


async def events_insert(request: Request) -> Response:
    state = _google(request, write=True)
    selection = fields.of(request, schema.EVENT)
    how, most = _write(request), _max_attendees(request)
    body = await _body(request)
    cal_id = request.path_params["calendar_id"]
    ev = state.insert_event(cal_id, body, how)
    return _event_response(event_json(state.calendar(cal_id), ev, state), selection, most)


async def events_get(request: Request) -> Response:
    state = _google(request)
    selection = fields.of(request, schema.EVENT)
    most = _max_attendees(request)
    cal_id, event_id = request.path_params["calendar_id"], request.path_params["event_id"]
    ev = state.get_event(cal_id, event_id)
    inm = request.headers.get("if-none-match")
    if inm is not None and inm.strip() in (ev.etag, "*"):
        return Response(status_code=304, headers={"ETag": ev.etag})
    payload = event_json(state.calendar(cal_id), ev, state, _display_tz(request))
    return _event_response(payload, selection, most)


async def events_update(request: Request) -> Response:
    state = _google(request, write=True)
    selection = fields.of(request, schema.EVENT)
    how, most = _write(request), _max_attendees(request)
    cal_id, event_id = request.path_params["calendar_id"], request.path_params["event_id"]
    body = await _body(request)
    if_match = request.headers.get("if-match")
    if request.method == "PATCH":
        ev = state.patch_event(cal_id, event_id, body, if_match, how)
    else:
        ev = state.update_event(cal_id, event_id, body, if_match, how)
    return _event_response(event_json(state.calendar(cal_id), ev, state), selection, most)


async def events_delete(request: Request) -> Response:
    state = _google(request, write=True)
    how = _write(request)
    cal_id, event_id = request.path_params["calendar_id"], request.path_params["event_id"]
    state.delete_event(cal_id, event_id, request.headers.get("if-match"), how)
    return Response(status_code=204)


async def events_instances(request: Request) -> Response:
    state = _google(request)
    selection = fields.of(request, schema.EVENTS)
    most = _max_attendees(request)
    cal_id, event_id = request.path_params["calendar_id"], request.path_params["event_id"]
    query = ListQuery(
        max_results=_int(request, "maxResults", MAX_RESULTS_DEFAULT),
        page_token=request.query_params.get("pageToken") or None,
        time_min=_time(request, "timeMin"),
        time_max=_time(request, "timeMax"),
        show_deleted=_bool(request, "showDeleted"),
    )
    if query.time_min and query.time_max and query.time_max <= query.time_min:
        raise errors.time_range_empty()
    tz = _display_tz(request)
    page = state.instances(cal_id, event_id, query, _time(request, "originalStart"))
    with state.lock:
        cal = state.calendar(cal_id)
        items = [list_item(cal, ev, state, tz, most) for ev in page.items]
        master = cal.events[event_id]
    envelope = events_envelope(
        cal,
        items,
        updated=master.updated,
        etag=master.etag,
        display_tz=tz,
        next_page_token=page.next_page_token,
        next_sync_token=None,
    )
    return JSONResponse(fields.apply(envelope, selection))


EVENT = BASE + "/calendars/{calendar_id}/events/{event_id}"
api_routes = [
    Route(BASE + "/users/me/calendarList", calendar_list, methods=["GET"]),
    Route(BASE + "/users/me/calendarList/{calendar_id}", calendar_list_get, methods=["GET"]),
    Route(BASE + "/calendars", calendar_insert, methods=["POST"]),
    Route(BASE + "/calendars/{calendar_id}", calendar_get, methods=["GET"]),
    Route(BASE + "/calendars/{calendar_id}/events", events_list, methods=["GET"]),
    Route(BASE + "/calendars/{calendar_id}/events", events_insert, methods=["POST"]),
    Route(EVENT + "/instances", events_instances, methods=["GET"]),
    Route(EVENT, events_get, methods=["GET"]),
    Route(EVENT, events_update, methods=["PUT", "PATCH"]),
    Route(EVENT, events_delete, methods=["DELETE"]),
]
routes = [*api_routes, Route("/batch/calendar/v3", batch.handle, methods=["POST"])]
