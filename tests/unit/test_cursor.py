"""The Pipedrive cursor: inclusive of its last second unless Pipedrive's clock says it settled."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from sync.commit import next_pipedrive_cursor as _next_cursor
from sync.http import Http
from sync.pipedrive_api import Pipedrive

SECOND = "2026-11-25T12:00:00Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_second_still_open_is_read_again():
    assert _next_cursor(SECOND, at("2026-11-25T12:00:01Z")) == SECOND


def test_a_settled_second_is_passed():
    assert _next_cursor(SECOND, at("2026-11-25T12:00:02Z")) == "2026-11-25T12:00:01Z"
    assert _next_cursor(SECOND, at("2026-11-25T12:40:00Z")) == "2026-11-25T12:00:01Z"


def test_without_a_trustworthy_server_clock_the_cursor_stays_inclusive():
    assert _next_cursor(SECOND, None) == SECOND
    assert _next_cursor(SECOND, at("2026-11-26T12:00:00Z")) == SECOND  # a day away: frozen, skewed
    assert _next_cursor(SECOND, at("2026-11-25T11:59:00Z")) == SECOND  # behind its own data
    assert _next_cursor("not a time", at("2026-11-25T12:00:05Z")) == "not a time"


async def test_the_listing_remembers_when_it_began_by_the_servers_clock():
    dates = iter(["Wed, 25 Nov 2026 12:00:05 GMT", "Wed, 25 Nov 2026 12:00:09 GMT"])

    def answer(request: httpx.Request) -> httpx.Response:
        last = "cursor" in request.url.params
        body = {"data": [{"id": 1}], "additional_data": {"next_cursor": None if last else "c"}}
        return httpx.Response(200, json=body, headers={"date": next(dates)})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://x") as c:

        async def no_auth() -> dict[str, str]:
            return {}

        pd = Pipedrive(Http("pipedrive", c, auth_headers=no_auth))
        listing = await pd.list_activities()
    assert len(listing.items) == 2
    assert listing.listed_at == datetime(2026, 11, 25, 12, 0, 5, tzinfo=UTC)  # the first page's
