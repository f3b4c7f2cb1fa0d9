"""Pipedrive over httpx: the user, activity types, activities (v2, cursor pages,
updated_since), linked persons/organizations/deals, paced by the rate-limit headers.

Creates are made idempotent with a marker in the activity's `note` (internal to
Pipedrive, never synced out): when the answer to a create is lost, the marker tells
whether it happened before anything is written again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from . import pacing
from .http import AmbiguousWrite, ApiError, Http, server_time
from .pacing import Window

PAGE_LIMIT = 500
MAX_IDS = 100  # ids per list request (the API's limit)
BURST_WINDOW = 2.1  # Pipedrive's burst limit counts requests per 2 s; a tenth of margin


def _ts(when: datetime) -> str:
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


class RateGate:
    """Paces requests to Pipedrive's burst limit so a 429 never has to happen.

    The limit comes from the first answer's `x-ratelimit-limit` (requests per 2-second
    window); from then on a client-side window counts every request as it leaves, several in
    flight included, which the `x-ratelimit-remaining` of finished requests cannot do."""

    def __init__(self) -> None:
        self.window: Window | None = None
        self.daily_left: int | None = None

    async def before(self, calls: int = 1) -> None:
        if self.window is not None:
            await self.window.acquire(calls)

    async def observe(self, response: httpx.Response) -> None:
        headers = response.headers
        try:
            limit = int(headers.get("x-ratelimit-limit") or 0)
            if limit > 0:
                if self.window is None:
                    self.window = Window(limit, BURST_WINDOW)
                    self.window.sent.append(pacing.clock())  # this first request counts too
                self.window.limit = limit  # (a changed plan changes it)
                if response.status_code == 429:
                    # Overrun all the same (its clock starts on arrival, and requests can
                    # arrive bunched): the other workers wait too, not only the one refused.
                    self.window.hold(float(headers.get("retry-after") or 2))
            if "x-daily-requests-left" in headers:
                self.daily_left = int(headers["x-daily-requests-left"])
        except ValueError:
            pass


@dataclass(frozen=True, slots=True)
class Listing:
    """Every page of one activities listing, and when it began by Pipedrive's own clock (the
    first page's Date header; None if it did not say)."""

    items: list[dict]
    listed_at: datetime | None


