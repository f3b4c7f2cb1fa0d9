"""The Textual app (its first screen: "Calendar sync")."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Static


class CalsyncApp(App):
    """calsync in the terminal."""

    TITLE = "Calendar sync"
    SUB_TITLE = "Google Calendar <-> Pipedrive"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", id="quit", tooltip="Quit calsync")]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="first"):
            yield Static("[b]Calendar sync[/b]", id="heading")
            yield Static(
                "Keep your Google Calendar and your Pipedrive activities in sync.", id="intro"
            )
        yield Footer()
