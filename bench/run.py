"""The engine benchmark: one table of scenarios against the floor, with the targets of issue 8.

    python bench/run.py [--quick] [--patch slim,syncpd,...] [--only initial,idle,...]

Starts its own sandboxes (`calsync sandbox --empty --port 0`, one for the engine, one for the
floor, each in its own process), runs the engine through the real CLI (`connect --sandbox`,
`sync --once --json`, `sync --watch`) with CALSYNC_HOME in a temporary folder and no keyring,
and measures for each scenario the requests made (from /_sandbox/stats), the seconds, the
peak RSS of the `calsync` process, and the ratio to the floor: the least work any sync must
do (list both sides, write each item once to the other side), done by a bare sequential
httpx loop against an identically seeded sandbox in the same run (bench/floor.py).

A scenario that fails prints a FAILED row with the reason; the table is always printed.
`--quick` skips the 10,000-item scenarios. `--patch` runs the engine with candidate changes
(bench/patched.py) to measure them before they are made in sync/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import Empty, Queue

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.floor import Api, Floor, make_changes  # noqa: E402
from bench.procs import ROOT, BenchError, Calsync, Delta, Sandbox, run_child, stop  # noqa: E402
from sandbox.pipedrive.ratelimit import UNENFORCED_BURST  # noqa: E402
from sync.polling import DEFAULT_INTERVAL  # noqa: E402

SCENARIOS = ("initial", "idle", "incremental", "watch", "limits", "store", "tui")
SYNC_TIMEOUT = {1_000: 120.0, 10_000: 180.0}
LIMITS_PLAN = "growth"
# Sized so that each side needs about a minute at the plan's limits: Google 600 calls a
# minute (1,000 event writes + the list), Pipedrive 40 a 2-second window (1,200 creates +
# the list pages).
LIMITS_EVENTS, LIMITS_ACTIVITIES = 1_200, 1_000
LIMITS_TIMEOUT = 150.0


@dataclass
class Row:
    name: str
    requests: str = ""
    seconds: float | None = None
    rss_mb: float | None = None
    vs_floor: str = ""
    target: str = ""
    ok: bool | None = None
    failed: str = ""
    notes: list[str] = field(default_factory=list)


def fmt_requests(d: Delta) -> str:
    return f"{d.google:,} G + {d.pipedrive:,} P"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def _first_summary(lines: Queue[str], timeout: float) -> None:
    """Wait for a watch's first run summary line; it must say ok."""
    try:
        line = ""
        while not (line.startswith("account ") and ": " in line):
            line = lines.get(timeout=timeout)
    except Empty:
        raise BenchError(f"no run finished within {timeout:.0f} s") from None
    if ": ok" not in line:
        raise BenchError(f"watch run failed: {line.strip()[:200]}")


def _just_after_a_run(engine: Sandbox, timeout: float) -> None:
    """Return as a poll's requests arrive (idle polls print nothing: watch the sandbox)."""
    deadline = time.monotonic() + timeout
    start = engine.stats().by_service["pipedrive"]
    while engine.stats().by_service["pipedrive"] == start:
        if time.monotonic() > deadline:
            raise BenchError(f"no poll within {timeout:.0f} s")
        time.sleep(0.01)


