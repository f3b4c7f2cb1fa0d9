"""Idle polls kept out of what a person reads: the app's live log and `sync --watch`'s lines.

A watch polls every few seconds; a poll that finds nothing would otherwise print its start
and fetch lines each time. Both front ends pass a run's events through QuietIdleRuns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from .models import RunSummary, SyncEvent


class QuietIdleRuns:
    """Keeps the log for runs that did something: a run's opening events (start, fetch) are
    held until it writes, skips or fails anything; a run that did nothing reaches `add` as its
    `done` alone, marked `quiet` (shown by no log; its summary still counts). The first run
    of a watch is not held (`quiet=False`)."""

    OPENING = ("start", "fetch")

    def __init__(self, add: Callable[[SyncEvent], None], *, quiet: bool) -> None:
        self.add = add
        self.held: list[SyncEvent] = []
        self.holding = quiet

    def add_event(self, event: SyncEvent) -> None:
        if self.holding and event.kind in self.OPENING:
            self.held.append(event)
            return
        if (
            self.holding
            and event.kind == "done"
            and RunSummary.from_json(event.detail.get("summary") or {}).idle
        ):
            self.held = []
            self.add(dataclasses.replace(event, detail={**event.detail, "quiet": True}))
            return
        self.release()
        self.add(event)

    def release(self) -> None:
        """Pass on what is held (the run turned out to do something, or it was cut short)."""
        self.holding = False
        for event in self.held:
            self.add(event)
        self.held = []
