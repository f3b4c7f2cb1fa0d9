"""The sandbox served under the real hostnames: an httpx transport and a requests adapter that
send requests for Google's and Pipedrive's hosts to an in-process sandbox app, URLs untouched.

Requests keep their real URLs (`https://www.googleapis.com/calendar/v3/...`), so a cassette
recorded through them, and the code under test, see exactly what they would see against the
real services. Any other host is refused as a connection error: nothing leaks to a network.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import httpx
import requests
from requests.adapters import BaseAdapter

PIPEDRIVE_COMPANY = "lindqvistsales"  # the sandbox's seeded company domain
GOOGLE_HOSTS = ("www.googleapis.com", "oauth2.googleapis.com", "accounts.google.com")
PIPEDRIVE_HOSTS = ("api.pipedrive.com", "oauth.pipedrive.com", f"{PIPEDRIVE_COMPANY}.pipedrive.com")
REAL_HOSTS = frozenset(GOOGLE_HOSTS + PIPEDRIVE_HOSTS)

GOOGLE_API = "https://www.googleapis.com"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_REVOKE_URI = "https://oauth2.googleapis.com/revoke"
PIPEDRIVE_DOMAIN = f"https://{PIPEDRIVE_COMPANY}.pipedrive.com"
PIPEDRIVE_TOKEN_URI = "https://oauth.pipedrive.com/oauth/token"


def check_host(request: httpx.Request) -> None:
    if request.url.scheme != "https" or request.url.host not in REAL_HOSTS:
        raise httpx.ConnectError(
            f"{request.url.scheme}://{request.url.host} is not one of the real services' hosts",
            request=request,
        )


class RealHostsTransport(httpx.AsyncBaseTransport):
    """An httpx transport: the real hosts answered by the sandbox app, in-process."""

    def __init__(self, app) -> None:
        from sandbox.transport import SandboxTransport  # recording only: a replay needs none

        self.app = app
        self.inner = SandboxTransport(app=app)
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check_host(request)
        self.seen.append(f"{request.method} {request.url.host}{request.url.path}")
        return await self.inner.handle_async_request(request)


def patch_default_transport(monkeypatch, app) -> RealHostsTransport:
    """Make every `httpx.AsyncClient` built without a transport talk to the sandbox under the
    real hostnames (for engine code that builds its own clients)."""
    routed = RealHostsTransport(app)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        return await routed.handle_async_request(request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle)
    return routed


class RealHostsAdapter(BaseAdapter):
    """A requests adapter answering the real hosts from the sandbox app, for requests-based
    libraries (google-auth-oauthlib's token exchange). Each call runs the ASGI app on an event
    loop of its own in a worker thread, since the caller may sit inside a running loop."""

    def __init__(self, app) -> None:
        super().__init__()
        self.transport = RealHostsTransport(app)

    def _call(self, request: httpx.Request) -> tuple[httpx.Response, bytes]:
        async def go() -> tuple[httpx.Response, bytes]:
            response = await self.transport.handle_async_request(request)
            return response, await response.aread()

        out: dict = {}

        def worker() -> None:
            try:
                out["value"] = asyncio.run(go())
            except BaseException as exc:  # handed back to the calling thread
                out["error"] = exc

        thread = threading.Thread(target=worker, name="real-hosts-adapter")
        thread.start()
        thread.join()
        if "error" in out:
            raise out["error"]
        return out["value"]

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        outgoing = httpx.Request(
            request.method or "GET", request.url or "", headers=dict(request.headers), content=body
        )
        try:
            answer, content = self._call(outgoing)
        except httpx.ConnectError as exc:
            raise requests.ConnectionError(str(exc), request=request) from None
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = requests.structures.CaseInsensitiveDict(answer.headers.items())
        response._content = content
        response.url = request.url or ""
        response.reason = answer.reason_phrase
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        return None


def real_hosts_session(app, session: requests.Session | None = None) -> requests.Session:
    """A requests session (or the one given) whose https traffic goes to the sandbox app."""
    session = session or requests.Session()
    session.mount("https://", RealHostsAdapter(app))
    return session


def block_sockets(monkeypatch, allow: Callable[[object], bool] | None = None) -> list[object]:
    """Refuse every outgoing socket connection (optionally but the allowed addresses);
    the attempted addresses are returned for the test to look at."""
    import socket

    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):
        if allow is not None and allow(address):
            return real_connect(self, address)
        attempts.append(address)
        raise OSError(f"network access blocked in this test (tried {address!r})")

    def refuse_ex(self, address, *args, **kwargs):
        if allow is not None and allow(address):
            return real_connect_ex(self, address)
        attempts.append(address)
        return 111  # ECONNREFUSED

    def refuse_create(address, *args, **kwargs):
        attempts.append(address)
        raise OSError(f"network access blocked in this test (tried {address!r})")

    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse_ex)
    if allow is None:
        monkeypatch.setattr(socket, "create_connection", refuse_create)
    return attempts
