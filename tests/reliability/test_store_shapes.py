"""Damaged store, wrong shapes: valid JSON of the wrong shape in any store file (a link without
`google_id`, a bad date, a token entry that is a string, a run without its summary...) is one
line naming the file, a `.corrupt-*` copy is kept, the file is left alone, and nothing at all
is sent to Google or Pipedrive: the check happens when the file is read, before a run starts.
Each case runs the real `calsync` as a process against a loopback sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ..engine.conftest import Env
from .helpers import live_account, record

Damage = Callable[[dict], None]


def _calsync(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CALSYNC_HOME": str(home), "CALSYNC_KEYRING": "off"}
    env.pop("CALSYNC_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def _first(table: str) -> Callable[[dict], dict]:
    return lambda data: next(iter(data[table].values()))


link, run, cursors, account = _first("links"), _first("runs"), _first("cursors"), _first("accounts")


def _set(pick: Callable[[dict], dict], key: str, value) -> Damage:
    return lambda data: pick(data).__setitem__(key, value)


def _drop(pick: Callable[[dict], dict], key: str) -> Damage:
    return lambda data: pick(data).pop(key)


def _first_event(data: dict) -> dict:
    return run(data)["events"][0]


def _whole_link(value) -> Damage:
    def damage(data: dict) -> None:
        data["links"][next(iter(data["links"]))] = value

    return damage


# (file under the home, what is done to its JSON, the command that reads it)
CASES: dict[str, tuple[str, Damage, tuple[str, ...]]] = {
    "link without google_id": ("accounts/1/state.json", _drop(link, "google_id"), ("sync", "--once")),
    "link with a bad date": ("accounts/1/state.json", _set(link, "synced_at", "yesterday"), ("sync", "--once")),
    "link end without a time zone": ("accounts/1/state.json", _set(link, "end", "2026-03-20T10:00:00"), ("sync", "--once")),
    "link that is a string": ("accounts/1/state.json", _whole_link("g1"), ("sync", "--once")),
    "link with an unknown origin": ("accounts/1/state.json", _set(link, "origin", "outlook"), ("sync", "--once")),
    "token entry that is a string": ("tokens/1.json", lambda d: d.__setitem__("google", "ya29.a0-secret-access"), ("sync", "--once")),
    "token without access_token": ("tokens/1.json", lambda d: d["google"].pop("access_token"), ("sync", "--once")),
    "pipedrive token that is a number": ("tokens/1.json", lambda d: d.__setitem__("pipedrive_api_token", 42), ("sync", "--once")),
    "credentials without google": ("tokens/1.json", lambda d: (d.clear(), d.update({"x": []})), ("sync", "--once")),
    "run without summary": ("accounts/1/runs.json", _drop(run, "summary"), ("sync", "--once")),
    "run without summary, log": ("accounts/1/runs.json", _drop(run, "summary"), ("log",)),
    "run count that is a string": ("accounts/1/runs.json", lambda d: run(d)["summary"]["google"].__setitem__("created", "2"), ("log",)),
    "run number that is a string": ("accounts/1/runs.json", _set(run, "run", "one"), ("sync", "--once")),
    "run event of an unknown kind": ("accounts/1/runs.json", lambda d: _first_event(d).__setitem__("kind", "explode"), ("log", "--run", "1")),
    "run event with a bad time": ("accounts/1/runs.json", lambda d: _first_event(d).__setitem__("at", 17), ("log", "--run", "1")),
    "cursor sync token that is a number": ("accounts/1/cursors.json", _set(cursors, "google_sync_token", 123), ("sync", "--once")),
    "cursor updated_since that is no time": ("accounts/1/cursors.json", _set(cursors, "pipedrive_updated_since", "soon"), ("sync", "--once")),
    "cursor options_used that is a list": ("accounts/1/cursors.json", _set(cursors, "options_used", []), ("sync", "--once")),
    "account without id": ("calsync.json", _drop(account, "id"), ("accounts",)),
    "account without id, sync": ("calsync.json", _drop(account, "id"), ("sync", "--once")),
    "account with a bad last_run": ("calsync.json", _set(account, "last_run", "monday"), ("accounts",)),
    "account options of the wrong type": ("calsync.json", lambda d: account(d)["options"].__setitem__("window_past_days", "30"), ("log",)),
    "account extra that is a string": ("calsync.json", _set(account, "extra", "x"), ("sync", "--once")),
}  # fmt: skip


@pytest.fixture
async def synced(tmp_path, monkeypatch):
    """A loopback sandbox, an account synced once, and a new event waiting to be copied (so a
    run that went ahead would write)."""
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    async with live_account(tmp_path / "home") as env:
        day = env.now.date().isoformat()
        await env.g_insert({"summary": "synced", "start": {"date": day}, "end": {"date": day}})
        first = await env.sync()
        assert first.summary["status"] == "ok" and first.summary["pipedrive"]["created"] == 1
        await env.g_insert({"summary": "waiting", "start": {"date": day}, "end": {"date": day}})
        env.store.close()
        yield env


def _strings(value) -> list[str]:
    """Every string value in a JSON document that could be a secret (longer than 8)."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) and len(value) > 8 else []


