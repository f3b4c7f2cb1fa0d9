"""HTTP with retries: backoff through stamina, Retry-After honoured, one token refresh on 401.

Every attempt is counted (`requests`), so a run can report what it cost. Errors that a
retry cannot heal become the user-facing errors of `sync.errors`.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
import stamina

from .errors import AuthError, CalsyncError, ServiceUnavailable

log = logging.getLogger("calsync.http")

RETRY_STATUSES = {429, 500, 502, 503, 504}
GOOGLE_RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
MAX_RETRY_AFTER = 120.0
MAX_REFRESHES = 3  # token refreshes per request
# A service that cannot be connected to at all fails the request within this many seconds
# (connection attempts and the waits between them), however many tries that leaves: a person
# at a prompt learns at once that it is down; a watch tries again at its next run.
CONNECT_BUDGET = 5.0
SERVICE_NAMES = {"google": "Google Calendar", "pipedrive": "Pipedrive"}


def why_unreachable(exc: Exception) -> str:
    """What a connection failure means, in a person's words ("connection refused")."""
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    text = str(exc)
    found = re.search(r"\[Errno -?\d+\] ([^\]\)]+)", text)
    if found:
        return found.group(1).strip().lower()
    if "All connection attempts failed" in text or not text:
        return "connection refused"
    return text[:1].lower() + text[1:]


def unreachable(what: str, url: object, exc: Exception) -> ServiceUnavailable:
    """`Google Calendar is not reachable at URL: connection refused`."""
    return ServiceUnavailable(f"{what} is not reachable at {url}: {why_unreachable(exc)}")


class RetryableStatus(Exception):
    """A response worth another try (rate limits, server errors)."""

    def __init__(self, response: httpx.Response, wait: float | None) -> None:
        super().__init__(f"{response.status_code} from {response.request.url.path}")
        self.response = response
        self.wait = wait


class ApiError(CalsyncError):
    """An answer the service meant (4xx): status and body kept for the caller to decide."""

    def __init__(self, service: str, response: httpx.Response) -> None:
        self.status = response.status_code
        self.response = response
        try:
            self.body = response.json()
        except ValueError:
            self.body = {}
        self.reason = google_reason(self.body) if service == "google" else ""
        detail = _message(self.body) or response.reason_phrase
        super().__init__(
            f"{service} answered {self.status} to {response.request.method} "
            f"{response.request.url.path}: {detail}"
        )


def google_reason(body: object) -> str:
    try:
        return body["error"]["errors"][0]["reason"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        return ""


def _message(body: object) -> str:
    if not isinstance(body, dict):
        return ""
    err = body.get("error")
    if isinstance(err, dict):
        return str(err.get("message", ""))
    return str(err or body.get("message", ""))


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta or HTTP date), capped."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class AmbiguousWrite(Exception):
    """A non-idempotent write whose answer was lost: it may or may not have happened."""


def _should_retry_unsent(exc: Exception) -> bool | float:
    """For non-idempotent writes: retry only what surely never reached the service."""
    if isinstance(exc, RetryableStatus):
        return exc.wait if exc.wait is not None else True
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


def _should_retry(exc: Exception) -> bool | float:
    """stamina's hook: retry transport errors and retryable statuses, waiting as told."""
    if isinstance(exc, RetryableStatus):
        return exc.wait if exc.wait is not None else True
    return isinstance(exc, httpx.TransportError)


