"""The offline demo's sandbox: served by uvicorn on a loopback port in a thread, or, for
tests, used in-process through `SandboxTransport` (no port, no thread)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

IN_PROCESS_URL = "http://sandbox.test"
DEMO_SEED = 1
DEMO_CHURN_PER_MINUTE = 12


@dataclass
class DemoSandbox:
    url: str
    app: object
    transport: httpx.AsyncBaseTransport | None = None
    running: object | None = None

    @classmethod
    def serve(cls, port: int = 0) -> DemoSandbox:
        """Start a seeded sandbox with churn on a loopback port (blocks until it accepts)."""
        from sandbox.app import create_app
        from sandbox.server import start_in_thread

        app = create_app(seed=DEMO_SEED, churn_per_minute=DEMO_CHURN_PER_MINUTE)
        running = start_in_thread(app, port=port)
        return cls(running.url, app, None, running)

    @classmethod
    def in_process(cls, app) -> DemoSandbox:
        from sandbox.transport import SandboxTransport

        return cls(IN_PROCESS_URL, app, SandboxTransport(app=app), None)

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()  # type: ignore[attr-defined]
            self.running = None


def loopback_port(url: str) -> int | None:
    """The port of a loopback http URL (an earlier session's demo sandbox), else None."""
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost") and parts.port:
        return parts.port
    return None
