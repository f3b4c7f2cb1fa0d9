"""Pipedrive API routes (v2 under `/api/v2`, v1 under `/api/v1` and `/v1`) plus its OAuth routes.

Handlers are thin: authenticate, charge the rate limits, validate, call the state, wrap the
answer in Pipedrive's envelope. Errors are raised (PipedriveError) and rendered in one place.

Choices where the real API is silent or where the sandbox simplifies:
- a list with `updated_since` includes soft-deleted rows with `is_deleted: true` (the assumption
  flagged in docs/design.md, "Facts about the real APIs"); without it deleted rows are left out;
- GET/PATCH/DELETE of a deleted activity is a 404, like an unknown id;
- unknown linked ids in a body (deal, organization, person, owner) are a 400;
- attendees are in a response only with `include_fields=attendees`, or, on POST/PATCH, when
  the body set them;
- `person_id` as a list filter matches any participant.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import errors, oauth, search
from .models import ACTIVITY_SORT_FIELDS, SORT_FIELDS, PipedriveState, Position, Table, page
from .ratelimit import COSTS
from .validation import (
    activity_fields,
    deal_fields,
    fail,
    organization_fields,
    parse_body,
    path_id,
    person_fields,
    q_bool,
    q_id,
    q_ids,
    q_include,
    q_limit,
    q_sort,
    q_time,
)

Handler = Callable[[Request, PipedriveState], Awaitable[dict]]


def _authenticate(request: Request) -> str:
    """The token the request proves itself with (API token or OAuth access token), else 401."""
    sandbox = request.app.state.sandbox
    state: PipedriveState = sandbox.pipedrive
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            grant = sandbox.tokens.check(token, "pipedrive")
            if grant is not None and grant.subject == str(state.user_id):
                return token
        raise errors.unauthorized()
    token = request.headers.get("x-api-token") or request.query_params.get("api_token") or ""
    if state.api_token and secrets.compare_digest(token.encode(), state.api_token.encode()):
        return token
    raise errors.unauthorized()


def endpoint(operation: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a handler: auth, rate limits (headers on every answer, errors too), JSON envelope."""
    cost = COSTS[operation]

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            sandbox = request.app.state.sandbox
            token = _authenticate(request)
            headers = sandbox.pipedrive.ratelimiter.charge(
                sandbox.limits, token, cost, sandbox.clock.now()
            )
            try:
                payload = await handler(request, sandbox.pipedrive)
            except errors.PipedriveError as err:
                err.headers = {**headers, **err.headers}
                raise
            return JSONResponse(payload, headers=headers)

        run.__name__ = handler.__name__
        return run

    return wrap


def _ok(data: object, next_position: Position | None = None, *, paged: bool = False) -> dict:
    body: dict = {"success": True, "data": data}
    if paged:
        body["additional_data"] = {"next_cursor": next_position.encode() if next_position else None}
    return body


async def _body(request: Request) -> dict:
    return parse_body(await request.body())


def _list(
    request: Request, table: Table, allowed_sorts: tuple[str, ...], filters: list
) -> tuple[list, Position | None]:
    """The shared list machinery: cursor, limit, sort, updated_since/until, ids, deleted rows."""
    params = request.query_params
    limit = q_limit(params)
    sort_by, direction = q_sort(params, allowed_sorts)
    since = q_time(params, "updated_since")
    until = q_time(params, "updated_until", round_up=True)
    ids = q_ids(params)
    cursor = params.get("cursor")
    after = Position.decode(cursor, sort_by, direction) if cursor else None
    checks = list(filters)
    if since is None:
        checks.append(lambda r: not r["is_deleted"])
    else:
        checks.append(lambda r: r["update_time"] >= since)
    if until is not None:
        checks.append(lambda r: r["update_time"] < until)
    if ids is not None:
        checks.append(lambda r: r["id"] in ids)

    def keep(row: dict) -> bool:
        return all(check(row) for check in checks)

    return page(table, keep, sort_by=sort_by, direction=direction, after=after, limit=limit)


# -- activities -----------------------------------------------------------------------------


@endpoint("list")
async def list_activities(request: Request, state: PipedriveState) -> dict:
    params = request.query_params
    include = q_include(params, ("attendees",))
    filters: list = []
    for name in ("owner_id", "deal_id", "org_id"):
        wanted = q_id(params, name)
        if wanted is not None:
            filters.append(lambda r, n=name, w=wanted: r[n] == w)
    person = q_id(params, "person_id")
    if person is not None:
        filters.append(lambda r: any(p["person_id"] == person for p in r["participants"]))
    done = q_bool(params, "done")
    if done is not None:
        filters.append(lambda r: r["done"] is done)
    rows, nxt = _list(request, state.activities, ACTIVITY_SORT_FIELDS, filters)
    attendees = "attendees" in include
    return _ok([state.activity_view(r, attendees=attendees) for r in rows], nxt, paged=True)


