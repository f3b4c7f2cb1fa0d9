"""The CLI with candidate engine changes applied in-process, to measure them before making them.

    python bench/patched.py flush2s,pipelines,... sync --once --json

Used by `bench/run.py --patch LIST`; each patch is what docs/performance.md recommends for
sync/, expressed as a monkeypatch so the benchmark can show its effect on the same
scenarios. Nothing here is used by calsync itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


GOOGLE_KEYS = {
    "id",
    "etag",
    "status",
    "summary",
    "description",
    "location",
    "start",
    "end",
    "updated",
    "transparency",
    "visibility",
    "attendees",
    "extendedProperties",
    "recurringEventId",
    "originalStartTime",
}


def slim() -> None:
    """Keep only the fields the mapping reads from each listed item (Google) and drop null
    fields (Pipedrive), so the raw listings held for the whole run take less memory."""
    from sync import google_api, pipedrive_api

    list_events = google_api.GoogleCalendar.list_events
    list_activities = pipedrive_api.Pipedrive.list_activities

    async def slim_events(self, *args, **kwargs):
        page = await list_events(self, *args, **kwargs)
        items = [{k: v for k, v in e.items() if k in GOOGLE_KEYS} for e in page.items]
        return google_api.EventPage(items, page.next_sync_token)

    async def slim_activities(self, *args, **kwargs):
        found = await list_activities(self, *args, **kwargs)
        return [{k: v for k, v in a.items() if v is not None} for a in found]

    google_api.GoogleCalendar.list_events = slim_events
    pipedrive_api.Pipedrive.list_activities = slim_activities


def syncpd() -> None:
    """Pipedrive requests through a blocking httpx.Client in worker threads (asyncio.to_thread)
    instead of httpx.AsyncClient: the same requests at a third of the client CPU each."""
    import asyncio

    import httpx

    from sync import services

    class ThreadedClient:
        def __init__(self, client: httpx.AsyncClient) -> None:
            self.base_url = client.base_url
            self.sync = httpx.Client(
                base_url=client.base_url,
                headers=client.headers,
                timeout=client.timeout,
                limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
            )

        async def request(self, method, url, **kwargs):
            return await asyncio.to_thread(self.sync.request, method, url, **kwargs)

    original = services.open_services

    def open_services(account, vault, *, transport=None, **kwargs):
        opened = original(account, vault, transport=transport, **kwargs)
        if transport is None:
            opened.pipedrive_http.client = ThreadedClient(opened.pipedrive_http.client)
        return opened

    services.open_services = open_services
    import sync.runner

    sync.runner.open_services = open_services


def _number(name: str, module: str, attr: str):
    def apply() -> None:
        import importlib

        value = int("".join(c for c in name if c.isdigit()))
        setattr(importlib.import_module(module), attr, value)

    return apply


def chunk(name: str):
    """CHUNK (actions per step) and Google's BATCH_SIZE both to N."""

    def apply() -> None:
        from sync import executor, google_api

        value = int("".join(c for c in name if c.isdigit()))
        executor.CHUNK = value
        google_api.BATCH_SIZE = value
        google_api.GoogleCalendar.batch.__kwdefaults__ = {"size": value}

    return apply


# Made in sync/ since (and so gone from here): flush2s (executor flushes every 2 s),
# pipelines (a pipeline per side), ggate (sync/google_api.Quota), pgate (RateGate's window).


def noimages() -> None:
    """Runs keep no before-images (what `calsync undo` needs): the run as before issue 17,
    to show what keeping them costs."""
    from sync import runner

    runner.Recorder = lambda *args: None  # type: ignore[assignment,misc]


def patch(name: str):
    if name == "noimages":
        return noimages
    if name == "slim":
        return slim
    if name == "syncpd":
        return syncpd
    if name.startswith("pd"):
        return _number(name, "sync.executor", "PIPEDRIVE_CONCURRENCY")
    if name.startswith("chunk"):
        return chunk(name)
    raise SystemExit(f"bench/patched.py: unknown patch {name!r}")


def main() -> int:
    names = [n for n in sys.argv[1].split(",") if n]
    for name in names:
        patch(name)()
    from tui.cli import main as cli

    return cli(sys.argv[2:])


if __name__ == "__main__":
    raise SystemExit(main())
