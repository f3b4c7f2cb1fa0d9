"""Google Calendar v3 over httpx: calendar list, incremental event lists with sync tokens,
writes with client-chosen ids, and batched writes (multipart/mixed)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import httpx

from .errors import NotFound
from .http import (
    GOOGLE_RATE_REASONS,
    MAX_REFRESHES,
    ApiError,
    Http,
    google_reason,
    server_time,
    sleep,
)
from .pacing import Window

CALENDAR_PATH = "/calendar/v3"
BATCH_PATH = "/batch/calendar/v3"
MAX_RESULTS = 2500
BATCH_SIZE = 100  # Google allows 1000 calls a batch; smaller batches retry cheaper
RETRY_PART = {429, 500, 502, 503, 504}
# Every write says sendUpdates=none (calsync never emails anyone: Google's default for a
# call without it is not documented for every client) and conferenceDataVersion=1 (a
# conference in a body is kept: Meet links; without it Google drops conferenceData).
WRITE_QUERY = "conferenceDataVersion=1&sendUpdates=none"
DELETE_QUERY = "sendUpdates=none"
WRITE_PARAMS = {"conferenceDataVersion": "1", "sendUpdates": "none"}
DELETE_PARAMS = {"sendUpdates": "none"}
# What the mapping reads of an event (sync/mapping.py::item_from_google); lists ask Google
# for these only (bench/payload.py measures what that saves on a real calendar).
EVENT_FIELDS = (
    "id,etag,status,updated,summary,description,location,start,end,transparency,"
    "visibility,attendees(email,displayName,responseStatus,self,resource),"
    "extendedProperties/private,recurringEventId,eventType,"
    "conferenceData/entryPoints(entryPointType,uri),hangoutLink"
)
LIST_FIELDS = f"nextPageToken,nextSyncToken,items({EVENT_FIELDS})"
INSTANCE_FIELDS = "nextPageToken,items(id,status)"
QUOTA_WINDOW = 60.5  # Google's per-user quota counts calls a minute; half a second of margin
MIN_LEARNED_QUOTA = 60  # a refusal right after start-up says little about the quota's size


class SyncTokenExpired(Exception):
    """Google answered 410 fullSyncRequired: list everything again."""


@dataclass(frozen=True)
class EventPage:
    items: list[dict]
    next_sync_token: str | None
    listed_at: datetime | None = None
    """When the listing began by Google's clock (its first page's Date header)."""


@dataclass(frozen=True)
class BatchOp:
    """One write inside a batch: method, path under the calendar API, JSON body, headers."""

    method: str
    path: str
    body: dict | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class BatchResult:
    status: int
    body: dict

    @property
    def reason(self) -> str:
        return google_reason(self.body)


def _ts(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _cal(calendar_id: str) -> str:
    return f"{CALENDAR_PATH}/calendars/{quote(calendar_id, safe='')}"


class Quota:
    """Google's per-user quota, met before Google refuses (it sends no rate headers).

    With a known quota (`limit`: Google's default is 600 calls a minute) every call waits for
    its slot. Without one (a sandbox, unlimited until told otherwise) calls go at once and
    are only counted; the first call refused by the user's quota (403 userRateLimitExceeded)
    sets the limit to what Google accepted in the last minute, and pacing starts there.
    `rateLimitExceeded` and 429 are the project's limits, shared with other users: those are
    left to the retries' backoff."""

    def __init__(self, limit: int | None) -> None:
        self.window = Window(limit, QUOTA_WINDOW)

    @property
    def limit(self) -> int | None:
        return self.window.limit

    async def acquire(self, calls: int) -> None:
        await self.window.acquire(calls)

    def refused(self, calls: int) -> None:
        """`calls` of the last request were refused for the rate: learn (or lower) the limit."""
        accepted = max(MIN_LEARNED_QUOTA, self.window.recent() - calls)
        if self.window.limit is None or accepted < self.window.limit:
            self.window.limit = accepted


def rate_refused(status: int, body: object) -> bool:
    """A refusal for the rate: sent again later (the project's or the user's quota)."""
    return status == 429 or (status == 403 and google_reason(body) in GOOGLE_RATE_REASONS)


def user_quota_refused(status: int, body: object) -> bool:
    return status == 403 and google_reason(body) == "userRateLimitExceeded"


class GoogleCalendar:
    def __init__(self, http: Http, *, quota: int | None = None) -> None:
        self.http = http
        self.quota = Quota(quota)
        http.before = self.quota.acquire
        http.on_response = self._observe

    async def _observe(self, response: httpx.Response) -> None:
        if response.status_code == 403 and response.request.url.path != BATCH_PATH:
            try:
                body = response.json()
            except ValueError:
                body = {}
            if user_quota_refused(response.status_code, body):
                self.quota.refused(1)

    async def calendars(self) -> list[dict]:
        items: list[dict] = []
        token = None
        while True:
            params = {"maxResults": 250, **({"pageToken": token} if token else {})}
            page = await self.http.json(
                "GET", f"{CALENDAR_PATH}/users/me/calendarList", params=params
            )
            items.extend(page.get("items", []))
            token = page.get("nextPageToken")
            if not token:
                return items

    async def calendar(self, calendar_id: str) -> dict:
        try:
            return await self.http.json(
                "GET", f"{CALENDAR_PATH}/users/me/calendarList/{quote(calendar_id, safe='')}"
            )
        except ApiError as exc:
            if exc.status == 404:
                raise NotFound(
                    f"unknown calendar {calendar_id!r}: see `calsync options` for the list"
                ) from None
            raise

    async def list_events(
        self,
        calendar_id: str,
        *,
        sync_token: str | None = None,
        time_min: datetime | None = None,
        time_max: datetime | None = None,
        event_types: Sequence[str] = (),
    ) -> EventPage:
        """Every page of a listing (instances of series expanded), only the fields the
        mapping reads. With a sync token: only what changed since, tombstones included;
        SyncTokenExpired on 410. `event_types`: Google's `eventTypes` filter (repeated; all
        types when empty), allowed next to a sync token, and to be the same as in the full
        listing that gave the token (Google: "all other query parameters should be the
        same as for the initial synchronization")."""
        params: dict[str, str | int | list[str]] = {
            "singleEvents": "true",
            "maxResults": MAX_RESULTS,
            "fields": LIST_FIELDS,
        }
        if event_types:
            params["eventTypes"] = list(event_types)
        if sync_token:
            params["syncToken"] = sync_token
        else:
            if time_min:
                params["timeMin"] = _ts(time_min)
            if time_max:
                params["timeMax"] = _ts(time_max)
        items: list[dict] = []
        listed_at: datetime | None = None
        while True:
            response = await self.http.send("GET", f"{_cal(calendar_id)}/events", params=params)
            if not items and listed_at is None:
                listed_at = server_time(response)
            if response.status_code == 410:
                raise SyncTokenExpired()
            if response.status_code == 404:
                raise NotFound(f"calendar {calendar_id!r} is gone or not shared with this account")
            if response.status_code != 200:
                raise ApiError("google", response)
            page = response.json()
            items.extend(page.get("items", []))
            if page.get("nextPageToken"):
                params["pageToken"] = page["nextPageToken"]
                continue
            return EventPage(items, page.get("nextSyncToken"), listed_at)

    async def instances(
        self, calendar_id: str, event_id: str, *, time_min: datetime, time_max: datetime
    ) -> list[dict] | None:
        """Every instance of recurring event `event_id` in [time_min, time_max) (all pages);
        None when the series is gone (404/410)."""
        params: dict[str, str | int] = {
            "timeMin": _ts(time_min),
            "timeMax": _ts(time_max),
            "maxResults": MAX_RESULTS,
            "fields": INSTANCE_FIELDS,
        }
        path = f"{_cal(calendar_id)}/events/{quote(event_id, safe='')}/instances"
        items: list[dict] = []
        while True:
            response = await self.http.send("GET", path, params=params)
            if response.status_code in (404, 410):
                return None
            if response.status_code != 200:
                raise ApiError("google", response)
            page = response.json()
            items.extend(page.get("items", []))
            if not page.get("nextPageToken"):
                return items
            params["pageToken"] = page["nextPageToken"]

    async def get_event(self, calendar_id: str, event_id: str) -> dict | None:
        response = await self.http.send(
            "GET", f"{_cal(calendar_id)}/events/{quote(event_id, safe='')}"
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ApiError("google", response)
        return response.json()

    async def insert_event(self, calendar_id: str, body: dict) -> dict:
        """Insert with the client-chosen id in `body`; an existing id (a retry) returns the event."""
        response = await self.http.send(
            "POST", f"{_cal(calendar_id)}/events", params=WRITE_PARAMS, json=body
        )
        if response.status_code == 409 and body.get("id"):
            existing = await self.get_event(calendar_id, body["id"])
            if existing is not None and existing.get("status") != "cancelled":
                return existing
        if response.status_code != 200:
            raise ApiError("google", response)
        return response.json()

    async def patch_event(self, calendar_id: str, event_id: str, body: dict) -> dict:
        return await self.http.json(
            "PATCH",
            f"{_cal(calendar_id)}/events/{quote(event_id, safe='')}",
            params=WRITE_PARAMS,
            json=body,
        )

    async def delete_event(self, calendar_id: str, event_id: str) -> bool:
        """Delete; an event already gone (404/410) counts as deleted."""
        response = await self.http.send(
            "DELETE", f"{_cal(calendar_id)}/events/{quote(event_id, safe='')}", params=DELETE_PARAMS
        )
        if response.status_code in (200, 204, 404, 410):
            return response.status_code in (200, 204)
        raise ApiError("google", response)

    # -- batch -------------------------------------------------------------------------

    @staticmethod
    def op_insert(calendar_id: str, body: dict) -> BatchOp:
        return BatchOp("POST", f"{_cal(calendar_id)}/events?{WRITE_QUERY}", body)

    @staticmethod
    def op_patch(calendar_id: str, event_id: str, body: dict) -> BatchOp:
        path = f"{_cal(calendar_id)}/events/{quote(event_id, safe='')}?{WRITE_QUERY}"
        return BatchOp("PATCH", path, body)

    @staticmethod
    def op_get(calendar_id: str, event_id: str) -> BatchOp:
        return BatchOp("GET", f"{_cal(calendar_id)}/events/{quote(event_id, safe='')}")

    @staticmethod
    def op_delete(calendar_id: str, event_id: str) -> BatchOp:
        path = f"{_cal(calendar_id)}/events/{quote(event_id, safe='')}?{DELETE_QUERY}"
        return BatchOp("DELETE", path)

    async def batch(self, ops: Sequence[BatchOp], *, size: int = BATCH_SIZE) -> list[BatchResult]:
        """Run writes in batches; parts answered with a rate limit or server error are sent
        again (in a later batch) until they get a real answer.

        Each part is authenticated on its own, so an access token that expires while a batch
        is in flight comes back as 401 parts inside a 200 answer (the outer request's own
        refresh never sees it). Then the token is refreshed through the Http's refresh hook
        and those parts are sent again: a 401 part was not applied, so resending is safe. At
        most MAX_REFRESHES refreshes a call; a part still refused after that keeps its 401.
        """
        results: list[BatchResult | None] = [None] * len(ops)
        pending = list(range(len(ops)))
        rounds = 0
        refreshes = 0
        while pending:
            rounds += 1
            retry: list[int] = []
            unauthorized: list[int] = []
            for start in range(0, len(pending), size):
                chunk = pending[start : start + size]
                answers = await self._send_batch([ops[i] for i in chunk])
                limited = sum(user_quota_refused(a.status, a.body) for a in answers)
                if limited:
                    self.quota.refused(limited)
                for i, answer in zip(chunk, answers, strict=True):
                    transient = answer.status in RETRY_PART or rate_refused(
                        answer.status, answer.body
                    )
                    if transient and rounds < self.http.attempts:
                        retry.append(i)
                    elif (
                        answer.status == 401
                        and self.http.refresh is not None
                        and refreshes < MAX_REFRESHES
                    ):
                        unauthorized.append(i)
                    else:
                        results[i] = answer
            if unauthorized:
                # A revoked grant fails in refresh() itself (AuthError stops the run).
                refreshes += 1
                await self.http.refresh()  # type: ignore[misc]
            elif retry:
                await sleep(min(self.http.wait_initial * 2**rounds, self.http.wait_max))
            pending = sorted(retry + unauthorized)
        return [r for r in results if r is not None]

    async def _send_batch(self, ops: Sequence[BatchOp]) -> list[BatchResult]:
        boundary = "batch_" + secrets.token_hex(12)
        body = encode_batch(ops, boundary)
        response = await self.http.send(
            "POST",
            BATCH_PATH,
            calls=len(ops),  # each part counts against the quota
            content=body,
            headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
        )
        if response.status_code != 200:
            raise ApiError("google", response)
        answers = decode_batch(response)
        if len(answers) != len(ops):
            raise ApiError("google", response)
        return answers


def encode_batch(ops: Sequence[BatchOp], boundary: str) -> bytes:
    parts = []
    for n, op in enumerate(ops):
        lines = [f"{op.method} {op.path} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in op.headers]
        payload = ""
        if op.body is not None:
            lines.append("Content-Type: application/json")
            payload = json.dumps(op.body)
        inner = "\r\n".join(lines) + "\r\n\r\n" + payload
        parts.append(
            f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <item{n}>\r\n\r\n{inner}\r\n"
        )
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def decode_batch(response: httpx.Response) -> list[BatchResult]:
    """Split a multipart/mixed batch answer into results, in Content-ID order."""
    ctype = response.headers.get("content-type", "")
    boundary = next(
        (
            p.split("=", 1)[1].strip('"')
            for p in ctype.split(";")
            if p.strip().startswith("boundary=")
        ),
        None,
    )
    if not boundary:
        raise ApiError("google", response)
    text = response.content.decode()
    found: dict[int, BatchResult] = {}
    order: list[BatchResult] = []
    for chunk in text.split(f"--{boundary}"):
        chunk = chunk.strip("\r\n")
        if not chunk or chunk == "--":
            continue
        outer, _, inner = chunk.partition("\r\n\r\n")
        head, _, payload = inner.partition("\r\n\r\n")
        status = int(head.split("\r\n", 1)[0].split()[1])
        try:
            body = json.loads(payload) if payload.strip() else {}
        except ValueError:
            body = {}
        result = BatchResult(status, body)
        order.append(result)
        for line in outer.split("\r\n"):
            if line.lower().startswith("content-id:") and "item" in line:
                digits = line.rsplit("item", 1)[1].strip(" <>")
                if digits.isdigit():
                    found[int(digits)] = result
    if len(found) == len(order):
        return [found[k] for k in sorted(found)]
    return order
