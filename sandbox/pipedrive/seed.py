"""Deterministic Pipedrive data: the seeded company, bulk activities and persons, and live churn."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, datetime, timedelta

from .. import fakedata
from .models import PipedriveState, Table

DURATIONS = ["00:15", "00:30", "00:45", "01:00", "01:30", "02:00"]
SEED_ACTIVITY_KEYS = ["meeting", "meeting", "call", "call", "task", "deadline", "email", "lunch"]


def _ascii(text: str) -> str:
    """`Åsa Öhman` -> `asa.ohman`-style mail local parts."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum() or c == "-")


def _phone(rng: random.Random, swedish: bool) -> str:
    if swedish:
        return f"+46 7{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    return f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}"


def _person_fields(rng: random.Random, domain: str, org_id: int | None, tag: str = "") -> dict:
    first, last = rng.choice(fakedata.FIRST_NAMES), rng.choice(fakedata.LAST_NAMES)
    swedish = domain.endswith(".se")
    email = f"{_ascii(first)}.{_ascii(last)}{tag}@{domain}"
    phones = [{"value": _phone(rng, swedish), "primary": True, "label": "mobile"}]
    if rng.random() < 0.3:
        phones.append({"value": _phone(rng, swedish), "primary": False, "label": "work"})
    return {
        "name": f"{first} {last}",
        "org_id": org_id,
        "emails": [{"value": email, "primary": True, "label": "work"}],
        "phones": phones,
    }


def _pick(table: Table, rng: random.Random) -> dict | None:
    """A random live row in O(1) tries (None when none is found)."""
    for _ in range(10):
        if not table.ids:
            return None
        row = table.live(rng.choice(table.ids))
        if row is not None:
            return row
    return None


def _due_date(rng: random.Random, now: datetime) -> date:
    # Most activities near today, a tail up to a year ahead: like a real sales calendar.
    days = rng.randint(-30, 60) if rng.random() < 0.7 else rng.randint(61, 365)
    return now.date() + timedelta(days=days)


def _activity_fields(
    state: PipedriveState, rng: random.Random, now: datetime, *, rich: bool
) -> dict:
    kind = rng.choice(SEED_ACTIVITY_KEYS)
    due = _due_date(rng, now)
    fields: dict = {"type": kind, "due_date": due.isoformat()}
    _timing(fields, rng, kind)
    fields["busy"] = kind in ("meeting", "call", "lunch")
    fields["done"] = due < now.date() and rng.random() < 0.5
    subject = rng.choice(fakedata.MEETING_SUBJECTS)
    fields["subject"] = _people(fields, state, rng, subject, rich=rich)
    if rich:
        _details(fields, state, rng)
    return fields


def _timing(fields: dict, rng: random.Random, kind: str) -> None:
    """A time of day and a duration, or neither (an all-day activity)."""
    all_day = (kind in ("deadline", "task") and rng.random() < 0.6) or rng.random() < 0.1
    if not all_day:
        fields["due_time"] = f"{rng.randint(6, 16):02d}:{rng.choice(['00', '15', '30', '45'])}"
        if kind not in ("deadline",) and rng.random() < 0.8:
            fields["duration"] = rng.choice(DURATIONS)


def _people(
    fields: dict, state: PipedriveState, rng: random.Random, subject: str, *, rich: bool
) -> str:
    """Participants (and their organization, and as attendees when `rich`); the subject,
    named for the first participant."""
    first = _pick(state.persons, rng) if rng.random() < 0.6 else None
    if first is None:
        return subject
    parts = [{"person_id": first["id"], "primary": True}]
    other = _pick(state.persons, rng) if rng.random() < 0.3 else None
    if other is not None and other["id"] != first["id"]:
        parts.append({"person_id": other["id"], "primary": False})
    fields["participants"] = parts
    if first["org_id"]:
        fields["org_id"] = first["org_id"]
    if rich and fields["type"] in ("meeting", "lunch", "call"):
        attendees = [
            {"email": state.persons.rows[p["person_id"]]["emails"][0]["value"]} for p in parts
        ]
        if rng.random() < 0.3:
            attendees.append(
                {"email": f"guest{rng.randint(1, 99)}@example.net", "name": "External guest"}
            )
        fields["attendees"] = attendees
    return f"{subject} {first['first_name']}"


def _details(fields: dict, state: PipedriveState, rng: random.Random) -> None:
    """What a rich activity has besides: a deal, a place, texts, privacy and priority."""
    deal = _pick(state.deals, rng) if rng.random() < 0.3 else None
    if deal is not None:
        fields["deal_id"] = deal["id"]
    if fields["type"] in ("meeting", "lunch") and rng.random() < 0.7:
        city, _ = rng.choice(fakedata.PLACES)
        fields["location"] = {
            "value": f"{rng.choice(fakedata.STREETS)}, {city}",
            "locality": city,
        }
    if rng.random() < 0.3:
        fields["public_description"] = "Agenda: status, next steps, questions."
    if rng.random() < 0.3:
        fields["note"] = "Internal: check pricing before the call."
    fields["private"] = rng.random() < 0.1
    fields["priority"] = rng.choice([None, None, 1, 2, 3])


