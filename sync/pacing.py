"""Client-side pacing: a sliding window of calls, so a quota is met before the service refuses.

Both services count calls over a rolling window (Google: calls a minute per user, each
part of a batch counting; Pipedrive: requests per 2 seconds per token). Waiting here costs
nothing; a refused call costs a round trip, a backoff and, on Google, a part of the quota.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

# Indirections, so tests can run a window on a fake clock.
clock = time.monotonic
sleep = asyncio.sleep


class Window:
    """At most `limit` calls per `seconds` (None: unlimited, calls only counted).

    `seconds` should carry a small margin over the service's own window: its clock starts
    when a call arrives, ours when it leaves."""

    def __init__(self, limit: int | None, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.sent: deque[float] = deque()
        self.waited = 0.0
        self.not_before = 0.0

    @property
    def rate(self) -> float | None:
        """Calls a second the window allows (None: unlimited)."""
        return self.limit / self.seconds if self.limit else None

    def hold(self, seconds: float) -> None:
        """No call leaves for `seconds` (the service said its window is full)."""
        self.not_before = max(self.not_before, clock() + seconds)

    def _trim(self, now: float) -> None:
        while self.sent and self.sent[0] <= now - self.seconds:
            self.sent.popleft()

    def recent(self) -> int:
        """Calls sent within the window."""
        self._trim(clock())
        return len(self.sent)

    async def acquire(self, n: int = 1) -> None:
        """Wait until `n` more calls fit in the window, then count them as sent."""
        while True:
            now = clock()
            if now < self.not_before:
                self.waited += self.not_before - now
                await sleep(self.not_before - now)
                continue
            self._trim(now)
            if self.limit is None:
                break
            n_fit = min(n, self.limit)  # a request bigger than the window waits for all of it
            if len(self.sent) + n_fit <= self.limit:
                break
            # The call that must leave the window before n_fit more fit, and when it leaves.
            delay = self.sent[len(self.sent) + n_fit - self.limit - 1] + self.seconds - now
            self.waited += delay
            await sleep(delay)
        self.sent.extend([now] * n)
