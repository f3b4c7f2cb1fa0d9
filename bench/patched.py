"""The CLI with candidate engine changes applied in-process, to measure them before making them.

    python bench/patched.py flush2s,pipelines,... sync --once --json

Used by `bench/run.py --patch LIST`; each patch is what docs/performance.md recommends for
sync/, expressed as a monkeypatch so the benchmark can show its effect on the same
scenarios. Nothing here is used by calsync itself.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def flush2s() -> None:
    """The executor's per-chunk flush at most every 2 seconds (the transaction's own flush at
    the end, and the runner's, still write everything)."""
    from sync import executor

    original_init = executor.Executor.__init__

    def init(self, ctx, flush):
        last = [time.monotonic()]

        def throttled() -> None:
            if time.monotonic() - last[0] >= 2.0:
                flush()
                last[0] = time.monotonic()

        original_init(self, ctx, throttled)

    executor.Executor.__init__ = init


def overlap() -> None:
    """Each executor step pairs 100 Google writes with 100 Pipedrive writes, so that a Google
    batch is in flight while Pipedrive writes go (the plan lists one side's writes, then the
    other's: with 100-action steps each step held one side only and the two never overlapped)."""
    from sync import executor, planner

    executor.CHUNK = 200
    original = planner.Plan.writes

    def writes(self):
        actions = original(self)
        out = []
        for kinds in (
            (planner.DeleteGoogle, planner.DeletePipedrive),
            (planner.UpdateGoogle, planner.UpdatePipedrive),
            (planner.CreateOnGoogle, planner.CreateOnPipedrive),
        ):
            phase = [a for a in actions if isinstance(a, kinds)]
            g = [a for a in phase if a.side == "google"]
            p = [a for a in phase if a.side == "pipedrive"]
            for start in range(0, max(len(g), len(p)), 100):
                out += g[start : start + 100] + p[start : start + 100]
        return out

    planner.Plan.writes = writes


def pipelines() -> None:
    """Each side streams its own writes (Google in batches of 100, Pipedrive 100 at a time with
    its concurrency) without waiting for the other side at every step: a side held by its
    rate limit no longer stalls the other one."""
    import asyncio

    from sync import executor, planner

    original = executor.Executor.run
    phases = (
        (planner.DeleteGoogle, planner.DeletePipedrive),
        (planner.UpdateGoogle, planner.UpdatePipedrive),
        (planner.CreateOnGoogle, planner.CreateOnPipedrive),
    )

    class NoWrites:
        def __init__(self, plan) -> None:
            self.plan = plan

        def __iter__(self):
            return iter(self.plan)

        def writes(self):
            return []

    async def run(self, plan):
        writes = plan.writes()
        async for event in original(self, NoWrites(plan)):  # bookkeeping only
            yield event
        await self._prefetch_linked(writes)
        total, done = len(writes), 0
        for kinds in phases:
            phase = [a for a in writes if isinstance(a, kinds)]
            queue: asyncio.Queue = asyncio.Queue()

            async def pipe(actions, apply, queue=queue):
                try:
                    for start in range(0, len(actions), 100):
                        chunk = actions[start : start + 100]
                        await queue.put((len(chunk), await apply(chunk)))
                except BaseException as exc:  # handed to the consumer, which raises it
                    await queue.put(exc)
                    return
                await queue.put(None)

            tasks = [
                asyncio.create_task(pipe([a for a in phase if a.side == "google"], self._google)),
                asyncio.create_task(
                    pipe([a for a in phase if a.side == "pipedrive"], self._pipedrive)
                ),
            ]
            finished = 0
            while finished < 2:
                item = await queue.get()
                if item is None:
                    finished += 1
                    continue
                if isinstance(item, BaseException):
                    for task in tasks:
                        task.cancel()
                    raise item
                n, events = item
                for event in events:
                    yield event
                done += n
                self.flush()
                if total > 100:
                    yield self._event(
                        "progress", reason=f"{done} of {total} writes", done=done, total=total
                    )

    executor.Executor.run = run


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


class Window:
    """A client-side sliding window: at most `limit` calls per `seconds` (plus a margin for
    the time a request takes to reach the service, whose clock starts on arrival)."""

    def __init__(self, limit: int, seconds: float) -> None:
        from collections import deque

        self.limit, self.seconds, self.sent = limit, seconds, deque()

    async def acquire(self, n: int = 1) -> None:
        import asyncio

        n = min(n, self.limit)
        while True:
            now = time.monotonic()
            while self.sent and self.sent[0] <= now - self.seconds:
                self.sent.popleft()
            if len(self.sent) + n <= self.limit:
                self.sent.extend([now] * n)
                return
            await asyncio.sleep(self.sent[len(self.sent) + n - self.limit - 1] + self.seconds - now)


def ggate() -> None:
    """Pace Google to its per-user quota (600 calls a minute, each batch part counting) before
    sending, instead of drawing 403 userRateLimitExceeded and backing off."""
    from sync import google_api
    from sync.http import Http

    window = Window(600, 60.5)
    send_batch = google_api.GoogleCalendar._send_batch
    send = Http.send

    async def paced_batch(self, ops):
        await window.acquire(len(ops))
        return await send_batch(self, ops)

    async def paced_send(self, method, url, **kwargs):
        if self.service == "google" and url != google_api.BATCH_PATH:
            await window.acquire(1)
        return await send(self, method, url, **kwargs)

    google_api.GoogleCalendar._send_batch = paced_batch
    Http.send = paced_send


def pgate() -> None:
    """Pace Pipedrive with a client-side window sized from `x-ratelimit-limit` (the headers
    alone let 8 concurrent requests overrun the last slots of a window)."""
    from sync import pipedrive_api

    state: dict = {"window": None}

    async def before(self) -> None:
        if state["window"] is not None:
            await state["window"].acquire(1)
        elif self.remaining is not None and self.remaining <= 1:
            await _old_before(self)

    async def observe(self, response) -> None:
        await _old_observe(self, response)
        limit = response.headers.get("x-ratelimit-limit")
        if limit and limit.isdigit() and state["window"] is None:
            state["window"] = Window(int(limit), 2.1)
            state["window"].sent.append(time.monotonic())  # this first request counted too

    _old_before = pipedrive_api.RateGate.before
    _old_observe = pipedrive_api.RateGate.observe
    pipedrive_api.RateGate.before = before
    pipedrive_api.RateGate.observe = observe


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


def patch(name: str):
    if name == "flush2s":
        return flush2s
    if name == "overlap":
        return overlap
    if name == "ggate":
        return ggate
    if name == "pipelines":
        return pipelines
    if name == "slim":
        return slim
    if name == "syncpd":
        return syncpd
    if name == "pgate":
        return pgate
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
