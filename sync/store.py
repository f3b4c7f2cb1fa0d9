"""The local store under CALSYNC_HOME: accounts, links, cursors, run history.

Layout (TinyDB JSON files; every file is written atomically and mode 0600)::

    $CALSYNC_HOME/calsync.json               accounts index   (tables _meta, accounts)
    $CALSYNC_HOME/accounts/<id>/state.json   one account's links
    $CALSYNC_HOME/accounts/<id>/cursors.json where its listings resume (small: a watch
                                             rewrites it every run, never the links)
    $CALSYNC_HOME/accounts/<id>/runs.json    its run history (last MAX_RUNS runs)
    $CALSYNC_HOME/locks/<id>.lock            the per-account process lock (fcntl.flock)

Reads go through in-memory dicts (O(1) lookups by id); writes are batched: changes are kept
in memory and written by `flush()` (or at the end of `transaction()`), one atomic file
replace per flush however many links changed. TinyDB provides the file format and, through
CachingMiddleware over our atomic storage, the batching.

One Store may be shared by threads (the app syncs several accounts at once): every
read-modify-write and every flush holds the Store's lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import json
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from platformdirs import user_data_dir
from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage

from . import shapes
from .errors import NotFound, StoreError, UsageError
from .journal import Journal
from .models import Intent, Link, RunSummary, SyncEvent
from .options import Options
from .polling import Budget
from .shapes import ShapeError

SCHEMA = 1
MAX_RUNS = 100
META = "_meta"

AccountState = Literal["active", "previously_synced"]
T = TypeVar("T")
AccountKind = Literal["sandbox", "real"]


def default_home() -> Path:
    """$CALSYNC_HOME, else the platform's user data folder for calsync."""
    env = os.environ.get("CALSYNC_HOME")
    return Path(env).expanduser() if env else Path(user_data_dir("calsync", appauthor=False))


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


# ---------------------------------------------------------------- files


def private_dir(path: Path) -> Path:
    """Make `path` a folder only its owner can use (0700, whatever the umask).

    Every missing folder on the way is created 0700 (`mkdir(parents=True, mode=...)` would
    give the parents the umask's mode); an existing `path` that others can read (made by an
    older calsync) is tightened where we may. StoreError, in words, when it cannot be."""
    missing: list[Path] = []
    folder = path
    try:
        while True:
            try:
                if not stat.S_ISDIR(folder.stat().st_mode):
                    raise StoreError(f"cannot use the folder {path}: {folder} is a file")
                break
            except (FileNotFoundError, NotADirectoryError):
                missing.append(folder)  # (not a directory: a file further up, found next)
                if folder.parent == folder:
                    break
                folder = folder.parent
        for made in reversed(missing):
            with contextlib.suppress(FileExistsError):  # another thread or process was quicker
                os.mkdir(made, 0o700)
            os.chmod(made, 0o700)
    except (OSError, ValueError) as err:
        raise StoreError(f"cannot use the folder {path}: {_why(err)}") from err
    if not missing:
        with contextlib.suppress(OSError):
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o700)
    return path


