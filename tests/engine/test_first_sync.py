"""The first two-way sync: every kind of Google event, the private modes, push_types,
linked contacts; and a second run with nothing to do."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from .conftest import NOW, timed

DAY1 = NOW + timedelta(days=3)  # Monday 23 March 2026, 09:00 UTC (10:00 in Stockholm)


async def test_google_event_kinds_become_activities(make_env):
    env = await make_env(save_as="lunch")
    await env.g_insert({
        "summary": "Timed", **timed(DAY1, 90), "location": "Room 4", "description": "Agenda",
        "transparency": "transparent",
        "attendees": [{"email": "kim@example.org", "displayName": "Kim"}],
    })  # fmt: skip
    await env.g_insert({"summary": "All day", "start": {"date": "2026-03-24"},
                        "end": {"date": "2026-03-25"}})  # fmt: skip
    await env.g_insert({"summary": "Trip", "start": {"date": "2026-03-25"},
                        "end": {"date": "2026-03-28"}})  # fmt: skip
    await env.g_insert({"summary": "Standup", **timed(DAY1 + timedelta(days=4), 15),
                        "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]})  # fmt: skip

    result = await env.sync()
    assert result.exit_code == 0 and result.summary["status"] == "ok"
    assert result.summary["pipedrive"]["created"] == 6
    acts = await env.activities()
    assert {a["type"] for a in acts} == {"lunch"}

    (t,) = await env.activities_by_subject("Timed")
    assert (t["due_date"], t["due_time"], t["duration"]) == ("2026-03-23", "09:00", "01:30")
    assert t["location"]["value"] == "Room 4"
    assert t["public_description"] == "Agenda"
    assert t["busy"] is False and t["private"] is False
    assert [a["email"] for a in t["attendees"]] == ["kim@example.org"]

    (d,) = await env.activities_by_subject("All day")
    assert (d["due_date"], d["due_time"]) == ("2026-03-24", None)
    assert d["duration"] in (None, "", "24:00")
    (m,) = await env.activities_by_subject("Trip")
    assert (m["due_date"], m["due_time"], m["duration"]) == ("2026-03-25", None, "72:00")

    standups = sorted(await env.activities_by_subject("Standup"), key=lambda a: a["due_date"])
    assert [(a["due_date"], a["due_time"], a["duration"]) for a in standups] == [
        ("2026-03-27", "09:00", "00:15"),  # 10:00 in Stockholm, winter time
        ("2026-03-28", "09:00", "00:15"),
        ("2026-03-29", "08:00", "00:15"),  # still 10:00 in Stockholm: summer time began
    ]
    # Nothing was copied back to Google: only the four events we made.
    assert len(await env.google_events(single=False)) == 4


PRIVATE_EVENT = {
    "summary": "Doctor Lund",
    "location": "Vårdcentralen Eken",
    "description": "Bring referral 8812",
    "attendees": [{"email": "dr.lund@clinic.example"}],
}


@pytest.mark.parametrize("visibility", ["private", "confidential"])
@pytest.mark.parametrize("mode", ["private", "busy", "public", "skip"])
async def test_private_modes(make_env, mode, visibility):
    env = await make_env(private=mode)
    await env.g_insert({**PRIVATE_EVENT, **timed(DAY1), "visibility": visibility})
    result = await env.sync()
    acts = await env.activities()
    if mode == "skip":
        assert acts == []
        assert [s["title"] for s in result.summary["skipped"]] == ["Doctor Lund"]
        return
    (act,) = acts
    assert (act["due_date"], act["due_time"], act["duration"]) == ("2026-03-23", "09:00", "01:00")
    if mode == "busy":
        assert act["subject"] == "Busy"
        assert (
            not act["public_description"]
            and act["location"] in (None, {})
            or not (act["location"] or {}).get("value")
        )
        assert act["attendees"] == [] and act["participants"] == []
        blob = json.dumps(act, ensure_ascii=False)
        for secret in ("Doctor", "Lund", "Vårdcentralen", "8812", "clinic.example"):
            assert secret not in blob
        return
    assert act["subject"] == "Doctor Lund"
    assert act["location"]["value"] == "Vårdcentralen Eken"
    assert act["public_description"] == "Bring referral 8812"
    assert act["private"] is (mode == "private")
    # A second run changes nothing (the placeholder or private copy is not an echo).
    again = await env.sync()
    assert again.writes() == 0, again.summary


async def test_busy_placeholder_is_stable(make_env):
    env = await make_env(private="busy")
    await env.g_insert({**PRIVATE_EVENT, **timed(DAY1), "visibility": "private"})
    await env.sync()
    env.advance(60)
    again = await env.sync()
    assert again.writes() == 0, again.summary
    (event,) = await env.google_events()
    assert event["summary"] == "Doctor Lund" and event["visibility"] == "private"


async def test_only_selected_push_types_go_to_google(make_env):
    env = await make_env(push_types=["call", "meeting"])
    for subject, kind in (("Call Eva", "call"), ("Demo", "meeting"), ("Write offer", "task"),
                          ("Mail Per", "email")):  # fmt: skip
        await env.p_create(subject=subject, type=kind, due_date="2026-03-24", due_time="12:00",
                           duration="00:30")  # fmt: skip
    result = await env.sync()
    titles = sorted(e["summary"] for e in await env.google_events())
    assert titles == ["Call Eva", "Demo"]
    skipped = {s["title"]: s["reason"] for s in result.summary["skipped"]}
    assert set(skipped) == {"Write offer", "Mail Per"}
    assert "task" in skipped["Write offer"]
    (call,) = await env.google_by_summary("Call Eva")
    assert call["start"]["dateTime"] == "2026-03-24T13:00:00+01:00"
    assert call["start"]["timeZone"] == "Europe/Stockholm"
    assert len(await env.activities()) == 4  # nothing came back as a copy


async def _linked_activity(env) -> dict:
    pd = env.sandbox.pipedrive
    org = pd.create_organization("Fjällräven Konsult AB", "Storgatan 1, Umeå")
    person = await env.p_post(
        "/api/v2/persons", name="Sigrid Holmqvist", org_id=org["id"],
        emails=[{"value": "sigrid.holmqvist@fjallkonsult.example", "primary": True}],
        phones=[{"value": "+46 70 555 01 23", "primary": True}],
    )  # fmt: skip
    deal = pd.create_deal({"title": "Alpine fleet renewal", "value": 125000, "currency": "SEK",
                           "person_id": person["id"], "org_id": org["id"]})  # fmt: skip
    return await env.p_create(
        subject="Contract review", type="meeting", due_date="2026-03-26", due_time="13:00",
        duration="01:00", participants=[{"person_id": person["id"], "primary": True}],
        org_id=org["id"], deal_id=deal["id"], public_description="Go through clause 7",
        note="internal: they are price sensitive",
    )  # fmt: skip


SECRETS = (
    "Sigrid", "Holmqvist", "sigrid.holmqvist@fjallkonsult.example", "555 01 23",
    "Fjällräven", "Alpine fleet", "price sensitive",
)  # fmt: skip


async def test_linked_contacts_on(make_env):
    env = await make_env(linked_contacts=True)
    await _linked_activity(env)
    await env.sync()
    (event,) = await env.google_by_summary("Contract review")
    description = event["description"]
    assert description.startswith("Go through clause 7")
    for text in ("Sigrid Holmqvist", "sigrid.holmqvist@fjallkonsult.example", "+46 70 555 01 23",
                 "Fjällräven Konsult AB", "Alpine fleet renewal"):  # fmt: skip
        assert text in description
    assert "price sensitive" not in json.dumps(event, ensure_ascii=False)
    assert [a["email"] for a in event["attendees"]] == ["sigrid.holmqvist@fjallkonsult.example"]
    # The block and the linked attendee are not read back as a change.
    env.advance(60)
    again = await env.sync(full=True)
    assert again.writes() == 0, again.summary
    (act,) = await env.activities_by_subject("Contract review")
    assert act["public_description"] == "Go through clause 7"


async def test_linked_contacts_off(make_env):
    env = await make_env(linked_contacts=False)
    await _linked_activity(env)
    before = (await env.stats())["requests"]["by_route"]
    await env.sync()
    (event,) = await env.google_by_summary("Contract review")
    assert event["description"] == "Go through clause 7"
    google_state = json.dumps((await env.state())["google"], ensure_ascii=False)
    for text in SECRETS:
        assert text not in google_state, text
    # Nothing of them is even read: no activity, person, organization or deal by id.
    after = (await env.stats())["requests"]["by_route"]
    read = {r: n - before.get(r, 0) for r, n in after.items() if n > before.get(r, 0)}
    assert [r for r in read if r.startswith("GET /api/v2/") and r.endswith("/{id}")] == []


async def test_second_sync_writes_nothing(make_env):
    env = await make_env(empty=False, seed=1)
    first = await env.sync()
    assert first.exit_code == 0, first.summary
    assert first.summary["errors"] == []
    assert first.summary["google"]["created"] > 0 and first.summary["pipedrive"]["created"] > 0
    n_google = len(await env.google_events())
    n_acts = len(await env.activities())
    before = (await env.stats())["requests"]["by_service"]
    env.advance(120)
    second = await env.sync()
    after = (await env.stats())["requests"]["by_service"]
    assert second.writes() == 0, second.summary
    assert second.summary["conflicts"] == 0 and second.summary["errors"] == []
    assert after.get("google", 0) - before.get("google", 0) <= 1
    assert after.get("pipedrive", 0) - before.get("pipedrive", 0) <= 1
    assert second.summary["google"]["requests"] <= 1
    assert second.summary["pipedrive"]["requests"] <= 1
    assert len(await env.google_events()) == n_google
    assert len(await env.activities()) == n_acts
    # A full reconcile finds nothing to do either.
    third = await env.sync(full=True)
    assert third.writes() == 0, third.summary


async def test_switching_linked_contacts_rewrites_existing_copies(make_env):
    env = await make_env(linked_contacts=False)
    await _linked_activity(env)
    await env.sync()
    (event,) = await env.google_by_summary("Contract review")
    assert "Sigrid" not in event["description"]

    env.options(linked_contacts=True)
    env.advance(60)
    on = await env.sync()
    assert on.summary["google"]["updated"] == 1, on.summary
    (event,) = await env.google_by_summary("Contract review")
    assert "Sigrid Holmqvist" in event["description"]

    env.options(linked_contacts=False)
    env.advance(60)
    off = await env.sync()
    assert off.summary["google"]["updated"] == 1, off.summary
    google_state = json.dumps((await env.state())["google"], ensure_ascii=False)
    for text in SECRETS:
        assert text not in google_state, text
    (event,) = await env.google_by_summary("Contract review")
    assert event["description"] == "Go through clause 7" and event["attendees"] == []
    quiet = await env.sync()
    assert quiet.writes() == 0, quiet.summary
