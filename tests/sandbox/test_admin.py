"""The admin surface under /_sandbox/, exactly as docs/design.md's table has it
("The sandbox's admin surface")."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from sandbox.app import create_app
from sandbox.transport import SandboxTransport

FROZEN = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=SandboxTransport(app=app), base_url="http://sandbox.test")


async def test_client_secret_json_points_at_the_sandbox(admin):
    body = (await admin.get("/_sandbox/google/client_secret.json")).json()
    installed = body["installed"]
    assert set(installed) >= {
        "client_id",
        "client_secret",
        "auth_uri",
        "token_uri",
        "redirect_uris",
    }
    assert installed["auth_uri"] == "http://sandbox.test/o/oauth2/auth"
    assert installed["token_uri"] == "http://sandbox.test/token"


async def test_pipedrive_credentials_work(admin):
    creds = (await admin.get("/_sandbox/pipedrive/credentials")).json()
    assert creds["api_domain"] == "http://sandbox.test"
    me = await admin.get("/api/v1/users/me", headers={"x-api-token": creds["api_token"]})
    assert me.status_code == 200
    assert me.json()["data"]["email"]


async def test_stats_count_api_requests_by_route_not_admin(admin, pipedrive):
    await pipedrive.get("/api/v2/activities")
    await pipedrive.get("/api/v2/activities")
    await pipedrive.get("/api/v1/users/me")
    stats = (await admin.get("/_sandbox/stats")).json()
    assert stats["requests"]["total"] == 3
    assert stats["requests"]["by_route"]["GET /api/v2/activities"] == 2
    assert stats["requests"]["by_service"] == {"pipedrive": 3}


async def test_reset_goes_back_to_the_start(admin, pipedrive):
    before = (await admin.get("/_sandbox/state")).json()
    created = await pipedrive.post(
        "/api/v2/activities", json={"subject": "Extra", "type": "call", "due_date": "2026-12-01"}
    )
    assert created.status_code == 200
    assert (await admin.post("/_sandbox/reset")).json() == {"ok": True}
    after = (await admin.get("/_sandbox/state")).json()
    assert len(after["pipedrive"]["activities"]) == len(before["pipedrive"]["activities"])
    assert (await admin.get("/_sandbox/stats")).json()["requests"]["total"] == 0


async def test_state_dumps_both_services(admin):
    state = (await admin.get("/_sandbox/state")).json()
    assert {"google", "pipedrive", "faults", "limits", "churn", "now"} <= set(state)


async def test_seed_is_deterministic_and_bulk():
    dumps = []
    for _ in range(2):
        app = create_app(seed=3, empty=True, frozen_time=FROZEN)
        async with client_for(app) as client:
            answer = await client.post(
                "/_sandbox/seed", json={"seed": 42, "events": 300, "activities": 200, "persons": 50}
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["events"] == 300
            dumps.append((await client.get("/_sandbox/state")).json())
    assert dumps[0]["google"] == dumps[1]["google"]
    assert dumps[0]["pipedrive"] == dumps[1]["pipedrive"]


@pytest.mark.parametrize(
    "body",
    [
        {"seed": "x"},
        {"events": -1},
        {"activities": True},
        [1, 2],
    ],
)
async def test_seed_refuses_bad_bodies(admin, body):
    answer = await admin.post("/_sandbox/seed", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"kinds": ["teapot"]},
        {"kinds": ["429"], "rate": 2},
        {"kinds": ["429"], "target": "yahoo"},
        {"kinds": []},
        {"kinds": ["latency"], "latency_ms": "slow"},
        {"kinds": ["500"], "count": 0},
    ],
)
async def test_faults_refuse_bad_bodies(admin, body):
    answer = await admin.post("/_sandbox/faults", json=body)
    assert answer.status_code == 400


async def test_faults_set_and_cleared(admin):
    answer = await admin.post(
        "/_sandbox/faults", json={"target": "pipedrive", "rate": 0.5, "kinds": ["500"]}
    )
    assert answer.json()["faults"]["rate"] == 0.5
    await admin.delete("/_sandbox/faults")
    assert (await admin.get("/_sandbox/stats")).json()["faults"]["rate"] == 0


async def test_limits_by_plan_and_explicit(admin):
    growth = (
        await admin.post("/_sandbox/limits", json={"plan": "growth", "auth": "oauth"})
    ).json()["limits"]
    assert growth["pipedrive_burst_per_2s"] == 160
    assert growth["pipedrive_daily_tokens"] == 60_000
    assert growth["google_per_user_per_minute"] == 600
    explicit = (await admin.post("/_sandbox/limits", json={"pipedrive_burst_per_2s": 5})).json()[
        "limits"
    ]
    assert explicit["pipedrive_burst_per_2s"] == 5
    assert explicit["google_per_user_per_minute"] is None
    assert (await admin.post("/_sandbox/limits", json={"plan": "platinum"})).status_code == 400
    off = (await admin.post("/_sandbox/limits", json={"plan": "off"})).json()["limits"]
    assert off["pipedrive_burst_per_2s"] is None


async def test_churn_edits_both_sides_as_time_passes():
    app = create_app(seed=1, frozen_time=FROZEN)
    sandbox = app.state.sandbox
    async with client_for(app) as client:
        before = (await client.get("/_sandbox/state")).json()
        assert (await client.post("/_sandbox/churn", json={"per_minute": 30})).json()[
            "per_minute"
        ] == 30
        sandbox.clock.advance(60)
        after = (await client.get("/_sandbox/state")).json()
        assert len(sandbox.churn.log) == 30
        assert any(line.startswith("google") for line in sandbox.churn.log)
        assert any(line.startswith("pipedrive") for line in sandbox.churn.log)
        assert before["google"] != after["google"] and before["pipedrive"] != after["pipedrive"]
        assert (await client.post("/_sandbox/churn", json={"per_minute": -1})).status_code == 400
