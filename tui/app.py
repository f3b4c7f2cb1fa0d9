"""The Textual app: Pipedrive's Calendar sync settings page in a terminal, with live sync."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from platformdirs import user_downloads_path
from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState, get_current_worker

from sync import accounts as engine
from sync import polling
from sync.errors import CalsyncError
from sync.models import SyncEvent
from sync.polling import DEFAULT_INTERVAL
from sync.runner import run_once
from sync.snapshot import options_unsynced
from sync.store import Account, Store
from sync.vault import Vault
from sync.watch import RunEvent, Stopped, Unreachable, WatchItem, watch
from sync.wording import plural

from .commands import CalsyncCommands
from .demo import DemoSandbox, loopback_port
from .dialogs.confirm import ConfirmDialog
from .dialogs.error import ErrorDialog
from .dialogs.guard import GuardDialog
from .help import HelpScreen
from .messages import SessionChanged, StoppedElsewhere, SyncEvents
from .session import Batcher, SyncSession

WATCH_INTERVAL = DEFAULT_INTERVAL
PREVIEW_ABOVE = 20
"""Writes on a side above which a run nobody previewed is shown first (the preview asks)."""
QUIT_WAIT = 5.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CalsyncApp(App):
    """calsync in the terminal.

    Every argument has a default, so `CalsyncApp().run()` is the real app. Tests pass
    `home`, a `sandbox` ASGI app to run the offline demo in-process (no port, no thread),
    and the sandbox's frozen `clock`.
    """

    TITLE = "Calendar sync"
    SUB_TITLE = "Google Calendar ⇄ Pipedrive"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {CalsyncCommands}
    BINDINGS = [
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="quit",
            tooltip="Stop syncing and the sandbox, then quit",
            priority=True,
        ),
        Binding(
            "question_mark", "help", "Help", id="help", tooltip="Keys and what each screen does"
        ),
    ]

    def __init__(
        self,
        home: Path | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sandbox=None,
        clock: Callable[[], datetime] | None = None,
        watch_interval: float = WATCH_INTERVAL,
    ) -> None:
        super().__init__()
        self.home = home
        self.transport = transport
        self.demo: DemoSandbox | None = (
            DemoSandbox.in_process(sandbox) if sandbox is not None else None
        )
        self.clock = clock or _utc_now
        self.watch_interval = watch_interval
        self.sessions: dict[str, SyncSession] = {}
        self._unpreviewed: set[str] = set()
        """Accounts reconnected in this window and not looked at since."""
        self._watchers: dict[str, Worker] = {}
        self.store: Store
        self.vault: Vault

    # -- start and quit ------------------------------------------------------------

    def on_mount(self) -> None:
        from .screens.home import HomeScreen

        try:
            self.store = Store(self.home)
        except CalsyncError as exc:
            self.push_screen(
                ErrorDialog.for_error("Cannot open calsync's data", exc),
                callback=lambda _: self.exit(return_code=1),
            )
            return
        self.vault = Vault(self.store.home)
        self.push_screen(HomeScreen())
        # Every active account goes on syncing when the app opens again (a demo account of
        # an earlier session first gets its sandbox back: its sync worker starts it).
        # One whose options were never synced waits for a look at what it would do.
        for account in self.store.accounts("active"):
            if not account.needs_reconnect and not self.needs_look(account.id):
                self.ensure_watch(account.id)

    async def action_quit(self) -> None:
        self.stop_all()
        self.exit()

    def stop_all(self) -> None:
        for session in self.sessions.values():
            session.stop.set()
            session.wake.set()
        for worker in list(self._watchers.values()):
            worker.cancel()

    def on_unmount(self) -> None:
        self.stop_all()
        for session in self.sessions.values():
            # A run stops at its next event and saves what it did; wait for that (briefly)
            # before the store closes.
            session.finished.wait(QUIT_WAIT)
        if self.demo is not None:
            self.demo.stop()
        if hasattr(self, "store"):
            self.store.close()

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """The palette's "Screenshot": Textual saves it in the Downloads folder and fails
        where there is none (a server, a container); then it goes in the current folder."""
        if path is None and not user_downloads_path().is_dir():
            path = str(Path.cwd())
        self.deliver_screenshot(filename, path)

    def action_help(self) -> None:
        from .commands import available

        if not isinstance(self.screen, HelpScreen):
            names = sorted({name.split(" ", 2)[0] + " " + name.split(" ", 2)[1]
                            for name, _, _ in available(self)})  # fmt: skip
            self.push_screen(HelpScreen(names))

    # -- services ------------------------------------------------------------------

    def transport_for(self, account: Account | None = None) -> httpx.AsyncBaseTransport | None:
        """The in-process sandbox's transport for its accounts; else the one given (or the network)."""
        if (
            self.demo is not None
            and self.demo.transport is not None
            and (account is None or account.extra.google_base == self.demo.url)
        ):
            return self.demo.transport
        return self.transport

    def start_demo(self, port: int = 0) -> DemoSandbox:
        """The demo sandbox (started on first use; blocking: call from a thread worker)."""
        if self.demo is None:
            self.demo = DemoSandbox.serve(port)
        return self.demo

    def revive_demo(self, account: Account) -> None:
        """An earlier session's demo account: serve a sandbox on its port again (blocking).

        A sandbox started afresh holds a new demo world, where the old pairs' copies do not
        exist: the account forgets its links and cursors (nothing real is at stake), so its
        first run copies the new world instead of holding on the guard for a mass delete."""
        port = loopback_port(account.extra.google_base)
        if account.extra.kind != "sandbox" or port is None or self.demo is not None:
            return
        # The port may be taken: most likely by a `calsync sandbox` that serves it already,
        # whose world the links still describe.
        with contextlib.suppress(OSError):
            self.start_demo(port)
            self.store.data(account.id).forget_pairs()

    def now(self) -> datetime:
        return self.clock()

    # -- navigation ----------------------------------------------------------------

    def go_home(self) -> None:
        """Back to "Calendar sync", closing everything above it."""
        from .screens.home import HomeScreen

        while len(self.screen_stack) > 1 and not isinstance(self.screen_stack[-1], HomeScreen):
            self.pop_screen()

    def open_log(self, account_id: str) -> None:
        from .screens.sync_log import SyncLogScreen

        self.go_home()
        self.push_screen(SyncLogScreen(account_id))

    def open_review(self, account_id: str) -> None:
        """The account's To review list, on top of the screen in view (Back returns to it)."""
        from .screens.review import ReviewScreen

        self.push_screen(ReviewScreen(account_id))

    def open_options(self, account_id: str, *, then: str = "log") -> None:
        from .screens.options import OptionsScreen

        self.go_home()
        self.push_screen(OptionsScreen(account_id, then=then))

    def current_account_id(self) -> str | None:
        """The account in view (on its log or options), else the only active one."""
        account_id = getattr(self.screen, "account_id", None)
        if account_id is not None:
            return account_id
        active = self.store.accounts("active")
        return active[0].id if len(active) == 1 else None

    # -- sync sessions ---------------------------------------------------------------

    def session(self, account_id: str) -> SyncSession:
        if account_id not in self.sessions:
            self.sessions[account_id] = SyncSession(account_id)
        return self.sessions[account_id]

    def ensure_watch(self, account_id: str, *, force_delete: bool = False) -> SyncSession:
        """Start watching the account unless it is already watched."""
        session = self.session(account_id)
        worker = self._watchers.get(account_id)
        if worker is not None and worker.is_running and not session.stop.is_set():
            if force_delete:
                session.force_next = True
                session.wake.set()
            return session
        session.stop.clear()
        session.wake.clear()
        session.force_next = force_delete
        session.state = "syncing"
        self._watchers[account_id] = self.watch_account(session)
        self.post_message(SessionChanged(account_id))
        return session

    # -- a look before a big run the user has not previewed ------------------------------

    def needs_look(self, account_id: str) -> bool:
        """Is the next run in effect a first one that nobody previewed: after a reconnect, or
        with options (a calendar, a sync type...) its last complete run did not have?"""
        if account_id in self._unpreviewed:
            return True
        account = self.store.account(account_id)
        return options_unsynced(self.store.data(account_id).cursors(), account.options)

    def start_syncing(self, account_id: str, *, look: bool | None = None) -> None:
        """Sync the account from now on. A run that nobody previewed (`needs_look`) is looked
        at first: a dry run, and when it would write more than PREVIEW_ABOVE items on a
        side, the preview asks before anything is written."""
        if look is None:
            look = self.needs_look(account_id)
        if not look:
            self._run_now(account_id)
            return
        session = self.session(account_id)
        if session.state == "checking":
            return  # a look is under way already: it shows the one preview
        if session.state in ("syncing", "idle"):
            self.stop_watch(account_id)
        session.state = "checking"
        self.post_message(SessionChanged(account_id))
        self._look_first(account_id)

    @work(thread=True, group="look", exit_on_error=False, description="Looking before a sync")
    def _look_first(self, account_id: str) -> None:
        account = self.store.account(account_id)

        async def dry_run() -> list[SyncEvent]:
            return [
                e
                async for e in run_once(
                    self.store,
                    self.vault,
                    account_id,
                    dry_run=True,
                    transport=self.transport_for(account),
                    now=self.now(),
                    clock=self.now,
                )
            ]

        try:
            events = asyncio.run(dry_run())
        except CalsyncError:
            events = []  # the run itself will say what is wrong
        self.call_from_thread(self._looked, account_id, events)

    def _looked(self, account_id: str, events: list[SyncEvent]) -> None:
        from .screens.preview import PreviewScreen

        plan = (events[-1].detail.get("plan") or {}) if events else {}
        writes = {side: sum((plan.get(side) or {}).values()) for side in ("google", "pipedrive")}
        held = any(e.kind == "guard" for e in events)
        if not held and max(writes.values()) <= PREVIEW_ABOVE:
            self._unpreviewed.discard(account_id)
            self.ensure_watch(account_id)
            return
        self.session(account_id).state = "stopped"
        self.post_message(SessionChanged(account_id))
        if any(
            isinstance(s, PreviewScreen) and s.account_id == account_id for s in self.screen_stack
        ):
            return  # a look of the same moment is on screen already (the log asked as well)
        total = writes["google"] + writes["pipedrive"]
        why = f"this sync would write {plural(total, 'item')}: look before it starts"
        self.push_screen(PreviewScreen(account_id, events=events, why=why))

    def previewed(self, account_id: str) -> None:
        """The user looked and said Start syncing."""
        self._unpreviewed.discard(account_id)
        self.ensure_watch(account_id)

    def sync_now(self, account_id: str) -> None:
        """Sync now ("s", the palette): a run nobody previewed is looked at first, as on
        Start syncing (a preview left with Back is not a yes)."""
        self.start_syncing(account_id)

    def _run_now(self, account_id: str) -> None:
        """Run now: wake the watch, or start one (which runs at once)."""
        worker = self._watchers.get(account_id)
        if worker is not None and worker.is_running:
            self.session(account_id).wake.set()
        else:
            self.ensure_watch(account_id)

    def stop_watch(self, account_id: str) -> None:
        session = self.session(account_id)
        session.stop.set()
        session.wake.set()
        worker = self._watchers.pop(account_id, None)
        if worker is not None:
            worker.cancel()
        session.state = "stopped"
        session.progress = None
        session.next_run = None
        self.post_message(SessionChanged(account_id))

    @work(thread=True, group="sync", exit_on_error=False, description="Watching an account")
    def watch_account(self, session: SyncSession) -> None:
        """Runs in a thread with its own event loop, so that neither the engine nor an
        in-process sandbox can hold up the UI. One worker per account (not `exclusive`:
        that would stop the other accounts' watches)."""
        session.finished.clear()
        try:
            asyncio.run(self._watch_loop(session))
        finally:
            session.finished.set()

    async def _watch_loop(self, session: SyncSession) -> None:
        worker = get_current_worker()
        account_id = session.account_id
        batcher = Batcher(lambda events: self.post_message(SyncEvents(account_id, events)))

        def stopped() -> bool:
            return session.stop.is_set() or worker.is_cancelled

        async def run(account_id: str, now: datetime) -> AsyncGenerator[SyncEvent, None]:
            account = self.store.account(account_id)
            if account.extra.kind == "sandbox" and self.demo is None:
                # A demo account of an earlier session: serve its sandbox again and sign in
                # to it afresh (the new sandbox does not know the old tokens).
                self.revive_demo(account)
                account = await engine.reconnect(
                    self.store, self.vault, account, transport=self.transport_for(account)
                )
            force, session.force_next = session.force_next, False
            session.next_run = None
            async for event in run_once(
                self.store,
                self.vault,
                account_id,
                force_delete=force,
                transport=self.transport_for(account),
                now=now,
                clock=self.now,
            ):
                yield event

        async def sleep(seconds: float) -> None:
            if not stopped():
                session.wake.wait(seconds)  # this thread's own loop: nothing else waits on it
            session.wake.clear()

        def budget(account_id: str) -> polling.Budget | None:
            return self.store.account(account_id).extra.pipedrive_budget

        items = watch([account_id], run, interval=self.watch_interval, budget=budget,
                      clock=self.now, sleep=sleep, stopped=stopped)  # fmt: skip
        try:
            async with contextlib.aclosing(items):
                async for item in items:
                    self._watched(session, batcher, item)
                    if stopped():
                        break
        finally:
            batcher.flush()

    def _watched(self, session: SyncSession, batcher: Batcher, item: WatchItem) -> None:
        """One item of an account's watch: a run's event, the wait until the next run, or
        why the watch ends (an unreachable service; the account stopped elsewhere)."""
        if isinstance(item, RunEvent):
            batcher.add(item.event)
        elif isinstance(item, Unreachable):
            # The app stops and says so (a dialog); Sync now tries again.
            raise item.error
        elif isinstance(item, Stopped):
            self.post_message(StoppedElsewhere(session.account_id))
        else:
            batcher.flush()
            session.next_run = item.until
            self.post_message(SessionChanged(session.account_id))

    def on_sync_events(self, message: SyncEvents) -> None:
        session = self.session(message.account_id)
        shown = []
        for event in message.events:
            shown.extend(session.record(event))
            if event.kind == "guard":
                self._ask_guard(message.account_id, event)
        self._show_lines(message.account_id, tuple(shown))

    def _show_lines(self, account_id: str, lines: tuple) -> None:
        """New log lines (and counters) to the screens about this account."""
        for screen in self.screen_stack:
            if getattr(screen, "account_id", None) == account_id and hasattr(screen, "add_events"):
                screen.add_events(lines)
        self._refresh_home()

    def log_note(self, account_id: str, text: str) -> None:
        """A line of the app's own in the account's log: stopped, reconnected."""
        self._show_lines(account_id, (self.session(account_id).note(text, self.now()),))

    def on_session_changed(self, message: SessionChanged) -> None:
        for screen in self.screen_stack:
            if getattr(screen, "account_id", None) == message.account_id and hasattr(
                screen, "session_changed"
            ):
                screen.session_changed()
        self._refresh_home()

    def _refresh_home(self) -> None:
        from .screens.home import HomeScreen

        if isinstance(self.screen, HomeScreen):  # a hidden home is rebuilt when it resumes
            self.screen.refresh_accounts()

    def _ask_guard(self, account_id: str, event) -> None:
        account = self.store.account(account_id)

        def answered(delete: bool | None) -> None:
            if delete:
                self.ensure_watch(account_id, force_delete=True)
            else:
                self.stop_watch(account_id)
                self.session(account_id).state = "guarded"
                self.notify(
                    "Nothing was deleted; syncing is paused. Sync now checks again.",
                    title="Kept",
                    timeout=6,
                )
                self.post_message(SessionChanged(account_id))

        self.push_screen(GuardDialog(event, account.email), callback=answered)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed sync turns into an error dialog."""
        worker = event.worker
        if worker.group != "sync" or event.state not in (WorkerState.ERROR, WorkerState.SUCCESS):
            return
        account_id = next((a for a, w in self._watchers.items() if w is worker), None)
        if account_id is None:
            return
        self._watchers.pop(account_id, None)
        session = self.session(account_id)
        if event.state == WorkerState.ERROR:
            session.state = "error"
            session.error = str(worker.error)
            session.progress = None
            account = self.store.account(account_id)
            self.push_screen(
                ErrorDialog.for_error(f"Syncing {account.email} stopped", worker.error)
            )
        elif session.state not in ("guarded", "error"):
            session.state = "stopped"
        self.post_message(SessionChanged(account_id))

    # -- account lifecycle -----------------------------------------------------------

    def confirm_stop(self, account_id: str) -> None:
        account = self.store.account(account_id)

        def answered(yes: bool | None) -> None:
            if yes:
                self.stop_syncing(account_id)

        self.push_screen(
            ConfirmDialog(
                "Stop syncing?",
                f"Stop syncing {account.email}? Nothing is deleted in Google Calendar or Pipedrive; "
                "the account moves to Previously synced, where Reconnect brings it back.",
                yes="Stop syncing",
                no="Keep syncing",
                danger=True,
            ),
            callback=answered,
        )

    def stop_syncing(self, account_id: str) -> None:
        self.stop_watch(account_id)
        account = self.store.account(account_id)
        if account.state == "active":
            engine.disconnect(self.store, account)
        self.log_note(account_id, "Stopped syncing: nothing was deleted; Reconnect brings it back")
        self.notify(f"Stopped syncing {account.email}", timeout=4)
        self.go_home()
        self._refresh_home()

    def on_stopped_elsewhere(self, message: StoppedElsewhere) -> None:
        account = self.store.account(message.account_id)
        self.stop_watch(message.account_id)
        self.log_note(
            message.account_id,
            "Stopped syncing outside the app: nothing was deleted; Reconnect brings it back",
        )
        self.notify(f"{account.email} stopped syncing outside the app", timeout=6)
        self._refresh_home()

    @work(group="account", exit_on_error=False, description="Reconnecting an account")
    async def reconnect(self, account_id: str) -> None:
        account = self.store.account(account_id)
        try:
            if account.extra.kind == "sandbox" and self.demo is None:
                await asyncio.to_thread(self.revive_demo, account)
            account = await engine.reconnect(
                self.store, self.vault, account, transport=self.transport_for(account)
            )
        except Exception as exc:  # every failure is a dialog that says what to do
            self.push_screen(ErrorDialog.for_error(f"Could not reconnect {account.email}", exc))
            return
        self.log_note(account.id, "Reconnected: syncing again with its last options")
        self._unpreviewed.add(account.id)
        self.open_options(account.id, then="log")
