"""The help screen (`?`): what each screen does and its keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Markdown

HELP = """\
# calsync: Calendar sync

Keeps one Google Calendar and your Pipedrive activities in sync, like Pipedrive's own
*Personal preferences > Calendar sync* page, and it works offline with the built-in sandbox.

## Screens

- **Calendar sync**: your connected accounts (calendar, sync type, status, last and next
  run, what the last run did), **Add new account**, and **Previously synced** accounts,
  each with **Reconnect** (its options come back pre-filled; nothing is duplicated).
- **Add new account**: *Offline sandbox (demo)* starts fake Google and Pipedrive services
  on this computer, with live edits; *Google Calendar + Pipedrive* uses the real ones.
- **Sync options**: the calendar, one-way or two-way, the activity type for calendar
  events, which activity types go to the calendar, private events, linked contact details
  and the sync window.
- **Preview**: what the first sync will create, update and delete on each side.
- **Sync log**: every change as it happens; stopping never deletes anything.
- **To review**: what a sync left for you: a meeting that may be a duplicate, a guest
  with several open deals, guests who are no Pipedrive person. Pick the person or deal,
  or dismiss.

Times are shown in the synced calendar's time zone (named on each screen).

## Keys

| key | does |
|---|---|
| `?` | this help |
| `ctrl+p` | command palette: {palette} |
| `a` | add new account (Calendar sync) |
| `s` | sync now (Sync log) |
| `f` | follow / pause scrolling (Sync log) |
| `c` | conflicts, both versions (Sync log) |
| `o` | sync options (Sync log) |
| `x` | stop syncing (Sync log); dismiss (To review) |
| `v` | to review (Sync log) |
| `p` | pick the person or deal (To review) |
| `escape` | back |
| `ctrl+q` | quit (stops syncing and the sandbox) |
"""


class HelpScreen(ModalScreen[None]):
    """Help text in a scrollable box; Escape or `?` closes it."""

    CSS_PATH = "dialogs/dialogs.tcss"
    BINDINGS = [
        Binding(
            "escape,question_mark", "dismiss", "Close", id="close-help", tooltip="Close the help"
        ),
    ]

    def __init__(self, commands: list[str] | None = None) -> None:
        """`commands`: the app's palette commands that apply now (help promises no other)."""
        super().__init__(classes="dialog")
        names = [f"*{name}*" for name in commands or []]
        self.text = HELP.replace("{palette}", ", ".join([*names, "*Theme*, *Keys*"]))

    def compose(self) -> ComposeResult:
        with Vertical(id="box", classes="wide"):
            with VerticalScroll(id="help-scroll"):
                yield Markdown(self.text, id="help")
            yield Button("Close", id="close", variant="primary")

    def on_button_pressed(self) -> None:
        self.dismiss(None)
