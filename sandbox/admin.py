"""The sandbox's admin surface under `/_sandbox/` (a public contract: docs/design.md,
"The sandbox's admin surface"; extensions in docs/sandbox.md)."""

from __future__ import annotations

import json
import random
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .faults import parse_plan
from .google.seed import bulk_events
from .limits import LimitsConfig
from .pipedrive.seed import bulk as pipedrive_bulk

MAX_BULK = 200_000


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


async def _json_body(request: Request) -> object:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"body is not valid JSON: {exc}") from exc


def _int_field(body: dict, name: str, default: int, low: int = 0, high: int = MAX_BULK) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}")
    return value


async def client_secret(request: Request) -> Response:
    from .state import GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET

    base = base_url(request)
    return JSONResponse(
        {
            "installed": {
                "client_id": GOOGLE_CLIENT_ID,
                "project_id": "calsync-sandbox",
                "auth_uri": f"{base}/o/oauth2/auth",
                "token_uri": f"{base}/token",
                "auth_provider_x509_cert_url": f"{base}/oauth2/v1/certs",
                "client_secret": GOOGLE_CLIENT_SECRET,
                "redirect_uris": ["http://localhost"],
            }
        }
    )


async def google_outbox(request: Request) -> Response:
    """The emails Google would have sent for the writes so far, oldest first."""
    return JSONResponse({"messages": request.app.state.sandbox.google.outbox.snapshot()})


async def pipedrive_credentials(request: Request) -> Response:
    sandbox = request.app.state.sandbox
    return JSONResponse({"api_token": sandbox.pipedrive.api_token, "api_domain": base_url(request)})


async def stats(request: Request) -> Response:
    sandbox = request.app.state.sandbox
    body = sandbox.stats.snapshot()
    body["faults"] = sandbox.faults.plan.as_dict()
    body["limits"] = sandbox.limits.as_dict()
    body["churn"] = {"per_minute": sandbox.churn.per_minute, "recent": sandbox.churn.log[-20:]}
    return JSONResponse(body)


async def reset(request: Request) -> Response:
    request.app.state.sandbox.reset()
    return JSONResponse({"ok": True})


async def seed(request: Request) -> Response:
    sandbox = request.app.state.sandbox
    try:
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        seed_value = _int_field(body, "seed", 0, 0, 2**63)
        events = _int_field(body, "events", 0)
        activities = _int_field(body, "activities", 0)
        persons = _int_field(body, "persons", 0)
    except ValueError as exc:
        return bad(str(exc))
    started = time.perf_counter()
    now = sandbox.clock.now()
    bulk_events(sandbox.google, random.Random(seed_value), events, now)
    pipedrive_bulk(
        sandbox.pipedrive,
        random.Random(seed_value + 1),
        activities=activities,
        persons=persons,
        now=now,
    )
    return JSONResponse(
        {
            "seed": seed_value,
            "events": events,
            "activities": activities,
            "persons": persons,
            "seconds": round(time.perf_counter() - started, 3),
        }
    )


async def state(request: Request) -> Response:
    sandbox = request.app.state.sandbox
    sandbox.churn.tick()
    return JSONResponse(
        {
            "now": sandbox.clock.now().isoformat().replace("+00:00", "Z"),
            "google": sandbox.google.state_dump(),
            "pipedrive": sandbox.pipedrive.state_dump(),
            "faults": sandbox.faults.plan.as_dict(),
            "limits": sandbox.limits.as_dict(),
            "churn": {"per_minute": sandbox.churn.per_minute},
        }
    )


async def faults(request: Request) -> Response:
    sandbox = request.app.state.sandbox
    if request.method == "DELETE":
        sandbox.faults.clear()
        return JSONResponse({"ok": True, "faults": sandbox.faults.plan.as_dict()})
    try:
        plan = parse_plan(await _json_body(request))
    except ValueError as exc:
        return bad(str(exc))
    sandbox.faults.set(plan)
    return JSONResponse({"ok": True, "faults": plan.as_dict()})


async def churn(request: Request) -> Response:
    sandbox = request.app.state.sandbox
    try:
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        per_minute = _int_field(body, "per_minute", 0, 0, 6000)
    except ValueError as exc:
        return bad(str(exc))
    sandbox.churn.set_rate(per_minute)
    return JSONResponse({"ok": True, "per_minute": per_minute})


def parse_limits(body: object) -> LimitsConfig:
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    if "plan" in body:
        return LimitsConfig.from_plan(str(body["plan"]), str(body.get("auth", "token")))
    explicit = LimitsConfig(plan="custom")
    for name in ("pipedrive_burst_per_2s", "pipedrive_daily_tokens", "google_per_user_per_minute"):
        if name in body and body[name] is not None:
            setattr(explicit, name, _int_field(body, name, 0, 1, 10**9))
    return explicit


async def limits(request: Request) -> Response:
    sandbox = request.app.state.sandbox
    try:
        config = parse_limits(await _json_body(request))
    except ValueError as exc:
        return bad(str(exc))
    sandbox.limits = config
    return JSONResponse({"ok": True, "limits": config.as_dict()})


routes = [
    Route("/_sandbox/google/client_secret.json", client_secret, methods=["GET"]),
    Route("/_sandbox/google/outbox", google_outbox, methods=["GET"]),
    Route("/_sandbox/pipedrive/credentials", pipedrive_credentials, methods=["GET"]),
    Route("/_sandbox/stats", stats, methods=["GET"]),
    Route("/_sandbox/reset", reset, methods=["POST"]),
    Route("/_sandbox/seed", seed, methods=["POST"]),
    Route("/_sandbox/state", state, methods=["GET"]),
    Route("/_sandbox/faults", faults, methods=["POST", "DELETE"]),
    Route("/_sandbox/churn", churn, methods=["POST"]),
    Route("/_sandbox/limits", limits, methods=["POST"]),
]
