"""Pipedrive's rate limits: a burst limit per token per rolling 2 s and a daily token budget per company.

What the sandbox sends (a decision, tested in tests/sandbox/test_pipedrive_conformance.py):
- limits off (`LimitsConfig` fields None): no `x-ratelimit-*` and no `x-daily-requests-left`
  headers at all, so a client never mistakes a made-up number for a real budget;
- burst on: `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset` (whole seconds
  until the oldest request leaves the window) on every authenticated response, errors included;
- daily budget on: `x-daily-requests-left` (tokens left today) likewise. The budget resets at
  UTC midnight of the sandbox clock;
- over either: 429 in Pipedrive's envelope with `Retry-After` in whole seconds.
The sandbox reads the sandbox clock: a frozen clock only frees the window when advanced.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import UTC, date, datetime, time, timedelta

from ..limits import LimitsConfig, SlidingWindow
from . import errors

WINDOW_SECONDS = 2.0

# The sandbox's token cost per operation (Pipedrive publishes costs per endpoint; these are
# the sandbox's numbers, in the spirit of the real table: lists cost more than single reads).
COSTS = {
    "list": 10,
    "get": 1,
    "create": 5,
    "update": 5,
    "delete": 3,
    "search": 20,
    "users/me": 2,
    "activityTypes": 2,
}


class RateLimiter:
    """Per-token burst windows and the company's daily token count."""

    def __init__(self) -> None:
        self.windows: dict[str, SlidingWindow] = {}
        self.day: date | None = None
        self.used = 0
        self._lock = threading.Lock()

    def _window(self, token: str, limit: int) -> SlidingWindow:
        window = self.windows.get(token)
        if window is None or window.limit != limit:
            # A changed plan keeps the recent hits and applies the new limit to them.
            window = SlidingWindow(limit, WINDOW_SECONDS, deque(window.hits) if window else deque())
            self.windows[token] = window
        return window

    def charge(
        self, limits: LimitsConfig | None, token: str, cost: int, now: datetime
    ) -> dict[str, str]:
        """Count one request costing `cost` tokens; the headers to send, or a 429 error carrying them."""
        headers: dict[str, str] = {}
        if limits is None:
            return headers
        ts = now.timestamp()
        with self._lock:
            if limits.pipedrive_burst_per_2s is not None:
                window = self._window(token, limits.pipedrive_burst_per_2s)
                allowed = window.try_hit(ts)
                reset = window.reset_in(ts)
                headers["x-ratelimit-limit"] = str(window.limit)
                headers["x-ratelimit-remaining"] = str(window.remaining(ts))
                headers["x-ratelimit-reset"] = str(math.ceil(reset))
                if not allowed:
                    headers["retry-after"] = str(max(1, math.ceil(reset)))
                    raise errors.too_many_requests(headers)
            budget = limits.pipedrive_daily_tokens
            if budget is not None:
                today = now.astimezone(UTC).date()
                if today != self.day:
                    self.day, self.used = today, 0
                if self.used + cost > budget:
                    headers["x-daily-requests-left"] = str(max(0, budget - self.used))
                    midnight = datetime.combine(today + timedelta(days=1), time(), UTC)
                    headers["retry-after"] = str(
                        max(1, math.ceil((midnight - now).total_seconds()))
                    )
                    raise errors.daily_budget_exceeded(headers)
                self.used += cost
                headers["x-daily-requests-left"] = str(budget - self.used)
        return headers

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "day": self.day.isoformat() if self.day else None,
                "daily_tokens_used": self.used,
                "tokens_with_burst_windows": len(self.windows),
            }
