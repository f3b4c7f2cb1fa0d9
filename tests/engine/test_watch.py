"""Watching: idle polls leave the history alone, and Pipedrive's daily budget sets the pace."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from sync.polling import BUDGET_SHARE, DEFAULT_INTERVAL
from sync.runner import run_once
from sync.watch import Waiting, watch

from .conftest import Env


async def _event(env: Env, title: str) -> None:
    await env.g_insert(
        {
            "summary": title,
            "start": {"dateTime": "2026-03-23T10:00:00Z"},
            "end": {"dateTime": "2026-03-23T11:00:00Z"},
        }
    )


async def test_a_stretch_of_idle_runs_is_kept_as_its_first_run(env: Env):
    data = env.store.data(env.account_id)
    for _ in range(3):
        assert (await env.sync()).summary["status"] == "ok"
    assert len(data.runs()) == 1  # the first (idle) run only
    await _event(env, "Demo")
    await env.sync()
    assert len(data.runs()) == 2
    await env.sync()  # idle after a busy run: kept, it says the change settled
    await env.sync()
    await env.sync()
    runs = data.runs()
    assert len(runs) == 3 and runs[-1].summary.idle and not runs[-2].summary.idle
    assert env.store.account(env.account_id).last_run == env.now  # every poll still noted


async def _watch_waits(env: Env, runs: int = 3) -> list[float]:
    """Watch for `runs` runs on the sandbox's clock; the wait it chose after each run (it
    sleeps through all but the last)."""
    waits: list[float] = []
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    def run(account_id: str, now: datetime):
        return run_once(env.store, env.vault, account_id, transport=env.transport, now=now,
                        retry_wait=0.001)  # fmt: skip

    def budget(account_id: str):
        return env.store.account(account_id).extra.pipedrive_budget

    async for item in watch([env.account_id], run, interval=DEFAULT_INTERVAL, budget=budget,
                            clock=env.sandbox.clock.now, sleep=sleep, runs=runs):  # fmt: skip
        if isinstance(item, Waiting):
            assert item.until == env.now + timedelta(seconds=item.seconds)
            waits.append(item.seconds)
    assert slept == pytest.approx(waits[:-1], abs=1e-5)  # timedelta rounds to microseconds
    return waits


async def test_the_watch_polls_at_the_default_interval_without_a_budget(env: Env):
    assert await _watch_waits(env) == [DEFAULT_INTERVAL] * 3


async def test_a_tight_pipedrive_budget_stretches_the_watch(env: Env):
    answer = await env.client.post("/_sandbox/limits", json={"pipedrive_daily_tokens": 2_000})
    assert answer.status_code == 200
    waits = await _watch_waits(env)
    budget = env.store.account(env.account_id).extra.pipedrive_budget
    assert budget is not None and 0 < budget.left < 2_000 and budget.spent > 0
    # 15 hours to the reset, about 1,000 tokens of it to spend, 10 or so a poll: minutes apart.
    assert waits[-1] > 60 * DEFAULT_INTERVAL


@pytest.mark.parametrize("hour", [(0, 5), (12, 0), (23, 59)], ids=["00:05", "12:00", "23:59"])
async def test_the_budget_maths_follow_the_injected_clock_at_any_hour(env: Env, hour):
    """The wait is what the budget left today allows until Pipedrive's midnight reset, by the
    clock the watch is given: never the machine's."""
    at = datetime.combine(env.now.date(), time(*hour), UTC)
    env.sandbox.clock.set(at)
    answer = await env.client.post("/_sandbox/limits", json={"pipedrive_daily_tokens": 2_000})
    assert answer.status_code == 200
    waits = await _watch_waits(env)
    budget = env.store.account(env.account_id).extra.pipedrive_budget
    assert budget is not None and budget.at == at and budget.spent > 0
    until_reset = (
        datetime.combine(at.date() + timedelta(days=1), time(), UTC) - at
    ).total_seconds()
    affordable = budget.left * BUDGET_SHARE / budget.spent
    expected = max(DEFAULT_INTERVAL, until_reset if affordable < 1 else until_reset / affordable)
    assert waits[-1] == pytest.approx(expected)


async def test_an_account_stopped_by_another_process_leaves_the_watch_and_stays_stopped(env: Env):
    """`calsync disconnect` in another terminal while a watch runs: the watch says so, drops
    the account (no run syncs it again, so nothing it imports or writes) and ends when no
    account is left; the disconnect is not reverted."""
    from sync.accounts import disconnect
    from sync.store import Store
    from sync.watch import Stopped

    items = []
    slept = 0

    async def sleep(seconds: float) -> None:
        nonlocal slept
        slept += 1
        if slept == 2:  # between the second and the third run: the other process
            other = Store(env.home)
            disconnect(other, other.account(env.account_id))
            other.close()
            await _event(env, "After the disconnect")

    def run(account_id: str, now: datetime):
        return run_once(env.store, env.vault, account_id, transport=env.transport, now=now,
                        retry_wait=0.001)  # fmt: skip

    async for item in watch([env.account_id], run, interval=DEFAULT_INTERVAL,
                            budget=lambda _: None, clock=env.sandbox.clock.now, sleep=sleep,
                            runs=10):  # fmt: skip
        items.append(item)
    stopped = [item for item in items if isinstance(item, Stopped)]
    assert [s.account_id for s in stopped] == [env.account_id] and items[-1] is stopped[0]
    assert "is not syncing" in str(stopped[0].error)
    assert sum(isinstance(item, Waiting) for item in items) == 2  # two runs, then dropped
    assert env.store.account(env.account_id).state == "previously_synced"
    assert await env.activities() == []  # the event made after the disconnect stays on Google
