"""The TUI log's throughput: SyncEvents rendered per second, headless; prints one JSON object.

    python bench/tui_log.py [--events N] [--batch B]

Feeds N events, B at a time (as the app's worker posts them), into a RichLog set up as the
sync log screen sets it up (tui/screens/sync_log.py: max_lines, no wrap, no markup), each
line made by the app's own formatter (tui.format.event_line; sync.commands.event_line when
the app's is not there), and lets the screen refresh after every batch. The floor is
Textual's plain Log widget fed the same lines as strings. Run in its own process by
bench/run.py, so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sync.models import SyncEvent  # noqa: E402

KINDS = ("create", "update", "create", "skip", "delete", "conflict", "create", "update")


def events(n: int) -> list[SyncEvent]:
    now = datetime.now(UTC)
    return [
        SyncEvent(
            KINDS[i % len(KINDS)],
            ("google", "pipedrive")[i % 2],
            f"Quarterly review with Acme Industries #{i}",
            now + timedelta(hours=i),
            "outside the sync window" if KINDS[i % len(KINDS)] == "skip" else "",
            f"ev{i:08d}",
            now,
            {},
        )
        for i in range(n)
    ]


def formatter():
    """The app's line formatter if the app has one, else the CLI's; and which it is."""
    try:
        from sync.when import TimeView
        from tui.format import event_line

        view = TimeView(ZoneInfo("Europe/Stockholm"), datetime.now(UTC))
        return (lambda e: event_line(e, view)), "tui.format.event_line"
    except ImportError:
        from sync.commands import event_line as cli_line

        return cli_line, "sync.commands.event_line"


async def measure(n: int, batch: int, widget: str) -> float:
    from textual.app import App
    from textual.widgets import Log, RichLog

    try:
        from tui.session import MAX_EVENTS
    except ImportError:
        MAX_EVENTS = 5000
    fmt, _ = formatter()
    feed = events(n)

    class LogApp(App):
        def compose(self):
            if widget == "richlog":
                yield RichLog(
                    id="log", max_lines=MAX_EVENTS, wrap=False, markup=False, auto_scroll=True
                )
            else:
                yield Log(id="log", max_lines=MAX_EVENTS, auto_scroll=True)

    app = LogApp()
    async with app.run_test(size=(120, 34)) as pilot:
        log = app.query_one("#log")
        await pilot.pause()
        started = time.perf_counter()
        for start in range(0, n, batch):
            chunk = feed[start : start + batch]
            if widget == "richlog":
                width = log.scrollable_content_region.width
                for event in chunk:
                    log.write(fmt(event), width=width)
            else:
                from sync.commands import event_line as cli_line

                log.write_lines([cli_line(event) for event in chunk])
            await pilot.pause()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--widget", choices=("richlog", "log"), default="richlog")
    args = parser.parse_args()
    seconds = asyncio.run(measure(args.events, args.batch, args.widget))
    print(
        json.dumps(
            {
                "events": args.events,
                "batch": args.batch,
                "widget": args.widget,
                "formatter": formatter()[1],
                "seconds": seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
