"""`create_app`: one Starlette app serving fake Google OAuth, Calendar v3, Pipedrive and `/_sandbox/`."""

from __future__ import annotations

import logging
from datetime import datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import admin
from .clock import Clock
from .faults import ConnectionDropped, FaultsMiddleware
from .google import oauth as google_oauth
from .google import routes as google_routes
from .google.errors import GoogleError, backend_error, render_google_error
from .google.oauth import OAuthError, render_oauth_error
from .google.unfaked import not_faked
from .pipedrive import routes as pipedrive_routes
from .pipedrive.errors import (
    PipedriveError,
    method_not_faked,
    render_pipedrive_error,
    server_error,
)
from .pipedrive.errors import not_faked as pipedrive_not_faked
from .state import Sandbox, SandboxConfig
from .stats import StatsMiddleware, is_api_path, service_of

log = logging.getLogger("sandbox")


def http_exception(request: Request, exc: Exception) -> Response:
    """No route for the request (404) or not for its method (405), in the service's envelope.

    On the APIs that says "the sandbox does not fake this" (Google: 501 `notImplemented`;
    Pipedrive: 501 `ERR_NOT_IMPLEMENTED`, or 405 for a method a faked route does not take),
    so that it cannot be mistaken for the 404 of a missing calendar, event or activity.
    """
    assert isinstance(exc, HTTPException)
    path = request.url.path
    service = service_of(path)
    if exc.status_code in (404, 405) and is_api_path(path):
        if service == "google":
            return render_google_error(not_faked(request.method, path))
        if exc.status_code == 404:
            return render_pipedrive_error(pipedrive_not_faked(request.method, path))
        allowed = (exc.headers or {}).get("Allow", "")
        return render_pipedrive_error(method_not_faked(request.method, path, allowed))
    if service == "google":
        reason = "notFound" if exc.status_code == 404 else "badRequest"
        message = "Not Found" if exc.status_code == 404 else str(exc.detail)
        return render_google_error(GoogleError(exc.status_code, reason, message))
    if service == "pipedrive":
        return render_pipedrive_error(PipedriveError(exc.status_code, str(exc.detail)))
    return JSONResponse(
        {"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
    )


def _crash(request: Request, exc: Exception) -> Response:
    """An unexpected error still answers in the service's own envelope (and is logged)."""
    if not isinstance(exc, ConnectionDropped):  # the drop fault, injected on purpose
        log.exception("sandbox error on %s %s", request.method, request.url.path, exc_info=exc)
    service = service_of(request.url.path)
    if service == "google":
        return render_google_error(backend_error(500))
    if service == "pipedrive":
        return render_pipedrive_error(server_error(500))
    return JSONResponse({"error": "internal error"}, status_code=500)


def create_app(
    *,
    seed: int = 1,
    empty: bool = False,
    churn_per_minute: int = 0,
    limits: str = "off",
    token_ttl: int = 3600,
    frozen_time: datetime | None = None,
    clock: Clock | None = None,
    real_calendar: bool = False,
) -> Starlette:
    """The sandbox as an ASGI app; its state is `app.state.sandbox`.

    Serve it with uvicorn (`calsync sandbox`) or use it in-process through
    `sandbox.transport.SandboxTransport(app)` (an `httpx.ASGITransport`).
    """
    config = SandboxConfig(
        seed=seed,
        empty=empty,
        churn_per_minute=churn_per_minute,
        limits=limits,
        token_ttl=token_ttl,
        real_calendar=real_calendar,
    )
    sandbox = Sandbox(config, clock or Clock(frozen_time))
    app = Starlette(
        routes=[
            *google_oauth.routes,
            *google_routes.routes,
            *pipedrive_routes.routes,
            *admin.routes,
        ],
        exception_handlers={
            GoogleError: lambda r, e: render_google_error(e),
            PipedriveError: lambda r, e: render_pipedrive_error(e),
            OAuthError: lambda r, e: render_oauth_error(e),
            HTTPException: http_exception,
            Exception: _crash,
        },
    )
    app.state.sandbox = sandbox
    # Outermost first: stats see every request (faulted ones too); faults sit outside
    # Starlette's error middleware so that a dropped connection really drops.
    app.add_middleware(FaultsMiddleware, sandbox=sandbox)
    app.add_middleware(StatsMiddleware, sandbox=sandbox)
    return app
