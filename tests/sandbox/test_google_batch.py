"""Conformance: the batch endpoint `POST /batch/calendar/v3` through BatchHttpRequest and raw."""

from __future__ import annotations

import json

from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from .google_fixtures import raw_client, timed


def test_batch_insert_through_BatchHttpRequest(live_sandbox, calendar):
    answers: dict[str, tuple] = {}

    def done(request_id, response, exception):
        answers[request_id] = (response, exception)

    batch = BatchHttpRequest(callback=done, batch_uri=live_sandbox.url + "/batch/calendar/v3")
    for n in range(5):
        body = timed(
            "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z", summary=f"Batch {n}", id=f"batch0000{n}"
        )
        batch.add(calendar.events().insert(calendarId="primary", body=body), request_id=f"ins{n}")
    batch.add(
        calendar.events().insert(calendarId="primary", body={**body, "id": "batch00004"}),
        request_id="dup",
    )
    batch.add(
        calendar.events().get(calendarId="primary", eventId="nosuchevent"), request_id="missing"
    )
    batch.add(
        calendar.events().delete(calendarId="primary", eventId="batch00000"), request_id="del"
    )
    batch.execute()
    assert [answers[f"ins{n}"][0]["summary"] for n in range(5)] == [f"Batch {n}" for n in range(5)]
    assert isinstance(answers["dup"][1], HttpError) and answers["dup"][1].resp.status == 409
    assert json.loads(answers["dup"][1].content)["error"]["errors"][0]["reason"] == "duplicate"
    assert answers["missing"][1].resp.status == 404
    assert answers["del"][1] is None and not answers["del"][0]  # 204: no body, no error
    got = calendar.events().get(calendarId="primary", eventId="batch00000").execute()
    assert got["status"] == "cancelled"
    stats = live_sandbox.sandbox.stats.snapshot()
    assert (
        stats["requests"]["by_route"]["batch: POST /calendar/v3/calendars/{calendar_id}/events"]
        == 6
    )


def test_batch_parts_echo_content_id_and_split_by_crlf(live_sandbox, calendar):
    part = (
        "--b1\r\nContent-Type: application/http\r\nContent-ID: <abc+1>\r\n\r\n"
        "GET /calendar/v3/calendars/primary HTTP/1.1\r\n\r\n\r\n"
        "--b1\r\nContent-Type: application/http\r\nContent-ID: <abc+2>\r\n\r\n"
        "GET /calendar/v3/nowhere HTTP/1.1\r\n\r\n\r\n--b1--\r\n"
    )
    with raw_client(live_sandbox, calendar) as http:
        answer = http.post(
            "/batch/calendar/v3",
            content=part,
            headers={"Content-Type": "multipart/mixed; boundary=b1"},
        )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(
        "multipart/mixed; boundary="
    )
    text = answer.text
    assert "Content-ID: <response-abc+1>" in text and "Content-ID: <response-abc+2>" in text
    first, second = text.split("Content-ID: ")[1:]
    head, body = first.split("\r\n\r\n", 1)[1].split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 200 OK")
    assert json.loads(body.split("\r\n--")[0])["id"] == "anna.lindqvist@example.com"
    assert "HTTP/1.1 501 Not Implemented" in second and "notImplemented" in second


def test_batch_parts_count_against_quota(live_sandbox, calendar):
    live_sandbox.sandbox.limits.google_per_user_per_minute = 3
    answers = []
    batch = BatchHttpRequest(
        callback=lambda i, r, e: answers.append(e),
        batch_uri=live_sandbox.url + "/batch/calendar/v3",
    )
    for _ in range(5):
        batch.add(calendar.calendarList().get(calendarId="primary"))
    batch.execute()
    statuses = [None if e is None else e.resp.status for e in answers]
    assert statuses == [None, None, None, 403, 403]


def test_batch_over_1000_parts_is_refused(live_sandbox, calendar):
    part = "--b1\r\nContent-Type: application/http\r\n\r\nGET /calendar/v3/calendars/primary HTTP/1.1\r\n\r\n\r\n"
    with raw_client(live_sandbox, calendar) as http:
        answer = http.post(
            "/batch/calendar/v3",
            content=part * 1001 + "--b1--\r\n",
            headers={"Content-Type": "multipart/mixed; boundary=b1"},
        )
    assert answer.status_code == 400
