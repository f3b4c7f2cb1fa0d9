"""Engine client details without a sandbox: origin markers, token refresh on 401, id lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sync.errors import AuthError
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
