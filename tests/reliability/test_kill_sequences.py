"""The SIGKILL sequences that used to leave lasting damage, each with real `calsync` processes
against a loopback sandbox, killed the moment the sandbox applies the write in question
(before its answer leaves): a restore killed after its create, a Pipedrive rename pushed to
Google and killed before its link was saved (then the user deletes the activity), and twenty
kills across twenty runs with live edits against a twin that is never killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sync.mapping import marker_google_id

from ..engine.conftest import timed
from .helpers import compare, copies, live_account, record, snapshot

TOMORROW = (datetime.now(UTC) + timedelta(days=1)).replace(
    hour=9, minute=0, second=0, microsecond=0
)


class KillOn:
    """Kills process `pid` with SIGKILL right after the sandbox applies the n-th call of one
    write method (say the first `create_activity`), before the answer leaves."""

    def __init__(self, state, method: str, n: int = 1) -> None:
        self.pid: int | None = None
        self.calls = 0
        self.killed = False
        real = getattr(state, method)

        def write(*args, **kwargs):
            result = real(*args, **kwargs)
            self.calls += 1
            if self.pid is not None and self.calls == n and not self.killed:
                os.kill(self.pid, signal.SIGKILL)
                self.killed = True
            return result

        setattr(state, method, write)


def calsync(home, *args: str, killer: KillOn | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "CALSYNC_HOME": str(home), "CALSYNC_KEYRING": "off"}
    env.pop("CALSYNC_FIGURES", None)
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    if killer is not None:
        killer.pid = proc.pid
    out, err = proc.communicate(timeout=120)
    if killer is not None:
        killer.pid = None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def synced(home) -> dict:
    """One `calsync sync --once --json` that must end ok; its summary."""
    done = calsync(home, "sync", "--once", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["status"] == "ok", summary
    return summary


async def test_a_restore_killed_after_its_create_leaves_one_activity(tmp_path, monkeypatch):
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    async with live_account(tmp_path / "home") as env:
        env.store.close()
        event = await env.g_insert({"summary": "Board meeting", **timed(TOMORROW)})
        synced(env.home)
        (first,) = await env.activities()
        # Changed on Google, deleted in Pipedrive: the change wins, the activity is made again.
        await env.g_patch(event["id"], {"summary": "Board meeting (moved)"})
        await env.p_delete(first["id"])
        killer = KillOn(env.sandbox.pipedrive, "create_activity")
        killed = calsync(env.home, "sync", "--once", "--json", killer=killer)
        assert killer.killed and killed.returncode == -signal.SIGKILL
        for _ in range(3):  # the next runs, and then quiet ones
            synced(env.home)
        acts, events = await env.activities(), await env.google_events()
        assert [a["subject"] for a in acts] == ["Board meeting (moved)"]
        assert [e["summary"] for e in events] == ["Board meeting (moved)"]
        assert [marker_google_id(a.get("note")) for a in acts] == [event["id"]]
        assert copies(events, acts) == []
        record(crash_points_sigkill=1, items_lost=0, duplicates=len(acts) - 1)


async def test_a_rename_killed_before_its_link_was_saved_is_not_a_user_edit(tmp_path, monkeypatch):
    """calsync's own unsaved write must not come back as the user's change that "wins" over
    the user's deletion of the activity."""
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    async with live_account(tmp_path / "home") as env:
        env.store.close()
        due = TOMORROW.date().isoformat()
        act = await env.p_create(subject="Call Ada", type="call", due_date=due,
                                 due_time="09:00", duration="00:30")  # fmt: skip
        synced(env.home)
        await env.p_patch(act["id"], subject="Call Ada Lovelace")
        killer = KillOn(env.sandbox.google, "patch_event")
        killed = calsync(env.home, "sync", "--once", "--json", killer=killer)
        assert killer.killed and killed.returncode == -signal.SIGKILL
        (event,) = await env.google_events()
        assert event["summary"] == "Call Ada Lovelace"  # the write had landed
        await env.p_delete(act["id"])  # then the user deletes the activity
        after = synced(env.home)
        synced(env.home)
        assert await env.google_events() == [] and await env.activities() == []
        assert after["google"]["deleted"] == 1 and after["pipedrive"]["created"] == 0
        record(crash_points_sigkill=1, items_lost=0, duplicates=0)


ROUNDS = 20


async def _edit(env, n: int) -> None:
    """Round n's live edits, the same on both twins (items found by title, not id)."""
    due = (TOMORROW + timedelta(days=1 + n % 5)).date().isoformat()
    await env.g_insert(
        {"summary": f"Event {n}", **timed(TOMORROW + timedelta(days=n % 7, hours=n % 8))}
    )
    await env.p_create(subject=f"Activity {n}", type="meeting", due_date=due,
                       due_time=f"{8 + n % 9:02d}:00", duration="00:45")  # fmt: skip
    events = {e["summary"]: e for e in await env.google_events()}
    acts = {a["subject"]: a for a in await env.activities()}
    if n >= 2 and f"Event {n - 2}" in events:
        await env.g_patch(events[f"Event {n - 2}"]["id"], {"summary": f"Event {n - 2} renamed"})
    if n >= 3 and f"Activity {n - 3}" in acts:
        await env.p_patch(acts[f"Activity {n - 3}"]["id"], subject=f"Activity {n - 3} renamed")
    if n >= 5 and f"Event {n - 5} renamed" in events:
        await env.g_delete(events[f"Event {n - 5} renamed"]["id"])
    if n >= 6 and f"Activity {n - 6} renamed" in acts:
        await env.p_delete(acts[f"Activity {n - 6} renamed"]["id"])


async def test_twenty_kills_with_live_edits_end_like_a_twin_never_killed(tmp_path, monkeypatch):
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    async with live_account(tmp_path / "twin") as twin, live_account(tmp_path / "killed") as env:
        twin.store.close()
        env.store.close()
        methods = {  # a write of every kind, round after round
            0: (env.sandbox.pipedrive, "create_activity"),
            1: (env.sandbox.google, "insert_event"),
            2: (env.sandbox.google, "patch_event"),
            3: (env.sandbox.pipedrive, "update_activity"),
        }
        kills = 0
        for n in range(ROUNDS):
            await _edit(twin, n)
            await _edit(env, n)
            synced(twin.home)
            state, method = methods[n % 4]
            killer = KillOn(state, method)
            done = calsync(env.home, "sync", "--once", "--json", killer=killer)
            if killer.killed:
                kills += 1
                assert done.returncode == -signal.SIGKILL
            setattr(state, method, getattr(type(state), method).__get__(state))  # unwrap
        for home in (twin.home, env.home, twin.home, env.home):
            synced(home)
        expected, got = await snapshot(twin), await snapshot(env)
        lost, extra = compare(expected, got)
        record(crash_points_sigkill=kills, items_lost=lost, duplicates=extra)
        assert kills >= ROUNDS * 3 // 4  # nearly every run was killed mid-write
        assert (lost, extra) == (0, 0), "\n".join(
            f"{side} {what}: {item}"
            for side in ("google", "pipedrive")
            for what, diff in (
                ("lost", expected[side] - got[side]),
                ("extra", got[side] - expected[side]),
            )
            for item in diff
        )
        assert copies(await env.google_events(), await env.activities()) == []
