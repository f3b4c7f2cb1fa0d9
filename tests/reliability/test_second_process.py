"""A second process on the same account, with real `calsync` processes against a loopback
sandbox: a `sync --once` beside a running watch, `options` and `disconnect` while a watch
runs, and two `connect` at once. Each change the other process makes stays made: the watch
works from the store as it is on disk, never from a copy it took before.

To place the other process's command between two of the watch's runs (not racing them), the
watch is frozen (SIGSTOP) at a moment it holds no lock and thawed (SIGCONT) afterwards."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import time
from datetime import timedelta

import httpx
import pytest

from sandbox.app import create_app
from sandbox.server import start_in_thread
from sync.errors import StoreError
from sync.store import Store
from tests import test_cli
from tests.test_cli import CALSYNC, calsync

from .helpers import record

home, connected = test_cli.home, test_cli.connected  # the same fixtures
BOUND = 90.0  # only against a hang: no duration is asserted


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.05)


@contextlib.contextmanager
def _watching(*args: str):
    watch = subprocess.Popen([*CALSYNC, "sync", "--watch", "--interval", "1", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=os.environ)  # fmt: skip
    try:
        _until(lambda: calsync("log", "--json", ok=False).stdout.startswith("[{"), "a first run")
        yield watch
    finally:
        with contextlib.suppress(ProcessLookupError):
            watch.send_signal(signal.SIGCONT)
            watch.send_signal(signal.SIGINT)
        watch.communicate(timeout=BOUND)


def _free(path) -> bool:
    """Is the lock file `path` free (nobody holds its flock)?"""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _freeze_between_runs(watch: subprocess.Popen, home) -> None:
    """SIGSTOP the watch at a moment it runs nothing and holds no lock."""
    store = Store(home)
    try:
        while True:
            watch.send_signal(signal.SIGSTOP)
            try:
                with store.lock("1"):
                    pass
                if _free(home / "locks" / "index.lock"):
                    return
            except StoreError:
                pass
            watch.send_signal(signal.SIGCONT)
            time.sleep(0.05)
    finally:
        store.close()


def _event(sandbox, title: str):
    start = (sandbox.clock.now() + timedelta(days=1)).replace(hour=10, minute=0, second=0)
    return sandbox.google.insert_event(
        "primary",
        {
            "summary": title,
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        },
    )


def _activities(sandbox, title: str) -> list[dict]:
    rows = sandbox.pipedrive.activities.rows.values()
    return [r for r in rows if r["subject"] == title and not r.get("is_deleted")]


def _polls(url: str) -> int:
    """Activity listings the sandbox served so far (one per run of the watch)."""
    routes = httpx.get(f"{url}/_sandbox/stats").json()["requests"]["by_route"]
    return sum(n for route, n in routes.items() if route.startswith("GET /api/v2/activities"))


def test_a_once_beside_a_watch_is_not_undone_by_the_watch(home, connected):
    """The watch must not re-create an activity that a `--once` linked and the user then
    deleted, and the log keeps both processes' runs."""
    sandbox = connected.sandbox
    with _watching() as watch:
        _freeze_between_runs(watch, home)
        event = _event(sandbox, "Linked by the other terminal")
        once = calsync("sync", "--once", "--json")
        assert json.loads(once.stdout.splitlines()[-1])["pipedrive"]["created"] == 1
        (activity,) = _activities(sandbox, "Linked by the other terminal")
        sandbox.pipedrive.delete_activity(activity["id"])
        watch.send_signal(signal.SIGCONT)
        _until(
            lambda: sandbox.google.get_event("primary", event.id).status == "cancelled",
            "the deletion reaching Google",
        )
        polls = _polls(connected.url)
        _until(lambda: _polls(connected.url) >= polls + 2, "two more polls")
    assert _activities(sandbox, "Linked by the other terminal") == []
    runs = [r["summary"] for r in json.loads(calsync("log", "--json").stdout)]
    assert any(s["pipedrive"]["created"] == 1 and s["google"]["deleted"] == 0 for s in runs)
    assert any(s["google"]["deleted"] == 1 for s in runs)  # the watch's, beside the other's
    record(concurrent_processes=1, items_lost=0, duplicates=0)


def test_options_set_while_a_watch_runs_take_effect_and_stay(home, connected):
    sandbox = connected.sandbox
    with _watching() as watch:
        _freeze_between_runs(watch, home)
        calsync("options", "--sync-type", "one-way")
        _event(sandbox, "Not imported in one-way")
        watch.send_signal(signal.SIGCONT)
        polls = _polls(connected.url)
        _until(lambda: _polls(connected.url) >= polls + 3, "three more polls")
        assert _activities(sandbox, "Not imported in one-way") == []
    assert json.loads(calsync("options", "--json").stdout)["sync_type"] == "one-way"
    record(concurrent_processes=1, items_lost=0, duplicates=0)


def test_a_disconnect_while_a_watch_runs_ends_its_syncing_and_stays(home, connected):
    sandbox = connected.sandbox
    watch = subprocess.Popen([*CALSYNC, "sync", "--watch", "--interval", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=os.environ)  # fmt: skip
    try:
        _until(lambda: calsync("log", "--json", ok=False).stdout.startswith("[{"), "a first run")
        _freeze_between_runs(watch, home)
        calsync("disconnect")
        _event(sandbox, "Made after the disconnect")
        watch.send_signal(signal.SIGCONT)
        out, err = watch.communicate(timeout=BOUND)  # it ends: nothing is left to watch
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.communicate()
    assert watch.returncode == 0 and "Traceback" not in err, err
    assert "account 1 is not syncing" in err and "no account left to watch" in err, err
    assert _activities(sandbox, "Made after the disconnect") == []
    accounts = json.loads(calsync("accounts", "--json").stdout)
    assert [a["id"] for a in accounts["previously_synced"]] == ["1"] and not accounts["active"]
    record(concurrent_processes=1, items_lost=0, duplicates=0)


@pytest.mark.parametrize("same", [False, True], ids=["two sandboxes", "one sandbox twice"])
def test_two_connects_at_once_keep_every_account_once(home, live_sandbox, same):
    other = None if same else start_in_thread(create_app(seed=2))
    urls = [live_sandbox.url, live_sandbox.url if other is None else other.url]
    try:
        procs = [subprocess.Popen([*CALSYNC, "connect", "--sandbox", url], env=os.environ,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for url in urls]  # fmt: skip
        outs = [p.communicate(timeout=BOUND) for p in procs]
    finally:
        if other is not None:
            other.stop()
    for proc, (out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0 and "Traceback" not in err, (out, err)
    active = json.loads(calsync("accounts", "--json").stdout)["active"]
    assert sorted(a["id"] for a in active) == (["1"] if same else ["1", "2"])
    assert not list(home.rglob("*.tmp"))  # no temporary file left behind
    record(concurrent_processes=1, items_lost=0, duplicates=0)
