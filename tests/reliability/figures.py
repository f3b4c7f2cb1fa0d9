"""Run the reliability suite and print its figures as the table of docs/reliability.md.

    python -m tests.reliability.figures            # the CI profile
    CALSYNC_LONG=1 python -m tests.reliability.figures   # the long profile

Extra arguments go to pytest (e.g. `-n 2`). The tests append their figures to the file
named by CALSYNC_FIGURES (one JSON line per test); this sums them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path


def collect(path: Path) -> tuple[Counter, Counter]:
    totals: Counter = Counter()
    faults: Counter = Counter()
    for line in path.read_text().splitlines():
        for key, value in json.loads(line).items():
            if isinstance(value, dict):
                faults.update(value)
            else:
                totals[key] += value
    return totals, faults


def table(totals: Counter, faults: Counter, seconds: float, outcome: str) -> str:
    rows = [
        ("crash points tried (injected crash after write k)", totals["crash_points_injected"]),
        ("crash points tried (real SIGKILL of `calsync sync --once`)", totals["crash_points_sigkill"]),
        ("undo crash points tried (injected crash after write k)", totals["undo_crash_points_injected"]),
        ("undo crash points tried (real SIGKILL of `calsync undo`)", totals["undo_crash_points_sigkill"]),
        ("fault-injected scenario runs", totals["fault_runs"]),
        ("faults injected", sum(faults.values())),
        *((f"- {kind}", n) for kind, n in sorted(faults.items())),
        ("state machine examples", totals["examples"]),
        ("state machine steps (edits, option changes, faults)", totals["machine_steps"]),
        ("state machine sync runs checked", totals["machine_syncs"]),
        ("bad inputs tried", totals["bad_inputs"]),
        ("store / process faults tried", totals["store_faults"]),
        ("second processes on one account (real processes)", totals["concurrent_processes"]),
        ("places scanned for tokens", totals["security_scans"]),
        ("items lost", totals["items_lost"]),
        ("duplicates made", totals["duplicates"]),
    ]  # fmt: skip
    lines = ["| figure | count |", "|---|---:|"]
    lines += [f"| {name} | {value:,} |" for name, value in rows]
    lines.append(f"\npytest: {outcome} in {seconds:.0f} s")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figures.jsonl"
        path.touch()
        env = {**os.environ, "CALSYNC_FIGURES": str(path)}
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "tests/reliability", *argv],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.monotonic() - began
        outcome = (done.stdout.strip().splitlines() or ["no output"])[-1].strip("= ")
        totals, faults = collect(path)
    print(table(totals, faults, seconds, outcome))
    if done.returncode != 0:
        print(done.stdout[-4000:], file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
