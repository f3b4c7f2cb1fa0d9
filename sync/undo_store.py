"""Where the before-images of the runs that wrote are kept, next to the account's run log.

    $CALSYNC_HOME/accounts/<id>/undo/run-<N>.json.gz   run N's before-images (gzip JSON)
    $CALSYNC_HOME/accounts/<id>/undo/state.json        which runs were undone, and an undo
                                                       under way (when it began)

Bounded: the images of the last KEEP_RUNS runs that wrote, or of the last KEEP_DAYS days,
whichever keeps more; one run's images at most MAX_RUN_BYTES (compressed): a larger run is
recorded as too large to undo. Every file is written atomically (temp file, fsync, rename).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .before_images import Entry

KEEP_RUNS = 20
KEEP_DAYS = 30
MAX_RUN_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Images:
    """One run's before-images and what an undo needs to write as that run did."""

    run: int
    at: datetime
    options: dict[str, Any]
    calendar_tz: str
    entries: tuple[Entry, ...] = ()
    too_large: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "at": self.at.isoformat(),
            "options": self.options,
            "calendar_tz": self.calendar_tz,
            "too_large": self.too_large,
            "entries": [e.to_json() for e in self.entries],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Images:
        return cls(
            run=int(data["run"]),
            at=datetime.fromisoformat(data["at"]),
            options=dict(data["options"]),
            calendar_tz=data.get("calendar_tz", "UTC"),
            entries=tuple(Entry.from_json(e) for e in data.get("entries", ())),
            too_large=bool(data.get("too_large")),
        )


@dataclass
class UndoState:
    """Runs undone (run -> the undo's own run number) and the undo under way, if any."""

    undone: dict[int, int] = field(default_factory=dict)
    pending: dict[str, Any] | None = None
    """{"run": N, "started": iso}: an undo began and has not finished."""


def _write_bytes(path: Path, blob: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class UndoStore:
    """One account's kept before-images (`folder`: the account's data folder)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "undo"

    def _path(self, run: int) -> Path:
        return self.folder / f"run-{run}.json.gz"

    def save(self, images: Images) -> int:
        """Keep run `images.run`'s images (as too large when over MAX_RUN_BYTES); its size."""
        blob = gzip.compress(json.dumps(images.to_json()).encode(), compresslevel=6, mtime=0)
        if len(blob) > MAX_RUN_BYTES:
            marker = Images(images.run, images.at, images.options, images.calendar_tz, (), True)
            blob = gzip.compress(json.dumps(marker.to_json()).encode(), mtime=0)
        _write_bytes(self._path(images.run), blob)
        return len(blob)

    def load(self, run: int) -> Images | None:
        """Run `run`'s images, None when they are not kept."""
        try:
            blob = self._path(run).read_bytes()
        except FileNotFoundError:
            return None
        return Images.from_json(json.loads(gzip.decompress(blob)))

    def kept(self) -> list[int]:
        """The runs whose images are kept, oldest first."""
        if not self.folder.is_dir():
            return []
        runs = []
        for path in self.folder.glob("run-*.json.gz"):
            with contextlib.suppress(ValueError):
                runs.append(int(path.name[4:].split(".", 1)[0]))
        return sorted(runs)

    def prune(self, runs_at: dict[int, datetime], now: datetime) -> None:
        """Drop the images beyond the bound: kept are the last KEEP_RUNS runs with images and
        every run of the last KEEP_DAYS days (`runs_at`: each kept run's time)."""
        kept = self.kept()
        recent = set(kept[-KEEP_RUNS:])
        since = now - timedelta(days=KEEP_DAYS)
        for run in kept:
            at = runs_at.get(run)
            if run in recent or (at is not None and at >= since):
                continue
            with contextlib.suppress(FileNotFoundError):
                self._path(run).unlink()

    def size(self) -> int:
        """Bytes the kept images take."""
        return sum(p.stat().st_size for p in self.folder.glob("*")) if self.folder.is_dir() else 0

    # -- the undo's own state

    def state(self) -> UndoState:
        try:
            data = json.loads((self.folder / "state.json").read_text())
        except FileNotFoundError:
            return UndoState()
        return UndoState(
            undone={int(k): int(v) for k, v in data.get("undone", {}).items()},
            pending=data.get("pending"),
        )

    def set_state(self, state: UndoState) -> None:
        doc = {"undone": {str(k): v for k, v in state.undone.items()}, "pending": state.pending}
        _write_bytes(self.folder / "state.json", json.dumps(doc).encode())


def keep(
    data: Any, recorder: Any, options: dict[str, Any], calendar_tz: str, now: datetime
) -> None:
    """After a run's commit: keep its before-images with its record (the run just appended
    to `data`'s log), then prune the older ones beyond the bound. A run that wrote nothing
    keeps nothing."""
    entries = recorder.entries(data)
    if not entries:
        return
    runs = data.runs()
    if not runs:
        return
    store = UndoStore(data.folder)
    store.save(Images(runs[-1].run, runs[-1].at, options, calendar_tz, tuple(entries)))
    store.prune({r.run: r.at for r in runs}, now)


def undone_note(data: Any) -> str:
    """ "run N was undone" when the account's last run is the undo of run N, else ''."""
    undone = UndoStore(data.folder).state().undone
    runs = data.runs()
    if not undone or not runs:
        return ""
    last = runs[-1].run
    return next((f"run {run} was undone" for run, by in undone.items() if by == last), "")
