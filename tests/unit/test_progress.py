"""The time left of a run: the slower side's, never better than its limit allows."""

from __future__ import annotations

from collections import Counter

import pytest

from sync.progress import Progress


def make(limits: dict[str, float | None], totals: dict[str, int]):
    now = [0.0]
    progress = Progress(Counter(totals), lambda side: limits.get(side), clock=lambda: now[0])
    return progress, now


def test_nothing_known_yet_says_nothing():
    progress, _ = make({}, {"google": 100})
    assert progress.seconds_left() is None


def test_an_early_burst_does_not_promise_more_than_the_limit():
    # Google: 600 calls a minute known; 500 went in the first second (quota not yet used up).
    progress, now = make({"google": 600 / 60.5}, {"google": 1_500})
    now[0] = 1.0
    progress.add("google", 500)
    assert progress.seconds_left() == pytest.approx(1_000 / (600 / 60.5))


def test_the_slower_side_sets_the_time_left():
    progress, now = make({"pipedrive": 40 / 2.1}, {"google": 1_000, "pipedrive": 1_000})
    now[0] = 10.0
    progress.add("google", 900)  # unlimited: 90 a second measured
    progress.add("pipedrive", 190)  # at its limit, about 19 a second
    assert progress.seconds_left() == pytest.approx(810 / min(40 / 2.1, 19))
    progress.add("pipedrive", 810)
    assert progress.seconds_left() == pytest.approx(100 / 90)


def test_a_side_slower_than_its_limit_is_measured():
    progress, now = make({"pipedrive": 40 / 2.1}, {"pipedrive": 1_000})
    now[0] = 100.0
    progress.add("pipedrive", 500)  # 5 a second: the service is slower than the limit
    assert progress.seconds_left() == pytest.approx(500 / 5)
