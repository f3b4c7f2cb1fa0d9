"""Guests to contacts (Google -> Pipedrive): a Google event's guests matched to Pipedrive
persons by e-mail through the local index (sync/contact_index.py), and from the persons the
activity's participants, organization and deal. Pure: no I/O.

Rules (docs/planner.md, "Guests to contacts"): an address matches a person holding it among
any of their e-mails, case-insensitively. The user's own address and colleagues' (the
company's e-mail domain unless it is a free-mail one, and the company's Pipedrive users)
are never matched. The first external guest matched is the primary participant; the
organization is the primary person's; the deal is the single open deal of that person, or
of that organization when the person has none. Several open deals: no deal, and the item goes to review; external
guests of whom none is a person: the item goes to review too (unless persons are created
for them). A guest who is no person may still give the organization by domain: the one
organization whose persons use that domain; free-mail domains never do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .contact_index import ContactIndex

FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "yahoo.com", "yahoo.se", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
        "protonmail.com", "gmx.com", "gmx.de", "web.de", "mail.com", "yandex.com",
        "hotmail.se", "live.se", "telia.com", "fastmail.com", "zoho.com",
    }
)  # fmt: skip

SEVERAL_DEALS = "several open deals could be this meeting's: pick one (calsync review)"
NO_PERSON = "no guest is a Pipedrive person: pick one (calsync review)"


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


@dataclass(frozen=True, slots=True)
class GuestMatch:
    """What the guests give the activity. `participants`: person ids, the primary first;
    `review`: why the user should look (None: nothing to decide); `unknown`: the external
    guests who are no person; `deals`: the open deals to choose from, when several."""

    participants: tuple[str, ...] = ()
    org_id: str | None = None
    deal_id: str | None = None
    review: str | None = None
    unknown: tuple[str, ...] = ()
    deals: tuple[str, ...] = ()

    def body(self) -> dict:
        """The activity body's fields for this match (nothing for an empty one)."""
        out: dict = {}
        if self.participants:
            out["participants"] = [
                {"person_id": int(p), "primary": i == 0} for i, p in enumerate(self.participants)
            ]
        if self.org_id:
            out["org_id"] = int(self.org_id)
        if self.deal_id:
            out["deal_id"] = int(self.deal_id)
        return out


def colleagues(own: Iterable[str]) -> tuple[set[str], set[str]]:
    """The user's own addresses, and the company's e-mail domains (free-mail ones left out)."""
    addresses = {e.strip().lower() for e in own if e}
    return addresses, {d for d in map(domain_of, addresses) if d and d not in FREE_MAIL}


def external(emails: Iterable[str], own: set[str], company: set[str]) -> list[str]:
    """The guests who are neither the user nor a colleague, in order, once each."""
    out: list[str] = []
    for email in emails:
        address = email.strip().lower()
        if not address or address in own or domain_of(address) in company:
            continue
        if address not in out:
            out.append(address)
    return out


class Matcher:
    """Matches guests against one index, for one user (`own`: the user's addresses)."""

    def __init__(self, index: ContactIndex, own: Iterable[str], users: Iterable[str] = ()) -> None:
        """`own`: the user's addresses (their domains are the company's); `users`: the
        company's Pipedrive users' addresses (colleagues, whatever their domain)."""
        self.index = index
        self.own, self.company = colleagues(own)
        self.own |= {e.strip().lower() for e in users if e}
        self._by_email: dict[str, list[str]] = {}
        self._orgs_by_domain: dict[str, set[str]] = {}
        for person_id, person in sorted(index.persons.items(), key=lambda kv: int(kv[0])):
            for email in person.get("emails") or ():
                self._by_email.setdefault(email.strip().lower(), []).append(person_id)
                domain = domain_of(email)
                if person.get("org_id") and domain not in FREE_MAIL:
                    self._orgs_by_domain.setdefault(domain, set()).add(str(person["org_id"]))

    def add_person(self, row: dict) -> None:
        """A person just made for a guest: matched from now on."""
        self.index.add_person(row)
        for email in self.index.persons[str(row["id"])]["emails"]:
            self._by_email.setdefault(email.strip().lower(), []).append(str(row["id"]))

    def external(self, emails: Iterable[str]) -> list[str]:
        return external(emails, self.own, self.company)

    def match(self, emails: Iterable[str]) -> GuestMatch:
        external = self.external(emails)
        persons: list[str] = []
        unknown: list[str] = []
        for address in external:
            found = self._by_email.get(address)
            if not found:
                unknown.append(address)
            elif found[0] not in persons:
                persons.append(found[0])
        if not persons:
            org = self._org_by_domain(unknown)
            review = NO_PERSON if external else None
            return GuestMatch(org_id=org, review=review, unknown=tuple(unknown))
        primary = self.index.persons[persons[0]]
        org = str(primary["org_id"]) if primary.get("org_id") else None
        deals = self._open_deals("person_id", persons[0]) or (
            self._open_deals("org_id", org) if org else []
        )
        deal = deals[0] if len(deals) == 1 else None
        return GuestMatch(
            participants=tuple(persons),
            org_id=org,
            deal_id=deal,
            review=SEVERAL_DEALS if len(deals) > 1 else None,
            unknown=tuple(unknown),
            deals=tuple(deals) if len(deals) > 1 else (),
        )

    def _open_deals(self, key: str, value: str) -> list[str]:
        return sorted(
            (
                deal_id
                for deal_id, deal in self.index.deals.items()
                if deal.get("status") == "open" and str(deal.get(key) or "") == value
            ),
            key=int,
        )

    def _org_by_domain(self, addresses: list[str]) -> str | None:
        for address in addresses:
            orgs = self._orgs_by_domain.get(domain_of(address), set())
            if len(orgs) == 1:
                return next(iter(orgs))
        return None


__all__ = ["FREE_MAIL", "GuestMatch", "Matcher", "colleagues", "domain_of", "external"]
