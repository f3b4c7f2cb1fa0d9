"""The client-side windows that meet the services' rate limits before they refuse."""

from __future__ import annotations

import asyncio

import pytest

from sync import pacing
from sync.google_api import MIN_LEARNED_QUOTA, Quota
from sync.pacing import Window


@pytest.fixture
def fake_time(monkeypatch):
    """A clock that only moves when a window sleeps."""
    now = [100.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    monkeypatch.setattr(pacing, "clock", lambda: now[0])
    monkeypatch.setattr(pacing, "sleep", sleep)
    return now


async def test_calls_past_the_limit_wait_for_the_oldest_to_leave(fake_time):
    window = Window(3, 2.0)
    passed = []
    for _ in range(7):
        await window.acquire()
        passed.append(fake_time[0] - 100.0)
    assert passed == [0, 0, 0, 2, 2, 2, 4]
    assert window.waited == pytest.approx(4.0)


async def test_concurrent_callers_never_exceed_the_window(fake_time):
    window = Window(5, 2.0)
    times: list[float] = []

    async def caller() -> None:
        for _ in range(4):
            await window.acquire()
            times.append(fake_time[0])
            await asyncio.sleep(0)

    await asyncio.gather(*(caller() for _ in range(5)))
    assert len(times) == 20
    for t in times:  # in any 2-second span at most 5 calls
        assert sum(1 for u in times if t <= u < t + 2.0) <= 5


async def test_a_batch_counts_every_part(fake_time):
    window = Window(10, 60.0)
    await window.acquire(8)
    await window.acquire(8)  # only 2 left: waits for the first 8 to leave
    assert fake_time[0] - 100.0 == pytest.approx(60.0)
    await window.acquire(25)  # bigger than the window: waits for it to empty, then goes
    assert fake_time[0] - 100.0 == pytest.approx(120.0)


async def test_unlimited_counts_without_waiting(fake_time):
    window = Window(None, 60.0)
    for _ in range(1000):
        await window.acquire()
    assert window.recent() == 1000 and fake_time[0] == 100.0


async def test_quota_learns_from_its_first_refusal(fake_time):
    quota = Quota(None)
    for _ in range(7):
        await quota.acquire(100)  # unpaced: nothing waits
    assert fake_time[0] == 100.0
    quota.refused(100)  # the 7th batch of 100 was refused: 600 went through
    assert quota.limit == 600
    quota.refused(50)  # 650 accepted in the window: more than learned, the limit stays
    assert quota.limit == 600
    quota.refused(150)  # only 550 accepted: the quota is lower than learned (shared with others)
    assert quota.limit == 550


async def test_a_refusal_right_after_start_does_not_shrink_the_quota_to_nothing(fake_time):
    quota = Quota(None)
    await quota.acquire(1)
    quota.refused(1)  # another process used the quota: what this one sent says little
    assert quota.limit == MIN_LEARNED_QUOTA


async def test_a_known_quota_paces_from_the_first_call(fake_time):
    quota = Quota(600)
    await quota.acquire(600)
    await quota.acquire(1)
    assert fake_time[0] - 100.0 == pytest.approx(60.5)


async def test_a_hold_stops_every_caller_until_it_ends(fake_time):
    window = Window(100, 2.0)
    await window.acquire()
    window.hold(1.5)  # the service refused one: it said to wait 1.5 s
    await window.acquire()
    assert fake_time[0] - 100.0 == pytest.approx(1.5)
