"""The headless `calsync review` (docs/cli.md): the items waiting for the user (sync/review.py),
as lines or JSON, and resolving one of them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from . import accounts as acc
from .commands import Console, _open
from .errors import EXIT_OK, NotFound, UsageError
from .review import ReviewItem, ReviewList
from .safe_text import safe_text
from .services import open_services
from .store import Account
from .vault import Vault


def review(
    console: Console,
    *,
    home: Path | None,
    account_id: str | None,
    item: str | None = None,
    person: str | None = None,
    deal: str | None = None,
    dismiss: bool = False,
    as_json: bool = False,
    transport: Any = None,
) -> int:
    """List the open review items, or (ITEM with one of --person / --deal / --dismiss)
    resolve one. `--json` of the list: {"account": id, "items": [ReviewItem.to_json()...]};
    of a resolution: {"item": key, "resolved": "person" | "deal" | "dismissed", "id": id}."""
    store, vault = _open(home)
    account = acc.pick_account(store, account_id, active_only=False)
    listed = ReviewList(store.data(account.id).folder)
    if item is None:
        if person or deal or dismiss:
            raise UsageError("review: --person, --deal and --dismiss need an ITEM")
        return _list(console, account.id, listed, as_json)
    found = listed.get(item)
    if found is None or found.state != "open":
        raise UsageError(f"no review item {item!r} (see `calsync review`)")
    if sum((person is not None, deal is not None, dismiss)) != 1:
        raise UsageError("review ITEM takes one of --person ID, --deal ID or --dismiss")
    if dismiss:
        listed.dismiss(item)
        return _said(console, as_json, item, "dismissed", None, "dismissed: left as it is")
    if found.code == "duplicate":
        raise UsageError(
            f"{item} may be a duplicate of another item ({found.reason}): "
            "only --dismiss resolves it (it is then left as it is, never copied)"
        )
    chosen = str(person if person is not None else deal)
    kind = "person" if person is not None else "deal"
    asyncio.run(link_item(account, vault, found, kind, chosen, transport))
    listed.drop(item)
    return _said(console, as_json, item, kind, chosen, f"linked to {kind} {chosen}")


def _said(
    console: Console, as_json: bool, key: str, resolved: str, chosen: str | None, words: str
) -> int:
    if as_json:
        console.json({"item": key, "resolved": resolved, "id": chosen})
    else:
        console.print(safe_text(f"{key}: {words}"))
    return EXIT_OK


async def link_item(
    account: Account, vault: Vault, item: ReviewItem, kind: str, chosen: str, transport: Any
) -> None:
    """Give the activity the person (as its primary participant, the others kept) or the
    deal the user picked: a link set by hand, which matching never overwrites."""
    if not chosen.isdigit():
        raise UsageError(f"--{kind} takes a Pipedrive id (a whole number), not {chosen!r}")
    services = open_services(account, vault, transport=transport)
    try:
        pipedrive = services.pipedrive
        activity = await pipedrive.get_activity(item.id)
        if activity is None:
            raise NotFound(f"activity {item.id} is gone from Pipedrive")
        if kind == "deal":
            body: dict[str, Any] = {"deal_id": int(chosen)}
        else:
            others = [
                {"person_id": p["person_id"], "primary": False}
                for p in activity.get("participants") or ()
                if str(p.get("person_id")) != chosen
            ]
            body = {"participants": [{"person_id": int(chosen), "primary": True}, *others]}
        await pipedrive.update_activity(item.id, body)
    finally:
        await services.aclose()


def _list(console: Console, account_id: str, listed: ReviewList, as_json: bool) -> int:
    items = listed.items()
    if as_json:
        console.json({"account": account_id, "items": [i.to_json() for i in items]})
        return EXIT_OK
    if not items:
        console.print("nothing to review")
    for i in items:
        console.print(safe_text(f"{i.key:<24} {i.start or '':<26} {i.title} — {i.reason}"))
    return EXIT_OK


__all__ = ["link_item", "review"]