def _latency(api: Api, event_id: str, timeout: float) -> float | None:
    """Retitle a Google event; seconds until its activity shows the title (None: not within
    `timeout`)."""
    title = f"Watch probe {time.time():.0f}"
    since = (datetime.now(UTC) - timedelta(seconds=2)).isoformat(timespec="seconds")
    api.patch_event(event_id, {"summary": title})
    changed = time.perf_counter()
    while time.perf_counter() < changed + timeout:
        found = api.list_activities(updated_since=since.replace("+00:00", "Z"))
        if any(a.get("subject") == title for a in found):
            return time.perf_counter() - changed
        time.sleep(0.1)
    return None


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rows: list[Row] = []
        self.engine: Sandbox | None = None
        self.floor_box: Sandbox | None = None
        self.results: dict[str, float] = {}
        self.state: dict = {}

    # -- plumbing ----------------------------------------------------------------------

    def scenario(self, name: str, fn: Callable[[], list[Row]]) -> None:
        started = time.perf_counter()
        print(f"... {name}", file=sys.stderr, flush=True)
        try:
            rows = fn()
        except Exception as exc:  # every failure becomes a row, never a traceback
            reason = str(exc) if isinstance(exc, BenchError) else f"{exc.__class__.__name__}: {exc}"
            if os.environ.get("BENCH_DEBUG"):
                traceback.print_exc()
            rows = [Row(name, failed=reason.replace("\n", " ")[:300])]
        self.rows.extend(rows)
        print(f"    {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)

    def sandboxes(self) -> tuple[Sandbox, Sandbox]:
        if self.engine is None:
            self.engine = Sandbox()
            self.floor_box = Sandbox()
        assert self.floor_box is not None
        return self.engine, self.floor_box

    def close(self) -> None:
        for box in (self.engine, self.floor_box):
            if box is not None:
                box.close()
        for cal in self.state.get("calsyncs", []):
            cal.close()

    def calsync(self) -> Calsync:
        cal = Calsync(self.args.patch)
        self.state.setdefault("calsyncs", []).append(cal)
        return cal

    def sync_once(self, cal: Calsync, box: Sandbox, timeout: float) -> tuple[dict, Delta, object]:
        before = box.stats()
        child = cal.run("sync", "--once", "--json", timeout=timeout)
        delta = box.stats() - before
        if child.timed_out:
            raise BenchError(
                f"sync --once did not finish in {timeout:.0f} s "
                f"({delta.total:,} requests so far, peak RSS {child.rss_mb:.0f} MB)"
            )
        summary = child.last_json()
        if summary.get("status") != "ok":
            errors = summary.get("errors") or [summary.get("error")]
            raise BenchError(
                f"sync status {summary.get('status')!r} (exit {child.rc}): {str(errors[:2])[:200]}"
            )
        return summary, delta, child

    # -- initial, idle, incremental ----------------------------------------------------

    def initial(self, n: int) -> list[Row]:
        engine, floor_box = self.sandboxes()
        label = f"{n:,}+{n:,}"
        floor_box.fresh(n)
        floor = Floor(Api(floor_box.url))
        before, cpu = floor_box.stats(), floor_box.cpu_seconds()
        floor_seconds = floor.initial()
        floor_delta = floor_box.stats() - before
        floor_cpu = floor_box.cpu_seconds() - cpu
        rows = [
            Row(
                f"floor: initial {label}",
                fmt_requests(floor_delta),
                floor_seconds,
                target="(reference: bare sequential httpx loop)",
            )
        ]
        self.results[f"floor{n}"] = floor_seconds
        if n == 1_000:
            rows.append(self.paced(n, engine))

        engine.fresh(n)
        cal = self.calsync()
        cal.connect(engine)
        row = Row(f"initial sync {label}")
        rows.append(row)
        cpu = engine.cpu_seconds()
        try:
            summary, delta, child = self.sync_once(cal, engine, SYNC_TIMEOUT.get(n, 240.0))
        except BenchError as exc:
            row.failed = str(exc)
            return rows
        row.notes.append(
            f"sandbox CPU: {engine.cpu_seconds() - cpu:.1f} s serving the engine, "
            f"{floor_cpu:.1f} s serving the floor"
        )
        g, p = summary["google"], summary["pipedrive"]
        if g["created"] != n or p["created"] != n:
            row.notes.append(
                f"created {g['created']} on Google, {p['created']} on Pipedrive (expected {n} each)"
            )
        row.requests = fmt_requests(delta)
        row.seconds, row.rss_mb = child.seconds, child.rss_mb
        row.vs_floor = (
            f"{ratio(child.seconds, floor_seconds)} time, "
            f"{ratio(delta.total, floor_delta.total)} req"
        )
        self.results[f"engine{n}"] = child.seconds
        if n >= 10_000:
            row.target = "<= 0.5x floor time, fewer requests"
            row.ok = child.seconds <= 0.5 * floor_seconds and delta.total < floor_delta.total
            rows.append(
                Row(
                    f"peak RSS, sync --once {label}",
                    rss_mb=child.rss_mb,
                    target="<= 150 MB",
                    ok=child.rss_mb <= 150,
                )
            )
        row.notes.append(
            f"engine's own summary: {summary['seconds']:.2f} s in the run, "
            f"{g['requests']}+{p['requests']} requests"
        )
        if n == 1_000:
            self.state["small"] = (cal, floor)
        return rows

    def paced(self, n: int, engine: Sandbox) -> Row:
        """The initial sync against the headers the sandbox sends with limits off (Ultimate's
        OAuth burst): the share of the rate they allow that the engine reaches."""
        engine.fresh(n, paced=True)
        cal = self.calsync()
        cal.connect(engine)
        row = Row(f"initial sync {n:,}+{n:,}, paced to the default headers")
        try:
            summary, delta, child = self.sync_once(cal, engine, SYNC_TIMEOUT.get(n, 240.0))
        except BenchError as exc:
            row.failed = str(exc)
            return row
        burst = UNENFORCED_BURST
        least = 2.0 * ((delta.pipedrive - 1) // burst)
        row.requests, row.seconds, row.rss_mb = fmt_requests(delta), child.seconds, child.rss_mb
        row.vs_floor = f"{least / summary['seconds']:.0%}" if summary["seconds"] else "-"
        row.target = f"(reference: share of {burst} req/2 s)"
        row.notes.append(
            f"{delta.pipedrive} Pipedrive requests need {least:.1f} s at {burst} per 2 s; "
            f"the run took {summary['seconds']:.2f} s"
        )
        return row

    def linear(self) -> list[Row]:
        small, big = self.results.get("engine1000"), self.results.get("engine10000")
        if small is None or big is None:
            raise BenchError("needs both initial syncs (1,000 and 10,000) to have finished")
        floor = self.results["floor10000"] / self.results["floor1000"]
        return [
            Row(
                "linear cost: time(10,000) / time(1,000)",
                seconds=None,
                vs_floor=f"{big / small:.1f}x (floor {floor:.1f}x)",
                target="<= 11x",
                ok=big / small <= 11,
            )
        ]

    def _small(self) -> tuple[Calsync, Floor]:
        if "small" not in self.state:
            raise BenchError("needs the initial sync of 1,000+1,000 to have finished")
        return self.state["small"]

    def idle(self) -> list[Row]:
        cal, _ = self._small()
        engine = self.engine
        assert engine is not None
        rows = []
        summary, delta, child = self.sync_once(cal, engine, 120)
        rows.append(
            Row(
                "first sync after the initial (sees its own writes)",
                fmt_requests(delta),
                child.seconds,
                child.rss_mb,
                target="(reference)",
                notes=[f"engine's own summary: {summary['seconds']:.3f} s in the run"],
            )
        )
        time.sleep(2.5)  # as a watch's next poll (every 4 s) would come
        summary, delta, child = self.sync_once(cal, engine, 120)
        rows.append(
            Row(
                "the next sync, 2.5 s later",
                fmt_requests(delta),
                child.seconds,
                child.rss_mb,
                target="(reference)",
                notes=[
                    "Pipedrive's update_time has whole seconds: a listing that began within 2 s "
                    "of the cursor's second leaves it inclusive, so the next run reads that "
                    "second (hundreds of our own creates) once more, then moves past it"
                ],
            )
        )
        time.sleep(2.5)
        summary, delta, child = self.sync_once(cal, engine, 120)
        rows.append(
            Row(
                "idle sync (nothing changed)",
                fmt_requests(delta),
                child.seconds,
                child.rss_mb,
                vs_floor=f"{ratio(delta.total, 2)} req",
                target="1 request per side",
                ok=delta.google == 1 and delta.pipedrive == 1,
                notes=[
                    f"engine's own summary: {summary['seconds']:.3f} s in the run; "
                    "the floor is one changes-only list per side"
                ],
            )
        )
        return rows

    def incremental(self, k: int) -> list[Row]:
        cal, floor = self._small()
        engine, floor_box = self.sandboxes()
        tag = f"k{k}"
        floor.settle()
        make_changes(floor.api, floor.seeded_events, floor.seeded_activities, k, tag)
        before = floor_box.stats()
        floor_seconds = floor.incremental()
        floor_delta = floor_box.stats() - before
        api = self.state.setdefault("engine_api", Api(engine.url))
        make_changes(api, floor.seeded_events, floor.seeded_activities, k, tag)
        summary, delta, child = self.sync_once(cal, engine, 120)
        updated = summary["google"]["updated"] + summary["pipedrive"]["updated"]
        row = Row(
            f"incremental sync, {k} changes",
            fmt_requests(delta),
            child.seconds,
            child.rss_mb,
            vs_floor=f"{ratio(child.seconds, floor_seconds)} time, "
            f"{ratio(delta.total, floor_delta.total)} req",
        )
        if updated != k:
            row.notes.append(f"updated {updated} items, expected {k}")
        row.notes.append(
            f"engine's own summary: {summary['seconds']:.3f} s in the run "
            f"(the rest of the wall time is the process starting)"
        )
        return [
            Row(
                f"floor: incremental, {k} changes",
                fmt_requests(floor_delta),
                floor_seconds,
                target="(reference)",
            ),
            row,
        ]

    # -- watch -------------------------------------------------------------------------

    def watch(self) -> list[Row]:
        cal, floor = self._small()
        engine = self.engine
        assert engine is not None
        api = self.state.setdefault("engine_api", Api(engine.url))
        interval = self.args.watch_interval
        args = ["sync", "--watch"] + (["--interval", str(interval)] if interval else [])
        shown = interval or DEFAULT_INTERVAL
        proc = cal.popen(*args)
        lines: Queue[str] = Queue()

        def pump() -> None:
            for line in proc.stdout:
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        try:
            _first_summary(lines, 60)
            _just_after_a_run(engine, shown + 60)
            time.sleep(0.5)  # let that poll finish
            before, started = engine.stats(), time.perf_counter()
            time.sleep(5 * shown)
            idle, span = engine.stats() - before, time.perf_counter() - started
            # Worst case: the change lands just after a run; it waits a whole interval.
            _just_after_a_run(engine, shown + 60)
            seen = _latency(api, floor.seeded_events[-1], shown + 60)
        finally:
            stop(proc)
        if seen is None:
            raise BenchError(f"the change did not reach Pipedrive within {shown + 60:.0f} s")
        intervals = max(1, round(span / shown))
        per_interval = idle.total / intervals
        return [
            Row(
                f"watch: latency at --interval {shown:g} (default)"
                if not interval
                else f"watch: latency at --interval {shown:g}",
                seconds=seen,
                target="<= 5 s",
                ok=seen <= 5,
                notes=[
                    "worst case: a Google edit made just after a poll, until its activity shows"
                ],
            ),
            Row(
                "watch: requests per idle interval",
                f"{fmt_requests(idle)} in {intervals} intervals",
                vs_floor=f"{ratio(per_interval, 2)} req",
                target="<= 2 requests",
                ok=per_interval <= 2,
            ),
        ]

    # -- limits ------------------------------------------------------------------------

    def limits(self) -> list[Row]:
        engine, _ = self.sandboxes()
        engine.admin("POST", "reset")
        engine.admin(
            "POST",
            "seed",
            {"seed": 2, "events": LIMITS_EVENTS, "activities": LIMITS_ACTIVITIES, "persons": 50},
        )
        limits = engine.admin("POST", "limits", {"plan": LIMITS_PLAN})["limits"]
        cal = self.calsync()
        cal.connect(engine)
        time.sleep(2.1)  # let the connect's requests leave Pipedrive's 2-second window
        before = engine.stats()
        child = cal.run("sync", "--once", "--json", timeout=LIMITS_TIMEOUT)
        delta = engine.stats() - before
        engine.admin("POST", "limits", {"plan": "off"})
        status = child.last_json() if not child.timed_out else {"status": "timeout", "errors": []}
        t = child.seconds
        # Google's quota answers 403 (inside batches); the 429s are Pipedrive's.
        p429 = delta.by_status["429"]
        g_lists = delta.by_route["GET /calendar/v3/calendars/{calendar_id}/events"]
        g_calls, g_needed = delta.calls["google"], LIMITS_ACTIVITIES + g_lists
        g_refused = max(0, g_calls - g_needed)
        p_calls = delta.pipedrive
        p_needed = p_calls - p429
        # The least time the limits allow for the calls that had to be made, over the time taken.
        g_min = 60.0 * ((g_needed - 1) // limits["google_per_user_per_minute"])
        p_min = 2.0 * ((p_needed - 1) // limits["pipedrive_burst_per_2s"])
        done = status.get("status") == "ok"
        note = (
            f"status {status.get('status')}, {len(status.get('errors') or [])} errors; "
            f"Pipedrive 429s {p429}; Google calls refused by the quota (403) {g_refused}"
        )
        rows = [
            Row(
                f"limits {LIMITS_PLAN}: Google, share of 600 calls/min",
                f"{g_calls:,} G calls",
                t,
                child.rss_mb,
                vs_floor=f"{g_min / t:.0%}" if t else "-",
                target=">= 90%, none refused",
                ok=done and g_min / t >= 0.9 and g_refused == 0,
                notes=[
                    note,
                    f"{g_needed} calls needed; the quota allows them in {g_min:.0f} s at best",
                ],
            ),
            Row(
                f"limits {LIMITS_PLAN}: Pipedrive, share of 40 req/2 s",
                f"{p_calls:,} P",
                t,
                None,
                vs_floor=f"{p_min / t:.0%}" if t else "-",
                target=">= 90%, no 429",
                ok=done and p_min / t >= 0.9 and p429 == 0,
                notes=[
                    f"{p_needed} requests needed; the burst limit allows them in {p_min:.0f} s at best"
                ],
            ),
        ]
        if child.timed_out:
            for row in rows:
                row.ok = False
                row.notes.append(f"timed out after {LIMITS_TIMEOUT:.0f} s")
        return rows

    # -- store, tui --------------------------------------------------------------------

    def store(self) -> list[Row]:
        child = run_child(
            [sys.executable, str(ROOT / "bench" / "store_ops.py"), "--links", "20000"], timeout=120
        )
        if child.rc != 0:
            raise BenchError(f"store_ops.py exited {child.rc}: {child.err.strip()[-300:]}")
        r = json.loads(child.out.strip().splitlines()[-1])
        return [
            Row(
                "store: put 20,000 links + one flush",
                seconds=r["put_all_in_one_transaction_s"],
                rss_mb=child.rss_mb,
                vs_floor=f"{ratio(r['put_all_in_one_transaction_s'], r['floor_s'])} time",
                notes=[
                    f"floor: json.dumps + one atomic write of the same links, {r['floor_s']:.3f} s; "
                    f"file {r['file_mb']:.1f} MB"
                ],
            ),
            Row(
                "store: lookup by id at 20,000 (each)",
                seconds=r["lookup_us"] / 1e6,
                target="O(1)",
                ok=r["lookup_us"] < 10,
            ),
            Row(
                "store: flush after one change at 20,000 links",
                seconds=r["flush_one_change_s"],
                vs_floor=f"{ratio(r['flush_one_change_s'], r['floor_s'])} time",
                target="<= 10 ms: cost of the change, not the store",
                ok=r["flush_one_change_s"] <= 0.010,
                notes=[
                    "every flush rewrites all links; the executor flushes after every 100 writes, "
                    "so an initial sync of N items writes N/100 whole files (quadratic)"
                ],
            ),
            Row(
                "store: one put_link outside a transaction",
                seconds=r["single_put_ms"] / 1e3,
                target="(reference)",
                notes=["outside a transaction each change is flushed at once (whole file, fsync)"],
            ),
            Row("store: reopen at 20,000 links", seconds=r["reopen_s"]),
        ]

    def tui(self) -> list[Row]:
        n = 10_000
        out = {}
        for widget in ("richlog", "log"):
            child = run_child(
                [
                    sys.executable,
                    str(ROOT / "bench" / "tui_log.py"),
                    "--events",
                    str(n),
                    "--widget",
                    widget,
                ],
                timeout=180,
            )
            if child.rc != 0:
                raise BenchError(f"tui_log.py exited {child.rc}: {child.err.strip()[-300:]}")
            out[widget] = (json.loads(child.out.strip().splitlines()[-1]), child.rss_mb)
        (rich, rich_rss), (plain, _) = out["richlog"], out["log"]
        rate, floor_rate = n / rich["seconds"], n / plain["seconds"]
        return [
            Row(
                f"TUI log: {n:,} events, {rich['batch']} a batch",
                seconds=rich["seconds"],
                rss_mb=rich_rss,
                vs_floor=f"{ratio(rich['seconds'], plain['seconds'])} time",
                target=f"{rate:,.0f} events/s",
                notes=[
                    f"RichLog as in tui/screens/sync_log.py, lines by {rich['formatter']}; floor: "
                    f"Textual's Log fed plain lines, {floor_rate:,.0f} events/s"
                ],
            )
        ]

    # -- all ---------------------------------------------------------------------------

    def run(self) -> None:
        only = set(self.args.only.split(",")) if self.args.only else set(SCENARIOS)
        if "initial" in only or {"idle", "incremental", "watch"} & only:
            self.scenario("initial sync 1,000+1,000", lambda: self.initial(1_000))
        if "idle" in only:
            self.scenario("idle sync", self.idle)
        if "incremental" in only:
            for k in (10, 100):
                self.scenario(f"incremental sync, {k} changes", lambda k=k: self.incremental(k))
        if "watch" in only:
            self.scenario("watch mode", self.watch)
        if "initial" in only and not self.args.quick:
            self.scenario("initial sync 10,000+10,000", lambda: self.initial(10_000))
            self.scenario("linear cost", self.linear)
        if "limits" in only:
            self.scenario(f"under the {LIMITS_PLAN} plan's limits", self.limits)
        if "store" in only:
            self.scenario("store operations at 20,000 links", self.store)
        if "tui" in only:
            self.scenario("TUI log throughput", self.tui)


def seconds_text(value: float | None) -> str:
    if value is None:
        return ""
    if value < 0.001:
        return f"{value * 1e6:.2f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def print_table(rows: list[Row], args: argparse.Namespace, started: float) -> None:
    head = ("scenario", "requests", "time", "peak RSS", "vs floor", "target", "ok")
    cells = []
    for r in rows:
        if r.failed:
            cells.append((r.name, "", "", "", "", r.target, "FAILED"))
            continue
        mark = "" if r.ok is None else ("yes" if r.ok else "NO")
        cells.append(
            (
                r.name,
                r.requests,
                seconds_text(r.seconds),
                f"{r.rss_mb:.0f} MB" if r.rss_mb is not None else "",
                r.vs_floor,
                r.target,
                mark,
            )
        )
    widths = [max(len(str(c[i])) for c in [head, *cells]) for i in range(len(head))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*head))
    print("-" * (sum(widths) + 2 * (len(widths) - 1)))
    for c in cells:
        print(line.format(*c).rstrip())
    notes = [(r.name, f"FAILED: {r.failed}") for r in rows if r.failed]
    notes += [(r.name, n) for r in rows for n in r.notes]
    if notes:
        print("\nnotes:")
        for name, note in notes:
            print(f"  {name}: {note}")
    patch = f", engine patches: {args.patch}" if args.patch else ""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\nload average at the end {load} (other work on the machine skews the times); "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} "
        f"{platform.release()}{patch}; G = Google requests (a batch is one), P = Pipedrive; "
        f"whole run {time.perf_counter() - started:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 10,000-item scenarios")
    parser.add_argument(
        "--patch", default="", help="engine patches from bench/patched.py, comma-separated"
    )
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(SCENARIOS))
    parser.add_argument(
        "--watch-interval",
        type=float,
        default=None,
        help="seconds between watch runs (default: the CLI's default)",
    )
    args = parser.parse_args()
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

    def interrupted(signum, frame):
        raise KeyboardInterrupt  # SIGTERM too: stop the sandboxes and children on the way out

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    started = time.perf_counter()
    bench = Bench(args)
    try:
        bench.run()
    except KeyboardInterrupt:
        bench.rows.append(Row("(interrupted)", failed="stopped by a signal"))
    finally:
        bench.close()
    print_table(bench.rows, args, started)


if __name__ == "__main__":
    main()
