"""Accounts against the sandbox: connect, options, stop syncing, previously synced, reconnect."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync import accounts
from sync.errors import CalsyncError, UsageError
from sync.store import Store

from .conftest import BASE, NOW, timed


async def test_connect_registers_the_sandbox_account(env):
    account = env.store.account(env.account_id)
    assert account.email == "anna.lindqvist@example.com"
    assert account.state == "active"
    assert account.pipedrive_domain == BASE
    assert account.extra.calendar_tz == "Europe/Stockholm"
    assert set(account.options.push_types) == {
        "call", "meeting", "task", "deadline", "email", "lunch",
    }  # fmt: skip
    # Secrets are in the vault, not the store's plain files.
    assert env.vault.get(env.account_id)["google"]["access_token"]
    assert "access_token" not in (env.home / "calsync.json").read_text()
    # Connecting again with the same identity reuses the account.
    again = await accounts.connect_sandbox(env.store, env.vault, BASE, transport=env.transport)
    assert again.reused and again.account.id == env.account_id
    assert len(env.store.accounts()) == 1


async def test_options_set_and_read_back(env):
    calendars = await accounts.calendars(env.vault, env.store.account(env.account_id),
                                         transport=env.transport)  # fmt: skip
    writable = [
        c for c in calendars if c["accessRole"] in ("owner", "writer") and not c.get("primary")
    ]
    other = writable[0]
    account = await accounts.set_options(
        env.store, env.vault, env.store.account(env.account_id),
        {"calendar": other["id"], "sync_type": "one-way", "save_as": "call",
         "push_types": ["call", "task"], "private": "busy", "linked_contacts": True,
         "window_past_days": 7, "window_future_days": 90, "import_blocks": ["focus-time"]},
        transport=env.transport,
    )  # fmt: skip
    expected = {
        "calendar": other["id"], "sync_type": "one-way", "save_as": "call",
        "push_types": ["call", "task"], "private": "busy", "linked_contacts": True,
        "window_past_days": 7, "window_future_days": 90, "import_blocks": ["focus-time"],
        "create_persons": False,
    }  # fmt: skip
    assert account.options.to_json() == expected
    assert account.extra.calendar_tz == other.get("timeZone", "UTC")
    # A fresh Store reads the same options from disk.
    assert Store(env.home).account(env.account_id).options.to_json() == expected


@pytest.mark.parametrize(
    "changes",
    [
        {"sync_type": "both"},
        {"private": "hidden"},
        {"window_past_days": -1},
        {"window_future_days": "a lot"},
        {"save_as": "no such type"},
        {"save_as": "webinar"},
        {"push_types": ["call", "nosuchtype"]},
        {"calendar": "nobody@example.com"},
        {"colour": "red"},
        {"import_blocks": ["birthdays"]},
    ],
)
async def test_bad_option_values_are_refused_in_one_line(env, changes):
    before = env.store.account(env.account_id).options
    with pytest.raises(CalsyncError) as caught:
        await accounts.set_options(
            env.store, env.vault, env.store.account(env.account_id), changes,
            transport=env.transport,
        )  # fmt: skip
    message = str(caught.value)
    assert "\n" not in message and message
    if "calendar" not in changes:
        assert isinstance(caught.value, UsageError) and caught.value.exit_code == 2
    assert env.store.account(env.account_id).options == before


async def test_read_only_calendar_is_refused(env):
    calendars = await accounts.calendars(env.vault, env.store.account(env.account_id),
                                         transport=env.transport)  # fmt: skip
    read_only = next(c for c in calendars if c["accessRole"] == "reader")
    with pytest.raises(UsageError, match="read-only"):
        await accounts.set_options(env.store, env.vault, env.store.account(env.account_id),
                                   {"calendar": read_only["id"]}, transport=env.transport)  # fmt: skip


async def test_disconnect_keeps_everything_and_reconnect_does_not_duplicate(env):
    await env.g_insert({"summary": "Board meeting", **timed(NOW + timedelta(days=2))})
    await env.p_create(subject="Call Bo", type="call", due_date="2026-03-23", due_time="10:00",
                       duration="00:30")  # fmt: skip
    env.options(private="busy", window_future_days=60)
    first = await env.sync()
    assert first.summary["google"]["created"] == 1 and first.summary["pipedrive"]["created"] == 1

    account = accounts.disconnect(env.store, env.store.account(env.account_id))
    assert account.state == "previously_synced"
    assert len(await env.google_events()) == 2 and len(await env.activities()) == 2
    listed = {a.id: a for a in env.store.accounts("previously_synced")}
    assert listed[env.account_id].options.private == "busy"
    assert listed[env.account_id].options.window_future_days == 60
    assert env.store.accounts("active") == []
    with pytest.raises(CalsyncError):
        await env.sync()
    with pytest.raises(UsageError):
        accounts.disconnect(env.store, env.store.account(env.account_id))

    env.advance(3600)
    back = await accounts.reconnect(env.store, env.vault, env.store.account(env.account_id),
                                    transport=env.transport)  # fmt: skip
    assert back.state == "active"
    assert back.options.private == "busy" and back.options.window_future_days == 60
    again = await env.sync(full=True)
    assert again.writes() == 0, again.summary
    assert len(await env.google_events()) == 2 and len(await env.activities()) == 2


async def test_connect_after_disconnect_reuses_the_account(env):
    await env.g_insert({"summary": "Lunch talk", **timed(NOW + timedelta(days=1))})
    await env.sync()
    accounts.disconnect(env.store, env.store.account(env.account_id))
    again = await accounts.connect_sandbox(env.store, env.vault, BASE, transport=env.transport)
    assert again.reused and again.account.id == env.account_id
    assert again.account.state == "active"
    result = await env.sync(full=True)
    assert result.writes() == 0
    assert len(await env.activities()) == 1


async def test_switching_calendar_deletes_nothing_and_syncs_the_new_one(env):
    await env.g_insert({"summary": "On the primary", **timed(NOW + timedelta(days=2))})
    await env.p_create(subject="Call Bo", type="call", due_date="2026-03-23", due_time="10:00",
                       duration="00:30")  # fmt: skip
    await env.sync()
    calendars = await accounts.calendars(env.vault, env.store.account(env.account_id),
                                         transport=env.transport)  # fmt: skip
    other = next(c for c in calendars if c["accessRole"] == "writer")
    await accounts.set_options(env.store, env.vault, env.store.account(env.account_id),
                               {"calendar": other["id"]}, transport=env.transport)  # fmt: skip
    env.advance(60)
    result = await env.sync()
    assert result.summary["google"]["deleted"] == 0 and result.summary["pipedrive"]["deleted"] == 0
    assert sorted(a["subject"] for a in await env.activities()) == ["Call Bo", "On the primary"]
    assert sorted(e["summary"] for e in await env.google_events()) == ["Call Bo", "On the primary"]
    moved = await env.g("GET", env._events_path(other["id"]), params={"singleEvents": "true"})
    assert [e["summary"] for e in moved.json()["items"]] == ["Call Bo"]
    quiet = await env.sync()
    assert quiet.writes() == 0, quiet.summary


async def test_changing_push_types_takes_effect_on_the_next_run(env):
    await env.p_create(subject="Call Bo", type="call", due_date="2026-03-23", due_time="10:00",
                       duration="00:30")  # fmt: skip
    await env.p_create(subject="Write offer", type="task", due_date="2026-03-23",
                       due_time="12:00", duration="00:30")  # fmt: skip
    await env.sync()
    assert len(await env.google_events()) == 2
    await accounts.set_options(env.store, env.vault, env.store.account(env.account_id),
                               {"push_types": ["call"]}, transport=env.transport)  # fmt: skip
    env.advance(3600)
    result = await env.sync()
    assert result.summary["google"]["deleted"] == 1, result.summary
    assert [e["summary"] for e in await env.google_events()] == ["Call Bo"]
    assert len(await env.activities()) == 2
