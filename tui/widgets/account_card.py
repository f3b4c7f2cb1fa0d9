"""An account on the "Calendar sync" screen: what it syncs, its status, and its buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from sync.store import Account
from sync.wording import time_left

from ..format import STATUS_STYLE, calendar_label, counts_text, view_for
from ..session import SyncSession

if TYPE_CHECKING:
    from ..app import CalsyncApp

PAUSED = ("paused", "error", "guarded")  # states a card offers Resume for


class AccountCard(Vertical):
    """One account. Posts `AccountCard.Action` with the account id and what was asked."""

    if TYPE_CHECKING:  # the app this widget runs in, typed (Textual's own idiom)
        app = getters.app(CalsyncApp)

    class Action(Message):
        """A button on a card was pressed: action is "log", "options", "stop" or "reconnect"."""

        def __init__(self, card: AccountCard, action: str) -> None:
            super().__init__()
            self.card = card
            self.action = action

        @property
        def control(self) -> AccountCard:
            return self.card

        @property
        def account_id(self) -> str:
            return self.card.account.id

    def __init__(
        self, account: Account, session: SyncSession | None, last_summary: dict | None, status: str
    ) -> None:
        super().__init__(classes=f"account-card {account.state}", id=f"account-{account.id}")
        self.account = account
        self.session = session
        self.last_summary = last_summary
        self.status = status

    def show(
        self, account: Account, session: SyncSession | None, last_summary: dict | None, status: str
    ) -> None:
        """Update the card in place (same account, same state)."""
        self.account, self.session, self.last_summary, self.status = (
            account,
            session,
            last_summary,
            status,
        )
        # A card mounted by a rebuild still under way has no children yet: its compose shows
        # what was just set.
        for text in self.query(".account-text").results(Static):
            text.update(self._describe())

    def compose(self) -> ComposeResult:
        yield Static(self._describe(), classes="account-text")
        with Horizontal(classes="account-buttons"):
            if self.account.state == "active":
                if self.status in PAUSED:
                    yield Button(
                        "Resume",
                        id=f"resume-{self.account.id}",
                        classes="resume",
                        variant="success",
                    )
                yield Button(
                    "Sync log", id=f"log-{self.account.id}", classes="log", variant="primary"
                )
                yield Button("Options", id=f"options-{self.account.id}", classes="options")
                yield Button(
                    "Stop syncing", id=f"stop-{self.account.id}", classes="stop", variant="error"
                )
            else:
                yield Button(
                    "Reconnect",
                    id=f"reconnect-{self.account.id}",
                    classes="reconnect",
                    variant="primary",
                )

    def _describe(self) -> Text:
        a, o = self.account, self.account.options
        view = view_for(a, self.app.now())
        calendar = calendar_label(a)
        text = Text()
        text.append(a.email, style="bold")
        text.append(f"  ⇄  Pipedrive {a.extra.pipedrive_name or a.pipedrive_email}")
        if a.extra.kind == "sandbox":
            text.append("  (offline sandbox)", style="dim")
        text.append("\n")
        sync_type = "Two-way" if o.sync_type == "two-way" else "One-way"
        text.append(f"{calendar} · {sync_type} sync")
        if a.state == "active":
            text.append(" · status ")
            text.append(self.status, style=STATUS_STYLE.get(self.status, ""))
            if self.session is not None and self.session.progress:
                done, total = self.session.progress
                left = time_left(self.session.time_left())
                text.append(f" ({done}/{total}{', ' + left if left else ''})", style="dim")
        text.append("\n")
        next_run = self.session.next_run if self.session is not None else None
        text.append(f"Last run {view.stamp(a.last_run)}", style="dim")
        if a.state == "active":
            text.append(f" · next run {view.stamp(next_run)}", style="dim")
        text.append(f" · {counts_text(self.last_summary)}", style="dim")
        if a.last_run is not None or next_run is not None:
            text.append(f" · {view.zone_note()}", style="dim")
        why = self._why_paused()
        if why:
            text.append(f"\n{why}", style="red" if self.status != "paused" else "yellow")
        return text

    def _why_paused(self) -> str:
        """What holds a paused account, and what Resume (or Reconnect) will do."""
        a, session = self.account, self.session
        error = (session.error if session is not None else None) or a.last_error
        if self.status == "needs reconnect":
            return (
                error or "The saved sign-in no longer works."
            ) + " Stop syncing, then Reconnect."
        if self.status == "error":
            return (error or "The last sync failed.") + " Resume tries again."
        if self.status == "guarded":
            return (
                "Held by the mass-deletion guard: nothing was deleted. "
                "Resume looks again and asks before deleting."
            )
        if self.status == "paused" and a.state == "active":
            if self.app.needs_look(a.id):
                return (
                    "Its options have not been synced yet. "
                    "Resume shows what the sync would do first, if it is big."
                )
            return "Not syncing in this window. Resume starts it."
        return ""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        action = next(
            c
            for c in ("resume", "log", "options", "stop", "reconnect")
            if event.button.has_class(c)
        )
        self.post_message(self.Action(self, action))
