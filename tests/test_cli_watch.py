"""`calsync sync --watch` as a person runs it in a terminal: a change made on Google reaches
Pipedrive, idle polls print one line per quiet stretch, and Ctrl+C stops it cleanly. (How
fast the change crosses at the default interval is bench/run.py's watch figure.)"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from datetime import time as clock_time

import httpx

from tests import test_cli
from tests.conftest import google_oauth_tokens
from tests.test_cli import CALSYNC, calsync

home, connected = test_cli.home, test_cli.connected  # the same fixtures


def _activities(url: str, token: str) -> list[dict]:
    answer = httpx.get(f"{url}/api/v2/activities", params={"limit": 500},
                       headers={"x-api-token": token})  # fmt: skip
    data = answer.json()["data"]
    assert not (answer.json().get("additional_data") or {}).get("next_cursor")
    return data


def _until(condition, what: str, bound: float = 60) -> None:
    """Poll `condition` until it holds (a bound only against a hang: no duration is asserted;
    how fast a change crosses is bench/run.py's watch figure)."""
    deadline = time.monotonic() + bound
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.05)


def _activity_lists(url: str) -> int:
    routes = httpx.get(f"{url}/_sandbox/stats").json()["requests"]["by_route"]
    return sum(n for route, n in routes.items() if route.startswith("GET /api/v2/activities"))


def test_a_watch_carries_a_change_across_and_keeps_idle_polls_quiet(home, connected):
    url, sandbox = connected.url, connected.sandbox
    watch = subprocess.Popen(
        [*CALSYNC, "sync", "--watch", "--interval", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ,
    )
    try:
        _until(lambda: calsync("log", "--json", ok=False).stdout.startswith("[{"), "the first run")
        tokens = google_oauth_tokens(url)
        answer = httpx.post(
            f"{url}/calendar/v3/calendars/primary/events",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            json={
                "summary": "Watched change",
                "start": {"dateTime": "2026-12-01T10:00:00Z"},
                "end": {"dateTime": "2026-12-01T11:00:00Z"},
            },
        )
        assert answer.status_code == 200, answer.text
        token = sandbox.pipedrive.api_token
        _until(
            lambda: any(a["subject"] == "Watched change" for a in _activities(url, token)),
            "the change reaching Pipedrive",
        )
        polls = _activity_lists(url)
        _until(lambda: _activity_lists(url) >= polls + 4, "four idle polls")
    finally:
        watch.send_signal(signal.SIGINT)
        out, err = watch.communicate(timeout=30)
    assert "Traceback" not in err and watch.returncode in (0, 130), err
    lines = [line for line in out.splitlines() if line.startswith("account ")]
    quiet = [line for line in lines if "quiet until something changes" in line]
    assert len(lines) <= 4, out  # first run, the change, and a quiet line: not one per poll
    assert quiet, out
    starts = [line for line in out.splitlines() if " start " in f" {line} "]
    assert 1 <= len(starts) <= 3, out  # the first run and the change's, not the idle polls'
    assert any("Watched change" in line for line in out.splitlines()), out


def test_a_watch_short_of_pipedrive_budget_says_it_polls_less_often(home, connected):
    import io

    from sync.commands import Console, sync_watch

    # The sandbox and the watch on one frozen clock: noon, twelve hours before the budget
    # resets, whatever the hour of the machine.
    noon = datetime.combine(connected.sandbox.clock.now().date(), clock_time(12), UTC)
    connected.sandbox.clock.set(noon)
    answer = httpx.post(f"{connected.url}/_sandbox/limits", json={"pipedrive_daily_tokens": 3_000})
    assert answer.status_code == 200, answer.text
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    out, err = io.StringIO(), io.StringIO()
    code = sync_watch(Console(out, err), home=home, account_id=None, interval=4.0, runs=4,
                      sleep=sleep, clock=connected.sandbox.clock.now)  # fmt: skip
    assert code == 0
    assert waits and max(waits) > 60  # stretched by the budget, not every 4 s
    told = [line for line in err.getvalue().splitlines() if "Pipedrive's daily budget" in line]
    assert len(told) == 1, err.getvalue()  # said once, not at every poll
    assert "tokens left today" in told[0]
