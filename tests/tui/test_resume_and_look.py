"""The app goes on syncing every account when it starts again, says why one is paused and
offers Resume, and shows the preview before a big run nobody looked at (after a reconnect or
new options) instead of writing it at once."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from sandbox.transport import SandboxTransport
from sync import accounts as engine
from sync.runner import run_once
from sync.store import Store
from sync.vault import Vault
from tui.dialogs.guard import GuardDialog
from tui.screens.home import HomeScreen
from tui.screens.options import OptionsScreen
from tui.screens.preview import PreviewScreen
from tui.screens.sync_log import SyncLogScreen
from tui.widgets.account_card import AccountCard

from .test_dialogs import delete_all_activities


def in_a_thread(home, sandbox_app, work) -> None:
    """Run `work(store, vault, transport)` against the sandbox, as another process would."""

    async def run() -> None:
        store, vault = Store(home), Vault(home)
        try:
            await work(store, vault, SandboxTransport(app=sandbox_app))
        finally:
            store.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def synced_before(home, sandbox_app) -> None:
    """An earlier session of the app synced the account once."""

    async def first(store, vault, transport) -> None:
        now = sandbox_app.state.sandbox.clock.now()
        async for _ in run_once(store, vault, "1", transport=transport, now=now):
            pass

    in_a_thread(home, sandbox_app, first)


def card_text(app) -> str:
    return app.screen.query_one(AccountCard)._describe().plain


async def test_the_app_resumes_syncing_when_it_starts_again(
    make_app, connect, home, sandbox_app, settle
):
    sandbox_app.state.sandbox.churn.set_rate(0)
    connect()
    synced_before(home, sandbox_app)
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        # Nobody opens the log: the account syncs all the same.
        await settle(pilot, lambda: "1" in app.sessions and app.sessions["1"].runs >= 1)
        assert isinstance(app.screen, HomeScreen)
        assert app.sessions["1"].state == "idle" and app.sessions["1"].next_run is not None
        assert "status idle" in card_text(app) and not app.screen.query("#resume-1")


async def test_a_paused_account_says_why_and_resume_starts_it_again(
    make_app, connect, home, sandbox_app, settle
):
    sandbox = sandbox_app.state.sandbox
    sandbox.churn.set_rate(0)
    connect()
    synced_before(home, sandbox_app)
    assert delete_all_activities(sandbox) > 0  # the next run would delete every event
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, GuardDialog))
        await pilot.click("#keep-button")
        await settle(
            pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.query("#resume-1")
        )
        assert "Held by the mass-deletion guard: nothing was deleted" in card_text(app)
        await pilot.click("#resume-1")
        await settle(pilot, lambda: isinstance(app.screen, GuardDialog))  # it asks again


async def test_a_big_run_after_reconnect_is_previewed_before_it_writes(
    make_app, connect, home, sandbox_app, settle
):
    sandbox = sandbox_app.state.sandbox
    sandbox.churn.set_rate(0)
    connect()
    synced_before(home, sandbox_app)

    async def stop(store, vault, transport) -> None:
        engine.disconnect(store, store.account("1"))

    in_a_thread(home, sandbox_app, stop)
    for n in range(30):  # while it was stopped, the calendar filled up
        sandbox.google.insert_event(
            "primary",
            {
                "summary": f"Planned {n}",
                "start": {"dateTime": f"2026-03-{10 + n % 15:02d}T09:00:00Z"},
                "end": {"dateTime": f"2026-03-{10 + n % 15:02d}T10:00:00Z"},
            },
        )
    activities = len(sandbox.pipedrive.activities.rows)
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        await settle(
            pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.query("#reconnect-1")
        )
        await pilot.click("#reconnect-1")
        await settle(
            pilot,
            lambda: isinstance(app.screen, OptionsScreen) and app.screen.query_one("#form").display,
        )
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.events)
        assert "this sync would write 30 items" in str(app.screen.query_one("#heading").render())
        assert len(sandbox.pipedrive.activities.rows) == activities  # nothing written yet
        assert app.sessions["1"].state == "stopped"
        await pilot.click("#start-button")
        await settle(pilot, lambda: app.sessions["1"].runs >= 1)
        assert len(sandbox.pipedrive.activities.rows) == activities + 30


async def test_a_new_calendar_from_the_log_is_previewed_before_it_writes(
    make_app, connect, home, sandbox_app, settle
):
    sandbox = sandbox_app.state.sandbox
    sandbox.churn.set_rate(0)
    connect()
    synced_before(home, sandbox_app)
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        await settle(pilot, lambda: "1" in app.sessions and app.sessions["1"].runs >= 1)
        app.open_log("1")
        await settle(pilot, lambda: isinstance(app.screen, SyncLogScreen))
        await pilot.press("o")
        await settle(
            pilot,
            lambda: isinstance(app.screen, OptionsScreen) and app.screen.query_one("#form").display,
        )
        team = next(c for c in sandbox.google.calendars.values() if c.summary == "Team")
        app.screen.query_one("#calendar").value = team.id
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.events)
        assert "look before it starts" in str(app.screen.query_one("#heading").render())


async def test_a_preview_left_with_back_is_not_a_yes(make_app, connect, home, sandbox_app, settle):
    """Back on the preview of new options leaves the account waiting, and says so; Sync now
    shows the preview again instead of writing what nobody agreed to."""
    sandbox = sandbox_app.state.sandbox
    sandbox.churn.set_rate(0)
    connect()
    synced_before(home, sandbox_app)
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        await settle(pilot, lambda: "1" in app.sessions and app.sessions["1"].runs >= 1)
        app.open_log("1")
        await settle(pilot, lambda: isinstance(app.screen, SyncLogScreen))
        await pilot.press("o")
        await settle(
            pilot,
            lambda: isinstance(app.screen, OptionsScreen) and app.screen.query_one("#form").display,
        )
        team = next(c for c in sandbox.google.calendars.values() if c.summary == "Team")
        app.screen.query_one("#calendar").value = team.id
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.events)
        assert sum(isinstance(s, PreviewScreen) for s in app.screen_stack) == 1
        runs, on_team = app.sessions["1"].runs, len(team.events)
        await pilot.press("escape")  # back to the options
        await settle(pilot, lambda: isinstance(app.screen, OptionsScreen))
        await pilot.press("escape")  # back to the log
        await settle(pilot, lambda: isinstance(app.screen, SyncLogScreen))
        state = str(app.screen.query_one("#log-state").render())
        assert "waiting for a look at the preview" in state
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.events)
        assert app.sessions["1"].runs == runs  # nothing ran, nothing was written
        assert len(team.events) == on_team
