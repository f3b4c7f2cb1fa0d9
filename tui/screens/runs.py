"""An account's runs as headings with their counts, each opening to its lines: "Undo this
run" (a preview of exactly what the undo writes, then a question) and, for a line, what
calsync did to its item and why (the same text as `calsync undo` / `calsync explain`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, Tree

from sync.errors import CalsyncError
from sync.explain import explain, lines
from sync.models import RunSummary, SyncEvent
from sync.store import RunRecord
from sync.undo import undo_run
from sync.undo_store import UndoStore

from ..dialogs.confirm import ConfirmDialog
from ..dialogs.error import ErrorDialog
from ..dialogs.explain import ExplainDialog
from ..format import event_line, view_for

if TYPE_CHECKING:
    from ..app import CalsyncApp

MAX_LINES = 200  # a run's lines shown under its heading
PREVIEW_LINES = 5


def counts(summary: RunSummary) -> str:
    g, p = summary.google, summary.pipedrive
    return (
        f"Google +{g.created} ~{g.updated} −{g.deleted} · "
        f"Pipedrive +{p.created} ~{p.updated} −{p.deleted} · "
        f"conflicts {summary.conflicts} · skipped {len(summary.skipped)}"
    )


def preview_line(event: SyncEvent) -> str:
    """One short line of the undo's preview: what it does to which item, on which side."""
    side = {"google": "Google", "pipedrive": "Pipedrive"}.get(str(event.side), "")
    if event.kind == "skip":
        return f"left alone  {event.title or event.item_id}"[:72]
    return f"{event.kind} in {side}  {event.title or event.item_id}"[:72]


