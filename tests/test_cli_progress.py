"""A long `calsync sync --once` shows its progress: on a terminal a bar that updates in place
(writes done of planned, time left), in a pipe plain lines, with --json nothing extra."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess

import httpx

from tests import test_cli
from tests.test_cli import CALSYNC, calsync

home, connected = test_cli.home, test_cli.connected  # the same fixtures


def _seed(url: str, events: int) -> None:
    answer = httpx.post(
        f"{url}/_sandbox/seed", json={"seed": 3, "events": events, "activities": 0, "persons": 0}
    )
    assert answer.status_code == 200, answer.text


def _on_a_terminal(*args: str) -> str:
    """Run calsync with a pseudo-terminal as its stdout; everything it wrote there."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*CALSYNC, *args], stdout=follower, stderr=subprocess.PIPE,
                            env={**os.environ, "COLUMNS": "100"})  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks).decode(errors="replace")


def test_a_long_sync_on_a_terminal_shows_a_bar_that_updates_in_place(connected):
    _seed(connected.url, 400)
    out = _on_a_terminal("sync", "--once")
    assert "\r\x1b[2K" in out  # redrawn in place, not line after line
    counts = re.findall(r"(\d+)/(\d+)", out)
    assert counts and len({total for _, total in counts}) == 1  # writes done of those planned
    assert max(int(done) for done, _ in counts) > 0
    assert "account 1: ok" in out  # the result line, after the bar is gone


def test_in_a_pipe_progress_is_plain_lines_and_json_has_none(connected):
    _seed(connected.url, 400)
    out = calsync("sync", "--once", "--dry-run").stdout  # a dry run writes nothing: no progress
    assert "progress:" not in out
    out = calsync("sync", "--once").stdout
    progress = [line for line in out.splitlines() if line.startswith("progress: ")]
    assert progress and progress[0].startswith("progress: 0 of "), out[-2000:]
    assert "\x1b[" not in out
    _seed(connected.url, 200)
    out = calsync("sync", "--once", "--json").stdout
    assert [json.loads(line)["status"] for line in out.splitlines()] == ["ok"]


def test_sync_once_always_ends_with_a_result_line(connected):
    calsync("sync", "--once")
    out = calsync("sync", "--once").stdout  # nothing changed
    assert out.splitlines()[-1].startswith("account 1: ok"), out
