"""Preview before the first run: the plan from a dry run, as tables; "Start syncing" or "Back"."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from sync.models import SyncEvent, as_utc_instant
from sync.runner import run_once
from sync.wording import plural

from ..dialogs.error import ErrorDialog
from ..format import KIND_STYLE, SIDE_LABEL, in_app_words, item_name, view_for

if TYPE_CHECKING:
    from ..app import CalsyncApp

MAX_ROWS = 1000
SIDES = (("google", "Google Calendar"), ("pipedrive", "Pipedrive"))
FAR_FUTURE = as_utc_instant(date.max)


def by_date(event: SyncEvent):
    """Sort key: the item's start (undated items last), then its title."""
    start = as_utc_instant(event.when) if event.when is not None else FAR_FUTURE
    return start, event.title


def side_text(event: SyncEvent) -> str:
    """Where a row's item goes ("→ Google"), or for a skip where it stays ("in Pipedrive")."""
    if event.kind != "skip":
        return SIDE_LABEL.get(event.side, "")
    # The engine names the skipped item's side ("from"); a run notice has none.
    side = event.detail.get("from") or ""
    return {"pipedrive": "in Pipedrive", "google": "in Google"}.get(side, "")


class PreviewScreen(Screen):
    """What the first sync will do, side by side, before anything is written."""

    if TYPE_CHECKING:  # the app this screen runs in, typed (Textual's own idiom)
        app = getters.app(CalsyncApp)

    CSS_PATH = "preview.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", id="back", tooltip="Back to the sync options"),
        Binding("ctrl+s", "start", "Start syncing", id="start", tooltip="Run the sync for real"),
    ]

    def __init__(
        self, account_id: str, *, events: list[SyncEvent] | None = None, why: str = ""
    ) -> None:
        """`events`: a dry run made already (the app looked before starting a big run);
        `why`: what the heading says brought the preview up."""
        super().__init__()
        self.account_id = account_id
        self.events: list[SyncEvent] = []
        self._planned_events = events
        self.why = why

    def compose(self) -> ComposeResult:
        account = self.app.store.account(self.account_id)
        yield Header()
        with Vertical(id="preview"):
            view = view_for(account, self.app.now())
            what = self.why or f"what the first sync of {escape(account.email)} will do"
            yield Static(
                f"[b]Preview[/b] · {what} · {view.zone_note()}",
                id="heading",
                markup=True,
            )
            yield LoadingIndicator(id="loading")
            yield DataTable(id="plan", cursor_type="none", zebra_stripes=True)
            yield Static("", id="plan-note")
            yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="buttons"):
                yield Button("Back", id="back-button")
                yield Button("Start syncing", id="start-button", variant="success", disabled=True)
        yield Footer(compact=True)  # every label fits at 80 columns

    def on_mount(self) -> None:
        plan = self.query_one("#plan", DataTable)
        plan.add_columns("", "Create", "Update", "Delete")
        items = self.query_one("#items", DataTable)
        items.add_columns("Action", "Side", "Title", "When", "Why")
        plan.display = items.display = False
        if self._planned_events is not None:
            self.show(self._planned_events)
        else:
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
                    clock=app.now,
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
            events = event.worker.result
            assert events is not None  # a worker that succeeded has its result
            self.show(events)

    def show(self, events: list[SyncEvent]) -> None:
        self.events = events
        account = self.app.store.account(self.account_id)
        view = view_for(account, self.app.now())
        names = account.extra.activity_type_names
        counts: Counter[tuple[str, str | None]] = Counter((e.kind, e.side) for e in events)
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
            reason = in_app_words(guard.reason.split("; run with")[0])
            notes.append(
                f"[b red]The mass-deletion guard would hold this sync:[/] {escape(reason)}"
            )
        paired = sum(n for (k, _), n in counts.items() if k == "pair")
        if paired:
            notes.append(
                f"{plural(paired, 'meeting')} already on both sides will be paired "
                "(linked, not copied)."
            )
        skipped = sum(n for (k, _), n in counts.items() if k == "skip")
        if skipped:
            notes.append(f"{plural(skipped, 'item')} will be skipped (see Why).")
        if not paired and not any(
            counts[(k, s)] for k in ("create", "update", "delete") for s, _ in SIDES
        ):
            notes.append("Nothing to do: both sides already agree.")
        self.query_one("#plan-note", Static).update("\n".join(notes))
        items = self.query_one("#items", DataTable)
        shown = sorted(
            (e for e in events if e.kind in ("create", "update", "delete", "skip", "conflict")),
            key=by_date,
        )
        for e in shown[:MAX_ROWS]:
            items.add_row(
                Text(e.kind, style=KIND_STYLE[e.kind]),
                side_text(e),
                Text(item_name(e)),  # a Text: a title is never read as markup
                view.when(e.when),
                Text(in_app_words(e.reason, names)),
            )
        if len(shown) > MAX_ROWS:
            items.add_row("", "", f"… and {len(shown) - MAX_ROWS} more", "", "")
        self.query_one("#loading").display = False
        plan.display = items.display = True
        self.query_one("#start-button", Button).disabled = False
        items.focus()  # the arrows move through the items at once

    @on(Button.Pressed, "#start-button")
    def action_start(self) -> None:
        if self.query_one("#start-button", Button).disabled:
            return
        self.app.previewed(self.account_id)
        self.app.open_log(self.account_id)

    @on(Button.Pressed, "#back-button")
    def action_back(self) -> None:
        from .options import OptionsScreen

        self.app.switch_screen(OptionsScreen(self.account_id, then="preview"))
