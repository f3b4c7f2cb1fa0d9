"""Pipedrive's data and domain methods: company, user, activity types, persons, organizations, deals, activities."""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .. import fakedata
from ..clock import Clock
from . import errors
from .ratelimit import RateLimiter

COMPANY_ID = 11_500_001
USER_ID = 13_210_001
ACTIVITY_SORT_FIELDS = ("id", "update_time", "add_time", "due_date")
# The company's one pipeline and its stages (Pipedrive's defaults for a new company).
PIPELINES = {1: "Pipeline"}
STAGES = {
    1: "Qualified",
    2: "Contact made",
    3: "Demo scheduled",
    4: "Proposal made",
    5: "Negotiations started",
}
SORT_FIELDS = ("id", "update_time", "add_time")


def rfc3339(when: datetime) -> str:
    """Pipedrive v2 timestamps: UTC, whole seconds, `Z` (lexicographic order = time order)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def v1_time(stamp: str) -> str:
    """The v1 API's `YYYY-MM-DD HH:MM:SS` form of an RFC3339 stamp."""
    return stamp[:10] + " " + stamp[11:19]


def _utc_offset(zone: str, when: datetime) -> str:
    """`+01:00`: the zone's offset from UTC at that instant (v1's `timezone_offset`)."""
    offset = when.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)  # aware: never None
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class Table:
    """Rows by id plus the ids in ascending order; ids only grow, so appending keeps them sorted."""

    def __init__(self) -> None:
        self.rows: dict[int, dict] = {}
        self.ids: list[int] = []
        self.next_id = 1

    def add(self, row: dict) -> dict:
        row["id"] = self.next_id
        self.next_id += 1
        self.rows[row["id"]] = row
        self.ids.append(row["id"])
        return row

    def live(self, row_id: int) -> dict | None:
        row = self.rows.get(row_id)
        return row if row is not None and not row["is_deleted"] else None

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Position:
    """Where a page ended: the sort field's value and the id of the last item handed out."""

    field: str
    value: object
    direction: str
    id: int

    def encode(self) -> str:
        raw = json.dumps(
            {
                "field": self.field,
                "fieldValue": self.value,
                "sortDirection": self.direction,
                "id": self.id,
            },
            separators=(",", ":"),
        )
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, sort_by: str, direction: str) -> Position:
        """The position a cursor names; 400 when it is not one of ours or was made for another sort."""
        try:
            raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            pos = cls(raw["field"], raw["fieldValue"], raw["sortDirection"], raw["id"])
        except (
            ValueError,
            TypeError,
            KeyError,
            binascii.Error,
            UnicodeDecodeError,
            RecursionError,
        ):
            raise errors.validation("Validation failed: cursor: Invalid cursor") from None
        # The value must have the sort field's type, or bisecting would compare int with str.
        wanted = int if sort_by == "id" else str
        if (
            pos.field != sort_by
            or pos.direction != direction
            or type(pos.value) is not wanted
            or type(pos.id) is not int
        ):
            raise errors.validation("Validation failed: cursor: Invalid cursor")
        return pos


def page(
    table: Table,
    keep: Callable[[dict], bool],
    *,
    sort_by: str,
    direction: str,
    after: Position | None,
    limit: int,
) -> tuple[list[dict], Position | None]:
    """One page of the rows `keep` accepts, in (sort field, id) order, after a position.

    Sorting by id walks the id list from the cursor (no rescan of earlier pages); other
    sorts sort the matching rows once per request and bisect to the cursor.
    """
    out: list[dict] = []
    if sort_by == "id":
        ids, rows = table.ids, table.rows
        if direction == "asc":
            start = bisect_right(ids, after.id) if after else 0
            walk = range(start, len(ids))
        else:
            end = bisect_left(ids, after.id) if after else len(ids)
            walk = range(end - 1, -1, -1)
        for j in walk:
            row = rows[ids[j]]
            if keep(row):
                out.append(row)
                if len(out) > limit:
                    break
    else:

        def key(row: dict) -> tuple:
            return (row[sort_by] or "", row["id"])

        ordered = sorted((r for r in table.rows.values() if keep(r)), key=key)
        mark = (after.value, after.id) if after else None
        if direction == "asc":
            start = bisect_right(ordered, mark, key=key) if mark else 0
            out = ordered[start : start + limit + 1]
        else:
            end = bisect_left(ordered, mark, key=key) if mark else len(ordered)
            out = ordered[max(0, end - limit - 1) : end][::-1]
    if len(out) <= limit:
        return out, None
    out = out[:limit]
    last = out[-1]
    value = last["id"] if sort_by == "id" else (last[sort_by] or "")
    return out, Position(sort_by, value, direction, last["id"])


