"""The live sync log: every SyncEvent as a coloured line, counters, progress, filter, follow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, RichLog, Select, Static

from sync.models import SyncEvent
from sync.safe_text import safe_text
from sync.wording import time_left

from ..dialogs.conflicts import ConflictsView
from ..format import STATUS_STYLE, calendar_label, event_line, status_of, view_for
from ..session import MAX_EVENTS, WRITE_KINDS, LogLine

if TYPE_CHECKING:
    from ..app import CalsyncApp

FILTERS = [
    ("Everything", "all"),
    ("Changes (create, update, delete)", "changes"),
    ("Creates", "create"),
    ("Updates", "update"),
    ("Deletes", "delete"),
    ("Skips", "skip"),
    ("Conflicts", "conflict"),
    ("Errors and guards", "error"),
]


def shown(event: SyncEvent | LogLine, kind_filter: str) -> bool:
    if event.kind == "progress" or event.detail.get("quiet"):  # quiet: an idle run
        return False
    if kind_filter == "all" or event.kind == "note":
        return True
    if kind_filter == "changes":
        return event.kind in WRITE_KINDS
    if kind_filter == "error":
        return event.kind in ("error", "guard")
    return event.kind == kind_filter


class SyncLogScreen(Screen):
    """One account's sync, live. Its watch runs in an app worker, so leaving this screen
    does not stop syncing; "Stop syncing" does."""

    if TYPE_CHECKING:  # the app this screen runs in, typed (Textual's own idiom)
        app = getters.app(CalsyncApp)

    CSS_PATH = "sync_log.tcss"
    AUTO_FOCUS = "#log"
    BINDINGS = [
        Binding(
            "escape", "back", "Back", id="back", tooltip="Back to Calendar sync (syncing goes on)"
        ),
        Binding("s", "sync_now", "Sync now", id="sync-now", tooltip="Run a sync now"),
        Binding("f", "follow", "Follow", id="follow", tooltip="Follow new lines or hold the view"),
        Binding(
            "c", "conflicts", "Conflicts", id="conflicts", tooltip="Both versions of each conflict"
        ),
        Binding(
            "o", "options", "Options", id="options", tooltip="Change this account's sync options"
        ),
        Binding("x", "stop", "Stop", id="stop", tooltip="Stop syncing (nothing is deleted)"),
        Binding(
            "r", "runs", "Runs", id="runs", show=False, tooltip="Each run, why, and Undo this run"
        ),
        Binding(
            "v",
            "review",
            "To review",
            id="review",
            show=False,
            tooltip="Items a sync left for you: pick the person or deal, or dismiss",
        ),
    ]

    def __init__(self, account_id: str) -> None:
        super().__init__()
        self.account_id = account_id
        self.kind_filter = "all"
        self.follow = True

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="log-head")
        yield Static("", id="log-state")
        yield Static("", id="counters")
        yield ProgressBar(id="progress", show_eta=False)
        with Horizontal(id="toolbar"):
            yield Select(FILTERS, value="all", allow_blank=False, id="filter", compact=True)
            yield Static("", id="follow-state")
        yield RichLog(id="log", max_lines=MAX_EVENTS, wrap=True, markup=False, auto_scroll=True)
        # Every label fits at 80 columns: ctrl+p (the palette) is in the help, not here.
        yield Footer(compact=True, show_command_palette=False)

    _written_width = 0

    @property
    def view(self):
        """Times as the calendar shows them, as of the app's clock now."""
        return view_for(self.app.store.account(self.account_id), self.app.now())

    def on_mount(self) -> None:
        app = self.app
        session = app.session(self.account_id)
        self._rebuild()
        self.session_changed()
        # The time left counts down between progress events (a side waiting on its limit
        # sends none for up to a minute).
        self.set_interval(1.0, self._tick)
        self._show_follow()
        self.query_one("#log", RichLog).focus()
        if session.state == "stopped" and app.store.account(self.account_id).state == "active":
            app.start_syncing(self.account_id)

    # -- fed by the app --------------------------------------------------------------

    def add_events(self, events: tuple[SyncEvent, ...]) -> None:
        self._write([e for e in events if shown(e, self.kind_filter)])
        self.session_changed()
        if self.follow:  # the progress bar may have come or gone: stay at the end
            self.call_after_refresh(self.query_one("#log", RichLog).scroll_end, animate=False)

    def _write(self, events: list) -> None:
        # One write per batch: RichLog measures and renders once for many lines, which keeps
        # the UI quick during a big initial sync. Lines wrap at the log's width now; a
        # resize writes them again at the new width (on_resize).
        if events:
            log = self.query_one("#log", RichLog)
            view = self.view
            names = self.app.store.account(self.account_id).extra.activity_type_names
            block = Text("\n").join(event_line(e, view, names) for e in events)
            self._written_width = self._line_width(log)
            log.write(block, width=self._written_width)

    def on_resize(self) -> None:
        log = self.query_one("#log", RichLog)
        if self._written_width and self._line_width(log) != self._written_width:
            self.call_after_refresh(self._rebuild)

    def _tick(self) -> None:
        if self.app.session(self.account_id).progress:
            self.session_changed()

    def session_changed(self) -> None:
        app = self.app
        account = app.store.account(self.account_id)
        session = app.session(self.account_id)
        status = status_of(account, session)
        view = self.view
        # What is synced and how first, so that a narrow terminal cuts the address, not them.
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(safe_text(calendar_label(account)), style="bold")  # a calendar's own name
        head.append(f" · {account.options.sync_type} · {view.zone_note()} · ")
        head.append(safe_text(account.email), style="dim")
        self.query_one("#log-head", Static).update(head)
        state = Text(no_wrap=True, overflow="ellipsis")
        state.append(status, style=STATUS_STYLE.get(status, ""))
        if status == "paused" and app.needs_look(self.account_id):
            # Left a preview with Back: nothing runs until the user has looked and said yes.
            state.append(" · waiting for a look at the preview: s shows it", style="dim")
        else:
            state.append(
                f" · next run {view.stamp(session.next_run)} · runs {session.runs}", style="dim"
            )
        if session.progress:
            done, total = session.progress
            left = time_left(session.time_left())
            state.append(f" · {done:,} of {total:,} writes" + (f", {left}" if left else ""))
        self.query_one("#log-state", Static).update(state)
        t = session.totals
        counters = Text(no_wrap=True, overflow="ellipsis")
        for side, label in (("google", "Google"), ("pipedrive", "Pipedrive")):
            counters.append(f"{label} ", style="bold")
            counters.append(f"+{t[('create', side)]} ", style="green")
            counters.append(f"~{t[('update', side)]} ", style="yellow")
            counters.append(f"−{t[('delete', side)]}  ", style="red")
        conflicts = sum(n for (k, _), n in t.items() if k == "conflict")
        skipped = sum(n for (k, _), n in t.items() if k == "skip")
        errors = sum(n for (k, _), n in t.items() if k == "error")
        counters.append(f"conflicts {conflicts}  ", style="magenta")
        again = f" (+{session.skips_again:,} repeats)" if session.skips_again else ""
        counters.append(f"skipped {skipped}{again}  ", style="dim")
        counters.append(f"errors {errors}", style="red" if errors else "dim")
        self.query_one("#counters", Static).update(counters)
        bar = self.query_one("#progress", ProgressBar)
        if session.progress:
            done, total = session.progress
            bar.update(total=total, progress=done)
            bar.display = True
        else:
            bar.display = False

    # -- controls --------------------------------------------------------------------

    def _rebuild(self) -> None:
        log = self.query_one("#log", RichLog)
        log.clear()
        self._write(
            [e for e in self.app.session(self.account_id).events if shown(e, self.kind_filter)]
        )

    @staticmethod
    def _line_width(log: RichLog) -> int:
        # The log's width now (before layout: the screen's, less the border and scrollbar).
        return log.scrollable_content_region.width or max(log.app.size.width - 4, 20)

    @on(Select.Changed, "#filter")
    def _filter_changed(self, event: Select.Changed) -> None:
        self.kind_filter = str(event.value)
        self._rebuild()

    def action_follow(self) -> None:
        self.follow = not self.follow
        log = self.query_one("#log", RichLog)
        log.auto_scroll = self.follow
        if self.follow:
            log.scroll_end(animate=False)
        self._show_follow()

    def _show_follow(self) -> None:
        text = "following new lines (f pauses)" if self.follow else "paused (f follows)"
        self.query_one("#follow-state", Static).update(text)

    def action_sync_now(self) -> None:
        self.app.sync_now(self.account_id)

    def action_conflicts(self) -> None:
        self.app.push_screen(
            ConflictsView(self.app.session(self.account_id).conflicts(), self.view)
        )

    def action_options(self) -> None:
        from .options import OptionsScreen

        # On top of the log: Back (escape) comes back here.
        self.app.push_screen(OptionsScreen(self.account_id, then="log"))

    def action_runs(self) -> None:
        from .runs import RunsScreen

        self.app.push_screen(RunsScreen(self.account_id))

    def action_review(self) -> None:
        self.app.open_review(self.account_id)

    def action_stop(self) -> None:
        self.app.confirm_stop(self.account_id)

    def action_back(self) -> None:
        self.app.go_home()
