"""Dialogs in action: failures say what to do, the mass-deletion guard, the command palette."""

from __future__ import annotations

import stamina
from textual.widgets import Static

from sandbox.faults import parse_plan
from tui.dialogs.error import ErrorDialog
from tui.dialogs.guard import GuardDialog
from tui.screens.add_account import AddAccountScreen
from tui.screens.sync_log import SyncLogScreen


def delete_all_activities(sandbox) -> int:
    pd = sandbox.pipedrive
    live = [row for row in pd.activities.rows.values() if not row.get("is_deleted")]
    for row in live:
        pd.delete_activity(row["id"], at=sandbox.clock.now())
    return len(live)


def google_events(sandbox) -> int:
    calendar = sandbox.google.calendar("primary")
    return sum(1 for e in calendar.events.values() if not e.cancelled)


class TestErrors:
    async def test_connect_failure_is_a_dialog_with_advice(self, make_app, sandbox_app, settle):
        sandbox_app.state.sandbox.faults.set(
            parse_plan({"target": "google", "rate": 1, "kinds": ["503"]})
        )
        app = make_app()
        with stamina.set_testing(True, attempts=1):
            async with app.run_test(size=(120, 34)) as pilot:
                await pilot.press("a")
                await pilot.click("#connect")
                await settle(pilot, lambda: isinstance(app.screen, ErrorDialog))
                text = str(app.screen.query_one("#hint", Static).render())
                assert "try again" in text.lower()
                await pilot.press("enter")
                assert isinstance(app.screen, AddAccountScreen)
                assert app.store.accounts() == []

    async def test_sync_failure_is_a_dialog(self, make_app, connect, sandbox_app, settle):
        connect()
        sandbox_app.state.sandbox.faults.set(
            parse_plan({"target": "pipedrive", "rate": 1, "kinds": ["500"]})
        )
        app = make_app()
        with stamina.set_testing(True, attempts=1):
            async with app.run_test(size=(120, 34)) as pilot:
                app.previewed("1")  # the user looked and started syncing
                app.open_log("1")
                await settle(pilot, lambda: isinstance(app.screen, ErrorDialog))
                assert app.sessions["1"].state == "error"
                await pilot.press("escape")
                assert isinstance(app.screen, SyncLogScreen)


class TestGuard:
    async def test_keep_deletes_nothing(self, make_app, connect, sandbox_app, settle):
        connect()
        sandbox = sandbox_app.state.sandbox
        sandbox.churn.set_rate(0)
        app = make_app()
        async with app.run_test(size=(120, 34)) as pilot:
            app.previewed("1")  # the user looked and started syncing
            app.open_log("1")
            await settle(pilot, lambda: app.sessions["1"].runs == 1)
            before = google_events(sandbox)
            assert delete_all_activities(sandbox) > 0
            await pilot.press("s")
            await settle(pilot, lambda: isinstance(app.screen, GuardDialog))
            await pilot.click("#keep-button")
            await settle(pilot)
            assert app.sessions["1"].state == "guarded"
            assert google_events(sandbox) == before

    async def test_delete_anyway_runs_with_force(self, make_app, connect, sandbox_app, settle):
        connect()
        sandbox = sandbox_app.state.sandbox
        sandbox.churn.set_rate(0)
        app = make_app()
        async with app.run_test(size=(120, 34)) as pilot:
            app.previewed("1")  # the user looked and started syncing
            app.open_log("1")
            await settle(pilot, lambda: app.sessions["1"].runs == 1)
            before = google_events(sandbox)
            delete_all_activities(sandbox)
            await pilot.press("s")
            await settle(pilot, lambda: isinstance(app.screen, GuardDialog))
            await pilot.click("#delete-anyway")
            await settle(pilot, lambda: app.sessions["1"].runs == 3)
            assert app.sessions["1"].state == "idle"
            assert google_events(sandbox) < before / 2


class TestCommandPalette:
    async def test_sync_run_now_and_stop(self, make_app, connect, settle):
        connect()
        app = make_app()
        async with app.run_test(size=(120, 34)) as pilot:
            app.previewed("1")  # the user looked and started syncing
            app.open_log("1")
            await settle(pilot, lambda: app.sessions["1"].runs == 1)
            await pilot.press("ctrl+p")
            await pilot.press(*"sync: run now")
            await pilot.pause(0.2)
            await pilot.press("enter")
            await settle(pilot, lambda: app.sessions["1"].runs == 2)
            await pilot.press("ctrl+p")
            await pilot.press(*"sync: stop")
            await pilot.pause(0.2)
            await pilot.press("enter")
            await pilot.pause()
            await pilot.click("#yes")
            await settle(pilot, lambda: app.store.account("1").state == "previously_synced")
            await pilot.press("ctrl+p")
            await pilot.press(*"account: reconnect")
            await pilot.pause(0.2)
            await pilot.press("enter")
            await settle(pilot, lambda: app.store.account("1").state == "active")


def test_add_account_without_a_token_signs_in_with_the_pipedrive_app_if_set(tmp_path, monkeypatch):
    import json

    from tui.screens.add_account import AddAccountScreen

    secret = tmp_path / "client_secret.json"
    keys = ("client_id", "client_secret", "auth_uri", "token_uri")
    secret.write_text(json.dumps({"installed": {k: "x" for k in keys}}))
    monkeypatch.delenv("CALSYNC_PIPEDRIVE_CLIENT_ID", raising=False)
    monkeypatch.delenv("CALSYNC_PIPEDRIVE_CLIENT_SECRET", raising=False)
    problem = AddAccountScreen._check_google(str(secret), "")
    assert problem is not None and "CALSYNC_PIPEDRIVE_CLIENT_ID" in problem
    assert AddAccountScreen._check_google(str(secret), "token") is None
    monkeypatch.setenv("CALSYNC_PIPEDRIVE_CLIENT_ID", "id")
    monkeypatch.setenv("CALSYNC_PIPEDRIVE_CLIENT_SECRET", "secret")
    assert AddAccountScreen._check_google(str(secret), "") is None
