"""Under the services' real limits the engine paces itself: Pipedrive never answers 429 and
Google refuses at most the one batch that teaches the engine its quota.

The sandbox's limits count on its own clock; here the engine's pacing sleeps move that clock
(and its own), so a minute of quota takes no time.
"""

from __future__ import annotations

import pytest

from sync import google_api, pacing

from .conftest import Env


@pytest.fixture
def shared_clock(env: Env, monkeypatch):
    """Pacing waits advance the sandbox's clock by the same amount."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        env.advance(seconds)

    monkeypatch.setattr(pacing, "clock", lambda: now[0])
    monkeypatch.setattr(pacing, "sleep", sleep)
    return now


async def _limits(env: Env, **limits) -> None:
    answer = await env.client.post("/_sandbox/limits", json=limits)
    assert answer.status_code == 200, answer.text


async def test_pipedrive_writes_stay_inside_the_burst_limit(env: Env, shared_clock):
    for n in range(60):
        await env.g_insert(
            {
                "summary": f"Call {n}",
                "start": {"dateTime": f"2026-03-2{3 + n % 5}T{8 + n % 9:02d}:00:00Z"},
                "end": {"dateTime": f"2026-03-2{3 + n % 5}T{8 + n % 9:02d}:30:00Z"},
            }
        )
    await _limits(env, pipedrive_burst_per_2s=10)
    before = (await env.stats())["requests"]["by_status"].get("429", 0)
    result = await env.sync()
    assert result.summary["status"] == "ok", result.summary
    assert result.summary["pipedrive"]["created"] == 60
    assert (await env.stats())["requests"]["by_status"].get("429", 0) == before
    assert shared_clock[0] >= 2.0 * (60 // 10 - 1)  # it did have to wait for the window


async def test_google_refuses_at_most_the_batch_that_teaches_the_quota(
    env: Env, shared_clock, monkeypatch
):
    refused: list[int] = []
    learn = google_api.Quota.refused

    def spy(self, calls: int) -> None:
        refused.append(calls)
        learn(self, calls)

    monkeypatch.setattr(google_api.Quota, "refused", spy)
    for n in range(250):
        await env.p_create(
            subject=f"Meeting {n}",
            type="meeting",
            due_date=f"2026-03-{23 + n % 5}",
            due_time=f"{8 + n % 9:02d}:00",
            duration="00:30",
        )
    await _limits(env, google_per_user_per_minute=100)
    result = await env.sync()
    assert result.summary["status"] == "ok", result.summary
    assert result.summary["google"]["created"] == 250
    assert len(await env.google_events()) == 250
    assert sum(refused) <= google_api.BATCH_SIZE  # one batch, then paced
