"""Everything under CALSYNC_HOME is private whatever the umask (folders 0700, files 0600), and
temporary files have unique names, so two writers of one file at once never trip each other."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
import threading
from pathlib import Path

from sync.store import Store, write_atomic
from sync.vault import Vault

from .helpers import record


def _under_umask_000(home: Path, *args: str) -> subprocess.CompletedProcess:
    command = shlex.join([sys.executable, "-m", "tui.cli", *args])
    env = {**os.environ, "CALSYNC_HOME": str(home), "CALSYNC_KEYRING": "off"}
    return subprocess.run(
        ["sh", "-c", f"umask 000 && exec {command}"], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_every_folder_and_file_under_home_is_private_under_umask_000(tmp_path, live_sandbox):
    top = tmp_path / "made-by-calsync"
    home = top / "calsync" / "home"  # none of it exists yet
    for args in (
        ("connect", "--sandbox", live_sandbox.url),
        ("sync", "--once"),
        ("log", "--run", "1"),
        ("disconnect",),
    ):
        done = _under_umask_000(home, *args)
        assert done.returncode == 0, done.stderr
    folders = [top, *(p for p in top.rglob("*") if p.is_dir())]
    files = [p for p in top.rglob("*") if p.is_file()]
    assert {p.relative_to(home).as_posix() for p in folders if home in p.parents} >= {
        "accounts", "accounts/1", "locks", "tokens",
    }  # fmt: skip
    assert {p.name for p in files} >= {"calsync.json", "state.json", "runs.json", "1.json"}
    wrong = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in folders
             if stat.S_IMODE(p.stat().st_mode) != 0o700}  # fmt: skip
    wrong |= {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in files
              if stat.S_IMODE(p.stat().st_mode) != 0o600}  # fmt: skip
    assert wrong == {}
    record(store_faults=1)


def test_folders_left_open_by_an_older_calsync_are_made_private(tmp_path):
    home = tmp_path / "home"
    for folder in ("accounts/1", "locks", "tokens"):
        (home / folder).mkdir(parents=True)
    for folder in (home, *home.rglob("*")):
        os.chmod(folder, 0o755)
    store = Store(home)
    store.close()
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in (home, *home.iterdir())} == {
        name: "0o700" for name in ("home", "accounts", "locks", "tokens")
    } | {"calsync.json": "0o600"}


def _hammer(write, count: int = 200, writers: int = 4) -> list[BaseException]:
    """`writers` threads calling write(n, i) `count` times each, all released at once."""
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def run(n: int) -> None:
        start.wait()
        for i in range(count):
            try:
                write(n, i)
            except BaseException as exc:
                failures.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return failures


def test_two_threads_writing_the_same_file_at_once_never_fail(tmp_path):
    path = tmp_path / "home" / "accounts" / "1" / "runs.json"
    payload = {n: json.dumps({"writer": n, "data": "x" * 5000}) for n in range(4)}
    failures = _hammer(lambda n, i: write_atomic(path, payload[n]))
    assert failures == []
    assert path.read_text() in payload.values()  # one writer's whole text, never a mix
    assert [p.name for p in path.parent.iterdir()] == ["runs.json"]  # no temp file left
    record(store_faults=1)


def test_two_threads_saving_credentials_at_once_never_fail(tmp_path, monkeypatch):
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    vault = Vault(tmp_path / "home")
    secrets = {
        "google": {"access_token": "a", "token_uri": "u", "client_id": "c"},
        "pipedrive_api_token": "t",
    }
    failures = _hammer(lambda n, i: vault.put("1", {**secrets, "pipedrive_api_token": f"t{n}"}))
    assert failures == []
    assert vault.get("1")["pipedrive_api_token"] in {f"t{n}" for n in range(4)}
    assert [p.name for p in vault.folder.iterdir()] == ["1.json"]
    record(store_faults=1)
