"""Sandbox benchmark: start-up, seeding, incremental lists, faults, requests per second.

    python bench/sandbox.py [--requests N] [--concurrency C]

Starts `calsync sandbox` in its own process (so the client does not share its GIL),
then prints one table. Targets: `calsync sandbox --seed 1` answers within 3 s of being
started (it seeds the real-world calendar since issue 15); what calsync's listing of the
window weighs next to one that narrows nothing (issue 15: eventTypes and fields); bulk seed of 10,000 events +
10,000 activities under 10 s over HTTP and under 2 s in the models; an incremental Google
list costs what changed, not the calendar's size; at least 1,000 simple requests per second
(issue 3). The floor row is a bare uvicorn app answering a constant JSON body, measured in
the same run with the same client, so the sandbox's own cost shows as a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
FLOOR_APP = """
import sys
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def ok(request):
    return JSONResponse({"items": []})

app = Starlette(routes=[Route("/{path:path}", ok, methods=["GET", "POST"])])
print("ready", flush=True)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="error", access_log=False)
"""


def start(cmd: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT
    )


def wait_ready(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url + "/", timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit(f"server at {url} did not start")


async def hammer(url: str, n: int, concurrency: int, make) -> float:
    """Requests per second for n requests made by `make(client, i)` with `concurrency` workers."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        counter = iter(range(n))

        async def worker():
            for i in counter:
                answer = await make(client, i)
                if answer.status_code >= 400:
                    raise SystemExit(
                        f"{answer.request.url.path}: {answer.status_code} {answer.text[:200]}"
                    )

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return n / (time.perf_counter() - started)


def payload_rows() -> list[tuple]:
    """What calsync's full listing of the default window weighs on the seeded real-world
    calendar (`calsync sandbox --seed 1`), against what a client that narrows nothing gets
    (every event type, every field), and the floor any client could ask for (ids only),
    all measured in this run."""
    from datetime import UTC, datetime

    from sync.google_api import LIST_FIELDS, MAX_RESULTS
    from sync.kinds import listed_types
    from sync.options import Options

    proc = start([sys.executable, "-m", "tui.cli", "sandbox", "--seed", "1", "--port", "0"])
    try:
        url = next(w for w in proc.stdout.readline().split() if w.startswith("http://"))
        url = url.rstrip(",")
        wait_ready(url)
        auth = {"Authorization": "Bearer " + google_token(url)}
        start_, end = Options().window(datetime.now(UTC))
        base = {
            "singleEvents": "true",
            "maxResults": MAX_RESULTS,
            "timeMin": start_.isoformat(),
            "timeMax": end.isoformat(),
        }

        def weigh(params: dict) -> tuple[int, int]:
            """(bytes, events) of every page of a listing."""
            size = count = 0
            params = {**base, **params}
            while True:
                answer = httpx.get(
                    url + "/calendar/v3/calendars/primary/events", params=params, headers=auth
                )
                assert answer.status_code == 200, answer.text
                page = answer.json()
                size += len(answer.content)
                count += len(page.get("items", []))
                if not page.get("nextPageToken"):
                    return size, count
                params["pageToken"] = page["nextPageToken"]

        everything, n_all = weigh({})
        fields_only, _ = weigh({"fields": LIST_FIELDS})
        ours, n_ours = weigh({"eventTypes": list(listed_types(Options())), "fields": LIST_FIELDS})
        floor, _ = weigh({"fields": "nextPageToken,nextSyncToken,items(id)"})
    finally:
        proc.terminate()
        proc.wait(10)
    return [
        (
            "floor: window listing, ids only (fields=items(id))",
            f"{floor / 1024:,.0f} KiB",
            "(reference)",
            None,
        ),
        (
            "window listing, every type and field",
            f"{everything / 1024:,.0f} KiB, {n_all} events",
            "(before)",
            None,
        ),
        (
            "window listing, every type, calsync's fields",
            f"{fields_only / 1024:,.0f} KiB ({fields_only / everything:.0%})",
            "",
            None,
        ),
        (
            "window listing as calsync asks (types, fields)",
            f"{ours / 1024:,.0f} KiB, {n_ours} ev. ({ours / everything:.0%})",
            "< 50% of before",
            ours < everything / 2,
        ),
    ]


