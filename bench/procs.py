"""Benchmark plumbing: sandbox processes, timed child processes with their peak RSS, the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue

import httpx

ROOT = Path(__file__).resolve().parent.parent


class BenchError(Exception):
    """A scenario could not be measured; the message becomes its FAILED row."""


@dataclass
class Child:
    """What a finished child process left: exit code, output, wall seconds, peak RSS (MB)."""

    rc: int
    out: str
    err: str
    seconds: float
    rss_mb: float
    timed_out: bool = False

    def last_json(self) -> dict:
        for line in reversed(self.out.strip().splitlines()):
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)
        raise BenchError(
            f"no JSON summary (exit {self.rc}): {self.err.strip()[-300:] or self.out[-300:]}"
        )


# A burst no run here comes near: the headers then ask no client to wait.
UNPACED_BURST = 1_000_000


def run_child(cmd: list[str], *, env: dict | None = None, timeout: float = 120.0) -> Child:
    """Run `cmd` to the end (killed after `timeout`), timing it and reading its own peak RSS
    from wait4 (the kernel's ru_maxrss of that one process, KB on Linux)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT, text=True)
        deadline = started + timeout
        timed_out = False
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    timed_out = True
                    proc.kill()
                    pid, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.01)
        except BaseException:  # interrupted: never leave the child behind
            proc.kill()
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            raise
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Child(
            proc.returncode, out.read(), err.read(), seconds, usage.ru_maxrss / 1024, timed_out
        )


class Sandbox:
    """`calsync sandbox --empty --port 0` in its own process (its memory is not the engine's)."""

    def __init__(self, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "sandbox", "--empty", "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
        )
        first = _readline(self.proc, 20.0)
        if "http://" not in first:
            self.close()
            raise BenchError(f"the sandbox did not start: {first!r}")
        self.url = first.split(" on ", 1)[1].split()[0]
        self.client = httpx.Client(base_url=self.url, timeout=120)

    def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        answer = self.client.request(method, f"/_sandbox/{path}", json=body)
        if answer.status_code != 200:
            raise BenchError(f"{method} /_sandbox/{path}: {answer.status_code} {answer.text[:200]}")
        return answer.json()

    def fresh(self, items: int, *, seed: int = 1, persons: int = 100, paced: bool = False) -> None:
        """Back to empty, then `items` events and `items` activities (deterministic by seed).

        Unless `paced`, Pipedrive's burst limit is raised out of reach: with limits off the
        sandbox still sends Ultimate's headers (480 requests per 2 s), which calsync paces
        to and a bare loop (the floor) ignores; raised, both meet the same server."""
        self.admin("POST", "reset")
        if not paced:
            self.admin("POST", "limits", {"pipedrive_burst_per_2s": UNPACED_BURST})
        if items:
            self.admin(
                "POST",
                "seed",
                {"seed": seed, "events": items, "activities": items, "persons": persons},
            )

    def cpu_seconds(self) -> float:
        """CPU time the sandbox process has used (user + system), from /proc; 0 where there is none."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stats(self) -> Stats:
        return Stats(self.admin("GET", "stats"))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _readline(proc: subprocess.Popen, timeout: float) -> str:
    lines: Queue[str] = Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except Empty:
        return ""


@dataclass
class Stats:
    """A /_sandbox/stats snapshot; `b - a` gives what happened in between."""

    raw: dict
    by_service: Counter = field(init=False)
    by_status: Counter = field(init=False)
    by_route: Counter = field(init=False)
    calls: Counter = field(init=False)

    def __post_init__(self) -> None:
        req = self.raw["requests"]
        self.by_service = Counter(req.get("by_service", {}))
        self.by_status = Counter(req.get("by_status", {}))
        self.by_route = Counter(req.get("by_route", {}))
        self.calls = Counter(self.raw.get("calls", {}))

    def __sub__(self, other: Stats) -> Delta:
        return Delta(
            self.by_service - other.by_service,
            self.by_status - other.by_status,
            self.by_route - other.by_route,
            self.calls - other.calls,
        )


@dataclass
class Delta:
    by_service: Counter
    by_status: Counter
    by_route: Counter
    calls: Counter

    @property
    def google(self) -> int:
        return self.by_service["google"]

    @property
    def pipedrive(self) -> int:
        return self.by_service["pipedrive"]

    @property
    def total(self) -> int:
        return self.google + self.pipedrive


class Calsync:
    """The real CLI in child processes, with its own CALSYNC_HOME and no keyring.

    `patches` names engine changes applied in the child by bench/patched.py (experiments
    for docs/performance.md); none runs the engine as shipped (`python -m tui.cli`)."""

    def __init__(self, patches: str = "") -> None:
        self.home = tempfile.mkdtemp(prefix="calsync-bench-")
        self.env = {
            **os.environ,
            "CALSYNC_HOME": self.home,
            "CALSYNC_KEYRING": "off",
            "PYTHONPATH": str(ROOT),
        }
        self.patches = patches

    def argv(self, *args: str) -> list[str]:
        if self.patches:
            return [sys.executable, str(ROOT / "bench" / "patched.py"), self.patches, *args]
        return [sys.executable, "-m", "tui.cli", *args]

    def run(self, *args: str, timeout: float = 120.0) -> Child:
        return run_child(self.argv(*args), env=self.env, timeout=timeout)

    def must(self, *args: str, timeout: float = 60.0) -> Child:
        child = self.run(*args, timeout=timeout)
        if child.rc != 0:
            raise BenchError(
                f"calsync {' '.join(args)} exited {child.rc}: {child.err.strip()[-300:]}"
            )
        return child

    def connect(self, sandbox: Sandbox) -> None:
        self.must("connect", "--sandbox", sandbox.url)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            self.argv(*args),
            env=self.env,
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def close(self) -> None:
        import shutil

        shutil.rmtree(self.home, ignore_errors=True)


def stop(proc: subprocess.Popen) -> None:
    """Stop a child started by `Calsync.popen` (its own process group) and reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
