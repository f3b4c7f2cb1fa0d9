"""The headless `calsync undo` and `calsync explain` (see docs/cli.md): their output as lines
or JSON, through the same Console as the other commands (sync/commands.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from . import accounts as acc
from .commands import Console, _open, _printer, _summary_line
from .errors import EXIT_FAILED, EXIT_GUARDED, CalsyncError
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
