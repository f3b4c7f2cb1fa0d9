"""Snapshots of every screen and dialog at 120x34 and 80x24, the clock frozen."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from sync.errors import ServiceUnavailable
from tui.dialogs.conflicts import ConflictsView
from tui.dialogs.error import ErrorDialog
from tui.dialogs.guard import GuardDialog
from tui.screens.options import OptionsScreen
from tui.screens.preview import PreviewScreen
from tui.screens.sync_log import SyncLogScreen

from .conftest import IDS, SIZES

pytestmark = pytest.mark.parametrize("size", SIZES, ids=IDS)


async def still(pilot) -> None:
    """Let button flashes end and drop toasts: what a snapshot shows must not depend on timing."""
    pilot.app.clear_notifications()
    await pilot.pause(0.3)
    await pilot.pause()


async def synced(pilot, settle) -> None:
    """Open the account's log and wait for its first run."""
    pilot.app.previewed("1")  # the user looked and started syncing
    pilot.app.open_log("1")
    await settle(pilot, lambda: pilot.app.sessions["1"].runs >= 1)


class TestHome:
    def test_empty(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), terminal_size=size)

    def test_accounts(self, snap_compare, make_app, connect, settle, size):
        connect()

        async def run_before(pilot):
            await synced(pilot, settle)
            pilot.app.go_home()
            await settle(pilot)
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)

    def test_previously_synced(self, snap_compare, make_app, connect, settle, size):
        connect()

        async def run_before(pilot):
            await synced(pilot, settle)
            pilot.app.stop_syncing("1")
            await settle(pilot, lambda: pilot.app.screen.query("#previous AccountCard"))
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)

    def test_paused_by_the_guard_says_why(
        self, snap_compare, make_app, connect, settle, sandbox_app, size
    ):
        connect()
        sandbox = sandbox_app.state.sandbox
        sandbox.churn.set_rate(0)

        async def run_before(pilot):
            app = pilot.app
            await synced(pilot, settle)
            app.go_home()
            for row in list(sandbox.pipedrive.activities.rows.values()):
                if not row.get("is_deleted"):
                    sandbox.pipedrive.delete_activity(row["id"], at=sandbox.clock.now())
            app.sync_now("1")
            await settle(pilot, lambda: isinstance(app.screen, GuardDialog))
            await pilot.click("#keep-button")
            await settle(pilot, lambda: app.screen.query("#resume-1"))
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)


class TestAddAccount:
    def test_demo(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), press=["a"], terminal_size=size)

    def test_google_inline_error(self, snap_compare, make_app, settle, size):
        async def run_before(pilot):
            await pilot.press("a")
            await pilot.click("#google")
            pilot.app.screen.query_one(
                "#client-secret", Input
            ).value = "/nowhere/client_secret.json"
            pilot.app.screen.query_one("#connect").press()
            await settle(pilot)
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)


class TestOptions:
    def test_prefilled(self, snap_compare, make_app, connect, settle, size):
        connect(sync_type="one-way", window_future_days=90)

        async def run_before(pilot):
            pilot.app.open_options("1", then="preview")
            await settle(
                pilot,
                lambda: (
                    isinstance(pilot.app.screen, OptionsScreen)
                    and pilot.app.screen.query_one("#form").display
                ),
            )
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)

    def test_inline_validation(self, snap_compare, make_app, connect, settle, size):
        connect()

        async def run_before(pilot):
            pilot.app.open_options("1", then="preview")
            await settle(
                pilot,
                lambda: (
                    isinstance(pilot.app.screen, OptionsScreen)
                    and pilot.app.screen.query_one("#form").display
                ),
            )
            pilot.app.screen.query_one("#window-past", Input).value = "9999"
            await pilot.press("ctrl+s")
            await settle(pilot)
            pilot.app.screen.query_one("#window-error").scroll_visible(animate=False)
            await pilot.pause()
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)


class TestPreview:
    def test_plan(self, snap_compare, make_app, connect, settle, size):
        connect()

        async def run_before(pilot):
            pilot.app.push_screen(PreviewScreen("1"))
            await settle(
                pilot,
                lambda: isinstance(pilot.app.screen, PreviewScreen) and pilot.app.screen.events,
            )
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)

    def test_look_before_a_big_run(self, snap_compare, make_app, connect, settle, size):
        """An account whose options no complete run used: Resume looks first, and asks."""
        connect()

        async def run_before(pilot):
            await settle(pilot, lambda: pilot.app.screen.query("#resume-1"))
            await pilot.click("#resume-1")
            await settle(
                pilot,
                lambda: isinstance(pilot.app.screen, PreviewScreen) and pilot.app.screen.events,
            )
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)


class TestSyncLog:
    def test_first_sync(self, snap_compare, make_app, connect, settle, size):
        connect()

        async def run_before(pilot):
            await synced(pilot, settle)
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)

    def test_filtered_changes_paused(
        self, snap_compare, make_app, connect, settle, sandbox_app, size
    ):
        connect()

        async def run_before(pilot):
            await synced(pilot, settle)
            sandbox_app.state.sandbox.clock.advance(600)
            await pilot.press("s")
            await settle(pilot, lambda: pilot.app.sessions["1"].runs >= 2)
            pilot.app.screen.query_one("#filter").value = "update"
            await pilot.press("f")
            await settle(pilot)
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)


class TestDialogs:
    def test_help(self, snap_compare, make_app, size):
        assert snap_compare(make_app(), press=["question_mark"], terminal_size=size)

    def test_error(self, snap_compare, make_app, size):
        error = ServiceUnavailable(
            "cannot reach the sandbox at http://127.0.0.1:8765: is `calsync sandbox` running?"
        )

        async def run_before(pilot):
            pilot.app.push_screen(ErrorDialog.for_error("Could not connect", error))
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)

    def test_confirm_stop(self, snap_compare, make_app, connect, settle, size):
        connect()

        async def run_before(pilot):
            await synced(pilot, settle)
            await pilot.press("x")
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)

    def test_guard(self, snap_compare, make_app, connect, settle, sandbox_app, size):
        connect()
        sandbox = sandbox_app.state.sandbox

        async def run_before(pilot):
            await synced(pilot, settle)
            sandbox.churn.set_rate(0)
            pd = sandbox.pipedrive
            for row in list(pd.activities.rows.values()):
                if not row.get("is_deleted"):
                    pd.delete_activity(row["id"], at=sandbox.clock.now())
            sandbox.clock.advance(60)
            await pilot.press("s")
            await settle(pilot, lambda: isinstance(pilot.app.screen, GuardDialog))
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)

    def test_conflicts(self, snap_compare, make_app, connect, settle, sandbox_app, size):
        connect()

        async def run_before(pilot):
            await synced(pilot, settle)
            sandbox_app.state.sandbox.clock.advance(600)
            await pilot.press("s")
            await settle(pilot, lambda: pilot.app.sessions["1"].runs >= 2)
            assert pilot.app.sessions["1"].conflicts()
            assert isinstance(pilot.app.screen, SyncLogScreen)
            await pilot.press("c")
            await settle(pilot, lambda: isinstance(pilot.app.screen, ConflictsView))
            await still(pilot)

        assert snap_compare(make_app(), run_before=run_before, terminal_size=size)
