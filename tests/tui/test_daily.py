"""The app at the seams a user meets in the first week (issue 14), driven with the pilot:
options without placeholders and with errors beside their fields, sign-ins that cancel,
one time zone and calendar names, log lines that fit, and the small things."""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

import pytest
from rich.text import Text
from textual.widgets import DataTable, Footer, Input, RichLog, Select, Static
from textual.widgets._footer import FooterKey
from textual.widgets._select import InvalidSelectValueError

from sync.commands import event_line as cli_line
from sync.store import AccountExtra
from sync.when import TimeView
from tests.test_real_connect import Browser, RealWorld
from tests.test_real_connect import world as world  # noqa: F401  (the fixture)
from tui.app import CalsyncApp
from tui.format import item_name
from tui.help import HelpScreen
from tui.screens.add_account import AddAccountScreen
from tui.screens.home import HomeScreen
from tui.screens.options import OptionsScreen
from tui.screens.preview import PreviewScreen, by_date
from tui.screens.sync_log import SyncLogScreen

from .conftest import FROZEN

TEAM_ID = "c_7k2m9q4s1t8v3r6p0n5l2j4h6f@group.calendar.google.com"


def text_of(widget) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


def log_text(screen: SyncLogScreen) -> list[str]:
    return [line.text for line in screen.query_one("#log", RichLog).lines]


