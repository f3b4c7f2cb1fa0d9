"""`calsync sandbox` and `calsync` with no arguments, as a user runs them."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

CALSYNC = [sys.executable, "-m", "tui.cli"]


def test_sandbox_command_serves_on_loopback():
    proc = subprocess.Popen(
        [*CALSYNC, "sandbox", "--port", "0", "--empty"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("calsync sandbox on http://127.0.0.1:"), line
        url = line.split()[3]
        secret = httpx.get(url + "/_sandbox/google/client_secret.json", timeout=5).json()
        assert secret["installed"]["token_uri"] == url + "/token"
        state = httpx.get(url + "/_sandbox/state", timeout=5).json()
        assert state["pipedrive"]["activities"] == [] or state["pipedrive"]["activities"] == {}
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sandbox", "--host", "0.0.0.0"], "loopback only"),
        (["sandbox", "--limits", "gold"], "invalid choice"),
        (["sandbox", "--seed", "x"], "not a whole number"),
        (["sandbox", "--seed", "3", "--empty"], "not allowed with"),
        (["sandbox", "--port", "70000"], "not a port"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_sandbox_bad_usage_is_one_line_and_exit_2(args, message):
    out = subprocess.run([*CALSYNC, *args], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_sandbox_port_in_use_is_one_line():
    first = subprocess.Popen(
        [*CALSYNC, "sandbox", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        port = first.stdout.readline().split()[3].rsplit(":", 1)[1]
        time.sleep(0.2)
        out = subprocess.run(
            [*CALSYNC, "sandbox", "--port", port], capture_output=True, text=True, timeout=30
        )
        assert out.returncode == 1
        assert "cannot listen" in out.stderr and "Traceback" not in out.stderr
    finally:
        first.terminate()
        first.wait(10)


async def test_app_starts_on_calendar_sync_and_quits():
    from tui.app import CalsyncApp

    app = CalsyncApp()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.title == "Calendar sync"
        await pilot.press("ctrl+q")
    assert app.return_code in (0, None)
