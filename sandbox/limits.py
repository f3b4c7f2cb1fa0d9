"""The real services' rate limits, off unless asked for (`--limits PLAN`, `/_sandbox/limits`).

Pipedrive: a burst limit per rolling 2-second window per token (API token: lite 20,
growth 40, premium 100, ultimate 120; OAuth four times that) and a daily token budget of
30,000 x the plan's multiplier per company (one seat here), each endpoint costing tokens.
Google: about 600 requests a minute per user, each call in a batch counting.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

PLANS: dict[str, tuple[int, int]] = {
    # plan: (burst per 2 s with an API token, daily budget multiplier)
    "lite": (20, 1),
    "growth": (40, 2),
    "premium": (100, 5),
    "ultimate": (120, 7),
}
DAILY_BASE_TOKENS = 30_000
GOOGLE_PER_USER_PER_MINUTE = 600


@dataclass
class LimitsConfig:
    """What is enforced now; None means no limit."""

    plan: str = "off"
    auth: str = "token"
    pipedrive_burst_per_2s: int | None = None
    pipedrive_daily_tokens: int | None = None
    google_per_user_per_minute: int | None = None

    @classmethod
    def from_plan(cls, plan: str = "off", auth: str = "token") -> LimitsConfig:
        if plan == "off":
            return cls()
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}: choose off, {', '.join(PLANS)}")
        if auth not in ("token", "oauth"):
            raise ValueError(f"unknown auth {auth!r}: choose token or oauth")
        burst, mult = PLANS[plan]
        return cls(
            plan=plan,
            auth=auth,
            pipedrive_burst_per_2s=burst * (4 if auth == "oauth" else 1),
            pipedrive_daily_tokens=DAILY_BASE_TOKENS * mult,
            google_per_user_per_minute=GOOGLE_PER_USER_PER_MINUTE,
        )

    def as_dict(self) -> dict:
        return {
            "plan": self.plan,
            "auth": self.auth,
            "pipedrive_burst_per_2s": self.pipedrive_burst_per_2s,
            "pipedrive_daily_tokens": self.pipedrive_daily_tokens,
            "google_per_user_per_minute": self.google_per_user_per_minute,
        }


@dataclass
class SlidingWindow:
    """A rolling-window counter: at most `limit` hits per `seconds`."""

    limit: int
    seconds: float
    hits: deque = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _trim(self, now: float) -> None:
        while self.hits and self.hits[0] <= now - self.seconds:
            self.hits.popleft()

    def try_hit(self, now: float, n: int = 1) -> bool:
        """Record n hits if they fit; False (and nothing recorded) if they do not."""
        with self.lock:
            self._trim(now)
            if len(self.hits) + n > self.limit:
                return False
            self.hits.extend([now] * n)
            return True

    def record(self, now: float) -> bool:
        """Count a hit whatever the limit (an unenforced window); always True."""
        with self.lock:
            self._trim(now)
            self.hits.append(now)
            return True

    def remaining(self, now: float) -> int:
        with self.lock:
            self._trim(now)
            return max(0, self.limit - len(self.hits))

    def reset_in(self, now: float) -> float:
        """Seconds until the oldest hit leaves the window (0 if none)."""
        with self.lock:
            self._trim(now)
            return max(0.0, self.hits[0] + self.seconds - now) if self.hits else 0.0
