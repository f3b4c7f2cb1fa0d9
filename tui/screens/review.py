"""To review: the items a sync could not decide alone (sync/review.py), one row each: pick
the person or the deal (from the contact index), or dismiss it. The same list and the same
resolutions as `calsync review`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from sync.contact_index import IndexFile
from sync.errors import CalsyncError
from sync.review import ReviewItem, ReviewList
from sync.review_commands import link_item

from ..dialogs.error import ErrorDialog
from ..dialogs.pick import PickDialog

if TYPE_CHECKING:
    from ..app import CalsyncApp

MAX_CHOICES = 500


class ReviewScreen(Screen):
    """One account's open review items."""

    AUTO_FOCUS = "#review-items"
    if TYPE_CHECKING:  # the app this screen runs in, typed (Textual's own idiom)
        app = getters.app(CalsyncApp)

    BINDINGS = [
        Binding("escape", "back", "Back", id="back-review", tooltip="Back"),
        Binding("p", "pick", "Pick", id="pick", tooltip="Pick the person or the deal"),
        Binding("x", "dismiss_item", "Dismiss", id="dismiss", tooltip="Leave the item as it is"),
    ]

    def __init__(self, account_id: str) -> None:
        super().__init__()
        self.account_id = account_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("To review: p picks the person or deal · x dismisses", id="review-head")
        yield DataTable(id="review-items", cursor_type="row", zebra_stripes=True)
        yield Static("", id="review-note")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#review-items", DataTable)
        table.add_columns("Item", "When", "Title", "Why")
        self.refresh_items()

    def _list(self) -> ReviewList:
        return ReviewList(self.app.store.data(self.account_id).folder)

    def refresh_items(self) -> None:
        table = self.query_one("#review-items", DataTable)
        table.clear()
        items = self._list().items()
        for item in items:
            table.add_row(
                item.key, item.start or "", Text(item.title), Text(item.reason), key=item.key
            )
        note = "Nothing to review." if not items else ""
        self.query_one("#review-note", Static).update(note)

    def selected(self) -> ReviewItem | None:
        table = self.query_one("#review-items", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._list().get(str(key)) if key is not None else None

    def choices(self, item: ReviewItem) -> list[tuple[str, str]]:
        """The deals to choose from (a deal item), else the persons, labelled by name."""
        index = IndexFile(self.app.store.data(self.account_id).folder).load()
        if item.code == "deal":
            return [
                (d, f"{index.deals.get(d, {}).get('title', '')} (deal {d})") for d in item.choices
            ]
        persons = sorted(index.persons.items(), key=lambda kv: kv[1].get("name", "").lower())
        return [
            (pid, f"{p.get('name', '')} <{', '.join(p.get('emails') or ())}>")
            for pid, p in persons[:MAX_CHOICES]
        ]

    def action_pick(self) -> None:
        item = self.selected()
        if item is None:
            return
        if item.code == "duplicate":
            self.notify("A possible duplicate: dismiss it (x) to leave it as it is.")
            return
        kind = "deal" if item.code == "deal" else "person"

        def chosen(choice: str | None) -> None:
            if choice is not None:
                self.resolve(item, kind, choice)

        self.app.push_screen(
            PickDialog(f"Pick the {kind} for {item.title}", self.choices(item)), chosen
        )

    def action_dismiss_item(self) -> None:
        item = self.selected()
        if item is None:
            return
        self._list().dismiss(item.key)
        self.refresh_items()
        self.notify(f"Dismissed: {item.title}")

    @work(thread=True, group="review", exit_on_error=False, description="Linking a review item")
    def resolve(self, item: ReviewItem, kind: str, choice: str) -> None:
        app = self.app
        account = app.store.account(self.account_id)
        try:
            asyncio.run(
                link_item(account, app.vault, item, kind, choice, app.transport_for(account))
            )
        except CalsyncError as exc:
            app.call_from_thread(app.push_screen, ErrorDialog("Could not link it", str(exc)))
            return
        self._list().drop(item.key)
        app.call_from_thread(self.refresh_items)
        app.call_from_thread(self.notify, f"Linked: {item.title}")

    def action_back(self) -> None:
        self.app.pop_screen()
