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
from .pipedrive import routes as pipedrive_routes
from .pipedrive.errors import PipedriveError, render_pipedrive_error, server_error
from .state import Sandbox, SandboxConfig
from .stats import StatsMiddleware, service_of

log = logging.getLogger("sandbox")


def _http_exception(request: Request, exc: Exception) -> Response:
    """404/405 and friends in the envelope of the service the path belongs to."""
    assert isinstance(exc, HTTPException)
    service = service_of(request.url.path)
    if service == "google":
        reason = "notFound" if exc.status_code == 404 else "badRequest"
        message = "Not Found" if exc.status_code == 404 else str(exc.detail)
        return render_google_error(GoogleError(exc.status_code, reason, message))
    if service == "pipedrive":
        message = "Unknown method ." if exc.status_code == 404 else str(exc.detail)
        return render_pipedrive_error(PipedriveError(exc.status_code, message))
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
            HTTPException: _http_exception,
            Exception: _crash,
        },
    )
    app.state.sandbox = sandbox
    # Outermost first: stats see every request (faulted ones too); faults sit outside
    # Starlette's error middleware so that a dropped connection really drops.
    app.add_middleware(FaultsMiddleware, sandbox=sandbox)
    app.add_middleware(StatsMiddleware, sandbox=sandbox)
    return app
