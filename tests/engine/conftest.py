"""Fixtures for engine-vs-sandbox scenarios: an in-process sandbox, a connected account, and
helpers that run the engine and look at both sides through the sandbox's own APIs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from sandbox.app import create_app
from sandbox.transport import SandboxTransport
from sync.accounts import connect_sandbox
from sync.auth import OAuthSession, OAuthTokens
from sync.models import SyncEvent
from sync.runner import run_once
from sync.store import Store
from sync.vault import Vault

BASE = "http://sandbox.test"
# A Friday in March: Europe switches to summer time on Sunday 29 March 2026, the US did on
# Sunday 8 March; both changes are inside the default window.
NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
STOCKHOLM = "Europe/Stockholm"
NEW_YORK = "America/New_York"


@dataclass
class Result:
    """One run: its summary (RunSummary.to_json()), exit code and every event."""

    summary: dict[str, Any]
    exit_code: int
    events: list[SyncEvent] = field(default_factory=list)

    def kinds(self, kind: str) -> list[SyncEvent]:
        return [e for e in self.events if e.kind == kind]

    def writes(self) -> int:
        return sum(
            self.summary[side][verb]
            for side in ("google", "pipedrive")
            for verb in ("created", "updated", "deleted")
        )


class Env:
    """A sandbox app + a Store/Vault in tmp_path + one connected account."""

    def __init__(self, app, home: Path) -> None:
        self.app = app
        self.sandbox = app.state.sandbox
        self.transport = SandboxTransport(app=app)
        self.home = home
        self.store = Store(home)
        self.vault = Vault(home)
        self.account_id = ""
        self.client = httpx.AsyncClient(transport=self.transport, base_url=BASE, timeout=30)

    # -- engine -------------------------------------------------------------------------

    async def connect(self) -> str:
        connected = await connect_sandbox(self.store, self.vault, BASE, transport=self.transport)
        self.account_id = connected.account.id
        return self.account_id

    @property
    def now(self) -> datetime:
        return self.sandbox.clock.now()

    def advance(self, seconds: float = 60) -> None:
        self.sandbox.clock.advance(seconds)

    async def sync(self, **kw: Any) -> Result:
        """One run_once at the sandbox's time; tiny retry waits."""
        kw.setdefault("now", self.now)
        kw.setdefault("retry_wait", 0.001)
        events = [
            e
            async for e in run_once(
                self.store, self.vault, self.account_id, transport=self.transport, **kw
            )
        ]
        done = events[-1]
        assert done.kind == "done", events
        return Result(done.detail["summary"], done.detail["exit_code"], events)

    def options(self, **changes: Any) -> None:
        account = self.store.account(self.account_id)
        self.store.update_account(self.account_id, options=account.options.replace(**changes))

    # -- admin --------------------------------------------------------------------------

    async def state(self) -> dict:
        return (await self.client.get("/_sandbox/state")).json()

    async def stats(self) -> dict:
        return (await self.client.get("/_sandbox/stats")).json()

    async def faults(self, **plan: Any) -> None:
        answer = await self.client.post("/_sandbox/faults", json=plan)
        assert answer.status_code == 200, answer.text

    async def clear_faults(self) -> None:
        await self.client.delete("/_sandbox/faults")

    # -- Google -------------------------------------------------------------------------

    def _google_headers(self) -> dict[str, str]:
        token = self.vault.get(self.account_id)["google"]["access_token"]
        return {"Authorization": f"Bearer {token}"}

    @property
    def calendar_id(self) -> str:
        return self.sandbox.google.owner_email

    def _events_path(self, calendar: str | None = None) -> str:
        return f"/calendar/v3/calendars/{calendar or self.calendar_id}/events"

    async def g(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A Calendar v3 call with the account's token; an expired token (the sandbox's
        `expire_tokens` fault, or its clock passing the expiry) is refreshed first, the way
        the engine does it, and saved back to the vault."""
        answer = await self.client.request(method, path, headers=self._google_headers(), **kw)
        if answer.status_code == 401:
            await self.refresh_google()
            answer = await self.client.request(method, path, headers=self._google_headers(), **kw)
        return answer

    async def refresh_google(self) -> None:
        """A fresh Google access token in the vault (through the engine's own OAuthSession)."""
        tokens = OAuthTokens.from_json(self.vault.get(self.account_id)["google"])
        session = OAuthSession(
            "google",
            tokens,
            self.client,
            on_change=lambda fresh: self.vault.update(self.account_id, google=fresh.to_json()),
        )
        await session.refresh()

    async def g_insert(self, body: dict, calendar: str | None = None) -> dict:
        answer = await self.g("POST", self._events_path(calendar), json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def g_patch(self, event_id: str, body: dict) -> dict:
        answer = await self.g("PATCH", f"{self._events_path()}/{event_id}", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def g_delete(self, event_id: str) -> None:
        answer = await self.g("DELETE", f"{self._events_path()}/{event_id}")
        assert answer.status_code == 204, answer.text

    async def g_get(self, event_id: str) -> dict | None:
        answer = await self.g("GET", f"{self._events_path()}/{event_id}")
        return answer.json() if answer.status_code == 200 else None

    async def google_events(self, *, single: bool = True) -> list[dict]:
        """Every live event of the synced calendar (instances expanded), through Calendar v3."""
        items: list[dict] = []
        params: dict[str, Any] = {"maxResults": 2500}
        if single:
            params["singleEvents"] = "true"
        while True:
            answer = await self.g("GET", self._events_path(), params=params)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            items.extend(e for e in page["items"] if e.get("status") != "cancelled")
            if not page.get("nextPageToken"):
                return items
            params["pageToken"] = page["nextPageToken"]

    async def google_by_summary(self, summary: str) -> list[dict]:
        return [e for e in await self.google_events() if e.get("summary") == summary]

    # -- Pipedrive ----------------------------------------------------------------------

    def _pd_headers(self) -> dict[str, str]:
        return {"x-api-token": self.sandbox.pipedrive.api_token}

    async def p(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=self._pd_headers(), **kw)

    async def p_create(self, **body: Any) -> dict:
        answer = await self.p("POST", "/api/v2/activities", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]

    async def p_patch(self, activity_id: int | str, **body: Any) -> dict:
        answer = await self.p("PATCH", f"/api/v2/activities/{activity_id}", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]

    async def p_delete(self, activity_id: int | str) -> None:
        answer = await self.p("DELETE", f"/api/v2/activities/{activity_id}")
        assert answer.status_code == 200, answer.text

    async def p_get(self, activity_id: int | str) -> dict | None:
        answer = await self.p(
            "GET", f"/api/v2/activities/{activity_id}", params={"include_fields": "attendees"}
        )
        return answer.json()["data"] if answer.status_code == 200 else None

    async def activities(self) -> list[dict]:
        """Every live activity, attendees included, through the v2 API."""
        items: list[dict] = []
        params: dict[str, Any] = {"limit": 500, "include_fields": "attendees"}
        while True:
            answer = await self.p("GET", "/api/v2/activities", params=params)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            items.extend(page["data"] or [])
            cursor = (page.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return items
            params["cursor"] = cursor

    async def activities_by_subject(self, subject: str) -> list[dict]:
        return [a for a in await self.activities() if a["subject"] == subject]

    async def p_post(self, path: str, **body: Any) -> dict:
        answer = await self.p("POST", path, json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]


class Dated(httpx.AsyncBaseTransport):
    """The sandbox, with a Date header on every answer by the sandbox's clock, as Google's and
    Pipedrive's answers carry their servers' time."""

    def __init__(self, env: Env) -> None:
        self.env, self.inner = env, env.transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        response.headers["date"] = format_datetime(self.env.now, usegmt=True)
        return response


def timed(start: datetime, minutes: int = 60, tz: str = STOCKHOLM) -> dict:
    """start/end of a timed Google event, written in `tz`."""
    zone = ZoneInfo(tz)
    end = start + timedelta(minutes=minutes)
    return {
        "start": {"dateTime": start.astimezone(zone).isoformat(), "timeZone": tz},
        "end": {"dateTime": end.astimezone(zone).isoformat(), "timeZone": tz},
    }


@pytest.fixture
async def make_env(tmp_path, monkeypatch):
    """make_env(empty=True, seed=1, now=NOW, real_calendar=False) -> a connected Env (closed at
    teardown, after checking that Google's outbox is empty: nobody was emailed)."""
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    monkeypatch.setenv("CALSYNC_HOME", str(tmp_path / "home"))
    made: list[Env] = []

    async def make(
        *,
        empty: bool = True,
        seed: int = 1,
        now: datetime = NOW,
        real_calendar: bool = False,
        **options,
    ) -> Env:
        app = create_app(seed=seed, empty=empty, frozen_time=now, real_calendar=real_calendar)
        env = Env(app, tmp_path / f"home{len(made)}")
        made.append(env)
        await env.connect()
        if options:
            env.options(**options)
        return env

    yield make
    try:
        for env in made:
            # calsync never emails anyone: whatever a test made the engine write (guests,
            # linked persons), Google would have sent nothing (tests/engine/test_outbox.py).
            outbox = (await env.client.get("/_sandbox/google/outbox")).json()["messages"]
            assert outbox == [], f"Google would have emailed: {outbox[:3]}"
    finally:
        for env in made:
            await env.client.aclose()
            env.store.close()


@pytest.fixture
async def env(make_env) -> Env:
    """An empty sandbox (frozen at NOW) with one connected account."""
    return await make_env()


__all__ = ["BASE", "NEW_YORK", "NOW", "STOCKHOLM", "Dated", "Env", "Result", "timed"]
