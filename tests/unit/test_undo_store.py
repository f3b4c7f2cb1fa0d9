"""The before-images kept for `calsync undo`: their bound (the last 20 runs that wrote, or
30 days, whichever keeps more), the size cap of one run, and the store's size after 20 runs
of 10,000 changes each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync.before_images import Entry, item_from_json, item_to_json
from sync.models import Attendee, CalendarItem, Link
from sync.undo_store import KEEP_RUNS, MAX_RUN_BYTES, Images, UndoStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _item(run: int, i: int) -> CalendarItem:
    start = T0 + timedelta(days=run, minutes=30 * (i % 40))
    return CalendarItem(
        "pipedrive",
        str(100_000 + i),
        version=f"2026-03-{1 + run % 28:02d}T09:00:{i % 60:02d}Z",
        title=f"Customer call {i} about renewal {run}",
        start=start,
        end=start + timedelta(minutes=45),
        location=f"Room {i % 17}",
        description=f"Agenda for run {run}: pricing, the contract, item {i}",
        attendees=(Attendee(f"person{i % 300}@example.org", f"Person {i % 300}"),),
        activity_type="meeting",
    )


def _run(run: int, changes: int) -> Images:
    entries = []
    for i in range(changes):
        before = _item(run, i)
        link = Link(f"g{run}x{i:05d}" * 2, before.id, '"35000"', before.version, "a" * 64, "b" * 64)
        entries.append(Entry("pipedrive", "update", before.id, before, link, "c" * 64))
    return Images(run, T0 + timedelta(days=run), {"calendar": "primary"}, "UTC", tuple(entries))


def test_items_read_back_as_they_were():
    item = _item(3, 7)
    assert item_from_json(item_to_json(item)) == item
    all_day = CalendarItem("google", "e1", start=T0.date(), end=T0.date() + timedelta(days=1),
                           all_day=True)  # fmt: skip
    assert item_from_json(item_to_json(all_day)) == all_day


def test_twenty_runs_of_10000_changes_stay_within_the_cap(tmp_path):
    store = UndoStore(tmp_path)
    runs_at: dict[int, datetime] = {}
    sizes = []
    for run in range(1, 22):  # a run every day: the last 30 days keep them all...
        images = _run(run, 10_000)
        runs_at[run] = images.at
        sizes.append(store.save(images))
        store.prune(runs_at, images.at)
    assert store.kept() == list(range(1, 22))
    assert all(size <= MAX_RUN_BYTES for size in sizes)
    assert store.load(21).entries[0].before == _item(21, 0)  # not "too large": undoable
    # ...and 40 days later only the last 20 runs that wrote are kept.
    store.prune(runs_at, T0 + timedelta(days=65))
    assert store.kept() == list(range(2, 22))
    assert store.size() <= KEEP_RUNS * MAX_RUN_BYTES
    assert store.size() <= KEEP_RUNS * max(sizes) + 4096


def test_a_run_over_the_cap_is_kept_as_too_large(tmp_path, monkeypatch):
    from sync import undo_store

    monkeypatch.setattr(undo_store, "MAX_RUN_BYTES", 10_000)
    store = UndoStore(tmp_path)
    store.save(_run(1, 2_000))
    kept = store.load(1)
    assert kept is not None and kept.too_large and kept.entries == ()
    assert store.size() < 10_000


def test_the_last_30_days_are_kept_beyond_20_runs(tmp_path):
    store = UndoStore(tmp_path)
    runs_at = {}
    for run in range(1, 31):  # thirty runs, a run every 12 hours: all within 30 days
        images = _run(run, 1)
        images = Images(run, T0 + timedelta(hours=12 * run), images.options, "UTC", images.entries)
        runs_at[run] = images.at
        store.save(images)
    store.prune(runs_at, T0 + timedelta(days=16))
    assert store.kept() == list(range(1, 31))
    store.prune(runs_at, T0 + timedelta(days=40))  # 30 days back: runs from day 10 on
    assert store.kept() == list(range(11, 31))
