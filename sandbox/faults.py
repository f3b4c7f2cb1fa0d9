"""Fault injection (`/_sandbox/faults`): errors, latency, dropped connections, stale sync
tokens and expired tokens, on a share of the API requests of one service or both.

Faults apply to API paths only (never OAuth or `/_sandbox/`). Only kinds that make sense
for a request are drawn for it: `403` is Google's rate-limit form (Pipedrive never answers
403 for limits), `stale_sync_token` only hits Google lists carrying a syncToken, and
`expire_tokens` only requests that carry an OAuth bearer token. A request with no fitting
kind passes untouched and does not use up `count`.

`drop` loses the connection: half of the time before the request reaches the service, half
of the time after it was applied (a write that succeeded but whose answer was lost).
"""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .google.errors import GoogleError, backend_error, rate_limited, render_google_error
from .pipedrive.errors import render_pipedrive_error, server_error, too_many_requests
from .stats import is_api_path, service_of

if TYPE_CHECKING:
    from .state import Sandbox

KINDS = ("429", "403", "500", "503", "latency", "drop", "stale_sync_token", "expire_tokens")
sleep = asyncio.sleep  # an indirection, so that tests observe the latency fault without waiting
TARGETS = ("google", "pipedrive", "all")


class ConnectionDropped(Exception):
    """Raised after a response has started, so that the server closes the connection."""


@dataclass
class FaultPlan:
    target: str = "all"
    rate: float = 0.0
    kinds: tuple[str, ...] = ()
    latency_ms: int = 500
    count: int | None = None  # faults left to inject; None = no limit
    retry_after: float = 1.0

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "rate": self.rate,
            "kinds": list(self.kinds),
            "latency_ms": self.latency_ms,
            "count": self.count,
            "retry_after": self.retry_after,
        }


def parse_plan(body: object) -> FaultPlan:
    """Validate a `POST /_sandbox/faults` body; ValueError with a one-line reason."""
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    target = body.get("target", "all")
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}")
    rate = body.get("rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise ValueError("rate must be a number from 0 to 1")
    kinds = body.get("kinds")
    if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
        raise ValueError(f"kinds must be a non-empty list of {', '.join(KINDS)}")
    latency = body.get("latency_ms", 500)
    if isinstance(latency, bool) or not isinstance(latency, int) or not 0 <= latency <= 60_000:
        raise ValueError("latency_ms must be an integer from 0 to 60000")
    count = body.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError("count must be a positive integer or null")
    retry_after = body.get("retry_after", 1.0)
    if (
        isinstance(retry_after, bool)
        or not isinstance(retry_after, int | float)
        or not 0 <= retry_after <= 3600
    ):
        raise ValueError("retry_after must be a number of seconds from 0 to 3600")
    return FaultPlan(target, float(rate), tuple(kinds), latency, count, float(retry_after))


@dataclass
class Faults:
    """The active fault plan and a seeded random source, so a run is repeatable."""

    seed: int = 1
    plan: FaultPlan = field(default_factory=FaultPlan)
    rng: random.Random = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def set(self, plan: FaultPlan) -> None:
        with self.lock:
            self.plan = plan

    def clear(self) -> None:
        self.set(FaultPlan())

    def reset(self) -> None:
        """No faults, and the random source back to its start (a sandbox reset)."""
        with self.lock:
            self.plan = FaultPlan()
            self.rng = random.Random(self.seed)

    def draw(self, service: str, kinds_fitting: list[str]) -> str | None:
        """The fault to inject into this request, or None."""
        with self.lock:
            plan = self.plan
            if plan.rate <= 0 or plan.count == 0 or plan.target not in (service, "all"):
                return None
            fitting = [k for k in plan.kinds if k in kinds_fitting]
            if not fitting or self.rng.random() >= plan.rate:
                return None
            if plan.count is not None:
                plan.count -= 1
            return self.rng.choice(fitting)

    def coin(self) -> bool:
        with self.lock:
            return self.rng.random() < 0.5


def _fitting_kinds(service: str, scope: Scope) -> list[str]:
    kinds = ["429", "500", "503", "latency", "drop"]
    if service == "google":
        kinds.append("403")
        if b"syncToken=" in scope.get("query_string", b""):
            kinds.append("stale_sync_token")
    headers = dict(scope.get("headers") or [])
    if headers.get(b"authorization", b"").lower().startswith(b"bearer "):
        kinds.append("expire_tokens")
    return kinds


def _error_response(kind: str, service: str, retry_after: float):
    wait = {"Retry-After": str(max(0, round(retry_after)))}
    if service == "google":
        if kind == "429":
            err = GoogleError(
                429, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits", headers=wait
            )
        elif kind == "403":
            err = rate_limited(403, "rateLimitExceeded")
        else:
            err = backend_error(int(kind))
        return render_google_error(err)
    if kind == "429":
        return render_pipedrive_error(too_many_requests(headers=wait))
    return render_pipedrive_error(server_error(int(kind)))


async def _drop(send: Send) -> None:
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4096")]}
    )
    raise ConnectionDropped("connection dropped by the sandbox's drop fault")


class FaultsMiddleware:
    """Pure ASGI middleware: draws a fault per API request and applies it; also ticks churn."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        sandbox = self.sandbox
        if not path.startswith("/_sandbox"):
            sandbox.churn.tick()
        if not is_api_path(path):
            await self.app(scope, receive, send)
            return
        service = service_of(path)
        kind = sandbox.faults.draw(service, _fitting_kinds(service, scope))
        if kind is None:
            await self.app(scope, receive, send)
            return
        sandbox.stats.record_fault(kind)
        plan = sandbox.faults.plan
        if kind == "latency":
            await sleep(plan.latency_ms / 1000)
        elif kind == "stale_sync_token":
            sandbox.google.invalidate_sync_tokens()
        elif kind == "expire_tokens":
            sandbox.tokens.expire_all(service)
        elif kind == "drop":
            if sandbox.faults.coin():
                await _drop(send)

            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
            await _drop(send)
        else:
            await _error_response(kind, service, plan.retry_after)(scope, receive, send)
            return
        await self.app(scope, receive, send)