class Pipedrive:
    def __init__(self, http: Http) -> None:
        self.http = http
        self.gate = RateGate()
        http.before = self.gate.before
        http.on_response = self.gate.observe

    async def me(self) -> dict:
        return (await self.http.json("GET", "/api/v1/users/me"))["data"]

    async def user_emails(self) -> list[str]:
        """The e-mails of the company's users (colleagues: never matched to persons)."""
        users = (await self.http.json("GET", "/api/v1/users"))["data"] or []
        return [u["email"] for u in users if isinstance(u, dict) and u.get("email")]

    async def activity_types(self) -> list[dict]:
        return (await self.http.json("GET", "/api/v1/activityTypes"))["data"] or []

    async def list_activities(
        self, *, updated_since: datetime | None = None, owner_id: int | None = None
    ) -> Listing:
        """Every page. With updated_since: changes since then, soft deletions included."""
        params: dict[str, str | int] = {"limit": PAGE_LIMIT, "include_fields": "attendees"}
        if updated_since is not None:
            params["updated_since"] = _ts(updated_since)
        if owner_id is not None:
            params["owner_id"] = owner_id
        items: list[dict] = []
        listed_at: datetime | None = None
        first = True
        while True:
            response = await self.http.send("GET", "/api/v2/activities", params=params)
            if response.status_code != 200:
                raise ApiError("pipedrive", response)
            if first:
                listed_at, first = server_time(response), False
            page = response.json()
            items.extend(page.get("data") or [])
            cursor = (page.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return Listing(items, listed_at)
            params["cursor"] = cursor

    async def get_activity(self, activity_id: int | str) -> dict | None:
        response = await self.http.send(
            "GET", f"/api/v2/activities/{activity_id}", params={"include_fields": "attendees"}
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ApiError("pipedrive", response)
        return response.json()["data"]

    async def find_by_marker(self, marker: str, since: datetime) -> dict | None:
        listing = await self.list_activities(updated_since=since - timedelta(seconds=5))
        for activity in listing.items:
            if not activity.get("is_deleted") and marker in (activity.get("note") or ""):
                return activity
        return None

    async def create_activity(self, body: dict, *, marker: str, started: datetime) -> dict:
        """Create once: if the answer is lost, look for the marker before trying again."""
        for _ in range(self.http.attempts):
            try:
                answer = await self.http.json(
                    "POST", "/api/v2/activities", json=body, idempotent=False
                )
                return answer["data"]
            except AmbiguousWrite:
                found = await self.find_by_marker(marker, started)
                if found is not None:
                    return found
        return (await self.http.json("POST", "/api/v2/activities", json=body))["data"]

    async def update_activity(self, activity_id: int | str, body: dict) -> dict | None:
        """Patch; None when the activity is gone."""
        response = await self.http.send("PATCH", f"/api/v2/activities/{activity_id}", json=body)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ApiError("pipedrive", response)
        return response.json()["data"]

    async def delete_activity(self, activity_id: int | str) -> bool:
        response = await self.http.send("DELETE", f"/api/v2/activities/{activity_id}")
        if response.status_code in (200, 404, 410):
            return response.status_code == 200
        raise ApiError("pipedrive", response)

    async def _get(self, kind: str, item_id: int | str) -> dict | None:
        response = await self.http.send("GET", f"/api/v2/{kind}/{item_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ApiError("pipedrive", response)
        return response.json()["data"]

    async def by_ids(self, kind: str, ids: list[str]) -> list[dict]:
        """Live persons / organizations / deals (`kind`) with these ids, 100 ids a request."""
        found: list[dict] = []
        for start in range(0, len(ids), MAX_IDS):
            chunk = ids[start : start + MAX_IDS]
            params: dict[str, str | int] = {"ids": ",".join(chunk), "limit": PAGE_LIMIT}
            while True:
                page = await self.http.json("GET", f"/api/v2/{kind}", params=params)
                found.extend(page.get("data") or [])
                cursor = (page.get("additional_data") or {}).get("next_cursor")
                if not cursor:
                    break
                params["cursor"] = cursor
        return found

    async def list_kind(self, kind: str, *, updated_since: str | None = None) -> list[dict]:
        """Every person / organization / deal (`kind`), or those changed since `updated_since`
        (an RFC 3339 time as Pipedrive gave it; deletions included then)."""
        params: dict[str, str | int] = {"limit": PAGE_LIMIT}
        if updated_since:
            params["updated_since"] = updated_since
        items: list[dict] = []
        while True:
            page = await self.http.json("GET", f"/api/v2/{kind}", params=params)
            items.extend(page.get("data") or [])
            cursor = (page.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return items
            params["cursor"] = cursor

    async def create_person(self, body: dict, email: str) -> dict:
        """Create a person once: if the answer is lost, look for one with `email` (its
        marker) before trying again."""
        for _ in range(self.http.attempts):
            try:
                answer = await self.http.json(
                    "POST", "/api/v2/persons", json=body, idempotent=False
                )
                return answer["data"]
            except AmbiguousWrite:
                found = await self.person_by_email(email)
                if found is not None:
                    return found
        return (await self.http.json("POST", "/api/v2/persons", json=body))["data"]

    async def person(self, person_id: int | str) -> dict | None:
        return await self._get("persons", person_id)

    async def organization(self, org_id: int | str) -> dict | None:
        return await self._get("organizations", org_id)

    async def deal(self, deal_id: int | str) -> dict | None:
        return await self._get("deals", deal_id)

    async def person_by_email(self, email: str) -> dict | None:
        page = await self.http.json(
            "GET",
            "/api/v2/persons/search",
            params={"term": email, "fields": "email", "exact_match": "true", "limit": 1},
        )
        items = (page.get("data") or {}).get("items") or []
        return items[0]["item"] if items else None
