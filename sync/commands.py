"""The headless commands' logic (connect, options, calendars, sync, accounts, disconnect,
reconnect, log).

`tui/cli.py` parses the command line and calls these; each returns the process exit code
and writes its output to the given streams. Errors a user can cause are raised as
CalsyncError and shown by the caller as one line.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from . import accounts as acc
from .cli_progress import LiveProgress, progress_line
from .errors import EXIT_FAILED, EXIT_GUARDED, EXIT_OK, CalsyncError, UsageError
from .models import RunSummary, SyncEvent
from .runner import run_once
from .safe_text import safe_json, safe_text
from .store import Account, Store
from .undo_store import undone_note
from .vault import Vault
from .watch import RunEvent, Stopped, Waiting, watch
from .when import TimeView, machine_view
from .wording import plural

ARROW = {"google": "→ Google   ", "pipedrive": "→ Pipedrive", None: "           "}


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class Console:
    """Where output goes (stdout for results, stderr for progress and problems), and the clock
    that dates are shown against (a year on dates outside its current one)."""

    def __init__(
        self,
        out: IO[str] | None = None,
        err: IO[str] | None = None,
        clock: Callable[[], datetime] = _wall_clock,
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.clock = clock

    def view(self, account: Account) -> TimeView:
        """Times as the account's calendar shows them."""
        return TimeView.for_account(account.extra, self.clock())

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def json(self, value: Any) -> None:
        # The exact value, with what a terminal acts on escaped the JSON way (\u009b).
        self.print(safe_json(json.dumps(value, ensure_ascii=False, default=str)))


def _open(home: Path | None) -> tuple[Store, Vault]:
    store = Store(home)
    return store, Vault(store.home)


def account_json(account: Account) -> dict[str, Any]:
    """What `accounts --json` shows of an account: never a token."""
    return {
        "id": account.id,
        "email": account.email,
        "pipedrive_email": account.pipedrive_email,
        "pipedrive_domain": account.pipedrive_domain,
        "kind": account.extra.kind,
        "state": account.state,
        "needs_reconnect": account.needs_reconnect,
        "last_run": account.last_run.isoformat() if account.last_run else None,
        "last_status": account.last_status,
        "last_error": account.last_error,
        "options": account.options.to_json(),
    }


def calendar_label(account: Account) -> str:
    """The synced calendar as a person knows it: its name ("Team"), never a bare id when the
    name is known; "Primary calendar" for the account's own."""
    o = account.options
    name = account.extra.calendar_name
    if o.calendar in ("primary", account.email):
        return f"{name} (primary)" if name and name != account.email else "Primary calendar"
    return name or o.calendar


def event_line(event: SyncEvent, view: TimeView | None = None) -> str:
    """One human line per event, as the log shows it; times through `view` (the calendar's
    zone: the same text as the app's), the computer's zone when none is given. Item text is
    made safe for the terminal (`safe_text`)."""
    view = view or machine_view()
    at = view.stamp(event.at) if event.at else ""
    what = safe_text(event.title or event.item_id or "")
    when = view.when(event.when)
    text = f"{at}  {ARROW.get(event.side, ARROW[None])}  {event.kind:<8}  {what}"
    if when:
        text += f"  ({when})"
    if event.reason and event.kind in (
        "notice",
        "skip",
        "pair",
        "conflict",
        "error",
        "guard",
        "delete",
        "fetch",
        "start",
        "done",
    ):
        text += f"  — {safe_text(event.reason)}"
    return text


# -- connect ----------------------------------------------------------------------------


def connect(
    console: Console,
    *,
    home: Path | None,
    sandbox: str | None,
    google: Path | None,
    pipedrive_token: str | None,
    pipedrive_oauth: bool,
) -> int:
    store, vault = _open(home)
    if sandbox:
        done = asyncio.run(acc.connect_sandbox(store, vault, sandbox))
    else:
        assert google is not None
        done = asyncio.run(
            acc.connect_google(
                store,
                vault,
                google,
                pipedrive_token=pipedrive_token,
                pipedrive_oauth=pipedrive_oauth,
            )
        )
    a = done.account
    if done.already_connected:
        verb = "was connected already (its sign-in renewed; options and links unchanged)"
    elif done.reused:
        verb = "reconnected (its options and links kept)"
    else:
        verb = "connected"
    console.print(
        f"account {a.id} {verb}: Google {a.email} <-> Pipedrive {a.pipedrive_email} ({a.pipedrive_domain})"
    )
    console.print(
        f"tokens are kept in {vault.where}; next: `calsync options` then `calsync sync --once`"
    )
    return EXIT_OK