@endpoint("get")
async def get_activity(request: Request, state: PipedriveState) -> dict:
    activity_id = path_id(request.path_params["id"])
    include = q_include(request.query_params, ("attendees",))
    return _ok(state.activity_view(state.activity(activity_id), attendees="attendees" in include))


@endpoint("create")
async def create_activity(request: Request, state: PipedriveState) -> dict:
    include = q_include(request.query_params, ("attendees",))
    fields = activity_fields(await _body(request))
    row = state.create_activity(fields)
    return _ok(state.activity_view(row, attendees="attendees" in include or "attendees" in fields))


@endpoint("update")
async def update_activity(request: Request, state: PipedriveState) -> dict:
    activity_id = path_id(request.path_params["id"])
    include = q_include(request.query_params, ("attendees",))
    fields = activity_fields(await _body(request))
    row = state.update_activity(activity_id, fields)
    return _ok(state.activity_view(row, attendees="attendees" in include or "attendees" in fields))


@endpoint("delete")
async def delete_activity(request: Request, state: PipedriveState) -> dict:
    row = state.delete_activity(path_id(request.path_params["id"]))
    return _ok({"id": row["id"]})


# -- persons --------------------------------------------------------------------------------


@endpoint("list")
async def list_persons(request: Request, state: PipedriveState) -> dict:
    filters: list = []
    for name in ("owner_id", "org_id"):
        wanted = q_id(request.query_params, name)
        if wanted is not None:
            filters.append(lambda r, n=name, w=wanted: r[n] == w)
    rows, nxt = _list(request, state.persons, SORT_FIELDS, filters)
    return _ok([dict(r) for r in rows], nxt, paged=True)


@endpoint("get")
async def get_person(request: Request, state: PipedriveState) -> dict:
    return _ok(dict(state.person(path_id(request.path_params["id"]))))


@endpoint("create")
async def create_person(request: Request, state: PipedriveState) -> dict:
    return _ok(dict(state.create_person(person_fields(await _body(request)))))


@endpoint("update")
async def update_person(request: Request, state: PipedriveState) -> dict:
    person_id = path_id(request.path_params["id"])
    return _ok(dict(state.update_person(person_id, person_fields(await _body(request)))))


@endpoint("delete")
async def delete_person(request: Request, state: PipedriveState) -> dict:
    return _ok({"id": state.delete_person(path_id(request.path_params["id"]))["id"]})


@endpoint("search")
async def search_persons(request: Request, state: PipedriveState) -> dict:
    return search.search_persons(state, request.query_params)


@endpoint("search")
async def search_organizations(request: Request, state: PipedriveState) -> dict:
    return search.search_organizations(state, request.query_params)


@endpoint("search")
async def search_deals(request: Request, state: PipedriveState) -> dict:
    return search.search_deals(state, request.query_params)


@endpoint("search")
async def item_search(request: Request, state: PipedriveState) -> dict:
    return search.item_search(state, request.query_params)


# -- organizations, deals, v1 ---------------------------------------------------------------


@endpoint("list")
async def list_organizations(request: Request, state: PipedriveState) -> dict:
    owner = q_id(request.query_params, "owner_id")
    filters = [] if owner is None else [lambda r: r["owner_id"] == owner]
    rows, nxt = _list(request, state.organizations, SORT_FIELDS, filters)
    return _ok([dict(r) for r in rows], nxt, paged=True)


@endpoint("get")
async def get_organization(request: Request, state: PipedriveState) -> dict:
    return _ok(dict(state.organization(path_id(request.path_params["id"]))))


@endpoint("create")
async def create_organization(request: Request, state: PipedriveState) -> dict:
    fields = organization_fields(await _body(request), creating=True)
    return _ok(dict(state.create_organization(fields)))


@endpoint("update")
async def update_organization(request: Request, state: PipedriveState) -> dict:
    org_id = path_id(request.path_params["id"])
    fields = organization_fields(await _body(request), creating=False)
    return _ok(dict(state.update_organization(org_id, fields)))


@endpoint("delete")
async def delete_organization(request: Request, state: PipedriveState) -> dict:
    return _ok({"id": state.delete_organization(path_id(request.path_params["id"]))["id"]})


