"""The recorded scenarios: one account synced by the engine's real code path (`run_once`)
against the real hostnames, with the sandbox behind them while recording and only the
cassette behind them on replay.

A scenario is a script of `World` steps. Set-up steps (data, edits, faults) run only while
recording, through the sandbox's own APIs on an ignored host; sync steps run both times with
the same fixed `now`, so a replay asks exactly what the recording asked. The sandbox's clock
is frozen and its data seeded, so recording twice gives the same cassette byte for byte.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from sync.options import Options
from sync.runner import run_once
from sync.store import AccountExtra, Store
from sync.vault import Vault

from .realhosts import (
    GOOGLE_API,
    GOOGLE_TOKEN_URI,
    PIPEDRIVE_DOMAIN,
    PIPEDRIVE_TOKEN_URI,
    RealHostsTransport,
)

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)  # the sandbox's frozen clock and run_once's now
SEED = 1
ADMIN = "http://sandbox.test"  # set-up traffic: an ignored host, never in a cassette

# Who the sandbox (seed 1) says the user is; the recorder checks these against it.
OWNER_EMAIL = "anna.lindqvist@example.com"
CALENDAR_TZ = "Europe/Stockholm"
PIPEDRIVE_USER_ID = 13210001
GOOGLE_CLIENT_ID = "calsync-sandbox.apps.googleusercontent.com"
PIPEDRIVE_CLIENT_ID = "calsync-sandbox-pipedrive"
ACTIVITY_TYPES = ["call", "meeting", "task", "deadline", "email", "lunch"]
FAR = datetime(2100, 1, 1, tzinfo=UTC)  # a token that never expires by the wall clock
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # a token that expired long ago

DAY = NOW + timedelta(days=3)  # Monday 23 March 2026, 09:00 UTC


def _timed(start: datetime, minutes: int = 60, tz: str = CALENDAR_TZ) -> dict:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    end = start + timedelta(minutes=minutes)
    return {
        "start": {"dateTime": start.astimezone(zone).isoformat(), "timeZone": tz},
        "end": {"dateTime": end.astimezone(zone).isoformat(), "timeZone": tz},
    }


class Setup:
    """The sandbox's side while recording: its own APIs, on the ignored admin host."""

    def __init__(self, app) -> None:
        from sandbox.transport import SandboxTransport

        self.app = app
        self.sandbox = app.state.sandbox
        self.client = httpx.AsyncClient(transport=SandboxTransport(app=app), base_url=ADMIN)
        self.ids: dict[str, str] = {}  # names given in the script -> ids the sandbox made

    def _google(self) -> dict[str, str]:
        token, _, _ = self.sandbox.tokens.issue(_google_grant(), with_refresh=False)
        return {"Authorization": f"Bearer {token}"}

    def _events(self) -> str:
        return f"/calendar/v3/calendars/{OWNER_EMAIL}/events"

    async def _ok(self, answer: httpx.Response) -> dict:
        assert answer.status_code in (200, 204), answer.text
        return answer.json() if answer.content else {}

    async def g_insert(self, name: str, body: dict) -> None:
        made = await self._ok(
            await self.client.post(self._events(), json=body, headers=self._google())
        )
        self.ids[name] = made["id"]

    async def g_patch(self, name: str, body: dict) -> None:
        path = f"{self._events()}/{self.ids[name]}"
        await self._ok(await self.client.patch(path, json=body, headers=self._google()))

    async def g_delete(self, name: str) -> None:
        path = f"{self._events()}/{self.ids[name]}"
        await self._ok(await self.client.delete(path, headers=self._google()))

    def _pd(self) -> dict[str, str]:
        return {"x-api-token": self.sandbox.pipedrive.api_token}

    async def p_create(self, name: str, **body: Any) -> None:
        made = await self._ok(
            await self.client.post("/api/v2/activities", json=body, headers=self._pd())
        )
        self.ids[name] = str(made["data"]["id"])

    async def p_patch(self, name: str, **body: Any) -> None:
        path = f"/api/v2/activities/{self.ids[name]}"
        await self._ok(await self.client.patch(path, json=body, headers=self._pd()))

    async def p_delete(self, name: str) -> None:
        path = f"/api/v2/activities/{self.ids[name]}"
        await self._ok(await self.client.delete(path, headers=self._pd()))

    async def p_person(self, name: str, email: str) -> None:
        body = {"name": name, "emails": [{"value": email, "primary": True}]}
        made = await self._ok(
            await self.client.post("/api/v2/persons", json=body, headers=self._pd())
        )
        self.ids[name] = str(made["data"]["id"])

    async def faults(self, **plan: Any) -> None:
        await self._ok(await self.client.post("/_sandbox/faults", json=plan))

    async def aclose(self) -> None:
        await self.client.aclose()


