"""The store: accounts, links, cursors, journal, runs; atomic writes, corruption, schema, locks."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync import journal as journal_mod
from sync import store as store_mod
from sync.errors import NotFound, StoreError
from sync.journal import Journal
from sync.models import Link, RunSummary, SyncEvent
from sync.options import Options
from sync.store import MAX_RUNS, SCHEMA, Cursors, Store, default_home

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def mklink(i: int, series: str | None = None) -> Link:
    return Link(
        google_id=f"ev{i:05d}",
        pipedrive_id=str(i),
        google_version='"etag"',
        pipedrive_version="2026-06-01T10:00:00Z",
        google_fingerprint="a" * 64,
        pipedrive_fingerprint="b" * 64,
        origin="google" if i % 2 else "pipedrive",
        synced_at=NOW,
        series_id=series,
        end=NOW + timedelta(days=i % 30),
    )


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def st(home):
    s = Store(home)
    yield s
    s.close()


# ---------------------------------------------------------------- accounts


def test_accounts_lifecycle_persists(home, st):
    a = st.add_account(
        "anna@example.com",
        pipedrive_email="anna@lindqvistsales.se",
        options=Options(private="busy"),
        at=NOW,
    )
    b = st.add_account("erik@example.com", at=NOW)
    assert (a.id, b.id) == ("1", "2")
    assert a.state == "active" and a.created_at == NOW
    st.update_account(
        "1",
        needs_reconnect=True,
        last_run=NOW,
        last_status="ok",
        options=a.options.replace(sync_type="one-way"),
    )
    st.deactivate("2")
    again = Store(home)
    assert [x.id for x in again.accounts("active")] == ["1"]
    assert [x.id for x in again.accounts("previously_synced")] == ["2"]
    one = again.account("1")
    assert (
        one.needs_reconnect
        and one.last_run == NOW
        and one.options == Options(private="busy", sync_type="one-way")
    )
    back = again.reactivate("2")
    assert back.state == "active" and not back.needs_reconnect
    assert again.find_account("ANNA@example.com", "anna@lindqvistsales.se").id == "1"
    assert again.find_account("nobody@example.com") is None
    assert again.account("1").to_json()["email"] == "anna@example.com"
    again.close()


def test_unknown_account_and_duplicate_id(st):
    with pytest.raises(NotFound, match="no account '9'"):
        st.account("9")
    with pytest.raises(NotFound):
        st.data("9")
    st.add_account("a@example.com", account_id="work")
    with pytest.raises(StoreError, match="already exists"):
        st.add_account("b@example.com", account_id="work")
    assert st.add_account("c@example.com").id == "1"


def test_default_home_honours_calsync_home(monkeypatch, tmp_path):
    monkeypatch.setenv("CALSYNC_HOME", str(tmp_path / "x"))
    assert default_home() == tmp_path / "x"
    monkeypatch.delenv("CALSYNC_HOME")
    assert default_home().name == "calsync"


# ---------------------------------------------------------------- links


def test_links_indexes_and_persistence(home, st):
    st.add_account("a@example.com")
    data = st.data("1")
    put_links(data, [mklink(1, "ser"), mklink(2, "ser"), mklink(3)])
    assert data.link_by_google("ev00001") == mklink(1, "ser")
    assert data.link_by_pipedrive("3") == mklink(3)
    assert [link.pipedrive_id for link in data.links_by_series("ser")] == ["1", "2"]
    assert data.link_by_google("nope") is None and data.link_by_pipedrive("nope") is None
    # a link sharing the Pipedrive id replaces the old pair (a re-created event)
    moved = Link(google_id="evNEW", pipedrive_id="3", origin="pipedrive")
    data.put_link(moved)
    assert data.link_by_google("ev00003") is None and data.link_by_pipedrive("3") == moved
    data.delete_link(mklink(1, "ser"))
    assert [link.pipedrive_id for link in data.links_by_series("ser")] == ["2"]
    assert len(data) == 2
    reopened = Store(home).data("1")
    assert sorted(link.google_id for link in reopened.links()) == ["ev00002", "evNEW"]
    assert reopened.link_by_pipedrive("3") == moved


def put_links(data, links) -> None:
    with data.transaction():
        for link in links:
            data.put_link(link)


def count_replaces(monkeypatch):
    """What the store makes durable, in order: each file it replaces whole, and "journal"
    for each fsync of the links journal."""
    calls = []
    real = os.replace
    real_sync = Journal.sync

    def counting(src, dst):
        calls.append(Path(dst).name)
        return real(src, dst)

    def syncing(journal):
        if journal.pending:
            calls.append("journal")
        return real_sync(journal)

    monkeypatch.setattr(store_mod.os, "replace", counting)
    monkeypatch.setattr(Journal, "sync", syncing)
    return calls


def test_changes_in_a_transaction_are_one_write(monkeypatch, st):
    st.add_account("a@example.com")
    data = st.data("1")
    calls = count_replaces(monkeypatch)
    with data.transaction():
        for i in range(500):
            data.put_link(mklink(i))
        data.set_cursors(google_sync_token="tok")
        with data.transaction():  # nested: still one write
            data.delete_link(mklink(0))
        assert calls == []
    assert calls == ["journal", "cursors.json"]  # links before the cursors that follow them
    data.flush()  # nothing dirty: nothing written
    assert calls == ["journal", "cursors.json"]
    data.compact()  # the end of a run: the journal folded into the state file, once
    assert calls == ["journal", "cursors.json", "state.json"]


def test_unchanged_cursors_write_nothing_and_never_the_links(monkeypatch, st):
    st.add_account("a@example.com")
    data = st.data("1")
    put_links(data, [mklink(i) for i in range(100)])
    data.set_cursors(google_sync_token="tok", pipedrive_updated_since="2026-03-20T09:00:00Z")
    calls = count_replaces(monkeypatch)
    data.set_cursors(google_sync_token="tok")  # an idle run: the same cursors
    assert calls == []
    data.set_cursors(google_sync_token="tok2")  # a new token: only the small file
    assert calls == ["cursors.json"]


def test_cursors_of_a_store_written_before_cursors_json_are_read(home, st):
    st.add_account("a@example.com")
    data = st.data("1")
    data.set_cursors(google_sync_token="old-layout")
    st.close()
    folder = home / "accounts" / "1"
    (folder / "cursors.json").unlink()
    state = json.loads((folder / "state.json").read_text())
    state["cursors"] = {"1": {"google_sync_token": "old-layout"}}
    (folder / "state.json").write_text(json.dumps(state))
    assert Store(home).data("1").cursors().google_sync_token == "old-layout"


def test_outside_a_transaction_each_change_is_written(monkeypatch, st):
    st.add_account("a@example.com")
    data = st.data("1")
    calls = count_replaces(monkeypatch)
    data.put_link(mklink(1))
    data.put_link(mklink(2))
    assert calls == ["journal", "journal"]  # each durable at once, never the whole table


def test_transaction_flushes_even_when_the_block_fails(home, st):
    st.add_account("a@example.com")
    data = st.data("1")
    with pytest.raises(RuntimeError), data.transaction():
        data.put_link(mklink(1))
        raise RuntimeError("action failed")
    assert Store(home).data("1").link_by_google("ev00001") == mklink(1)


def test_twenty_thousand_links_are_one_write_and_all_found_again(monkeypatch, home, st):
    """How fast is bench/store_ops.py's; here: one file replace for a transaction of any size,
    every link found by either id, all of them back after a reopen."""
    st.add_account("a@example.com")
    data = st.data("1")
    links = [mklink(i, f"s{i % 100}") for i in range(20_000)]
    calls = count_replaces(monkeypatch)
    put_links(data, links)
    with data.transaction():
        for link in links[:5000]:
            data.put_link(link)
    assert calls == ["journal", "journal"]
    data.compact()
    assert calls == ["journal", "journal", "state.json"]
    assert all(data.link_by_pipedrive(str(i)) is not None for i in range(20_000))
    assert len(data.links_by_series("s7")) == 200
    assert len(Store(home).data("1")) == 20_000


# ---------------------------------------------------------------- cursors, journal, runs


def test_cursors_persist(home, st):
    st.add_account("a@example.com")
    data = st.data("1")
    assert data.cursors() == Cursors()
    data.set_cursors(
        google_sync_token="tok1",
        google_calendar="primary",
        pipedrive_updated_since="2026-06-01T00:00:00Z",
        last_full_reconcile=NOW,
    )
    again = Store(home).data("1")
    assert again.cursors().google_sync_token == "tok1"
    assert again.cursors().last_full_reconcile == NOW


def test_runs_are_numbered_kept_and_trimmed(home, st):
    st.add_account("a@example.com")
    data = st.data("1")
    with pytest.raises(NotFound):
        data.run()
    summary = RunSummary(conflicts=1)
    loser = SyncEvent(
        "conflict",
        side="google",
        title="Kickoff",
        reason="both changed",
        at=NOW,
        detail={"loser": {"version": "v1", "title": "old"}},
    )
    assert data.append_run(summary, [loser], NOW) == 1
    assert data.append_run(RunSummary(status="guarded"), [], NOW + timedelta(minutes=1)) == 2
    again = Store(home).data("1")
    runs = again.runs()
    assert [(r.run, r.summary.status, r.events) for r in runs] == [
        (1, "ok", ()),
        (2, "guarded", ()),
    ]
    first = again.run(1)
    assert first.summary.conflicts == 1 and first.at == NOW
    assert first.events[0].detail == {"loser": {"version": "v1", "title": "old"}}
    assert again.run().run == 2
    with pytest.raises(NotFound, match="no run 7"):
        again.run(7)
    for _ in range(MAX_RUNS + 5):
        again.append_run(RunSummary(), [], NOW)
    kept = again.runs()
    assert len(kept) == MAX_RUNS and kept[-1].run == MAX_RUNS + 7


# ---------------------------------------------------------------- safety


def test_files_are_private(home, st):
    st.add_account("a@example.com")
    st.data("1").put_link(mklink(1))
    for path in (
        home / "calsync.json",
        home / "accounts" / "1" / "state.json",
        home / "accounts" / "1" / "runs.json",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_crash_mid_write_leaves_the_previous_file(monkeypatch, home, st):
    st.add_account("a@example.com")
    data = st.data("1")
    data.put_link(mklink(1))
    path = home / "accounts" / "1" / "state.json"
    before = path.read_bytes()

    def crash(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal_mod.os, "write", crash)
    with pytest.raises(StoreError, match="could not write store file .*No space left on device"):
        data.put_link(mklink(2))
    monkeypatch.undo()
    data.flush()  # the change is still pending and lands on the next flush
    assert Store(home).data("1").link_by_google("ev00002") == mklink(2)
    monkeypatch.setattr(store_mod.os, "replace", crash)  # and a compaction that cannot finish
    with pytest.raises(StoreError, match="could not write store file .*No space left on device"):
        data.compact()
    assert path.read_bytes() == before  # the previous state file, and the journal beside it
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    monkeypatch.undo()
    assert Store(home).data("1").link_by_google("ev00002") == mklink(2)


@pytest.mark.parametrize(
    "content",
    [b'{"_meta": {"1": {"schema": 1}}, "links": {"1": {"goo', b"\xff\xfe garbage", b"[1, 2]"],
)
def test_corrupt_file_is_refused_with_a_backup(home, st, content):
    st.add_account("a@example.com")
    st.data("1").put_link(mklink(1))
    st.close()
    path = home / "accounts" / "1" / "state.json"
    path.write_bytes(content)
    with pytest.raises(StoreError) as err:
        Store(home).data("1")
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "corrupt" in message
    backups = list(path.parent.glob("state.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == content
    assert path.read_bytes() == content  # never reset silently


def test_corrupt_accounts_index_is_refused(home, st):
    st.add_account("a@example.com")
    (home / "calsync.json").write_text('{"accounts": {"1": {"id": "1"')
    with pytest.raises(StoreError, match="calsync.json is corrupt"):
        Store(home)


def test_newer_schema_is_refused_naming_the_file(home, st):
    path = home / "calsync.json"
    path.write_text(json.dumps({"_meta": {"1": {"schema": SCHEMA + 1}}, "accounts": {}}))
    with pytest.raises(StoreError) as err:
        Store(home)
    assert str(path) in str(err.value) and "newer calsync" in str(err.value)


def test_older_schema_is_migrated_with_a_backup(home, st):
    st.add_account("a@example.com")
    st.close()
    path = home / "accounts" / "1" / "state.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    legacy = {"links": {"1": {"google_id": "ev1", "pipedrive_id": "5", "fingerprint": "f" * 64}}}
    path.write_text(json.dumps(legacy))
    data = Store(home).data("1")
    link = data.link_by_pipedrive("5")
    assert link.google_fingerprint == link.pipedrive_fingerprint == "f" * 64
    assert json.loads(path.read_text())["_meta"] == {"1": {"schema": SCHEMA}}
    assert json.loads((path.parent / "state.json.schema0.bak").read_text()) == legacy


def test_bad_schema_value_is_corrupt(home, st):
    (home / "calsync.json").write_text(json.dumps({"_meta": {"1": {"schema": "one"}}}))
    with pytest.raises(StoreError, match="bad schema version"):
        Store(home)


# ---------------------------------------------------------------- locks


def test_second_holder_is_refused_then_admitted(home, st):
    st.add_account("a@example.com")
    other = Store(home)
    with st.lock("1"):
        with (
            pytest.raises(StoreError, match="another calsync sync is running for account 1"),
            other.lock("1"),
        ):
            pass
        with other.lock("2"):  # other accounts are independent
            pass
    with other.lock("1"):
        pass


def test_lock_held_by_another_process(home, st):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from sync.store import Store;"
            "s = Store(Path(sys.argv[1]));"
            "cm = s.lock('1'); cm.__enter__(); print('held', flush=True); time.sleep(30)",
            str(home),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="another calsync sync is running"), st.lock("1"):
            pass
    finally:
        holder.kill()
        holder.wait()
    with st.lock("1", wait=True):
        pass


def test_bad_account_id_as_path_is_refused(st):
    with pytest.raises(StoreError, match="bad account id"), st.lock(".."):
        pass
