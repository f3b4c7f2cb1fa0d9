"""One account's live sync session: its events, counters, progress and state, kept by the app."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sync.models import SyncEvent

MAX_EVENTS = 5000
WRITE_KINDS = ("create", "update", "delete")

# States shown on the first screen: "syncing" (a run is going), "idle" (waiting for the next
# run), "guarded" (held by the mass-deletion guard), "error", "stopped" (no watch running).
SessionState = str


def _set_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


@dataclass(frozen=True)
class Note:
    """A line of the app's own in an account's log (stopped, reconnected): shaped like a
    SyncEvent so that the log shows and filters it the same way."""

    reason: str
    at: datetime | None = None
    kind: str = "note"
    side: None = None
    title: str = ""
    when: date | None = None
    item_id: None = None
    detail: dict[str, Any] = field(default_factory=dict)


LogLine = SyncEvent | Note


@dataclass
class SyncSession:
    """What the app knows about an account's watch: owned by the UI thread, except the
    `stop`/`wake` events and `next_run`, which the worker thread reads or sets."""

    account_id: str
    events: deque[LogLine] = field(default_factory=lambda: deque(maxlen=MAX_EVENTS))
    """What the log shows: a run's lines, less the skips it already showed this session."""
    totals: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    state: SessionState = "stopped"
    progress: tuple[int, int] | None = None
    # The engine's time left at its last progress event, and when that event came.
    left_at: tuple[float, float] | None = None
    clock: Callable[[], float] = time.monotonic
    next_run: datetime | None = None
    error: str | None = None
    runs: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)
    force_next: bool = False
    finished: threading.Event = field(default_factory=_set_event)
    """Set while no watch thread runs for this account (the app waits for it on quit)."""
    skipped_seen: set[tuple[str | None, str]] = field(default_factory=set)
    """Skips shown this session (item, reason): each is shown and counted once."""
    skips_again: int = 0
    """Skips of an item already shown (every run skips it again): counted, not shown."""
    _held: list[SyncEvent] = field(default_factory=list)
    _news: bool = False

    @property
    def watching(self) -> bool:
        return self.state in ("syncing", "idle")

    def record(self, event: SyncEvent) -> list[LogLine]:
        """Count an event and move the state along; returns what the log shows now.

        A skip already shown this session is only counted. A later run's opening lines
        (start, fetch) wait until it does something new, so that a watch whose every run
        skips the same items does not fill the log with the same run again and again."""
        if event.kind == "progress":
            self.progress = (int(event.detail.get("done", 0)), int(event.detail.get("total", 0)))
            left = event.detail.get("seconds_left")
            self.left_at = (float(left), self.clock()) if left is not None else None
            return []
        if event.kind == "done" and event.detail.get("quiet"):
            self.runs += 1  # an idle run: counted, not kept (a watch polls every few seconds)
            return []
        first_run = self.runs == 0
        if event.kind == "start":
            self.state, self.progress, self.error = "syncing", None, None
            self.left_at = None
            self._held, self._news = [], False
        elif event.kind == "done":
            self.runs += 1
            self.progress = None
            if self.state == "syncing":
                self.state = "idle"
        elif event.kind == "guard":
            self.state = "guarded"
        if event.kind == "skip":
            key = (event.item_id, event.reason)
            if key in self.skipped_seen:
                self.skips_again += 1
                return []
            self.skipped_seen.add(key)
        if event.kind in (*WRITE_KINDS, "conflict", "skip", "error"):
            self.totals[(event.kind, event.side)] += 1
        if not first_run and not self._news and event.kind in ("start", "fetch"):
            self._held.append(event)
            return []
        if not first_run and event.kind == "done" and not self._news and self._held:
            self._held = []  # nothing new in this run: it leaves no lines
            return []
        self._news = True
        shown: list[LogLine] = [*self._held, event]
        self._held = []
        self.events.extend(shown)
        return shown

    def note(self, text: str, at: datetime | None) -> Note:
        """Put a line of the app's own into the log (stopped, reconnected)."""
        line = Note(text, at)
        self.events.append(line)
        return line

    def time_left(self) -> float | None:
        """Seconds the run's writes still need: the engine's estimate (from the services'
        limits and the run's own pace, sync/progress.py), counted down since it came."""
        if not self.progress or self.left_at is None:
            return None
        left, at = self.left_at
        return max(0.0, left - (self.clock() - at))

    def conflicts(self) -> list[SyncEvent]:
        return [e for e in self.events if isinstance(e, SyncEvent) and e.kind == "conflict"]


class Batcher:
    """Collects a run's events in the worker thread and posts them in batches: at most
    every `every` seconds or `size` events, and at once for the events that change state."""

    def __init__(
        self, post: Callable[[tuple[SyncEvent, ...]], object], every: float = 0.1, size: int = 200
    ) -> None:
        self.post = post
        self.every = every
        self.size = size
        self.buffer: list[SyncEvent] = []
        self.last = time.monotonic()

    def add(self, event: SyncEvent) -> None:
        self.buffer.append(event)
        urgent = event.kind in ("start", "done", "guard", "error")
        if urgent or len(self.buffer) >= self.size or time.monotonic() - self.last >= self.every:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.post(tuple(self.buffer))
            self.buffer = []
        self.last = time.monotonic()
