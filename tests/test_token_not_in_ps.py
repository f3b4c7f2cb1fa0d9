"""The Pipedrive API token can be given so that `ps` never shows it: `--pipedrive-token -`
reads it from standard input, CALSYNC_PIPEDRIVE_TOKEN from the environment (readable by the
same user only). `calsync connect --google FILE ...` runs as its own process against the
sandbox under the real hostnames; its /proc/<pid>/cmdline is read again and again for the
whole run, the Google sign-in held open meanwhile, and never holds the token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_real_connect import world  # noqa: F401  (the client secret file, real URIs)

TOKEN = "sandbox-pipedrive-api-token-1"  # the child's sandbox (seed 1) takes this one
BOUND = 60.0


def _cmdline(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return None  # already gone


def _connect_watched(tmp_path: Path, args: list[str], *, stdin: str = "", env_token: str = ""):
    """Run the child, reading its command line until it ends; (process, command lines seen
    while the sign-in was open, all command lines seen)."""
    opened, go = tmp_path / "opened", tmp_path / "go"
    env = {
        **os.environ,
        "CALSYNC_HOME": str(tmp_path / "home"),
        "CALSYNC_KEYRING": "off",
        "CALSYNC_TEST_OPENED": str(opened),
        "CALSYNC_TEST_GO": str(go),
    }
    env.pop("CALSYNC_PIPEDRIVE_TOKEN", None)
    if env_token:
        env["CALSYNC_PIPEDRIVE_TOKEN"] = env_token
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.connect_child", "connect", *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write(stdin)
    proc.stdin.flush()  # the child reads one line; communicate() closes the pipe
    during: list[str] = []
    seen: list[str] = []
    deadline = time.monotonic() + BOUND
    while proc.poll() is None and time.monotonic() < deadline:
        line = _cmdline(proc.pid)
        if line is not None:
            seen.append(line)
            if opened.exists() and not go.exists():
                during.append(line)
                if len(during) >= 20:  # read it a while with the sign-in open, then let it go
                    go.touch()
    go.touch()
    out, err = proc.communicate(timeout=BOUND)
    return proc, out, err, during, seen


def _stored_token(tmp_path: Path) -> str:
    return json.loads((tmp_path / "home" / "tokens" / "1.json").read_text())["pipedrive_api_token"]


@pytest.mark.parametrize(
    ("how", "stdin", "env_token"),
    [("stdin", f"{TOKEN}\n", ""), ("environment", "", TOKEN)],
)
def test_connect_without_the_token_on_the_command_line_never_shows_it_in_proc_cmdline(
    world,  # noqa: F811
    tmp_path,
    how,
    stdin,
    env_token,
):
    args = ["--google", str(world.client_secret)]
    if how == "stdin":
        args += ["--pipedrive-token", "-"]
    proc, out, err, during, seen = _connect_watched(
        tmp_path, args, stdin=stdin, env_token=env_token
    )
    assert proc.returncode == 0, (out, err)
    assert "account 1 connected" in out
    assert len(during) >= 20  # read while the Google sign-in was waiting
    assert all("tests.connect_child connect --google" in line for line in during)
    assert [line for line in seen if TOKEN in line] == []
    assert _stored_token(tmp_path) == TOKEN


def test_an_empty_standard_input_for_the_token_is_one_line(world, tmp_path):  # noqa: F811
    args = ["--google", str(world.client_secret), "--pipedrive-token", "-"]
    proc, out, err, during, _ = _connect_watched(tmp_path, args, stdin="\n")
    assert proc.returncode == 2 and during == []
    assert err == "calsync: --pipedrive-token -: no token on standard input\n"
