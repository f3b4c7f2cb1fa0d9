"""Progress of a long `calsync sync --once` on the command line: on a terminal, a bar that
updates in place below the event lines (writes done of planned, and the time left from the
services' limits and the run's pace, as the app shows it); elsewhere, plain lines.

rich (which Textual is built on) draws the bar; the engine sends the counts as `progress`
events (sync/executor.py), and each write event moves the bar on between them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO

from rich.console import Console as RichConsole
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from .models import SyncEvent
from .wording import time_left

WRITES = ("create", "update", "delete", "error")


class LiveProgress:
    """Event lines and a progress bar on one terminal; a no-op bar when there is nothing long."""

    def __init__(self, out: IO[str], clock: Callable[[], float] = time.monotonic) -> None:
        # The caller saw a terminal: draw on it even where TERM says little (cron mails, CI).
        self.console = RichConsole(
            file=out, highlight=False, markup=False, soft_wrap=True, force_terminal=True
        )
        self.clock = clock
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.left: tuple[float, float] | None = None  # (seconds left, when the engine said it)

    def line(self, text: str) -> None:
        """An event line, printed above the bar."""
        self.console.print(text, markup=False, highlight=False)

    def event(self, event: SyncEvent) -> None:
        if event.kind == "progress":
            self._progress(event)
        elif self.bar is not None and self.task is not None and event.kind in WRITES and event.side:
            self.bar.advance(self.task)
            self._left()

    def _progress(self, event: SyncEvent) -> None:
        total, done = int(event.detail.get("total", 0)), int(event.detail.get("done", 0))
        left = event.detail.get("seconds_left")
        self.left = (float(left), self.clock()) if left is not None else None
        if self.bar is None:
            self.bar = Progress(
                TextColumn("writes"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=self.console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("", total=total)
        assert self.task is not None
        self.bar.update(self.task, total=total, completed=done)
        self._left()

    def _left(self) -> None:
        if self.bar is None or self.task is None or self.left is None:
            return
        seconds, at = self.left
        self.bar.update(self.task, description=time_left(max(0.0, seconds - (self.clock() - at))))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def progress_line(event: SyncEvent) -> str:
    """A progress event as a plain line, for output that is not a terminal."""
    done, total = event.detail.get("done", 0), event.detail.get("total", 0)
    left = time_left(event.detail.get("seconds_left"))
    return f"progress: {done:,} of {total:,} writes" + (f", {left}" if left else "")
