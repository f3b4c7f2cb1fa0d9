"""Live edits on both services for demos (`--churn PER_MIN`, `POST /_sandbox/churn`).

Churn is applied lazily: each request to the fake services first applies the edits that
are due since the last one, by the sandbox's clock. So no background task is needed, a
frozen clock gives no churn until it moves, and a demo sees changes whenever it polls.
"""

from __future__ import annotations

import random
import threading
from typing import TYPE_CHECKING

from .google.seed import churn_step as google_churn
from .pipedrive.seed import churn_step as pipedrive_churn

if TYPE_CHECKING:
    from .state import Sandbox

MAX_EDITS_PER_TICK = 50


class Churn:
    def __init__(self, sandbox: Sandbox, per_minute: int = 0, seed: int = 1) -> None:
        self.sandbox = sandbox
        self.rng = random.Random(seed * 7919)
        self.lock = threading.Lock()
        self.log: list[str] = []
        self.set_rate(per_minute)

    def set_rate(self, per_minute: int) -> None:
        with self.lock:
            self.per_minute = per_minute
            self.since = self.sandbox.clock.now()
            self.applied = 0

    def tick(self) -> int:
        """Apply the edits due by now; returns how many were applied."""
        if self.per_minute <= 0:
            return 0
        with self.lock:
            now = self.sandbox.clock.now()
            due = int((now - self.since).total_seconds() / 60 * self.per_minute) - self.applied
            n = min(max(due, 0), MAX_EDITS_PER_TICK)
            for _ in range(n):
                if self.rng.random() < 0.5:
                    what = "google: " + google_churn(self.sandbox.google, self.rng, now)
                else:
                    what = "pipedrive: " + pipedrive_churn(self.sandbox.pipedrive, self.rng, now)
                self.log.append(what)
            self.log = self.log[-200:]
            # Edits that were due but over the cap are dropped, not queued.
            self.applied += max(due, 0)
            return n
