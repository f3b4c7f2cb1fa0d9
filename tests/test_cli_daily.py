"""The command line at the seams a user meets in the first week (issue 14): calendars by
name, type labels, the times it prints, every subcommand described, and errors that say
which command helps. Subprocesses against a sandbox served on loopback."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from . import test_cli
from .test_cli import calsync, one_line_error

# The command-line tests' fixtures: a CALSYNC_HOME, and a sandbox account connected in it.
home = test_cli.home
connected = test_cli.connected

CALSYNC = [sys.executable, "-m", "tui.cli"]
TEAM_ID = "c_7k2m9q4s1t8v3r6p0n5l2j4h6f@group.calendar.google.com"


def google_token(home) -> str:
    return json.loads((home / "tokens" / "1.json").read_text())["google"]["access_token"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- 4: calendars ------------------------------------------------------------------------


def test_calendars_lists_the_writable_ones_with_name_zone_and_primary(connected):
    listed = json.loads(calsync("calendars", "--json").stdout)
    assert listed[0] == {
        "id": "anna.lindqvist@example.com",
        "name": "anna.lindqvist@example.com",
        "time_zone": "Europe/Stockholm",
        "primary": True,
    }
    assert {"id": TEAM_ID, "name": "Team", "time_zone": "Europe/Stockholm", "primary": False} in (
        listed
    )
    state = httpx.get(connected.url + "/_sandbox/state").json()
    read_only = [c["id"] for c in state["google"]["calendars"] if c["accessRole"] == "reader"]
    assert not {c["id"] for c in listed} & set(read_only)
    text = calsync("calendars").stdout
    assert re.search(
        r"^\*\s+anna\.lindqvist@example\.com \(primary\)\s+Europe/Stockholm", text, re.M
    )
    assert re.search(rf"^\s+Team\s+Europe/Stockholm\s+{re.escape(TEAM_ID)}$", text, re.M)


def test_calendar_by_its_name_in_any_case_and_options_prints_the_name(connected):
    calsync("options", "--calendar", "tEaM")
    assert json.loads(calsync("options", "--json").stdout)["calendar"] == TEAM_ID
    shown = calsync("options").stdout
    assert re.search(rf"^Calendar\s+Team  \({re.escape(TEAM_ID)}\)$", shown, re.M), shown
    assert "calendar Team, two-way" in calsync("accounts").stdout
    assert "*  Team" in calsync("calendars").stdout
    calsync("options", "--calendar", "primary")
    assert re.search(r"^Calendar\s+Primary calendar  \(primary\)$", calsync("options").stdout, re.M)


def test_an_unknown_or_ambiguous_calendar_is_bad_usage_with_the_names(connected, home):
    out = calsync("options", "--calendar", "Holidays", ok=False)
    one_line_error(out, 2, "unknown calendar 'Holidays'", "Team", "anna.lindqvist@example.com")
    out = calsync("options", "--calendar", "holidays in sweden", ok=False)
    one_line_error(out, 2, "is read-only")
    answer = httpx.post(
        connected.url + "/calendar/v3/calendars",
        json={"summary": "team", "timeZone": "Europe/Oslo"},
        headers={"Authorization": f"Bearer {google_token(home)}"},
    )
    assert answer.status_code == 200, answer.text
    out = calsync("options", "--calendar", "Team", ok=False)
    one_line_error(out, 2, "fits 2 calendars", TEAM_ID, answer.json()["id"])
    assert json.loads(calsync("options", "--json").stdout)["calendar"] == "primary"


# -- 12: types by key or label, empty types, descriptions ---------------------------------


def test_save_as_and_push_types_take_a_types_label_in_any_case(connected):
    calsync("options", "--save-as", "Meeting", "--push-types", "CALL,Lunch")
    options = json.loads(calsync("options", "--json").stdout)
    assert options["save_as"] == "meeting" and options["push_types"] == ["call", "lunch"]
    one_line_error(
        calsync("options", "--save-as", "Webinar", ok=False), 2, "unknown activity type 'Webinar'"
    )


def test_an_empty_push_types_is_refused_and_none_means_none(connected):
    for empty in ("", " , "):
        one_line_error(
            calsync("options", "--push-types", empty, ok=False), 2, "needs activity types"
        )
    assert json.loads(calsync("options", "--json").stdout)["push_types"] != []
    calsync("options", "--push-types", "none")
    assert json.loads(calsync("options", "--json").stdout)["push_types"] == []


def test_import_blocks_is_set_shown_and_checked(connected):
    assert json.loads(calsync("options", "--json").stdout)["import_blocks"] == []
    calsync("options", "--import-blocks", "focus-time, Out-of-office")
    assert json.loads(calsync("options", "--json").stdout)["import_blocks"] == [
        "out-of-office",
        "focus-time",
    ]
    assert "out-of-office, focus-time" in calsync("options").stdout
    for bad, needle in (("birthdays", "unknown --import-blocks entry 'birthdays'"),
                        ("", "--import-blocks needs")):  # fmt: skip
        one_line_error(calsync("options", "--import-blocks", bad, ok=False), 2, needle)
    calsync("options", "--import-blocks", "none")
    assert json.loads(calsync("options", "--json").stdout)["import_blocks"] == []


SUBCOMMANDS = [
    "sandbox",
    "connect",
    "options",
    "calendars",
    "sync",
    "accounts",
    "disconnect",
    "reconnect",
    "log",
]


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_a_description_in_its_help(command):
    out = subprocess.run(
        [*CALSYNC, command, "--help"], capture_output=True, text=True, timeout=30, check=True
    )
    # usage: ..., a blank line, then the description (a paragraph) before the arguments.
    blocks = [b.strip() for b in out.stdout.split("\n\n")]
    assert blocks[0].startswith(f"usage: calsync {command}")
    description = blocks[1]
    assert not description.startswith(("options:", "positional arguments:")), out.stdout
    assert len(description.split()) >= 5, description


# -- 10: errors that say what helps ----------------------------------------------------------


def test_after_disconnect_sync_advises_reconnect(connected):
    calsync("disconnect")
    one_line_error(
        calsync("sync", "--once", ok=False), 1, "account 1 was stopped", "`calsync reconnect 1`"
    )
    assert "connect --sandbox" not in calsync("sync", "--once", ok=False).stderr


def test_an_unreachable_service_is_one_line_a_person_understands(home):
    from sandbox.app import create_app
    from sandbox.server import start_in_thread

    port = free_port()
    running = start_in_thread(create_app(seed=1), port=port)
    url = running.url
    calsync("connect", "--sandbox", url)
    running.stop()
    expected = f"Google Calendar is not reachable at {url}: connection refused"
    for args in (["options", "--calendar", "primary"], ["calendars"], ["sync", "--once"]):
        out = calsync(*args, ok=False, timeout=30)
        one_line_error(out, 1, expected)
        assert "ConnectError" not in out.stderr
    calsync("disconnect")
    one_line_error(calsync("reconnect", "1", ok=False, timeout=30), 1, expected)
    one_line_error(
        calsync("connect", "--sandbox", url, ok=False, timeout=30),
        1,
        f"the sandbox is not reachable at {url}: connection refused",
        "`calsync sandbox`",
    )


# -- 7: times in the calendar's zone, named once -----------------------------------------------


def test_log_times_are_the_calendars_named_once_whatever_the_computers_zone(connected):
    env = {**os.environ, "TZ": "America/New_York"}
    subprocess.run([*CALSYNC, "sync", "--once"], env=env, capture_output=True, check=True)
    shown = subprocess.run(
        [*CALSYNC, "log", "--run", "1"], env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert shown[0].startswith("run 1 at ")
    assert shown[0].endswith("(times in Europe/Stockholm; this computer: EST)")
    assert sum("Europe/Stockholm" in line for line in shown) == 1
    events = json.loads(calsync("log", "--run", "1", "--json").stdout)["events"]
    stockholm = ZoneInfo("Europe/Stockholm")
    creates = [e for e in events if e["kind"] == "create" and "T" in (e["when"] or "")]
    assert creates
    for event in creates:
        local = datetime.fromisoformat(event["when"]).astimezone(stockholm)
        at = datetime.fromisoformat(event["at"]).astimezone(stockholm)
        day = f"{local:%a} {local.day} {local:%b}"
        # The same text as the app's (sync.when.TimeView), a year only outside this one.
        expected = re.compile(
            rf"^({at:%H:%M:%S}|{at.day} {at:%b}( \d{{4}})? {at:%H:%M:%S})  → \w+\s+create\s+"
            rf"{re.escape(event['title'])}  \({day}( \d{{4}})? {local:%H:%M}\)$"
        )
        assert any(expected.match(line) for line in shown), (expected.pattern, shown)
