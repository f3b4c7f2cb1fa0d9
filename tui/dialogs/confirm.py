"""A yes/no confirmation dialog (stop syncing, and the like)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmDialog(ModalScreen[bool]):
    """Dismisses with True for the yes button, False for the no button or Escape."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "no", "Cancel", id="cancel-confirm", tooltip="Keep things as they are")
    ]

    def __init__(
        self, title: str, message: str, yes: str = "OK", no: str = "Cancel", *, danger: bool = False
    ) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.message = message
        self.yes = yes
        self.no = no
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Label(self.title_text, id="title")
            yield Static(self.message, id="message", markup=False)
            with Horizontal(id="buttons"):
                yield Button(self.no, id="no")
                yield Button(self.yes, id="yes", variant="error" if self.danger else "primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_no(self) -> None:
        self.dismiss(False)
