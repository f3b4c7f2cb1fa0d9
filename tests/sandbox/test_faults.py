"""Fault injection: each kind, in each service's own envelope, through the real clients."""

from __future__ import annotations

import httpx
import pytest
from googleapiclient.errors import HttpError

from sandbox import faults


def set_faults(url: str, **body) -> None:
    answer = httpx.post(url + "/_sandbox/faults", json=body)
    assert answer.status_code == 200, answer.text


def reason_of(err: HttpError) -> str:
    return err.error_details[0]["reason"]


def test_rate_limit_fault_in_the_429_form(live_sandbox, calendar):
    set_faults(live_sandbox.url, target="google", rate=1, kinds=["429"], count=1)
    with pytest.raises(HttpError) as caught:
        calendar.events().list(calendarId="primary").execute()
    assert caught.value.resp.status == 429
    assert reason_of(caught.value) == "rateLimitExceeded"
    assert caught.value.resp["retry-after"] == "1"
    calendar.events().list(calendarId="primary").execute()  # count used up: back to normal


def test_rate_limit_fault_in_the_403_form(live_sandbox, calendar):
    set_faults(live_sandbox.url, target="google", rate=1, kinds=["403"], count=1)
    with pytest.raises(HttpError) as caught:
        calendar.calendarList().list().execute()
    assert caught.value.resp.status == 403
    assert reason_of(caught.value) == "rateLimitExceeded"
    assert caught.value.error_details[0]["domain"] == "usageLimits"


def test_stale_sync_token_fault_gives_410_full_sync_required(live_sandbox, calendar):
    first = (
        calendar.events().list(calendarId="primary", singleEvents=True, maxResults=2500).execute()
    )
    token = first["nextSyncToken"]
    set_faults(live_sandbox.url, target="google", rate=1, kinds=["stale_sync_token"], count=1)
    with pytest.raises(HttpError) as caught:
        calendar.events().list(calendarId="primary", singleEvents=True, syncToken=token).execute()
    assert caught.value.resp.status == 410
    assert reason_of(caught.value) == "fullSyncRequired"


def test_expire_tokens_fault_is_healed_by_a_refresh(live_sandbox, calendar, google_creds):
    calendar.calendarList().list().execute()
    old = google_creds.token
    set_faults(live_sandbox.url, target="google", rate=1, kinds=["expire_tokens"], count=1)
    # google-auth sees the 401, refreshes through the sandbox's /token and retries.
    calendar.calendarList().list().execute()
    assert google_creds.token != old
    assert live_sandbox.sandbox.stats.snapshot()["requests"]["by_status"]["401"] == 1


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_error_faults_in_googles_envelope(live_sandbox, calendar, kind):
    set_faults(live_sandbox.url, target="google", rate=1, kinds=[kind], count=1)
    with pytest.raises(HttpError) as caught:
        calendar.calendarList().list().execute()
    assert caught.value.resp.status == int(kind)
    assert reason_of(caught.value) == "backendError"


@pytest.mark.parametrize("kind", ["429", "500", "503"])
async def test_error_faults_in_pipedrives_envelope(admin, pipedrive, kind):
    await admin.post(
        "/_sandbox/faults", json={"target": "pipedrive", "rate": 1, "kinds": [kind], "count": 1}
    )
    answer = await pipedrive.get("/api/v2/activities")
    assert answer.status_code == int(kind)
    body = answer.json()
    assert body["success"] is False and body["error"] and "error_info" in body
    assert (await pipedrive.get("/api/v2/activities")).status_code == 200


async def test_403_is_never_drawn_for_pipedrive(admin, pipedrive):
    await admin.post("/_sandbox/faults", json={"target": "pipedrive", "rate": 1, "kinds": ["403"]})
    for _ in range(5):
        assert (await pipedrive.get("/api/v2/activities")).status_code == 200


async def test_faults_respect_their_target(admin, pipedrive):
    await admin.post("/_sandbox/faults", json={"target": "google", "rate": 1, "kinds": ["500"]})
    assert (await pipedrive.get("/api/v2/activities")).status_code == 200


async def test_latency_fault_waits_then_answers(admin, pipedrive, monkeypatch):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # observed, not waited for
        waits.append(seconds)

    monkeypatch.setattr(faults, "sleep", sleep)
    await admin.post(
        "/_sandbox/faults",
        json={"target": "all", "rate": 1, "kinds": ["latency"], "latency_ms": 200, "count": 1},
    )
    assert (await pipedrive.get("/api/v2/activities")).status_code == 200
    assert (await pipedrive.get("/api/v2/activities")).status_code == 200  # count used up
    assert waits == [0.2]


async def test_drop_in_process_looks_like_a_lost_connection(admin, pipedrive):
    """Some dropped creates were applied (the answer was lost), some never arrived."""
    before = len((await pipedrive.get("/api/v2/activities", params={"limit": 500})).json()["data"])
    for i in range(12):
        await admin.post(
            "/_sandbox/faults",
            json={"target": "pipedrive", "rate": 1, "kinds": ["drop"], "count": 1},
        )
        with pytest.raises(httpx.RemoteProtocolError):
            await pipedrive.post(
                "/api/v2/activities",
                json={"subject": f"Dropped {i}", "type": "call", "due_date": "2026-12-01"},
            )
    after = len((await pipedrive.get("/api/v2/activities", params={"limit": 500})).json()["data"])
    assert 0 < after - before < 12
    stats = (await admin.get("/_sandbox/stats")).json()
    assert stats["faults_injected"]["drop"] == 12


def test_drop_over_loopback_closes_the_connection(live_sandbox):
    creds = httpx.get(live_sandbox.url + "/_sandbox/pipedrive/credentials").json()
    set_faults(live_sandbox.url, target="pipedrive", rate=1, kinds=["drop"], count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(
            live_sandbox.url + "/api/v2/activities", headers={"x-api-token": creds["api_token"]}
        )
    ok = httpx.get(
        live_sandbox.url + "/api/v2/activities", headers={"x-api-token": creds["api_token"]}
    )
    assert ok.status_code == 200


async def test_fault_rate_is_a_share_of_requests(admin, pipedrive):
    await admin.post(
        "/_sandbox/faults", json={"target": "pipedrive", "rate": 0.2, "kinds": ["500"]}
    )
    statuses = [(await pipedrive.get("/api/v1/users/me")).status_code for _ in range(200)]
    assert 20 <= statuses.count(500) <= 60
