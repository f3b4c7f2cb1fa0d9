"""`calsync undo` on the command line against a live sandbox: the guard's hold, a dry run,
the undo itself, the account listed as stopped with the undone run, and the one-line errors."""

from __future__ import annotations

import json

import httpx

from . import test_cli
from .test_cli import calsync, one_line_error

# The command-line tests' fixtures: a CALSYNC_HOME, and a sandbox account connected in it.
home = test_cli.home
connected = test_cli.connected


def _sides(url: str) -> tuple:
    state = httpx.get(url + "/_sandbox/state").json()
    return state["google"], state["pipedrive"]


def _live(pipedrive: dict) -> list:
    return sorted(a["id"] for a in pipedrive["activities"] if not a.get("is_deleted"))


def test_undo_a_first_sync_from_the_command_line(connected):
    before = _sides(connected.url)
    calsync("sync", "--once")
    synced = _sides(connected.url)

    held = calsync("undo", ok=False)
    assert held.returncode == 3
    assert "mass-deletion guard" in held.stderr and "--force-delete" in held.stderr

    dry = calsync("undo", "--dry-run", "--force-delete", "--json")
    plan = json.loads(dry.stdout.strip().splitlines()[-1])
    assert plan["dry_run"] is True and plan["undo_of"] == 1
    assert plan["plan"]["pipedrive"]["delete"] > 0
    assert _sides(connected.url) == synced

    done = calsync("undo", "--force-delete")
    assert "undo of run 1: ok" in done.stdout and "calsync reconnect 1" in done.stdout
    assert _live(_sides(connected.url)[1]) == _live(before[1])

    listed = calsync("accounts").stdout
    assert "Previously synced:" in listed and "run 1 was undone" in listed
    one_line_error(calsync("undo", "--run", "1", ok=False), 2, "run 1 was undone already")
    one_line_error(calsync("undo", "--run", "99", ok=False), 2, "no run 99")
    assert "undo of run 1" in calsync("log", "--run", "3").stdout
    calsync("reconnect", "1")


def test_undo_with_nothing_to_undo_is_one_line(connected):
    one_line_error(calsync("undo", ok=False), 2, "no run to undo")


def test_explain_from_the_command_line(connected):
    calsync("sync", "--once")
    run1 = json.loads(calsync("log", "--json", "--run", "1").stdout)
    create = next(e for e in run1["events"] if e["kind"] == "create")
    out = json.loads(calsync("explain", create["item_id"], "--json").stdout)
    assert out["seen"] and out["outcome"]["run"] == 1
    assert out["outcome"]["rule"].startswith("synced (new ")
    assert out["pair"] and create["item_id"] in (
        out["pair"]["google_id"],
        out["pair"]["pipedrive_id"],
    )
    text = calsync("explain", create["item_id"]).stdout
    assert text.startswith("pair: Google event ") and "runs that touched it:" in text
    never = calsync("explain", "no-such-item-42").stdout
    assert "never seen" in never
