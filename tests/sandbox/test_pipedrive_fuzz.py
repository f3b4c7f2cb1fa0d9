"""Malformed requests to the fake Pipedrive always get a 4xx in Pipedrive's envelope, never a 5xx.

About 1,300 generated requests in all (bad JSON, wrong types, huge strings, unknown ids, bad
dates, bad query parameters and path ids), derandomized so every run sends the same ones.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.pipedrive.models import USER_ID, Position

from .loop_client import LoopClient, fuzz
from .test_pipedrive_conformance import MEETING, TOKEN, make_app, make_sandbox

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
not_bool = st.one_of(
    st.integers(), st.floats(allow_nan=False), text, st.none(), st.lists(st.integers(), max_size=2)
)
not_string = st.one_of(
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(text, max_size=2),
    st.dictionaries(text, text, max_size=2),
)
huge = st.integers(256, 3000).map(lambda n: "x" * n)
# High surrogates only: a high one followed by a low one would be a valid pair.
surrogates = st.text(
    alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDBFF), min_size=1, max_size=3
)
bad_id = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=2**31),
    st.booleans(),
    text,
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=2),
)
unknown_id = st.integers(10_000, 2**31 - 1).filter(lambda n: n != USER_ID)
_DATE_OK = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_date(value: str) -> bool:
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return False
    return bool(_DATE_OK.fullmatch(value))


bad_date = st.one_of(
    text.filter(lambda s: not _is_date(s)),
    st.sampled_from(["2026-02-30", "2026-13-01", "2026-1-1", "26-11-25", "2026-11-25T10:00:00Z"]),
    not_string.filter(lambda v: v is not None),
)
bad_clock = st.one_of(
    text.filter(lambda s: not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", s)),
    st.sampled_from(["24:00", "12:60", "7:5", "12:00:60", "noon"]),
    st.integers(),
    st.booleans(),
)
bad_duration = st.one_of(
    text.filter(lambda s: not re.fullmatch(r"\d{1,3}:[0-5]\d(:[0-5]\d)?", s)),
    st.sampled_from(["1h", "01:60", "1000:00", "-01:00"]),
    st.integers(),
)
bad_participants = st.one_of(
    not_string.filter(lambda v: not isinstance(v, list)),
    st.lists(st.one_of(text, st.integers()), min_size=1, max_size=3),
    st.lists(st.fixed_dictionaries({"person_id": bad_id}), min_size=1, max_size=2),
    st.lists(st.fixed_dictionaries({"person_id": unknown_id}), min_size=1, max_size=2),
    st.lists(
        st.fixed_dictionaries({"person_id": st.just(1), "primary": not_bool}),
        min_size=1,
        max_size=1,
    ),
    st.lists(st.just({"person_id": 1}), min_size=101, max_size=101),
)
bad_attendees = st.one_of(
    not_string.filter(lambda v: not isinstance(v, list)),
    st.lists(
        st.fixed_dictionaries({"email": text.filter(lambda s: "@" not in s)}),
        min_size=1,
        max_size=2,
    ),
    st.lists(st.fixed_dictionaries({"email": not_string}), min_size=1, max_size=2),
    st.lists(
        st.fixed_dictionaries(
            {
                "email": st.just("a@b.c"),
                "status": text.filter(
                    lambda s: s not in ("noreply", "accepted", "declined", "tentative")
                ),
            }
        ),
        min_size=1,
        max_size=1,
    ),
    st.lists(
        st.fixed_dictionaries({"email": st.just("a@b.c"), "person_id": unknown_id}),
        min_size=1,
        max_size=1,
    ),
)
bad_location = st.one_of(
    text, st.integers(), st.booleans(), st.lists(text, max_size=2),
    st.fixed_dictionaries({"value": not_string.filter(lambda v: v is not None)}),
    st.fixed_dictionaries({"value": huge}),
)  # fmt: skip

BAD_ACTIVITY_FIELDS = {
    "subject": st.one_of(not_string, huge, surrogates),
    "type": st.one_of(
        not_string,
        text.filter(lambda s: s not in ("call", "meeting", "task", "deadline", "email", "lunch")),
    ),
    "owner_id": st.one_of(bad_id, unknown_id, st.none()),
    "due_date": bad_date,
    "due_time": bad_clock,
    "duration": bad_duration,
    "busy": not_bool,
    "done": not_bool,
    "private": not_bool,
    "location": bad_location,
    "public_description": st.one_of(
        not_string.filter(lambda v: v is not None), st.just("y" * 100_001)
    ),
    "note": not_string.filter(lambda v: v is not None),
    "participants": bad_participants,
    "attendees": bad_attendees,
    "deal_id": st.one_of(bad_id, unknown_id),
    "org_id": st.one_of(bad_id, unknown_id),
    "project_id": bad_id,
    "lead_id": st.one_of(not_string.filter(lambda v: v is not None), text),
    "priority": st.one_of(
        text, st.floats(allow_nan=False), st.booleans(), st.integers(min_value=2**31)
    ),
    "person_id": st.one_of(st.integers(), text, st.none()),
}

BAD_PERSON_FIELDS = {
    "name": st.one_of(not_string, huge, surrogates, st.sampled_from(["", "   "])),
    "first_name": st.one_of(not_string.filter(lambda v: v is not None), huge),
    "owner_id": st.one_of(bad_id, unknown_id),
    "org_id": st.one_of(bad_id, unknown_id),
    "emails": st.one_of(
        not_string.filter(lambda v: not isinstance(v, list)),
        st.lists(
            st.fixed_dictionaries({"value": st.one_of(not_string, st.just(""))}),
            min_size=1,
            max_size=2,
        ),
        st.lists(
            st.fixed_dictionaries({"value": st.just("a@b.c"), "primary": not_bool}),
            min_size=1,
            max_size=2,
        ),
    ),
    "phones": st.lists(st.one_of(text, st.integers()), min_size=1, max_size=3),
    "visible_to": st.one_of(st.integers().filter(lambda n: n not in (1, 3, 5, 7)), text),
}


BAD_ORGANIZATION_FIELDS = {
    "name": BAD_PERSON_FIELDS["name"],
    "owner_id": st.one_of(bad_id, unknown_id),
    "visible_to": BAD_PERSON_FIELDS["visible_to"],
    "label_ids": st.one_of(
        not_string.filter(lambda v: not isinstance(v, list)),
        st.lists(bad_id, min_size=1, max_size=3),
    ),
    "address": st.one_of(
        text,
        st.integers(),
        st.booleans(),
        st.lists(text, max_size=2),
        st.fixed_dictionaries({"locality": not_string.filter(lambda v: v is not None)}),
        st.fixed_dictionaries({"value": huge}),
    ),
    "custom_fields": st.one_of(
        text,
        st.integers(),
        st.lists(text, max_size=2),
        st.fixed_dictionaries({"k": st.lists(st.integers(), max_size=2)}),
    ),
}
bad_number = st.one_of(text, st.booleans(), st.lists(st.integers(), max_size=2), st.just(10**16))
BAD_DEAL_FIELDS = {
    "title": BAD_PERSON_FIELDS["name"],
    "owner_id": st.one_of(bad_id, unknown_id),
    "person_id": st.one_of(bad_id, unknown_id),
    "org_id": st.one_of(bad_id, unknown_id),
    "pipeline_id": st.one_of(bad_id, st.integers(2, 10**6)),
    "stage_id": st.one_of(bad_id, st.integers(6, 10**6)),
    "value": bad_number,
    "currency": st.one_of(text.filter(lambda s: not re.fullmatch(r"[A-Z]{3}", s)), st.integers(), st.none()),
    "status": st.one_of(text.filter(lambda s: s not in ("open", "won", "lost")), st.integers(), st.none()),
    "probability": st.one_of(bad_number, st.floats(100.01, 1e9), st.floats(-1e9, -0.01)),
    "lost_reason": st.one_of(text.filter(bool), not_string.filter(lambda v: v is not None)),
    "visible_to": BAD_PERSON_FIELDS["visible_to"],
    "expected_close_date": bad_date,
    "label_ids": BAD_ORGANIZATION_FIELDS["label_ids"],
    "is_archived": not_bool,
    "custom_fields": BAD_ORGANIZATION_FIELDS["custom_fields"],
}  # fmt: skip


def _one_bad(fields: dict) -> st.SearchStrategy[tuple[str, object]]:
    return st.sampled_from(sorted(fields)).flatmap(
        lambda name: fields[name].map(lambda v: (name, v))
    )


not_json = st.one_of(
    st.binary(max_size=60).filter(lambda b: not _parses_to_object(b)),
    st.sampled_from(
        [b"", b"{", b"[1,2]", b"null", b"true", b'"{}"', b'{"a": NaN}', b"[" * 5000 + b"]" * 5000]
    ),
    st.one_of(st.integers(), text, st.lists(st.integers(), max_size=3)).map(
        lambda v: json.dumps(v).encode()
    ),
)


def _parses_to_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except (ValueError, RecursionError):
        return False


def _bad_cursor(value: str) -> bool:
    try:
        Position.decode(value, "id", "asc")
    except Exception:
        return True
    return False


BAD_QUERY = {
    "limit": st.one_of(text.filter(lambda s: not (s.isascii() and s.isdigit() and 1 <= int(s) <= 500)), st.integers(501, 10**12).map(str)),
    "sort_by": text.filter(lambda s: s not in ("id", "update_time", "add_time", "due_date")),
    "sort_direction": text.filter(lambda s: s not in ("asc", "desc")),
    "updated_since": text.filter(lambda s: not _parses_time(s)),
    "updated_until": st.sampled_from(["2026-13-01T00:00:00Z", "tomorrow", "0001-01-01T00:00:00+05:00", ""]),
    "cursor": text.filter(lambda s: s != "" and _bad_cursor(s)),
    "ids": st.one_of(text.filter(lambda s: not re.fullmatch(r"[0-9 ,]*", s) or s.strip() == ""), st.just(",".join(["1"] * 101))),
    "done": text.filter(lambda s: s not in ("true", "false")),
    "include_fields": text.filter(lambda s: s != "" and {p.strip() for p in s.split(",")} != {"attendees"}),
    "owner_id": text.filter(lambda s: not (s.isascii() and s.isdigit() and 0 < int(s) < 2**31)),
    "deal_id": st.sampled_from(["0", "-1", "abc", "1.0", "99999999999"]),
}  # fmt: skip


def _parses_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _not_a_known_id(value: str) -> bool:
    if value.strip() == "" or "/" in value:  # a slash makes another path (see below)
        return False
    return not (re.fullmatch(r"[0-9]+", value) and 0 < int(value) < 10_000)


class SyncClient(LoopClient):
    """The Pipedrive routes alone, with one activity to patch."""

    def __init__(self) -> None:
        super().__init__(make_app(make_sandbox()), {"x-api-token": TOKEN})
        created = self.request("POST", "/api/v2/activities", json=MEETING)
        assert created.status_code == 200
        self.activity_id = created.json()["data"]["id"]


@pytest.fixture(scope="module")
def client():
    sync_client = SyncClient()
    yield sync_client
    sync_client.close()


def assert_4xx(response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    body = response.json()
    assert body["success"] is False and isinstance(body["error"], str) and body["error"]
    assert isinstance(body["code"], str) and "error_info" in body


@fuzz(350)
@given(bad=_one_bad(BAD_ACTIVITY_FIELDS))
def test_activity_create_with_a_bad_field(client, bad):
    name, value = bad
    assert_4xx(client.send_json("POST", "/api/v2/activities", {**MEETING, name: value}))


@fuzz(250)
@given(bad=_one_bad(BAD_ACTIVITY_FIELDS))
def test_activity_patch_with_a_bad_field(client, bad):
    name, value = bad
    assert_4xx(client.send_json("PATCH", f"/api/v2/activities/{client.activity_id}", {name: value}))


@fuzz(200)
@given(
    raw=not_json,
    method=st.sampled_from(
        ["POST activities", "PATCH activity", "POST persons", "PATCH person", "POST organizations", "PATCH organization", "POST deals", "PATCH deal"]
    ),
)  # fmt: skip
def test_bodies_that_are_not_json_objects(client, raw, method):
    verb, what = method.split()
    path = {
        "activities": "/api/v2/activities",
        "activity": f"/api/v2/activities/{client.activity_id}",
        "persons": "/api/v2/persons",
        "person": "/api/v2/persons/1",
        "organizations": "/api/v2/organizations",
        "organization": "/api/v2/organizations/1",
        "deals": "/api/v2/deals",
        "deal": "/api/v2/deals/1",
    }[what]
    assert_4xx(
        client.request(verb, path, content=raw, headers={"content-type": "application/json"})
    )


# kind: (bad field strategies, a valid create body, an existing id to patch)
WRITES = {
    "persons": (BAD_PERSON_FIELDS, {"name": "Ok Name"}, 1),
    "organizations": (BAD_ORGANIZATION_FIELDS, {"name": "Ok AB"}, 2),
    "deals": (BAD_DEAL_FIELDS, {"title": "Ok deal"}, 2),
}


@st.composite
def bad_write(draw) -> tuple[str, str, object]:
    kind = draw(st.sampled_from(sorted(WRITES)))
    name, value = draw(_one_bad(WRITES[kind][0]))
    return kind, name, value


@fuzz(500)
@given(bad=bad_write(), patch=st.booleans())
def test_person_organization_and_deal_writes_with_a_bad_field(client, bad, patch):
    kind, name, value = bad
    _, valid, existing = WRITES[kind]
    body: dict = {name: value}
    if kind == "deals" and name == "lost_reason" and isinstance(value, str):
        body["status"] = "open"  # a reason is refused because the deal is not lost
    if patch:
        assert_4xx(client.send_json("PATCH", f"/api/v2/{kind}/{existing}", body))
    else:
        assert_4xx(client.send_json("POST", f"/api/v2/{kind}", {**valid, **body}))


@fuzz(250)
@given(bad=_one_bad(BAD_QUERY), path=st.sampled_from(["/api/v2/activities", "/api/v2/persons"]))
def test_list_with_a_bad_query_parameter(client, bad, path):
    name, value = bad
    if path == "/api/v2/persons" and name in ("sort_by", "done", "include_fields", "deal_id"):
        # persons sort by id/update_time/add_time only and ignore activity-only filters
        path = "/api/v2/activities"
    assert_4xx(client.get(path, params={name: value}))


@fuzz(120)
@given(
    ident=st.one_of(text.filter(_not_a_known_id), st.integers(10_000, 10**15).map(str), st.integers(max_value=0).map(str)),
    verb=st.sampled_from(["GET", "PATCH", "DELETE"]),
    what=st.sampled_from(["activities", "persons", "deals", "organizations"]),
)  # fmt: skip
def test_bad_or_unknown_path_ids(client, ident, verb, what):
    answer = client.request(verb, f"/api/v2/{what}/{quote(ident, safe='')}", json={})
    assert_4xx(answer)


def assert_not_faked(response) -> None:
    """The sandbox's answer to a path it has no route for: 501 in the envelope, saying so."""
    assert response.status_code == 501, (response.status_code, response.text[:300])
    body = response.json()
    assert body["success"] is False and body["code"] == "ERR_NOT_IMPLEMENTED"
    assert body["error"].startswith("The calsync sandbox does not fake")


