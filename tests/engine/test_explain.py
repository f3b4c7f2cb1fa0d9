"""`calsync explain`: the planner's rule behind an item's last outcome, for each kind of
outcome, from the links and the run log of a sandbox account."""

from __future__ import annotations

from datetime import timedelta

from sync.explain import explain, lines, look_up
from sync.options import Options
from sync.services import open_services

from .conftest import NOW, Env, timed

DAY1 = NOW + timedelta(days=3)


def one(env: Env, item: str):
    (found,) = explain(env.store.data(env.account_id), item)
    return found


async def test_synced_pair_names_both_ids_and_the_rule(env):
    event = await env.g_insert({"summary": "Board meeting", **timed(DAY1)})
    await env.sync()
    (activity,) = await env.activities()
    for item in (event["id"], str(activity["id"]), "board MEETING"):
        found = one(env, item)
        assert found.link is not None
        assert (found.link.google_id, found.link.pipedrive_id) == (event["id"], str(activity["id"]))
        assert found.rule()["rule"] == "synced (new Google item: copied to Pipedrive)"
        assert [t.run for t in found.touches] == [1]
    text = "\n".join(lines(one(env, event["id"])))
    assert "Board meeting" in text and str(activity["id"]) in text and "run 1" in text


async def test_type_not_selected_names_push_types(make_env):
    env = await make_env(push_types=("meeting",))
    call = await env.p_create(subject="Call Kim", type="call", due_date="2026-03-24",
                              due_time="10:00", duration="00:30")  # fmt: skip
    await env.sync()
    rule = one(env, str(call["id"])).rule()
    assert (rule["code"], rule["option"]) == ("type", "push_types")
    assert "not in push_types" in rule["rule"]


async def test_outside_the_window(env):
    far = await env.g_insert({"summary": "Far away", **timed(NOW + timedelta(days=500))})
    await env.sync()  # not even listed: the window's listing leaves it out
    found = one(env, far["id"])
    assert not found.touches
    services = open_services(env.store.account(env.account_id), env.vault, transport=env.transport)
    try:
        await look_up(found, services, Options(), "Europe/Stockholm", env.now)
    finally:
        await services.aclose()
    rule = found.rule()
    assert rule["code"] == "window" and "window" in rule["option"] and rule["now"]
    assert lines(found)[1] == "as it is now: new item outside the sync window: not picked up"


async def test_private_event_under_skip(make_env):
    env = await make_env(private="skip")
    private = await env.g_insert({"summary": "Doctor", **timed(DAY1), "visibility": "private"})
    await env.sync()
    rule = one(env, private["id"]).rule()
    assert (rule["code"], rule["option"]) == ("private", "private")


async def test_conflict_names_the_loser(env):
    event = await env.g_insert({"summary": "Review", **timed(DAY1)})
    await env.sync()
    (activity,) = await env.activities()
    env.advance()
    await env.p_patch(activity["id"], subject="Review (Pipedrive)")
    env.advance()
    await env.g_patch(event["id"], {"summary": "Review (Google)"})
    await env.sync()
    found = one(env, event["id"])
    rule = found.rule()
    assert rule["rule"] == "conflict: both sides changed; google won"
    assert rule["loser"]["side"] == "pipedrive" and rule["loser"]["title"] == "Review (Pipedrive)"
    assert "loser: the pipedrive version 'Review (Pipedrive)'" in "\n".join(lines(found))


async def test_guarded_delete(env):
    events = [await env.g_insert({"summary": f"Slot {i}", **timed(DAY1 + timedelta(hours=i))})
              for i in range(6)]  # fmt: skip
    await env.sync()
    env.advance()
    for event in events:
        await env.g_delete(event["id"])
    held = await env.sync()
    assert held.exit_code == 3
    activity = env.store.data(env.account_id).link_by_google(events[0]["id"]).pipedrive_id
    found = one(env, activity)
    assert found.rule()["rule"] == "the mass-deletion guard held the run"
    assert found.rule()["option"] == "--force-delete"
    assert [t.run for t in found.touches] == [1, 2]


async def test_item_never_seen(env):
    await env.g_insert({"summary": "Something", **timed(DAY1)})
    await env.sync()
    found = one(env, "no-such-item-42")
    assert not found.seen and found.rule()["rule"] == "never seen"
    assert "never seen" in lines(found)[0]
