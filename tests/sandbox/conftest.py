"""Fixtures for the sandbox's own tests: a real-world calendar, served and driven by Google's client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sandbox.app import create_app
from sandbox.server import start_in_thread
from tests.conftest import CALENDAR_SCOPE, LiveSandbox, google_oauth_tokens

FROZEN = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def calendar_service(url: str):
    """google-api-python-client's Calendar v3 service for the sandbox at url."""
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build

    from sandbox.state import GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET

    tokens = google_oauth_tokens(url)
    creds = Credentials(
        token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        token_uri=url + "/token",
        client_id=GOOGLE_CLIENT_ID,
        client_secret=GOOGLE_CLIENT_SECRET,
        scopes=[CALENDAR_SCOPE],
    )
    return build(
        "calendar",
        "v3",
        credentials=creds,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": url + "/calendar/v3/"},
    )


@pytest.fixture(scope="module")
def real_sandbox():
    """Seed 1 with a real calendar's event types and invitations, frozen, over loopback."""
    app = create_app(seed=1, real_calendar=True, frozen_time=FROZEN)
    running = start_in_thread(app)
    try:
        yield LiveSandbox(app, running.url)
    finally:
        running.stop()


@pytest.fixture(scope="module")
def real_calendar(real_sandbox):
    """The Calendar service against `real_sandbox` (tests in a module share its state)."""
    return calendar_service(real_sandbox.url)
