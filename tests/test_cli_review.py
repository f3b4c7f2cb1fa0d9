"""`calsync review` on the command line: the list as JSON, and its one-line errors (the
flows themselves: tests/engine/test_pairing.py and tests/engine/test_guests.py)."""

from __future__ import annotations

import json

from . import test_cli
from .test_cli import calsync, one_line_error

home = test_cli.home
connected = test_cli.connected


def test_review_from_the_command_line(connected):
    calsync("sync", "--once")
    listed = json.loads(calsync("review", "--json").stdout)
    assert listed["account"] == "1" and isinstance(listed["items"], list)
    for item in listed["items"]:
        assert set(item) == {"item", "side", "id", "title", "start", "reason", "code",
                             "state", "choices"}  # fmt: skip
        assert item["state"] == "open" and item["code"] in ("duplicate", "deal", "person")
    text = calsync("review").stdout
    assert text.strip() == "nothing to review" or listed["items"][0]["item"] in text
    one_line_error(calsync("review", "google:nope", "--dismiss", ok=False), 2, "no review item")
    one_line_error(calsync("review", "--dismiss", ok=False), 2, "need an ITEM")
    if listed["items"]:
        key = listed["items"][0]["item"]
        one_line_error(calsync("review", key, ok=False), 2, "one of --person ID")
        done = json.loads(calsync("review", key, "--dismiss", "--json").stdout)
        assert done == {"item": key, "resolved": "dismissed", "id": None}
        assert key not in calsync("review").stdout
