"""Shared checks for the reliability suite: both sides as content multisets, duplicates,
one-to-one links, sizes chosen by CALSYNC_LONG, and the figures file (CALSYNC_FIGURES)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sandbox.app import create_app
from sandbox.server import start_in_thread
from sync.accounts import connect_sandbox
from sync.mapping import ACTIVITY_KEY, marker_google_id

from ..engine.conftest import Env
from .conftest import LONG


def size(ci: int, long: int) -> int:
    """A size for the CI profile, or the long one when CALSYNC_LONG is set."""
    return long if LONG else ci


@contextlib.asynccontextmanager
async def live_account(home: Path) -> AsyncIterator[Env]:
    """An empty sandbox on loopback (live clock, for `calsync` processes), an Env on it and an
    account connected through the engine (home `home`); the sandbox stops afterwards."""
    app = create_app(seed=1, empty=True)
    running = start_in_thread(app)
    env = Env(app, home)
    try:
        env.account_id = (await connect_sandbox(env.store, env.vault, running.url)).account.id
        yield env
    finally:
        await env.client.aclose()
        running.stop()


# -- figures -------------------------------------------------------------------------------


def record(**figures: Any) -> None:
    """Add figures (numbers, or {kind: number} maps) to the file named by CALSYNC_FIGURES.

    One JSON line per call, appended under a lock: xdist workers write to the same file and
    `python -m tests.reliability.figures` sums the lines into the table of docs/reliability.md.
    """
    path = os.environ.get("CALSYNC_FIGURES")
    if not path:
        return
    line = json.dumps(figures, sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(line)
        fh.flush()
        fcntl.flock(fh, fcntl.LOCK_UN)


# -- content -------------------------------------------------------------------------------


def _when(value: dict | None) -> str:
    value = value or {}
    return str(value.get("dateTime") or value.get("date") or "")


def _emails(attendees) -> tuple[str, ...]:
    return tuple(
        sorted(str(a.get("email") or "").lower() for a in attendees or () if isinstance(a, dict))
    )


def _location(value) -> str:
    return str((value.get("value") if isinstance(value, dict) else value) or "")


def google_content(event: dict) -> tuple:
    """What a person sees of an event (no ids, etags, stamps or our markers)."""
    return (
        event.get("summary") or "",
        _when(event.get("start")),
        _when(event.get("end")),
        event.get("location") or "",
        event.get("description") or "",
        event.get("transparency") or "opaque",
        event.get("visibility") or "default",
        _emails(event.get("attendees")),
    )


def activity_content(act: dict) -> tuple:
    """What a person sees of an activity (no ids, stamps or the internal marker note)."""
    return (
        act.get("subject") or "",
        act.get("type") or "",
        act.get("due_date") or "",
        act.get("due_time") or "",
        act.get("duration") or "",
        _location(act.get("location")),
        act.get("public_description") or "",
        bool(act.get("busy")),
        bool(act.get("private")),
        _emails(act.get("attendees")),
    )


async def snapshot(env) -> dict[str, Counter]:
    """Both sides of an Env as multisets of content."""
    events, acts = await env.google_events(), await env.activities()
    return {
        "google": Counter(google_content(e) for e in events),
        "pipedrive": Counter(activity_content(a) for a in acts),
    }


def compare(expected: dict[str, Counter], got: dict[str, Counter]) -> tuple[int, int]:
    """(items lost, items duplicated or extra) between two snapshots, both sides together."""
    lost = extra = 0
    for side in ("google", "pipedrive"):
        lost += sum((expected[side] - got[side]).values())
        extra += sum((got[side] - expected[side]).values())
    return lost, extra


def copies(events: list[dict], acts: list[dict]) -> list[str]:
    """Items that exist twice: two Google copies of one activity, two activities carrying
    the marker of one event, or two events/activities with the same content."""
    found: list[str] = []
    by_activity = Counter(
        ((e.get("extendedProperties") or {}).get("private") or {}).get(ACTIVITY_KEY) for e in events
    )
    by_activity.pop(None, None)
    found += [f"activity {k} copied {n} times" for k, n in by_activity.items() if n > 1]
    by_marker = Counter(marker_google_id(a.get("note")) for a in acts)
    by_marker.pop(None, None)
    found += [f"event {k} copied {n} times" for k, n in by_marker.items() if n > 1]
    g = Counter(google_content(e) for e in events)
    p = Counter(activity_content(a) for a in acts)
    found += [f"event twice: {k}" for k, n in g.items() if n > 1]
    found += [f"activity twice: {k}" for k, n in p.items() if n > 1]
    return found


def links_one_to_one(links) -> list[str]:
    """Links sharing a Google id or a Pipedrive id."""
    g = Counter(link.google_id for link in links)
    p = Counter(link.pipedrive_id for link in links)
    return [f"google {k} x{n}" for k, n in g.items() if n > 1] + [
        f"pipedrive {k} x{n}" for k, n in p.items() if n > 1
    ]


async def crash_sweep(
    monkeypatch, ks: list[int], expected: dict, crash_at
) -> tuple[list, int, int]:
    """Run `crash_at(k)` (-> (snapshot, writes)) for each k and compare each end state with
    `expected`: (failures in words, items lost, items extra)."""
    lost = extra = 0
    failures: list[str] = []
    for k in ks:
        monkeypatch.undo()
        got, writes = await crash_at(k)
        assert writes == k
        lost_k, extra_k = compare(expected, got)
        lost, extra = lost + lost_k, extra + extra_k
        if lost_k or extra_k:
            diff = {
                side: (dict(expected[side] - got[side]), dict(got[side] - expected[side]))
                for side in ("google", "pipedrive")
            }
            failures.append(f"k={k}: {diff}")
    return failures, lost, extra
