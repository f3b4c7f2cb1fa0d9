"""Shared fixtures: the sandbox in-process and over loopback, and real clients against it."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox.app import create_app
from sandbox.server import start_in_thread
from sandbox.state import GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET
from sandbox.transport import SandboxTransport

# oauthlib refuses plain http unless told; the sandbox is on loopback only.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
REDIRECT_URI = "http://127.0.0.1:9/"


@pytest.fixture
def sandbox_app():
    """A fresh sandbox app (seed 1), for in-process use."""
    return create_app(seed=1)


@pytest.fixture
async def pipedrive(sandbox_app):
    """httpx client for Pipedrive, in-process, authenticated with the API token header."""
    token = sandbox_app.state.sandbox.pipedrive.api_token
    async with httpx.AsyncClient(
        transport=SandboxTransport(app=sandbox_app),
        base_url="http://sandbox.test",
        headers={"x-api-token": token},
    ) as client:
        yield client


@pytest.fixture
async def admin(sandbox_app):
    """httpx client for the admin routes, in-process."""
    async with httpx.AsyncClient(
        transport=SandboxTransport(app=sandbox_app), base_url="http://sandbox.test"
    ) as client:
        yield client


class LiveSandbox:
    def __init__(self, app, url: str) -> None:
        self.app = app
        self.url = url
        self.sandbox = app.state.sandbox


@pytest.fixture
def live_sandbox():
    """A fresh sandbox (seed 1) served by uvicorn on a free loopback port."""
    app = create_app(seed=1)
    running = start_in_thread(app)
    try:
        yield LiveSandbox(app, running.url)
    finally:
        running.stop()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def google_oauth_tokens(url: str, scope: str = CALENDAR_SCOPE) -> dict:
    """The authorization-code + PKCE dance against the sandbox, as a browser and an app do it."""
    verifier, challenge = pkce_pair()
    with httpx.Client(base_url=url) as client:
        answer = client.get(
            "/o/oauth2/auth",
            params={
                "client_id": GOOGLE_CLIENT_ID,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": scope,
                "state": "xyz",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "access_type": "offline",
            },
        )
        assert answer.status_code == 302, answer.text
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        assert query["state"] == ["xyz"]
        tokens = client.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
                "client_id": GOOGLE_CLIENT_ID,
                "client_secret": GOOGLE_CLIENT_SECRET,
            },
        )
        assert tokens.status_code == 200, tokens.text
        return tokens.json()


@pytest.fixture
def google_creds(live_sandbox):
    from google.oauth2.credentials import Credentials

    tokens = google_oauth_tokens(live_sandbox.url)
    return Credentials(
        token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        token_uri=live_sandbox.url + "/token",
        client_id=GOOGLE_CLIENT_ID,
        client_secret=GOOGLE_CLIENT_SECRET,
        scopes=[CALENDAR_SCOPE],
    )


@pytest.fixture
def calendar(live_sandbox, google_creds):
    """google-api-python-client's Calendar v3 service, pointed at the live sandbox."""
    from googleapiclient.discovery import build

    return build(
        "calendar",
        "v3",
        credentials=google_creds,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": live_sandbox.url + "/calendar/v3/"},
    )
