"""The watch's wait between runs: short, stretched only by Pipedrive's daily budget."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sync.polling import (
    BUDGET_SHARE,
    DEFAULT_INTERVAL,
    Budget,
    next_interval,
    observe,
)

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 12 hours before the budget resets


def test_without_budget_headers_the_interval_is_the_one_asked_for():
    assert next_interval(DEFAULT_INTERVAL, None) == DEFAULT_INTERVAL
    assert next_interval(7.0, None) == 7.0
    assert observe(None, None, NOON) is None


def test_a_roomy_budget_keeps_the_short_interval():
    first = observe(None, 1_000_000, NOON)
    assert first is not None and first.spent == 0  # nothing to compare with yet
    later = observe(first, 1_000_000 - 10, NOON)  # an idle run: 10 tokens
    assert later is not None and later.spent == 10
    assert next_interval(4.0, later) == 4.0  # 50,000 more such runs fit: far more than needed


def test_a_tight_budget_stretches_the_interval_to_last_until_the_reset():
    budget = Budget(left=30_000, spent=10, at=NOON)  # 1,500 runs of 10 may be spent
    wait = next_interval(4.0, budget)
    assert wait == pytest.approx(12 * 3600 / (30_000 * BUDGET_SHARE / 10))  # 28.8 s
    assert wait > 4.0


def test_an_exhausted_budget_waits_for_the_reset():
    assert next_interval(4.0, Budget(left=5, spent=10, at=NOON)) == 12 * 3600


def test_a_reset_between_two_runs_is_not_spending():
    before = Budget(left=100, spent=10, at=datetime(2026, 11, 24, 23, 59, 58, tzinfo=UTC))
    after = observe(before, 60_000, datetime(2026, 11, 25, 0, 0, 2, tzinfo=UTC))
    assert after is not None and after.spent == 0


def test_the_budget_survives_a_round_trip_through_the_account():
    budget = Budget(left=123, spent=4, at=NOON)
    assert Budget.from_json(budget.to_json()) == budget
    assert Budget.from_json({"left": "x"}) is None
    assert next_interval(4.0, Budget.from_json(budget.to_json())) > 4.0
