"""Pipedrive's rate limits: a burst limit per token per rolling 2 s and a daily token budget per company.

What the sandbox sends (a decision, tested in tests/sandbox/test_pipedrive_conformance.py):
all four headers on every authenticated answer, errors included, as Pipedrive does:
- `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset` (whole seconds until the
  oldest request leaves the 2-second window) and `x-daily-requests-left` (tokens left today;
  the budget resets at UTC midnight of the sandbox clock);
- a limit that is on is enforced: over it, 429 in Pipedrive's envelope with `Retry-After` in
  whole seconds;
- a limit that is off (`LimitsConfig` field None) is reported with the most generous numbers
  Pipedrive has, the Ultimate plan's (a burst of 480 per 2 s, what it grants OAuth tokens;
  210,000 daily tokens), and never enforced: the window is counted but
  `x-ratelimit-remaining` stops at 1, and nothing is charged to the budget, so
  `x-daily-requests-left` stays at 210,000. A client that paces itself on the headers
  (calsync does) runs at that rate: about 230 requests a second.
The sandbox reads the sandbox clock: a frozen clock only frees the window when advanced.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import UTC, date, datetime, time, timedelta

from ..limits import DAILY_BASE_TOKENS, PLANS, LimitsConfig, SlidingWindow
from . import errors

WINDOW_SECONDS = 2.0
# What a limit that is off reports: the Ultimate plan's numbers (its OAuth burst).
UNENFORCED_BURST = PLANS["ultimate"][0] * 4
UNENFORCED_DAILY = DAILY_BASE_TOKENS * PLANS["ultimate"][1]

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
    "users": 2,
    "activityTypes": 2,
}


class RateLimiter:
    """Per-token burst windows and the company's daily token count."""

    def __init__(self) -> None:
        self.windows: dict[str, SlidingWindow] = {}
        # Windows counted while the burst limit is off: what Pipedrive would see, never
        # carried into an enforced window (turning limits on starts with a clear window).
        self.unenforced: dict[str, SlidingWindow] = {}
        self.day: date | None = None
        self.used = 0
        self._lock = threading.Lock()

    def _window(self, token: str, limit: int, enforced: bool = True) -> SlidingWindow:
        windows = self.windows if enforced else self.unenforced
        window = windows.get(token)
        if window is None or window.limit != limit:
            # A changed plan keeps the recent hits and applies the new limit to them.
            window = SlidingWindow(limit, WINDOW_SECONDS, deque(window.hits) if window else deque())
            windows[token] = window
        return window

    def charge(
        self,
        limits: LimitsConfig | None,
        token: str,
        cost: int,
        now: datetime,
    ) -> dict[str, str]:
        """Count one request costing `cost` tokens; the headers to send, or a 429 error carrying them."""
        limits = limits or LimitsConfig()
        ts = now.timestamp()
        headers: dict[str, str] = {}
        with self._lock:
            burst = limits.pipedrive_burst_per_2s
            enforced = burst is not None
            limit = burst or UNENFORCED_BURST
            window = self._window(token, limit, enforced)
            allowed = window.try_hit(ts) if enforced else window.record(ts)
            reset = window.reset_in(ts)
            remaining = window.remaining(ts)
            headers["x-ratelimit-limit"] = str(window.limit)
            headers["x-ratelimit-remaining"] = str(remaining if enforced else max(1, remaining))
            headers["x-ratelimit-reset"] = str(math.ceil(reset))
            budget = limits.pipedrive_daily_tokens
            today = now.astimezone(UTC).date()
            if today != self.day:
                self.day, self.used = today, 0
            left = UNENFORCED_DAILY if budget is None else budget - self.used
            headers["x-daily-requests-left"] = str(max(0, left))
            if not allowed:
                headers["retry-after"] = str(max(1, math.ceil(reset)))
                raise errors.too_many_requests(headers)
            if budget is not None:
                if self.used + cost > budget:
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