def started_in(cmd: list[str]) -> float:
    """Seconds from spawning a sandbox command to its first answered request."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT
    )
    try:
        line = proc.stdout.readline()
        url = next(w for w in line.split() if w.startswith("http://")).rstrip(",")
        for _ in range(1000):
            try:
                if httpx.get(url + "/_sandbox/stats", timeout=1).status_code == 200:
                    return time.perf_counter() - began
            except httpx.TransportError:
                time.sleep(0.005)
        raise SystemExit(f"{cmd} did not answer")
    finally:
        proc.terminate()
        proc.wait(10)


def timed(run) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def model_rows() -> list[tuple]:
    """In-process figures for what tests/sandbox checks only as behaviour."""
    import random
    from datetime import UTC, datetime

    from sandbox.clock import Clock
    from sandbox.google.models import GoogleCalendarState, ListQuery
    from sandbox.google.seed import bulk_events, seed_google
    from sandbox.pipedrive.models import PipedriveState
    from sandbox.pipedrive.seed import bulk, seed_pipedrive

    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    google = GoogleCalendarState(Clock(now))
    seed_google(google, random.Random(1), empty=True, now=now)
    seconds = timed(lambda: bulk_events(google, random.Random(3), 10_000, now))
    rows = [("model: bulk 10,000 Google events", f"{seconds:.2f} s", "< 2 s", seconds < 2)]
    pipedrive = PipedriveState(Clock(now))
    seed_pipedrive(pipedrive, random.Random(2), empty=True, now=now)
    seconds = timed(
        lambda: bulk(pipedrive, random.Random(1), activities=10_000, persons=500, now=now)
    )
    rows.append(
        ("model: bulk 10,000 activities + 500 persons", f"{seconds:.2f} s", "< 2 s", seconds < 2)
    )
    page = google.list_events("primary", ListQuery(max_results=2500))
    while page.next_page_token:
        page = google.list_events(
            "primary", ListQuery(max_results=2500, page_token=page.next_page_token)
        )
    google.patch_event("primary", next(iter(google.calendar("primary").events)), {"summary": "x"})
    token = page.next_sync_token

    def incremental() -> None:
        for _ in range(200):
            google.list_events("primary", ListQuery(sync_token=token))

    seconds = timed(incremental)
    rows.append(
        (
            "model: 200 incremental lists, 1 change in 10,000",
            f"{seconds * 1000:.0f} ms",
            "< 500 ms",
            seconds < 0.5,
        )
    )
    return rows


def google_token(url: str) -> str:
    from tests.conftest import google_oauth_tokens

    return google_oauth_tokens(url)["access_token"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

    rows = []
    cli = [sys.executable, "-m", "tui.cli", "sandbox", "--seed", "1", "--port", "0"]
    runs = sorted(started_in(cli) for _ in range(3))
    rows.append(
        (
            "calsync sandbox --seed 1 (real-world calendar): first answer",
            f"{runs[1]:.2f} s (worst {runs[-1]:.2f} s)",
            "< 3 s",
            runs[-1] < 3,
        )
    )
    rows += model_rows()
    rows += payload_rows()

    port, floor_port = 18765, 18766
    sandbox = start([sys.executable, "-m", "tui.cli", "sandbox", "--empty", "--port", str(port)])
    floor = start([sys.executable, "-c", FLOOR_APP, str(floor_port)])
    url, floor_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}"
    try:
        wait_ready(url)
        wait_ready(floor_url)
        started = time.perf_counter()
        seeded = httpx.post(
            url + "/_sandbox/seed",
            json={"seed": 1, "events": 10_000, "activities": 10_000, "persons": 1_000},
            timeout=120,
        )
        seed_seconds = time.perf_counter() - started
        assert seeded.status_code == 200, seeded.text
        rows.append(
            (
                "bulk seed 10,000 events + 10,000 activities",
                f"{seed_seconds:.2f} s",
                "< 10 s",
                seed_seconds < 10,
            )
        )

        n, c = args.requests, args.concurrency
        floor_rps = asyncio.run(hammer(floor_url, n, c, lambda cl, i: cl.get("/x")))
        rows.append(
            ("floor: bare uvicorn constant JSON", f"{floor_rps:,.0f} req/s", "(reference)", None)
        )

        gauth = {"Authorization": "Bearer " + google_token(url)}
        api_token = httpx.get(url + "/_sandbox/pipedrive/credentials").json()["api_token"]
        pauth = {"x-api-token": api_token}

        def events_list(cl, i):
            return cl.get(
                "/calendar/v3/calendars/primary/events", params={"maxResults": 10}, headers=gauth
            )

        def events_insert(cl, i):
            body = {
                "summary": f"Bench {i}",
                "start": {"dateTime": "2026-12-01T10:00:00Z"},
                "end": {"dateTime": "2026-12-01T11:00:00Z"},
            }
            return cl.post("/calendar/v3/calendars/primary/events", json=body, headers=gauth)

        def activity_create(cl, i):
            body = {
                "subject": f"Bench {i}",
                "type": "call",
                "due_date": "2026-12-01",
                "due_time": "10:00",
            }
            return cl.post("/api/v2/activities", json=body, headers=pauth)

        faults = {"target": "pipedrive", "rate": 1, "kinds": ["latency"], "latency_ms": 200}
        httpx.post(url + "/_sandbox/faults", json={**faults, "count": 1})
        seconds = timed(lambda: httpx.get(url + "/api/v2/activities/1", headers=pauth))
        rows.append(
            (
                "latency fault of 200 ms, seen by the client",
                f"{seconds * 1000:.0f} ms",
                ">= 200 ms",
                seconds >= 0.2,
            )
        )

        for name, make in (
            ("events.list (maxResults 10)", events_list),
            ("events.insert", events_insert),
            ("activities create", activity_create),
        ):
            rps = asyncio.run(hammer(url, n, c, make))
            rows.append(
                (
                    name,
                    f"{rps:,.0f} req/s ({rps / floor_rps:.0%} of floor)",
                    ">= 1,000 req/s",
                    rps >= 1000,
                )
            )
    finally:
        for proc in (sandbox, floor):
            proc.terminate()
            proc.wait(10)

    width = max(len(r[0]) for r in rows)
    print(f"{'scenario':<{width}}  {'measured':<32}  {'target':<16}  ok")
    print("-" * (width + 58))
    for name, measured, target, ok in rows:
        mark = "" if ok is None else ("yes" if ok else "NO")
        print(f"{name:<{width}}  {measured:<32}  {target:<16}  {mark}")
    print(
        f"\n{args.requests} requests per scenario, {args.concurrency} concurrent connections, "
        f"{os.cpu_count()} cores; client and servers in separate processes on loopback."
    )


if __name__ == "__main__":
    main()
