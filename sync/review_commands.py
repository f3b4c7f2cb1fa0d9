"""The headless `calsync review` (docs/cli.md): the items waiting for the user (sync/review.py),
as lines or JSON, and resolving one of them."""

from __future__ import annotations

from pathlib import Path

from . import accounts as acc
from .commands import Console, _open
from .errors import EXIT_OK, NotFound, UsageError
from .review import ReviewList
from .safe_text import safe_text


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
) -> int:
    """List the open review items, or (ITEM with one of --person / --deal / --dismiss)
    resolve one. `--json` of the list: {"account": id, "items": [ReviewItem.to_json()...]}."""
    store, _ = _open(home)
    account = acc.pick_account(store, account_id, active_only=False)
    listed = ReviewList(store.data(account.id).folder)
    if item is None:
        if person or deal or dismiss:
            raise UsageError("review: --person, --deal and --dismiss need an ITEM")
        return _list(console, account.id, listed, as_json)
    return _resolve(console, listed, item, person=person, deal=deal, dismiss=dismiss)


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


def _resolve(
    console: Console,
    listed: ReviewList,
    key: str,
    *,
    person: str | None,
    deal: str | None,
    dismiss: bool,
) -> int:
    if sum((person is not None, deal is not None, dismiss)) != 1:
        raise UsageError("review ITEM takes one of --person ID, --deal ID or --dismiss")
    found = listed.get(key)
    if found is None or found.state != "open":
        raise NotFound(f"no review item {key!r} (see `calsync review`)")
    if not dismiss:
        raise UsageError(
            f"{key} may be a duplicate of another item ({found.reason}): "
            "only --dismiss resolves it (it is then left as it is, never copied)"
        )
    listed.dismiss(key)
    console.print(safe_text(f"dismissed {key}: left as it is, never copied"))
    return EXIT_OK


__all__ = ["review"]
