"""A service that cannot be reached: the request gives up once another try would not fit
http.CONNECT_BUDGET, with one line a person understands."""

from __future__ import annotations

import httpx
import pytest

from sync.errors import ServiceUnavailable
from sync.http import CONNECT_BUDGET, Http, why_unreachable

URL = "http://127.0.0.1:18765"


class Refusing(httpx.AsyncBaseTransport):
    """Every connection is refused (or times out), each try costing `cost` seconds on `now`."""

    def __init__(self, clock: list[float], cost: float, timeout: bool = False) -> None:
        self.clock = clock
        self.cost = cost
        self.timeout = timeout
        self.tries = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.tries += 1
        self.clock[0] += self.cost
        if self.timeout:
            raise httpx.ConnectTimeout("timed out", request=request)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def _http(transport: Refusing, clock: list[float], connect: float) -> Http:
    client = httpx.AsyncClient(
        transport=transport, base_url=URL, timeout=httpx.Timeout(30, connect=connect)
    )

    async def headers() -> dict[str, str]:
        return {}

    # Waits between tries are real sleeps: keep them tiny; the budget is kept on `clock`.
    return Http("google", client, auth_headers=headers, wait_initial=0.001, clock=lambda: clock[0])


@pytest.mark.parametrize(
    ("cost", "connect", "timeout", "most"),
    [
        (0.0, 2.0, False, 8),  # refused at once: every try of the 8 fits
        (1.0, 2.0, False, 3),  # slow refusals: tries stop before the budget is spent
        (2.0, 2.0, True, 2),  # no answer: a second try, no third
    ],
)
async def test_connection_failures_stop_within_the_budget(cost, connect, timeout, most):
    clock = [0.0]
    transport = Refusing(clock, cost, timeout)
    http = _http(transport, clock, connect)
    with pytest.raises(ServiceUnavailable) as failed:
        await http.send("GET", "/calendar/v3/users/me/calendarList")
    assert 1 <= transport.tries <= most
    assert clock[0] <= CONNECT_BUDGET
    why = "no answer in time" if timeout else "connection refused"
    assert str(failed.value) == f"Google Calendar is not reachable at {URL}: {why}"


def test_reasons_in_a_persons_words():
    request = httpx.Request("GET", URL)
    assert why_unreachable(httpx.ConnectError("[Errno 111] Connection refused")) == (
        "connection refused"
    )
    assert why_unreachable(httpx.ConnectError("[Errno -2] Name or service not known")) == (
        "name or service not known"
    )
    assert why_unreachable(httpx.ConnectError("All connection attempts failed")) == (
        "connection refused"
    )
    assert why_unreachable(httpx.ConnectTimeout("", request=request)) == "no answer in time"