def _why(err: OSError | ValueError) -> str:
    """An OS error in words (ValueError: a path the system cannot take, e.g. a NUL byte)."""
    if isinstance(err, ValueError):
        return f"not a usable path ({err})"
    if isinstance(err, PermissionError):
        return "permission denied"
    if err.errno == errno.EROFS:
        return "the file system is read-only"
    if isinstance(err, NotADirectoryError):
        return "a part of the path is a file, not a folder"
    return err.strerror or str(err)


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text`: a temp file of a unique name in the same folder, fsync,
    os.replace (mode 0600). Threads and processes writing the same file at once each
    replace it whole.

    A crash at any point leaves either the old file or the new one, never a mix.
    """
    private_dir(path.parent)
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        tmp = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise StoreError(f"could not write store file {path}: {_why(err)}") from err
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _corrupt(
    path: Path, why: str, advice: str = "move the file away to start afresh"
) -> StoreError:
    """Keep a copy of a corrupt file and describe it in one line (the file itself is left alone)."""
    stamp = _now().strftime("%Y%m%dT%H%M%S")
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    with contextlib.suppress(OSError):
        shutil.copy2(path, backup)
        os.chmod(backup, 0o600)
    return StoreError(f"store file {path} is corrupt ({why}); a copy is kept at {backup}; {advice}")


def _read_all(path: Path, docs: Iterable[Any], read: Callable[[Any], T], what: str) -> list[T]:
    """`read` each document of a file's table; a wrong shape is the file's corruption."""
    try:
        return shapes.each(list(docs), read, what)
    except ShapeError as err:
        raise _corrupt(path, str(err)) from None


class AtomicJSONStorage(Storage):
    """A TinyDB storage that validates what it reads and writes atomically."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StoreError(f"cannot read store file {self.path}: {err.strerror or err}") from err
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise _corrupt(self.path, f"not valid JSON: {err}") from err
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise _corrupt(self.path, "not a table of documents")
        for name, table in data.items():
            for doc_id, doc in table.items():
                if not isinstance(doc, dict):
                    raise _corrupt(self.path, f"{name} document {doc_id} is not an object")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))

    def close(self) -> None:
        pass


# Migrations from schema N to N+1, applied in order to the raw tables.
def _migrate_0(data: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    # Schema 0 (no _meta) kept one fingerprint per link; it was the Google side's.
    for doc in data.get("links", {}).values():
        if "fingerprint" in doc:
            fp = doc.pop("fingerprint")
            doc.setdefault("google_fingerprint", fp)
            doc.setdefault("pipedrive_fingerprint", fp)
    return data


MIGRATIONS: dict[int, Callable[[dict[str, dict[str, Any]]], dict[str, dict[str, Any]]]] = {
    0: _migrate_0
}


class _File:
    """One TinyDB file: schema-checked on open, written once per flush of its dirty tables."""

    def __init__(self, path: Path) -> None:
        self.path = path
        storage = AtomicJSONStorage(path)
        data = storage.read()
        if data is not None:
            data = self._upgrade(storage, data)
        middleware = CachingMiddleware(AtomicJSONStorage)  # type: ignore[no-untyped-call]
        middleware.WRITE_CACHE_SIZE = 1 << 62  # flush only when told to
        self.db = TinyDB(path, storage=middleware)
        self._dirty: dict[str, list[dict[str, Any]]] = {}
        if data is None:
            self.replace_table(META, [{"schema": SCHEMA}])
            self.flush()

    def _upgrade(
        self, storage: AtomicJSONStorage, data: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        meta = list(data.get(META, {}).values())
        version = meta[0].get("schema", 0) if meta else 0
        if not isinstance(version, int) or version < 0:
            raise _corrupt(self.path, f"bad schema version {version!r}")
        if version > SCHEMA:
            raise StoreError(
                f"store file {self.path} was written by a newer calsync (schema {version}, "
                f"this one knows {SCHEMA}); upgrade calsync"
            )
        if version == SCHEMA:
            return data
        backup = self.path.with_name(f"{self.path.name}.schema{version}.bak")
        shutil.copy2(self.path, backup)
        while version < SCHEMA:
            data = MIGRATIONS[version](data)
            version += 1
        data[META] = {"1": {"schema": SCHEMA}}
        storage.write(data)
        return data

    def table(self, name: str) -> list[dict[str, Any]]:
        return [dict(doc) for doc in self.db.table(name).all()]

    @property
    def dirty(self) -> bool:
        return bool(self._dirty)

    def replace_table(self, name: str, docs: list[dict[str, Any]]) -> None:
        """Mark table `name` to be rewritten with `docs` at the next flush."""
        self._dirty[name] = docs

    def flush(self) -> None:
        if not self._dirty:
            return
        for name, docs in self._dirty.items():
            table = self.db.table(name)
            table.truncate()
            table.insert_multiple(docs)
        storage = self.db.storage
        assert isinstance(storage, CachingMiddleware)
        storage.flush()  # type: ignore[no-untyped-call]
        self._dirty.clear()

    def close(self) -> None:
        self.db.close()


# ---------------------------------------------------------------- accounts


def _names(names: dict[str, Any] | None) -> dict[str, str]:
    """A map of names (activity type key -> label), every value a string."""
    for key in names or {}:
        shapes.text(names, key)
    return dict(names or {})


@dataclass(frozen=True, slots=True)
class AccountExtra:
    """What calsync learnt about an account's services when it connected, and since."""

    kind: AccountKind = "real"
    """"sandbox" for an account of a calsync sandbox (the demo), else "real"."""
    google_base: str = ""
    """Where Google's APIs are: empty for Google's own servers, a sandbox's URL otherwise."""
    calendar_tz: str = "UTC"
    """The synced calendar's time zone (IANA name)."""
    calendar_name: str = ""
    """The synced calendar's name as Google shows it ("Team"); empty: not known yet."""
    pipedrive_user_id: int | None = None
    pipedrive_name: str = ""
    activity_types: tuple[str, ...] = ()
    """The Pipedrive company's active activity type keys, as last read."""
    activity_type_names: dict[str, str] = field(default_factory=dict)
    """Each of those keys and the name Pipedrive shows for it ("lunch" -> "Lunch")."""
    pipedrive_budget: Budget | None = None
    """Pipedrive's daily request budget as the last run left it (the watch's pacing)."""
    clock_skew_said: float | None = None
    """Seconds this machine's clock was off the services' when the log last said so (None:
    within tolerance at the last run)."""

    def replace(self, **changes: Any) -> AccountExtra:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "google_base": self.google_base,
            "calendar_tz": self.calendar_tz,
            "calendar_name": self.calendar_name,
            "pipedrive_user_id": self.pipedrive_user_id,
            "pipedrive_name": self.pipedrive_name,
            "activity_types": list(self.activity_types),
            "activity_type_names": dict(self.activity_type_names),
            "pipedrive_budget": self.pipedrive_budget.to_json() if self.pipedrive_budget else None,
            "clock_skew_said": self.clock_skew_said,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AccountExtra:
        """Stored extras; ShapeError when a field is of the wrong type (unknown keys, left
        by older versions, are ignored)."""
        shapes.document(data, "extra")
        return cls(
            kind="sandbox" if shapes.text(data, "kind", None, null=True) == "sandbox" else "real",
            google_base=shapes.text(data, "google_base", None, null=True) or "",
            calendar_tz=shapes.text(data, "calendar_tz", None, null=True) or "UTC",
            calendar_name=shapes.text(data, "calendar_name", None, null=True) or "",
            pipedrive_user_id=shapes.integer(data, "pipedrive_user_id", None, null=True),
            pipedrive_name=shapes.text(data, "pipedrive_name", None, null=True) or "",
            activity_types=shapes.texts(data, "activity_types"),
            activity_type_names=_names(
                shapes.mapping(data, "activity_type_names", None, null=True)
            ),
            pipedrive_budget=Budget.from_json(
                shapes.mapping(data, "pipedrive_budget", None, null=True)
            ),
            clock_skew_said=shapes.number(data, "clock_skew_said", None, null=True),
        )


@dataclass(frozen=True, slots=True)
class Account:
    """One Google account + Pipedrive user pair and its sync options."""

    id: str
    email: str
    """The Google account's e-mail."""
    pipedrive_email: str = ""
    pipedrive_domain: str = ""
    """The Pipedrive company's api_domain."""
    options: Options = field(default_factory=Options)
    state: AccountState = "active"
    needs_reconnect: bool = False
    created_at: datetime | None = None
    last_run: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    extra: AccountExtra = field(default_factory=AccountExtra)
    """What calsync knows of the account's services (calendar time zone, user id, ...)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "pipedrive_email": self.pipedrive_email,
            "pipedrive_domain": self.pipedrive_domain,
            "options": self.options.to_json(),
            "state": self.state,
            "needs_reconnect": self.needs_reconnect,
            "created_at": _iso(self.created_at),
            "last_run": _iso(self.last_run),
            "last_status": self.last_status,
            "last_error": self.last_error,
            "extra": self.extra.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Account:
        """A stored account; ShapeError when a field is missing or of the wrong type."""
        try:
            options = Options.from_json(shapes.mapping(data, "options", {}))
        except UsageError as err:
            raise ShapeError(f"options: {err}") from None
        state = shapes.text(data, "state", "active")
        if state not in ("active", "previously_synced"):
            raise ShapeError(f"state is {state!r}, not active or previously_synced")
        try:
            extra = AccountExtra.from_json(shapes.mapping(data, "extra", None, null=True) or {})
        except ShapeError as err:
            raise err.within("extra") from None
        return cls(
            id=shapes.identifier(data, "id"),
            email=shapes.text(data, "email", ""),
            pipedrive_email=shapes.text(data, "pipedrive_email", ""),
            pipedrive_domain=shapes.text(data, "pipedrive_domain", ""),
            options=options,
            state=state,
            needs_reconnect=shapes.flag(data, "needs_reconnect", False),
            created_at=shapes.moment(data, "created_at"),
            last_run=shapes.moment(data, "last_run"),
            last_status=shapes.text(data, "last_status", None, null=True),
            last_error=shapes.text(data, "last_error", None, null=True),
            extra=extra,
        )


@dataclass(frozen=True, slots=True)
class Cursors:
    """Where each incremental feed left off."""

    google_sync_token: str | None = None
    google_calendar: str | None = None
    """The calendar id the sync token belongs to (a new calendar needs a full listing)."""
    pipedrive_updated_since: str | None = None
    last_full_reconcile: datetime | None = None
    options_used: dict[str, Any] | None = None
    """The options of the last complete run (Options.to_json()): a change means a full run."""
    retry: dict[str, int] = field(default_factory=dict)
    """Items whose write failed ("google:<id>" / "pipedrive:<id>" -> runs failed in a row):
    read again by id in the next runs, so one refused item never holds the cursors back."""

    def to_json(self) -> dict[str, Any]:
        return {
            "google_sync_token": self.google_sync_token,
            "google_calendar": self.google_calendar,
            "pipedrive_updated_since": self.pipedrive_updated_since,
            "last_full_reconcile": _iso(self.last_full_reconcile),
            "options_used": self.options_used,
            "retry": dict(self.retry),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cursors:
        """Stored cursors; ShapeError when a field is of the wrong type (a Pipedrive cursor
        that is no time would be sent, and refused, on every run)."""
        since = shapes.text(data, "pipedrive_updated_since", None, null=True)
        if since is not None:
            shapes.moment(
                {"pipedrive_updated_since": since.replace("Z", "+00:00")}, "pipedrive_updated_since"
            )
        retry = shapes.mapping(data, "retry", None, null=True) or {}
        for key in retry:
            shapes.integer(retry, key)
        return cls(
            google_sync_token=shapes.text(data, "google_sync_token", None, null=True),
            google_calendar=shapes.text(data, "google_calendar", None, null=True),
            pipedrive_updated_since=since,
            last_full_reconcile=shapes.moment(data, "last_full_reconcile"),
            options_used=shapes.mapping(data, "options_used", None, null=True),
            retry=retry,
        )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run in the history: its number, when it started, the summary and (if loaded) events."""

    run: int
    at: datetime
    summary: RunSummary
    events: tuple[SyncEvent, ...] = ()


def _check_run(doc: dict[str, Any]) -> None:
    """A stored run's number, time, summary and events list (the events are read later)."""
    shapes.integer(doc, "run")
    if shapes.moment(doc, "at") is None:
        raise ShapeError("at is missing")
    summary = shapes.mapping(doc, "summary")
    try:
        RunSummary.from_json(summary)
    except ShapeError as err:
        raise err.within("summary") from None
    shapes.listing(doc, "events", [])


# ---------------------------------------------------------------- one account's data


class AccountData:
    """Links, cursors and runs of one account.

    The in-memory copy is authoritative: use one Store per process and write only while
    holding `Store.lock(account_id)`. Safe between threads: every change and flush holds
    `guard` (the Store's lock).
    """

    def __init__(self, folder: Path, guard: threading.RLock | None = None) -> None:
        self.folder = folder
        self.guard = guard or threading.RLock()
        self._state = _File(folder / "state.json")
        self._runs_file = _File(folder / "runs.json")
        self._links: dict[str, Link] = {}
        self._by_pipedrive: dict[str, str] = {}
        self._by_series: dict[str, set[str]] = {}
        self._intents: dict[str, Intent] = {}
        state_path = self._state.path
        for link in _read_all(state_path, self._state.table("links"), Link.from_json, "link"):
            self._index(link)
        for intent in _read_all(
            state_path, self._state.table("intents"), Intent.from_json, "intent"
        ):
            self._intents[intent.key] = intent
        compacted = self._state.table("journal")
        self._journal = Journal(folder / "state.journal")
        self._replay(self._journal.read(int(compacted[0].get("seq", 0)) if compacted else 0))
        self._cursor_file = _File(folder / "cursors.json")
        # Stores written before cursors.json kept the cursors in state.json.
        cursor_file = self._cursor_file if self._cursor_file.table("cursors") else self._state
        cursors = _read_all(
            cursor_file.path, cursor_file.table("cursors")[:1], Cursors.from_json, "cursors entry"
        )
        self._cursors = cursors[0] if cursors else Cursors()
        runs = self._runs_file.table("runs")
        _read_all(self._runs_file.path, runs, _check_run, "run")
        self._runs = sorted(runs, key=lambda d: d["run"])
        self._depth = 0
        self._signs = {path: _sign(path) for path in self._files()}

    # -- links

    def _index(self, link: Link) -> None:
        self._links[link.google_id] = link
        self._by_pipedrive[link.pipedrive_id] = link.google_id
        if link.series_id:
            self._by_series.setdefault(link.series_id, set()).add(link.google_id)

    def _unindex(self, link: Link) -> None:
        self._links.pop(link.google_id, None)
        if self._by_pipedrive.get(link.pipedrive_id) == link.google_id:
            del self._by_pipedrive[link.pipedrive_id]
        if link.series_id and link.series_id in self._by_series:
            self._by_series[link.series_id].discard(link.google_id)
            if not self._by_series[link.series_id]:
                del self._by_series[link.series_id]

    def link_by_google(self, google_id: str) -> Link | None:
        return self._links.get(google_id)

    def link_by_pipedrive(self, pipedrive_id: str) -> Link | None:
        google_id = self._by_pipedrive.get(pipedrive_id)
        return self._links.get(google_id) if google_id is not None else None

    def links_by_series(self, series_id: str) -> list[Link]:
        return [self._links[g] for g in sorted(self._by_series.get(series_id, ()))]

    def links(self) -> list[Link]:
        return list(self._links.values())

    def __len__(self) -> int:
        return len(self._links)

    def put_link(self, link: Link) -> None:
        """Add or replace the link of a pair; a link sharing either id is replaced."""
        with self.guard:
            self._put(link)
            self._log({"op": "put", "link": link.to_json()})

    def delete_link(self, link: Link) -> None:
        """Forget the pair (by its Google id; also by its Pipedrive id if it moved)."""
        with self.guard:
            self._drop(link.google_id, link.pipedrive_id)
            self._log({"op": "del", "google_id": link.google_id, "pipedrive_id": link.pipedrive_id})

    def _put(self, link: Link) -> None:
        for old in (self._links.get(link.google_id), self.link_by_pipedrive(link.pipedrive_id)):
            if old is not None:
                self._unindex(old)
        self._index(link)

    def _drop(self, google_id: str, pipedrive_id: str) -> None:
        for old in (self._links.get(google_id), self.link_by_pipedrive(pipedrive_id)):
            if old is not None:
                self._unindex(old)

    # -- intents: writes about to be made (sync/models.py Intent)

    def intend(self, intent: Intent) -> None:
        """Record a write about to be made (durable at the next `durable()` / flush)."""
        with self.guard:
            self._intents[intent.key] = intent
            self._log({"op": "intent", "intent": intent.to_json()})

    def resolve(self, key: str) -> None:
        """The write of intent `key` went through, or surely did not: forget the intent."""
        with self.guard:
            if self._intents.pop(key, None) is not None:
                self._log({"op": "done", "key": key})

    def intents(self) -> list[Intent]:
        """Writes an earlier run began and did not see through (it was killed)."""
        return sorted(self._intents.values(), key=lambda i: i.key)

    # -- the journal

    def _log(self, entry: dict[str, Any]) -> None:
        self._journal.append(entry)
        self._signs[self._journal.path] = _sign(self._journal.path)
        if self._depth == 0:  # outside a transaction every change is durable at once
            self._journal.sync()

    def _replay(self, entries: list[dict[str, Any]]) -> None:
        path = self._journal.path
        try:
            for entry in entries:
                op = entry.get("op")
                if op == "put":
                    self._put(Link.from_json(shapes.document(entry.get("link"), "link")))
                elif op == "del":
                    self._drop(shapes.text(entry, "google_id"), shapes.text(entry, "pipedrive_id"))
                elif op == "intent":
                    intent = Intent.from_json(shapes.document(entry.get("intent"), "intent"))
                    self._intents[intent.key] = intent
                elif op == "done":
                    self._intents.pop(shapes.text(entry, "key"), None)
                else:
                    raise ShapeError(f"unknown operation {op!r}")
        except ShapeError as err:
            raise _corrupt(path, f"entry {entry.get('seq')}: {err}") from None

    async def durable(self) -> None:
        """Make every change so far durable, without holding up the event loop (writes that
        depend on them wait for this; concurrent callers share one fsync)."""
        await self._journal.sync_async()

    def compact(self) -> None:
        """Write the links and open intents whole into state.json and empty the journal (the
        end of a run that changed links: the journal stays short)."""
        with self.guard:
            if not self._journal.pending and not self._journal_has_entries():
                return
            self._journal.sync()
            self._state.replace_table("links", [link.to_json() for link in self._links.values()])
            self._state.replace_table("intents", [i.to_json() for i in self._intents.values()])
            self._state.replace_table("journal", [{"seq": self._journal.seq}])
            self._state.flush()
            self._journal.reset()
            self._signs = {path: _sign(path) for path in self._files()}

    def _journal_has_entries(self) -> bool:
        try:
            return self._journal.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def _files(self) -> list[Path]:
        return [
            self._state.path,
            self._journal.path,
            self._cursor_file.path,
            self._runs_file.path,
        ]

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def stale(self) -> bool:
        """Has another process changed this account's files since this copy read them?"""
        return any(_sign(path) != sign for path, sign in self._signs.items())

    def forget_pairs(self) -> None:
        """Forget every link and cursor (a demo account meeting a new demo world); the run
        history stays."""
        with self.guard:
            for link in list(self._links.values()):
                self.delete_link(link)
            self._cursors = Cursors()
            self._changed("cursors")

    # -- cursors

    def cursors(self) -> Cursors:
        return self._cursors

    def set_cursors(self, **changes: Any) -> Cursors:
        with self.guard:
            cursors = dataclasses.replace(self._cursors, **changes)
            if cursors != self._cursors:  # an idle run that read nothing new writes nothing
                self._cursors = cursors
                self._changed("cursors")
            return self._cursors

    # -- runs

    def append_run(
        self, summary: RunSummary, events: Iterable[SyncEvent], at: datetime | None = None
    ) -> int:
        """Record a finished run (its summary and events, conflict losers included); returns its number."""
        with self.guard:
            number = int(self._runs[-1]["run"]) + 1 if self._runs else 1
            self._runs.append(
                {
                    "run": number,
                    "at": _iso(at or _now()),
                    "summary": summary.to_json(),
                    "events": [e.to_json() for e in events],
                }
            )
            del self._runs[:-MAX_RUNS]
            self._runs_file.replace_table("runs", list(self._runs))
            if self._depth == 0:
                self.flush()
            return number

    def last_run_idle(self) -> bool:
        """Whether the last recorded run did nothing (see RunSummary.idle)."""
        return bool(self._runs) and RunSummary.from_json(self._runs[-1]["summary"]).idle

    def runs(self) -> list[RunRecord]:
        """All kept runs, oldest first, without their events."""
        return [self._record(d, with_events=False) for d in self._runs]

    def run(self, number: int | None = None) -> RunRecord:
        """Run `number` (default: the last one) with its events; NotFound if it is not kept."""
        if not self._runs:
            raise NotFound("no runs recorded yet")
        if number is None:
            return self._record(self._runs[-1], with_events=True)
        for doc in self._runs:
            if int(doc["run"]) == number:
                return self._record(doc, with_events=True)
        raise NotFound(f"no run {number} (kept: {self._runs[0]['run']}..{self._runs[-1]['run']})")

    def _record(self, doc: dict[str, Any], *, with_events: bool) -> RunRecord:
        # The run, its time and summary were checked on load; its events are read (and their
        # shape checked) only when they are shown.
        events: tuple[SyncEvent, ...] = ()
        if with_events:
            where = f"run {doc['run']}: event"
            path = self._runs_file.path
            events = tuple(_read_all(path, doc.get("events", ()), SyncEvent.from_json, where))
        at = shapes.moment(doc, "at") or _now()
        return RunRecord(doc["run"], at, RunSummary.from_json(doc["summary"]), events)

    # -- batching

    def _changed(self, table: str) -> None:
        # Outside a transaction every change is written at once (safe default); inside one,
        # changes wait for the flush at its end (or an explicit flush()).
        if table == "cursors":
            self._cursor_file.replace_table("cursors", [self._cursors.to_json()])
        if self._depth == 0:
            self.flush()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[AccountData]:
        """Batch changes: everything done inside is written by one flush on the way out.

        The flush happens even when the block raises: each change records a side effect that
        already happened remotely, so it must not be lost.
        """
        with self.guard:
            self._depth += 1
        try:
            yield self
        finally:
            with self.guard:
                self._depth -= 1
                if self._depth == 0:
                    self.flush()

    def flush(self) -> None:
        """Make what changed durable: the journal (links, intents), then at most one atomic
        replace of the cursors and of the runs file."""
        with self.guard:
            self._journal.sync()
            # After the links: a crash in between leaves the older cursors, and the next run
            # reads again what this one wrote (never cursors past links that were not saved).
            for file in (self._cursor_file, self._runs_file):
                if file.dirty:
                    file.flush()
                    self._signs[file.path] = _sign(file.path)

    def close(self) -> None:
        with self.guard:
            self.flush()
            self._journal.close()
            self._state.close()
            self._cursor_file.close()
            self._runs_file.close()


# ---------------------------------------------------------------- the store


class Store:
    """Everything calsync keeps on disk, under `home` (see the module docstring)."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = private_dir(Path(home) if home is not None else default_home())
        for made_before in ("accounts", "locks", "tokens"):  # an older calsync left them 0755
            if (self.home / made_before).is_dir():
                private_dir(self.home / made_before)
        self._guard = threading.RLock()
        self._open: dict[str, AccountData] = {}
        self._index_sign: tuple[int, int, int] | None = None
        self._index_locked = False
        self._accounts: dict[str, Account] = {}
        self._read_index()

    # -- accounts: read fresh, changed under a lock shared with every other process

    def _read_index(self) -> None:
        """(Re)read the accounts index: another process may have changed it."""
        index = _File(self.home / "calsync.json")
        docs = index.table("accounts")
        accounts = _read_all(index.path, docs, Account.from_json, "account")
        self._index = index
        self._accounts = {a.id: a for a in accounts}
        self._index_sign = _sign(index.path)

    def _fresh(self) -> None:
        with self._guard:
            if _sign(self._index.path) != self._index_sign:
                self._read_index()

    @contextlib.contextmanager
    def _changing_index(self) -> Iterator[None]:
        """A read-modify-write of the accounts index: on fresh data, under the index's
        process lock (two `calsync connect` at once get two accounts; an options change made
        while a run goes on is not written back over by the run's end)."""
        with self._guard:
            if self._index_locked:  # already inside one (this thread): the lock is held
                yield
                return
            path = private_dir(self.home / "locks") / "index.lock"
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._index_locked = True
                self._fresh()
                yield
            finally:
                self._index_locked = False
                os.close(fd)  # closing the file releases the lock

    def accounts_changing(self) -> contextlib.AbstractContextManager[None]:
        """Hold the accounts index's process lock around a find-then-add (a connect): two
        `calsync connect` of one identity at once make one account, not two."""
        return self._changing_index()

    def accounts(self, state: AccountState | None = None) -> list[Account]:
        self._fresh()
        found = sorted(self._accounts.values(), key=lambda a: (_sort_key(a.id), a.id))
        return [a for a in found if state is None or a.state == state]

    def account(self, account_id: str) -> Account:
        self._fresh()
        try:
            return self._accounts[account_id]
        except KeyError:
            raise NotFound(f"no account {account_id!r}: see `calsync accounts`") from None

    def find_account(
        self, email: str, pipedrive_email: str = "", pipedrive_domain: str = ""
    ) -> Account | None:
        """The account (active or not) for this Google + Pipedrive identity: reconnecting reuses it."""
        for a in self.accounts():
            if (
                a.email.lower() == email.lower()
                and a.pipedrive_email.lower() == pipedrive_email.lower()
                and a.pipedrive_domain == pipedrive_domain
            ):
                return a
        return None

    def add_account(
        self,
        email: str,
        *,
        pipedrive_email: str = "",
        pipedrive_domain: str = "",
        options: Options | None = None,
        account_id: str | None = None,
        extra: AccountExtra | None = None,
        at: datetime | None = None,
    ) -> Account:
        """A new active account; ids are "1", "2", ... unless given."""
        with self._changing_index():
            if account_id is None:
                numbers = [int(i) for i in self._accounts if i.isdigit()]
                account_id = str(max(numbers, default=0) + 1)
            if account_id in self._accounts:
                raise StoreError(f"account {account_id!r} already exists")
            account = Account(
                id=account_id,
                email=email,
                pipedrive_email=pipedrive_email,
                pipedrive_domain=pipedrive_domain,
                options=options or Options(),
                created_at=at or _now(),
                extra=extra or AccountExtra(),
            )
            self._save_account(account)
            return account

    def update_account(self, account_id: str, **changes: Any) -> Account:
        """Change fields of an account (options, needs_reconnect, last_run, last_status, ...);
        the others stay as they are on disk, whoever changed them last."""
        with self._changing_index():
            account = dataclasses.replace(self.account(account_id), **changes)
            self._save_account(account)
            return account

    def deactivate(self, account_id: str) -> Account:
        """Stop syncing: the account and its links are kept under "previously synced"."""
        return self.update_account(account_id, state="previously_synced")

    def reactivate(self, account_id: str) -> Account:
        """Back to active with its last options and links (so nothing is duplicated)."""
        return self.update_account(account_id, state="active", needs_reconnect=False)

    def _save_account(self, account: Account) -> None:
        """Write the index with `account` (inside `_changing_index`)."""
        self._accounts[account.id] = account
        docs = [
            a.to_json()
            for a in sorted(self._accounts.values(), key=lambda a: (_sort_key(a.id), a.id))
        ]
        self._index.replace_table("accounts", docs)
        self._index.flush()
        self._index_sign = _sign(self._index.path)

    # -- per-account data

    def data(self, account_id: str) -> AccountData:
        """The account's links, cursors and runs: read again when another process changed
        them since (a run reads fresh data under the account's lock: `calsync sync --once`
        in another terminal, then the watch's next poll, see the same links)."""
        with self._guard:
            self.account(account_id)
            data = self._open.get(account_id)
            if data is not None and not data.in_transaction and data.stale():
                data.close()
                data = None
            if data is None:
                folder = self.home / "accounts" / _safe(account_id)
                data = self._open[account_id] = AccountData(folder, self._guard)
            return data

    @contextlib.contextmanager
    def lock(self, account_id: str, wait: bool = False) -> Iterator[None]:
        """Hold the account's process lock; StoreError at once if another process holds it
        (unless `wait`). flock locks belong to an open file: two Stores exclude each other too."""
        path = private_dir(self.home / "locks") / f"{_safe(account_id)}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                raise StoreError(
                    f"another calsync sync is running for account {account_id}"
                ) from None
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def close(self) -> None:
        with self._guard:
            for data in self._open.values():
                data.close()
            self._open.clear()


def _sign(path: Path) -> tuple[int, int, int] | None:
    """What tells whether a file changed: (inode, size, mtime in ns); None: no file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _sort_key(account_id: str) -> int:
    return int(account_id) if account_id.isdigit() else 1 << 62


def _safe(account_id: str) -> str:
    """An account id as a file name (ids are ours, but never trust a path component)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in account_id)
    if cleaned in ("", ".", ".."):
        raise StoreError(f"bad account id {account_id!r}")
    return cleaned
