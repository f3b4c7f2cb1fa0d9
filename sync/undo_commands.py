"""The headless `calsync undo` and `calsync explain` (see docs/cli.md): their output as lines
or JSON, through the same Console as the other commands (sync/commands.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from . import accounts as acc
from .commands import Console, _open, _printer, _summary_line
from .errors import EXIT_FAILED, EXIT_GUARDED, EXIT_OK, CalsyncError
from .explain import explain as explain_item
from .explain import lines, look_up
from .safe_text import safe_text
from .services import open_services
from .store import Account, Store
from .undo import undo_run
from .vault import Vault


async def _undo_one(
    console: Console,
    store: Store,
    vault: Vault,
    account: Account,
    *,
    run: int | None,
    as_json: bool,
    dry_run: bool,
    force_delete: bool,
    transport=None,
) -> dict[str, Any]:
    show, result = _printer(console, account, as_json=as_json, dry_run=dry_run)
    undo_of = None
    async for event in undo_run(
        store,
        vault,
        account.id,
        run=run,
        dry_run=dry_run,
        force_delete=force_delete,
        transport=transport,
        clock=console.clock,
    ):
        if event.kind == "start":
            undo_of = event.detail.get("undo_of")
        show(event)
    return {"account": account.id, "undo_of": undo_of, **result}


def undo(
    console: Console,
    *,
    home: Path | None,
    account_id: str | None,
    run: int | None,
    as_json: bool,
    dry_run: bool,
    force_delete: bool,
    transport=None,
) -> int:
    """Put back what calsync wrote in run `run` (default: the last run that wrote)."""
    store, vault = _open(home)
    account = acc.pick_account(store, account_id, active_only=False)
    try:
        summary = asyncio.run(
            _undo_one(
                console,
                store,
                vault,
                account,
                run=run,
                as_json=as_json,
                dry_run=dry_run,
                force_delete=force_delete,
                transport=transport,
            )
        )
    except CalsyncError as exc:
        if not as_json:
            raise
        console.json({"account": account.id, "status": "error", "error": str(exc)})
        return exc.exit_code
    code = int(summary.pop("exit_code", EXIT_FAILED))
    if as_json:
        console.json(summary)
        return code
    console.print(f"undo of run {summary['undo_of']}: " + _summary_line(summary).split(": ", 1)[1])
    if code == EXIT_GUARDED:
        console.err.write(
            "calsync: held by the mass-deletion guard: run `calsync undo --force-delete` "
            "to go ahead\n"
        )
    elif not dry_run and summary.get("status") in ("ok", "error"):
        console.print(
            f"account {account.id} stopped syncing (run {summary['undo_of']} was undone): "
            f"change its options if need be, then `calsync reconnect {account.id}`."
        )
    return code


async def _look_up(found, account: Account, vault: Vault, now, transport) -> None:
    services = open_services(account, vault, transport=transport)
    try:
        await look_up(found, services, account.options, account.extra.calendar_tz, now)
    except CalsyncError:
        pass  # offline: what the log says is the answer
    finally:
        await services.aclose()


def explain(
    console: Console,
    *,
    home: Path | None,
    account_id: str | None,
    item: str,
    as_json: bool,
    transport=None,
) -> int:
    """What calsync did to ITEM and why (sync/explain.py)."""
    store, vault = _open(home)
    account = acc.pick_account(store, account_id, active_only=False)
    found = explain_item(store.data(account.id), item)
    if len(found) == 1 and not found[0].touches and found[0].link is None:
        asyncio.run(_look_up(found[0], account, vault, console.clock(), transport))
    if as_json:
        console.json([f.to_json() for f in found] if len(found) > 1 else found[0].to_json())
        return EXIT_OK
    for number, one in enumerate(found):
        if number:
            console.print()
        for line in lines(one):
            console.print(safe_text(line))
    return EXIT_OK
