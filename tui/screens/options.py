"""Sync options, labelled as Pipedrive labels them, validated inline; then "Start syncing"."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.validation import Number
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    Label,
    LoadingIndicator,
    RadioButton,
    RadioSet,
    Select,
    SelectionList,
    Static,
    Switch,
)
from textual.widgets.select import NoSelection
from textual.worker import Worker, WorkerState

from sync import accounts as engine
from sync.errors import CalsyncError, OptionError
from sync.options import MAX_WINDOW_DAYS

from ..dialogs.error import ErrorDialog
from ..format import in_app_words

if TYPE_CHECKING:
    from ..app import CalsyncApp

SYNC_TYPES = {
    "one-way": (
        "One-way",
        "Pipedrive activities are added to your calendar; calendar changes don't come back",
    ),
    "two-way": (
        "Two-way",
        "Pipedrive activities are added to your calendar, and calendar events "
        "and changes come back to Pipedrive",
    ),
}
TWO_WAY_ONLY = (
    "Used in two-way sync only: in one-way sync, calendar events don't come to Pipedrive."
)
# Where each option's error shows: the Static right under its field.
ERROR_BESIDE = {
    "calendar": "calendar-error",
    "sync_type": "sync-type-error",
    "save_as": "save-as-error",
    "push_types": "push-types-error",
    "private": "private-error",
    "linked_contacts": "form-error",
    "create_persons": "form-error",
    "import_blocks": "form-error",
    "window_past_days": "window-error",
    "window_future_days": "window-error",
}
IMPORT_BLOCKS = {
    "out-of-office": "Save out-of-office time to Pipedrive as busy activities",
    "focus-time": "Save focus time to Pipedrive as busy activities",
}
PRIVATE_MODES = {
    "private": "Sync as private activities (details kept; colleagues see them as private)",
    "busy": 'Sync as "Busy" (only the time leaves your calendar)',
    "public": "Sync like any other event",
    "skip": "Don't sync private events",
}


class OptionsScreen(Screen):
    """The options of one account, pre-filled with its current (or last) ones."""

    if TYPE_CHECKING:  # the app this screen runs in, typed (Textual's own idiom)
        app = getters.app(CalsyncApp)

    CSS_PATH = "options.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", id="back", tooltip="Leave without saving"),
        # One of the two shows: "Save" while the account syncs, else "Start syncing".
        Binding(
            "ctrl+s", "start", "Start syncing", id="start", tooltip="Save these options and sync"
        ),
        Binding("ctrl+s", "save", "Save", id="save", tooltip="Save these options"),
    ]

    def __init__(self, account_id: str, *, then: str = "preview") -> None:
        super().__init__()
        self.account_id = account_id
        self.then = then
        """Where "Start syncing" goes: "preview" (before the first run) or "log"."""

    def syncing(self) -> bool:
        """The account is being synced now: saving changes what the next run does."""
        session = self.app.sessions.get(self.account_id)
        return session is not None and session.watching

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return not self.syncing()
        if action == "save":
            return self.syncing()
        return True

    def compose(self) -> ComposeResult:
        account = self.app.store.account(self.account_id)
        o = account.options
        yield Header()
        with VerticalScroll(id="options"):
            yield Static(f"[b]Sync options[/b] · {account.email}", id="heading")
            yield LoadingIndicator(id="loading")
            with Vertical(id="form"):
                # The two lists are mounted once loaded (_fill): nothing to choose before that.
                yield Label("Choose calendar", classes="field", id="calendar-label")
                yield Static("", id="calendar-error", classes="error")
                yield Static("Only calendars you can write to are listed.", classes="note")
                yield Label("Sync type", classes="field")
                with RadioSet(id="sync-type"):
                    for key, (label, _) in SYNC_TYPES.items():
                        yield RadioButton(label, id=key, value=o.sync_type == key)
                yield Static(SYNC_TYPES[o.sync_type][1], id="sync-type-note", classes="note")
                yield Static("", id="sync-type-error", classes="error")
                yield Label(
                    "Save calendar event to Pipedrive as", classes="field", id="save-as-label"
                )
                yield Static(TWO_WAY_ONLY, id="save-as-why", classes="note why")
                yield Static("", id="save-as-error", classes="error")
                yield Label("Sync these Pipedrive activities to calendar", classes="field")
                yield SelectionList[str](id="push-types")
                yield Static("", id="push-types-error", classes="error")
                yield Label("Private calendar events", classes="field")
                with RadioSet(id="private"):
                    for key, label in PRIVATE_MODES.items():
                        yield RadioButton(label, id=f"private-{key}", value=o.private == key)
                yield Static(TWO_WAY_ONLY, id="private-why", classes="note why")
                yield Static("", id="private-error", classes="error")
                yield from self._blocks(o.import_blocks)
                yield Label("Linked contact details", classes="field")
                with Horizontal(classes="switch-row"):
                    yield Switch(value=o.linked_contacts, id="linked-contacts")
                    yield Static(
                        "Add the linked person, organization and deal to calendar events",
                        classes="note",
                    )
                yield Label("Unknown guests", classes="field")
                with Horizontal(classes="switch-row"):
                    yield Switch(value=o.create_persons, id="create-persons")
                    yield Static(
                        "Create a Pipedrive person for each guest who is not one yet",
                        classes="note",
                    )
                yield Label("Sync window", classes="field")
                with Horizontal(classes="window-row"):
                    yield Input(
                        str(o.window_past_days),
                        id="window-past",
                        type="integer",
                        validators=[Number(0, MAX_WINDOW_DAYS)],
                        max_length=4,
                    )
                    yield Static("days back", classes="unit")
                    yield Input(
                        str(o.window_future_days),
                        id="window-future",
                        type="integer",
                        validators=[Number(0, MAX_WINDOW_DAYS)],
                        max_length=4,
                    )
                    yield Static("days ahead", classes="unit")
                yield Static("", id="window-error", classes="error")
                yield Static("", id="form-error", classes="error")
                with Horizontal(id="buttons"):
                    yield Button("Back", id="back-button")
                    yield Button(
                        "Save" if self.syncing() else "Start syncing",
                        id="start-button",
                        variant="success",
                    )
        yield Footer(compact=True)  # every label fits at 80 columns

    def _blocks(self, imported: tuple[str, ...]) -> ComposeResult:
        """The switches of `import_blocks`: Google's out-of-office and focus time."""
        yield Label("Out of office and focus time", classes="field")
        for key, label in IMPORT_BLOCKS.items():
            with Horizontal(classes="switch-row"):
                yield Switch(value=key in imported, id=f"import-{key}", classes="block")
                yield Static(label, classes="note")
        yield Static(TWO_WAY_ONLY, id="blocks-why", classes="note why")

    def on_mount(self) -> None:
        self.query_one("#form").display = False
        self._update_for_sync_type(self.app.store.account(self.account_id).options.sync_type)
        self.load_choices()

    @work(thread=True, group="options-load", exit_on_error=False, description="Loading calendars")
    def load_choices(self) -> tuple[list[dict], list[dict]]:
        app = self.app
        account = app.store.account(self.account_id)
        transport = app.transport_for(account)

        async def both():
            return await asyncio.gather(
                engine.calendars(app.vault, account, transport=transport),
                engine.activity_types(app.vault, account, transport=transport),
            )

        calendars, types = asyncio.run(both())
        return calendars, types

    @on(Worker.StateChanged)
    async def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR:
            self.query_one("#loading").display = False
            if worker.group == "options-load":
                self.app.push_screen(
                    ErrorDialog.for_error(
                        "Could not read your calendars and activity types", worker.error
                    ),
                    callback=lambda _: self.app.go_home(),
                )
            else:
                self._show_error(worker.error)
        elif event.state == WorkerState.SUCCESS:
            if worker.group == "options-load":
                choices = worker.result
                assert choices is not None  # a worker that succeeded has its result
                await self._fill(*choices)
            elif worker.group == "options-save":
                self._saved()

    async def _fill(self, calendars: list[dict], types: list[dict]) -> None:
        account = self.app.store.account(self.account_id)
        o = account.options
        choices = []
        current: str | NoSelection = o.calendar
        for c in engine.writable(calendars):
            value = "primary" if c.primary else c.id
            if c.primary and current == c.id:
                current = "primary"
            choices.append((f"{c.name} (primary)" if c.primary else c.name, value))
        if current not in [v for _, v in choices]:
            # The synced calendar left the list: say so beside it; a real one must be chosen.
            self.query_one("#calendar-error", Static).update(
                "The synced calendar is not in your calendar list any more: choose another."
            )
            current = choices[0][1] if choices else Select.NULL
        calendar = Select[str](choices, id="calendar", allow_blank=not choices, value=current)
        await self.query_one("#form").mount(calendar, after="#calendar-label")
        active = [t for t in types if t.get("active_flag", True)]
        keys = [t["key_string"] for t in active]
        save_as = Select[str](
            [(t.get("name") or t["key_string"], t["key_string"]) for t in active],
            id="save-as",
            allow_blank=not active,
            value=o.save_as if o.save_as in keys else (keys[0] if keys else Select.NULL),
            disabled=o.sync_type == "one-way",
        )
        await self.query_one("#form").mount(save_as, after="#save-as-label")
        push = self.query_one("#push-types", SelectionList)
        push.clear_options()
        push.add_options(
            [
                (t.get("name") or t["key_string"], t["key_string"], t["key_string"] in o.push_types)
                for t in active
            ]
        )
        self.query_one("#loading").display = False
        self.query_one("#form").display = True
        calendar.focus()

    @on(RadioSet.Changed, "#sync-type")
    def _sync_type_changed(self, event: RadioSet.Changed) -> None:
        self._update_for_sync_type(event.pressed.id or "two-way")

    def _update_for_sync_type(self, sync_type: str) -> None:
        self.query_one("#sync-type-note", Static).update(SYNC_TYPES[sync_type][1])
        # As on Pipedrive's page: what comes back from the calendar only matters two-way;
        # a note under each disabled field says so.
        one_way = sync_type == "one-way"
        for save_as in self.query("#save-as"):
            save_as.disabled = one_way
        self.query_one("#private", RadioSet).disabled = one_way
        for block in self.query(".block"):
            block.disabled = one_way
        for why in self.query(".why"):
            why.display = one_way

    @on(Input.Changed, "#window-past, #window-future")
    def _window_changed(self, event: Input.Changed) -> None:
        self._check_window()

    def _check_window(self) -> bool:
        problems = []
        for widget_id, name in (("window-past", "Days back"), ("window-future", "Days ahead")):
            widget = self.query_one(f"#{widget_id}", Input)
            result = widget.validate(widget.value)
            if not widget.value.strip():
                problems.append(f"{name}: give a number of days")
            elif result is not None and not result.is_valid:
                problems.append(f"{name}: a whole number of days from 0 to {MAX_WINDOW_DAYS}")
        self.query_one("#window-error", Static).update("\n".join(problems))
        return not problems

    def _clear_errors(self) -> None:
        for widget_id in set(ERROR_BESIDE.values()) - {"window-error"}:
            self.query_one(f"#{widget_id}", Static).update("")

    def show_error_beside(self, field: str, text: str) -> None:
        """An option's problem under its field, scrolled into view."""
        widget = self.query_one(f"#{ERROR_BESIDE.get(field, 'form-error')}", Static)
        widget.update(text)
        self.call_after_refresh(widget.scroll_visible, animate=False)

    def changes(self) -> dict | None:
        """The form as option changes, or None (with the reason shown inline) if it is not valid."""
        self._clear_errors()
        if not self._check_window():
            self.call_after_refresh(self.query_one("#window-error").scroll_visible, animate=False)
            return None
        calendar = self.query_one("#calendar", Select).value
        if calendar is Select.NULL:
            self.show_error_beside("calendar", "Choose a calendar to sync.")
            return None
        sync_type = self.query_one("#sync-type", RadioSet).pressed_button
        private = self.query_one("#private", RadioSet).pressed_button
        save_as = self.query_one("#save-as", Select).value
        account = self.app.store.account(self.account_id)
        return {
            "calendar": calendar,
            "sync_type": sync_type.id if sync_type else account.options.sync_type,
            "save_as": save_as if save_as is not Select.NULL else account.options.save_as,
            "push_types": list(self.query_one("#push-types", SelectionList).selected),
            "private": private.id.removeprefix("private-")
            if private and private.id
            else account.options.private,
            "linked_contacts": self.query_one("#linked-contacts", Switch).value,
            "create_persons": self.query_one("#create-persons", Switch).value,
            "import_blocks": [
                k for k in IMPORT_BLOCKS if self.query_one(f"#import-{k}", Switch).value
            ],
            "window_past_days": int(self.query_one("#window-past", Input).value),
            "window_future_days": int(self.query_one("#window-future", Input).value),
        }

    def action_save(self) -> None:
        self.action_start()

    @on(Input.Submitted, "#window-past, #window-future")
    @on(Button.Pressed, "#start-button")
    def action_start(self) -> None:
        if any(w.is_running for w in self.workers if w.group == "options-save"):
            return
        if not self.query_one("#form").display:
            return
        changes = self.changes()
        if changes is not None:
            self.query_one("#start-button", Button).disabled = True
            self.save(changes)

    @work(thread=True, group="options-save", exit_on_error=False, description="Saving the options")
    def save(self, changes: dict) -> None:
        app = self.app
        account = app.store.account(self.account_id)
        asyncio.run(
            engine.set_options(
                app.store, app.vault, account, changes, transport=app.transport_for(account)
            )
        )

    def _show_error(self, error: BaseException | None) -> None:
        self.query_one("#start-button", Button).disabled = False
        if isinstance(error, OptionError):
            self.show_error_beside(error.field, error.app_text)
        elif isinstance(error, CalsyncError):
            self.show_error_beside("", in_app_words(str(error)))
        else:
            self.app.push_screen(ErrorDialog.for_error("Could not save the options", error))

    def _saved(self) -> None:
        from .preview import PreviewScreen

        app = self.app
        if self.then == "preview":
            app.switch_screen(PreviewScreen(self.account_id))
        else:
            app.notify("Options saved", timeout=2)
            app.open_log(self.account_id)
            app.start_syncing(self.account_id)

    @on(Button.Pressed, "#back-button")
    def action_back(self) -> None:
        """Back to where the options were opened from: the log, or Calendar sync."""
        self.app.pop_screen()