def _google_grant():
    from sandbox.state import GOOGLE_CLIENT_ID as client_id
    from sandbox.tokens import Grant

    return Grant("google", client_id, OWNER_EMAIL, "https://www.googleapis.com/auth/calendar")


def _pipedrive_grant():
    from sandbox.pipedrive.oauth import SCOPE
    from sandbox.state import PIPEDRIVE_CLIENT_ID as client_id
    from sandbox.tokens import Grant

    return Grant("pipedrive", client_id, str(PIPEDRIVE_USER_ID), SCOPE)


def _client_secret(service: str) -> str:
    from sandbox import state

    return getattr(state, f"{service}_CLIENT_SECRET")


def check_sandbox(app) -> None:
    """The recorder's guard: the sandbox still seeds the identity the scenarios assume."""
    from sandbox import state

    sandbox = app.state.sandbox
    assert sandbox.google.owner_email == OWNER_EMAIL
    assert sandbox.pipedrive.user_id == PIPEDRIVE_USER_ID
    assert sandbox.pipedrive.company["domain"] + ".pipedrive.com" == PIPEDRIVE_DOMAIN[8:]
    assert (state.GOOGLE_CLIENT_ID, state.PIPEDRIVE_CLIENT_ID) == (
        GOOGLE_CLIENT_ID,
        PIPEDRIVE_CLIENT_ID,
    )


@dataclass
class Run:
    """What one `run_once` gave: the summary (RunSummary.to_json()), exit code, events."""

    summary: dict[str, Any]
    exit_code: int
    events: list = field(default_factory=list)
    error: str | None = None

    def count(self, side: str, verb: str) -> int:
        return self.summary[side][verb]


