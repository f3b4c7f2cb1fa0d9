"""Helpers for the Google Calendar conformance tests: error reading, event bodies, raw HTTP."""

from __future__ import annotations

import json

import httpx
import pytest
from googleapiclient.errors import HttpError

TZ = "Europe/Stockholm"


def error_of(call) -> tuple[int, str, dict]:
    """Run a googleapiclient request expected to fail: (status, first reason, error body)."""
    with pytest.raises(HttpError) as info:
        call.execute()
    body = json.loads(info.value.content)["error"]
    return info.value.resp.status, body["errors"][0]["reason"], body


def timed(start: str, end: str, tz: str | None = None, **extra) -> dict:
    when = ({"dateTime": start}, {"dateTime": end})
    if tz:
        when[0]["timeZone"] = tz
        when[1]["timeZone"] = tz
    return {"summary": extra.pop("summary", "Meeting"), "start": when[0], "end": when[1], **extra}


def all_day(start: str, end: str, **extra) -> dict:
    return {
        "summary": extra.pop("summary", "All day"),
        "start": {"date": start},
        "end": {"date": end},
        **extra,
    }


def token_of(calendar) -> str:
    """The bearer token the service's credentials carry."""
    return calendar._http.credentials.token


def raw_client(live_sandbox, calendar) -> httpx.Client:
    return httpx.Client(
        base_url=live_sandbox.url, headers={"Authorization": f"Bearer {token_of(calendar)}"}
    )


def ids(items: list[dict]) -> set[str]:
    return {i["id"] for i in items}


def list_all(calendar, **params) -> tuple[list[dict], str]:
    """Every item of a list, page by page; the nextSyncToken of the last page."""
    items, token = [], None
    while True:
        page = calendar.events().list(pageToken=token, **params).execute()
        items += page["items"]
        token = page.get("nextPageToken")
        if not token:
            return items, page["nextSyncToken"]
        assert "nextSyncToken" not in page
