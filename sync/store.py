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
import fcntl
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_dir
from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage

from .errors import NotFound, StoreError
from .models import Link, RunSummary, SyncEvent
from .options import Options
from .polling import Budget

SCHEMA = 1
MAX_RUNS = 100
META = "_meta"

AccountState = Literal["active", "previously_synced"]
AccountKind = Literal["sandbox", "real"]


def default_home() -> Path:
    """$CALSYNC_HOME, else the platform's user data folder for calsync."""
    env = os.environ.get("CALSYNC_HOME")
    return Path(env).expanduser() if env else Path(user_data_dir("calsync", appauthor=False))


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _float_or_none(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# ---------------------------------------------------------------- files


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text`: temp file in the same folder, fsync, os.replace (mode 0600).

    A crash at any point leaves either the old file or the new one, never a mix.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StoreError(f"could not write store file {path}: {err.strerror or err}") from err
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _corrupt(path: Path, why: str) -> StoreError:
    """Keep a copy of a corrupt file and describe it in one line (the file itself is left alone)."""
    stamp = _now().strftime("%Y%m%dT%H%M%S")
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    with contextlib.suppress(OSError):
        shutil.copy2(path, backup)
        os.chmod(backup, 0o600)
    return StoreError(
        f"store file {path} is corrupt ({why}); a copy is kept at {backup}; "
        "move the file away to start afresh"
    )


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
        user_id = data.get("pipedrive_user_id")
        return cls(
            kind="sandbox" if data.get("kind") == "sandbox" else "real",
            google_base=str(data.get("google_base") or ""),
            calendar_tz=str(data.get("calendar_tz") or "UTC"),
            calendar_name=str(data.get("calendar_name") or ""),
            pipedrive_user_id=int(user_id) if user_id is not None else None,
            pipedrive_name=str(data.get("pipedrive_name") or ""),
            activity_types=tuple(str(t) for t in data.get("activity_types") or ()),
            activity_type_names={
                str(k): str(v) for k, v in (data.get("activity_type_names") or {}).items()
            },
            pipedrive_budget=Budget.from_json(data.get("pipedrive_budget")),
            clock_skew_said=_float_or_none(data.get("clock_skew_said")),
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
        return cls(
            id=str(data["id"]),
            email=data.get("email", ""),
            pipedrive_email=data.get("pipedrive_email", ""),
            pipedrive_domain=data.get("pipedrive_domain", ""),
            options=Options.from_json(data.get("options") or {}),
            state="previously_synced" if data.get("state") == "previously_synced" else "active",
            needs_reconnect=bool(data.get("needs_reconnect", False)),
            created_at=_dt(data.get("created_at")),
            last_run=_dt(data.get("last_run")),
            last_status=data.get("last_status"),
            last_error=data.get("last_error"),
            extra=AccountExtra.from_json(data.get("extra") or {}),
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
        return cls(
            google_sync_token=data.get("google_sync_token"),
            google_calendar=data.get("google_calendar"),
            pipedrive_updated_since=data.get("pipedrive_updated_since"),
            last_full_reconcile=_dt(data.get("last_full_reconcile")),
            options_used=data.get("options_used"),
            retry={str(k): int(v) for k, v in (data.get("retry") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run in the history: its number, when it started, the summary and (if loaded) events."""

    run: int
    at: datetime
    summary: RunSummary
    events: tuple[SyncEvent, ...] = ()


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
        for doc in self._state.table("links"):
            self._index(Link.from_json(doc))
        self._cursor_file = _File(folder / "cursors.json")
        # Stores written before cursors.json kept the cursors in state.json.
        cursors = self._cursor_file.table("cursors") or self._state.table("cursors")
        self._cursors = Cursors.from_json(cursors[0]) if cursors else Cursors()
        self._runs = sorted(self._runs_file.table("runs"), key=lambda d: int(d["run"]))
        self._depth = 0
        self._links_dirty = False

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
            for old in (self._links.get(link.google_id), self.link_by_pipedrive(link.pipedrive_id)):
                if old is not None:
                    self._unindex(old)
            self._index(link)
            self._changed("links")

    def delete_link(self, link: Link) -> None:
        """Forget the pair (by its Google id; also by its Pipedrive id if it moved)."""
        with self.guard:
            for old in (self._links.get(link.google_id), self.link_by_pipedrive(link.pipedrive_id)):
                if old is not None:
                    self._unindex(old)
            self._changed("links")

    def forget_pairs(self) -> None:
        """Forget every link and cursor (a demo account meeting a new demo world); the run
        history stays."""
        with self.guard:
            for link in list(self._links.values()):
                self._unindex(link)
            self._cursors = Cursors()
            self._changed("cursors")
            self._changed("links")

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
                self._runs_file.flush()
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

    @staticmethod
    def _record(doc: dict[str, Any], *, with_events: bool) -> RunRecord:
        events = tuple(SyncEvent.from_json(e) for e in doc.get("events", ())) if with_events else ()
        return RunRecord(
            int(doc["run"]), _dt(doc["at"]) or _now(), RunSummary.from_json(doc["summary"]), events
        )

    # -- batching

    def _changed(self, table: str) -> None:
        # Outside a transaction every change is written at once (safe default); inside one,
        # changes wait for the flush at its end (or an explicit flush()).
        if table == "links":
            self._links_dirty = True
        elif table == "cursors":
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
        """Write what changed: at most one atomic replace per file."""
        with self.guard:
            if self._links_dirty:
                links = [link.to_json() for link in self._links.values()]
                self._state.replace_table("links", links)
                self._links_dirty = False
            self._state.flush()
            # After the links: a crash in between leaves the older cursors, and the next run
            # reads again what this one wrote (never cursors past links that were not saved).
            self._cursor_file.flush()
            self._runs_file.flush()

    def close(self) -> None:
        with self.guard:
            self.flush()
            self._state.close()
            self._cursor_file.close()
            self._runs_file.close()


# ---------------------------------------------------------------- the store


class Store:
    """Everything calsync keeps on disk, under `home` (see the module docstring)."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = Path(home) if home is not None else default_home()
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._guard = threading.RLock()
        self._index = _File(self.home / "calsync.json")
        self._accounts = {d["id"]: Account.from_json(d) for d in self._index.table("accounts")}
        self._open: dict[str, AccountData] = {}

    # -- accounts

    def accounts(self, state: AccountState | None = None) -> list[Account]:
        found = sorted(self._accounts.values(), key=lambda a: (_sort_key(a.id), a.id))
        return [a for a in found if state is None or a.state == state]

    def account(self, account_id: str) -> Account:
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
        with self._guard:
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
        """Change fields of an account (options, needs_reconnect, last_run, last_status, ...)."""
        with self._guard:
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
        with self._guard:
            self._accounts[account.id] = account
            self._index.replace_table("accounts", [a.to_json() for a in self.accounts()])
            self._index.flush()

    # -- per-account data

    def data(self, account_id: str) -> AccountData:
        """The account's links, cursors and runs (opened once per Store)."""
        with self._guard:
            self.account(account_id)
            if account_id not in self._open:
                folder = self.home / "accounts" / _safe(account_id)
                self._open[account_id] = AccountData(folder, self._guard)
            return self._open[account_id]

    @contextlib.contextmanager
    def lock(self, account_id: str, wait: bool = False) -> Iterator[None]:
        """Hold the account's process lock; StoreError at once if another process holds it
        (unless `wait`). flock locks belong to an open file: two Stores exclude each other too."""
        path = self.home / "locks" / f"{_safe(account_id)}.lock"
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
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
            self._index.close()


def _sort_key(account_id: str) -> int:
    return int(account_id) if account_id.isdigit() else 1 << 62


def _safe(account_id: str) -> str:
    """An account id as a file name (ids are ours, but never trust a path component)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in account_id)
    if cleaned in ("", ".", ".."):
        raise StoreError(f"bad account id {account_id!r}")
    return cleaned