@fuzz(80)
@given(
    tail=st.lists(text.filter(lambda s: s.strip(". ") and "/" not in s), min_size=1, max_size=3),
    base=st.sampled_from(["/api/v2/activities/1", "/api/v2/products", "/api/v1/notes", "/v1/deals/1", "/api/v2/itemSearch"]),
    verb=st.sampled_from(["GET", "POST", "PATCH", "DELETE"]),
)  # fmt: skip
def test_paths_the_sandbox_does_not_fake(client, tail, base, verb):
    path = base + "".join("/" + quote(part, safe="") for part in tail)
    assert_not_faked(client.request(verb, path, json={}))


BAD_SEARCH = {
    "term": text.filter(lambda s: len(s.strip()) < 2),
    "fields": text.filter(lambda s: not {p.strip() for p in s.split(",")} <= {"custom_fields", "email", "notes", "phone", "name"}),
    "exact_match": text.filter(lambda s: s not in ("true", "false")),
    "limit": BAD_QUERY["limit"],
    "cursor": text.filter(lambda s: s != ""),
}  # fmt: skip


SEARCHES = {
    "/api/v2/persons/search": ("custom_fields", "email", "notes", "phone", "name"),
    "/api/v2/organizations/search": ("address", "custom_fields", "notes", "name"),
    "/api/v2/deals/search": ("custom_fields", "notes", "title"),
    "/api/v2/itemSearch": ("address", "code", "custom_fields", "email", "name", "notes", "phone", "title", "description"),
}  # fmt: skip


