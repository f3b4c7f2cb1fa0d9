"""The fake Pipedrive behaves like the real API v2/v1, its OAuth server and its rate limits."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from sandbox.app import http_exception
from sandbox.clock import Clock
from sandbox.limits import LimitsConfig
from sandbox.pipedrive.errors import PipedriveError, render_pipedrive_error
from sandbox.pipedrive.models import PipedriveState
from sandbox.pipedrive.routes import routes
from sandbox.pipedrive.seed import bulk, churn_step, seed_pipedrive
from sandbox.state import PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET
from sandbox.tokens import Grant, TokenStore

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TOKEN = "test-pipedrive-api-token"
BASE = "http://sandbox.test"
REDIRECT = "http://127.0.0.1:9/callback"


def make_sandbox(*, empty: bool = False, limits: LimitsConfig | None = None) -> SimpleNamespace:
    """What `request.app.state.sandbox` offers the Pipedrive routes, on a frozen clock."""
    clock = Clock(NOW)
    state = PipedriveState(clock)
    state.api_token = TOKEN
    seed_pipedrive(state, random.Random(2), empty=empty, now=NOW)
    return SimpleNamespace(
        clock=clock, tokens=TokenStore(clock), limits=limits or LimitsConfig(), pipedrive=state
    )


def make_app(sandbox: SimpleNamespace) -> Starlette:
    """The Pipedrive routes alone, with the error handlers `sandbox.app.create_app` installs."""
    app = Starlette(
        routes=routes,
        exception_handlers={
            PipedriveError: lambda request, exc: render_pipedrive_error(exc),
            HTTPException: http_exception,
        },
    )
    app.state.sandbox = sandbox
    return app


def client_for(sandbox: SimpleNamespace, **headers: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app(sandbox))
    return httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers)


@pytest.fixture
def sandbox() -> SimpleNamespace:
    return make_sandbox()


@pytest.fixture
async def pd(sandbox):
    async with client_for(sandbox, **{"x-api-token": TOKEN}) as client:
        yield client


def assert_envelope(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["error_info"], str)
    assert isinstance(body["code"], str)
    return body


MEETING = {
    "subject": "Kickoff",
    "type": "meeting",
    "due_date": "2026-12-01",
    "due_time": "09:30",
    "duration": "01:00",
}


class TestActivitiesCrud:
    async def test_create_answers_200_with_the_activity(self, pd):
        answer = await pd.post(
            "/api/v2/activities",
            json={
                **MEETING,
                "location": {"value": "Kungsgatan 5"},
                "participants": [{"person_id": 1}],
            },
        )
        assert answer.status_code == 200
        data = answer.json()["data"]
        assert data["subject"] == "Kickoff" and data["type"] == "meeting"
        assert (data["due_date"], data["due_time"], data["duration"]) == (
            "2026-12-01",
            "09:30",
            "01:00",
        )
        assert data["location"]["value"] == "Kungsgatan 5"
        assert data["participants"] == [{"person_id": 1, "primary": True}]
        assert data["person_id"] == 1
        assert data["is_deleted"] is False and data["busy"] is True and data["done"] is False
        assert data["add_time"] == data["update_time"] == "2026-11-25T10:00:00Z"
        assert "attendees" not in data

    async def test_patch_changes_only_what_is_sent_and_bumps_update_time(self, pd, sandbox):
        created = (await pd.post("/api/v2/activities", json=MEETING)).json()["data"]
        sandbox.clock.advance(5)
        answer = await pd.patch(
            f"/api/v2/activities/{created['id']}", json={"subject": "Moved", "due_time": "10:15:30"}
        )
        assert answer.status_code == 200
        data = answer.json()["data"]
        assert data["subject"] == "Moved" and data["due_time"] == "10:15"
        assert data["due_date"] == created["due_date"] and data["duration"] == "01:00"
        assert data["update_time"] == "2026-11-25T10:00:05Z" > created["update_time"]
        got = (await pd.get(f"/api/v2/activities/{created['id']}")).json()["data"]
        assert got == data

    async def test_delete_is_soft_then_404(self, pd):
        created = (await pd.post("/api/v2/activities", json=MEETING)).json()["data"]
        answer = await pd.delete(f"/api/v2/activities/{created['id']}")
        assert answer.status_code == 200
        assert answer.json() == {"success": True, "data": {"id": created["id"]}}
        for method in ("GET", "PATCH", "DELETE"):
            again = await pd.request(method, f"/api/v2/activities/{created['id']}", json={})
            assert assert_envelope(again, 404)["code"] == "ERR_NOT_FOUND"

    async def test_unknown_id_is_404_and_bad_id_is_400(self, pd):
        assert_envelope(await pd.get("/api/v2/activities/99999"), 404)
        assert_envelope(await pd.get("/api/v2/activities/abc"), 400)

    async def test_all_day_activity_has_no_due_time(self, pd):
        body = {"subject": "Offsite", "type": "task", "due_date": "2026-12-24"}
        data = (await pd.post("/api/v2/activities", json=body)).json()["data"]
        assert data["due_time"] is None and data["duration"] is None

    async def test_done_sets_marked_as_done_time(self, pd):
        created = (await pd.post("/api/v2/activities", json=MEETING)).json()["data"]
        data = (await pd.patch(f"/api/v2/activities/{created['id']}", json={"done": True})).json()[
            "data"
        ]
        assert data["done"] is True and data["marked_as_done_time"] == "2026-11-25T10:00:00Z"

    async def test_update_time_never_goes_backwards(self, pd, sandbox):
        created = (await pd.post("/api/v2/activities", json=MEETING)).json()["data"]
        sandbox.clock.set(NOW - timedelta(hours=1))
        data = (
            await pd.patch(f"/api/v2/activities/{created['id']}", json={"subject": "x"})
        ).json()["data"]
        assert data["update_time"] >= created["update_time"]


class TestValidation:
    async def test_person_id_is_read_only(self, pd):
        body = assert_envelope(
            await pd.post("/api/v2/activities", json={**MEETING, "person_id": 1}), 400
        )
        assert "participants" in body["error"]
        assert body["code"] == "ERR_SCHEMA_VALIDATION_FAILED"
        assert body["data"] is None and body["additional_data"] is None

    @pytest.mark.parametrize(
        "patch",
        [
            {"type": "no-such-type"},
            {"type": "demo"},  # the seeded inactive type
            {"busy": "true"},
            {"done": 1},
            {"private": None},
            {"due_date": "2026-02-30"},
            {"due_date": "01/12/2026"},
            {"due_time": "24:00"},
            {"due_time": "9.30"},
            {"duration": "1h"},
            {"subject": 12},
            {"subject": "x" * 256},
            {"deal_id": 99999},
            {"org_id": "1"},
            {"owner_id": 5},
            {"participants": [{"person_id": 99999}]},
            {
                "participants": [
                    {"person_id": 1, "primary": True},
                    {"person_id": 2, "primary": True},
                ]
            },
            {"attendees": [{"name": "no email"}]},
            {"location": "Kungsgatan 5"},
            {"lead_id": "not-a-uuid"},
        ],
    )
    async def test_bad_fields_are_400(self, pd, patch):
        assert_envelope(await pd.post("/api/v2/activities", json={**MEETING, **patch}), 400)

    @pytest.mark.parametrize("raw", [b"", b"{", b"[]", b'"text"', b"42", b"null", b'{"a": NaN}'])
    async def test_bodies_that_are_not_json_objects_are_400(self, pd, raw):
        answer = await pd.post(
            "/api/v2/activities", content=raw, headers={"content-type": "application/json"}
        )
        assert_envelope(answer, 400)

    async def test_lone_surrogates_are_400(self, pd):
        raw = b'{"subject": "\\ud800", "type": "call"}'
        assert_envelope(await pd.post("/api/v2/activities", content=raw), 400)

    async def test_crafted_cursor_of_the_wrong_type_is_400(self, pd):
        raw = b'{"field":"update_time","fieldValue":5,"sortDirection":"asc","id":1}'
        cursor = base64.urlsafe_b64encode(raw).decode()
        answer = await pd.get(
            "/api/v2/activities", params={"cursor": cursor, "sort_by": "update_time"}
        )
        assert_envelope(answer, 400)

    async def test_unknown_fields_are_ignored(self, pd):
        answer = await pd.post("/api/v2/activities", json={**MEETING, "colour": "red", "id": 5})
        assert answer.status_code == 200
        assert "colour" not in answer.json()["data"] and answer.json()["data"]["id"] != 5

    async def test_wrong_method_is_405_in_envelope(self, pd):
        assert_envelope(await pd.put("/api/v2/activities/1", json={}), 405)


async def _all_pages(pd, params: dict) -> list[dict]:
    seen: list[dict] = []
    cursor = None
    for _ in range(100):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        answer = await pd.get("/api/v2/activities", params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen.extend(body["data"])
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("pagination did not end")


class TestListing:
    @pytest.fixture
    def sandbox(self):
        box = make_sandbox(empty=True)
        bulk(box.pipedrive, random.Random(5), activities=250, persons=20, now=NOW)
        return box

    async def test_cursor_pages_of_100_return_each_activity_once(self, pd):
        first = (await pd.get("/api/v2/activities", params={"limit": 100})).json()
        assert len(first["data"]) == 100 and first["additional_data"]["next_cursor"]
        seen = await _all_pages(pd, {"limit": 100})
        ids = [a["id"] for a in seen]
        assert len(ids) == 250 and sorted(ids) == ids and len(set(ids)) == 250

    @pytest.mark.parametrize(
        ("sort_by", "direction"),
        [
            ("id", "desc"),
            ("due_date", "asc"),
            ("due_date", "desc"),
            ("update_time", "asc"),
            ("add_time", "desc"),
        ],
    )
    async def test_every_sort_pages_without_gaps_or_repeats(self, pd, sort_by, direction):
        seen = await _all_pages(pd, {"limit": 37, "sort_by": sort_by, "sort_direction": direction})
        ids = [a["id"] for a in seen]
        assert sorted(ids) == list(range(1, 251))
        keys = [(a[sort_by] or "", a["id"]) for a in seen]
        assert keys == sorted(keys, reverse=direction == "desc")

    async def test_default_limit_is_100(self, pd):
        assert len((await pd.get("/api/v2/activities")).json()["data"]) == 100

    @pytest.mark.parametrize("limit", ["501", "0", "-1", "ten", "1.5"])
    async def test_bad_limit_is_400(self, pd, limit):
        assert_envelope(await pd.get("/api/v2/activities", params={"limit": limit}), 400)

    async def test_limit_500_is_fine(self, pd):
        answer = await pd.get("/api/v2/activities", params={"limit": 500})
        assert answer.status_code == 200 and len(answer.json()["data"]) == 250

    @pytest.mark.parametrize(
        "params",
        [
            {"cursor": "not-a-cursor"},
            {"sort_by": "subject"},
            {"sort_direction": "up"},
            {"updated_since": "yesterday"},
            {"ids": "1,x"},
            {"ids": ",".join(str(i) for i in range(1, 102))},
            {"done": "1"},
            {"include_fields": "attendees,secrets"},
            {"owner_id": "me"},
        ],
    )
    async def test_bad_query_parameters_are_400(self, pd, params):
        assert_envelope(await pd.get("/api/v2/activities", params=params), 400)

    async def test_cursor_from_another_sort_is_400(self, pd):
        cursor = (await pd.get("/api/v2/activities", params={"limit": 10})).json()[
            "additional_data"
        ]["next_cursor"]
        answer = await pd.get(
            "/api/v2/activities", params={"cursor": cursor, "sort_by": "due_date"}
        )
        assert_envelope(answer, 400)

    async def test_updated_since_returns_changes_and_soft_deletions(self, pd, sandbox):
        sandbox.clock.advance(60)
        since = "2026-11-25T10:01:00Z"
        await pd.patch("/api/v2/activities/10", json={"subject": "Renamed"})
        await pd.delete("/api/v2/activities/20")
        created = (await pd.post("/api/v2/activities", json=MEETING)).json()["data"]
        changed = await _all_pages(pd, {"updated_since": since})
        assert {a["id"]: a["is_deleted"] for a in changed} == {
            10: False,
            20: True,
            created["id"]: False,
        }
        live = await _all_pages(pd, {"limit": 500})
        assert 20 not in {a["id"] for a in live} and len(live) == 250
        before = await _all_pages(pd, {"updated_until": since})
        assert {a["id"] for a in before} == set(range(1, 251)) - {10, 20}

    async def test_filters(self, pd, sandbox):
        await pd.patch(
            "/api/v2/activities/3", json={"done": True, "participants": [{"person_id": 4}]}
        )
        done = await _all_pages(pd, {"done": "true", "limit": 500})
        assert 3 in {a["id"] for a in done} and all(a["done"] for a in done)
        ids = await _all_pages(pd, {"ids": "3,5,7"})
        assert [a["id"] for a in ids] == [3, 5, 7]
        by_person = await _all_pages(pd, {"person_id": 4})
        assert 3 in {a["id"] for a in by_person}
        assert all(any(p["person_id"] == 4 for p in a["participants"]) for a in by_person)
        assert await _all_pages(pd, {"owner_id": 42}) == []

    async def test_attendees_only_when_asked(self, pd):
        body = {**MEETING, "attendees": [{"email": "guest@example.net", "name": "Guest"}]}
        created = (await pd.post("/api/v2/activities", json=body)).json()["data"]
        assert created["attendees"][0]["email"] == "guest@example.net"
        plain = (await pd.get("/api/v2/activities", params={"ids": created["id"]})).json()["data"][
            0
        ]
        assert "attendees" not in plain
        asked = (
            await pd.get(
                "/api/v2/activities", params={"ids": created["id"], "include_fields": "attendees"}
            )
        ).json()["data"][0]
        assert asked["attendees"] == [
            {
                "email": "guest@example.net",
                "name": "Guest",
                "status": "noreply",
                "is_organizer": False,
                "person_id": None,
                "user_id": None,
            }
        ]
        one = await pd.get(
            f"/api/v2/activities/{created['id']}", params={"include_fields": "attendees"}
        )
        assert one.json()["data"]["attendees"] == asked["attendees"]

    async def test_attendee_matched_to_person_by_email(self, pd, sandbox):
        person = sandbox.pipedrive.persons.rows[1]
        email = person["emails"][0]["value"].upper()
        data = (
            await pd.post("/api/v2/activities", json={**MEETING, "attendees": [{"email": email}]})
        ).json()["data"]
        assert (
            data["attendees"][0]["person_id"] == 1
            and data["attendees"][0]["name"] == person["name"]
        )


class TestAuth:
    async def test_header_token(self, sandbox):
        async with client_for(sandbox, **{"x-api-token": TOKEN}) as client:
            assert (await client.get("/api/v2/activities")).status_code == 200

    async def test_query_token(self, sandbox):
        async with client_for(sandbox) as client:
            answer = await client.get("/api/v2/activities", params={"api_token": TOKEN})
            assert answer.status_code == 200

    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"x-api-token": "wrong"},
            {"authorization": "Bearer nope"},
            {"authorization": "Basic eDp5"},
        ],
    )
    async def test_bad_or_missing_token_is_401(self, sandbox, headers):
        async with client_for(sandbox, **headers) as client:
            for path in ("/api/v2/activities", "/v1/users/me", "/api/v2/persons/1"):
                body = assert_envelope(await client.get(path), 401)
                assert body["code"] == "ERR_UNAUTHORIZED"

    async def test_users_me_under_both_v1_paths(self, pd):
        for path in ("/v1/users/me", "/api/v1/users/me"):
            data = (await pd.get(path)).json()["data"]
            assert (
                data["name"] == "Anna Lindqvist" and data["email"] == "anna.lindqvist@example.com"
            )
            assert (
                data["timezone_name"] == "Europe/Stockholm"
                and data["company_domain"] == "lindqvistsales"
            )
            assert isinstance(data["id"], int) and isinstance(data["company_id"], int)
            assert data["timezone_offset"] == "+01:00"  # Stockholm in November

    async def test_activity_types(self, pd):
        answer = (await pd.get("/api/v1/activityTypes")).json()
        assert answer["success"] is True
        types = {t["key_string"]: t for t in answer["data"]}
        assert {"call", "meeting", "task", "deadline", "email", "lunch"} <= set(types)
        assert all(
            types[k]["active_flag"]
            for k in ("call", "meeting", "task", "deadline", "email", "lunch")
        )
        assert any(not t["active_flag"] for t in types.values())
        assert set(types["call"]) >= {
            "id", "name", "key_string", "icon_key", "active_flag", "color", "order_nr",
            "is_custom_flag", "add_time", "update_time",
        }  # fmt: skip


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class TestOAuth:
    async def _code(self, client: httpx.AsyncClient) -> str:
        answer = await client.get(
            "/oauth/authorize",
            params={
                "client_id": PIPEDRIVE_CLIENT_ID,
                "redirect_uri": REDIRECT,
                "state": "s1",
                "response_type": "code",
            },
        )
        assert answer.status_code == 302
        location = urlsplit(answer.headers["location"])
        assert location.netloc == "127.0.0.1:9" and location.path == "/callback"
        query = parse_qs(location.query)
        assert query["state"] == ["s1"]
        return query["code"][0]

    async def test_code_token_refresh_and_api_domain(self, sandbox):
        async with client_for(sandbox) as client:
            code = await self._code(client)
            auth = {"authorization": _basic(PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET)}
            form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
            tokens = (await client.post("/oauth/token", data=form, headers=auth)).json()
            assert tokens["token_type"] == "Bearer" and tokens["api_domain"] == BASE
            assert tokens["expires_in"] == 3600 and tokens["refresh_token"] and tokens["scope"]
            bearer = {"authorization": f"Bearer {tokens['access_token']}"}
            me = await client.get("/v1/users/me", headers=bearer)
            assert me.status_code == 200 and me.json()["data"]["name"] == "Anna Lindqvist"

            again = await client.post("/oauth/token", data=form, headers=auth)
            assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

            refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
            renewed = (await client.post("/oauth/token", data=refresh, headers=auth)).json()
            assert renewed["access_token"] != tokens["access_token"]
            assert (
                renewed["refresh_token"] == tokens["refresh_token"]
                and renewed["api_domain"] == BASE
            )
            listed = await client.get(
                "/api/v2/activities", headers={"authorization": f"Bearer {renewed['access_token']}"}
            )
            assert listed.status_code == 200

    async def test_client_credentials_in_the_form(self, sandbox):
        async with client_for(sandbox) as client:
            code = await self._code(client)
            form = {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "client_id": PIPEDRIVE_CLIENT_ID,
                "client_secret": PIPEDRIVE_CLIENT_SECRET,
            }
            assert (await client.post("/oauth/token", data=form)).status_code == 200

    async def test_oauth_errors(self, sandbox):
        async with client_for(sandbox) as client:
            good = {"authorization": _basic(PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET)}
            bad_client = await client.post(
                "/oauth/token",
                data={"grant_type": "refresh_token", "refresh_token": "x"},
                headers={"authorization": _basic(PIPEDRIVE_CLIENT_ID, "wrong")},
            )
            assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
            assert bad_client.json()["success"] is False and bad_client.json()["message"]
            bad_code = await client.post(
                "/oauth/token",
                data={"grant_type": "authorization_code", "code": "nope", "redirect_uri": REDIRECT},
                headers=good,
            )
            assert bad_code.status_code == 400 and bad_code.json()["error"] == "invalid_grant"
            code = await self._code(client)
            mismatch = await client.post(
                "/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": "http://127.0.0.1:9/other",
                },
                headers=good,
            )
            assert mismatch.json()["error"] == "invalid_grant"
            bad_refresh = await client.post(
                "/oauth/token",
                data={"grant_type": "refresh_token", "refresh_token": "r1:nope"},
                headers=good,
            )
            assert bad_refresh.json()["error"] == "invalid_grant"
            bad_type = await client.post(
                "/oauth/token", data={"grant_type": "password"}, headers=good
            )
            assert bad_type.json()["error"] == "unsupported_grant_type"
            unknown = await client.get(
                "/oauth/authorize", params={"client_id": "other", "redirect_uri": REDIRECT}
            )
            assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_client"

    async def test_expired_access_token_is_401(self, sandbox):
        async with client_for(sandbox) as client:
            code = await self._code(client)
            form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
            auth = {"authorization": _basic(PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET)}
            tokens = (await client.post("/oauth/token", data=form, headers=auth)).json()
            sandbox.clock.advance(3600)
            answer = await client.get(
                "/v1/users/me", headers={"authorization": f"Bearer {tokens['access_token']}"}
            )
            assert_envelope(answer, 401)


class TestRateLimits:
    async def test_with_limits_off_every_answer_has_ultimates_numbers_never_zero(self, pd):
        """Off: the headers say what Pipedrive's most generous plan would, and nothing is refused."""
        seen = []
        for _ in range(490):  # more than the window holds: on a frozen clock all are in it
            answer = await pd.get("/api/v2/activities/1")
            assert answer.status_code == 200
            seen.append(answer.headers)
        for missing in (
            await pd.get("/api/v2/activities/99999"),
            await pd.get("/api/v2/deals/abc"),
        ):
            assert missing.status_code in (400, 404)
            seen.append(missing.headers)
        assert {h["x-ratelimit-limit"] for h in seen} == {"480"}
        remaining = [int(h["x-ratelimit-remaining"]) for h in seen]
        assert remaining[0] == 479 and min(remaining) == 1  # counted, stopping at 1
        assert {h["x-ratelimit-reset"] for h in seen} == {"2"}
        assert {h["x-daily-requests-left"] for h in seen} == {"210000"}  # nothing is charged

    async def test_with_limits_off_oauth_tokens_see_the_same_numbers(self, sandbox):
        grant = Grant("pipedrive", PIPEDRIVE_CLIENT_ID, str(sandbox.pipedrive.user_id), "base")
        access, _, _ = sandbox.tokens.issue(grant)
        async with client_for(sandbox, authorization=f"Bearer {access}") as client:
            answer = await client.get("/api/v1/users/me")
        assert answer.status_code == 200 and answer.headers["x-ratelimit-limit"] == "480"

    async def test_a_bad_token_gets_no_rate_headers(self, sandbox):
        async with client_for(sandbox, **{"x-api-token": "wrong"}) as client:
            answer = await client.get("/api/v2/activities")
        assert answer.status_code == 401
        assert not [h for h in answer.headers if h.startswith("x-ratelimit")]

    async def test_burst_headers_count_down_then_429_with_retry_after(self):
        box = make_sandbox(limits=LimitsConfig.from_plan("lite"))
        async with client_for(box, **{"x-api-token": TOKEN}) as client:
            remaining = []
            for _ in range(20):
                answer = await client.get("/api/v2/persons/1")
                assert answer.status_code == 200
                assert answer.headers["x-ratelimit-limit"] == "20"
                assert answer.headers["x-ratelimit-reset"] == "2"
                remaining.append(int(answer.headers["x-ratelimit-remaining"]))
            assert remaining == list(range(19, -1, -1))
            over = await client.get("/api/v2/persons/1")
            body = assert_envelope(over, 429)
            assert body["code"] == "ERR_TOO_MANY_REQUESTS"
            assert (
                over.headers["retry-after"] == "2" and over.headers["x-ratelimit-remaining"] == "0"
            )
            box.clock.advance(2)
            assert (await client.get("/api/v2/persons/1")).status_code == 200

    async def test_errors_carry_rate_headers_too(self):
        box = make_sandbox(limits=LimitsConfig.from_plan("growth"))
        async with client_for(box, **{"x-api-token": TOKEN}) as client:
            missing = await client.get("/api/v2/activities/99999")
            assert missing.status_code == 404 and missing.headers["x-ratelimit-limit"] == "40"
            assert "x-daily-requests-left" in missing.headers

    async def test_oauth_tokens_get_four_times_the_burst(self):
        box = make_sandbox(limits=LimitsConfig.from_plan("lite", auth="oauth"))
        async with client_for(box, **{"x-api-token": TOKEN}) as client:
            assert (await client.get("/v1/users/me")).headers["x-ratelimit-limit"] == "80"

    async def test_daily_budget_runs_out_then_resets_at_utc_midnight(self):
        box = make_sandbox(limits=LimitsConfig(pipedrive_daily_tokens=25))
        async with client_for(box, **{"x-api-token": TOKEN}) as client:
            first = await client.get("/api/v2/activities")
            assert first.headers["x-daily-requests-left"] == "15"
            assert first.headers["x-ratelimit-limit"] == "480"  # the burst limit is off
            second = await client.get("/api/v2/activities")
            assert second.headers["x-daily-requests-left"] == "5"
            over = await client.get("/api/v2/activities")
            assert_envelope(over, 429)
            assert over.headers["retry-after"] == str(14 * 3600)
            assert over.headers["x-daily-requests-left"] == "5"
            cheap = await client.get("/api/v2/activities/1")  # a get costs 1 token: still fits
            assert cheap.status_code in (200, 404) and cheap.headers["x-daily-requests-left"] == "4"
            box.clock.advance(14 * 3600)
            again = await client.get("/api/v2/activities")
            assert again.status_code == 200 and again.headers["x-daily-requests-left"] == "15"


