"""Pipedrive v2 search: `/persons/search`, `/organizations/search`, `/deals/search`, `/itemSearch`.

As the v2 reference has them: `term` (at least 2 characters, or 1 with `exact_match`),
`fields` (a comma-separated subset of the type's searchable fields, all by default),
`exact_match` (the whole value, case-insensitive; otherwise a case-insensitive substring),
`limit` (default 100; at most 500, and 100 for itemSearch), an opaque `cursor`. The answer
is `{success, data: {items: [{result_score, item}]}, additional_data: {next_cursor}}`;
itemSearch adds `data.related_items` (with `search_for_related_items=true`: the deals of
found persons and organizations and the persons of found organizations) and takes
`item_types`. Items are the reference's search items (persons: emails and phones as plain
strings; organizations: the address as a string; deals: value, currency, status, stage,
person and organization as `{id, name}`).

Sandbox choices: `result_score` is 1.0 for a whole-value match and 0.5 for a partial one
(Pipedrive's own scores are undocumented), best first, then by type and id; custom fields
and notes hold nothing to find (they are accepted in `fields`); item types the sandbox has
no data for (products, leads, files, mail attachments, projects) find nothing.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Iterable

from starlette.datastructures import QueryParams

from .models import STAGES, PipedriveState
from .validation import fail, q_bool, q_id

FIELDS = {
    "person": ("custom_fields", "email", "notes", "phone", "name"),
    "organization": ("address", "custom_fields", "notes", "name"),
    "deal": ("custom_fields", "notes", "title"),
}
ITEM_TYPES = (
    "deal",
    "person",
    "organization",
    "product",
    "lead",
    "file",
    "mail_attachment",
    "project",
)
ITEM_FIELDS = (
    "address",
    "code",
    "custom_fields",
    "email",
    "name",
    "notes",
    "phone",
    "title",
    "description",
)
INCLUDE = {
    "person": ("person.picture",),
    "organization": (),
    "deal": ("deal.cc_email",),
    "item": ("deal.cc_email", "person.picture", "product.price"),
}
TYPE_ORDER = {"deal": 0, "person": 1, "organization": 2}


def _csv(
    params: QueryParams, name: str, allowed: tuple[str, ...], *, empty_ok: bool = False
) -> set[str] | None:
    raw = params.get(name)
    if raw is None or (empty_ok and raw == ""):
        return None
    chosen = {part.strip() for part in raw.split(",")}
    if not chosen <= set(allowed):
        raise fail(name, f"Must be a comma-separated subset of {', '.join(allowed)}")
    return chosen


def _limit(params: QueryParams, most: int) -> int:
    raw = params.get("limit")
    if raw is None:
        return 100
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= most:
        raise fail("limit", f"Parameter must be an integer between 1 and {most}")
    return int(raw)


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = raw["offset"]
    except (ValueError, TypeError, KeyError, binascii.Error, RecursionError):
        raise fail("cursor", "Invalid cursor") from None
    if type(offset) is not int or offset < 0:
        raise fail("cursor", "Invalid cursor")
    return offset


class Query:
    """The parameters every search route shares, checked."""

    def __init__(
        self, params: QueryParams, fields: tuple[str, ...], include: tuple[str, ...], most: int
    ) -> None:
        self.term = params.get("term", "")
        self.exact = q_bool(params, "exact_match") or False
        if len(self.term.strip()) < (1 if self.exact else 2):
            raise fail("term", "Must be at least 2 characters long (1 with exact_match)")
        self.fields = _csv(params, "fields", fields) or set(fields)
        # Optional extras (pictures, cc emails, prices) are accepted and not added.
        _csv(params, "include_fields", include, empty_ok=True)
        self.limit = _limit(params, most)
        self.start = _offset(params.get("cursor"))
        self.needle = self.term.strip().lower()

    def score(self, texts: Iterable[str | None]) -> float | None:
        """1.0 for a whole-value match, 0.5 for a partial one (not with exact_match), else None."""
        lowered = [t.lower() for t in texts if t]
        if self.needle in lowered:
            return 1.0
        if not self.exact and any(self.needle in t for t in lowered):
            return 0.5
        return None

    def page(self, found: list[tuple[float, dict]]) -> tuple[list[dict], str | None]:
        """This page of (score, item) pairs, best first, and the cursor of the next page."""
        found.sort(key=lambda p: (-p[0], TYPE_ORDER.get(p[1]["type"], 9), p[1]["id"]))
        chunk = found[self.start : self.start + self.limit]
        more = self.start + self.limit < len(found)
        cursor = (
            base64.urlsafe_b64encode(
                json.dumps({"offset": self.start + self.limit}).encode()
            ).decode()
            if more
            else None
        )
        return [{"result_score": score, "item": item} for score, item in chunk], cursor


def envelope(items: list[dict], cursor: str | None, related: list[dict] | None = None) -> dict:
    data: dict = {"items": items}
    if related is not None:
        data["related_items"] = related
    return {"success": True, "data": data, "additional_data": {"next_cursor": cursor}}


# -- items ----------------------------------------------------------------------------------


def _org_ref(state: PipedriveState, org_id: int | None, with_address: bool = False) -> dict | None:
    org = state.organizations.live(org_id) if org_id else None
    if org is None:
        return None
    ref = {"id": org["id"], "name": org["name"]}
    if with_address:
        ref["address"] = (org["address"] or {}).get("value")
    return ref


def person_item(state: PipedriveState, row: dict) -> dict:
    return {
        "id": row["id"],
        "type": "person",
        "name": row["name"],
        "phones": [p["value"] for p in row["phones"]],
        "emails": [e["value"] for e in row["emails"]],
        "visible_to": row["visible_to"],
        "owner": {"id": row["owner_id"]},
        "organization": _org_ref(state, row["org_id"], with_address=True),
        "custom_fields": [],
        "notes": [],
        "update_time": row["update_time"],
    }


def organization_item(row: dict) -> dict:
    return {
        "id": row["id"],
        "type": "organization",
        "name": row["name"],
        "address": (row["address"] or {}).get("value"),
        "visible_to": row["visible_to"],
        "owner": {"id": row["owner_id"]},
        "custom_fields": [],
        "notes": [],
    }


def deal_item(state: PipedriveState, row: dict) -> dict:
    person = state.persons.live(row["person_id"]) if row["person_id"] else None
    return {
        "id": row["id"],
        "type": "deal",
        "title": row["title"],
        "value": row["value"],
        "currency": row["currency"],
        "status": row["status"],
        "visible_to": row["visible_to"],
        "owner": {"id": row["owner_id"]},
        "stage": {"id": row["stage_id"], "name": STAGES.get(row["stage_id"], "")},
        "person": {"id": person["id"], "name": person["name"]} if person else None,
        "organization": _org_ref(state, row["org_id"]),
        "custom_fields": [],
        "notes": [],
        "is_archived": row["is_archived"],
    }


# -- matching -------------------------------------------------------------------------------


def persons(state: PipedriveState, q: Query, org_id: int | None = None) -> list[tuple[float, dict]]:
    if q.exact and q.fields == {"email"}:
        candidates = state.persons_by_email(q.needle)  # the email index, for the engine's lookups
    else:
        candidates = [r for r in state.persons.rows.values() if not r["is_deleted"]]
    found = []
    for row in candidates:
        if org_id is not None and row["org_id"] != org_id:
            continue
        texts: list[str] = []
        if "name" in q.fields:
            texts.append(row["name"])
        if "email" in q.fields:
            texts.extend(e["value"] for e in row["emails"])
        if "phone" in q.fields:
            texts.extend(p["value"] for p in row["phones"])
        score = q.score(texts)
        if score is not None:
            found.append((score, person_item(state, row)))
    return found


def organizations(state: PipedriveState, q: Query) -> list[tuple[float, dict]]:
    found = []
    for row in state.organizations.rows.values():
        if row["is_deleted"]:
            continue
        texts = [row["name"]] if "name" in q.fields else []
        if "address" in q.fields:
            texts.append((row["address"] or {}).get("value"))
        score = q.score(texts)
        if score is not None:
            found.append((score, organization_item(row)))
    return found


def deals(
    state: PipedriveState,
    q: Query,
    *,
    person_id: int | None = None,
    org_id: int | None = None,
    status: str | None = None,
) -> list[tuple[float, dict]]:
    found = []
    for row in state.deals.rows.values():
        if row["is_deleted"] or (status is not None and row["status"] != status):
            continue
        if (person_id is not None and row["person_id"] != person_id) or (
            org_id is not None and row["org_id"] != org_id
        ):
            continue
        score = q.score([row["title"]] if "title" in q.fields else [])
        if score is not None:
            found.append((score, deal_item(state, row)))
    return found


def related(state: PipedriveState, items: list[dict]) -> list[dict]:
    """The newest 100 deals of each found person and organization, and persons of organizations."""
    out: list[dict] = []
    seen: set[tuple[str, int]] = set()

    def add(kind: str, rows: list[dict], make) -> None:
        for row in sorted(rows, key=lambda r: r["add_time"], reverse=True)[:100]:
            if (kind, row["id"]) not in seen:
                seen.add((kind, row["id"]))
                out.append({"result_score": 0.0, "item": make(row)})

    live_deals = [d for d in state.deals.rows.values() if not d["is_deleted"]]
    for entry in items:
        item = entry["item"]
        if item["type"] == "person":
            add(
                "deal",
                [d for d in live_deals if d["person_id"] == item["id"]],
                lambda r: deal_item(state, r),
            )
        elif item["type"] == "organization":
            add(
                "deal",
                [d for d in live_deals if d["org_id"] == item["id"]],
                lambda r: deal_item(state, r),
            )
            members = [
                p
                for p in state.persons.rows.values()
                if not p["is_deleted"] and p["org_id"] == item["id"]
            ]
            add("person", members, lambda r: person_item(state, r))
    return out


# -- the routes' bodies ---------------------------------------------------------------------


def search_persons(state: PipedriveState, params: QueryParams) -> dict:
    q = Query(params, FIELDS["person"], INCLUDE["person"], 500)
    found = persons(state, q, q_id(params, "organization_id"))
    return envelope(*q.page(found))


def search_organizations(state: PipedriveState, params: QueryParams) -> dict:
    q = Query(params, FIELDS["organization"], INCLUDE["organization"], 500)
    return envelope(*q.page(organizations(state, q)))


def search_deals(state: PipedriveState, params: QueryParams) -> dict:
    q = Query(params, FIELDS["deal"], INCLUDE["deal"], 500)
    status = params.get("status")
    if status is not None and status not in ("open", "won", "lost"):
        raise fail("status", "Must be one of open, won, lost")
    found = deals(
        state,
        q,
        person_id=q_id(params, "person_id"),
        org_id=q_id(params, "organization_id"),
        status=status,
    )
    return envelope(*q.page(found))


def item_search(state: PipedriveState, params: QueryParams) -> dict:
    q = Query(params, ITEM_FIELDS, INCLUDE["item"], 100)
    types = _csv(params, "item_types", ITEM_TYPES) or set(ITEM_TYPES)
    wants_related = q_bool(params, "search_for_related_items") or False
    found: list[tuple[float, dict]] = []
    for kind, finder in (("deal", deals), ("person", persons), ("organization", organizations)):
        own = set(FIELDS[kind]) & q.fields
        if kind in types and own:
            narrowed = copy.copy(q)
            narrowed.fields = own
            found += finder(state, narrowed)
    items, cursor = q.page(found)
    return envelope(items, cursor, related(state, items) if wants_related else [])
