"""Engine client details without a sandbox: origin markers, token refresh on 401, id lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sync.errors import AuthError
from sync.google_api import GoogleCalendar
from sync.http import MAX_REFRESHES, Http
from sync.mapping import ORIGIN_KEY, google_body
from sync.models import CalendarItem
from sync.options import Options
from sync.pipedrive_api import Pipedrive

START = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)


def _activity() -> CalendarItem:
    return CalendarItem(
        "pipedrive", "42", title="Call", start=START, end=START + timedelta(hours=1)
    )


def test_google_body_without_origin_writes_no_marker():
    body = google_body(_activity(), Options(), event_id=None, linked=None, origin=None)
    assert "extendedProperties" not in body
    marked = google_body(_activity(), Options(), event_id=None, linked=None, origin="pipedrive:42")
    assert marked["extendedProperties"]["private"][ORIGIN_KEY] == "pipedrive:42"


def _http(handler, refresh) -> Http:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://x")

    async def headers() -> dict[str, str]:
        return {"Authorization": f"Bearer {state['token']}"}

    return Http("google", client, auth_headers=headers, refresh=refresh, wait_initial=0.001)


state = {"token": "t0"}


async def test_each_expired_token_is_refreshed_again():
    """Tokens that expire twice in a row (as under the sandbox's expire_tokens fault) are
    refreshed each time, not taken for a revoked grant."""
    state["token"] = "t0"
    refreshed: list[str] = []

    async def refresh() -> None:
        state["token"] = f"t{len(refreshed) + 1}"
        refreshed.append(state["token"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] in ("Bearer t0", "Bearer t1"):
            return httpx.Response(401, json={"error": {"code": 401, "errors": []}})
        return httpx.Response(200, json={"ok": True})

    http = _http(handler, refresh)
    assert await http.json("GET", "/calendar") == {"ok": True}
    assert refreshed == ["t1", "t2"]


async def test_a_token_refused_after_fresh_ones_is_an_auth_error():
    state["token"] = "t0"
    calls = {"refresh": 0}

    async def refresh() -> None:
        calls["refresh"] += 1

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"code": 401, "errors": []}})

    with pytest.raises(AuthError):
        await _http(handler, refresh).json("GET", "/calendar")
    assert calls["refresh"] == MAX_REFRESHES


async def test_pipedrive_by_ids_asks_for_at_most_100_ids_a_request():
    seen: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids = request.url.params["ids"].split(",")
        seen.append(ids)
        return httpx.Response(
            200,
            json={
                "success": True,
                "data": [{"id": int(i), "name": f"P{i}"} for i in ids if int(i) % 2],
                "additional_data": {"next_cursor": None},
            },
        )

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://x")

    async def headers() -> dict[str, str]:
        return {"x-api-token": "t"}

    pd = Pipedrive(Http("pipedrive", client, auth_headers=headers))
    rows = await pd.by_ids("persons", [str(i) for i in range(1, 251)])
    assert [len(chunk) for chunk in seen] == [100, 100, 50]
    assert len(rows) == 125 and rows[0] == {"id": 1, "name": "P1"}


def _batch_answer(request: httpx.Request, statuses: list[int]) -> httpx.Response:
    """A multipart/mixed batch answer with one part per status, in order."""
    boundary = "batch_answer"
    parts = []
    for n, status in enumerate(statuses):
        if status == 200:
            body = json.dumps({"id": f"e{n}"})
        else:
            body = json.dumps({"error": {"code": status, "errors": [{"reason": "authError"}]}})
        parts.append(
            f"--{boundary}\r\nContent-Type: application/http\r\n"
            f"Content-ID: <response-item{n}>\r\n\r\nHTTP/1.1 {status} X\r\n"
            f"Content-Type: application/json\r\n\r\n{body}\r\n"
        )
    return httpx.Response(
        200,
        content=("".join(parts) + f"--{boundary}--\r\n").encode(),
        headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
    )


def _ops(n: int) -> list:
    return [GoogleCalendar.op_insert("primary", {"summary": f"S{i}"}) for i in range(n)]


async def test_batch_parts_refused_401_are_sent_again_after_a_refresh():
    """An access token that expires while a batch is in flight: the outer answer is 200 and
    every part 401. The token is refreshed and those parts (only those) are sent again."""
    state["token"] = "t0"
    refreshed: list[str] = []
    sent: list[int] = []

    async def refresh() -> None:
        state["token"] = f"t{len(refreshed) + 1}"
        refreshed.append(state["token"])

    def handler(request: httpx.Request) -> httpx.Response:
        n = request.content.count(b"Content-ID: <item")
        sent.append(n)
        if request.headers["Authorization"] == "Bearer t0":
            return _batch_answer(request, [200] + [401] * (n - 1))
        return _batch_answer(request, [200] * n)

    results = await GoogleCalendar(_http(handler, refresh)).batch(_ops(3))
    assert [r.status for r in results] == [200, 200, 200]
    assert refreshed == ["t1"]
    assert sent == [3, 2]  # the first part landed: it is not sent twice


async def test_batch_parts_refused_after_fresh_tokens_keep_their_401():
    """Bounded: after MAX_REFRESHES refreshes a part still refused is answered as it is."""
    state["token"] = "t0"
    calls = {"refresh": 0, "batches": 0}

    async def refresh() -> None:
        calls["refresh"] += 1

    def handler(request: httpx.Request) -> httpx.Response:
        calls["batches"] += 1
        return _batch_answer(request, [401] * request.content.count(b"Content-ID: <item"))

    results = await GoogleCalendar(_http(handler, refresh)).batch(_ops(2))
    assert [r.status for r in results] == [401, 401]
    assert calls == {"refresh": MAX_REFRESHES, "batches": MAX_REFRESHES + 1}
