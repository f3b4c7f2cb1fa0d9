"""A clock the sandbox reads for every timestamp, so tests and cassettes can freeze it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC, or a frozen instant that only moves when told to."""

    def __init__(self, frozen: datetime | None = None) -> None:
        self._frozen = frozen.astimezone(UTC) if frozen else None
        self._lock = threading.Lock()

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def now(self) -> datetime:
        with self._lock:
            return self._frozen if self._frozen is not None else datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        """Move a frozen clock forward (no effect on a real one)."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        with self._lock:
            self._frozen = when.astimezone(UTC)
