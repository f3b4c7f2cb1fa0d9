"""The app keeps answering keys during a 5,000-item initial sync: keys typed while the run
goes take effect while it goes. Nothing here sleeps or measures time: each key is typed as
a person types (without waiting for the app to be idle), then its effect is polled for, a
bounded number of app turns."""

from __future__ import annotations

from textual import events
from textual.widgets import RichLog

from tui.help import HelpScreen
from tui.screens.sync_log import SyncLogScreen
from tui.session import MAX_EVENTS

from .conftest import admin

TURNS = 2000  # app turns a key may take to show its effect (a bound, not a duration)


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
        handled: dict[int, tuple[str, str]] = {}  # each Key event: its key, the sync's state

        def hook(message) -> None:
            if isinstance(message, events.Key) and id(message) not in handled:
                session = app.sessions.get("1")
                handled[id(message)] = (message.key, session.state if session else "")

        async with app.run_test(size=(120, 34), message_hook=hook) as pilot:
            app.open_log("1")
            await pilot.pause()
            session = app.sessions["1"]
            screen = app.screen
            assert isinstance(screen, SyncLogScreen)

            async def type_key(key: str, effect=lambda: True) -> None:
                app.simulate_key(key)
                for _ in range(TURNS):
                    await pilot.pause()
                    if effect() and any(k == key for k, _ in handled.values()):
                        return
                raise AssertionError(f"{key} did not take effect")

            cycles = 0
            while session.state == "syncing" and cycles < 10:
                await type_key("f", lambda: screen.follow is False)
                await type_key("f", lambda: screen.follow is True)
                await type_key("question_mark", lambda: isinstance(app.screen, HelpScreen))
                await type_key("escape", lambda: app.screen is screen)
                cycles += 1
            await settle(pilot, lambda: session.runs == 1, timeout=90)
            during = [key for key, state in handled.values() if state == "syncing"]
            assert len(during) >= 4, (during, cycles)
            # Every key took effect: the pairs of "f" leave it following, help opened and closed.
            assert screen.follow is True
            assert app.screen is screen and not isinstance(app.screen, HelpScreen)
            written = sum(n for (kind, _), n in session.totals.items() if kind == "create")
            assert written >= 5000
            assert len(screen.query_one("#log", RichLog).lines) == MAX_EVENTS  # the last 5,000
