"""The I/O side of guest matching for one run: the contact index brought up to date on first
need (so a run without guests to match reads nothing more), the match of an activity's
guests, and the persons made for unknown guests when the option says so (sync/guests.py
has the rules)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime

from .contact_index import IndexFile
from .guests import GuestMatch, Matcher, colleagues, external
from .pipedrive_api import Pipedrive


class GuestSource:
    def __init__(
        self,
        index_file: IndexFile,
        pipedrive: Pipedrive,
        *,
        full: bool,
        now: datetime,
        own: Iterable[str],
    ) -> None:
        self.index_file = index_file
        self.pipedrive = pipedrive
        self.full = full
        self.now = now
        self.own = tuple(own)
        self._matcher: Matcher | None = None
        self._lock = asyncio.Lock()

    async def matcher(self) -> Matcher:
        async with self._lock:
            if self._matcher is None:
                index = await self.index_file.refreshed(
                    self.pipedrive, full=self.full, now=self.now
                )
                users = await self.pipedrive.user_emails()  # colleagues: never matched
                self._matcher = Matcher(index, self.own, users)
            return self._matcher

    async def fields_for(self, body: dict, *, create_persons: bool) -> tuple[dict, GuestMatch]:
        """The participants / org_id / deal_id for an activity body's attendees, and the
        match (its `review`, if any). With `create_persons`, each unknown external guest
        becomes a person first (once: found again by e-mail, in the index or, when a
        create's answer is lost, by a search)."""
        emails = [a.get("email", "") for a in body.get("attendees") or ()]
        if not external(emails, *colleagues(self.own)):
            return {}, GuestMatch()  # no guest to match: the index is not even read
        matcher = await self.matcher()
        match = matcher.match(emails)
        if create_persons and match.unknown:
            async with self._lock:
                match = matcher.match(emails)  # another worker may have made some meanwhile
                names = {
                    a.get("email", "").strip().lower(): a.get("name") for a in body["attendees"]
                }
                for email in match.unknown:
                    person = await self.pipedrive.create_person(
                        {
                            "name": names.get(email) or email,
                            "emails": [{"value": email, "primary": True}],
                        },
                        email,
                    )
                    matcher.add_person(person)
                self.index_file.save(matcher.index)
            match = matcher.match(emails)
        return match.body(), match

    async def changed_fields(
        self, body: dict, before: Iterable[str], current: dict, *, create_persons: bool
    ) -> tuple[dict, GuestMatch]:
        """The guests of a linked activity changed (`before`: its guests as read; `current`:
        its participants / org_id / deal_id as read): the fields the new guests give, each
        only where the activity still holds what the old guests gave (or nothing). A person,
        organization or deal the user set in Pipedrive by hand is never overwritten."""
        matcher = await self.matcher()
        old = matcher.match(before).body()
        fields, match = await self.fields_for(body, create_persons=create_persons)
        now = {
            "participants": [str(p) for p in current.get("participants") or ()],
            "org_id": str(current["org_id"]) if current.get("org_id") else None,
            "deal_id": str(current["deal_id"]) if current.get("deal_id") else None,
        }
        was = {
            "participants": [str(p["person_id"]) for p in old.get("participants") or ()],
            "org_id": str(old["org_id"]) if old.get("org_id") else None,
            "deal_id": str(old["deal_id"]) if old.get("deal_id") else None,
        }
        empty: dict[str, object] = {"participants": [], "org_id": None, "deal_id": None}
        out: dict = {}
        for key, held in now.items():
            if held in (was[key], empty[key]):
                wanted = fields.get(key, empty[key])
                if _ids(wanted) != held:
                    out[key] = wanted
        return out, match


def _ids(value: object) -> object:
    """A body field as the activity holds it (participants as their person ids)."""
    if isinstance(value, list):
        return [str(p["person_id"]) for p in value]
    return str(value) if value else None


__all__ = ["GuestSource"]
