"""The app's runs: each run a heading with its counts; "Undo this run" previews exactly what
it writes, asks, and puts both sides back; selecting a line opens what calsync did to its
item and why."""

from __future__ import annotations

from textual.widgets import Tree

from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.explain import ExplainDialog
from tui.screens.runs import RunsScreen
from tui.screens.sync_log import SyncLogScreen

from .conftest import admin
from .test_resume_and_look import synced_before


async def live(sandbox_app) -> tuple[list, list]:
    state = (await admin(sandbox_app, "GET", "/_sandbox/state")).json()
    events = sorted(
        (e["id"], e.get("summary"))
        for calendar in state["google"]["calendars"]
        for e in calendar["events"]
        if e.get("status") != "cancelled"
    )
    acts = sorted(
        (a["id"], a["subject"]) for a in state["pipedrive"]["activities"] if not a.get("is_deleted")
    )
    return events, acts


async def open_runs(app, pilot, settle) -> RunsScreen:
    await settle(pilot, lambda: "1" in app.sessions and app.sessions["1"].runs >= 1)
    app.open_log("1")
    await settle(pilot, lambda: isinstance(app.screen, SyncLogScreen))
    await pilot.press("r")
    await settle(pilot, lambda: isinstance(app.screen, RunsScreen))
    return app.screen


async def test_undo_this_run_previews_asks_and_puts_both_sides_back(
    make_app, connect, home, sandbox_app, settle
):
    sandbox_app.state.sandbox.churn.set_rate(0)
    connect()
    before = await live(sandbox_app)
    synced_before(home, sandbox_app)
    assert await live(sandbox_app) != before
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_runs(app, pilot, settle)
        tree = screen.query_one("#runs", Tree)
        first = tree.root.children[-1]  # newest first: the first run is the last heading
        label = str(first.label)
        assert label.startswith("Run 1 · ") and "Pipedrive +" in label and "undo: u" in label
        tree.move_cursor(first)
        await pilot.press("u")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        message = app.screen.message
        assert message.startswith("Undo run 1: ") and "stops syncing" in message
        assert "Pipedrive +0 ~0 −" in message and "delete in Google  " in message
        assert await live(sandbox_app) != before  # the preview wrote nothing
        await pilot.click("#yes")
        await settle(pilot, lambda: app.store.account("1").state == "previously_synced")
        await settle(pilot, lambda: isinstance(app.screen, RunsScreen))
        assert await live(sandbox_app) == before
        headings = [str(n.label) for n in screen.query_one("#runs", Tree).root.children]
        assert "undo of run 1" in headings[0] and "undone by run 3" in headings[-1]


async def test_selecting_a_line_opens_its_explanation(make_app, connect, home, sandbox_app, settle):
    sandbox_app.state.sandbox.churn.set_rate(0)
    connect()
    synced_before(home, sandbox_app)
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_runs(app, pilot, settle)
        tree = screen.query_one("#runs", Tree)
        first = tree.root.children[-1]
        first.expand()
        await settle(pilot, lambda: bool(first.children))
        line = next(n for n in first.children if n.data.kind == "create")
        tree.move_cursor(line)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ExplainDialog))
        text = "\n".join(app.screen.lines)
        assert text.startswith("pair: Google event ") and "last outcome (run 1): synced" in text
        assert "runs that touched it:" in text
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, RunsScreen))
