"""In-process access to the sandbox: an httpx transport that behaves like the network.

`httpx.ASGITransport` raises the app's exceptions into the client; a dropped connection
(the `drop` fault) must look like one instead, so it becomes `httpx.RemoteProtocolError`.
"""

from __future__ import annotations

import httpx

from .faults import ConnectionDropped


class SandboxTransport(httpx.ASGITransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a complete response.", request=request
            ) from exc
