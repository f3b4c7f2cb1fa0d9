"""Pipedrive OAuth with the user's own Pipedrive app: consent in the browser, the answer on a
loopback callback (its `state` checked), the code exchanged for tokens and the company's
api_domain. The app's client id and secret come from the environment."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import httpx

from .auth import OAuthTokens
from .errors import AuthError, CalsyncError, UsageError
from .http import unreachable
from .loopback import LoopbackCallback

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


def print_address(text: str) -> None:
    """Where a sign-in address goes by default: stdout, for the person at the terminal."""
    print(text, flush=True)


async def pipedrive_sign_in(
    app: PipedriveApp,
    *,
    open_browser: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = SIGN_IN_TIMEOUT,
    on_address: Callable[[str], None] = print_address,
) -> OAuthTokens:
    """Pipedrive's authorization-code flow: consent in the browser, the answer on the loopback
    redirect URI (its `state` checked), the code exchanged for tokens and the company's
    api_domain. Cancelling the awaiting task stops it at once and frees the port."""
    state = secrets.token_urlsafe(24)
    parts = urlsplit(app.redirect_uri)
    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname or ""
    callback = LoopbackCallback(  # listening before the browser can answer
        host, parts.port or 0, parts.path, service="Pipedrive", label=app.redirect_uri
    )
    callback.state = state
    query = {"client_id": app.client_id, "redirect_uri": app.redirect_uri, "state": state}
    url = f"{PIPEDRIVE_AUTHORIZE_URI}?{urlencode(query)}"
    try:
        on_address(f"Open this address to let calsync use your Pipedrive activities:\n{url}")
        if open_browser:
            with contextlib.suppress(webbrowser.Error):  # the printed address is enough
                browser = webbrowser.get()
                await asyncio.to_thread(browser.open, url, new=1, autoraise=True)
    except BaseException:
        callback.close()
        raise
    answer = await callback.code(timeout)
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
