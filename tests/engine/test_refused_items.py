"""One item that a service refuses for good never blocks the others: the run says so, the
cursors move on, and the item alone is read again (by id) in the next runs."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx

from sync.runner import run_once

from .conftest import NOW, Env, timed


class RefusesOneSubject(httpx.AsyncBaseTransport):
    """The sandbox, except that Pipedrive answers 400 to any write of one subject (a field the
    real service refuses that the sandbox would take)."""

    def __init__(self, env: Env, subject: str) -> None:
        self.inner, self.subject, self.refusing = env.transport, subject, True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.refusing and request.url.path.startswith("/api/v2/activities"):
            body = await request.aread()
            if body and json.loads(body).get("subject") == self.subject:
                error = {"success": False, "error": "subject is not valid", "code": 400}
                return httpx.Response(400, json=error, request=request)
        return await self.inner.handle_async_request(request)


async def _sync(env: Env, transport) -> dict:
    events = [
        e
        async for e in run_once(
            env.store, env.vault, env.account_id, transport=transport, now=env.now, retry_wait=0.001
        )
    ]
    return events[-1].detail["summary"] | {"events": events}


async def test_one_refused_item_fails_alone_and_is_retried_without_a_full_run(env: Env):
    await env.sync()
    refusing = RefusesOneSubject(env, "Refused")
    env.advance(60)
    refused = await env.g_insert({"summary": "Refused", **timed(NOW + timedelta(days=1))})
    await env.g_insert({"summary": "Accepted", **timed(NOW + timedelta(days=2))})
    first = await _sync(env, refusing)
    assert first["status"] == "error" and [e["title"] for e in first["errors"]] == ["Refused"]
    assert len(await env.activities_by_subject("Accepted")) == 1
    cursors = env.store.data(env.account_id).cursors()
    assert cursors.retry == {f"google:{refused['id']}": 1}  # the others' cursors moved on

    env.advance(60)
    await env.g_insert({"summary": "Later", **timed(NOW + timedelta(days=3))})
    second = await _sync(env, refusing)
    start = next(e for e in second["events"] if e.kind == "start")
    assert start.reason == "incremental"  # not a full reconcile of both sides
    assert [e["title"] for e in second["errors"]] == ["Refused"]
    assert second["pipedrive"]["created"] == 1  # "Later" went through
    assert env.store.data(env.account_id).cursors().retry == {f"google:{refused['id']}": 2}

    refusing.refusing = False  # the user fixed the item, or the service relented
    env.advance(60)
    third = await _sync(env, refusing)
    assert third["status"] == "ok" and third["pipedrive"]["created"] == 1
    assert len(await env.activities_by_subject("Refused")) == 1
    assert env.store.data(env.account_id).cursors().retry == {}
    idle = await env.sync()
    assert idle.writes() == 0
    assert (idle.summary["google"]["requests"], idle.summary["pipedrive"]["requests"]) == (1, 1)


async def test_an_item_refused_run_after_run_is_left_to_the_full_reconcile(env: Env):
    await env.sync()
    refusing = RefusesOneSubject(env, "Refused")
    await env.g_insert({"summary": "Refused", **timed(NOW + timedelta(days=1))})
    for n in range(1, 7):
        env.advance(60)
        result = await _sync(env, refusing)
        assert [e["title"] for e in result["errors"]] == (["Refused"] if n <= 5 else [])
    assert env.store.data(env.account_id).cursors().retry == {}
    env.advance(timedelta(hours=24).total_seconds())  # the daily full reconcile sees it again
    result = await _sync(env, refusing)
    assert [e["title"] for e in result["errors"]] == ["Refused"]
