"""Add new account: the offline sandbox demo (default) or Google Calendar + Pipedrive."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    Label,
    LoadingIndicator,
    RadioButton,
    RadioSet,
    Static,
)
from textual.worker import Worker, WorkerState

from sync import accounts as engine
from sync.accounts import Connected
from sync.errors import AuthError, CalsyncError, UsageError
from sync.pipedrive_signin import SIGN_IN_TIMEOUT, pipedrive_app_from_env

from ..dialogs.error import ErrorDialog

if TYPE_CHECKING:
    from ..app import CalsyncApp

URL = re.compile(r"https?://\S+")


def can_open_browser() -> bool:
    """Only where a graphical browser can open: elsewhere Python's webbrowser may start a
    console browser (lynx, w3m) that would take over this terminal."""
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


class AddAccountScreen(Screen):
    """Choose where to sync from, then connect (a worker) and go on to the sync options."""

    if TYPE_CHECKING:  # the app this screen runs in, typed (Textual's own idiom)
        app = getters.app(CalsyncApp)

    CSS_PATH = "add_account.tcss"
    sign_in_timeout = SIGN_IN_TIMEOUT
    """Seconds each browser sign-in waits for its answer."""
    AUTO_FOCUS = "#source"  # the choice first: Enter on Connect is one deliberate step later
    BINDINGS = [
        Binding(
            "escape",
            "back",
            "Back",
            id="back",
            tooltip="Back to Calendar sync (cancels a sign-in that waits)",
        ),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="add"):
            yield Static("[b]Add new account[/b]", id="heading")
            yield Label("Sync with")
            with RadioSet(id="source"):
                yield RadioButton("Offline sandbox (demo)", id="demo", value=True)
                yield RadioButton("Google Calendar + Pipedrive", id="google")
            yield Static(
                "Fake Google Calendar and Pipedrive services on this computer, filled with "
                "sample meetings, with live edits on both sides every few seconds. Nothing "
                "leaves your machine.",
                id="demo-note",
                classes="note",
            )
            with Vertical(id="google-fields"):
                yield Label("Google OAuth client secret file (desktop app)")
                yield Input(placeholder="~/Downloads/client_secret.json", id="client-secret")
                yield Label("Pipedrive API token (Personal preferences > API)")
                yield Input(
                    placeholder="API token (empty: sign in with your Pipedrive app)",
                    password=True,
                    id="pipedrive-token",
                )
                yield Static("", id="field-error", classes="error")
                yield Static(
                    "Your browser opens for the Google sign-in; on a headless machine, open the "
                    "address shown here instead. A token typed here stays out of sight; on the "
                    "command line give it as `--pipedrive-token -` (standard input) or in "
                    "CALSYNC_PIPEDRIVE_TOKEN, never as the flag's value: `ps` shows that to "
                    "every user of the machine.",
                    classes="note",
                )
            with Vertical(id="progress"):
                yield LoadingIndicator()
                yield Static("", id="status")
                yield Static("", id="auth-url")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Connect", id="connect", variant="primary")
        yield Footer(compact=True)  # every label fits at 80 columns

    def on_mount(self) -> None:
        self.query_one("#google-fields").display = False
        self.query_one("#progress").display = False

    @on(RadioSet.Changed, "#source")
    def _source_changed(self, event: RadioSet.Changed) -> None:
        google = event.pressed.id == "google"
        self.query_one("#google-fields").display = google
        self.query_one("#demo-note").display = not google

    def action_back(self) -> None:
        """Back to Calendar sync; while a sign-in waits for the browser, cancel it first."""
        if self._signing_in():
            self.cancel_sign_in()
        elif not self._busy():
            self.app.pop_screen()

    def _busy(self) -> bool:
        return any(w.is_running for w in self.workers if w.group == "connect")

    def _signing_in(self) -> bool:
        return any(w.is_running for w in self.workers if w.name == "sign-in")

    def cancel_sign_in(self) -> None:
        """Stop waiting for the browser: the sign-in's loopback port is freed at once."""
        for worker in self.workers:
            if worker.name == "sign-in":
                worker.cancel()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_back()

    @on(Input.Submitted, "#client-secret, #pipedrive-token")
    @on(Button.Pressed, "#connect")
    def _connect(self) -> None:
        if self._busy():
            return
        if self.query_one("#google", RadioButton).value:
            path = self.query_one("#client-secret", Input).value.strip()
            token = self.query_one("#pipedrive-token", Input).value.strip()
            problem = self._check_google(path, token)
            self.query_one("#field-error", Static).update(problem or "")
            if problem:
                return
            self._working("Waiting for the Google sign-in in your browser… (Esc cancels)")
            self.connect_google(Path(path).expanduser(), token)
        else:
            self._working("Starting the offline sandbox and signing in…")
            self.connect_demo()

    @staticmethod
    def _check_google(path: str, token: str) -> str | None:
        if not path:
            return "Give the path of the client secret file you downloaded from Google Cloud."
        try:
            engine.load_client_secret(Path(path).expanduser())
        except UsageError as exc:
            return str(exc)
        if not token:
            try:  # no token: the user's own Pipedrive OAuth app, if its settings are there
                pipedrive_app_from_env()
            except UsageError:
                return (
                    "Give your Pipedrive API token, or set CALSYNC_PIPEDRIVE_CLIENT_ID and "
                    "CALSYNC_PIPEDRIVE_CLIENT_SECRET to sign in with your Pipedrive app "
                    "(docs/real-accounts.md)."
                )
        return None

    def _working(self, status: str) -> None:
        self.query_one("#progress").display = True
        self.query_one("#status", Static).update(status)
        self.query_one("#auth-url", Static).update("")
        self.query_one("#connect", Button).disabled = True

    def show_address(self, text: str) -> None:
        """A sign-in's consent address: shown for terminals without a browser."""
        found = URL.search(text)
        if found:
            if "pipedrive.com" in found.group(0):
                self.query_one("#status", Static).update(
                    "Waiting for the Pipedrive sign-in in your browser… (Esc cancels)"
                )
            self.query_one("#auth-url", Static).update(f"Sign-in address:\n{found.group(0)}")

    @work(thread=True, group="connect", exit_on_error=False, description="Connecting the sandbox")
    def connect_demo(self) -> Connected:
        app = self.app
        demo = app.start_demo()
        return asyncio.run(
            engine.connect_sandbox(app.store, app.vault, demo.url, transport=demo.transport)
        )

    @work(group="connect", name="sign-in", exit_on_error=False, description="Signing in")
    async def connect_google(self, client_secret: Path, token: str) -> Connected:
        """On the app's loop (the sign-ins wait in coroutines), so that cancelling this
        worker ends a sign-in at once."""
        app = self.app
        return await engine.connect_google(
            app.store,
            app.vault,
            client_secret,
            pipedrive_token=token or None,
            pipedrive_oauth=not token,
            open_browser=can_open_browser(),
            transport=app.transport,
            on_address=self.show_address,
            timeout=self.sign_in_timeout,
        )

    @on(Worker.StateChanged)
    def _connected(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "connect" or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            return
        self.query_one("#progress").display = False
        self.query_one("#connect", Button).disabled = False
        if event.state == WorkerState.CANCELLED:
            self.query_one("#field-error", Static).update(
                "Sign-in cancelled: nothing was saved. Connect starts it again."
            )
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            title = "Could not connect" if isinstance(error, CalsyncError) else "Connecting failed"
            dialog = ErrorDialog.for_error(title, error)
            if isinstance(error, AuthError):  # never connected: Reconnect is not there
                dialog.hint = "Press Connect to sign in again."
            self.app.push_screen(dialog)
            return
        connected = event.worker.result
        assert isinstance(connected, Connected)  # a worker that succeeded has its result
        if connected.already_connected:
            self.app.notify(
                f"{connected.account.email} is already connected: opened its options.", timeout=5
            )
        elif connected.reused:
            self.app.notify("This account was connected before: its options are back.", timeout=5)
        self.app.open_options(connected.account.id, then="preview")
