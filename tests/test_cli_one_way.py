"""One-way means nothing comes back to Pipedrive, whatever the options did before: switching
to one-way after a two-way sync under `--private busy` writes no activity, and switching back
rewrites none that is already as the mode makes it (issue: 29 updates each way)."""

from __future__ import annotations

import json

from tests import test_cli
from tests.test_cli import calsync

home, connected = test_cli.home, test_cli.connected  # the same fixtures


def _sync() -> dict:
    out = calsync("sync", "--once", "--json", ok=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_one_way_after_two_way_under_busy_writes_nothing_to_pipedrive(connected):
    calsync("options", "--private", "busy")
    first = _sync()
    assert first["pipedrive"]["created"] > 0  # private events became Busy placeholders
    calsync("disconnect")
    calsync("options", "--sync-type", "one-way")
    calsync("reconnect", "1")
    one_way = _sync()
    assert (one_way["pipedrive"]["created"], one_way["pipedrive"]["updated"],
            one_way["pipedrive"]["deleted"]) == (0, 0, 0), one_way  # fmt: skip
    calsync("options", "--sync-type", "two-way")
    back = _sync()
    assert back["pipedrive"]["updated"] == 0, back  # the placeholders are placeholders already
