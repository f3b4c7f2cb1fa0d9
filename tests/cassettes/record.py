"""Re-record the cassettes: `python -m tests.cassettes.record [--out DIR] [--only NAME] [--check]`.

Each scenario runs the engine against a fresh sandbox (seed 1, clock frozen at NOW) served
under the real hostnames, so the same command always writes the same bytes. `--check`
records into a temporary folder and compares with cassettes/ (exit 1 on a difference).

`--real --home DIR --out DIR` records sync runs of an account connected to the real services
(`calsync connect --google ...` with CALSYNC_HOME=DIR) through the same secret filters; it
pauses between runs so that you can change things by hand. See docs/real-accounts.md.
"""

from __future__ import annotations

import argparse
import asyncio
import filecmp
import logging
import sys
import tempfile
from pathlib import Path

from .scenarios import CASSETTES, NOW, SCENARIOS, SEED, Played, play


async def record(out: Path, names: list[str] | None = None) -> dict[str, Played]:
    """Record the scenarios (all, or those named) into `out`; the outcomes by name."""
    from sandbox.app import create_app

    out.mkdir(parents=True, exist_ok=True)
    done = {}
    for name in names or list(SCENARIOS):
        scenario = SCENARIOS[name]
        app = create_app(seed=SEED, empty=True, frozen_time=NOW)
        with tempfile.TemporaryDirectory(prefix="calsync-record-") as home:
            done[name] = await play(scenario, Path(home), out / scenario.cassette, app=app)
    return done


def differences(left: Path, right: Path, names: list[str]) -> list[str]:
    """Cassettes that are missing or not byte-identical between two folders."""
    out = []
    for name in names:
        a, b = left / SCENARIOS[name].cassette, right / SCENARIOS[name].cassette
        if not (a.exists() and b.exists() and filecmp.cmp(a, b, shallow=False)):
            out.append(SCENARIOS[name].cassette)
    return out


async def record_real(home: Path, out: Path, runs: int) -> None:
    """Record `runs` sync runs of the one active account in `home` against the real services."""
    from sync.accounts import pick_account
    from sync.runner import run_once
    from sync.store import Store
    from sync.vault import Vault

    from .scrub import make_vcr, scan_cassette

    store, vault = Store(home), Vault(home)
    account = pick_account(store, None)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "real_sync.yaml"
    path.unlink(missing_ok=True)
    with make_vcr("all").use_cassette(str(path)):
        for n in range(runs):
            if n:
                input("Change something in Google Calendar or Pipedrive, then press Enter: ")
            async for event in run_once(store, vault, account.id):
                if event.kind == "done":
                    print(f"run {n + 1}: {event.detail['summary']}")
    store.close()
    leaks = scan_cassette(path)
    if leaks:
        path.unlink()
        raise SystemExit(f"refusing to keep {path}: it holds {leaks}")
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.cassettes.record", description=__doc__)
    parser.add_argument("--out", type=Path, default=CASSETTES, help="folder (default cassettes/)")
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), help="one scenario")
    parser.add_argument("--check", action="store_true", help="compare a fresh recording")
    parser.add_argument("--real", action="store_true", help="record against the real services")
    parser.add_argument("--home", type=Path, help="CALSYNC_HOME of the real account (--real)")
    parser.add_argument("--runs", type=int, default=2, help="sync runs to record (--real)")
    args = parser.parse_args(argv)
    logging.getLogger("stamina").setLevel(logging.ERROR)  # retries are the point, not news
    if args.real:
        if args.home is None or args.out == CASSETTES:
            parser.error("--real needs --home DIR and an --out DIR other than cassettes/")
        asyncio.run(record_real(args.home, args.out, args.runs))
        return 0
    names = args.only or list(SCENARIOS)
    if args.check:
        with tempfile.TemporaryDirectory(prefix="calsync-cassettes-") as tmp:
            asyncio.run(record(Path(tmp), names))
            stale = differences(Path(tmp), args.out, names)
        if stale:
            print("differ from a fresh recording: " + ", ".join(stale), file=sys.stderr)
            return 1
        print(f"{len(names)} cassettes match a fresh recording")
        return 0
    for name, played in asyncio.run(record(args.out, names)).items():
        statuses = ", ".join(run.summary["status"] for run in played.runs)
        print(f"{SCENARIOS[name].cassette}: {played.interactions} interactions, runs {statuses}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
