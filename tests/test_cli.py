"""The command line as scripts and cron use it: the public contract of docs/design.md
("The command line"), end to end against a live sandbox over loopback, and a dozen user
errors, each one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

CALSYNC = [sys.executable, "-m", "tui.cli"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    path = tmp_path / "home"
    monkeypatch.setenv("CALSYNC_HOME", str(path))
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    return path


def calsync(*args: str, ok: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    out = subprocess.run(
        [*CALSYNC, *args], capture_output=True, text=True, timeout=timeout, env=os.environ
    )
    assert "Traceback" not in out.stderr, out.stderr
    if ok:
        assert out.returncode == 0, out.stderr
    return out


def one_line_error(out: subprocess.CompletedProcess, code: int, *needles: str) -> None:
    assert out.returncode == code, (out.returncode, out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("calsync: ")
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture
def connected(home, live_sandbox):
    calsync("connect", "--sandbox", live_sandbox.url)
    return live_sandbox


def test_connect_options_sync_accounts_log_round_trip(connected):
    options = json.loads(calsync("options", "--json").stdout)
    assert set(options) == {
        "calendar",
        "sync_type",
        "save_as",
        "push_types",
        "private",
        "linked_contacts",
        "window_past_days",
        "window_future_days",
        "import_blocks",
        "create_persons",
    }
    calsync(
        "options",
        "--sync-type",
        "one-way",
        "--push-types",
        "call,meeting",
        "--private",
        "busy",
        "--no-linked-contacts",
        "--window-past",
        "7",
        "--window-future",
        "60",
        "--save-as",
        "lunch",
        "--import-blocks",
        "focus-time",
        "--create-persons",
    )
    options = json.loads(calsync("options", "--json").stdout)
    assert options == {
        "calendar": "primary",
        "sync_type": "one-way",
        "save_as": "lunch",
        "push_types": ["call", "meeting"],
        "private": "busy",
        "linked_contacts": False,
        "window_past_days": 7,
        "window_future_days": 60,
        "import_blocks": ["focus-time"],
        "create_persons": True,
    }

    first = calsync("sync", "--once", "--json")
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["status"] == "ok"
    assert summary["google"]["created"] > 0
    assert summary["pipedrive"]["created"] == 0  # one-way: nothing comes from Google
    assert {"created", "updated", "deleted", "requests"} <= set(summary["pipedrive"])
    assert {"conflicts", "skipped", "errors", "seconds", "status"} <= set(summary)

    again = json.loads(calsync("sync", "--once", "--json").stdout.strip().splitlines()[-1])
    assert again["google"] == {"created": 0, "updated": 0, "deleted": 0, "requests": 1}
    assert again["pipedrive"] == {"created": 0, "updated": 0, "deleted": 0, "requests": 1}

    listed = json.loads(calsync("accounts", "--json").stdout)
    assert [a["id"] for a in listed["active"]] == ["1"] and listed["previously_synced"] == []
    assert listed["active"][0]["options"] == options
    runs = json.loads(calsync("log", "--json").stdout)
    assert [r["run"] for r in runs] == [1, 2]
    run1 = json.loads(calsync("log", "--json", "--run", "1").stdout)
    assert any(e["kind"] == "create" for e in run1["events"])
    assert "create" in calsync("log", "--run", "1").stdout


def test_dry_run_writes_nothing(connected):
    before = httpx.get(connected.url + "/_sandbox/state").json()
    out = calsync("sync", "--once", "--dry-run", "--json")
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["dry_run"] is True and summary["plan"]["pipedrive"]["create"] > 0
    after = httpx.get(connected.url + "/_sandbox/state").json()
    assert before["google"] == after["google"] and before["pipedrive"] == after["pipedrive"]


def test_disconnect_then_reconnect_keeps_options(connected):
    calsync("options", "--private", "skip")
    calsync("sync", "--once")
    calsync("disconnect")
    listed = json.loads(calsync("accounts", "--json").stdout)
    assert listed["active"] == [] and listed["previously_synced"][0]["options"]["private"] == "skip"
    one_line_error(calsync("sync", "--once", ok=False), 1, "`calsync reconnect 1`")
    calsync("reconnect", "1")
    listed = json.loads(calsync("accounts", "--json").stdout)
    assert listed["active"][0]["options"]["private"] == "skip"
    summary = json.loads(calsync("sync", "--once", "--json").stdout.strip().splitlines()[-1])
    assert summary["google"]["created"] == 0 and summary["pipedrive"]["created"] == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["sync"], "one of the arguments --once --watch is required"),
        (["sync", "--once", "--watch"], "not allowed with"),
        (["sync", "--watch", "--interval", "0"], "from 1 to 86400"),
        (["options", "--window-past", "-3"], "must be 0 or more"),
        (["log", "--run", "x"], "not a whole number"),
        (["reconnect"], "required: ID"),
        (["connect"], "one of the arguments --sandbox --google is required"),
        (["connect", "--google", "secret.json"], "needs --pipedrive-token"),
        (["options", "--linked-contacts", "--no-linked-contacts"], "not allowed with"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(home, args, needle):
    one_line_error(calsync(*args, ok=False), 2, needle)


def test_no_account(home):
    one_line_error(calsync("sync", "--once", ok=False), 1, "no account connected")
    one_line_error(calsync("options", "--json", ok=False), 1, "no account connected")
    one_line_error(calsync("reconnect", "7", ok=False), 1, "no account '7'")


def test_bad_option_values(connected):
    one_line_error(calsync("options", "--sync-type", "sideways", ok=False), 2, "one-way or two-way")
    one_line_error(
        calsync("options", "--private", "secret", ok=False), 2, "private, busy, public or skip"
    )
    one_line_error(
        calsync("options", "--save-as", "bogus", ok=False), 2, "unknown activity type 'bogus'"
    )
    one_line_error(
        calsync("options", "--push-types", "call,nope", ok=False), 2, "unknown activity type 'nope'"
    )
    one_line_error(
        calsync("options", "--calendar", "nobody@example.com", ok=False), 2, "unknown calendar"
    )
    one_line_error(calsync("options", "--window-future", "9999", ok=False), 2, "from 0 to 3650")


def test_sandbox_down(home):
    one_line_error(
        calsync("connect", "--sandbox", "http://127.0.0.1:9", ok=False),
        1,
        "the sandbox is not reachable",
    )
    one_line_error(calsync("connect", "--sandbox", "ftp://x", ok=False), 2, "bad --sandbox URL")


def test_service_down_after_connecting(home):
    from sandbox.app import create_app
    from sandbox.server import start_in_thread

    running = start_in_thread(create_app(seed=1))
    calsync("connect", "--sandbox", running.url)
    running.stop()
    one_line_error(calsync("sync", "--once", ok=False, timeout=120), 1, "is not reachable")


def test_revoked_token_needs_reconnect(connected, home):
    secrets = json.loads((home / "tokens" / "1.json").read_text())
    refresh = secrets["google"]["refresh_token"]
    assert httpx.post(connected.url + "/revoke", params={"token": refresh}).status_code == 200
    one_line_error(calsync("sync", "--once", ok=False), 1, "reconnect")
    listed = json.loads(calsync("accounts", "--json").stdout)
    assert listed["active"][0]["needs_reconnect"] is True


def test_corrupt_store(home):
    home.mkdir(parents=True)
    (home / "calsync.json").write_text('{"accounts": {"1": {"id": "1", "ema')
    out = calsync("accounts", ok=False)
    one_line_error(out, 1, "calsync.json")


def test_tokens_never_in_output_or_store(connected, home):
    calsync("sync", "--once")
    secrets = json.loads((home / "tokens" / "1.json").read_text())
    values = [
        secrets["google"]["access_token"],
        secrets["google"]["refresh_token"],
        secrets["pipedrive_api_token"],
    ]
    outputs = [
        calsync(*a).stdout
        for a in (
            ["accounts", "--json"],
            ["log", "--json", "--run", "1"],
            ["options", "--json"],
            ["accounts"],
        )
    ]
    stored = [p.read_text() for p in home.rglob("*.json") if "tokens" not in p.parts]
    for value in values:
        for text in outputs + stored:
            assert value not in text
    assert oct((home / "tokens" / "1.json").stat().st_mode & 0o777) == "0o600"
    for path in Path(home).rglob("*.json"):
        assert path.stat().st_mode & 0o077 == 0, path
