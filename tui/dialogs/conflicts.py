"""The conflicts view: each conflict of this session with both versions side by side."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from sync.models import SyncEvent
from sync.safe_text import safe_text
from sync.when import TimeView

from ..format import conflict_winner

SIDE_NAME = {"google": "Google Calendar", "pipedrive": "Pipedrive"}


def version_text(
    title: str, when, view: TimeView, location: str = "", description: str = ""
) -> str:
    """One side's version as plain text (shown with markup off), its item text made safe."""
    lines = [safe_text(title) or "(no title)", view.when(when) or "(no time)"]
    if location:
        lines.append(f"at {safe_text(location)}")
    if description:
        lines.append("")
        lines.append(safe_text(description, multiline=True))
    return "\n".join(lines)


class ConflictsView(ModalScreen[None]):
    """Pick a conflict on top; below, the version that was kept and the one it replaced."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="close-conflicts", tooltip="Back to the log")
    ]

    def __init__(self, conflicts: list[SyncEvent], view: TimeView) -> None:
        super().__init__(classes="dialog")
        self.conflicts = conflicts
        self.view = view

    def compose(self) -> ComposeResult:
        with Vertical(id="box", classes="wide"):
            yield Label(f"Conflicts ({len(self.conflicts)})", id="title")
            if not self.conflicts:
                yield Static(
                    "No conflicts in this session: nothing was changed on both sides "
                    "between two runs.",
                    id="message",
                )
            else:
                yield OptionList(
                    *(
                        Option(
                            f"{safe_text(e.title) or '(no title)'} · {self.view.when(e.when)}",
                            id=str(i),
                        )
                        for i, e in enumerate(self.conflicts)
                    ),
                    id="conflict-list",
                    markup=False,
                )
                with Horizontal(id="versions"):
                    with Vertical(classes="version kept"):
                        yield Label("", id="kept-label")
                        yield Static("", id="kept", markup=False)
                    with Vertical(classes="version lost"):
                        yield Label("", id="lost-label")
                        yield Static("", id="lost", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        if self.conflicts:
            options = self.query_one(OptionList)
            options.highlighted = 0
            options.focus()
            self.show(0)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show(event.option_index)

    def show(self, index: int) -> None:
        event = self.conflicts[index]
        winner = conflict_winner(event) or "google"
        loser = event.detail.get("loser") or {}
        lost_side = loser.get("side", "pipedrive" if winner == "google" else "google")
        self.query_one("#kept-label", Label).update(
            f"Kept: {SIDE_NAME.get(winner, winner)} (changed last)"
        )
        self.query_one("#kept", Static).update(version_text(event.title, event.when, self.view))
        self.query_one("#lost-label", Label).update(
            f"Replaced: {SIDE_NAME.get(lost_side, lost_side)}"
        )
        self.query_one("#lost", Static).update(
            version_text(
                loser.get("title", ""),
                _parse_when(loser.get("start")),
                self.view,
                loser.get("location") or "",
                loser.get("description") or "",
            )
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)


def _parse_when(value):
    """The loser's start: a datetime/date in-process, an ISO string once it went through JSON."""
    from datetime import date, datetime

    if isinstance(value, str):
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    return value
