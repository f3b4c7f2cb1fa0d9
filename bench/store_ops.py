"""Store operations at N links (default 20,000): put, flush, lookup, reopen; prints one JSON object.

    python bench/store_ops.py [--links N]

Run by bench/run.py in its own process so that its peak RSS is its own. The floor is the
least a durable store can do: json.dumps of the same link documents plus one atomic write.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sync.models import Link  # noqa: E402
from sync.store import AccountData, write_atomic  # noqa: E402

SINGLE_PUTS = 20  # puts outside a transaction, each written at once (sampled, not all N)


def links(n: int, tag: str = "") -> list[Link]:
    now = datetime.now(UTC)
    return [
        Link(
            google_id=f"ev{tag}{i:08d}",
            pipedrive_id=f"{tag}{i + 1}",
            google_version=f'"{i}"',
            pipedrive_version="2026-11-25T10:00:00Z",
            google_fingerprint=f"{i:064x}",
            pipedrive_fingerprint=f"{i:064x}",
            origin="google",
            synced_at=now,
            end=now,
        )
        for i in range(n)
    ]


def measure(n: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="calsync-store-"))
    batch = links(n)
    out: dict = {"links": n}

    started = time.perf_counter()
    data = AccountData(folder / "a")
    with data.transaction():
        for link in batch:
            data.put_link(link)
    out["put_all_in_one_transaction_s"] = time.perf_counter() - started

    started = time.perf_counter()
    for link in batch:
        assert data.link_by_google(link.google_id) is link
        assert data.link_by_pipedrive(link.pipedrive_id) is link
    out["lookup_us"] = (time.perf_counter() - started) / (2 * n) * 1e6

    extra = links(SINGLE_PUTS, tag="x")
    started = time.perf_counter()
    for link in extra:
        data.put_link(link)  # outside a transaction: each change is flushed at once
    out["single_put_ms"] = (time.perf_counter() - started) / SINGLE_PUTS * 1e3

    started = time.perf_counter()
    data.put_link(batch[0])
    data.flush()
    out["flush_one_change_s"] = time.perf_counter() - started
    data.close()
    out["file_mb"] = (folder / "a" / "state.json").stat().st_size / 1e6

    started = time.perf_counter()
    again = AccountData(folder / "a")
    out["reopen_s"] = time.perf_counter() - started
    assert len(again) == n + SINGLE_PUTS

    started = time.perf_counter()
    docs = [link.to_json() for link in batch]
    write_atomic(folder / "floor.json", json.dumps({"links": dict(enumerate(docs))}))
    out["floor_s"] = time.perf_counter() - started
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=20_000)
    print(json.dumps(measure(parser.parse_args().links)))


if __name__ == "__main__":
    main()
