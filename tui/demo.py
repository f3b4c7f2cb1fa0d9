"""The offline demo's sandbox: served by uvicorn on a loopback port in a thread, or, for
tests, used in-process through `SandboxTransport` (no port, no thread)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

IN_PROCESS_URL = "http://sandbox.test"
DEMO_SEED = 1
DEMO_CHURN_PER_MINUTE = 12


def demo_app(**kwargs):
    """The demo's sandbox app: seed 1 with churn, and the primary calendar as a real one
    looks (working locations, out-of-office, focus time, birthdays, Gmail's events,
    invitations with Meet links). `kwargs` go to create_app (a frozen clock, for tests)."""
    from sandbox.app import create_app

    return create_app(
        seed=DEMO_SEED, churn_per_minute=DEMO_CHURN_PER_MINUTE, real_calendar=True, **kwargs
    )


@dataclass
class DemoSandbox:
    url: str
    app: object
    transport: httpx.AsyncBaseTransport | None = None
    running: object | None = None

    @classmethod
    def serve(cls, port: int = 0) -> DemoSandbox:
        """Start a seeded sandbox with churn on a loopback port (blocks until it accepts)."""
        from sandbox.server import start_in_thread

        app = demo_app()
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
