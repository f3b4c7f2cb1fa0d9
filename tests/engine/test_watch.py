"""Watching: idle polls leave the history alone, and Pipedrive's daily budget sets the pace."""

from __future__ import annotations

from sync import runner
from sync.polling import DEFAULT_INTERVAL

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


async def _watch_waits(env: Env, monkeypatch, runs: int = 3) -> list[float]:
    """Watch for `runs` runs; the waits it chose between them."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(runner.asyncio, "sleep", sleep)
    async for _ in runner.watch(env.store, env.vault, env.account_id, transport=env.transport,
                                runs=runs):  # fmt: skip
        pass
    return waits


async def test_the_watch_polls_at_the_default_interval_without_a_budget(env: Env, monkeypatch):
    assert await _watch_waits(env, monkeypatch) == [DEFAULT_INTERVAL, DEFAULT_INTERVAL]


async def test_a_tight_pipedrive_budget_stretches_the_watch(env: Env, monkeypatch):
    answer = await env.client.post("/_sandbox/limits", json={"pipedrive_daily_tokens": 2_000})
    assert answer.status_code == 200
    waits = await _watch_waits(env, monkeypatch)
    budget = env.store.account(env.account_id).extra["pipedrive_budget"]
    assert 0 < budget["left"] < 2_000 and budget["spent"] > 0
    # 15 hours to the reset, about 1,000 tokens of it to spend, 10 or so a poll: minutes apart.
    assert waits[-1] > 60 * DEFAULT_INTERVAL
