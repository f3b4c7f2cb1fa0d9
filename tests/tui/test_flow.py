"""The whole flow a new user goes through, driven with the pilot and checked in the sandbox."""

from __future__ import annotations

from collections import Counter

from textual.widgets import Input, Select, SelectionList, Switch

from sync.mapping import MARKER_PREFIX, ORIGIN_KEY
from tui.dialogs.confirm import ConfirmDialog
from tui.screens.home import HomeScreen
from tui.screens.options import OptionsScreen
from tui.screens.preview import PreviewScreen
from tui.screens.sync_log import SyncLogScreen

from .conftest import admin


def no_duplicates(state: dict) -> tuple[int, int]:
    """Each item we copied exists once on the other side; returns how many copies each side has."""
    primary = next(c for c in state["google"]["calendars"] if c.get("primary"))
    origins = Counter(
        ((e.get("extendedProperties") or {}).get("private") or {}).get(ORIGIN_KEY)
        for e in primary["events"]
        if e.get("status") != "cancelled"
    )
    origins.pop(None, None)
    markers = Counter(
        (a.get("note") or "").split(MARKER_PREFIX, 1)[1].split()[0]
        for a in state["pipedrive"]["activities"]
        if not a.get("is_deleted") and MARKER_PREFIX in (a.get("note") or "")
    )
    assert [o for o, n in origins.items() if n > 1] == []
    assert [m for m, n in markers.items() if n > 1] == []
    return sum(origins.values()), sum(markers.values())


class TestNewUserFlow:
    async def test_add_sync_stop_reconnect(self, make_app, sandbox_app, settle):
        app = make_app()
        async with app.run_test(size=(120, 34)) as pilot:
            # An empty home opens on "Calendar sync" with "Add new account" in view.
            assert isinstance(app.screen, HomeScreen)
            button = app.screen.query_one("#add-account-button")
            assert button.region.bottom <= app.size.height
            await pilot.click("#add-account-button")
            await pilot.click("#connect")  # the offline sandbox is the default
            await settle(
                pilot,
                lambda: (
                    isinstance(app.screen, OptionsScreen) and app.screen.query_one("#form").display
                ),
            )

            # Set options: fewer days ahead, calls and meetings only to the calendar.
            options = app.screen
            options.query_one("#window-future", Input).value = "200"
            push = options.query_one("#push-types", SelectionList)
            for key in ("task", "deadline", "email", "lunch"):
                push.deselect(key)
            options.query_one("#import-focus-time", Switch).value = True  # focus time as busy
            await pilot.press("ctrl+s")
            await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.events)
            assert app.store.account("1").options.import_blocks == ("focus-time",)
            planned = Counter((e.kind, e.side) for e in app.screen.events)
            assert planned[("create", "google")] > 0 and planned[("create", "pipedrive")] > 0
            assert any(e.title == "Fokustid" for e in app.screen.events if e.kind == "create")

            await pilot.click("#start-button")
            await settle(
                pilot, lambda: isinstance(app.screen, SyncLogScreen) and app.sessions["1"].runs == 1
            )
            session = app.sessions["1"]
            assert session.totals[("create", "google")] == planned[("create", "google")]
            assert session.totals[("create", "pipedrive")] == planned[("create", "pipedrive")]
            log_text = "\n".join(line.text for line in app.screen.query_one("#log").lines)
            assert "→ Google" in log_text and "→ Pipedrive" in log_text

            # Churn: ten minutes pass in the sandbox; "Sync now" brings the edits over.
            sandbox_app.state.sandbox.clock.advance(600)
            await pilot.press("s")
            await settle(pilot, lambda: session.runs == 2)
            second = [e for e in session.events if e.kind in ("create", "update", "delete")]
            assert len(second) > sum(planned[k] for k in planned if k[0] == "create")

            # Stop syncing (confirmed): the account moves to "Previously synced".
            await pilot.press("x")
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.click("#yes")
            await settle(
                pilot,
                lambda: (
                    isinstance(app.screen, HomeScreen) and app.screen.query("#previous AccountCard")
                ),
            )
            assert not app.screen.query("#active AccountCard")
            assert app.store.account("1").state == "previously_synced"

            # Reconnect: the options come back pre-filled.
            await pilot.click("#reconnect-1")
            await settle(
                pilot,
                lambda: (
                    isinstance(app.screen, OptionsScreen) and app.screen.query_one("#form").display
                ),
            )
            assert app.screen.query_one("#window-future", Input).value == "200"
            assert app.screen.query_one("#calendar", Select).value == "primary"
            assert set(app.screen.query_one("#push-types", SelectionList).selected) == {
                "call",
                "meeting",
            }
            assert app.screen.query_one("#import-focus-time", Switch).value is True
            assert app.screen.query_one("#import-out-of-office", Switch).value is False

            # Start syncing again: nothing new to create, and no duplicates on either side.
            await pilot.press("ctrl+s")
            await settle(pilot, lambda: isinstance(app.screen, SyncLogScreen) and session.runs == 3)
            # The log since "Reconnected" (a run that only skips what was skipped before
            # leaves no lines): nothing was created again.
            lines = list(session.events)
            since = [i for i, e in enumerate(lines) if e.kind == "note"][-1]
            assert "Reconnected" in lines[since].reason
            assert [e for e in lines[since:] if e.kind == "create"] == []
            state = (await admin(sandbox_app, "GET", "/_sandbox/state")).json()
            on_google, on_pipedrive = no_duplicates(state)
            assert on_google > 0 and on_pipedrive > 0
            assert app.store.account("1").state == "active"