class Http:
    """One service's HTTP: an httpx client plus retries, counting and auth refresh."""

    def __init__(
        self,
        service: str,
        client: httpx.AsyncClient,
        *,
        auth_headers: Callable[[], Awaitable[dict[str, str]]],
        refresh: Callable[[], Awaitable[None]] | None = None,
        attempts: int = 8,
        timeout: float = 120.0,
        wait_initial: float = 0.2,
        wait_max: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.name = SERVICE_NAMES.get(service, service)
        self.clock = clock
        self.client = client
        self.auth_headers = auth_headers
        self.refresh = refresh
        self.attempts = attempts
        self.timeout = timeout
        self.wait_initial = wait_initial
        self.wait_max = wait_max
        self.requests = 0
        # Hooks: `before(calls)` may wait (rate-limit pacing); `on_response` reads headers.
        self.before: Callable[[int], Awaitable[None]] | None = None
        self.on_response: Callable[[httpx.Response], Awaitable[None]] | None = None

    def _retryable(self, response: httpx.Response) -> bool:
        if response.status_code in RETRY_STATUSES:
            return True
        if self.service == "google" and response.status_code == 403:
            try:
                return google_reason(response.json()) in GOOGLE_RATE_REASONS
            except ValueError:
                return False
        return False

    async def send(
        self, method: str, url: str, *, idempotent: bool = True, calls: int = 1, **kwargs
    ) -> httpx.Response:
        """Send with retries. 4xx answers are returned (the caller decides), except a 401 that a
        token refresh cannot heal, which becomes AuthError.

        A write that is not idempotent is not retried once it may have reached the service
        (the connection broke after sending): AmbiguousWrite tells the caller to look before
        writing again. Connection failures before sending are always retried. `calls`: what
        the request counts for against a quota (a Google batch: its parts), for `before`.
        """
        headers = kwargs.pop("headers", None) or {}
        refreshes = 0
        try:
            async for attempt in stamina.retry_context(
                on=self._retry_hook(idempotent),
                attempts=self.attempts,
                timeout=self.timeout,
                wait_initial=self.wait_initial,
                wait_max=self.wait_max,
                # stamina's default jitter is a whole second; keep it in scale with the
                # initial wait (retry_wait) so that short waits stay short.
                wait_jitter=self.wait_initial,
            ):
                with attempt:
                    response = await self._attempt(method, url, headers, calls, kwargs)
                    if (
                        response.status_code == 401
                        and self.refresh is not None
                        and refreshes < MAX_REFRESHES
                    ):
                        # An expired access token: refresh and try again. A revoked grant
                        # fails in refresh() itself (AuthError); a token that keeps being
                        # refused after a few fresh ones is not an expiry.
                        refreshes += 1
                        await self.refresh()
                        raise RetryableStatus(response, 0.0)
                    self._raise_for_retry(method, url, response, idempotent)
        except RetryableStatus as exc:
            if exc.response.status_code == 401:
                raise AuthError(
                    f"{self.service} refused the credentials: reconnect the account"
                ) from None
            raise ServiceUnavailable(
                f"{self.name} kept answering {exc.response.status_code} after {self.attempts} tries"
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            where = str(self.client.base_url).rstrip("/") or url
            raise unreachable(self.name, where, exc) from None
        except httpx.TransportError as exc:
            if not idempotent:
                raise AmbiguousWrite(f"{self.service} {method} {url}: the answer was lost") from exc
            raise ServiceUnavailable(
                f"{self.name} kept dropping the connection ({why_unreachable(exc)})"
            ) from None
        if response.status_code == 401:
            raise AuthError(f"{self.service} refused the credentials: reconnect the account")
        return response

    def _retry_hook(self, idempotent: bool) -> Callable[[Exception], bool | float]:
        """stamina's hook for one request: what may be retried, and connection failures
        only while another try fits CONNECT_BUDGET."""
        base_hook = _should_retry if idempotent else _should_retry_unsent
        started = self.clock()
        connect_failures = 0
        timeouts = self.client.timeout
        connect_timeout = timeouts.connect if timeouts.connect is not None else 0.0

        def hook(exc: Exception) -> bool | float:
            nonlocal connect_failures
            if not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
                return base_hook(exc)
            connect_failures += 1
            wait = min(self.wait_initial * 2 ** (connect_failures - 1), self.wait_max)
            if self.clock() - started + wait + connect_timeout > CONNECT_BUDGET:
                return False
            return wait

        return hook

    async def _attempt(
        self, method: str, url: str, headers: dict[str, str], calls: int, kwargs: dict
    ) -> httpx.Response:
        """One try: paced (`before`), authenticated, counted, its headers read (`on_response`)."""
        if self.before is not None:
            await self.before(calls)
        sent = {**headers, **(await self.auth_headers())}
        self.requests += 1
        response = await self.client.request(method, url, headers=sent, **kwargs)
        if self.on_response is not None:
            await self.on_response(response)
        return response

    def _raise_for_retry(
        self, method: str, url: str, response: httpx.Response, idempotent: bool
    ) -> None:
        """A server error to a write that may have happened is ambiguous; a rate limit or a
        server error otherwise is worth another try."""
        if not idempotent and response.status_code >= 500:
            raise AmbiguousWrite(f"{self.service} {method} {url}: {response.status_code}")
        if self._retryable(response):
            log.info("%s %s %s: %s, retrying", self.service, method, url, response.status_code)
            raise RetryableStatus(response, retry_after(response))

    async def json(self, method: str, url: str, *, ok: tuple[int, ...] = (200,), **kwargs) -> dict:
        """Send and return the JSON body of an expected status; ApiError otherwise."""
        response = await self.send(method, url, **kwargs)
        if response.status_code not in ok:
            raise ApiError(self.service, response)
        if response.status_code == 204 or not response.content:
            return {}
        return response.json()


def server_time(response: httpx.Response) -> datetime | None:
    """The service's own clock when it answered (its Date header), if it said."""
    try:
        return email.utils.parsedate_to_datetime(response.headers["date"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None


async def sleep(seconds: float) -> None:
    """Indirection so tests can observe waits."""
    await asyncio.sleep(seconds)
