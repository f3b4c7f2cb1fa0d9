"""A real Google calendar (the sandbox's `real_calendar=True` seed): every event type,
invitations from others with Meet links and the user's own responses. What becomes an
activity, what is skipped and why, declines later, and Meet links both ways."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from sync.mapping import marker_google_id
from sync.options import Options

from .conftest import NOW, Env

BLOCK_TYPES = ("outOfOffice", "focusTime")


async def listed(env: Env, **params: Any) -> list[dict]:
    """Every live event of the primary calendar in the default window, every type (no
    eventTypes filter: what Google gives a client that does not narrow its lists)."""
    start, end = Options().window(NOW)
    params = {
        "singleEvents": "true",
        "maxResults": 2500,
        "timeMin": start.isoformat(),
        "timeMax": end.isoformat(),
        **params,
    }
    items: list[dict] = []
    while True:
        page = (await env.g("GET", env._events_path(), params=params)).json()
        items.extend(e for e in page["items"] if e.get("status") != "cancelled")
        if not page.get("nextPageToken"):
            return items
        params["pageToken"] = page["nextPageToken"]


def declined_by_me(event: dict) -> bool:
    return any(
        a.get("self") and a["responseStatus"] == "declined" for a in event.get("attendees", ())
    )


async def imported(env: Env) -> dict[str, dict]:
    """Activities made from Google events, by event id (their note's marker)."""
    return {gid: a for a in await env.activities() if (gid := marker_google_id(a.get("note")))}


async def invitation(env: Env, response: str) -> dict:
    """The seed's first single invitation (organizer another person) with that response."""
    for event in await listed(env):
        me = [a for a in event.get("attendees", ()) if a.get("self")]
        mine = me and me[0]["responseStatus"] == response
        if mine and not event["organizer"].get("self") and not event.get("recurringEventId"):
            return event
    raise AssertionError(f"no {response} invitation in the seed")


async def respond(env: Env, event: dict, response: str) -> dict:
    guests = [{**a, "responseStatus": response} if a.get("self") else a for a in event["attendees"]]
    return await env.g_patch(event["id"], {"attendees": guests})


@pytest.mark.parametrize("blocks", [(), ("out-of-office",), ("out-of-office", "focus-time")])
async def test_every_type_syncs_exactly_the_default_events_and_the_blocks_asked_for(
    make_env, blocks
):
    env = await make_env(empty=False, real_calendar=True, import_blocks=blocks)
    events = await listed(env)
    kinds = Counter(e.get("eventType", "default") for e in events)
    assert {"workingLocation", "birthday", "fromGmail", "outOfOffice", "focusTime"} <= set(kinds)
    wanted_types = {"default"} | {
        t for t, b in zip(BLOCK_TYPES, ("out-of-office", "focus-time"), strict=True) if b in blocks
    }
    expected = {
        e["id"]
        for e in events
        if e.get("eventType", "default") in wanted_types and not declined_by_me(e)
    }
    result = await env.sync()
    assert result.exit_code == 0 and not result.summary["errors"]
    made = await imported(env)
    assert set(made) == expected
    by_type = {e["id"]: e.get("eventType", "default") for e in events}
    for gid, act in made.items():
        if by_type[gid] in BLOCK_TYPES:
            assert act["busy"] is True
    skips = Counter(e.detail["code"] for e in result.kinds("skip"))
    assert skips["declined"] == sum(
        declined_by_me(e) for e in events if e.get("eventType", "default") == "default"
    )
    # Never-imported types are not even listed: no skip line for each working day.
    assert not {"working-location", "birthday", "from-gmail"} & set(skips)
    assert all(
        e.get("eventType", "default") in wanted_types
        for e in await listed(env, eventTypes=list(wanted_types))
    )
    # Nothing came back to Google, and the next runs have nothing to do.
    assert len(await listed(env)) == len(events) + result.summary["google"]["created"]
    env.advance()
    assert (await env.sync()).writes() == 0
    assert (await env.sync(full=True)).writes() == 0


async def test_blocks_take_their_title_or_busy_under_the_private_rule(make_env):
    env = await make_env(
        empty=False, real_calendar=True, import_blocks=("out-of-office", "focus-time")
    )
    events = {e["id"]: e for e in await listed(env) if e.get("eventType") in BLOCK_TYPES}
    vacation = next(e for e in events.values() if e["summary"] == "Semester")
    await env.g_patch(vacation["id"], {"visibility": "private"})
    env.options(private="busy")
    await env.sync()
    made = await imported(env)
    assert {made[i]["subject"] for i in events if i != vacation["id"]} <= {
        "Fokustid",
        "Fokus: offertarbete",
        "Läkarbesök",
        "Sjuk",
    }
    assert made[vacation["id"]]["subject"] == "Busy"


async def test_turning_a_block_off_removes_its_activities_unless_edited(make_env):
    env = await make_env(empty=False, real_calendar=True, import_blocks=("focus-time",))
    await env.sync()
    focus = {gid: a for gid, a in (await imported(env)).items() if a["subject"].startswith("Fokus")}
    assert len(focus) > 10
    kept_id, kept = sorted(focus.items())[0]
    env.advance()
    await env.p_patch(kept["id"], note=f"{kept['note']}\nPrepared the offer.")
    env.advance()
    env.options(import_blocks=())
    result = await env.sync()
    assert result.summary["pipedrive"]["deleted"] == len(focus) - 1
    (line,) = [e for e in result.kinds("skip") if e.detail["code"] == "focus-time-kept"]
    assert line.item_id == str(kept["id"]) and "edited there" in line.reason
    assert {
        a["id"] for a in (await imported(env)).values() if a["subject"].startswith("Fokus")
    } == {kept["id"]}
    # The focus time itself is untouched on Google, and the next runs list it no more.
    assert len([e for e in await listed(env) if e.get("eventType") == "focusTime"]) == len(focus)
    env.advance()
    again = await env.sync(full=True)
    assert again.writes() == 0
    assert not [e for e in again.kinds("skip") if e.detail["code"].startswith("focus-time")]


async def test_a_declined_invitation_is_not_imported_and_one_declined_later_goes(make_env):
    env = await make_env(empty=False, real_calendar=True)
    first = await env.sync()
    declined = {e.item_id for e in first.kinds("skip") if e.detail["code"] == "declined"}
    seeded = {e["id"] for e in await listed(env) if declined_by_me(e)}
    assert declined == seeded and len(seeded) >= 2 and not seeded & set(await imported(env))

    accepted = await invitation(env, "accepted")
    assert accepted["id"] in await imported(env)
    env.advance()
    await respond(env, accepted, "declined")
    env.advance()
    result = await env.sync()
    (gone,) = result.kinds("delete")
    assert gone.side == "pipedrive" and "declined" in gone.reason
    assert accepted["id"] not in await imported(env)
    assert await env.g_get(accepted["id"]) is not None  # the invitation stays on Google
    env.advance()
    again = await env.sync(full=True)
    assert again.writes() == 0
    assert accepted["id"] in {
        e.item_id for e in again.kinds("skip") if e.detail["code"] == "declined"
    }


async def test_one_declined_after_an_edit_in_pipedrive_is_kept_with_a_line(make_env):
    env = await make_env(empty=False, real_calendar=True)
    await env.sync()
    maybe = await invitation(env, "tentative")
    act = (await imported(env))[maybe["id"]]
    env.advance()
    await env.p_patch(act["id"], note=f"{act['note']}\nAsk about the pilot.")
    env.advance()
    assert (await env.sync()).writes() == 0  # a note is not content: nothing to write
    env.advance()
    await respond(env, maybe, "declined")
    env.advance()
    result = await env.sync()
    assert result.writes() == 0
    (line,) = [e for e in result.kinds("skip") if e.detail["code"] == "declined-kept"]
    assert line.item_id == str(act["id"]) and "edited there since" in line.reason
    assert (await env.p_get(act["id"]))["subject"] == act["subject"]
    # Accepted again: the pair is synced as before (it never stopped being linked).
    env.advance()
    await respond(env, maybe, "accepted")
    env.advance()
    assert (await env.sync()).writes() == 0
    assert (await env.p_get(act["id"])) is not None


async def test_the_meet_link_of_an_invitation_round_trips_and_survives_edits(make_env):
    env = await make_env(empty=False, real_calendar=True)
    await env.sync()
    event = await invitation(env, "accepted")
    link = event["hangoutLink"]
    act = (await imported(env))[event["id"]]
    assert link.startswith("https://meet.google.com/") and act["conference_meeting_url"] == link
    assert link not in (act["public_description"] or "")

    # The organizer makes a new Meet on Google: the activity follows.
    env.advance()
    answer = await env.g(
        "PATCH",
        f"{env._events_path()}/{event['id']}",
        params={"conferenceDataVersion": 1},
        json={
            "conferenceData": {
                "createRequest": {
                    "requestId": "new-meet-1",
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            }
        },
    )
    new_link = answer.json()["hangoutLink"]
    assert new_link != link
    env.advance()
    result = await env.sync()
    assert result.summary["pipedrive"]["updated"] == 1
    assert (await env.p_get(act["id"]))["conference_meeting_url"] == new_link

    # Another link set in Pipedrive reaches the event as its conference, once.
    env.advance()
    other = "https://meet.google.com/qrs-tuvw-xyz"
    await env.p_patch(act["id"], conference_meeting_url=other)
    env.advance()
    result = await env.sync()
    assert result.summary["google"]["updated"] == 1
    now = await env.g_get(event["id"])
    assert now["hangoutLink"] == other and other not in (now.get("description") or "")
    video = [p for p in now["conferenceData"]["entryPoints"] if p["entryPointType"] == "video"]
    assert [p["uri"] for p in video] == [other]
    env.advance()
    assert (await env.sync()).writes() == 0
    assert (await env.sync(full=True)).writes() == 0


async def test_a_link_made_in_pipedrive_reaches_google_and_edits_flow_both_ways(make_env):
    env = await make_env()
    zoom = "https://example.zoom.us/j/81234567890"
    meet = "https://meet.google.com/abc-defg-hij"
    a = await env.p_create(subject="Demo", type="meeting", due_date="2026-03-24", due_time="13:00",
                           duration="00:45", public_description="Agenda", conference_meeting_url=zoom)  # fmt: skip
    b = await env.p_create(subject="Kickoff", type="call", due_date="2026-03-25", due_time="08:00",
                           duration="00:30", conference_meeting_url=meet)  # fmt: skip
    await env.sync()
    (ev_a,) = await env.google_by_summary("Demo")
    (ev_b,) = await env.google_by_summary("Kickoff")
    assert ev_a["description"].count(zoom) == 1 and "conferenceData" not in ev_a
    assert ev_b["hangoutLink"] == meet and meet not in (ev_b.get("description") or "")
    env.advance()
    assert (await env.sync()).writes() == 0

    # Edited in Pipedrive: the line follows, still once.
    env.advance()
    zoom2 = "https://example.zoom.us/j/99999999999"
    await env.p_patch(a["id"], conference_meeting_url=zoom2)
    env.advance()
    await env.sync()
    ev_a = await env.g_get(ev_a["id"])
    assert zoom not in ev_a["description"] and ev_a["description"].count(zoom2) == 1
    assert ev_a["description"].startswith("Agenda")

    # Edited on Google (the line, and the conference): the activities follow.
    env.advance()
    zoom3 = "https://example.zoom.us/j/33333333333"
    await env.g_patch(ev_a["id"], {"description": ev_a["description"].replace(zoom2, zoom3)})
    answer = await env.g("PATCH", f"{env._events_path()}/{ev_b['id']}", params={"conferenceDataVersion": 1},
                         json={"conferenceData": None})  # fmt: skip
    assert "hangoutLink" not in answer.json()
    env.advance()
    result = await env.sync()
    assert result.summary["pipedrive"]["updated"] == 2
    got_a, got_b = await env.p_get(a["id"]), await env.p_get(b["id"])
    assert (got_a["conference_meeting_url"], got_a["public_description"]) == (zoom3, "Agenda")
    assert got_b["conference_meeting_url"] is None
    env.advance()
    assert (await env.sync()).writes() == 0
    assert (await env.sync(full=True)).writes() == 0