class World:
    """One scenario's account (a store and vault in `home`) and, while recording, the sandbox."""

    def __init__(
        self, home: Path, *, app=None, pipedrive_oauth: bool = False, expired: bool = False
    ) -> None:
        self.app = app
        self.recording = app is not None
        self.transport = RealHostsTransport(app) if app is not None else None
        self.setup_api = Setup(app) if app is not None else None
        self.now = NOW
        self.store = Store(home)
        self.vault = Vault(home)
        self.account_id = self._connect(pipedrive_oauth=pipedrive_oauth, expired=expired)

    def _connect(self, *, pipedrive_oauth: bool, expired: bool) -> str:
        """The account `calsync connect --google` would have made, without its HTTP."""
        account = self.store.add_account(
            OWNER_EMAIL,
            pipedrive_email=OWNER_EMAIL,
            pipedrive_domain=PIPEDRIVE_DOMAIN,
            options=Options(linked_contacts=True),
            at=NOW,
            extra=AccountExtra(
                google_base=GOOGLE_API,
                kind="real",
                calendar_tz=CALENDAR_TZ,
                pipedrive_user_id=PIPEDRIVE_USER_ID,
                activity_types=tuple(ACTIVITY_TYPES),
            ),
        )
        if self.recording:
            tokens = self.app.state.sandbox.tokens
            access, refresh, _ = tokens.issue(_google_grant())
        else:  # never sent anywhere: replay answers from the cassette
            access, refresh = "replay-google-access", "replay-google-refresh"
        secrets: dict[str, Any] = {
            "google": {
                "access_token": access,
                "refresh_token": refresh,
                "expires_at": (LONG_AGO if expired else FAR).isoformat(),
                "token_uri": GOOGLE_TOKEN_URI,
                "client_id": GOOGLE_CLIENT_ID,
                "client_secret": _client_secret("GOOGLE") if self.recording else "replay",
                "extra": {},
            }
        }
        if pipedrive_oauth:
            if self.recording:
                p_access, p_refresh, _ = self.app.state.sandbox.tokens.issue(_pipedrive_grant())
            else:
                p_access, p_refresh = "replay-pipedrive-access", "replay-pipedrive-refresh"
            secrets["pipedrive_oauth"] = {
                "access_token": p_access,
                "refresh_token": p_refresh,
                "expires_at": (LONG_AGO if expired else FAR).isoformat(),
                "token_uri": PIPEDRIVE_TOKEN_URI,
                "client_id": PIPEDRIVE_CLIENT_ID,
                "client_secret": _client_secret("PIPEDRIVE") if self.recording else "replay",
                "extra": {"api_domain": PIPEDRIVE_DOMAIN},
            }
        else:
            secrets["pipedrive_api_token"] = (
                self.app.state.sandbox.pipedrive.api_token if self.recording else "replay-token"
            )
        self.vault.put(account.id, secrets)
        return account.id

    async def setup(self, step: Callable[[Setup], Awaitable[None]]) -> None:
        """Change the services (only while recording; a replay has the answers already)."""
        if self.setup_api is not None:
            await step(self.setup_api)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        if self.app is not None:
            self.app.state.sandbox.clock.advance(seconds)

    async def sync(self, **kw: Any) -> Run:
        """One `run_once` at `now`; no waits between retries (the sandbox says Retry-After: 0)."""
        from sync.errors import CalsyncError

        events = []
        try:
            async for event in run_once(
                self.store,
                self.vault,
                self.account_id,
                transport=self.transport,
                now=self.now,
                retry_wait=0.0,
                **kw,
            ):
                events.append(event)
        except CalsyncError as exc:
            account = self.store.account(self.account_id)
            return Run({"status": "error"}, 1, events, error=f"{exc} ({account.last_error})")
        done = events[-1]
        return Run(done.detail["summary"], done.detail["exit_code"], events)

    def links(self) -> list:
        return self.store.data(self.account_id).links()

    async def aclose(self) -> None:
        if self.setup_api is not None:
            await self.setup_api.aclose()
        self.store.close()


# -- set-up steps ------------------------------------------------------------------------


