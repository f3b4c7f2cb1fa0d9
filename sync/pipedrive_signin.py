"""Pipedrive OAuth with the user's own Pipedrive app: consent in the browser, the answer on a
loopback callback (its `state` checked), the code exchanged for tokens and the company's
api_domain. The app's client id and secret come from the environment."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import threading
import time
import webbrowser
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from .auth import OAuthTokens
from .errors import AuthError, CalsyncError, UsageError
from .http import unreachable

PIPEDRIVE_AUTHORIZE_URI = "https://oauth.pipedrive.com/oauth/authorize"
PIPEDRIVE_TOKEN_URI = "https://oauth.pipedrive.com/oauth/token"
# Pipedrive redirects only to the exact callback URL registered with the app: a fixed port.
PIPEDRIVE_REDIRECT = "http://localhost:8766/pipedrive/callback"
CLIENT_ID_ENV = "CALSYNC_PIPEDRIVE_CLIENT_ID"
CLIENT_SECRET_ENV = "CALSYNC_PIPEDRIVE_CLIENT_SECRET"
REDIRECT_ENV = "CALSYNC_PIPEDRIVE_REDIRECT_URI"
SIGN_IN_TIMEOUT = 300.0
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class PipedriveApp:
    """A Pipedrive OAuth app as registered in Pipedrive's Developer Hub."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str = PIPEDRIVE_REDIRECT


def pipedrive_app_from_env(env: Mapping[str, str] | None = None) -> PipedriveApp:
    """The app's credentials from the environment, checked, with one-line errors."""
    env = os.environ if env is None else env
    missing = [name for name in (CLIENT_ID_ENV, CLIENT_SECRET_ENV) if not env.get(name)]
    if missing:
        raise UsageError(
            f"--pipedrive-oauth needs your Pipedrive app's credentials: set {' and '.join(missing)} "
            "(see docs/real-accounts.md)"
        )
    redirect = env.get(REDIRECT_ENV) or PIPEDRIVE_REDIRECT
    parts = urlsplit(redirect)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS or not port:
        raise UsageError(
            f"{REDIRECT_ENV} must be a loopback address with a port, like {PIPEDRIVE_REDIRECT} "
            f"(got {redirect!r})"
        )
    return PipedriveApp(env[CLIENT_ID_ENV], env[CLIENT_SECRET_ENV], redirect)


class _CallbackServer(HTTPServer):
    """Listens on the redirect URI for the one answer of Pipedrive's consent page."""

    def __init__(self, app: PipedriveApp, state: str) -> None:
        parts = urlsplit(app.redirect_uri)
        host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname or ""
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.path = parts.path or "/"
        self.state = state
        self.answer: dict[str, str] | None = None
        try:
            super().__init__((host, parts.port or 0), _CallbackHandler)
        except OSError as exc:
            raise CalsyncError(
                f"cannot listen on {app.redirect_uri} for Pipedrive's answer: {exc.strerror or exc} "
                "(is another `calsync connect` running?)"
            ) from None

    def wait(self, timeout: float, stop: threading.Event) -> dict[str, str] | None:
        """The callback's query, or None on timeout or when told to stop."""
        deadline = time.monotonic() + timeout
        try:
            while self.answer is None and not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.timeout = min(left, 0.5)
                self.handle_request()
            return self.answer
        finally:
            self.server_close()


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != self.server.path:
            self.send_error(404)  # e.g. the browser asking for /favicon.ico
            return
        answer = dict(parse_qsl(parts.query))
        self.server.answer = answer
        if answer.get("state") != self.server.state:
            status, text = 400, "calsync refused this answer: it does not belong to its sign-in."
        elif "code" not in answer:
            status, text = 200, "Pipedrive sign-in was not completed. You can close this window."
        else:
            status, text = 200, "calsync is connected to Pipedrive. You can close this window."
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        return None  # no request lines on stderr


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"


async def pipedrive_sign_in(
    app: PipedriveApp,
    *,
    open_browser: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = SIGN_IN_TIMEOUT,
) -> OAuthTokens:
    """Pipedrive's authorization-code flow: consent in the browser, the answer on the loopback
    redirect URI (its `state` checked), the code exchanged for tokens and the company's
    api_domain."""
    state = secrets.token_urlsafe(24)
    server = _CallbackServer(app, state)  # listening before the browser can answer
    query = {"client_id": app.client_id, "redirect_uri": app.redirect_uri, "state": state}
    url = f"{PIPEDRIVE_AUTHORIZE_URI}?{urlencode(query)}"
    print(f"Open this address to let calsync use your Pipedrive activities:\n{url}", flush=True)
    if open_browser:
        with contextlib.suppress(webbrowser.Error):  # the printed address is enough
            webbrowser.get().open(url, new=1, autoraise=True)
    stop = threading.Event()
    try:
        answer = await asyncio.to_thread(server.wait, timeout, stop)
    finally:
        stop.set()  # a cancelled connect (Ctrl-C) must not leave the listener running
    if answer is None:
        raise AuthError(f"Pipedrive sign-in did not complete within {_duration(timeout)}")
    if answer.get("state") != state:
        raise AuthError("Pipedrive's sign-in answer carried the wrong state: refused")
    if "code" not in answer:
        reason = answer.get("error_description") or answer.get("error") or "no code in the answer"
        raise AuthError(f"Pipedrive sign-in did not complete: {reason}")
    return await _pipedrive_exchange(app, answer["code"], transport)


async def _pipedrive_exchange(
    app: PipedriveApp, code: str, transport: httpx.AsyncBaseTransport | None
) -> OAuthTokens:
    async with httpx.AsyncClient(transport=transport, timeout=15) as client:
        try:
            answer = await client.post(
                PIPEDRIVE_TOKEN_URI,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": app.redirect_uri,
                },
                auth=httpx.BasicAuth(app.client_id, app.client_secret),
            )
        except httpx.TransportError as exc:
            raise unreachable("Pipedrive's sign-in service", PIPEDRIVE_TOKEN_URI, exc) from None
    if answer.status_code == 401:
        raise AuthError(
            f"Pipedrive refused the app's credentials: check {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV}"
        )
    if answer.status_code != 200:
        raise AuthError(
            f"Pipedrive refused the sign-in ({answer.status_code}): run `calsync connect` again"
        )
    body = answer.json()
    api_domain = body.get("api_domain") or ""
    if not api_domain.startswith("https://"):
        raise CalsyncError("Pipedrive did not say which company the sign-in belongs to")
    granted = str(body.get("scope", "activities:full")).split(",")
    if "activities:full" not in granted:
        raise AuthError(
            "the Pipedrive app lacks the scope 'Activities: Full access': add it in Developer Hub "
            "and connect again"
        )
    return OAuthTokens.from_token_response(
        body,
        token_uri=PIPEDRIVE_TOKEN_URI,
        client_id=app.client_id,
        client_secret=app.client_secret,
    )
