"""No credential in any cassette: the scanner passes the committed ones, flags a doctored copy
with a token planted in it, and the recording filters turn each kind of secret into FILTERED."""

from __future__ import annotations

import json

import pytest
import yaml
from vcr.request import Request

from .scenarios import CASSETTES
from .scrub import FILTERED, find_secrets, scan_cassette, scrub_request, scrub_response

CASSETTE_FILES = sorted(CASSETTES.glob("*.yaml"))


def test_there_are_cassettes_to_scan():
    assert len(CASSETTE_FILES) >= 6


@pytest.mark.parametrize("path", CASSETTE_FILES, ids=lambda p: p.name)
def test_cassette_holds_no_secret(path):
    assert scan_cassette(path) == []


def _first(tape: dict, host: str) -> dict:
    return next(i for i in tape["interactions"] if f"//{host}/" in i["request"]["uri"])


def _plant_header(tape: dict) -> None:
    _first(tape, "www.googleapis.com")["request"]["headers"]["authorization"] = [
        "Bearer ya29.a0AfH6SMBx3kq9Zt"
    ]


def _plant_api_token(tape: dict) -> None:
    _first(tape, "lindqvistsales.pipedrive.com")["request"]["headers"]["x-api-token"] = [
        "3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6d7e8f901"
    ]


def _plant_query(tape: dict) -> None:
    request = _first(tape, "lindqvistsales.pipedrive.com")["request"]
    request["uri"] += "&api_token=sandbox-pipedrive-api-token-1"


def _plant_json(key: str, value: str):
    def plant(tape: dict) -> None:
        body = _first(tape, "lindqvistsales.pipedrive.com")["response"]["body"]
        data = json.loads(body["string"])
        data["data"][0][key] = value
        body["string"] = json.dumps(data, separators=(",", ":"))

    return plant


def _plant_form(tape: dict) -> None:
    _first(tape, "www.googleapis.com")["request"]["body"] = (
        "grant_type=refresh_token&refresh_token=1%2F%2F0gLx8kQmZrT2&client_id=x"
    )


PLANTS = {
    "Google access token in a header": _plant_header,
    "Pipedrive API token in a header": _plant_api_token,
    "sandbox API token in a query": _plant_query,
    "refresh token in a JSON body": _plant_json("refresh_token", "1//0gLx8kQmZrT2"),
    "client secret in a note": _plant_json("note", "GOCSPX-abcdEFGH1234ijkl"),
    "access token under its key": _plant_json("access_token", "opaque-token-value-9"),
    "refresh token in a form body": _plant_form,
}


@pytest.mark.parametrize("plant", sorted(PLANTS))
def test_scanner_flags_a_planted_token(plant, tmp_path):
    original = CASSETTES / "first_sync.yaml"
    tape = yaml.safe_load(original.read_text())
    PLANTS[plant](tape)
    doctored = tmp_path / "first_sync.yaml"
    doctored.write_text(yaml.safe_dump(tape))
    assert scan_cassette(original) == []
    assert scan_cassette(doctored) != []


def _request(method: str, uri: str, body: bytes, headers: dict) -> Request:
    return Request(method, uri, body, headers)


def test_recording_filters_every_kind_of_secret():
    token_form = (
        b"grant_type=authorization_code&code=4%2F0AeanS0ZxYq1Lmn&redirect_uri=http%3A%2F%2F127.0.0.1"
        b"&code_verifier=Zk3q8vQx2mLp9Rt4&client_id=abc.apps.googleusercontent.com"
        b"&client_secret=GOCSPX-abcdEFGH1234ijkl"
    )
    requests = [
        _request(
            "POST",
            "https://oauth2.googleapis.com/token",
            token_form,
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        _request(
            "GET",
            "https://api.pipedrive.com/api/v1/users/me?api_token=3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6d7e8f901",
            b"",
            {"x-api-token": "3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6d7e8f901"},
        ),
        _request(
            "GET",
            "https://www.googleapis.com/calendar/v3/users/me/calendarList",
            b"",
            {"Authorization": "Bearer ya29.a0AfH6SMBx3kq9Zt"},
        ),
        _request(
            "POST",
            "https://oauth.pipedrive.com/oauth/token",
            b"grant_type=refresh_token&refresh_token=r1%3Aabcdefghijklmnopqrst",
            {
                "Authorization": "Basic Y2xpZW50OnNlY3JldHNlY3JldA==",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        ),
    ]
    for request in requests:
        before = find_secrets(f"{request.uri} {request.body!r} {dict(request.headers)}")
        assert before, request.uri
        scrubbed = scrub_request(request)
        after = f"{scrubbed.uri} {scrubbed.body.decode()} {dict(scrubbed.headers)}"
        assert find_secrets(after) == [], after
        assert FILTERED in after

    answer = {
        "access_token": "ya29.a0AfH6SMBx3kq9Zt",
        "refresh_token": "1//0gLx8kQmZrT2",
        "expires_in": 3599,
        "scope": "https://www.googleapis.com/auth/calendar",
        "token_type": "Bearer",
    }
    body = json.dumps(answer).encode()
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["application/json"], "content-length": [str(len(body))]},
        "body": {"string": body},
    }
    scrubbed = scrub_response(response)
    text = scrubbed["body"]["string"].decode()
    assert find_secrets(text) == []
    assert json.loads(text)["expires_in"] == 3599
    assert scrubbed["headers"]["content-length"] == [str(len(scrubbed["body"]["string"]))]


def test_bodies_without_secrets_are_kept_byte_for_byte():
    body = b'{"kind":"calendar#events","items":[]}'
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["application/json; charset=UTF-8"]},
        "body": {"string": body},
    }
    assert scrub_response(response)["body"]["string"] is body


def test_batch_boundaries_are_normalised():
    """Both sides draw a random multipart boundary; a cassette holds a fixed one."""
    body = b"--batch_9f8e7d\r\nContent-Type: application/http\r\n\r\nGET /x HTTP/1.1\r\n\r\n\r\n--batch_9f8e7d--\r\n"
    request = _request(
        "POST",
        "https://www.googleapis.com/batch/calendar/v3",
        body,
        {"Content-Type": "multipart/mixed; boundary=batch_9f8e7d"},
    )
    scrubbed = scrub_request(request)
    assert scrubbed.headers["Content-Type"] == "multipart/mixed; boundary=batch_boundary"
    assert b"batch_9f8e7d" not in scrubbed.body and b"--batch_boundary--" in scrubbed.body
