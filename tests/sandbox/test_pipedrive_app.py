"""The fake Pipedrive as the whole sandbox app serves it: seeded data, admin limits, OAuth, stats."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

from sandbox.state import PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET


async def test_seeded_account_is_served(pipedrive):
    me = (await pipedrive.get("/v1/users/me")).json()["data"]
    assert me["email"] == "anna.lindqvist@example.com"
    listed = (await pipedrive.get("/api/v2/activities", params={"limit": 500})).json()
    assert len(listed["data"]) == 39  # 40 seeded, one of them deleted
    assert all(a["owner_id"] == me["id"] for a in listed["data"])
    types = (await pipedrive.get("/api/v1/activityTypes")).json()["data"]
    assert [t["key_string"] for t in types if t["active_flag"]] == [
        "call", "meeting", "task", "deadline", "email", "lunch",
    ]  # fmt: skip


async def test_a_path_the_sandbox_does_not_fake_is_501_in_the_envelope(pipedrive):
    answer = await pipedrive.get("/api/v2/products")
    assert answer.status_code == 501
    body = answer.json()
    assert body["success"] is False and body["code"] == "ERR_NOT_IMPLEMENTED"
    assert body["error"] == "The calsync sandbox does not fake GET /api/v2/products"
    missing = await pipedrive.get("/api/v2/activities/99999")  # a real 404 stays one
    assert missing.status_code == 404 and missing.json()["code"] == "ERR_NOT_FOUND"


async def test_a_method_a_faked_route_does_not_take_is_405_saying_so(pipedrive):
    answer = await pipedrive.put("/api/v2/activities/1", json={})
    assert answer.status_code == 405 and answer.json()["code"] == "ERR_METHOD_NOT_ALLOWED"
    assert "does not fake PUT" in answer.json()["error"]


async def test_credentials_route_matches_the_api_token(pipedrive, admin):
    creds = (await admin.get("/_sandbox/pipedrive/credentials")).json()
    answer = await admin.get("/api/v2/activities", headers={"x-api-token": creds["api_token"]})
    assert answer.status_code == 200


async def test_admin_limits_put_the_plans_numbers_in_the_headers(pipedrive, admin):
    off = (await pipedrive.get("/api/v2/activities/2")).headers
    assert (off["x-ratelimit-limit"], off["x-daily-requests-left"]) == ("480", "210000")
    assert (await admin.post("/_sandbox/limits", json={"plan": "premium"})).status_code == 200
    answer = await pipedrive.get("/api/v2/activities/2")
    assert answer.headers["x-ratelimit-limit"] == "100"
    assert answer.headers["x-daily-requests-left"] == str(30_000 * 5 - 1)


async def test_admin_seed_and_state_dump(pipedrive, admin):
    seeded = await admin.post("/_sandbox/seed", json={"seed": 3, "activities": 2000, "persons": 50})
    assert seeded.status_code == 200
    dump = (await admin.get("/_sandbox/state")).json()["pipedrive"]
    assert len(dump["activities"]) == 2040 and len(dump["persons"]) == 80
    assert dump["users"][0]["name"] == "Anna Lindqvist"


async def test_oauth_through_the_app(admin):
    answer = await admin.get(
        "/oauth/authorize",
        params={
            "client_id": PIPEDRIVE_CLIENT_ID,
            "redirect_uri": "http://127.0.0.1:9/",
            "state": "z",
        },
    )
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    basic = base64.b64encode(f"{PIPEDRIVE_CLIENT_ID}:{PIPEDRIVE_CLIENT_SECRET}".encode()).decode()
    tokens = (
        await admin.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": "http://127.0.0.1:9/",
            },
            headers={"authorization": f"Basic {basic}"},
        )
    ).json()
    assert tokens["api_domain"] == "http://sandbox.test"
    me = await admin.get(
        tokens["api_domain"] + "/api/v1/users/me",
        headers={"authorization": f"Bearer {tokens['access_token']}"},
    )
    assert me.status_code == 200
