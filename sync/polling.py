"""How long a watch waits between runs: a short interval, so a change reaches the other side
within seconds, stretched when Pipedrive's daily token budget could not pay for polling that
often until it resets.

Neither service can push to a desktop app (Google's `events.watch` and Pipedrive's webhooks
need a public HTTPS address), so a watch polls. An idle run costs one Google and one
Pipedrive request. Google's per-user quota (600 a minute) absorbs a poll every few seconds;
Pipedrive's daily budget (30,000 tokens x the plan's multiplier, a list costing several)
may not, and it is shared with the user's other apps. So each run notes what Pipedrive said
is left (`x-daily-requests-left`) and what the budget dropped by since the run before;
the next wait leaves at least half of what is left for everything else until midnight UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

DEFAULT_INTERVAL = 4.0  # seconds: a change reaches the other side within about 5 s
BUDGET_SHARE = 0.5  # of the tokens left today, what polling may spend


@dataclass(frozen=True)
class Budget:
    """Pipedrive's daily budget as the last run left it."""

    left: int  # tokens left today
    spent: int  # tokens it dropped by since the run before (ours and anyone else's); 0: unknown
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"left": self.left, "spent": self.spent, "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, data: Any) -> Budget | None:
        try:
            return cls(int(data["left"]), int(data["spent"]), datetime.fromisoformat(data["at"]))
        except (KeyError, TypeError, ValueError):
            return None


def _reset_after(at: datetime) -> datetime:
    day = at.astimezone(UTC).date()
    return datetime.combine(day + timedelta(days=1), time(), UTC)


def observe(previous: Budget | None, left: int | None, at: datetime) -> Budget | None:
    """The budget after a run that saw `left` tokens remaining (None: Pipedrive did not say)."""
    if left is None:
        return None
    spent = 0
    if previous is not None and _reset_after(previous.at) == _reset_after(at):
        spent = max(0, previous.left - left)  # same day; a reset in between is no spending
    return Budget(left, spent, at)


def next_interval(base: float, budget: Budget | None) -> float:
    """Seconds until the next run: `base`, or longer when polling every `base` seconds would
    spend more than BUDGET_SHARE of what is left before the budget resets."""
    if budget is None or budget.spent <= 0:
        return base
    until_reset = (_reset_after(budget.at) - budget.at).total_seconds()
    affordable = budget.left * BUDGET_SHARE / budget.spent  # runs like the last one
    if affordable < 1:
        return max(base, until_reset)  # nothing to spare today: wait for the reset
    return max(base, until_reset / affordable)
