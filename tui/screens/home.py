"""The first screen, "Calendar sync": connected accounts, "Add new account", previously synced."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Label, Static

from sync.errors import CalsyncError

from ..format import status_of
from ..widgets.account_card import PAUSED, AccountCard

if TYPE_CHECKING:
    from sync.store import AccountState

    from ..app import CalsyncApp


class HomeScreen(Screen):
    """Pipedrive's Personal preferences > Calendar sync page."""

    if TYPE_CHECKING:  # the app this screen runs in, typed (Textual's own idiom)
        app = getters.app(CalsyncApp)

    CSS_PATH = "home.tcss"
    AUTO_FOCUS = "#add-account-button"
    BINDINGS = [
        Binding(
            "a",
            "add_account",
            "Add account",
            id="add-account",
            tooltip="Connect a Google Calendar and a Pipedrive user",
        ),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="home"):
            yield Static("[b]Calendar sync[/b]", id="heading")
            yield Static(
                "Sync your Pipedrive activities with your Google Calendar: meetings, calls and "
                "tasks show up in your calendar. Two-way sync also brings calendar events and "
                "changes back to Pipedrive; one-way sync sends Pipedrive's only.",
                id="intro",
            )
            yield Button("+ Add new account", id="add-account-button", variant="success")
            yield Label("Connected accounts", id="active-heading", classes="section")
            yield Vertical(id="active")
            yield Label("Previously synced", id="previous-heading", classes="section")
            yield Vertical(id="previous")
        yield Footer(compact=True)  # every label fits at 80 columns

    _listed: list[tuple[str, AccountState, bool]] | None = None

    def on_mount(self) -> None:
        self.refresh_accounts()

    def on_screen_resume(self) -> None:
        self.refresh_accounts()

    def refresh_accounts(self) -> None:
        """Bring the two lists up to date: cards are updated in place, and rebuilt only when
        accounts come, go or change sides."""
        if not self.is_mounted:
            return
        # A card's buttons follow its state and whether it is paused (Resume): those rebuild.
        listed = [
            (a.id, a.state, status_of(a, self.app.sessions.get(a.id)) in PAUSED)
            for a in self.app.store.accounts()
        ]
        if listed == self._listed:
            for card in self.query(AccountCard):
                card.show(*self._card_data(card.account.id))
        else:
            self._listed = listed
            self.run_worker(self._rebuild(), group="home-rebuild", exclusive=True)

    def _card_data(self, account_id: str):
        app = self.app
        account = app.store.account(account_id)
        session = app.sessions.get(account_id)
        try:
            runs = app.store.data(account_id).runs()
        except CalsyncError:
            runs = []
        summary = runs[-1].summary.to_json() if runs else None
        return account, session, summary, status_of(account, session)

    async def _rebuild(self) -> None:
        assert self._listed is not None  # set before each rebuild
        active = self.query_one("#active", Vertical)
        previous = self.query_one("#previous", Vertical)
        focused_id = self.focused.id if self.focused is not None else None
        cards: dict[str, list] = {"active": [], "previously_synced": []}
        for account_id, state, _ in self._listed:
            cards[state].append(AccountCard(*self._card_data(account_id)))
        if not cards["active"]:
            cards["active"].append(
                Static("No account is syncing yet: add one to start.", classes="empty")
            )
        if not cards["previously_synced"]:
            cards["previously_synced"].append(
                Static(
                    "Accounts you stop syncing are kept here, ready to reconnect.", classes="empty"
                )
            )
        await active.remove_children()
        await previous.remove_children()
        await active.mount_all(cards["active"])
        await previous.mount_all(cards["previously_synced"])
        found = self.query(f"#{focused_id}") if focused_id else None
        if found:
            found.first().focus()

    @on(Button.Pressed, "#add-account-button")
    def action_add_account(self) -> None:
        from .add_account import AddAccountScreen

        self.app.push_screen(AddAccountScreen())

    @on(AccountCard.Action)
    def _account_action(self, event: AccountCard.Action) -> None:
        app = self.app
        if event.action == "resume":
            app.start_syncing(event.account_id)
        elif event.action == "log":
            app.open_log(event.account_id)
        elif event.action == "options":
            app.open_options(event.account_id, then="log")
        elif event.action == "stop":
            app.confirm_stop(event.account_id)
        elif event.action == "reconnect":
            app.reconnect(event.account_id)
