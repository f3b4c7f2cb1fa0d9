"""The mass-deletion guard: a run would delete too much; show what would go, then
"Delete anyway" (run again with force_delete) or "Keep"."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from sync.models import SyncEvent
from sync.wording import plural


def _deleted(count) -> int:
    return len(count) if isinstance(count, list | tuple) else int(count or 0)


class GuardDialog(ModalScreen[bool]):
    """Dismisses True for "Delete anyway", False for "Keep" (or Escape)."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "keep", "Keep", id="keep", tooltip="Delete nothing; pause syncing")
    ]

    def __init__(self, event: SyncEvent, email: str) -> None:
        super().__init__(classes="dialog")
        self.event = event
        self.email = email

    def compose(self) -> ComposeResult:
        deletes = self.event.detail.get("deletes") or {}
        google = _deleted(deletes.get("google"))
        pipedrive = _deleted(deletes.get("pipedrive"))
        links = self.event.detail.get("links", 0)
        examples = self.event.detail.get("examples") or {}

        def like(side: str, count: int) -> str:
            titles = [str(t) for t in examples.get(side) or ()][:3]
            if not titles:
                return ""
            more = f" and {count - len(titles)} more" if count > len(titles) else ""
            return "\n  " + ", ".join(f"“{t}”" for t in titles) + more

        with Vertical(id="box", classes="error"):
            yield Label("Hold on: this sync would delete a lot", id="title")
            yield Static(
                f"{self.event.reason.split('; run with')[0]}.\n\n"
                f"Would go from Google Calendar: {plural(google, 'event')}{like('google', google)}\n"
                f"Would go from Pipedrive: {plural(pipedrive, 'activity', 'activities')}"
                f"{like('pipedrive', pipedrive)}\n"
                f"(out of {plural(links, 'synced pair')} of {self.email})",
                id="message",
                markup=False,
            )
            yield Static(
                "If you deleted these on purpose, delete them on the other side too. "
                "Otherwise keep them: nothing is deleted and syncing pauses.",
                id="hint",
            )
            with Horizontal(id="buttons"):
                yield Button("Keep", id="keep-button", variant="primary")
                yield Button("Delete anyway", id="delete-anyway", variant="error")

    def on_mount(self) -> None:
        self.query_one("#keep-button", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "delete-anyway")

    def action_keep(self) -> None:
        self.dismiss(False)
