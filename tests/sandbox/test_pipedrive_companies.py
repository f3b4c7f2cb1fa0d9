"""Conformance through httpx: Pipedrive v2 organizations and deals (create, get, list with
cursors, patch, delete, validation) and the search routes (persons, organizations, deals,
itemSearch)."""

from __future__ import annotations

import pytest

from .test_pipedrive_conformance import TOKEN, assert_envelope, client_for, make_sandbox

STAMP = "2026-11-25T10:00:00Z"


@pytest.fixture
def sandbox():
    return make_sandbox()


@pytest.fixture
async def pd(sandbox):
    async with client_for(sandbox, **{"x-api-token": TOKEN}) as client:
        yield client


async def _ok(response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


async def _pages(pd, path: str, **params) -> list[dict]:
    seen, cursor = [], None
    for _ in range(50):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = (await pd.get(path, params=query)).json()
        seen += body["data"]["items"] if isinstance(body["data"], dict) else body["data"]
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


# --- organizations ------------------------------------------------------------------------
class TestOrganizations:
    async def test_create_get_patch_delete(self, pd, sandbox):
        made = await _ok(await pd.post("/api/v2/organizations", json={"name": "Client Ltd"}))
        assert made == {
            "id": made["id"],
            "name": "Client Ltd",
            "owner_id": sandbox.pipedrive.user_id,
            "add_time": STAMP,
            "update_time": STAMP,
            "is_deleted": False,
            "visible_to": 3,
            "label_ids": [],
            "address": None,
            "custom_fields": {},
        }
        assert await _ok(await pd.get(f"/api/v2/organizations/{made['id']}")) == made
        sandbox.clock.advance(5)
        address = {"value": "Kungsgatan 5, Stockholm", "locality": "Stockholm", "country": "SE"}
        patched = await _ok(
            await pd.patch(
                f"/api/v2/organizations/{made['id']}",
                json={"name": "Client AB", "address": address, "visible_to": 7},
            )
        )
        assert (patched["name"], patched["address"], patched["visible_to"]) == (
            "Client AB",
            address,
            7,
        )
        assert patched["update_time"] == "2026-11-25T10:00:05Z"
        deleted = await pd.delete(f"/api/v2/organizations/{made['id']}")
        assert deleted.json() == {"success": True, "data": {"id": made["id"]}}
        for method in ("GET", "PATCH", "DELETE"):
            again = await pd.request(method, f"/api/v2/organizations/{made['id']}", json={})
            assert_envelope(again, 404)

    async def test_deleting_unlinks_persons_deals_and_activities(self, pd, sandbox):
        state = sandbox.pipedrive
        org_id = next(p["org_id"] for p in state.persons.rows.values() if p["org_id"])
        await _ok(await pd.delete(f"/api/v2/organizations/{org_id}"))
        for table in (state.persons, state.deals, state.activities):
            assert all(row["org_id"] != org_id for row in table.rows.values())
        listed = await _pages(pd, "/api/v2/organizations")
        assert org_id not in {o["id"] for o in listed} and len(listed) == 9
        since = await _pages(pd, "/api/v2/organizations", updated_since=STAMP)
        assert [(o["id"], o["is_deleted"]) for o in since] == [(org_id, True)]

    async def test_list_pages_with_a_cursor(self, pd):
        for n in range(5):
            await _ok(await pd.post("/api/v2/organizations", json={"name": f"Org {n}"}))
        first = (await pd.get("/api/v2/organizations", params={"limit": 4})).json()
        assert len(first["data"]) == 4 and first["additional_data"]["next_cursor"]
        every = await _pages(pd, "/api/v2/organizations", limit=4)
        ids = [o["id"] for o in every]
        assert len(ids) == 15 == len(set(ids)) and ids == sorted(ids)

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"name": ""},
            {"name": "   "},
            {"name": 5},
            {"name": "x" * 256},
            {"name": "Ok", "owner_id": 5},
            {"name": "Ok", "visible_to": 2},
            {"name": "Ok", "address": "Kungsgatan 5"},
            {"name": "Ok", "address": {"value": 5}},
            {"name": "Ok", "label_ids": ["a"]},
            {"name": "Ok", "custom_fields": []},
        ],
    )
    async def test_bad_bodies_are_400(self, pd, body):
        assert_envelope(await pd.post("/api/v2/organizations", json=body), 400)

    async def test_patch_cannot_empty_the_name(self, pd):
        assert_envelope(await pd.patch("/api/v2/organizations/1", json={"name": ""}), 400)