class PipedriveState:
    """One Pipedrive company with its one user, as the fake API serves it."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.api_token = ""
        self.company = {
            "id": COMPANY_ID,
            "name": fakedata.COMPANY_NAME,
            "domain": fakedata.COMPANY_DOMAIN,
            "country": "SE",
        }
        self.users: dict[int, dict] = {}
        self.user_id = USER_ID
        self.activity_types: list[dict] = []
        self.persons = Table()
        self.organizations = Table()
        self.deals = Table()
        self.activities = Table()
        self.person_ids_by_email: dict[str, list[int]] = {}
        self.ratelimiter = RateLimiter()
        self._last_stamp = ""

    # -- time ------------------------------------------------------------------------------

    def stamp(self, at: datetime | None = None) -> str:
        """A write's timestamp: the clock (or `at`) in whole seconds, never before an earlier write.

        Pipedrive has 1-second granularity, so two writes in the same second share an
        update_time (ties are possible, as on the real service).
        """
        self._last_stamp = max(self._last_stamp, rfc3339(at or self.clock.now()))
        return self._last_stamp

    # -- user, company, types -------------------------------------------------------------

    @property
    def user(self) -> dict:
        return self.users[self.user_id]

    def add_user(self, *, name: str, email: str, timezone_name: str, at: datetime) -> dict:
        stamp = self.stamp(at)
        user = {
            "id": self.user_id,
            "name": name,
            "email": email,
            "timezone_name": timezone_name,
            "created": stamp,
            "modified": stamp,
        }
        self.users[self.user_id] = user
        return user

    def me(self) -> dict:
        """`GET /v1/users/me` data."""
        user = self.user
        return {
            "id": user["id"],
            "name": user["name"],
            "default_currency": "SEK",
            "locale": "sv_SE",
            "lang": 1,
            "email": user["email"],
            "phone": None,
            "activated": True,
            "last_login": v1_time(self._last_stamp or user["created"]),
            "created": v1_time(user["created"]),
            "modified": v1_time(user["modified"]),
            "has_created_company": True,
            "access": [{"app": "sales", "admin": True, "permission_set_id": "sandbox-admin"}],
            "active_flag": True,
            "timezone_name": user["timezone_name"],
            "timezone_offset": _utc_offset(user["timezone_name"], self.clock.now()),
            "role_id": 1,
            "icon_url": None,
            "is_you": True,
            "is_admin": 1,
            "company_id": self.company["id"],
            "company_name": self.company["name"],
            "company_domain": self.company["domain"],
            "company_country": self.company["country"],
            "company_industry": "Sales",
            "language": {"language_code": "sv", "country_code": "SE"},
        }

    def add_activity_type(
        self,
        name: str,
        key_string: str,
        icon_key: str,
        *,
        active: bool = True,
        custom: bool = False,
        at: datetime,
    ) -> dict:
        stamp = v1_time(self.stamp(at))
        row = {
            "id": len(self.activity_types) + 1,
            "order_nr": len(self.activity_types) + 1,
            "name": name,
            "key_string": key_string,
            "icon_key": icon_key,
            "active_flag": active,
            "color": None,
            "is_custom_flag": custom,
            "add_time": stamp,
            "update_time": stamp,
        }
        self.activity_types.append(row)
        return row

    def activity_type(self, key: str) -> dict:
        """The active type with that key_string; 400 for an unknown or deactivated key."""
        for row in self.activity_types:
            if row["key_string"] == key:
                if not row["active_flag"]:
                    raise errors.validation(f"Activity type '{key}' is not active")
                return row
        raise errors.validation(f"Validation failed: type: Activity type '{key}' does not exist")

    # -- links -----------------------------------------------------------------------------

    def _check_user(self, user_id: int | None, field: str) -> None:
        if user_id is not None and user_id not in self.users:
            raise errors.validation(
                f"Validation failed: {field}: User with id {user_id} does not exist"
            )

    def _check_link(self, table: Table, row_id: int | None, what: str, field: str) -> None:
        if row_id is not None and table.live(row_id) is None:
            raise errors.validation(
                f"Validation failed: {field}: {what} with id {row_id} does not exist"
            )

    # -- persons ---------------------------------------------------------------------------

    def person(self, person_id: int) -> dict:
        row = self.persons.live(person_id)
        if row is None:
            raise errors.not_found("Person")
        return row

    def persons_by_email(self, email: str) -> list[dict]:
        rows = (
            self.persons.live(i) for i in self.person_ids_by_email.get(email.strip().lower(), ())
        )
        return [r for r in rows if r is not None]

    def _index_emails(self, row: dict, add: bool) -> None:
        for item in row["emails"]:
            key = item["value"].strip().lower()
            ids = self.person_ids_by_email.setdefault(key, [])
            if add and row["id"] not in ids:
                ids.append(row["id"])
            elif not add and row["id"] in ids:
                ids.remove(row["id"])

    def create_person(self, fields: dict, *, at: datetime | None = None) -> dict:
        if not fields.get("name"):
            raise errors.validation("Validation failed: name: Name is required")
        self._check_link(self.organizations, fields.get("org_id"), "Organization", "org_id")
        self._check_user(fields.get("owner_id"), "owner_id")
        stamp = self.stamp(at)
        row = {
            "id": 0,
            "name": "",
            "first_name": None,
            "last_name": None,
            "owner_id": self.user_id,
            "org_id": None,
            "add_time": stamp,
            "update_time": stamp,
            "emails": [],
            "phones": [],
            "is_deleted": False,
            "visible_to": 3,
            "label_ids": [],
            "picture_id": None,
        }
        self._apply_person(row, fields)
        self.persons.add(row)
        self._index_emails(row, True)
        return row

    @staticmethod
    def _apply_person(row: dict, fields: dict) -> None:
        row.update(fields)
        if "name" in fields and "first_name" not in fields and "last_name" not in fields:
            first, _, last = fields["name"].strip().partition(" ")
            row["first_name"], row["last_name"] = first, last or None

    def update_person(self, person_id: int, fields: dict) -> dict:
        row = self.person(person_id)
        self._check_link(self.organizations, fields.get("org_id"), "Organization", "org_id")
        self._check_user(fields.get("owner_id"), "owner_id")
        self._index_emails(row, False)
        self._apply_person(row, fields)
        self._index_emails(row, True)
        row["update_time"] = self.stamp()
        return row

    def delete_person(self, person_id: int) -> dict:
        """Soft delete; deals stay, unlinked (activities keep it as a participant, as v2 does)."""
        row = self.person(person_id)
        self._index_emails(row, False)
        row["is_deleted"] = True
        row["update_time"] = self.stamp()
        self._unlink("person_id", person_id, (self.deals,))
        return row

    def search_persons(
        self, term: str, fields: set[str], exact: bool, org_id: int | None
    ) -> list[tuple[float, dict]]:
        """Matching live persons with a score, best first (exact email matches use the index)."""
        needle = term.strip().lower()
        if exact and fields == {"email"}:
            candidates = self.persons_by_email(needle)
        else:
            candidates = [r for r in self.persons.rows.values() if not r["is_deleted"]]
        found: list[tuple[float, dict]] = []
        for row in candidates:
            if org_id is not None and row["org_id"] != org_id:
                continue
            texts: list[str] = []
            if "name" in fields:
                texts.append(row["name"])
            if "email" in fields:
                texts.extend(e["value"] for e in row["emails"])
            if "phone" in fields:
                texts.extend(p["value"] for p in row["phones"])
            lowered = [t.lower() for t in texts]
            if needle in lowered:
                found.append((1.0, row))
            elif not exact and any(needle in t for t in lowered):
                found.append((0.5, row))
        found.sort(key=lambda pair: (-pair[0], pair[1]["id"]))
        return found

    # -- organizations and deals ----------------------------------------------------------

    def organization(self, org_id: int) -> dict:
        row = self.organizations.live(org_id)
        if row is None:
            raise errors.not_found("Organization")
        return row

    def create_organization(
        self, fields: dict | str, address: str | None = None, *, at: datetime | None = None
    ) -> dict:
        """A new organization from checked fields (or, for tests, a name and a street address)."""
        if isinstance(fields, str):
            fields = {"name": fields, "address": {"value": address} if address else None}
        self._check_user(fields.get("owner_id"), "owner_id")
        stamp = self.stamp(at)
        row = {
            "id": 0,
            "name": "",
            "owner_id": self.user_id,
            "add_time": stamp,
            "update_time": stamp,
            "is_deleted": False,
            "visible_to": 3,
            "label_ids": [],
            "address": None,
            "custom_fields": {},
        }
        row.update(fields)
        return self.organizations.add(row)

    def update_organization(self, org_id: int, fields: dict) -> dict:
        row = self.organization(org_id)
        self._check_user(fields.get("owner_id"), "owner_id")
        row.update(fields)
        row["update_time"] = self.stamp()
        return row

    def delete_organization(self, org_id: int) -> dict:
        """Soft delete; persons, deals and activities linked to it stay, unlinked."""
        row = self.organization(org_id)
        row["is_deleted"] = True
        row["update_time"] = self.stamp()
        self._unlink("org_id", org_id, (self.persons, self.deals, self.activities))
        return row

    def _unlink(self, field: str, row_id: int, tables: tuple[Table, ...]) -> None:
        for table in tables:
            for other in table.rows.values():
                if other.get(field) == row_id:
                    other[field] = None

    def deal(self, deal_id: int) -> dict:
        row = self.deals.live(deal_id)
        if row is None:
            raise errors.not_found("Deal")
        return row

    def _check_deal(self, fields: dict, row: dict) -> None:
        self._check_user(fields.get("owner_id"), "owner_id")
        self._check_link(self.persons, fields.get("person_id"), "Person", "person_id")
        self._check_link(self.organizations, fields.get("org_id"), "Organization", "org_id")
        if "pipeline_id" in fields and fields["pipeline_id"] not in PIPELINES:
            raise errors.validation(
                f"Validation failed: pipeline_id: Pipeline with id {fields['pipeline_id']} does not exist"
            )
        if "stage_id" in fields and fields["stage_id"] not in STAGES:
            raise errors.validation(
                f"Validation failed: stage_id: Stage with id {fields['stage_id']} does not exist"
            )
        status = fields.get("status", row["status"])
        if fields.get("lost_reason") and status != "lost":
            raise errors.validation(
                "Validation failed: lost_reason: Can only be set if the deal status is lost"
            )

    def _apply_deal(self, row: dict, fields: dict, stamp: str) -> None:
        if "stage_id" in fields and fields["stage_id"] != row["stage_id"]:
            row["stage_change_time"] = stamp
        status = fields.get("status", row["status"])
        if status != row["status"]:
            row["won_time"] = stamp if status == "won" else None
            row["lost_time"] = stamp if status == "lost" else None
            row["close_time"] = None if status == "open" else stamp
            if status != "lost":
                row["lost_reason"] = None
        row.update(fields)

    def create_deal(self, fields: dict, *, at: datetime | None = None) -> dict:
        row = {
            "id": 0,
            "title": "",
            "creator_user_id": self.user_id,
            "owner_id": self.user_id,
            "person_id": None,
            "org_id": None,
            "pipeline_id": 1,
            "stage_id": 1,
            "value": 0,
            "currency": "SEK",
            "add_time": "",
            "update_time": "",
            "stage_change_time": None,
            "is_deleted": False,
            "is_archived": False,
            "status": "open",
            "probability": None,
            "lost_reason": None,
            "visible_to": 3,
            "close_time": None,
            "won_time": None,
            "lost_time": None,
            "expected_close_date": None,
            "label_ids": [],
            "origin": "API",
            "origin_id": None,
            "channel": None,
            "channel_id": None,
            "custom_fields": {},
        }
        self._check_deal(fields, row)
        stamp = self.stamp(at)
        row["add_time"] = row["update_time"] = stamp
        self._apply_deal(row, fields, stamp)
        return self.deals.add(row)

    def update_deal(self, deal_id: int, fields: dict) -> dict:
        row = self.deal(deal_id)
        self._check_deal(fields, row)
        stamp = self.stamp()
        self._apply_deal(row, fields, stamp)
        row["update_time"] = stamp
        return row

    def delete_deal(self, deal_id: int) -> dict:
        """Soft delete; activities linked to it stay, unlinked."""
        row = self.deal(deal_id)
        row["is_deleted"] = True
        row["update_time"] = self.stamp()
        self._unlink("deal_id", deal_id, (self.activities,))
        return row

    # -- activities ------------------------------------------------------------------------

    def activity(self, activity_id: int) -> dict:
        """A live activity; 404 for an unknown or deleted one (v2 hides deleted activities from get)."""
        row = self.activities.live(activity_id)
        if row is None:
            raise errors.not_found("Activity")
        return row

    def _check_activity_fields(self, fields: dict) -> None:
        if "type" in fields:
            self.activity_type(fields["type"])
        self._check_user(fields.get("owner_id"), "owner_id")
        self._check_link(self.deals, fields.get("deal_id"), "Deal", "deal_id")
        self._check_link(self.organizations, fields.get("org_id"), "Organization", "org_id")
        for part in fields.get("participants") or ():
            self._check_link(self.persons, part["person_id"], "Person", "participants")
        for att in fields.get("attendees") or ():
            self._check_link(self.persons, att.get("person_id"), "Person", "attendees")
            self._check_user(att.get("user_id"), "attendees")

    def _attendee(self, given: dict) -> dict:
        """An attendee as stored: a person or the user matched by email when not named."""
        email = given["email"]
        person_id = given.get("person_id")
        if person_id is None:
            matches = self.persons_by_email(email)
            person_id = matches[0]["id"] if matches else None
        user_id = given.get("user_id")
        if user_id is None and email.lower() == self.user["email"].lower():
            user_id = self.user_id
        name = given.get("name")
        if name is None and person_id is not None:
            name = self.persons.rows[person_id]["name"]
        return {
            "email": email,
            "name": name,
            "status": given.get("status") or "noreply",
            "is_organizer": bool(given.get("is_organizer", False)),
            "person_id": person_id,
            "user_id": user_id,
        }

    def _apply_activity(self, row: dict, fields: dict, stamp: str) -> None:
        for name, value in fields.items():
            if name == "participants":
                parts = [dict(p) for p in value or ()]
                if parts and not any(p["primary"] for p in parts):
                    parts[0]["primary"] = True
                row["participants"] = parts
                row["person_id"] = next((p["person_id"] for p in parts if p["primary"]), None)
            elif name == "attendees":
                row["attendees"] = [self._attendee(a) for a in value or ()]
            elif name == "location":
                row["location"] = None if value is None else {**_EMPTY_LOCATION, **value}
            elif name == "done":
                if value and not row["done"]:
                    row["marked_as_done_time"] = stamp
                elif not value:
                    row["marked_as_done_time"] = None
                row["done"] = value
            else:
                row[name] = value

    def create_activity(self, fields: dict, *, at: datetime | None = None) -> dict:
        self._check_activity_fields(fields)
        stamp = self.stamp(at)
        kind = fields.get("type") or next(
            t["key_string"] for t in self.activity_types if t["active_flag"]
        )
        row = {
            "id": 0,
            "subject": self.activity_type(kind)["name"],
            "type": kind,
            "owner_id": self.user_id,
            "creator_user_id": self.user_id,
            "is_deleted": False,
            "add_time": stamp,
            "update_time": stamp,
            "deal_id": None,
            "lead_id": None,
            "person_id": None,
            "org_id": None,
            "project_id": None,
            "due_date": None,
            "due_time": None,
            "duration": None,
            "busy": True,
            "done": False,
            "marked_as_done_time": None,
            "location": None,
            "participants": [],
            "attendees": [],
            "public_description": None,
            "note": None,
            "priority": None,
            "private": False,
            "conference_meeting_client": None,
            "conference_meeting_url": None,
            "conference_meeting_id": None,
        }
        self._apply_activity(row, fields, stamp)
        return self.activities.add(row)

    def update_activity(
        self, activity_id: int, fields: dict, *, at: datetime | None = None
    ) -> dict:
        row = self.activity(activity_id)
        self._check_activity_fields(fields)
        stamp = self.stamp(at)
        self._apply_activity(row, fields, stamp)
        row["update_time"] = stamp
        return row

    def delete_activity(self, activity_id: int, *, at: datetime | None = None) -> dict:
        """Soft delete: the row stays (is_deleted) and shows up in `updated_since` lists."""
        row = self.activity(activity_id)
        row["is_deleted"] = True
        row["update_time"] = self.stamp(at)
        return row

    # -- views -----------------------------------------------------------------------------

    @staticmethod
    def activity_view(row: dict, *, attendees: bool = False) -> dict:
        view = {k: v for k, v in row.items() if k != "attendees"}
        if attendees:
            view["attendees"] = row["attendees"]
        return view

    def state_dump(self) -> dict:
        """Everything held, JSON-able (deleted rows included), for `GET /_sandbox/state`."""
        return {
            "company": self.company,
            "users": list(self.users.values()),
            "activity_types": self.activity_types,
            "persons": list(self.persons.rows.values()),
            "organizations": list(self.organizations.rows.values()),
            "deals": list(self.deals.rows.values()),
            "activities": list(self.activities.rows.values()),
            "rate_limits": self.ratelimiter.snapshot(),
        }


_EMPTY_LOCATION = {
    "value": None,
    "street_number": None,
    "route": None,
    "sublocality": None,
    "locality": None,
    "admin_area_level_1": None,
    "admin_area_level_2": None,
    "country": None,
    "postal_code": None,
    "formatted_address": None,
}
