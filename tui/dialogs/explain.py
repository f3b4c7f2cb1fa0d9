"""What calsync did to one item and why (sync/explain.py), as a dialog over the run log."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ExplainDialog(ModalScreen[None]):
    """The explanation's lines: the pair, the rule behind the last outcome, the runs."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "close", "Close", id="close-explain", tooltip="Back to the log")]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(id="box", classes="wide"):
            yield Label(self.title_text, id="title")
            yield Static("\n".join(self.lines), id="message", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