# --- deals --------------------------------------------------------------------------------
class TestDeals:
    async def test_create_with_real_fields(self, pd, sandbox):
        person = sandbox.pipedrive.persons.rows[3]
        body = {
            "title": "Licences 2027",
            "person_id": person["id"],
            "org_id": person["org_id"],
            "value": 125_000.5,
            "currency": "EUR",
            "expected_close_date": "2027-02-01",
            "probability": 40,
        }
        made = await _ok(await pd.post("/api/v2/deals", json=body))
        for key, value in body.items():
            assert made[key] == value
        assert (made["status"], made["pipeline_id"], made["stage_id"]) == ("open", 1, 1)
        assert made["add_time"] == made["update_time"] == STAMP
        assert made["creator_user_id"] == made["owner_id"] == sandbox.pipedrive.user_id
        assert made["won_time"] is None and made["close_time"] is None and not made["is_deleted"]
        assert await _ok(await pd.get(f"/api/v2/deals/{made['id']}")) == made

    async def test_status_changes_set_their_times(self, pd, sandbox):
        made = await _ok(await pd.post("/api/v2/deals", json={"title": "Pilot"}))
        sandbox.clock.advance(60)
        won = await _ok(await pd.patch(f"/api/v2/deals/{made['id']}", json={"status": "won"}))
        assert won["won_time"] == won["close_time"] == "2026-11-25T10:01:00Z"
        lost = await _ok(
            await pd.patch(
                f"/api/v2/deals/{made['id']}", json={"status": "lost", "lost_reason": "Price"}
            )
        )
        assert (lost["lost_reason"], lost["won_time"]) == ("Price", None)
        assert lost["lost_time"] == lost["close_time"]
        reopened = await _ok(await pd.patch(f"/api/v2/deals/{made['id']}", json={"status": "open"}))
        assert reopened["close_time"] is None and reopened["lost_reason"] is None
        moved = await _ok(await pd.patch(f"/api/v2/deals/{made['id']}", json={"stage_id": 3}))
        assert moved["stage_change_time"] == "2026-11-25T10:01:00Z"

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"title": ""},
            {"title": "x", "person_id": 99_999},
            {"title": "x", "org_id": 99_999},
            {"title": "x", "person_id": "1"},
            {"title": "x", "status": "pending"},
            {"title": "x", "status": "deleted"},
            {"title": "x", "currency": "sek"},
            {"title": "x", "currency": "EURO"},
            {"title": "x", "value": "100"},
            {"title": "x", "value": True},
            {"title": "x", "probability": 150},
            {"title": "x", "lost_reason": "Price"},
            {"title": "x", "stage_id": 99},
            {"title": "x", "pipeline_id": 2},
            {"title": "x", "expected_close_date": "2027-13-01"},
            {"title": "x", "owner_id": 5},
        ],
    )
    async def test_bad_bodies_are_400(self, pd, body):
        assert_envelope(await pd.post("/api/v2/deals", json=body), 400)

    async def test_a_deleted_person_or_organization_cannot_be_linked(self, pd):
        await _ok(await pd.delete("/api/v2/persons/4"))
        assert_envelope(await pd.post("/api/v2/deals", json={"title": "x", "person_id": 4}), 400)

    async def test_delete_is_soft_and_unlinks_activities(self, pd, sandbox):
        state = sandbox.pipedrive
        act = next(a for a in state.activities.rows.values() if a["deal_id"])
        deal_id = act["deal_id"]
        assert (await pd.delete(f"/api/v2/deals/{deal_id}")).json() == {
            "success": True,
            "data": {"id": deal_id},
        }
        assert_envelope(await pd.get(f"/api/v2/deals/{deal_id}"), 404)
        assert state.activities.rows[act["id"]]["deal_id"] is None

    async def test_list_filters_and_pages(self, pd, sandbox):
        every = await _pages(pd, "/api/v2/deals", limit=3)
        assert len(every) == 9  # the seed's deals
        assert {d["status"] for d in every} == {"open", "won", "lost"}
        won = await _pages(pd, "/api/v2/deals", status="won")
        assert [d["status"] for d in won] == ["won"]
        person = every[0]["person_id"]
        mine = await _pages(pd, "/api/v2/deals", person_id=person)
        assert mine and all(d["person_id"] == person for d in mine)


