"""The floor: the least work any sync must do, as a bare sequential httpx loop.

Initial: list both sides (every page), write each item once to the other side (one request
per item, no batching, no concurrency). Incremental: one changes-only list per side, then one
write per changed item. No store, no planner, no retries: what is left is the API's own cost.
Also the direct API client the benchmark uses to make changes on either side.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx

EVENTS = "/calendar/v3/calendars/primary/events"
ACTIVITIES = "/api/v2/activities"


def _z(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def google_token(url: str) -> str:
    """An access token from the sandbox's Google OAuth (the PKCE dance the tests use)."""
    from tests.conftest import google_oauth_tokens

    return google_oauth_tokens(url)["access_token"]


class Api:
    """Plain requests against one sandbox, with both services' credentials."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=60)
        creds = self.client.get("/_sandbox/pipedrive/credentials").json()
        self.g = {"Authorization": f"Bearer {google_token(url)}"}
        self.p = {"x-api-token": creds["api_token"]}

    def _ok(self, answer: httpx.Response) -> dict:
        if answer.status_code != 200:
            raise RuntimeError(
                f"{answer.request.method} {answer.request.url.path}: "
                f"{answer.status_code} {answer.text[:200]}"
            )
        return answer.json()

    def list_events(self, **params) -> tuple[list[dict], str | None]:
        params = {"singleEvents": "true", "maxResults": 2500, **params}
        items: list[dict] = []
        while True:
            page = self._ok(self.client.get(EVENTS, params=params, headers=self.g))
            items += page.get("items", [])
            if not page.get("nextPageToken"):
                return items, page.get("nextSyncToken")
            params["pageToken"] = page["nextPageToken"]

    def list_activities(self, **params) -> list[dict]:
        params = {"limit": 500, **params}
        items: list[dict] = []
        while True:
            page = self._ok(self.client.get(ACTIVITIES, params=params, headers=self.p))
            items += page.get("data") or []
            cursor = (page.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return items
            params["cursor"] = cursor

    def insert_event(self, body: dict) -> dict:
        return self._ok(self.client.post(EVENTS, json=body, headers=self.g))

    def patch_event(self, event_id: str, body: dict) -> dict:
        return self._ok(self.client.patch(f"{EVENTS}/{event_id}", json=body, headers=self.g))

    def create_activity(self, body: dict) -> dict:
        return self._ok(self.client.post(ACTIVITIES, json=body, headers=self.p))["data"]

    def patch_activity(self, activity_id: int, body: dict) -> dict:
        return self._ok(
            self.client.patch(f"{ACTIVITIES}/{activity_id}", json=body, headers=self.p)
        )["data"]

    def close(self) -> None:
        self.client.close()


def activity_from_event(event: dict) -> dict:
    body = {"subject": event.get("summary", ""), "type": "meeting"}
    start, end = event["start"], event["end"]
    if "date" in start:
        body["due_date"] = start["date"]
        return body
    begin = datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00")).astimezone(UTC)
    finish = datetime.fromisoformat(end["dateTime"].replace("Z", "+00:00")).astimezone(UTC)
    minutes = int((finish - begin).total_seconds() // 60)
    body.update(
        due_date=begin.date().isoformat(),
        due_time=begin.strftime("%H:%M"),
        duration=f"{minutes // 60:02d}:{minutes % 60:02d}",
    )
    return body


def event_from_activity(activity: dict) -> dict:
    body: dict = {"summary": activity.get("subject", "")}
    day = date.fromisoformat(activity["due_date"])
    if not activity.get("due_time"):
        body["start"] = {"date": day.isoformat()}
        body["end"] = {"date": (day + timedelta(days=1)).isoformat()}
        return body
    hh, mm = activity["due_time"].split(":")[:2]
    begin = datetime(day.year, day.month, day.day, int(hh), int(mm), tzinfo=UTC)
    dh, dm = (activity.get("duration") or "00:30").split(":")[:2]
    body["start"] = {"dateTime": _z(begin)}
    body["end"] = {"dateTime": _z(begin + timedelta(hours=int(dh), minutes=int(dm)))}
    return body


@dataclass
class Floor:
    """The bare loop against one sandbox; it remembers what it wrote, for the incremental."""

    api: Api
    requests: int = 0
    to_activity: dict[str, int] = field(default_factory=dict)
    to_event: dict[int, str] = field(default_factory=dict)
    written_events: set[str] = field(default_factory=set)
    written_activities: set[int] = field(default_factory=set)
    sync_token: str | None = None
    since: str | None = None
    seeded_events: list[str] = field(default_factory=list)
    seeded_activities: list[int] = field(default_factory=list)

    def initial(self) -> float:
        """List both sides, write each item once to the other; seconds taken."""
        started = time.perf_counter()
        now = datetime.now(UTC)
        events, self.sync_token = self.api.list_events(
            timeMin=_z(now - timedelta(days=30)), timeMax=_z(now + timedelta(days=365))
        )
        activities = self.api.list_activities()
        for event in events:
            created = self.api.create_activity(activity_from_event(event))
            self.to_activity[event["id"]] = created["id"]
            self.written_activities.add(created["id"])
        for activity in activities:
            created = self.api.insert_event(event_from_activity(activity))
            self.to_event[activity["id"]] = created["id"]
            self.written_events.add(created["id"])
        seconds = time.perf_counter() - started
        self.seeded_events = sorted(e["id"] for e in events)
        self.seeded_activities = sorted(a["id"] for a in activities)
        return seconds

    def settle(self) -> None:
        """Move both cursors past the loop's own writes (setup for an incremental, not timed)."""
        _, self.sync_token = self.api.list_events(syncToken=self.sync_token)
        self.since = _z(datetime.now(UTC))
        time.sleep(1.05)  # changes made after this land in a later second than `since`

    def incremental(self) -> float:
        """One changes-only list per side, one write per changed item; seconds taken."""
        started = time.perf_counter()
        events, self.sync_token = self.api.list_events(syncToken=self.sync_token)
        activities = self.api.list_activities(updated_since=self.since)
        for event in events:
            if event["id"] in self.written_events or event["id"] not in self.to_activity:
                continue
            self.api.patch_activity(
                self.to_activity[event["id"]], {"subject": event.get("summary", "")}
            )
        for activity in activities:
            if activity["id"] in self.written_activities or activity["id"] not in self.to_event:
                continue
            self.api.patch_event(
                self.to_event[activity["id"]], {"summary": activity.get("subject", "")}
            )
        return time.perf_counter() - started


def make_changes(api: Api, event_ids: list[str], activity_ids: list[int], n: int, tag: str) -> None:
    """n edits through the APIs: half renames of Google events, half of Pipedrive activities."""
    for event_id in event_ids[: n // 2]:
        api.patch_event(event_id, {"summary": f"Edited {tag} {event_id[:6]}"})
    for activity_id in activity_ids[: n - n // 2]:
        api.patch_activity(activity_id, {"subject": f"Edited {tag} {activity_id}"})
