"""Persons made for unknown guests (option create_persons) are made once: a run killed right
after the person's create lands (before the answer reaches calsync, so before the activity
that uses it is made) and rerun by a fresh process ends with one person, used by the
activity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync import store as store_module
from sync.store import Store

from ..engine.conftest import NOW, timed
from .test_crash_points import DyingTransport, Killed, Killer

DAY = NOW + timedelta(days=2)


class PersonKiller(Killer):
    GOOGLE = ()
    PIPEDRIVE = ("create_person",)


def _persons(state: dict) -> list[dict]:
    return [p for p in state["pipedrive"]["persons"] if not p.get("is_deleted")]


async def test_killed_after_the_persons_create_makes_no_second_person(make_env, monkeypatch):
    env = await make_env(create_persons=True)
    await env.g_insert({"summary": "Intro", **timed(DAY),
                        "attendees": [{"email": "new.guest@far.example", "displayName": "Nea"}]})  # fmt: skip
    killer = PersonKiller(env.sandbox, 1)
    env.transport = DyingTransport(env.app, killer)
    real_write = store_module.write_atomic

    def write_unless_dead(path, text):
        if killer.dead:
            raise Killed()
        real_write(path, text)

    monkeypatch.setattr(store_module, "write_atomic", write_unless_dead)
    killer.armed = True
    with pytest.raises(Killed):
        await env.sync()
    killer.armed, killer.dead = False, False
    assert len(_persons(await env.state())) == 1 and await env.activities() == []
    env.store = Store(env.home)
    env.advance(60)
    again = await env.sync()
    assert again.exit_code == 0, again.summary
    (person,) = _persons(await env.state())
    assert person["name"] == "Nea"
    (act,) = await env.activities()
    assert [p["person_id"] for p in act["participants"]] == [person["id"]]
    env.advance(60)
    quiet = await env.sync(full=True)
    assert quiet.writes() == 0 and len(_persons(await env.state())) == 1
