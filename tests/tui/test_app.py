"""Starting and quitting: the first start, and ctrl+q stopping the watch and the sandbox."""

from __future__ import annotations

import os
from pathlib import Path

from tui.app import CalsyncApp
from tui.screens.home import HomeScreen
from tui.screens.options import OptionsScreen
from tui.screens.sync_log import SyncLogScreen


class TestStart:
    async def test_empty_home_opens_on_calendar_sync(self):
        app = CalsyncApp()  # as `calsync` starts it: $CALSYNC_HOME, nothing in it yet
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            assert app.store.home == Path(os.environ["CALSYNC_HOME"])
            button = app.screen.query_one("#add-account-button")
            assert str(button.label) == "+ Add new account"
            assert app.screen.region.contains_region(button.region)
            assert app.focused is button


class TestQuit:
    async def test_ctrl_q_stops_the_watch_and_the_served_sandbox(self, home, settle):
        app = CalsyncApp(home, watch_interval=3600)  # the real demo: uvicorn on a loopback port
        async with app.run_test(size=(120, 34)) as pilot:
            await pilot.click("#add-account-button")
            await pilot.click("#connect")
            await settle(
                pilot,
                lambda: (
                    isinstance(app.screen, OptionsScreen) and app.screen.query_one("#form").display
                ),
            )
            assert app.demo is not None and app.demo.url.startswith("http://127.0.0.1:")
            server_thread = app.demo.running.thread
            app.previewed("1")  # the user looked and started syncing
            app.open_log("1")
            await settle(
                pilot, lambda: isinstance(app.screen, SyncLogScreen) and app.sessions["1"].runs == 1
            )
            watch = app._watchers["1"]
            await pilot.press("ctrl+q")
        assert not server_thread.is_alive()
        assert app.demo.running is None
        assert app.sessions["1"].stop.is_set()
        assert not watch.is_running


async def test_the_palettes_screenshot_is_saved_where_there_is_no_downloads_folder(
    make_app, monkeypatch, tmp_path
):
    """Textual saves screenshots in ~/Downloads and only says "Failed to save screenshot"
    where there is none; the app then saves it in the current folder and says where."""
    monkeypatch.setenv("HOME", str(tmp_path / "no-downloads-home"))
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(tmp_path / "no-downloads-home" / "Downloads"))
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        await pilot.pause()
        app.action_screenshot()
        for _ in range(500):
            if any(n.title == "Screenshot" for n in app._notifications):
                break  # said, once the file is whole (or that it failed)
            await pilot.pause(0.02)
        saved = list(here.glob("*.svg"))
        assert saved, [n.message for n in app._notifications]
        assert str(here) in next(n.message for n in app._notifications if n.title == "Screenshot")
        assert saved[0].read_text().startswith("<svg")
