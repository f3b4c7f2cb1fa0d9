"""An append-only journal of one account's link changes and write intents, beside the state
file it is compacted into.

Every change is one JSON line with a sequence number. Appending costs a write(2); making
the lines durable costs an fsync, which `sync()` does once for everything appended so far
(a group commit: callers waiting at once share one fsync, run in a thread so that the event
loop goes on). The state file records the last sequence number it holds; on load, only the
lines after it are replayed, so a crash between a compaction and the journal's truncation
replays nothing twice. A line torn by a crash in mid-write is the journal's end, not its
corruption: what was not fsynced was never promised.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from pathlib import Path
from typing import Any

from .errors import StoreError


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.seq = 0
        """The last sequence number written."""
        self._durable = 0
        self._fd: int | None = None
        self._syncing: asyncio.Future[None] | None = None
        self._unwritten: list[bytes] = []
        """Lines a failed write (a full disk) left in memory: written first next time."""

    # -- reading

    def read(self, after: int) -> list[dict[str, Any]]:
        """The entries after sequence number `after`, in order (a torn last line left out).
        A line that is not a journal entry in the middle of the file is corruption."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            self.seq = self._durable = after
            return []
        except OSError as err:
            raise StoreError(f"cannot read store file {self.path}: {err.strerror or err}") from err
        lines = raw.split(b"\n")
        entries: list[dict[str, Any]] = []
        last = after
        for n, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                seq = int(entry["seq"])
            except (ValueError, KeyError, TypeError) as err:
                if n == len(lines) - 1:  # the last line, torn by a crash: never made durable
                    break
                raise StoreError(
                    f"store file {self.path} is corrupt (line {n + 1} is not a journal entry: "
                    f"{err}); move the file away to start afresh"
                ) from None
            last = max(last, seq)
            if seq > after:
                entries.append(entry)
        self.seq = self._durable = last
        return entries

    # -- writing

    def append(self, entry: dict[str, Any]) -> int:
        """Add an entry (not yet durable: see sync); its sequence number."""
        self.seq += 1
        line = json.dumps({**entry, "seq": self.seq}, ensure_ascii=False, separators=(",", ":"))
        self._unwritten.append(line.encode("utf-8") + b"\n")
        self._write()
        return self.seq

    def _write(self) -> None:
        """Write the lines not written yet (all of them, or raise and keep them for later)."""
        if not self._unwritten:
            return
        try:
            os.write(self._open(), b"".join(self._unwritten))
        except OSError as err:
            raise StoreError(
                f"could not write store file {self.path}: {err.strerror or err}"
            ) from err
        self._unwritten.clear()

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            _cut_torn_tail(fd)
            self._fd = fd
        return self._fd

    @property
    def pending(self) -> bool:
        """Are there entries not yet durable?"""
        return self._durable < self.seq

    def sync(self) -> None:
        """Make every entry appended so far durable."""
        if self.pending:
            upto = self.seq
            self._write()
            if self._fd is not None:
                try:
                    os.fsync(self._fd)
                except OSError as err:
                    raise StoreError(
                        f"could not write store file {self.path}: {err.strerror or err}"
                    ) from err
            self._durable = max(self._durable, upto)

    async def sync_async(self) -> None:
        """`sync` without holding up the event loop; callers that wait at the same time share
        an fsync (and one appended meanwhile gets the next)."""
        while self.pending:
            task = self._syncing
            if task is None or task.done():  # (a done one: its fsync came before our entries)
                task = self._syncing = asyncio.ensure_future(asyncio.to_thread(self.sync))
            await asyncio.shield(task)

    def reset(self) -> None:
        """Empty the journal (its entries are all in the compacted state now)."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            os.truncate(self.path, 0)
        self._durable = self.seq

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            self._durable = self.seq


def _cut_torn_tail(fd: int) -> None:
    """Drop a last line that a crash left without its end, before appending after it (the
    writer holds the account's lock: nobody else is writing it)."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    tail = os.pread(fd, min(size, 1 << 20), max(0, size - (1 << 20)))
    keep = max(0, size - len(tail)) + tail.rfind(b"\n") + 1
    os.ftruncate(fd, keep)
