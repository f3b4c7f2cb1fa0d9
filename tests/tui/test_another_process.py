"""A terminal beside the app: `calsync disconnect` or `calsync options` run while the app
syncs the same account take effect in the app's next run and are never reverted by it."""

from __future__ import annotations

import contextlib

from sync import accounts as engine
from sync.store import Store
from tui.screens.home import HomeScreen

from .test_resume_and_look import card_text, in_a_thread, synced_before


def _event(sandbox, title: str) -> None:
    sandbox.google.insert_event(
        "primary",
        {
            "summary": title,
            "start": {"dateTime": "2026-03-12T09:00:00Z"},
            "end": {"dateTime": "2026-03-12T10:00:00Z"},
        },
    )


def _titles(sandbox) -> list[str]:
    return [row["subject"] for row in sandbox.pipedrive.activities.rows.values()]


@contextlib.asynccontextmanager
async def _syncing(make_app, connect, home, sandbox_app, settle):
    """The app syncing an account that synced once before; (app, pilot)."""
    sandbox_app.state.sandbox.churn.set_rate(0)
    connect()
    synced_before(home, sandbox_app)
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        await settle(pilot, lambda: "1" in app.sessions and app.sessions["1"].runs >= 1)
        yield app, pilot


async def test_a_disconnect_in_a_terminal_moves_the_syncing_account_to_previously_synced(
    make_app, connect, home, sandbox_app, settle
):
    sandbox = sandbox_app.state.sandbox
    async with _syncing(make_app, connect, home, sandbox_app, settle) as (app, pilot):

        async def stop(store, vault, transport) -> None:
            engine.disconnect(store, store.account("1"))

        in_a_thread(home, sandbox_app, stop)
        _event(sandbox, "Made after the disconnect")
        app.sessions["1"].wake.set()  # the next poll, now
        await settle(
            pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.query("#reconnect-1")
        )
        assert app.sessions["1"].state == "stopped"
        assert "Made after the disconnect" not in _titles(sandbox)
        lines = [line.reason for line in app.sessions["1"].events]
        assert any("Stopped syncing outside the app" in text for text in lines), lines
    assert Store(home).account("1").state == "previously_synced"  # not reverted at exit


async def test_options_set_in_a_terminal_take_effect_in_the_apps_next_run_and_stay(
    make_app, connect, home, sandbox_app, settle
):
    sandbox = sandbox_app.state.sandbox
    async with _syncing(make_app, connect, home, sandbox_app, settle) as (app, pilot):

        async def one_way(store, vault, transport) -> None:
            await engine.set_options(store, vault, store.account("1"), {"sync_type": "one-way"},
                                     transport=transport)  # fmt: skip

        in_a_thread(home, sandbox_app, one_way)
        _event(sandbox, "Not imported in one-way")
        runs = app.sessions["1"].runs
        app.sessions["1"].wake.set()
        await settle(pilot, lambda: app.sessions["1"].runs > runs)
        assert "Not imported in one-way" not in _titles(sandbox)
        assert "status idle" in card_text(app)
    assert Store(home).account("1").options.sync_type == "one-way"