def _requests(env: Env) -> int:
    return env.sandbox.stats.snapshot()["requests"]["total"]


@pytest.mark.parametrize("case", list(CASES))
async def test_a_wrong_shape_in_a_store_file_is_one_line_a_copy_and_no_write(synced, case):
    relative, damage, command = CASES[case]
    path = synced.home / relative
    secrets = _strings(json.loads((synced.home / "tokens" / "1.json").read_text()))
    secrets.append("ya29.a0-secret-access")
    data = json.loads(path.read_text())
    damage(data)
    path.write_text(json.dumps(data))
    damaged = path.read_bytes()
    before = _requests(synced)

    done = _calsync(synced.home, *command)

    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in lines[0]
    assert str(path) in lines[0] and ("corrupt" in lines[0] or "damaged" in lines[0]), lines[0]
    assert [s for s in secrets if s in done.stderr] == []  # a damaged token is never quoted
    backups = list(path.parent.glob(f"{path.name}.corrupt-*"))
    assert [b.read_bytes() for b in backups] == [damaged]
    assert path.read_bytes() == damaged  # never reset or rewritten
    assert _requests(synced) == before  # nothing sent to Google or Pipedrive, let alone written
    record(store_faults=1)


def test_an_unusable_home_is_said_in_words(tmp_path):
    """CALSYNC_HOME a file, under a file, or a name the system refuses: one line saying so."""
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    cases = {
        a_file: f"cannot use the folder {a_file}: {a_file} is a file",
        a_file / "home": f"cannot use the folder {a_file / 'home'}: {a_file} is a file",
        tmp_path / ("x" * 300): "File name too long",
    }
    for home, words in cases.items():
        for command in (("accounts",), ("sync", "--once"), ("log",)):
            done = _calsync(home, *command)
            assert done.returncode == 1, done
            (line,) = done.stderr.strip().splitlines()
            assert line.startswith("calsync: ") and words in line, line
            assert "internal error" not in line and "Traceback" not in done.stderr
    assert a_file.read_text() == "not a folder"
    record(store_faults=len(cases))


@pytest.mark.parametrize(
    ("errno_", "words"),
    [(13, "permission denied"), (30, "the file system is read-only")],
    ids=["no-permission", "read-only"],
)
def test_a_home_that_cannot_be_created_is_said_in_words(
    tmp_path, monkeypatch, capsys, errno_, words
):
    """No permission or a read-only file system (faked: the tests may run as root, which
    neither stops)."""
    from sync import store as store_module
    from tui.cli import main

    def refuse(path, mode=0o777):
        raise OSError(errno_, os.strerror(errno_), str(path))  # 13 is a PermissionError

    home = tmp_path / "new" / "home"
    monkeypatch.setenv("CALSYNC_HOME", str(home))
    monkeypatch.setattr(store_module.os, "mkdir", refuse)
    assert main(["accounts"]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"calsync: cannot use the folder {home}: {words}\n"
    record(store_faults=1)
