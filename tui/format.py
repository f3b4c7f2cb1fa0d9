"""How the app words and colours things: event lines, times, account status, and the app's
own words for what the engine says in command-line terms."""

from __future__ import annotations

import re
from datetime import datetime

from rich.text import Text

from sync.commands import calendar_label
from sync.models import SyncEvent
from sync.safe_text import safe_text
from sync.store import Account
from sync.when import TimeView
from sync.wording import plural

from .session import SyncSession

KIND_STYLE = {
    "start": "cyan",
    "fetch": "cyan",
    "done": "bold cyan",
    "create": "green",
    "update": "yellow",
    "delete": "red",
    "skip": "dim",
    "conflict": "magenta",
    "pair": "green",
    "guard": "bold red",
    "error": "bold red",
    "progress": "dim",
    "note": "bold blue",
}
SIDE_LABEL = {"google": "→ Google", "pipedrive": "→ Pipedrive", None: ""}
STATUS_STYLE = {
    "syncing": "bold green",
    "idle": "green",
    "needs reconnect": "bold yellow",
    "error": "bold red",
    "guarded": "bold red",
    "paused": "dim",
    "checking": "italic",
}

# The options as the Sync options screen names them, for the engine's flag names.
PRIVATE_WORDS = {
    "private": "Sync as private activities",
    "busy": 'Sync as "Busy"',
    "public": "Sync like any other event",
    "skip": "Don't sync private events",
}
FLAG_WORDS = {
    "--private": "Private calendar events",
    "--sync-type": "Sync type",
    "--calendar": "Choose calendar",
    "--save-as": "Save calendar event to Pipedrive as",
    "--push-types": "Sync these Pipedrive activities to calendar",
    "--window-past": "Sync window (days back)",
    "--window-future": "Sync window (days ahead)",
}
_FLAG = re.compile(r"--([a-z][a-z-]*)(?: ([a-z][a-z,-]*))?")
_TYPE = re.compile(r"\btype '([a-z0-9_]+)'")


def in_app_words(text: str, type_names: dict[str, str] | None = None) -> str:
    """What the engine says in command-line terms, said as the app says it: option names
    for flags ("(--private skip)" -> "(Private calendar events: Don't sync private events)"),
    "Delete anyway" for --force-delete, type labels for keys ("type 'lunch'" -> "type Lunch").
    Reasons may quote item text: control characters come out escaped (`safe_text`)."""

    def flag(found: re.Match) -> str:
        name, value = f"--{found.group(1)}", found.group(2)
        if name == "--force-delete":
            return "Delete anyway"
        label = FLAG_WORDS.get(name)
        if label is None:
            return found.group(0)
        if value is None:
            return label
        if name == "--private":
            value = PRIVATE_WORDS.get(value, value)
        return f"{label}: {value}"

    text = _FLAG.sub(flag, text)
    if type_names:
        text = _TYPE.sub(lambda m: f"type {type_names.get(m.group(1), m.group(1))}", text)
    return safe_text(text)


def view_for(account: Account, now: datetime) -> TimeView:
    """Times as the account's calendar shows them (the same text as the command line's)."""
    return TimeView.for_account(account.extra, now)


def item_name(event: SyncEvent) -> str:
    """What the line is about: the item's title, or its id when it has none; control
    characters escaped (`safe_text`: anyone who sends an invitation writes its title)."""
    if event.title:
        return safe_text(event.title)
    return f"(no title, id {safe_text(event.item_id)})" if event.item_id else ""


def event_line(event: SyncEvent, view: TimeView, type_names: dict[str, str] | None = None) -> Text:
    """One log line: time, side, action, the item's title and date, and why (skips,
    conflicts), in the app's words. Long lines wrap at the log's width. A Text is never read
    as markup: a title such as "[bold]x[/]" shows as typed."""
    style = KIND_STYLE.get(event.kind, "")
    line = Text()
    line.append(view.stamp(event.at) + " ", style="dim")
    line.append(f"{SIDE_LABEL.get(event.side, ''):<11} ", style="bold" if event.side else "")
    line.append(f"{event.kind:<8} ", style=style)
    name = item_name(event)
    if name:
        line.append(name)
        when = view.when(event.when)
        if when:
            line.append(f" · {when}", style="dim")
    reason = event.reason
    if event.kind == "conflict":
        winner = conflict_winner(event)
        reason = f"{winner} version kept" + (f": {reason}" if reason else "")
    if reason and (event.kind not in ("create", "update") or not name):
        sep = " — " if name else ""
        line.append(
            sep + in_app_words(reason, type_names),
            style=style if event.kind in ("guard", "error") else "italic",
        )
    return line


def status_of(account: Account, session: SyncSession | None) -> str:
    """syncing, idle, needs reconnect, error, guarded, or paused (not watched in this window)."""
    if account.needs_reconnect:
        return "needs reconnect"
    if session is not None and session.state != "stopped":
        return session.state
    if account.last_status == "error":
        return "error"
    if account.last_status == "guarded":
        return "guarded"
    return "paused"


def counts_text(summary: dict | None) -> str:
    """A run summary as "Google +3 ~1 −0 · Pipedrive +2 ~0 −1"."""
    if not summary:
        return "no runs yet"
    parts = []
    for side, label in (("google", "Google"), ("pipedrive", "Pipedrive")):
        c = summary.get(side, {})
        parts.append(
            f"{label} +{c.get('created', 0)} ~{c.get('updated', 0)} −{c.get('deleted', 0)}"
        )
    extra = []
    if summary.get("conflicts"):
        extra.append(plural(summary["conflicts"], "conflict"))
    if summary.get("skipped"):
        extra.append(f"{len(summary['skipped'])} skipped")
    if summary.get("errors"):
        extra.append(plural(len(summary["errors"]), "error"))
    return " · ".join(parts + extra)


def conflict_winner(event: SyncEvent) -> str:
    """The side whose version a conflict kept ("google" / "pipedrive"); runs logged before the
    winner became a record kept only its side."""
    winner = event.detail.get("winner", "")
    return str(winner.get("side", "") if isinstance(winner, dict) else winner)


__all__ = [
    "calendar_label",
    "conflict_winner",
    "event_line",
    "in_app_words",
    "status_of",
    "view_for",
]
