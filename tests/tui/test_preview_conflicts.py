"""The preview lists every action the run would take, conflicts included (it said so and
dropped them, because the preview and the run each had their own action-to-event code)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from textual.widgets import DataTable

from sandbox.transport import SandboxTransport
from sync.runner import run_once
from sync.store import Store
from sync.vault import Vault
from tui.screens.preview import PreviewScreen


def first_sync(home, sandbox_app, account_id: str) -> None:
    async def run() -> None:
        store, vault = Store(home), Vault(home)
        transport = SandboxTransport(app=sandbox_app)
        now = sandbox_app.state.sandbox.clock.now()
        async for _ in run_once(store, vault, account_id, transport=transport, now=now):
            pass
        store.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def edit_both_sides(home, sandbox) -> str:
    """Rename one synced pair on both sides, Pipedrive last; the Pipedrive title."""
    link = next(link for link in Store(home).data("1").links() if link.origin == "google")
    sandbox.clock.advance(60)
    sandbox.google.patch_event("primary", link.google_id, {"summary": "Renamed on Google"})
    sandbox.clock.advance(60)
    sandbox.pipedrive.update_activity(
        int(link.pipedrive_id), {"subject": "Renamed in Pipedrive"}, at=sandbox.clock.now()
    )
    return "Renamed in Pipedrive"


async def test_the_preview_lists_a_conflict(make_app, connect, home, sandbox_app, settle):
    sandbox = sandbox_app.state.sandbox
    sandbox.churn.set_rate(0)
    account_id = connect()
    first_sync(home, sandbox_app, account_id)
    winner = edit_both_sides(home, sandbox)
    sandbox.clock.advance(timedelta(minutes=1).total_seconds())
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        app.push_screen(PreviewScreen(account_id))
        await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.events)
        conflicts = [e for e in app.screen.events if e.kind == "conflict"]
        assert [e.title for e in conflicts] == [winner]
        table = app.screen.query_one("#items", DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert any(row[0] == "conflict" and winner in row for row in rows), rows
