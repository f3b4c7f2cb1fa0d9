"""How the app words and colours things: event lines, times, account status."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text

from sync.models import SyncEvent
from sync.safe_text import safe_text
from sync.store import Account

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
    "guard": "bold red",
    "error": "bold red",
    "progress": "dim",
}
SIDE_LABEL = {"google": "→ Google", "pipedrive": "→ Pipedrive", None: ""}
STATUS_STYLE = {
    "syncing": "bold green",
    "idle": "green",
    "needs reconnect": "bold yellow",
    "error": "bold red",
    "guarded": "bold red",
    "paused": "dim",
}


def zone(account: Account) -> ZoneInfo:
    """The account's calendar time zone (times are shown as the calendar shows them)."""
    try:
        return ZoneInfo(account.extra.calendar_tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when_text(value: datetime | date | None, tz: ZoneInfo) -> str:
    """An item's start: "Sun 22 Mar 15:00", or "Wed 25 Feb" for an all-day item."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(tz).strftime("%a %d %b %H:%M")
    return value.strftime("%a %d %b")


def stamp(value: datetime | None, tz: ZoneInfo, *, with_date: bool = False) -> str:
    if value is None:
        return "—"
    local = value.astimezone(tz)
    return local.strftime("%d %b %H:%M:%S" if with_date else "%H:%M:%S")


def event_line(event: SyncEvent, tz: ZoneInfo) -> Text:
    """One log line: time, side, action, the item's title and time, and why (skips, conflicts).

    Item text is shown with its control characters escaped (`safe_text`); a Text is never
    read as markup, so a title such as "[bold]x[/]" shows as typed."""
    style = KIND_STYLE.get(event.kind, "")
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(stamp(event.at, tz) + " ", style="dim")
    line.append(f"{SIDE_LABEL.get(event.side, ''):<11} ", style="bold" if event.side else "")
    line.append(f"{event.kind:<8} ", style=style)
    if event.title or event.when:
        line.append(safe_text(event.title) or "(no title)")
        when = when_text(event.when, tz)
        if when:
            line.append(f" · {when}", style="dim")
    reason = safe_text(event.reason)
    if event.kind == "conflict":
        winner = conflict_winner(event)
        reason = f"{winner} version kept" + (f": {reason}" if reason else "")
    if reason and (event.kind not in ("create", "update", "delete") or not event.title):
        sep = " — " if (event.title or event.when) else ""
        line.append(sep + reason, style=style if event.kind in ("guard", "error") else "italic")
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
        extra.append(f"{summary['conflicts']} conflicts")
    if summary.get("skipped"):
        extra.append(f"{len(summary['skipped'])} skipped")
    if summary.get("errors"):
        extra.append(f"{len(summary['errors'])} errors")
    return " · ".join(parts + extra)


def time_left(seconds: float | None) -> str:
    """ "about 3 min left", "about 40 s left"; "" when unknown."""
    if seconds is None:
        return ""
    if seconds < 10:
        return "a few seconds left"
    if seconds < 90:
        return f"about {round(seconds / 10) * 10:.0f} s left"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60):.0f} min left"
    return f"about {seconds / 3600:.1f} h left"


def conflict_winner(event: SyncEvent) -> str:
    """The side whose version a conflict kept ("google" / "pipedrive"); runs logged before the
    winner became a record kept only its side."""
    winner = event.detail.get("winner", "")
    return str(winner.get("side", "") if isinstance(winner, dict) else winner)
