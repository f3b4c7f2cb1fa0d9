"""The app keeps answering keys during a 5,000-item initial sync."""

from __future__ import annotations

import asyncio
import time

from textual import events
from textual.widgets import RichLog

from tui.help import HelpScreen
from tui.screens.sync_log import SyncLogScreen
from tui.session import MAX_EVENTS

from .conftest import admin


class TestResponsive:
    async def test_keys_during_big_initial_sync(self, make_app, connect, sandbox_app, settle):
        answer = await admin(
            sandbox_app,
            "POST",
            "/_sandbox/seed",
            json={"seed": 5, "events": 2500, "activities": 2500, "persons": 50},
        )
        assert answer.status_code == 200, answer.text
        sandbox_app.state.sandbox.churn.set_rate(0)
        connect()
        app = make_app()
        handled: dict[int, tuple[str, float, str]] = {}  # Key events as the app dispatched them

        def hook(message) -> None:
            if isinstance(message, events.Key) and id(message) not in handled:
                session = app.sessions.get("1")
                handled[id(message)] = (
                    message.key,
                    time.monotonic(),
                    session.state if session else "",
                )

        async with app.run_test(size=(120, 34), message_hook=hook) as pilot:
            app.open_log("1")
            await pilot.pause()
            session = app.sessions["1"]
            screen = app.screen
            assert isinstance(screen, SyncLogScreen)

            async def type_key(key: str, until=None) -> None:
                # As a person types: without waiting for the app to be idle first.
                app.simulate_key(key)
                deadline = time.monotonic() + 10
                while until is not None and not until():
                    assert time.monotonic() < deadline, f"{key} was not handled"
                    await asyncio.sleep(0.02)
                await asyncio.sleep(0.05)

            cycles = 0
            while session.state == "syncing" and cycles < 10:
                await type_key("f")
                await type_key("f")
                await type_key("question_mark", lambda: isinstance(app.screen, HelpScreen))
                await type_key("escape", lambda: app.screen is screen)
                cycles += 1
            await settle(pilot, lambda: session.runs == 1, timeout=90)
            during = [(key, at) for key, at, state in handled.values() if state == "syncing"]
            assert len(during) >= 4, (during, cycles)
            # Every key took effect: the pairs of "f" leave it following, help opened and closed.
            assert screen.follow is True
            assert app.screen is screen and not isinstance(app.screen, HelpScreen)
            written = sum(n for (kind, _), n in session.totals.items() if kind == "create")
            assert written >= 5000
            assert (
                len(screen.query_one("#log", RichLog).lines) == MAX_EVENTS
            )  # keeps the last 5,000
