"""Item text from other people reaches the screen as text: escape sequences shown escaped,
and Textual markup in a title ("[bold red]x[/]", "[@click=app.quit]") shown as typed, never
applied, in the log, the preview and the conflicts view."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widget import Widget
from textual.widgets import DataTable, OptionList, RichLog, Static

from sandbox.app import create_app
from sync.models import SyncEvent
from sync.when import TimeView
from tui.dialogs.conflicts import ConflictsView
from tui.screens.preview import PreviewScreen

from .conftest import FROZEN, admin

MARKUP = "[bold red]x[/] [@click=app.quit]q[/]"
TITLE = f"{MARKUP} \x1b]0;pwned\x07 \x1b[2K\r\u009b1m\u202eevil"
SHOWN = f"{MARKUP} \\x1b]0;pwned\\x07 \\x1b[2K\\r\\x9b1m\\u202eevil"


@pytest.fixture
def sandbox_app():
    """An empty sandbox: the one activity below is the only item."""
    return create_app(seed=1, empty=True, frozen_time=FROZEN)


def lines_of(widget: Widget) -> list[str]:
    """What the widget puts on the screen, line by line (trailing blanks dropped)."""
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


def shown(widget: Widget) -> str:
    """The widget's lines joined by single spaces (so that wrapping does not matter)."""
    return " ".join(" ".join(lines_of(widget)).split())


async def _activity(sandbox_app, subject: str) -> None:
    token = sandbox_app.state.sandbox.pipedrive.api_token
    answer = await admin(
        sandbox_app, "POST", "/api/v2/activities", headers={"x-api-token": token},
        json={"subject": subject, "type": "meeting", "due_date": "2026-03-04",
              "due_time": "10:00", "duration": "01:00"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text


class TestItemText:
    async def test_log_shows_escape_sequences_escaped_and_markup_as_typed(
        self, make_app, connect, sandbox_app, settle
    ):
        connect()
        await _activity(sandbox_app, TITLE)
        app = make_app()
        async with app.run_test(size=(160, 30)) as pilot:
            app.open_log("1")
            await settle(pilot, lambda: app.sessions["1"].runs >= 1)
            log = app.screen.query_one("#log", RichLog)
            text = "\n".join(line.text for line in log.lines)
            assert SHOWN in text and SHOWN in shown(log), text
            for raw in ("\x1b", "\x07", "\r", "\u009b", "\u202e"):
                assert raw not in text
            assert app.is_running  # "[@click=app.quit]" did nothing

    async def test_preview_shows_titles_as_typed(self, make_app, connect, sandbox_app, settle):
        connect()
        await _activity(sandbox_app, TITLE)
        app = make_app()
        async with app.run_test(size=(200, 30)) as pilot:
            app.push_screen(PreviewScreen("1"))
            await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.events)
            table = app.screen.query_one("#items", DataTable)
            assert table.row_count == 1
            assert SHOWN in shown(table), shown(table)

    async def test_conflicts_view_shows_both_versions_as_typed(self, make_app):
        conflict = SyncEvent(
            "conflict",
            "google",
            TITLE,
            datetime(2026, 3, 4, 10, tzinfo=UTC),
            detail={
                "winner": "google",
                "loser": {"side": "pipedrive", "title": TITLE, "location": MARKUP,
                          "description": "first line\n\x1b[1Asecond line"},
            },
        )  # fmt: skip
        app = make_app()
        async with app.run_test(size=(160, 40)) as pilot:
            app.push_screen(ConflictsView([conflict], TimeView(UTC, FROZEN)))
            await pilot.pause()
            assert SHOWN in shown(app.screen.query_one("#conflict-list", OptionList))
            assert SHOWN in shown(app.screen.query_one("#kept", Static))
            lost = shown(app.screen.query_one("#lost", Static))
            assert SHOWN in lost and f"at {MARKUP}" in lost
            lines = [line.strip() for line in lines_of(app.screen.query_one("#lost", Static))]
            assert [line for line in lines if "line" in line] == [
                "first line",
                "\\x1b[1Asecond line",  # the line break kept, the escape shown
            ]
