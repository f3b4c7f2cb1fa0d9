"""A run's progress per side and an honest time left.

The two sides go at different speeds, each set by its own limit (Google: calls a minute per
user; Pipedrive: requests per 2 seconds), so the time left is the slower side's. A side's
time is its writes left at the slower of two rates: what its limit allows (known once the
service has told, see sync/pacing.py) and what it has managed so far in this run. Early
bursts (a quota not yet used up) make the measured rate look better than it will stay; the
limit keeps the estimate honest.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable


class Progress:
    def __init__(
        self,
        totals: Counter[str],
        limit_rate: Callable[[str], float | None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.totals = totals
        self.done: Counter[str] = Counter()
        self.limit_rate = limit_rate  # writes a second a side's limit allows (None: none known)
        self.clock = clock
        self.started = clock()

    def add(self, side: str, n: int) -> None:
        self.done[side] += n

    def seconds_left(self) -> float | None:
        """The slower side's time left; None while a side has neither a limit nor a rate yet."""
        elapsed = self.clock() - self.started
        worst = 0.0
        for side, total in self.totals.items():
            left = total - self.done[side]
            if left <= 0:
                continue
            limit = self.limit_rate(side)
            measured = self.done[side] / elapsed if self.done[side] and elapsed >= 1.0 else None
            if limit is None and measured is None:
                return None
            rate = min(r for r in (limit, measured) if r is not None)
            worst = max(worst, left / rate)
        return worst
