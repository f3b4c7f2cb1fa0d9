"""The error dialog: what went wrong, in one line, and what to do about it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from sync.errors import (
    AuthError,
    CalsyncError,
    NotFound,
    ServiceUnavailable,
    StoreError,
    UsageError,
)


def advice(error: BaseException) -> str:
    """What a user can do about an error (the message itself says what happened)."""
    if isinstance(error, AuthError):
        return "Sign in again: use Reconnect on the Calendar sync screen (your options are kept)."
    if isinstance(error, ServiceUnavailable):
        return (
            "Check the network (or that the sandbox is running), then press Sync now to try again."
        )
    if isinstance(error, UsageError):
        return "Change the value and try again."
    if isinstance(error, NotFound):
        return "Choose another one, or refresh the Calendar sync screen."
    if isinstance(error, StoreError):
        return "Close other calsync windows or commands, or move the named file away."
    if isinstance(error, CalsyncError):
        return "Try again; if it keeps failing, `calsync log` shows what the last runs did."
    return "This is a bug in calsync: please report it with the message above."


class ErrorDialog(ModalScreen[None]):
    """An error with advice; Enter or Escape closes it."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="close-error", tooltip="Close this message")
    ]

    def __init__(self, title: str, message: str, hint: str = "") -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.message = message
        self.hint = hint

    @classmethod
    def for_error(cls, title: str, error: BaseException | None) -> ErrorDialog:
        """`error`: what went wrong; None when a worker failed without saying why."""
        error = error if error is not None else RuntimeError("it stopped without saying why")
        from ..format import in_app_words

        message = (
            in_app_words(str(error))
            if isinstance(error, CalsyncError)
            else f"{type(error).__name__}: {error}"
        )
        return cls(title, message, advice(error))

    def compose(self) -> ComposeResult:
        with Vertical(id="box", classes="error"):
            yield Label(self.title_text, id="title")
            yield Static(self.message, id="message", markup=False)
            if self.hint:
                yield Static(self.hint, id="hint", markup=False)
            with Horizontal(id="buttons"):
                yield Button("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)