class TestPersonsOrganizationsDeals:
    async def test_search_by_email(self, pd, sandbox):
        person = sandbox.pipedrive.persons.rows[7]
        email = person["emails"][0]["value"]
        answer = await pd.get(
            "/api/v2/persons/search",
            params={"term": email, "fields": "email", "exact_match": "true"},
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["success"] is True and body["additional_data"]["next_cursor"] is None
        items = body["data"]["items"]
        assert [i["item"]["id"] for i in items] == [7]
        assert items[0]["item"]["emails"] == [email] and items[0]["item"]["name"] == person["name"]
        assert isinstance(items[0]["result_score"], float)
        miss = await pd.get(
            "/api/v2/persons/search", params={"term": "nobody@nowhere.test", "fields": "email"}
        )
        assert miss.json()["data"]["items"] == []

    async def test_search_needs_a_term(self, pd):
        assert_envelope(await pd.get("/api/v2/persons/search", params={"term": "a"}), 400)
        assert_envelope(
            await pd.get("/api/v2/persons/search", params={"term": "ab", "fields": "bio"}), 400
        )

    async def test_create_get_and_list_persons(self, pd):
        body = {
            "name": "Åsa Öhman",
            "emails": [{"value": "asa@example.se", "label": "work"}],
            "org_id": 1,
        }
        created = await pd.post("/api/v2/persons", json=body)
        assert created.status_code == 200
        data = created.json()["data"]
        assert (data["first_name"], data["last_name"]) == ("Åsa", "Öhman")
        assert data["emails"] == [{"value": "asa@example.se", "primary": True, "label": "work"}]
        assert (await pd.get(f"/api/v2/persons/{data['id']}")).json()["data"] == data
        listed = (await pd.get("/api/v2/persons", params={"limit": 500})).json()
        assert len(listed["data"]) == 31 and listed["additional_data"]["next_cursor"] is None
        assert_envelope(await pd.post("/api/v2/persons", json={"emails": []}), 400)
        assert_envelope(await pd.post("/api/v2/persons", json={"name": "X", "org_id": 9999}), 400)

    async def test_update_and_delete_person(self, pd):
        patched = await pd.patch(
            "/api/v2/persons/2", json={"emails": [{"value": "new@example.com"}]}
        )
        assert patched.json()["data"]["emails"][0]["value"] == "new@example.com"
        found = await pd.get(
            "/api/v2/persons/search",
            params={"term": "new@example.com", "exact_match": "true", "fields": "email"},
        )
        assert [i["item"]["id"] for i in found.json()["data"]["items"]] == [2]
        assert (await pd.delete("/api/v2/persons/2")).json() == {"success": True, "data": {"id": 2}}
        assert_envelope(await pd.get("/api/v2/persons/2"), 404)

    async def test_organizations_and_deals(self, pd):
        orgs = (await pd.get("/api/v2/organizations")).json()
        assert len(orgs["data"]) == 10 and orgs["additional_data"]["next_cursor"] is None
        org = (await pd.get(f"/api/v2/organizations/{orgs['data'][0]['id']}")).json()["data"]
        assert org["name"] == orgs["data"][0]["name"]
        deals = (await pd.get("/api/v2/deals", params={"limit": 4})).json()
        assert len(deals["data"]) == 4 and deals["additional_data"]["next_cursor"]
        deal = (await pd.get(f"/api/v2/deals/{deals['data'][0]['id']}")).json()["data"]
        assert deal["title"] and deal["status"] == "open"
        assert_envelope(await pd.get("/api/v2/deals/9999"), 404)
        assert_envelope(await pd.get("/api/v2/organizations/9999"), 404)


class TestSeed:
    def test_seed_is_deterministic_and_realistic(self):
        one, two = make_sandbox().pipedrive, make_sandbox().pipedrive
        assert one.state_dump() == two.state_dump()
        activities = list(one.activities.rows.values())
        assert len(activities) == 40 and len(one.persons) == 30 and len(one.organizations) == 10
        assert sum(a["is_deleted"] for a in activities) == 1
        assert any(a["due_time"] is None for a in activities)
        assert any(a["duration"] for a in activities) and any(a["private"] for a in activities)
        assert any(a["done"] for a in activities) and any(a["attendees"] for a in activities)
        assert any(a["deal_id"] for a in activities) and any(a["participants"] for a in activities)
        assert len({a["type"] for a in activities}) >= 4
        due = {a["due_date"] for a in activities}
        assert min(due) >= "2026-10-26" and max(due) <= "2027-11-25"
        assert all(a["update_time"] <= "2026-11-25T10:00:00Z" for a in activities)

    def test_empty_seed_has_user_and_types_only(self):
        state = make_sandbox(empty=True).pipedrive
        assert state.user["name"] == "Anna Lindqvist" and len(state.activity_types) == 7
        assert len(state.activities) == len(state.persons) == len(state.deals) == 0

    def test_bulk_ten_thousand_activities_in_the_window(self):
        """(How fast: bench/sandbox.py.)"""
        state = make_sandbox(empty=True).pipedrive
        bulk(state, random.Random(1), activities=10_000, persons=500, now=NOW)
        assert len(state.activities) == 10_000 and len(state.persons) == 500
        due = [a["due_date"] for a in state.activities.rows.values()]
        assert min(due) >= "2026-10-26" and max(due) <= "2027-11-25"

    def test_churn_is_deterministic(self):
        def run() -> list[str]:
            state = make_sandbox().pipedrive
            rng = random.Random(9)
            return [churn_step(state, rng, NOW + timedelta(minutes=i)) for i in range(30)]

        steps = run()
        assert steps == run()
        assert {s.split()[0] for s in steps} == {"created", "moved", "renamed", "deleted"}