def seed_pipedrive(
    state: PipedriveState, rng: random.Random, *, empty: bool, now: datetime
) -> None:
    """The company, its user and activity types; unless `empty`, persons, orgs, deals, activities.

    Writes are stamped on one ascending timeline ending before `now`, so ids and
    update_times grow together as on a real account.
    """
    start = now.replace(microsecond=0) - timedelta(days=400)
    state.add_user(
        name=fakedata.OWNER_NAME,
        email=fakedata.OWNER_EMAIL,
        timezone_name=fakedata.OWNER_TIME_ZONE,
        at=start,
    )
    for name, key, icon in fakedata.ACTIVITY_TYPES:
        state.add_activity_type(name, key, icon, at=start)
    state.add_activity_type("Demo", "demo", "presentation", active=False, custom=True, at=start)
    if empty:
        return
    at = now.replace(microsecond=0) - timedelta(days=200)
    for name, _domain in rng.sample(fakedata.COMPANIES, 10):
        at += timedelta(hours=rng.randint(1, 48))
        address = f"{rng.choice(fakedata.STREETS)}, {rng.choice(fakedata.PLACES)[0]}"
        state.create_organization({"name": name, "address": {"value": address}}, at=at)
    orgs = list(state.organizations.rows.values())
    domains = {o["id"]: d for o in orgs for n, d in fakedata.COMPANIES if n == o["name"]}
    seen_emails: set[str] = set()
    while len(state.persons) < 30:
        org = rng.choice(orgs) if rng.random() < 0.85 else None
        fields = _person_fields(
            rng, domains[org["id"]] if org else "example.com", org["id"] if org else None
        )
        if fields["emails"][0]["value"] in seen_emails:
            continue
        seen_emails.add(fields["emails"][0]["value"])
        at += timedelta(hours=rng.randint(1, 24))
        state.create_person(fields, at=at)
    persons = list(state.persons.rows.values())
    # Most deals open, one won and one lost (decided by position: the draws stay the same).
    outcomes = {
        3: {"status": "won"},
        6: {"status": "lost", "lost_reason": "Went with a competitor"},
    }
    for n, title in enumerate(rng.sample(fakedata.DEAL_TITLES, min(10, len(fakedata.DEAL_TITLES)))):
        person = rng.choice(persons)
        at += timedelta(hours=rng.randint(1, 24))
        state.create_deal(
            {
                "title": title,
                "person_id": person["id"],
                "org_id": person["org_id"],
                "value": rng.randrange(10_000, 500_000, 1000),
                "expected_close_date": (
                    now.date() + timedelta(days=rng.randint(10, 200))
                ).isoformat(),
                **outcomes.get(n, {}),
            },
            at=at,
        )
    span = int((now - timedelta(hours=1) - at).total_seconds())
    times = sorted(at + timedelta(seconds=rng.randint(1, span)) for _ in range(40))
    for when in times:
        state.create_activity(_activity_fields(state, rng, now, rich=True), at=when)
    live = [i for i in state.activities.ids if not state.activities.rows[i]["done"]]
    state.delete_activity(rng.choice(live), at=now.replace(microsecond=0) - timedelta(minutes=30))


def bulk(
    state: PipedriveState, rng: random.Random, *, activities: int, persons: int, now: datetime
) -> None:
    """Add `persons` persons then `activities` activities inside the default window (-30..+365 days)."""
    for _ in range(persons):
        tag = f".{state.persons.next_id}"
        state.create_person(_person_fields(rng, "example.org", None, tag), at=now)
    for _ in range(activities):
        state.create_activity(_activity_fields(state, rng, now, rich=False), at=now)


def churn_step(state: PipedriveState, rng: random.Random, now: datetime) -> str:
    """One live edit (create, move, rename or delete an activity); a short description of it."""
    live = _pick(state.activities, rng)
    action = rng.choice(["create", "create", "move", "move", "rename", "delete"])
    if live is None or action == "create":
        row = state.create_activity(_activity_fields(state, rng, now, rich=False), at=now)
        return f"created activity {row['id']} {row['subject']!r} on {row['due_date']}"
    if action == "move":
        due = _due_date(rng, now).isoformat()
        state.update_activity(live["id"], {"due_date": due}, at=now)
        return f"moved activity {live['id']} to {due}"
    if action == "rename":
        subject = f"{rng.choice(fakedata.MEETING_SUBJECTS)} (renamed)"
        state.update_activity(live["id"], {"subject": subject}, at=now)
        return f"renamed activity {live['id']} to {subject!r}"
    state.delete_activity(live["id"], at=now)
    return f"deleted activity {live['id']}"
