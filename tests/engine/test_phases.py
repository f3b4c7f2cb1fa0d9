"""What the run's phases promise at their seams: a dry run commits nothing, and the Pipedrive
cursor comes from the run's own listing, whatever else the run listed on the way."""

from __future__ import annotations

from datetime import timedelta

import httpx

from sync.runner import run_once

from .conftest import NOW, Dated, Env, timed


async def test_a_dry_run_leaves_the_accounts_status_and_error_as_they_were(env: Env):
    env.store.update_account(env.account_id, last_status="error", last_error="Pipedrive is down")
    before = env.store.account(env.account_id)
    data = env.store.data(env.account_id)
    runs, cursors = len(data.runs()), data.cursors()
    await env.g_insert({"summary": "Planned only", **timed(NOW + timedelta(days=1))})
    result = await env.sync(dry_run=True)
    assert result.summary["status"] == "ok"
    assert result.kinds("create")  # it would write...
    after = env.store.account(env.account_id)
    assert (after.last_status, after.last_error, after.last_run) == (
        "error",
        "Pipedrive is down",
        before.last_run,
    )  # ...and nothing local changed
    assert len(data.runs()) == runs and data.cursors() == cursors


class DropsOneCreateAnswer(Dated):
    """Loses the answer of the first activity create (it happened), and lets the sandbox's
    clock move on meanwhile, as a slow network would."""

    def __init__(self, env: Env, seconds: float) -> None:
        super().__init__(env)
        self.seconds = seconds
        self.dropped = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if (
            not self.dropped
            and request.method == "POST"
            and request.url.path == "/api/v2/activities"
        ):
            await response.aread()
            self.dropped = True
            self.env.advance(self.seconds)
            raise httpx.RemoteProtocolError("the connection broke before the answer came")
        return response


async def test_a_create_recovered_through_its_marker_never_moves_the_cursor_past_an_unlisted_second(
    env: Env,
):
    await env.sync()  # a first, full run: cursors in place
    env.advance(60)
    second = env.now  # a write lands in this second, and the run's listing starts in it too
    await env.p_create(subject="Early", type="meeting", **_when(NOW + timedelta(days=2)))
    await env.g_insert({"summary": "From Google", **timed(NOW + timedelta(days=3))})
    lossy = DropsOneCreateAnswer(env, seconds=5)
    events = [
        e
        async for e in run_once(
            env.store, env.vault, env.account_id, transport=lossy, now=env.now, retry_wait=0.001
        )
    ]
    assert lossy.dropped and events[-1].detail["summary"]["status"] == "ok"
    assert len(await env.activities_by_subject("From Google")) == 1  # recovered, not made twice
    # Another write in that same second, after the listing: the listing did not see it.
    env.sandbox.clock.set(second)
    await env.p_create(subject="Same second", type="meeting", **_when(NOW + timedelta(days=4)))
    env.sandbox.clock.set(second + timedelta(seconds=30))
    await env.sync()
    assert len(await env.google_by_summary("Same second")) == 1


def _when(start) -> dict:
    return {"due_date": start.date().isoformat(), "due_time": start.strftime("%H:%M"),
            "duration": "01:00"}  # fmt: skip