class RunsScreen(Screen):
    """One account's kept runs, newest first."""

    AUTO_FOCUS = "#runs"
    if TYPE_CHECKING:  # the app this screen runs in, typed (Textual's own idiom)
        app = getters.app(CalsyncApp)

    BINDINGS = [
        Binding("escape", "back", "Back", id="back-runs", tooltip="Back to the live log"),
        Binding("u", "undo", "Undo this run", id="undo", tooltip="Put back what this run wrote"),
    ]

    def __init__(self, account_id: str) -> None:
        super().__init__()
        self.account_id = account_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Runs: Enter opens a run or explains a line · u undoes a run", id="runs-head")
        yield Tree("Runs", id="runs")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.refresh_runs()

    def refresh_runs(self) -> None:
        app = self.app
        account = app.store.account(self.account_id)
        view = view_for(account, app.now())
        data = app.store.data(self.account_id)
        undo = UndoStore(data.folder)
        kept, undone = set(undo.kept()), undo.state().undone
        undid = {by: run for run, by in undone.items()}
        tree = self.query_one("#runs", Tree)
        tree.clear()
        tree.root.expand()
        tree.show_root = False
        for record in reversed(data.runs()):
            stamp = view.stamp(record.at, with_date=True)
            label = Text(f"Run {record.run} · {stamp} · {record.summary.status} · ", style="bold")
            if record.run in undone:
                label.append(f"undone by run {undone[record.run]} · ", style="dim")
            elif record.run in kept:
                label.append("undo: u · ", style="cyan")
            if record.run in undid:
                label.append(f"undo of run {undid[record.run]} · ", style="magenta")
            label.append(counts(record.summary), style="")
            node = tree.root.add(label, data=record.run)
            node.allow_expand = True

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded) -> None:
        node = event.node
        if not isinstance(node.data, int) or node.children:
            return
        record: RunRecord = self.app.store.data(self.account_id).run(node.data)
        view = view_for(self.app.store.account(self.account_id), self.app.now())
        names = self.app.store.account(self.account_id).extra.activity_type_names
        shown = [e for e in record.events if e.kind != "progress"][:MAX_LINES]
        for line in shown:
            node.add_leaf(event_line(line, view, names), data=line)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected) -> None:
        line = event.node.data
        if isinstance(line, SyncEvent):
            self.explain_line(line)

    def explain_line(self, line: SyncEvent) -> None:
        item = line.item_id or line.title
        if not item:
            self.notify("This line is about the run as a whole, not an item", timeout=4)
            return
        data = self.app.store.data(self.account_id)
        found = explain(data, item)[0]
        self.app.push_screen(ExplainDialog(f"Why: {line.title or item}", lines(found)))

    # -- undo ---------------------------------------------------------------------------

    def _selected_run(self) -> int | None:
        node = self.query_one("#runs", Tree).cursor_node
        while node is not None and not isinstance(node.data, int):
            node = node.parent
        return node.data if node is not None else None

    def action_undo(self) -> None:
        run = self._selected_run()
        if run is None:
            return
        if run not in UndoStore(self.app.store.data(self.account_id).folder).kept():
            self.notify(f"Run {run} wrote nothing that can be undone", timeout=4)
            return
        self.preview_undo(run)

    async def _undo(self, run: int, dry_run: bool) -> list[SyncEvent]:
        app = self.app
        account = app.store.account(self.account_id)
        return [
            e
            async for e in undo_run(
                app.store,
                app.vault,
                self.account_id,
                run=run,
                dry_run=dry_run,
                force_delete=True,  # the user saw the preview, deletes included, and said yes
                transport=app.transport_for(account),
                now=app.now(),
            )
        ]

    @work(thread=True, group="undo", exit_on_error=False, description="Previewing an undo")
    def preview_undo(self, run: int) -> None:
        try:
            events = asyncio.run(self._undo(run, dry_run=True))
        except CalsyncError as exc:
            self.app.call_from_thread(self._failed, run, exc)
            return
        self.app.call_from_thread(self._ask, run, events)

    def _failed(self, run: int, exc: Exception) -> None:
        self.app.push_screen(ErrorDialog.for_error(f"Could not undo run {run}", exc))

    def _ask(self, run: int, events: list[SyncEvent]) -> None:
        writes = [e for e in events if e.detail.get("dry_run")]
        left = [e for e in events if e.kind == "skip"]
        said = [preview_line(e) for e in (writes + left)[:PREVIEW_LINES]]
        more = len(writes) + len(left) - len(said)
        if more > 0:
            said.append(f"... and {more} more")
        plan = events[-1].detail.get("plan", {})
        sides = ", ".join(
            f"{label} +{n.get('create', 0)} ~{n.get('update', 0)} −{n.get('delete', 0)}"
            for label, n in (
                ("Google", plan.get("google", {})),
                ("Pipedrive", plan.get("pipedrive", {})),
            )
        )
        message = (
            f"Undo run {run}: {sides}"
            + (f"; {len(left)} items changed since are left alone" if left else "")
            + ".\n\n"
            + "\n".join(said or ["Nothing to write: everything is as before the run already."])
            + "\n\nThen the account stops syncing (change its options, then Reconnect)."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.stop_watch(self.account_id)
                self.apply_undo(run)

        self.app.push_screen(
            ConfirmDialog(
                f"Undo run {run}?", message, yes="Undo this run", no="Keep it", danger=True
            ),
            callback=answered,
        )

    @work(thread=True, group="undo", exit_on_error=False, description="Undoing a run")
    def apply_undo(self, run: int) -> None:
        self.app.session(self.account_id).finished.wait(30)  # the watch's run, if one was going
        try:
            events = asyncio.run(self._undo(run, dry_run=False))
        except CalsyncError as exc:
            self.app.call_from_thread(self._failed, run, exc)
            return
        self.app.call_from_thread(self._undone, run, events)

    def _undone(self, run: int, events: list[SyncEvent]) -> None:
        done = events[-1]
        status = done.detail.get("summary", {}).get("status")
        self.app.log_note(self.account_id, f"Run {run} was undone ({status}): stopped syncing")
        self.notify(f"Run {run} was undone; the account stopped syncing", timeout=5)
        self.refresh_runs()

    def action_back(self) -> None:
        self.app.pop_screen()
