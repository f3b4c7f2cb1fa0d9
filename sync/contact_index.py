"""The local index of Pipedrive's persons, organizations and deals that guest matching reads
(sync/guests.py), kept up to date like the activities: a full listing at a full reconcile
(or when there is none yet), `updated_since` its cursor otherwise. It is refreshed only by
runs that have guests to match, so an idle run costs no request for it.

One file per account, `contacts.json` beside its state (written atomically)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .pipedrive_api import Pipedrive
from .store import _File

KINDS = ("persons", "organizations", "deals")
SKEW = timedelta(minutes=10)
"""A listing that saw nothing moves its cursor to our clock minus this (as the activities'
cursor does)."""


def _person(row: dict) -> dict[str, Any]:
    emails = [e if isinstance(e, str) else (e.get("value") or "") for e in row.get("emails") or ()]
    org = row.get("org_id")
    if isinstance(org, dict):  # a search result names its organization
        org = org.get("id")
    return {"name": row.get("name") or "", "emails": [e for e in emails if e], "org_id": org}


def _deal(row: dict) -> dict[str, Any]:
    return {
        "title": row.get("title") or "",
        "status": row.get("status") or "",
        "person_id": row.get("person_id"),
        "org_id": row.get("org_id"),
    }


def _organization(row: dict) -> dict[str, Any]:
    return {"name": row.get("name") or ""}


SHAPES = {"persons": _person, "organizations": _organization, "deals": _deal}


@dataclass
class ContactIndex:
    """persons / organizations / deals by id (as strings), and each kind's cursor."""

    rows: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    cursors: dict[str, str] = field(default_factory=dict)

    @property
    def persons(self) -> dict[str, dict[str, Any]]:
        return self.rows["persons"]

    @property
    def deals(self) -> dict[str, dict[str, Any]]:
        return self.rows["deals"]

    def add_person(self, row: dict) -> None:
        """A person made (or found) during the run: matched at once by the next guests."""
        self.persons[str(row["id"])] = _person(row)

    def apply(self, kind: str, items: list[dict], *, full: bool) -> None:
        """A listing of `kind`: all of them (`full`), or the changes since the cursor."""
        table = {} if full else self.rows[kind]
        newest = self.cursors.get(kind, "") if not full else ""
        for row in items:
            stamp = str(row.get("update_time") or "")
            newest = max(newest, stamp)
            key = str(row.get("id"))
            if row.get("is_deleted") or row.get("active_flag") is False:
                table.pop(key, None)
            else:
                table[key] = SHAPES[kind](row)
        self.rows[kind] = table
        if newest:
            self.cursors[kind] = newest


class IndexFile:
    """The index on disk, and its refresh from Pipedrive (one listing per kind)."""

    def __init__(self, folder: Path) -> None:
        self._path = folder / "contacts.json"
        self._file: _File | None = None  # opened on first use (made on the first save)

    def _opened(self) -> _File:
        if self._file is None:
            self._file = _File(self._path)
        return self._file

    def load(self) -> ContactIndex:
        if not self._path.exists():
            return ContactIndex()
        docs = {d.get("kind"): d for d in self._opened().table("index")}
        index = ContactIndex()
        for kind in KINDS:
            doc = docs.get(kind) or {}
            index.rows[kind] = {str(k): v for k, v in (doc.get("rows") or {}).items()}
            if doc.get("cursor"):
                index.cursors[kind] = doc["cursor"]
        return index

    def save(self, index: ContactIndex) -> None:
        docs = [
            {"kind": kind, "rows": index.rows[kind], "cursor": index.cursors.get(kind, "")}
            for kind in KINDS
        ]
        self._opened().replace_table("index", docs)
        self._opened().flush()

    async def refreshed(self, pipedrive: Pipedrive, *, full: bool, now: datetime) -> ContactIndex:
        """The index brought up to date (and saved): a full listing of each kind when `full`
        or never listed, else its changes since the kind's cursor."""
        index = self.load()
        for kind in KINDS:
            since = index.cursors.get(kind)
            whole = full or not since
            items = await pipedrive.list_kind(kind, updated_since=None if whole else since)
            index.apply(kind, items, full=whole)
            if kind not in index.cursors:
                index.cursors[kind] = (
                    (now - SKEW).isoformat(timespec="seconds").replace("+00:00", "Z")
                )
        self.save(index)
        return index


__all__ = ["ContactIndex", "IndexFile", "KINDS"]
