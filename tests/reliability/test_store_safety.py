"""The store and processes: a truncated, corrupt or older-schema store gives one clear line
and keeps a backup (never a silent reset); two syncs at once: the second refuses; a full
disk during a store write leaves the previous store intact."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest

from sync import store as store_module
from sync.errors import StoreError
from sync.store import Store

from .helpers import record


def _calsync(home, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CALSYNC_HOME": str(home), "CALSYNC_KEYRING": "off"}
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def _damage(path, how: str) -> None:
    raw = path.read_bytes()
    if how == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif how == "corrupt":
        path.write_bytes(b"\x00\xff{not json" + raw[10:])
    elif how == "not a table":
        path.write_text(json.dumps([1, 2, 3]))


@pytest.mark.parametrize("how", ["truncated", "corrupt", "not a table"])
@pytest.mark.parametrize("which", ["calsync.json", "state.json", "cursors.json"])
async def test_a_damaged_store_is_one_clear_line_and_a_backup(env, how, which):
    await env.g_insert({"summary": "x", "start": {"date": "2026-03-23"},
                        "end": {"date": "2026-03-24"}})  # fmt: skip
    await env.sync()
    env.store.close()
    path = (
        env.home / which
        if which == "calsync.json"
        else env.home / "accounts" / env.account_id / which
    )
    _damage(path, how)
    damaged = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        Store(env.home).data(env.account_id)
    assert "corrupt" in str(caught.value) and "\n" not in str(caught.value)
    backups = list(path.parent.glob(f"{which}.corrupt-*"))
    assert backups and backups[0].read_bytes() == damaged
    assert path.read_bytes() == damaged  # never reset silently
    done = _calsync(env.home, "sync", "--once")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "corrupt" in done.stderr
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == damaged
    record(store_faults=1)


async def test_an_older_schema_is_migrated_with_a_backup(env):
    await env.sync()
    env.store.close()
    path = env.home / "accounts" / env.account_id / "state.json"
    data = json.loads(path.read_text())
    data.pop("_meta")
    for doc in data.get("links", {}).values():
        doc["fingerprint"] = doc.pop("google_fingerprint", "")
    path.write_text(json.dumps(data))
    old = path.read_bytes()
    Store(env.home).data(env.account_id)
    assert (path.parent / "state.json.schema0.bak").read_bytes() == old
    assert json.loads(path.read_text())["_meta"]["1"]["schema"] == store_module.SCHEMA
    record(store_faults=1)


async def test_a_newer_schema_is_refused(env):
    env.store.close()
    path = env.home / "calsync.json"
    data = json.loads(path.read_text())
    data["_meta"] = {"1": {"schema": store_module.SCHEMA + 1}}
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer calsync"):
        Store(env.home)
    assert path.read_bytes() == before
    record(store_faults=1)


async def test_a_second_sync_at_once_refuses_in_one_line(env):
    with env.store.lock(env.account_id):
        second = _calsync(env.home, "sync", "--once")
    assert second.returncode == 1
    assert second.stderr.strip().splitlines() == [
        f"calsync: another calsync sync is running for account {env.account_id}"
    ]
    record(store_faults=1)


def _files(folder) -> dict[str, bytes]:
    """Every file under an account's folder (its before-images' folder too), by its path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("where", ["write", "fsync"])
async def test_a_full_disk_leaves_the_previous_store_intact(env, monkeypatch, where):
    await env.g_insert({"summary": "kept", "start": {"date": "2026-03-23"},
                        "end": {"date": "2026-03-24"}})  # fmt: skip
    await env.sync()
    folder = env.home / "accounts" / env.account_id
    before = _files(folder)
    await env.g_insert({"summary": "new", "start": {"date": "2026-03-25"},
                        "end": {"date": "2026-03-26"}})  # fmt: skip

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    if where == "fsync":
        monkeypatch.setattr(store_module.os, "fsync", no_space)
    else:
        real_fdopen = os.fdopen

        class HalfWritten:
            """The disk fills up half way through the temp file."""

            def __init__(self, fh) -> None:
                self.fh = fh

            def write(self, text: str) -> None:
                self.fh.write(text[: len(text) // 2])
                self.fh.flush()
                no_space()

            def __getattr__(self, name):
                return getattr(self.fh, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc) -> None:
                self.fh.close()

        monkeypatch.setattr(
            store_module.os, "fdopen", lambda *a, **k: HalfWritten(real_fdopen(*a, **k))
        )
    with pytest.raises(StoreError, match="No space left"):
        await env.sync()
    monkeypatch.undo()
    after = _files(folder)
    journal = after.pop("state.journal", b"")
    before.pop("state.journal", None)
    assert after == before  # the old files, whole, and no temp file left behind
    # The journal beside them holds what the run did remotely (whole lines), so its link
    # is not lost: the store opens with it.
    assert all(json.loads(line)["seq"] for line in journal.splitlines())
    env.store.close()
    links = Store(env.home).data(env.account_id).links()
    assert {link.title for link in links} == {"kept", "new"}
    env.store = Store(env.home)
    await env.sync()  # with room again: nothing is made twice
    assert sorted(a["subject"] for a in await env.activities()) == ["kept", "new"]
    record(store_faults=1)
