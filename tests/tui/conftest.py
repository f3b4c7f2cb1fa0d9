"""Fixtures for the app's tests: a frozen clock, no cursor blink, an in-process sandbox,
an app wired to it, and a helper that waits for the app's workers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from sandbox.transport import SandboxTransport
from sync import accounts as engine
from sync.store import Store
from sync.vault import Vault
from tui import app as app_module
from tui.app import CalsyncApp
from tui.demo import demo_app

FROZEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIZES = [(120, 34), (80, 24)]
IDS = ["120x34", "80x24"]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """Every time the app shows comes from a frozen clock (the sandbox's, or this one)."""
    monkeypatch.setattr(app_module, "_utc_now", lambda: FROZEN)
    return FROZEN


@pytest.fixture(autouse=True)
def no_blink(monkeypatch):
    """The text cursor stays on: snapshots must not depend on when they are taken."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture(autouse=True)
def offline_env(monkeypatch, tmp_path):
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    monkeypatch.setenv("CALSYNC_HOME", str(tmp_path / "env-home"))


@pytest.fixture(autouse=True)
def computer_in_utc(monkeypatch):
    """The computer's own zone is UTC (screens name it where it differs from the calendar's)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def sandbox_app():
    """The demo sandbox (seed 1, churn on, the real-world calendar), in-process, its clock
    frozen."""
    return demo_app(frozen_time=FROZEN)


@pytest.fixture
def make_app(home, sandbox_app) -> Callable[..., CalsyncApp]:
    def make(**kwargs) -> CalsyncApp:
        return CalsyncApp(
            home,
            sandbox=sandbox_app,
            clock=sandbox_app.state.sandbox.clock.now,
            watch_interval=kwargs.pop("watch_interval", 3600),
            **kwargs,
        )

    return make


@pytest.fixture
def connect(home, sandbox_app):
    """Connect the sandbox's account through the engine (for tests that start past that step)."""

    def do(**options) -> str:
        async def run() -> str:
            store, vault = Store(home), Vault(home)
            transport = SandboxTransport(app=sandbox_app)
            connected = await engine.connect_sandbox(
                store, vault, "http://sandbox.test", transport=transport
            )
            if options:
                await engine.set_options(
                    store, vault, connected.account, options, transport=transport
                )
            store.close()
            return connected.account.id

        # A thread of its own: callers may be inside an event loop (pilot tests) or not.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, run()).result()

    return do


async def admin(sandbox_app, method: str, path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=SandboxTransport(app=sandbox_app), base_url="http://sandbox.test"
    ) as client:
        return await client.request(method, path, **kwargs)


@pytest.fixture
def settle() -> Callable:
    """Wait until the app's workers are done (watches idle between runs) and `until()` holds."""

    async def wait(
        pilot: Pilot, until: Callable[[], bool] = lambda: True, timeout: float = 20
    ) -> None:
        app = pilot.app
        deadline = time.monotonic() + timeout
        while True:
            await pilot.pause(0.02)
            busy = any(w.is_running for w in app.workers if w.group != "sync") or any(
                s.state == "syncing" for s in app.sessions.values()
            )
            if not busy and until():
                await pilot.pause()
                return
            if time.monotonic() > deadline:
                states = {k: (s.state, s.runs, s.error) for k, s in app.sessions.items()}
                raise AssertionError(
                    f"the app did not settle in {timeout}s (screen {app.screen!r}, {states}, workers {list(app.workers)})"
                )

    return wait