def _bad_fields(allowed: tuple[str, ...]):
    return text.filter(lambda s: not {p.strip() for p in s.split(",")} <= set(allowed))


EXTRA_SEARCH = {
    "/api/v2/persons/search": {"organization_id": BAD_QUERY["owner_id"], "include_fields": text.filter(lambda s: s != "" and s != "person.picture")},
    "/api/v2/organizations/search": {"include_fields": text.filter(bool)},
    "/api/v2/deals/search": {"person_id": BAD_QUERY["owner_id"], "organization_id": BAD_QUERY["owner_id"], "status": text.filter(lambda s: s not in ("open", "won", "lost"))},
    "/api/v2/itemSearch": {
        "item_types": text.filter(lambda s: not {p.strip() for p in s.split(",")} <= {"deal", "person", "organization", "product", "lead", "file", "mail_attachment", "project"}),
        "search_for_related_items": text.filter(lambda s: s not in ("true", "false")),
        "limit": st.integers(101, 10**6).map(str),
    },
}  # fmt: skip


@st.composite
def bad_search(draw):
    path = draw(st.sampled_from(sorted(SEARCHES)))
    strategies = {**BAD_SEARCH, "fields": _bad_fields(SEARCHES[path]), **EXTRA_SEARCH[path]}
    strategies.pop("organization_id", None) if path not in (
        "/api/v2/persons/search",
        "/api/v2/deals/search",
    ) else None
    name, value = draw(_one_bad(strategies))
    return path, name, value


@fuzz(200)
@given(bad=bad_search())
def test_search_with_a_bad_parameter(client, bad):
    path, name, value = bad
    params = {"term": "anna", "exact_match": "false", "limit": "10", name: value}
    assert_4xx(client.get(path, params=params))


@fuzz(60)
@given(token=text, where=st.sampled_from(["header", "query", "bearer"]))
def test_bad_tokens_are_401(client, token, where):
    headers: dict[str, bytes] = {"x-api-token": b""}
    params = {}
    if where == "query":
        params["api_token"] = token
    elif where == "header":
        headers["x-api-token"] = token.encode()
    else:
        headers["authorization"] = b"Bearer " + token.encode()
    answer = client.get("/api/v2/activities", params=params, headers=headers)
    assert answer.status_code == 401
    assert_4xx(answer)