# -- options ------------------------------------------------------------------------------


def options(
    console: Console, *, home: Path | None, account_id: str | None, changes: dict, as_json: bool
) -> int:
    store, vault = _open(home)
    account = acc.pick_account(store, account_id, active_only=False)
    if changes:
        account = asyncio.run(acc.set_options(store, vault, account, changes))
    o = account.options
    if as_json:
        console.json(o.to_json())
        return EXIT_OK
    if changes:
        console.print(f"options of account {account.id} saved:")
    calendar = calendar_label(account)
    rows = [
        (
            "Calendar",
            safe_text(calendar if calendar == o.calendar else f"{calendar}  ({o.calendar})"),
        ),
        ("Sync type", o.sync_type),
        ("Save calendar events to Pipedrive as", o.save_as),
        ("Sync these Pipedrive activities to calendar", ", ".join(o.push_types) or "(none)"),
        ("Private events", o.private),
        ("Linked contact details", "on" if o.linked_contacts else "off"),
        ("Create persons for unknown guests", "on" if o.create_persons else "off"),
        ("Import out-of-office / focus time", ", ".join(o.import_blocks) or "(none)"),
        ("Sync window", f"{o.window_past_days} days back, {o.window_future_days} days ahead"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        console.print(f"{key:<{width}}  {value}")
    return EXIT_OK


def calendars(console: Console, *, home: Path | None, account_id: str | None, as_json: bool) -> int:
    """The writable calendars of the account: id, name, time zone, which is primary."""
    store, vault = _open(home)
    account = acc.pick_account(store, account_id, active_only=False)
    found = acc.writable(asyncio.run(acc.calendars(vault, account)))
    if as_json:
        console.json([c.to_json() for c in found])
        return EXIT_OK
    synced = account.options.calendar
    rows = [
        (
            "*" if c.id == synced or (c.primary and synced == "primary") else "",
            safe_text(c.name) + (" (primary)" if c.primary else ""),  # a shared calendar's name
            c.time_zone,
            safe_text(c.id),
        )
        for c in found
    ]
    widths = [max(len(r[i]) for r in [("", "NAME", "TIME ZONE", "ID"), *rows]) for i in range(4)]
    for row in [("", "NAME", "TIME ZONE", "ID"), *rows]:
        console.print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )
    console.print("(* the synced one; `calsync options --calendar NAME` chooses another)")
    return EXIT_OK


# -- sync ---------------------------------------------------------------------------------


def _targets(store: Store, account_id: str | None) -> list[Account]:
    if account_id:
        account = store.account(account_id)
        return [account]
    active = store.accounts("active")
    if not active:
        acc.pick_account(store, None)  # raises the "no account" error
    return active


def _printer(
    console: Console,
    account: Account,
    *,
    as_json: bool,
    dry_run: bool,
    live: LiveProgress | None = None,
    progress_lines: bool = False,
):
    """What a run's events become on the terminal, and the run's summary once it is done.
    `live`: a progress bar below the lines (a terminal); `progress_lines`: progress as plain
    lines instead (output that is not a terminal)."""
    result: dict[str, Any] = {}
    view = console.view(account)

    def show(event: SyncEvent) -> None:
        if event.kind == "done":
            result.clear()
            result.update(event.detail.get("summary") or {})
            result["exit_code"] = int(event.detail.get("exit_code", EXIT_OK))
            if dry_run:
                result["dry_run"] = True
                result["plan"] = event.detail.get("plan", {})
            return
        if as_json:
            return
        if live is not None:
            if event.kind != "progress":
                live.line(event_line(event, view))
            live.event(event)
        elif event.kind != "progress":
            console.print(event_line(event, view))
        elif progress_lines:
            console.print(progress_line(event))

    return show, result


async def _sync_one(
    console: Console,
    store: Store,
    vault: Vault,
    account: Account,
    *,
    as_json: bool,
    dry_run: bool,
    force_delete: bool,
    transport=None,
) -> dict[str, Any]:
    """One run, its events printed as lines (unless JSON), with its progress (a bar on a
    terminal, plain lines elsewhere); the summary back."""
    tty = not as_json and _is_terminal(console.out)
    live = LiveProgress(console.out) if tty else None
    show, result = _printer(
        console, account, as_json=as_json, dry_run=dry_run, live=live, progress_lines=not tty
    )
    try:
        async for event in run_once(
            store,
            vault,
            account.id,
            dry_run=dry_run,
            force_delete=force_delete,
            transport=transport,
            clock=console.clock,
        ):
            show(event)
    finally:
        if live is not None:
            live.close()
    return {"account": account.id, **result, "exit_code": result.get("exit_code", EXIT_FAILED)}


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _summary_line(s: dict[str, Any]) -> str:
    g, p = s.get("google", {}), s.get("pipedrive", {})

    def side(c: dict) -> str:
        counts = f"+{c.get('created', 0)} ~{c.get('updated', 0)} -{c.get('deleted', 0)}"
        return f"{counts} ({plural(c.get('requests', 0), 'request')})"

    text = (
        f"account {s['account']}: {s.get('status')}  Google {side(g)}  Pipedrive {side(p)}  "
        f"conflicts {s.get('conflicts', 0)}  skipped {len(s.get('skipped', []))}  "
        f"errors {len(s.get('errors', []))}  {s.get('seconds', 0):.1f}s"
    )
    if s.get("dry_run"):
        plan = s.get("plan", {})
        gp, pp = plan.get("google", {}), plan.get("pipedrive", {})
        text = (
            f"account {s['account']}: dry run, nothing written. Would do: Google +{gp.get('create', 0)} "
            f"~{gp.get('update', 0)} -{gp.get('delete', 0)}; Pipedrive +{pp.get('create', 0)} "
            f"~{pp.get('update', 0)} -{pp.get('delete', 0)}"
        )
    return text


def sync_once(
    console: Console,
    *,
    home: Path | None,
    account_id: str | None,
    as_json: bool,
    dry_run: bool,
    force_delete: bool,
) -> int:
    store, vault = _open(home)
    worst = EXIT_OK
    for account in _targets(store, account_id):
        try:
            summary = asyncio.run(
                _sync_one(
                    console,
                    store,
                    vault,
                    account,
                    as_json=as_json,
                    dry_run=dry_run,
                    force_delete=force_delete,
                )
            )
        except CalsyncError as exc:
            if as_json:
                console.json(
                    {
                        "account": account.id,
                        "status": "error",
                        "error": str(exc),
                        "exit_code": exc.exit_code,
                    }
                )
                worst = max(worst, exc.exit_code)
                continue
            raise
        code = summary.pop("exit_code")
        if as_json:
            console.json(summary)
        else:
            console.print(_summary_line(summary))
            if code == EXIT_GUARDED:
                guard = next(
                    (e for e in store.data(account.id).run().events if e.kind == "guard"), None
                )
                if guard:
                    console.err.write(f"calsync: held by the mass-deletion guard: {guard.reason}\n")
        worst = max(worst, code)
    return worst


def sync_watch(
    console: Console,
    *,
    home: Path | None,
    account_id: str | None,
    interval: float,
    runs: int | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Sync every `interval` seconds until interrupted (an account whose Pipedrive budget needs
    it, less often: sync/polling.py). A service that is down is retried at the next interval;
    a revoked sign-in stops the watch (the account needs a reconnect). A run that did nothing
    prints one line per quiet stretch, not one per poll."""
    store, vault = _open(home)
    targets = [a.id for a in _targets(store, account_id)]

    def run(account: str, now: datetime):
        return run_once(store, vault, account, now=now, clock=clock)

    def budget(account: str):
        return store.account(account).extra.pipedrive_budget

    async def loop() -> int:
        quiet: set[str] = set()
        watched = set(targets)
        printers: dict[str, tuple[Callable[[SyncEvent], None], dict[str, Any]]] = {}
        async for item in watch(targets, run, interval=interval, budget=budget, clock=clock,
                                sleep=sleep, runs=runs):  # fmt: skip
            if isinstance(item, RunEvent):
                show, _ = printers.setdefault(
                    item.account_id,
                    _printer(console, store.account(item.account_id), as_json=False, dry_run=False),
                )
                show(item.event)  # a quiet idle run comes as its `done` only: its summary
            elif isinstance(item, Waiting):
                _, result = printers.pop(item.account_id, (None, {}))
                summary = {"account": item.account_id, **result}
                summary.pop("exit_code", None)
                idle = RunSummary.from_json(summary).idle
                if not (idle and item.account_id in quiet):
                    note = "  (quiet until something changes)" if idle else ""
                    console.print(_summary_line(summary) + note)
                quiet = quiet | {item.account_id} if idle else quiet - {item.account_id}
                if item.stretched:
                    console.err.write(
                        f"calsync: account {item.account_id}: polling every {item.seconds:.0f}s to "
                        f"spare Pipedrive's daily budget ({item.budget_left or 0:,} tokens left today)\n"
                    )
            elif isinstance(item, Stopped):
                printers.pop(item.account_id, None)
                watched.discard(item.account_id)
                left = "; no account left to watch" if not watched else ""
                console.err.write(f"calsync: {item.error} (no longer watched){left}\n")
            else:
                console.err.write(f"calsync: {item.error}; trying again in {item.seconds:g}s\n")
        return EXIT_OK

    console.err.write(
        f"calsync: watching {len(targets)} account(s) every {interval:g}s; Ctrl+C stops\n"
    )
    return asyncio.run(loop())


# -- accounts, disconnect, reconnect, log -------------------------------------------------


def accounts(console: Console, *, home: Path | None, as_json: bool) -> int:
    store, _ = _open(home)
    active = store.accounts("active")
    stopped = store.accounts("previously_synced")
    if as_json:
        console.json(
            {
                "active": [account_json(a) for a in active],
                "previously_synced": [account_json(a) for a in stopped],
            }
        )
        return EXIT_OK
    if not active and not stopped:
        console.print(
            "no accounts yet: `calsync connect --sandbox URL` or `calsync connect --google FILE ...`"
        )
        return EXIT_OK
    for title, group in (("Connected", active), ("Previously synced", stopped)):
        if not group:
            continue
        console.print(f"{title}:")
        for a in group:
            status = "needs reconnect" if a.needs_reconnect else (a.last_status or "not synced yet")
            if a.state == "previously_synced" and (note := undone_note(store.data(a.id))):
                status = f"{status}, {note}"
            view = console.view(a)
            last = (
                f"{view.stamp(a.last_run, with_date=True)} ({view.zone_note()})"
                if a.last_run
                else "never"
            )
            console.print(
                safe_text(
                    f"  {a.id}  {a.email} <-> {a.pipedrive_email}  calendar {calendar_label(a)}, "
                    f"{a.options.sync_type}  last run {last}, {status}"
                )
            )
    return EXIT_OK


def disconnect(console: Console, *, home: Path | None, account_id: str | None) -> int:
    store, _ = _open(home)
    account = acc.pick_account(store, account_id)
    acc.disconnect(store, account)
    console.print(
        f"account {account.id} stopped syncing; nothing was deleted on either side. "
        f"`calsync reconnect {account.id}` brings it back with its options."
    )
    return EXIT_OK


def reconnect(console: Console, *, home: Path | None, account_id: str) -> int:
    store, vault = _open(home)
    account = store.account(account_id)
    if account.state == "active" and not account.needs_reconnect:
        raise UsageError(f"account {account_id} is already syncing")
    account = asyncio.run(acc.reconnect(store, vault, account))
    console.print(
        f"account {account.id} is syncing again with its last options "
        f"({calendar_label(account)}, {account.options.sync_type})."
    )
    return EXIT_OK


def log(
    console: Console, *, home: Path | None, account_id: str | None, as_json: bool, run: int | None
) -> int:
    store, _ = _open(home)
    account = acc.pick_account(store, account_id, active_only=False)
    data = store.data(account.id)
    view = console.view(account)
    if run is not None:
        record = data.run(run)
        if as_json:
            console.json(
                {
                    "run": record.run,
                    "at": record.at.isoformat(),
                    "summary": record.summary.to_json(),
                    "events": [e.to_json() for e in record.events],
                }
            )
            return EXIT_OK
        console.print(
            f"run {record.run} at {view.stamp(record.at, with_date=True)} ({view.zone_note()})"
        )
        for event in record.events:
            console.print(event_line(event, view))
            if event.kind == "conflict" and event.detail.get("loser"):
                loser = event.detail["loser"]
                console.print(
                    f"{'':>10}kept the losing {loser.get('side')} version: "
                    + safe_text(f"'{loser.get('title')}' {loser.get('start')} - {loser.get('end')}")
                )
        return EXIT_OK
    records = data.runs()
    if as_json:
        console.json(
            [
                {"run": r.run, "at": r.at.isoformat(), "summary": r.summary.to_json()}
                for r in records
            ]
        )
        return EXIT_OK
    if not records:
        console.print("no runs yet: `calsync sync --once`")
    else:
        console.print(f"runs of account {account.id} ({view.zone_note()}):")
    for r in records:
        console.print(
            f"{r.run:>4}  {view.stamp(r.at, with_date=True):<20}  "
            + _summary_line({"account": account.id, **r.summary.to_json()}).split(": ", 1)[1]
        )
    return EXIT_OK
