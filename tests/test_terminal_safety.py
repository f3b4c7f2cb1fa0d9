"""Event titles carrying terminal escape sequences (anyone who sends an invitation can write
one) are printed escaped by `calsync sync --once` and `calsync log`: no ESC, BEL or C1 control
and no bidi override reaches the terminal; `--json` keeps the exact text. Real processes
against a loopback sandbox."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .reliability.helpers import live_account

# name: (the sequence in the title, how calsync shows it)
SEQUENCES = {
    "window title": ("\x1b]0;you have been pwned\x07", r"\x1b]0;you have been pwned\x07"),
    "erase line": ("\x1b[2K\r", r"\x1b[2K\r"),
    "OSC 52 clipboard": ("\x1b]52;c;cm0gLXJmIH4K\x07", r"\x1b]52;c;cm0gLXJmIH4K\x07"),
    "OSC 8 link": (
        "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
        "\\x1b]8;;https://evil.example/\\x1b\\click me\\x1b]8;;\\x1b\\",
    ),
    "C1 CSI": ("\u009b31m", r"\x9b31m"),
    "bidi override": ("\u202egnp.exe", r"\u202egnp.exe"),
}
# What a terminal acts on: C0 controls but the line break, DEL, C1, bidi embeddings/overrides.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _calsync(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CALSYNC_HOME": str(home), "CALSYNC_KEYRING": "off"}
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", *args], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done


def assert_safe(raw: bytes) -> str:
    """The output as text, after checking that nothing in it would drive the terminal."""
    assert b"\x1b" not in raw and b"\x07" not in raw
    text = raw.decode("utf-8")
    assert UNSAFE.findall(text) == []
    return text


@pytest.fixture
async def titled(tmp_path, monkeypatch):
    """A loopback sandbox and an account whose calendar has one event per escape sequence."""
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    async with live_account(tmp_path / "home") as env:
        env.store.close()
        day = env.now.date().isoformat()
        for sequence, _ in SEQUENCES.values():
            title = f"Lunch {sequence} with Eva"
            await env.g_insert({"summary": title, "start": {"date": day}, "end": {"date": day}})
        yield env


async def test_escape_sequences_in_titles_are_shown_escaped_by_sync_and_log(titled):
    synced = assert_safe(_calsync(titled.home, "sync", "--once").stdout)
    logged = assert_safe(_calsync(titled.home, "log", "--run", "1").stdout)
    assert_safe(_calsync(titled.home, "log").stdout)
    for name, (_, visible) in SEQUENCES.items():
        for output in (synced, logged):
            assert f"Lunch {visible} with Eva" in output, (name, output)


async def test_json_output_keeps_the_exact_titles(titled):
    _calsync(titled.home, "sync", "--once")
    raw = _calsync(titled.home, "log", "--json", "--run", "1").stdout
    assert_safe(raw)  # JSON escapes (\u001b, \u009b) keep the terminal safe and the value exact
    titles = {e["title"] for e in json.loads(raw)["events"] if e["kind"] == "create"}
    assert titles == {f"Lunch {sequence} with Eva" for sequence, _ in SEQUENCES.values()}
