"""Preview before the first run: the plan from a dry run, as tables; "Start syncing" or "Back"."""

from __future__ import annotations

import asyncio
from collections import Counter

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from sync.models import SyncEvent
from sync.runner import run_once
from sync.safe_text import safe_text

from ..dialogs.error import ErrorDialog
from ..format import KIND_STYLE, SIDE_LABEL, when_text, zone

MAX_ROWS = 1000
SIDES = (("google", "Google Calendar"), ("pipedrive", "Pipedrive"))


class PreviewScreen(Screen):
    """What the first sync will do, side by side, before anything is written."""

    CSS_PATH = "preview.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", id="back", tooltip="Back to the sync options"),
        Binding("ctrl+s", "start", "Start syncing", id="start", tooltip="Run the sync for real"),
    ]

    def __init__(self, account_id: str) -> None:
        super().__init__()
        self.account_id = account_id
        self.events: list[SyncEvent] = []

    def compose(self) -> ComposeResult:
        account = self.app.store.account(self.account_id)
        yield Header()
        with Vertical(id="preview"):
            yield Static(
                f"[b]Preview[/b]  what the first sync of {escape(account.email)} will do",
                id="heading",
            )
            yield LoadingIndicator(id="loading")
            yield DataTable(id="plan", cursor_type="none", zebra_stripes=True)
            yield Static("", id="plan-note")
            yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="buttons"):
                yield Button("Back", id="back-button")
                yield Button("Start syncing", id="start-button", variant="success", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        plan = self.query_one("#plan", DataTable)
        plan.add_columns("", "Create", "Update", "Delete")
        items = self.query_one("#items", DataTable)
        items.add_columns("Action", "Side", "Title", "When", "Why")
        plan.display = items.display = False
        self.dry_run()

    @work(thread=True, group="preview", exit_on_error=False, description="Planning the first sync")
    def dry_run(self) -> list[SyncEvent]:
        app = self.app
        account = app.store.account(self.account_id)

        async def collect() -> list[SyncEvent]:
            return [
                e
                async for e in run_once(
                    app.store,
                    app.vault,
                    self.account_id,
                    dry_run=True,
                    transport=app.transport_for(account),
                    now=app.now(),
                )
            ]

        return asyncio.run(collect())

    @on(Worker.StateChanged)
    def _planned(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "preview":
            return
        if event.state == WorkerState.ERROR:
            self.query_one("#loading").display = False
            self.app.push_screen(
                ErrorDialog.for_error("Could not plan the first sync", event.worker.error)
            )
        elif event.state == WorkerState.SUCCESS:
            self.show(event.worker.result)

    def show(self, events: list[SyncEvent]) -> None:
        self.events = events
        tz = zone(self.app.store.account(self.account_id))
        counts = Counter((e.kind, e.side) for e in events)
        plan = self.query_one("#plan", DataTable)
        for side, label in SIDES:
            plan.add_row(
                label,
                *(
                    Text(str(counts[(k, side)]), style=KIND_STYLE[k], justify="right")
                    for k in ("create", "update", "delete")
                ),
            )
        notes = []
        guard = next((e for e in events if e.kind == "guard"), None)
        if guard is not None:
            notes.append(
                "[b red]The mass-deletion guard would hold this sync:[/] "
                + escape(safe_text(guard.reason))
            )
        skipped = sum(n for (k, _), n in counts.items() if k == "skip")
        if skipped:
            notes.append(f"{skipped} item(s) will be skipped (see Why).")
        if not any(counts[(k, s)] for k in ("create", "update", "delete") for s, _ in SIDES):
            notes.append("Nothing to do: both sides already agree.")
        self.query_one("#plan-note", Static).update("\n".join(notes))
        items = self.query_one("#items", DataTable)
        shown = [e for e in events if e.kind in ("create", "update", "delete", "skip", "conflict")]
        for e in shown[:MAX_ROWS]:
            items.add_row(
                Text(e.kind, style=KIND_STYLE[e.kind]),
                SIDE_LABEL.get(e.side, ""),
                Text(safe_text(e.title or (e.item_id or ""))),  # Text: never read as markup
                when_text(e.when, tz),
                Text(safe_text(e.reason)),
            )
        if len(shown) > MAX_ROWS:
            items.add_row("", "", f"… and {len(shown) - MAX_ROWS} more", "", "")
        self.query_one("#loading").display = False
        plan.display = items.display = True
        button = self.query_one("#start-button", Button)
        button.disabled = False
        button.focus()

    @on(Button.Pressed, "#start-button")
    def action_start(self) -> None:
        if self.query_one("#start-button", Button).disabled:
            return
        self.app.ensure_watch(self.account_id)
        self.app.open_log(self.account_id)

    @on(Button.Pressed, "#back-button")
    def action_back(self) -> None:
        from .options import OptionsScreen

        self.app.switch_screen(OptionsScreen(self.account_id, then="preview"))