@endpoint("list")
async def list_deals(request: Request, state: PipedriveState) -> dict:
    filters: list = []
    for name in ("owner_id", "person_id", "org_id"):
        wanted = q_id(request.query_params, name)
        if wanted is not None:
            filters.append(lambda r, n=name, w=wanted: r[n] == w)
    status = request.query_params.get("status")
    if status is not None:
        if status not in ("open", "won", "lost", "deleted"):
            raise fail("status", "Must be one of open, won, lost, deleted")
        filters.append(lambda r: r["status"] == status)
    rows, nxt = _list(request, state.deals, SORT_FIELDS, filters)
    return _ok([dict(r) for r in rows], nxt, paged=True)


@endpoint("get")
async def get_deal(request: Request, state: PipedriveState) -> dict:
    return _ok(dict(state.deal(path_id(request.path_params["id"]))))


@endpoint("create")
async def create_deal(request: Request, state: PipedriveState) -> dict:
    return _ok(dict(state.create_deal(deal_fields(await _body(request), creating=True))))


@endpoint("update")
async def update_deal(request: Request, state: PipedriveState) -> dict:
    deal_id = path_id(request.path_params["id"])
    fields = deal_fields(await _body(request), creating=False)
    return _ok(dict(state.update_deal(deal_id, fields)))


@endpoint("delete")
async def delete_deal(request: Request, state: PipedriveState) -> dict:
    return _ok({"id": state.delete_deal(path_id(request.path_params["id"]))["id"]})


@endpoint("users/me")
async def users_me(request: Request, state: PipedriveState) -> dict:
    return _ok(state.me())


@endpoint("users")
async def list_users(request: Request, state: PipedriveState) -> dict:
    """`GET /v1/users`: the company's users (Pipedrive's v1 shape, the fields calsync reads)."""
    return _ok(
        [
            {"id": u["id"], "name": u["name"], "email": u["email"], "active_flag": True}
            for u in state.users.values()
        ]
    )


@endpoint("activityTypes")
async def activity_types(request: Request, state: PipedriveState) -> dict:
    return _ok([dict(t) for t in state.activity_types])


routes = [
    Route("/api/v2/activities", list_activities, methods=["GET"]),
    Route("/api/v2/activities", create_activity, methods=["POST"]),
    Route("/api/v2/activities/{id}", get_activity, methods=["GET"]),
    Route("/api/v2/activities/{id}", update_activity, methods=["PATCH"]),
    Route("/api/v2/activities/{id}", delete_activity, methods=["DELETE"]),
    Route("/api/v2/persons/search", search_persons, methods=["GET"]),
    Route("/api/v2/persons", list_persons, methods=["GET"]),
    Route("/api/v2/persons", create_person, methods=["POST"]),
    Route("/api/v2/persons/{id}", get_person, methods=["GET"]),
    Route("/api/v2/persons/{id}", update_person, methods=["PATCH"]),
    Route("/api/v2/persons/{id}", delete_person, methods=["DELETE"]),
    Route("/api/v2/organizations/search", search_organizations, methods=["GET"]),
    Route("/api/v2/organizations", list_organizations, methods=["GET"]),
    Route("/api/v2/organizations", create_organization, methods=["POST"]),
    Route("/api/v2/organizations/{id}", get_organization, methods=["GET"]),
    Route("/api/v2/organizations/{id}", update_organization, methods=["PATCH"]),
    Route("/api/v2/organizations/{id}", delete_organization, methods=["DELETE"]),
    Route("/api/v2/deals/search", search_deals, methods=["GET"]),
    Route("/api/v2/deals", list_deals, methods=["GET"]),
    Route("/api/v2/deals", create_deal, methods=["POST"]),
    Route("/api/v2/deals/{id}", get_deal, methods=["GET"]),
    Route("/api/v2/deals/{id}", update_deal, methods=["PATCH"]),
    Route("/api/v2/deals/{id}", delete_deal, methods=["DELETE"]),
    Route("/api/v2/itemSearch", item_search, methods=["GET"]),
    *(Route(f"{base}/users/me", users_me, methods=["GET"]) for base in ("/api/v1", "/v1")),
    *(Route(f"{base}/users", list_users, methods=["GET"]) for base in ("/api/v1", "/v1")),
    *(
        Route(f"{base}/activityTypes", activity_types, methods=["GET"])
        for base in ("/api/v1", "/v1")
    ),
    *oauth.routes,
]