async def seed_both(s: Setup) -> None:
    """A small week on both sides: every kind of Google event, activities with a person."""
    await s.g_insert(
        "review",
        {
            "summary": "Quarterly review",
            **_timed(DAY, 90),
            "location": "Room 4",
            "description": "Agenda: numbers",
            "attendees": [{"email": "kim@example.org", "displayName": "Kim"}],
        },
    )
    await s.g_insert(
        "offsite",
        {"summary": "Offsite", "start": {"date": "2026-03-24"}, "end": {"date": "2026-03-26"}},
    )
    await s.g_insert(
        "standup",
        {"summary": "Standup", **_timed(DAY + timedelta(days=1), 15),
         "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]},
    )  # fmt: skip
    await s.g_insert(
        "doctor", {"summary": "Doctor", **_timed(DAY + timedelta(hours=5)), "visibility": "private"}
    )
    await s.p_person("Eva Berg", "eva.berg@example.se")
    await s.p_create(
        "call",
        subject="Call Eva",
        type="call",
        due_date="2026-03-25",
        due_time="13:00",
        duration="00:30",
        participants=[{"person_id": int(s.ids["Eva Berg"]), "primary": True}],
    )
    await s.p_create(
        "demo",
        subject="Product demo",
        type="meeting",
        due_date="2026-03-26",
        due_time="10:00",
        duration="01:00",
        location={"value": "Sveavägen 1"},
    )


async def edit_both(s: Setup) -> None:
    """Changes on both sides for the incremental run."""
    await s.g_patch("review", {"summary": "Quarterly review (moved)", **_timed(DAY, 60)})
    await s.g_delete("doctor")
    await s.g_insert("lunch", {"summary": "Lunch with Kim", **_timed(DAY + timedelta(hours=3))})
    await s.p_patch("call", subject="Call Eva about the offer")
    await s.p_create(
        "task", subject="Send offer", type="task", due_date="2026-03-27", due_time="08:00"
    )
    await s.p_delete("demo")


# -- the scenarios -----------------------------------------------------------------------


async def first_sync(w: World) -> list[Run]:
    await w.setup(seed_both)
    return [await w.sync()]


async def incremental_sync(w: World) -> list[Run]:
    await w.setup(seed_both)
    first = await w.sync()
    w.advance(600)
    await w.setup(edit_both)
    w.advance(60)
    return [first, await w.sync()]


async def token_refresh(w: World) -> list[Run]:
    """Google OAuth and Pipedrive OAuth. Both access tokens expired in the vault: refreshed
    before the first call. Then each service expires its token under a running sync: 401,
    refreshed, sent again."""
    await w.setup(seed_both)
    first = await w.sync()
    w.advance(600)

    async def expire_google(s: Setup) -> None:
        await s.p_create("late", subject="Late call", type="call", due_date="2026-03-27")
        await s.faults(target="google", kinds=["expire_tokens"], rate=1.0, count=1)

    await w.setup(expire_google)
    second = await w.sync()
    w.advance(600)

    async def expire_pipedrive(s: Setup) -> None:
        await s.g_insert("late", {"summary": "Late meeting", **_timed(DAY + timedelta(hours=6))})
        await s.faults(target="pipedrive", kinds=["expire_tokens"], rate=1.0, count=1)

    await w.setup(expire_pipedrive)
    return [first, second, await w.sync()]


async def full_resync_410(w: World) -> list[Run]:
    """The sync token goes stale between runs: 410, then the window listed in full, with
    no duplicates."""
    await w.setup(seed_both)
    first = await w.sync()
    w.advance(600)

    async def stale(s: Setup) -> None:
        await s.g_insert("late", {"summary": "Late meeting", **_timed(DAY + timedelta(hours=6))})
        await s.faults(target="google", kinds=["stale_sync_token"], rate=1.0, count=1)

    await w.setup(stale)
    return [first, await w.sync()]


async def google_rate_limit(w: World) -> list[Run]:
    """Google answers 429 (Retry-After: 0) to the first calls: retried, the run completes."""

    async def limited(s: Setup) -> None:
        await seed_both(s)
        await s.faults(target="google", kinds=["429"], rate=1.0, count=2, retry_after=0)

    await w.setup(limited)
    return [await w.sync()]


async def pipedrive_429(w: World) -> list[Run]:
    """Pipedrive answers 429 (Retry-After: 0) to the first calls: retried, the run completes."""

    async def limited(s: Setup) -> None:
        await seed_both(s)
        await s.faults(target="pipedrive", kinds=["429"], rate=1.0, count=2, retry_after=0)

    await w.setup(limited)
    return [await w.sync()]


@dataclass(frozen=True)
class Scenario:
    name: str
    script: Callable[[World], Awaitable[list[Run]]]
    pipedrive_oauth: bool = False
    expired: bool = False

    @property
    def cassette(self) -> str:
        return f"{self.name}.yaml"


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("first_sync", first_sync),
        Scenario("incremental_sync", incremental_sync),
        Scenario("token_refresh", token_refresh, pipedrive_oauth=True, expired=True),
        Scenario("full_resync_410", full_resync_410),
        Scenario("google_rate_limit", google_rate_limit),
        Scenario("pipedrive_429", pipedrive_429),
    )
}


@dataclass
class Played:
    """A scenario's outcome: its runs, the links and account after it, the cassette's use."""

    runs: list[Run]
    links: list
    account: Any
    secrets: dict[str, Any]
    played: int
    interactions: int


async def play(scenario: Scenario, home: Path, cassette: Path, *, app=None) -> Played:
    """Run a scenario inside its cassette: recording when `app` (the sandbox) is given,
    replaying (record_mode "none": an unknown request fails) when not."""
    from .scrub import make_vcr

    if app is not None:
        check_sandbox(app)
        cassette.unlink(missing_ok=True)
    world = World(home, app=app, pipedrive_oauth=scenario.pipedrive_oauth, expired=scenario.expired)
    recorder = make_vcr("all" if app is not None else "none")
    try:
        with recorder.use_cassette(str(cassette)) as tape:
            runs = await scenario.script(world)
        return Played(
            runs,
            world.links(),
            world.store.account(world.account_id),
            world.vault.get(world.account_id),
            tape.play_count,
            len(tape),
        )
    finally:
        await world.aclose()
