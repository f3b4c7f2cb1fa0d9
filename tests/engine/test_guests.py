"""Guests to contacts (Google -> Pipedrive): a Google event's guests become the activity's
participants, its organization and deal, through the sandbox's persons, organizations and
deals made here with its API (docs/planner.md, "Guests to contacts")."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import timedelta

from sync.commands import Console
from sync.review_commands import review

from .conftest import NOW, timed

DAY1 = NOW + timedelta(days=3)


async def person(env, name: str, *emails: str, org: int | None = None) -> int:
    body: dict = {"name": name, "emails": [{"value": e, "primary": i == 0}
                                          for i, e in enumerate(emails)]}  # fmt: skip
    if org is not None:
        body["org_id"] = org
    return (await env.p_post("/api/v2/persons", **body))["id"]


async def org(env, name: str) -> int:
    return (await env.p_post("/api/v2/organizations", name=name))["id"]


async def deal(env, title: str, *, person_id=None, org_id=None, status="open") -> int:
    body: dict = {"title": title, "status": status}
    if person_id is not None:
        body["person_id"] = person_id
    if org_id is not None:
        body["org_id"] = org_id
    return (await env.p_post("/api/v2/deals", **body))["id"]


async def meeting(env, title: str, *guests: str, hours: int = 0) -> dict:
    return await env.g_insert({
        "summary": title, **timed(DAY1 + timedelta(hours=hours)),
        "attendees": [{"email": g} for g in guests],
    })  # fmt: skip


async def activity(env, title: str) -> dict:
    (act,) = await env.activities_by_subject(title)
    return act


def participants(act: dict) -> list[tuple[int, bool]]:
    return [(p["person_id"], p["primary"]) for p in act["participants"]]


def review_json(env) -> list[dict]:
    out = io.StringIO()
    review(Console(out, io.StringIO()), home=env.home, account_id=env.account_id, as_json=True)
    return json.loads(out.getvalue())["items"]


async def test_one_guest_with_one_open_deal_gives_person_org_and_deal(env):
    acme = await org(env, "Acme AB")
    kim = await person(env, "Kim Berg", "kim@acme.example", org=acme)
    won = await deal(env, "Old deal", person_id=kim, status="won")
    open_deal = await deal(env, "Acme renewal", person_id=kim)
    await meeting(env, "Renewal call", "KIM@acme.example")
    result = await env.sync()
    assert result.summary["status"] == "ok", result.summary
    act = await activity(env, "Renewal call")
    assert participants(act) == [(kim, True)]
    assert act["person_id"] == kim and act["org_id"] == acme
    assert act["deal_id"] == open_deal != won
    assert review_json(env) == []


async def test_two_guests_both_persons_are_both_participants(env):
    ann = await person(env, "Ann", "ann@one.example")
    bo = await person(env, "Bo", "bo.work@two.example", "bo@two.example")  # any of the e-mails
    await meeting(env, "Three-way", "ann@one.example", "bo@two.example")
    await env.sync()
    act = await activity(env, "Three-way")
    assert participants(act) == [(ann, True), (bo, False)]


async def test_a_person_with_two_open_deals_gets_no_deal_and_one_review_item(env):
    kim = await person(env, "Kim", "kim@acme.example")
    d1 = await deal(env, "Deal one", person_id=kim)
    d2 = await deal(env, "Deal two", person_id=kim)
    await meeting(env, "Which deal", "kim@acme.example")
    await env.sync()
    act = await activity(env, "Which deal")
    assert participants(act) == [(kim, True)] and act["deal_id"] is None
    (item,) = review_json(env)
    assert item["item"] == f"pipedrive:{act['id']}" and item["code"] == "deal"
    assert item["choices"] == [str(d1), str(d2)]


async def test_the_organization_deal_when_the_person_has_none(env):
    acme = await org(env, "Acme AB")
    kim = await person(env, "Kim", "kim@acme.example", org=acme)
    org_deal = await deal(env, "Acme frame deal", org_id=acme)
    await meeting(env, "Frame", "kim@acme.example")
    await env.sync()
    act = await activity(env, "Frame")
    assert participants(act) == [(kim, True)] and act["deal_id"] == org_deal


async def test_the_user_and_colleagues_are_never_participants(env):
    me = env.sandbox.pipedrive.user["email"]
    colleague = "colleague@" + me.rpartition("@")[2]
    await person(env, "Me as a person", me)
    await person(env, "A colleague as a person", colleague)
    kim = await person(env, "Kim", "kim@acme.example")
    await meeting(env, "Internal", me, colleague, "kim@acme.example")
    await meeting(env, "Only us", me, colleague, hours=2)
    await env.sync()
    assert participants(await activity(env, "Internal")) == [(kim, True)]
    assert participants(await activity(env, "Only us")) == []
    assert review_json(env) == []  # no external guest: nothing to decide


async def test_a_free_mail_guest_gives_no_organization_by_domain(env):
    gmail_org = await org(env, "Gmail users AB")
    await person(env, "Someone", "someone@gmail.com", org=gmail_org)
    acme = await org(env, "Acme AB")
    await person(env, "Kim", "kim@acme.example", org=acme)
    await meeting(env, "Free mail", "stranger@gmail.com")
    await meeting(env, "Same company", "newcomer@acme.example", hours=2)
    await env.sync()
    free = await activity(env, "Free mail")
    assert participants(free) == [] and free["org_id"] is None
    same = await activity(env, "Same company")
    assert participants(same) == [] and same["org_id"] == acme  # by domain


async def test_unknown_guests_are_not_created_by_default(env):
    await meeting(env, "Stranger", "stranger@far.example")
    await env.sync()
    state = await env.state()
    assert [p for p in state["pipedrive"]["persons"] if not p.get("is_deleted")] == []
    (item,) = review_json(env)
    assert item["code"] == "person"


async def test_unknown_guests_created_once_with_the_option(make_env):
    env = await make_env(create_persons=True)
    await meeting(env, "Stranger", "stranger@far.example")
    await meeting(env, "Stranger again", "Stranger@far.example", hours=2)
    await env.sync()
    persons = [p for p in (await env.state())["pipedrive"]["persons"] if not p.get("is_deleted")]
    assert [[e["value"] for e in p["emails"]] for p in persons] == [["stranger@far.example"]]
    for title in ("Stranger", "Stranger again"):
        assert participants(await activity(env, title)) == [(persons[0]["id"], True)]
    env.advance(60)
    await meeting(env, "Third time", "stranger@far.example", hours=4)
    await env.sync()
    assert participants(await activity(env, "Third time")) == [(persons[0]["id"], True)]
    assert len([p for p in (await env.state())["pipedrive"]["persons"]]) == 1


async def test_a_deal_set_by_hand_survives_the_next_run_and_a_guest_change(env):
    kim = await person(env, "Kim", "kim@acme.example")
    await deal(env, "Matched deal", person_id=kim)
    mine = await deal(env, "The user's choice")
    ann = await person(env, "Ann", "ann@other.example")
    event = await meeting(env, "Hand-set", "kim@acme.example")
    await env.sync()
    act = await activity(env, "Hand-set")
    await env.p_patch(act["id"], deal_id=mine)
    env.advance(60)
    await env.sync()
    assert (await activity(env, "Hand-set"))["deal_id"] == mine
    env.advance(60)
    await env.g_patch(event["id"], {"attendees": [{"email": "kim@acme.example"},
                                                  {"email": "ann@other.example"}]})  # fmt: skip
    env.advance(60)
    await env.sync()
    after = await activity(env, "Hand-set")
    assert after["deal_id"] == mine  # the user's choice stays
    assert participants(after) == [(kim, True), (ann, False)]  # the new guest is matched


async def test_a_guest_change_on_google_updates_the_participants_and_deal(env):
    kim = await person(env, "Kim", "kim@acme.example")
    acme = await org(env, "Acme AB")
    ann = await person(env, "Ann", "ann@acme.example", org=acme)
    ann_deal = await deal(env, "Ann's deal", person_id=ann)
    event = await meeting(env, "Changing guests", "kim@acme.example")
    await env.sync()
    assert participants(await activity(env, "Changing guests")) == [(kim, True)]
    env.advance(60)
    await env.g_patch(event["id"], {"attendees": [{"email": "ann@acme.example"}]})
    env.advance(60)
    await env.sync()
    after = await activity(env, "Changing guests")
    assert participants(after) == [(ann, True)]
    assert (after["org_id"], after["deal_id"]) == (acme, ann_deal)


async def test_a_person_set_by_hand_is_not_replaced_by_a_guest_change(env):
    await person(env, "Kim", "kim@acme.example")
    chosen = await person(env, "Chosen by hand", "chosen@else.example")
    await person(env, "Ann", "ann@acme.example")
    event = await meeting(env, "Hand person", "kim@acme.example")
    await env.sync()
    act = await activity(env, "Hand person")
    await env.p_patch(act["id"], participants=[{"person_id": chosen, "primary": True}])
    env.advance(60)
    await env.g_patch(event["id"], {"attendees": [{"email": "ann@acme.example"}]})
    env.advance(60)
    await env.sync()
    assert participants(await activity(env, "Hand person")) == [(chosen, True)]


async def test_an_idle_run_still_makes_one_request_per_side(env):
    kim = await person(env, "Kim", "kim@acme.example")
    await deal(env, "Deal", person_id=kim)
    await meeting(env, "Call", "kim@acme.example")
    await env.sync()
    for full in (True, False):
        env.advance(60)
        idle = await env.sync(full=full)
        assert idle.writes() == 0, idle.summary
    assert idle.summary["google"]["requests"] == 1
    assert idle.summary["pipedrive"]["requests"] == 1


async def resolve(env, item: str, **kw) -> dict:
    """`calsync review ITEM ...` (its own event loop, as on the command line: a thread)."""
    out = io.StringIO()
    code = await asyncio.to_thread(
        review,
        Console(out, io.StringIO()),
        home=env.home,
        account_id=env.account_id,
        item=item,
        as_json=True,
        transport=env.transport,
        **kw,
    )
    assert code == 0
    return json.loads(out.getvalue())


async def test_resolving_a_review_item_links_it_and_it_leaves_the_list(env):
    kim = await person(env, "Kim", "kim@acme.example")
    await deal(env, "Deal one", person_id=kim)
    d2 = await deal(env, "Deal two", person_id=kim)
    await meeting(env, "Pick a deal", "kim@acme.example")
    await meeting(env, "Pick a person", "stranger@far.example", hours=2)
    await env.sync()
    items = {i["title"]: i for i in review_json(env)}
    assert set(items) == {"Pick a deal", "Pick a person"}
    said = await resolve(env, items["Pick a deal"]["item"], deal=str(d2))
    assert said == {"item": items["Pick a deal"]["item"], "resolved": "deal", "id": str(d2)}
    assert (await activity(env, "Pick a deal"))["deal_id"] == d2
    await resolve(env, items["Pick a person"]["item"], person=str(kim))
    assert participants(await activity(env, "Pick a person")) == [(kim, True)]
    assert review_json(env) == []
    # The user's picks are links set by hand: the next runs keep them.
    env.advance(60)
    again = await env.sync(full=True)
    assert again.writes() == 0, again.summary
    assert (await activity(env, "Pick a deal"))["deal_id"] == d2
    assert review_json(env) == []


async def test_the_companys_pipedrive_users_are_colleagues_whatever_their_domain(env):
    users = env.sandbox.pipedrive.users  # a second user of the company (no API makes one)
    users[99] = {**env.sandbox.pipedrive.user, "id": 99, "email": "pat@consultant.example"}
    await person(env, "Pat as a person", "pat@consultant.example")
    kim = await person(env, "Kim", "kim@acme.example")
    await meeting(env, "With Pat", "pat@consultant.example", "kim@acme.example")
    await env.sync()
    assert participants(await activity(env, "With Pat")) == [(kim, True)]