async def until(pilot, condition, what: str, tries: int = 500, on_fail=lambda: "") -> None:
    """Poll `condition` between app turns, a bounded number of times."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never happened: {what} {on_fail()}")


async def open_options(pilot, settle, then: str = "preview") -> OptionsScreen:
    pilot.app.open_options("1", then=then)
    await settle(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, OptionsScreen)
            and pilot.app.screen.query_one("#form").display
        ),
    )
    return pilot.app.screen


def in_view(screen, widget) -> bool:
    return screen.region.contains_region(widget.region) and widget.region.height > 0


# -- 2: no placeholder, the app's own words, errors beside their field ---------------------


class TestOptionsWords:
    async def test_no_placeholder_is_a_choice(self, make_app, connect, settle):
        connect()
        app = make_app()
        async with app.run_test(size=(120, 34)) as pilot:
            screen = await open_options(pilot, settle)
            for select_id in ("#calendar", "#save-as"):
                select = screen.query_one(select_id, Select)
                assert select.value is not Select.NULL
                with pytest.raises(InvalidSelectValueError):
                    select.clear()  # no blank entry to go back to
            labels = [str(o[0]) for o in screen.query_one("#calendar", Select)._options]
            assert not [label for label in labels if "Loading" in label or label == ""]

    async def test_an_error_shows_under_its_field_in_the_apps_words(
        self, make_app, connect, settle, sandbox_app
    ):
        connect()
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_options(pilot, settle)
            screen.query_one("#calendar", Select).value = TEAM_ID
            # The calendar goes away (or its type is retired) before the options are saved.
            google = sandbox_app.state.sandbox.google
            google.calendars.pop(TEAM_ID)
            await pilot.press("ctrl+s")
            await settle(pilot)
            error = screen.query_one("#calendar-error", Static)
            words = text_of(error)
            assert "not in your calendar list" in words
            for internal in ("--", "Select.", "calsync ", "NULL"):
                assert internal not in words
            assert text_of(screen.query_one("#form-error", Static)) == ""
            await pilot.pause()
            assert in_view(screen, error)

    async def test_skip_reasons_name_options_not_flags(self, make_app, connect, settle):
        connect(private="skip")
        app = make_app()
        async with app.run_test(size=(200, 40)) as pilot:
            app.previewed("1")  # the user looked and started syncing
            app.open_log("1")
            await settle(pilot, lambda: app.sessions["1"].runs >= 1)
            lines = log_text(app.screen)
            private = [line for line in lines if "private" in line.lower() and "skip" in line]
            assert private and all("--" not in line for line in lines), private
            assert any("Private calendar events: Don't sync private events" in x for x in private)
            assert not any("type 'lunch'" in line for line in lines)


# -- 3: a pending sign-in cancels at once, its port freed ----------------------------------


class WaitingBrowser(Browser):
    """Consents on `consents` (a URL prefix; nothing: never), and only opens the others."""

    def __init__(self, app, consents: str = "") -> None:
        super().__init__(app)
        self.consents = consents

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        if self.consents and url.startswith(self.consents):
            return super().open(url, new, autoraise)
        self.opened.append(url)
        return True


def port_taken(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def redirect_port(url: str) -> int:
    return urlsplit(parse_qs(urlsplit(url).query)["redirect_uri"][0]).port


async def start_sign_in(pilot, world: RealWorld, token: str = "") -> AddAccountScreen:
    await pilot.press("a")
    screen = pilot.app.screen
    await pilot.click("#google")
    screen.query_one("#client-secret", Input).value = str(world.client_secret)
    screen.query_one("#pipedrive-token", Input).value = token
    screen.query_one("#pipedrive-token", Input).focus()
    await pilot.press("enter")  # Enter in a field submits
    return screen


@pytest.fixture
def waiting(world, monkeypatch):
    from google_auth_oauthlib import flow as oauth_flow

    def use(consents: str = "") -> WaitingBrowser:
        browser = WaitingBrowser(world.app, consents)
        world.browser = browser
        monkeypatch.setattr(oauth_flow.webbrowser, "get", lambda name=None: browser)
        monkeypatch.setattr("tui.screens.add_account.can_open_browser", lambda: True)
        return browser

    return use


class TestSignInCancel:
    @pytest.mark.parametrize("how", ["escape", "cancel"])
    async def test_a_waiting_google_sign_in_cancels_at_once(self, world, waiting, home, how):
        browser = waiting()
        app = CalsyncApp(home)
        async with app.run_test(size=(120, 34)) as pilot:
            screen = await start_sign_in(pilot, world, token=world.sandbox.pipedrive.api_token)
            await until(pilot, lambda: browser.opened, "the consent page opened")
            port = redirect_port(browser.opened[0])
            assert port_taken(port)
            assert "Sign-in address" in text_of(screen.query_one("#auth-url"))
            if how == "escape":
                await pilot.press("escape")
            else:
                await pilot.click("#cancel")
            await until(pilot, lambda: not screen._signing_in(), "the sign-in stopped")
            assert not port_taken(port)
            assert app.screen is screen  # still here, saying so; nothing was saved
            assert "Sign-in cancelled" in text_of(screen.query_one("#field-error"))
            assert app.store.accounts() == []
            await pilot.press("escape")
            assert isinstance(app.screen, HomeScreen)

    async def test_a_waiting_pipedrive_sign_in_cancels_at_once(
        self, world, waiting, home, monkeypatch
    ):
        from sandbox.state import PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        monkeypatch.setenv("CALSYNC_PIPEDRIVE_CLIENT_ID", PIPEDRIVE_CLIENT_ID)
        monkeypatch.setenv("CALSYNC_PIPEDRIVE_CLIENT_SECRET", PIPEDRIVE_CLIENT_SECRET)
        monkeypatch.setenv(
            "CALSYNC_PIPEDRIVE_REDIRECT_URI", f"http://localhost:{port}/pipedrive/callback"
        )
        browser = waiting(consents="https://accounts.google.com/")
        app = CalsyncApp(home)
        async with app.run_test(size=(120, 34)) as pilot:
            screen = await start_sign_in(pilot, world)
            await until(
                pilot,
                lambda: len(browser.opened) == 2,
                "Pipedrive's consent page",
                on_fail=lambda: (
                    app.screen,
                    browser.opened,
                    browser.errors,
                    list(app.workers),
                    text_of(screen.query_one("#status")),
                    [t.is_alive() for t in browser.threads],
                ),
            )
            assert port_taken(port)
            status = text_of(screen.query_one("#status"))
            assert "Pipedrive sign-in" in status and "Esc cancels" in status
            await pilot.press("escape")
            await until(pilot, lambda: not screen._signing_in(), "the sign-in stopped")
            assert not port_taken(port)
            assert app.store.accounts() == []

    async def test_a_sign_in_that_runs_out_of_time_says_to_connect_again(
        self, world, waiting, home, monkeypatch
    ):
        from tui.dialogs.error import ErrorDialog

        waiting()
        monkeypatch.setattr(AddAccountScreen, "sign_in_timeout", 0.2)
        app = CalsyncApp(home)
        async with app.run_test(size=(120, 34)) as pilot:
            await start_sign_in(pilot, world, token=world.sandbox.pipedrive.api_token)
            await until(
                pilot,
                lambda: isinstance(app.screen, ErrorDialog) and app.screen.query("#hint"),
                "the error",
            )  # the dialog composed, not only pushed
            hint = text_of(app.screen.query_one("#hint"))
            assert "Connect" in hint and "Reconnect" not in hint
            assert "within 0.2 seconds" in text_of(app.screen.query_one("#message"))


# -- 7 and 8: one time zone, calendar names, what stays at 80x24 ---------------------------


class TestTimesAndNames:
    async def test_the_app_and_the_cli_show_the_same_time_with_a_year_outside_this_one(
        self, make_app, connect, settle, sandbox_app
    ):
        sandbox = sandbox_app.state.sandbox
        sandbox.churn.set_rate(0)
        sandbox.google.insert_event(
            sandbox.google.owner_email,
            {
                "summary": "Kick-off next year",
                "start": {"dateTime": "2027-01-15T10:00:00+01:00"},
                "end": {"dateTime": "2027-01-15T11:00:00+01:00"},
            },
        )
        connect()
        app = make_app()
        async with app.run_test(size=(160, 40)) as pilot:
            app.previewed("1")  # the user looked and started syncing
            app.open_log("1")
            await settle(pilot, lambda: app.sessions["1"].runs >= 1)
            event = next(e for e in app.sessions["1"].events if e.title == "Kick-off next year")
            view = TimeView.for_account(app.store.account("1").extra, FROZEN)
            assert view.when(event.when) == "Fri 15 Jan 2027 10:00"
            line = next(x for x in log_text(app.screen) if "Kick-off next year" in x)
            assert "Fri 15 Jan 2027 10:00" in line and "Fri 15 Jan 2027 10:00" in cli_line(
                event, view
            )
            this_year = next(
                e for e in app.sessions["1"].events if e.kind == "create" and e.when and
                e.when.year == 2026 and isinstance(e.when, type(FROZEN))
            )  # fmt: skip
            assert " 2026" not in view.when(this_year.when)
            head = text_of(app.screen.query_one("#log-head"))
            assert head.count("times in Europe/Stockholm") == 1
            assert "this computer: UTC" in head

    async def test_calendar_names_not_ids_and_what_80x24_keeps(self, make_app, connect, settle):
        connect(calendar=TEAM_ID)
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            app.previewed("1")  # the user looked and started syncing
            app.open_log("1")
            await settle(pilot, lambda: app.sessions["1"].runs >= 1)
            head = app.screen.query_one("#log-head", Static)
            shown = text_of(head)[: head.content_region.width]
            assert shown.startswith("Team · two-way")
            assert TEAM_ID not in text_of(head)
            keys = app.screen.query_one(Footer).query(FooterKey)
            assert {k.description for k in keys} >= {"Back", "Sync now", "Options", "Stop", "Help"}
            for key in keys:  # each shown whole: its key and its label
                assert key.region.right <= 80 and in_view(app.screen, key)
                assert key.region.width >= len(key.key_display) + len(key.description), key
            app.go_home()
            await settle(pilot, lambda: isinstance(app.screen, HomeScreen))
            await until(pilot, lambda: app.screen.query(".account-text"), "the card")
            card = text_of(app.screen.query_one(".account-text", Static))
            assert "Team · Two-way sync" in card and TEAM_ID not in card


# -- 9: log lines fit the real width and name their item -----------------------------------


class TestLogLines:
    async def test_lines_wrap_at_the_real_width_and_follow_a_resize(
        self, make_app, connect, settle
    ):
        connect()
        app = make_app()
        async with app.run_test(size=(200, 40)) as pilot:
            app.previewed("1")  # the user looked and started syncing
            app.open_log("1")
            await settle(pilot, lambda: app.sessions["1"].runs >= 1)
            log = app.screen.query_one("#log", RichLog)
            longest = max(
                (e for e in app.sessions["1"].events if e.reason), key=lambda e: len(e.reason)
            )
            for width in (200, 80):
                await pilot.resize_terminal(width, 40)
                await until(
                    pilot,
                    lambda: log.lines and max(s.cell_length for s in log.lines) <= log.size.width,
                    f"lines at {width} columns",
                )
                text = " ".join(" ".join(line.text.split()) for line in log.lines)
                # Nothing cut: the longest reason is there whole (wrapped at 80 columns).
                assert " ".join(longest.reason.split()[-3:]) in text

    async def test_every_line_names_its_item(self, make_app, connect, settle, sandbox_app):
        from sync.models import SyncEvent
        from tui.format import event_line

        view = TimeView.for_account(AccountExtra(calendar_tz="Europe/Stockholm"), FROZEN)
        untitled = SyncEvent("delete", "google", "", None, "deleted in Pipedrive", "9x1", FROZEN)
        assert "(no title, id 9x1)" in event_line(untitled, view).plain
        titled = SyncEvent("delete", "google", "Team lunch", None, "deleted in Pipedrive", "9x1")
        assert "Team lunch" in event_line(titled, view).plain


# -- 12: the small things ------------------------------------------------------------------


class TestSmallThings:
    async def test_one_way_disabled_fields_say_why(self, make_app, connect, settle):
        connect(sync_type="one-way")
        app = make_app()
        async with app.run_test(size=(120, 34)) as pilot:
            screen = await open_options(pilot, settle)
            assert screen.query_one("#save-as", Select).disabled
            for why in ("#save-as-why", "#private-why"):
                note = screen.query_one(why, Static)
                assert note.display and "two-way" in text_of(note)
            await pilot.click("#two-way")
            await pilot.pause()
            assert not screen.query_one("#save-as-why").display

    async def test_options_from_the_log_go_back_to_the_log_and_say_save(
        self, make_app, connect, settle
    ):
        connect()
        app = make_app()
        async with app.run_test(size=(120, 34)) as pilot:
            app.previewed("1")  # the user looked and started syncing
            app.open_log("1")
            await settle(pilot, lambda: app.sessions["1"].runs >= 1)
            log = app.screen
            await pilot.press("o")
            await settle(
                pilot,
                lambda: (
                    isinstance(app.screen, OptionsScreen) and app.screen.query_one("#form").display
                ),
            )
            labels = [k.description for k in app.screen.query_one(Footer).query(FooterKey)]
            assert "Save" in labels and "Start syncing" not in labels
            assert str(app.screen.query_one("#start-button").label) == "Save"
            await pilot.press("escape")
            assert app.screen is log

    async def test_add_account_focuses_the_choice_and_says_already_connected(
        self, make_app, connect, settle
    ):
        app = make_app()
        async with app.run_test(size=(120, 34)) as pilot:
            await pilot.press("a")
            assert app.focused is app.screen.query_one("#source")
            await pilot.press("down", "enter")  # moves within the choice: connects nothing
            assert isinstance(app.screen, AddAccountScreen) and app.store.accounts() == []
            await pilot.press("up", "enter")
            await pilot.click("#connect")
            await settle(pilot, lambda: isinstance(app.screen, OptionsScreen))
            app.go_home()
            await pilot.press("a")
            await pilot.click("#connect")
            await settle(pilot, lambda: isinstance(app.screen, OptionsScreen))
            toasts = [n.message for n in app._notifications]
            assert any("already connected: opened its options" in t for t in toasts), toasts
            assert len(app.store.accounts()) == 1

    async def test_the_palette_and_help_offer_what_applies(self, make_app, connect, settle):
        from tui.commands import available

        app = make_app()
        async with app.run_test(size=(120, 34)) as pilot:
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            assert "account: reconnect" not in app.screen.text
            await pilot.press("escape")
            assert [n for n, _, _ in available(app)] == []
            from textual.command import CommandPalette

            await pilot.press("ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
            await pilot.press(*"theme")
            await pilot.pause(0.3)
            hits = [str(o.prompt) for o in app.screen.query_one("CommandList").options]
            assert len([h for h in hits if h.lower().startswith("theme")]) == 1, hits

    async def test_the_preview_sorted_labelled_counted_and_focused(self, make_app, connect, settle):
        connect(push_types=["call", "meeting"])
        app = make_app()
        async with app.run_test(size=(120, 34)) as pilot:
            app.push_screen(PreviewScreen("1"))
            await settle(pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.events)
            table = app.screen.query_one("#items", DataTable)
            assert app.focused is table
            rows = [table.get_row_at(i) for i in range(table.row_count)]
            listed = [e for e in app.screen.events if e.kind in ("create", "update", "skip")]
            assert [str(r[2]) for r in rows] == [item_name(e) for e in sorted(listed, key=by_date)]
            assert [e.when for e in sorted(listed, key=by_date)] != [e.when for e in listed]
            skips = [r for r in rows if str(r[0]) == "skip"]
            assert skips and all(r[1] in ("in Google", "in Pipedrive") for r in skips)
            assert any("type Lunch" in str(r[4]) for r in skips)
            assert not any("'lunch'" in str(r[4]) for r in rows)
            note = text_of(app.screen.query_one("#plan-note"))
            assert " item(s)" not in note and " items will be skipped" in note
            row_before = table.cursor_row
            await pilot.press("down")
            assert table.cursor_row == row_before + 1

    async def test_a_repeated_skip_shows_once_and_stop_reconnect_leave_lines(
        self, make_app, connect, settle, sandbox_app
    ):
        connect(push_types=["call"])
        sandbox_app.state.sandbox.churn.set_rate(0)
        app = make_app()
        async with app.run_test(size=(160, 40)) as pilot:
            app.previewed("1")  # the user looked and started syncing
            app.open_log("1")
            await settle(pilot, lambda: app.sessions["1"].runs >= 1)
            session = app.sessions["1"]
            first = log_text(app.screen)
            skipped = sum(1 for line in first if " skip " in line)
            assert skipped > 0
            for n in (2, 3):
                sandbox_app.state.sandbox.clock.advance(25 * 3600)  # a full reconcile again
                await pilot.press("s")
                await settle(pilot, lambda n=n: session.runs >= n)
            assert sum(1 for line in log_text(app.screen) if " skip " in line) == skipped
            assert session.skips_again >= 2 * skipped
            assert f"skipped {skipped} (+" in text_of(app.screen.query_one("#counters"))
            app.stop_syncing("1")
            await settle(pilot, lambda: app.store.account("1").state == "previously_synced")
            app.reconnect("1")
            await settle(pilot, lambda: isinstance(app.screen, OptionsScreen))
            notes = [e.reason for e in session.events if e.kind == "note"]
            assert notes[0].startswith("Stopped syncing") and notes[1].startswith("Reconnected")

    async def test_the_intro_does_not_promise_both_ways(self, make_app, connect, settle):
        connect(sync_type="one-way")
        app = make_app()
        async with app.run_test(size=(120, 34)) as pilot:
            await pilot.pause()
            intro = text_of(app.screen.query_one("#intro"))
            assert "changes flow both ways" not in intro and "one-way" in intro
