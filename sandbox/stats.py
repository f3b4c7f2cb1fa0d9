"""Request counters behind `GET /_sandbox/stats`."""

from __future__ import annotations

import threading
from collections import Counter


class Stats:
    """Counts API requests per service and per route template since start or reset.

    Admin requests (`/_sandbox/...`) are counted apart and never in `total`, so that a
    test or benchmark reading the stats does not count its own reads. Calls inside a
    Google batch are counted as `calls` (what Google's quota counts), the batch itself
    as one request.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_route: Counter[str] = Counter()
            self.by_service: Counter[str] = Counter()
            self.by_status: Counter[str] = Counter()
            self.calls: Counter[str] = Counter()
            self.admin = 0
            self.faults_injected: Counter[str] = Counter()

    def record(self, service: str, route: str, status: int) -> None:
        with self._lock:
            if service == "admin":
                self.admin += 1
                return
            self.total += 1
            self.by_route[route] += 1
            self.by_service[service] += 1
            self.by_status[str(status)] += 1
            if route != "POST /batch/calendar/v3":
                self.calls[service] += 1

    def record_batch_call(self, route: str) -> None:
        """One call inside a Google batch request."""
        with self._lock:
            self.calls["google"] += 1
            self.by_route[f"batch: {route}"] += 1

    def record_fault(self, kind: str) -> None:
        with self._lock:
            self.faults_injected[kind] += 1

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "requests": {
                    "total": self.total,
                    "by_route": dict(sorted(self.by_route.items())),
                    "by_service": dict(sorted(self.by_service.items())),
                    "by_status": dict(sorted(self.by_status.items())),
                },
                "calls": dict(sorted(self.calls.items())),
                "admin_requests": self.admin,
                "faults_injected": dict(sorted(self.faults_injected.items())),
            }


def service_of(path: str) -> str:
    """Which fake service a path belongs to: google, pipedrive, admin or other."""
    if path.startswith("/_sandbox"):
        return "admin"
    if path.startswith(("/calendar/", "/batch/", "/token", "/o/oauth2", "/revoke")):
        return "google"
    if path.startswith(("/api/", "/v1/", "/oauth/")):
        return "pipedrive"
    return "other"


def is_api_path(path: str) -> bool:
    """API paths (not OAuth, not admin): the ones faults and limits apply to."""
    return path.startswith(("/calendar/", "/batch/", "/api/", "/v1/"))


class StatsMiddleware:
    """Pure ASGI middleware counting each request under its route template."""

    def __init__(self, app, sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def counting_send(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            self.sandbox.stats.record(
                service_of(scope["path"]), f"{scope['method']} {template}", status
            )
