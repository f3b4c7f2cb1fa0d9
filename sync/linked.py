"""The person, organization and deal an activity is linked to, read from Pipedrive for the
Google copies when linked contacts are on (prefetched in a few requests per run)."""

from __future__ import annotations

import logging

from .http import ApiError
from .models import Contact, Deal, LinkedContacts
from .pipedrive_api import Pipedrive

log = logging.getLogger("calsync.sync")

KINDS = (("person", "person_id", "persons"), ("organization", "org_id", "organizations"),
         ("deal", "deal_id", "deals"))  # fmt: skip


class LinkedReader:
    """Reads what activities are linked to, each record once per run."""

    def __init__(self, pipedrive: Pipedrive, contacts: dict[str, dict], api_domain: str) -> None:
        self.pipedrive = pipedrive
        self.contacts = contacts
        """Activity id -> its person_id / org_id / deal_id, as this run listed them."""
        self.domain = api_domain.rstrip("/")
        self._cache: dict[tuple[str, str], dict | None] = {}

    async def prefetch(self, activity_ids: list[str]) -> None:
        """Fetch the records of these activities in a few list requests (by ids) rather than
        one request each."""
        wanted: dict[str, set[str]] = {kind: set() for kind, _, _ in KINDS}
        for activity_id in activity_ids:
            raw = self.contacts.get(activity_id) or {}
            for kind, key, _ in KINDS:
                if raw.get(key):
                    wanted[kind].add(str(raw[key]))
        for kind, _, plural in KINDS:
            missing = sorted(i for i in wanted[kind] if (kind, i) not in self._cache)
            if not missing:
                continue
            try:
                rows = await self.pipedrive.by_ids(plural, missing)
            except ApiError as exc:
                log.info("could not prefetch %s: %s", plural, exc)
                continue  # each activity fetches its own, one by one
            by_id = {str(row.get("id")): row for row in rows}
            for i in missing:
                self._cache[(kind, i)] = by_id.get(i)

    async def of(self, activity_id: str) -> LinkedContacts | None:
        """What activity `activity_id` is linked to; None when nothing."""
        raw = self.contacts.get(activity_id)
        if raw is None:
            raw = await self.pipedrive.get_activity(activity_id) or {}
        person = await self._fetch("person", raw.get("person_id"))
        org = await self._fetch("organization", raw.get("org_id"))
        deal = await self._fetch("deal", raw.get("deal_id"))
        linked = LinkedContacts(
            person=self._contact(person, "person"),
            organization=self._contact(org, "organization"),
            deal=Deal(
                title=deal.get("title", ""),
                url=f"{self.domain}/deal/{deal['id']}",
                value=f"{deal.get('value', '')} {deal.get('currency', '')}".strip(),
            )
            if deal
            else None,
        )
        return None if linked.is_empty() else linked

    async def _fetch(self, kind: str, item_id: object) -> dict | None:
        if not item_id:
            return None
        key = (kind, str(item_id))
        if key not in self._cache:
            getter = {
                "person": self.pipedrive.person,
                "organization": self.pipedrive.organization,
                "deal": self.pipedrive.deal,
            }[kind]
            self._cache[key] = await getter(str(item_id))
        return self._cache[key]

    def _contact(self, data: dict | None, path: str) -> Contact | None:
        if not data:
            return None
        return Contact(
            name=data.get("name", ""),
            emails=tuple(e["value"] for e in data.get("emails") or () if e.get("value")),
            phones=tuple(p["value"] for p in data.get("phones") or () if p.get("value")),
            url=f"{self.domain}/{path}/{data['id']}",
        )
