"""Faults at 20% of requests (every kind the sandbox has), dropped writes whose answer is lost,
and Retry-After: the runs converge to the fault-free state and no write is made twice."""

from __future__ import annotations

import random
import time

import pytest

from sandbox.faults import KINDS

from .helpers import compare, copies, links_one_to_one, record, size, snapshot
from .test_crash_points import baseline, build

SEEDS = range(size(6, 40))


async def _converge(env, runs: int = 8) -> None:
    """Sync until a run ends clean (faults still on), then once more without faults."""
    for _ in range(runs):
        result = await env.sync()
        if result.exit_code == 0 and result.summary["errors"] == []:
            break
        env.advance(30)
    await env.clear_faults()
    env.advance(60)
    level = await env.sync(full=True)
    assert level.exit_code == 0 and level.summary["errors"] == [], level.summary
    env.advance(60)
    quiet = await env.sync(full=True)
    assert quiet.writes() == 0, quiet.summary


@pytest.mark.parametrize("seed", SEEDS)
async def test_every_fault_at_20_percent_converges_to_the_fault_free_state(
    make_env, monkeypatch, seed
):
    expected, _ = await baseline(make_env, monkeypatch)
    monkeypatch.undo()
    env = await make_env()
    await build(env)
    env.sandbox.faults.rng = random.Random(seed)
    await env.faults(target="all", rate=0.2, kinds=list(KINDS), retry_after=0, latency_ms=2)
    await _converge(env)
    injected = (await env.stats())["faults_injected"]
    events, acts = await env.google_events(), await env.activities()
    dupes = copies(events, acts)
    lost, extra = compare(expected, await snapshot(env))
    record(faults_injected=injected, fault_runs=1, items_lost=lost, duplicates=extra)
    assert sum(injected.values()) > 0
    assert dupes == []
    assert links_one_to_one(env.store.data(env.account_id).links()) == []
    assert (lost, extra) == (0, 0)


@pytest.mark.parametrize("target", ["google", "pipedrive"])
async def test_writes_applied_but_answer_lost_are_not_made_twice(make_env, monkeypatch, target):
    """Every dropped connection drops after the sandbox applied the request."""
    expected, _ = await baseline(make_env, monkeypatch)
    monkeypatch.undo()
    env = await make_env()
    await build(env)
    monkeypatch.setattr(env.sandbox.faults, "coin", lambda: False)
    await env.faults(target=target, rate=0.3, kinds=["drop"])
    await _converge(env)
    injected = (await env.stats())["faults_injected"]
    lost, extra = compare(expected, await snapshot(env))
    record(faults_injected=injected, fault_runs=1, items_lost=lost, duplicates=extra)
    assert injected.get("drop", 0) > 0
    assert copies(await env.google_events(), await env.activities()) == []
    assert (lost, extra) == (0, 0)


@pytest.mark.parametrize("target", ["google", "pipedrive"])
async def test_retry_after_is_honoured(make_env, target):
    env = await make_env()
    await env.g_insert({"summary": "One", "start": {"date": "2026-03-23"},
                        "end": {"date": "2026-03-24"}})  # fmt: skip
    await env.p_create(subject="Two", type="call", due_date="2026-03-23", due_time="10:00")
    await env.faults(target=target, rate=1, kinds=["429"], retry_after=1, count=1)
    began = time.monotonic()
    result = await env.sync()
    waited = time.monotonic() - began
    injected = (await env.stats())["faults_injected"]
    record(faults_injected=injected, fault_runs=1)
    assert injected == {"429": 1}
    assert result.exit_code == 0, result.summary
    assert waited >= 1.0
    assert len(await env.google_events()) == 2 and len(await env.activities()) == 2
