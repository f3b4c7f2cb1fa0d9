"""The I/O side of guest matching for one run: the contact index brought up to date on first
need (so a run without guests to match reads nothing more), the match of an activity's
guests, and the persons made for unknown guests when the option says so (sync/guests.py
has the rules)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime

from .contact_index import IndexFile
from .guests import GuestMatch, Matcher
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
                self._matcher = Matcher(index, self.own)
            return self._matcher

    async def fields_for(self, body: dict, *, create_persons: bool) -> tuple[dict, GuestMatch]:
        """The participants / org_id / deal_id for an activity body's attendees, and the
        match (its `review`, if any). With `create_persons`, each unknown external guest
        becomes a person first (once: found again by e-mail, in the index or, when a
        create's answer is lost, by a search)."""
        emails = [a.get("email", "") for a in body.get("attendees") or ()]
        matcher = await self.matcher()
        if not matcher.external(emails):
            return {}, GuestMatch()
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


__all__ = ["GuestSource"]
