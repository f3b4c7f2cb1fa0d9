"""Make the README's screenshot of the live log with the app itself (`app.save_screenshot`):
`python -m tui.screenshot docs/screenshot-live-log.svg`. The demo sandbox runs in-process
with a frozen clock, so the picture is the same every time."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

FROZEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIZE = (120, 34)


async def live_log_screenshot(path: Path) -> Path:
    """Add the demo account, sync, let ten minutes of churn happen, sync again, and save."""
    from tui.app import CalsyncApp
    from tui.demo import demo_app

    sandbox = demo_app(frozen_time=FROZEN)
    clock = sandbox.state.sandbox.clock
    with tempfile.TemporaryDirectory() as home:
        app = CalsyncApp(Path(home), sandbox=sandbox, clock=clock.now, watch_interval=30)
        async with app.run_test(size=SIZE) as pilot:

            async def until(check, timeout: float = 60) -> None:
                deadline = time.monotonic() + timeout
                while not check():
                    if time.monotonic() > deadline:
                        raise RuntimeError("the demo sync did not finish")
                    await pilot.pause(0.05)

            await pilot.click("#add-account-button")
            await pilot.click("#connect")
            await until(
                lambda: (
                    getattr(app.screen, "account_id", None) == "1"
                    and app.screen.query_one("#form").display
                )
            )
            await pilot.press("ctrl+s")
            await until(lambda: bool(getattr(app.screen, "events", None)))
            await pilot.press("ctrl+s")
            await until(lambda: "1" in app.sessions and app.sessions["1"].runs == 1)
            clock.advance(600)
            await pilot.press("s")
            await until(lambda: app.sessions["1"].runs == 2 and app.sessions["1"].state == "idle")
            app.clear_notifications()
            await pilot.pause(0.3)
            path.parent.mkdir(parents=True, exist_ok=True)
            app.save_screenshot(filename=path.name, path=str(path.parent))
    return path


def main(argv: list[str]) -> int:
    os.environ.setdefault("CALSYNC_KEYRING", "off")
    target = Path(argv[0] if argv else "docs/screenshot-live-log.svg")
    print(asyncio.run(live_log_screenshot(target)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
