"""What the fuzz tests share: a synchronous in-process httpx client (hypothesis tests are
synchronous; the sandbox is ASGI) and derandomized hypothesis settings."""

from __future__ import annotations

import asyncio
import json

import httpx
from hypothesis import HealthCheck, settings

BASE_SETTINGS = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)


def fuzz(examples: int) -> settings:
    return settings(BASE_SETTINGS, max_examples=examples)


class LoopClient:
    """An httpx client on an ASGI app, driven from synchronous code on its own event loop."""

    def __init__(self, app, headers: dict[str, str]) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test", headers=headers
        )

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        return self.loop.run_until_complete(
            asyncio.wait_for(self.client.request(method, url, **kwargs), timeout=10)
        )

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def send_json(self, method: str, url: str, body: object, **params) -> httpx.Response:
        """JSON with ASCII escapes, so that lone surrogates and infinities reach the server."""
        raw = json.dumps(body).encode()
        headers = {"content-type": "application/json"}
        return self.request(method, url, content=raw, params=params, headers=headers)

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
