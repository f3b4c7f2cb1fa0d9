"""Google OAuth conformance: google-auth-oauthlib's InstalledAppFlow against the sandbox."""

from __future__ import annotations

import threading
import webbrowser
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google_auth_oauthlib.flow import InstalledAppFlow

from sandbox.state import GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET
from tests.conftest import CALENDAR_SCOPE, REDIRECT_URI, google_oauth_tokens, pkce_pair


class HeadlessBrowser:
    """A stand-in for the user's browser: follows the consent redirect in a thread."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        threading.Thread(
            target=httpx.get, args=(url,), kwargs={"follow_redirects": True}, daemon=True
        ).start()
        return True


@pytest.fixture
def client_config(live_sandbox):
    return httpx.get(live_sandbox.url + "/_sandbox/google/client_secret.json").json()


def run_flow(client_config, **kwargs):
    browser = HeadlessBrowser()
    webbrowser.register("calsync-test-browser", None, browser)
    flow = InstalledAppFlow.from_client_config(client_config, scopes=[CALENDAR_SCOPE])
    creds = flow.run_local_server(
        host="127.0.0.1",
        port=0,
        browser="calsync-test-browser",
        open_browser=True,
        authorization_prompt_message=None,
        timeout_seconds=10,
        **kwargs,
    )
    return creds, browser


def test_installed_app_flow_full_pkce_dance(client_config, live_sandbox):
    creds, browser = run_flow(client_config)
    query = parse_qs(urlsplit(browser.opened[0]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [GOOGLE_CLIENT_ID]
    assert creds.token.startswith("ya29.")
    assert creds.refresh_token
    assert creds.scopes == [CALENDAR_SCOPE]
    assert (
        live_sandbox.sandbox.tokens.check(creds.token, "google").subject
        == live_sandbox.sandbox.google.owner_email
    )


def test_refresh_gives_a_new_working_token(client_config, live_sandbox):
    creds, _ = run_flow(client_config)
    old = creds.token
    creds.refresh(Request())
    assert creds.token != old
    assert live_sandbox.sandbox.tokens.check(creds.token, "google") is not None


def test_token_response_has_expiry_and_scope(live_sandbox):
    tokens = google_oauth_tokens(live_sandbox.url)
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == CALENDAR_SCOPE
    assert tokens["token_type"] == "Bearer"


def _code(url: str, challenge: str) -> str:
    answer = httpx.get(
        url + "/o/oauth2/auth",
        params={
            "client_id": GOOGLE_CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": CALENDAR_SCOPE,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]


def _exchange(url: str, code: str, verifier: str, **extra) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    data.update(extra)
    return httpx.post(url + "/token", data=data, auth=(GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET))


def test_wrong_pkce_verifier_is_refused(live_sandbox):
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    answer = _exchange(live_sandbox.url, _code(live_sandbox.url, challenge), other_verifier)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_client_credentials_as_http_basic(live_sandbox):
    verifier, challenge = pkce_pair()
    answer = _exchange(live_sandbox.url, _code(live_sandbox.url, challenge), verifier)
    assert answer.status_code == 200, answer.text


def test_code_redeems_once(live_sandbox):
    verifier, challenge = pkce_pair()
    code = _code(live_sandbox.url, challenge)
    assert _exchange(live_sandbox.url, code, verifier).status_code == 200
    again = _exchange(live_sandbox.url, code, verifier)
    assert again.status_code == 400 and again.json() == {
        "error": "invalid_grant",
        "error_description": "Bad Request",
    }


def test_wrong_client_secret_is_invalid_client(live_sandbox):
    verifier, challenge = pkce_pair()
    code = _code(live_sandbox.url, challenge)
    answer = httpx.post(
        live_sandbox.url + "/token",
        auth=(GOOGLE_CLIENT_ID, "wrong"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"client_id": "someone-else"}, "invalid_client"),
        ({"redirect_uri": "https://evil.example/cb"}, "redirect_uri_mismatch"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_authorize_validates_the_request(live_sandbox, params, error):
    query = {
        "client_id": GOOGLE_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": CALENDAR_SCOPE,
    } | params
    answer = httpx.get(live_sandbox.url + "/o/oauth2/auth", params=query)
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] == error


def test_bad_refresh_token_is_invalid_grant(live_sandbox):
    answer = httpx.post(
        live_sandbox.url + "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "1//nope",
            "client_id": GOOGLE_CLIENT_ID,
            "client_secret": GOOGLE_CLIENT_SECRET,
        },
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }


def test_revoked_refresh_token_cannot_refresh(client_config, live_sandbox):
    creds, _ = run_flow(client_config)
    assert (
        httpx.post(live_sandbox.url + "/revoke", params={"token": creds.refresh_token}).status_code
        == 200
    )
    assert live_sandbox.sandbox.tokens.check(creds.token, "google") is None
    with pytest.raises(RefreshError):
        creds.refresh(Request())


def test_access_tokens_expire_with_the_clock(live_sandbox):
    from datetime import timedelta

    tokens = google_oauth_tokens(live_sandbox.url)
    sandbox = live_sandbox.sandbox
    assert sandbox.tokens.check(tokens["access_token"], "google") is not None
    # Move every token's expiry into the past the way time passing would.
    for held in sandbox.tokens.access.values():
        held.expires_at -= timedelta(seconds=3601)
    assert sandbox.tokens.check(tokens["access_token"], "google") is None