# --- search -------------------------------------------------------------------------------
class TestSearch:
    async def test_the_search_envelope(self, pd):
        body = (await pd.get("/api/v2/organizations/search", params={"term": "ab"})).json()
        assert set(body) == {"success", "data", "additional_data"}
        assert set(body["data"]) == {"items"} and set(body["additional_data"]) == {"next_cursor"}
        for entry in body["data"]["items"]:
            assert set(entry) == {"result_score", "item"}
            assert isinstance(entry["result_score"], float)

    async def test_organizations_by_name_and_address(self, pd, sandbox):
        org = sandbox.pipedrive.organizations.rows[2]
        exact = await _ok(
            await pd.get(
                "/api/v2/organizations/search",
                params={"term": org["name"].upper(), "exact_match": "true"},
            )
        )
        assert [(i["result_score"], i["item"]["id"]) for i in exact["items"]] == [(1.0, 2)]
        assert exact["items"][0]["item"] == {
            "id": 2,
            "type": "organization",
            "name": org["name"],
            "address": org["address"]["value"],
            "visible_to": 3,
            "owner": {"id": sandbox.pipedrive.user_id},
            "custom_fields": [],
            "notes": [],
        }
        street = org["address"]["value"].split(",")[0]
        by_address = await _ok(
            await pd.get(
                "/api/v2/organizations/search", params={"term": street, "fields": "address"}
            )
        )
        assert 2 in {i["item"]["id"] for i in by_address["items"]}
        by_name_only = await _ok(
            await pd.get("/api/v2/organizations/search", params={"term": street, "fields": "name"})
        )
        assert 2 not in {i["item"]["id"] for i in by_name_only["items"]}

    async def test_deals_by_title_with_filters(self, pd, sandbox):
        made = await _ok(
            await pd.post("/api/v2/deals", json={"title": "Zq Warehouse robots", "person_id": 2})
        )
        found = await _ok(await pd.get("/api/v2/deals/search", params={"term": "warehouse robots"}))
        (item,) = [i["item"] for i in found["items"] if i["item"]["id"] == made["id"]]
        person = sandbox.pipedrive.persons.rows[2]
        assert item == {
            "id": made["id"],
            "type": "deal",
            "title": "Zq Warehouse robots",
            "value": 0,
            "currency": "SEK",
            "status": "open",
            "visible_to": 3,
            "owner": {"id": sandbox.pipedrive.user_id},
            "stage": {"id": 1, "name": "Qualified"},
            "person": {"id": 2, "name": person["name"]},
            "organization": None,
            "custom_fields": [],
            "notes": [],
            "is_archived": False,
        }
        for params in ({"person_id": 3}, {"status": "won"}, {"organization_id": 1}):
            other = await _ok(await pd.get("/api/v2/deals/search", params={"term": "Zq", **params}))
            assert made["id"] not in {i["item"]["id"] for i in other["items"]}
        assert_envelope(
            await pd.get("/api/v2/deals/search", params={"term": "Zq", "status": "lost!"}), 400
        )

    async def test_item_search_across_types(self, pd, sandbox):
        state = sandbox.pipedrive
        await _ok(await pd.post("/api/v2/organizations", json={"name": "Zqmulti AB"}))
        await _ok(await pd.post("/api/v2/deals", json={"title": "Zqmulti renewal"}))
        await _ok(await pd.post("/api/v2/persons", json={"name": "Zqmulti Person"}))
        found = await _ok(await pd.get("/api/v2/itemSearch", params={"term": "zqmulti"}))
        assert sorted(i["item"]["type"] for i in found["items"]) == [
            "deal",
            "organization",
            "person",
        ]
        assert found["related_items"] == []
        deals_only = await _ok(
            await pd.get("/api/v2/itemSearch", params={"term": "zqmulti", "item_types": "deal"})
        )
        assert [i["item"]["type"] for i in deals_only["items"]] == ["deal"]
        titles = await _ok(
            await pd.get("/api/v2/itemSearch", params={"term": "zqmulti", "fields": "title"})
        )
        assert [i["item"]["type"] for i in titles["items"]] == ["deal"]
        org_id = next(iter(o["id"] for o in state.organizations.rows.values() if o["id"] == 1))
        org = state.organizations.rows[org_id]
        with_related = await _ok(
            await pd.get(
                "/api/v2/itemSearch",
                params={
                    "term": org["name"],
                    "exact_match": "true",
                    "item_types": "organization",
                    "search_for_related_items": "true",
                },
            )
        )
        related = {(r["item"]["type"], r["item"]["id"]) for r in with_related["related_items"]}
        members = {
            ("person", p["id"]) for p in state.persons.rows.values() if p["org_id"] == org_id
        }
        deals = {("deal", d["id"]) for d in state.deals.rows.values() if d["org_id"] == org_id}
        assert related == members | deals and related

    async def test_paging_through_results(self, pd):
        for n in range(7):
            await _ok(await pd.post("/api/v2/persons", json={"name": f"Zqpage {n}"}))
        items = await _pages(pd, "/api/v2/persons/search", term="zqpage", limit=3)
        assert sorted(i["item"]["name"] for i in items) == [f"Zqpage {n}" for n in range(7)]
        items = await _pages(pd, "/api/v2/itemSearch", term="zqpage", limit=2)
        assert len(items) == 7

    @pytest.mark.parametrize(
        ("path", "params"),
        [
            ("/api/v2/organizations/search", {"term": "a"}),
            ("/api/v2/deals/search", {"term": " b "}),
            ("/api/v2/itemSearch", {"term": "c"}),
            ("/api/v2/organizations/search", {"term": "ab", "fields": "email"}),
            ("/api/v2/deals/search", {"term": "ab", "fields": "name"}),
            ("/api/v2/itemSearch", {"term": "ab", "fields": "nickname"}),
            ("/api/v2/itemSearch", {"term": "ab", "item_types": "deal,boat"}),
            ("/api/v2/itemSearch", {"term": "ab", "limit": "101"}),
            ("/api/v2/deals/search", {"term": "ab", "limit": "501"}),
            ("/api/v2/itemSearch", {"term": "ab", "search_for_related_items": "yes"}),
            ("/api/v2/persons/search", {"term": "ab", "include_fields": "person.age"}),
            ("/api/v2/organizations/search", {"term": "ab", "cursor": "nope"}),
        ],
    )
    async def test_bad_parameters_are_400(self, pd, path, params):
        assert_envelope(await pd.get(path, params=params), 400)

    async def test_one_character_is_enough_with_exact_match(self, pd):
        await _ok(await pd.post("/api/v2/organizations", json={"name": "Q"}))
        found = await _ok(
            await pd.get(
                "/api/v2/organizations/search", params={"term": "q", "exact_match": "true"}
            )
        )
        assert [i["item"]["name"] for i in found["items"]] == ["Q"]

    async def test_persons_search_shows_the_persons_organization(self, pd, sandbox):
        person = next(p for p in sandbox.pipedrive.persons.rows.values() if p["org_id"])
        org = sandbox.pipedrive.organizations.rows[person["org_id"]]
        found = await _ok(
            await pd.get(
                "/api/v2/persons/search",
                params={
                    "term": person["emails"][0]["value"],
                    "fields": "email",
                    "exact_match": "true",
                },
            )
        )
        assert found["items"][0]["item"]["organization"] == {
            "id": org["id"],
            "name": org["name"],
            "address": org["address"]["value"],
        }


def test_the_seeded_company_is_coherent():
    state = make_sandbox().pipedrive
    live_orgs = {o["id"] for o in state.organizations.rows.values()}
    for person in state.persons.rows.values():
        assert person["org_id"] is None or person["org_id"] in live_orgs
        assert person["emails"] and person["emails"][0]["primary"] is True
    for deal in state.deals.rows.values():
        assert deal["person_id"] in state.persons.rows and deal["org_id"] in (
            state.persons.rows[deal["person_id"]]["org_id"],
        )
    statuses = [d["status"] for d in state.deals.rows.values()]
    assert statuses.count("won") == 1 and statuses.count("lost") == 1
    lost = next(d for d in state.deals.rows.values() if d["status"] == "lost")
    assert lost["lost_reason"] and lost["close_time"] == lost["lost_time"] <= STAMP
