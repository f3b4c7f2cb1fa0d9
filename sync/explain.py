"""`calsync explain ITEM`: what calsync did to one item and why, from the links and the run log.

ITEM is a Google event id, a Pipedrive activity id, or words of a title. The answer names
the pair the item belongs to, the planner's rule behind the item's last outcome (the rules
of docs/planner.md: a synced change, a skip with its reason code and the option behind it,
a conflict and its loser, the mass-deletion guard), and every kept run that touched it.
Pure over what the store holds; the app's log shows the same text (`lines`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .before_images import read_item
from .http import ApiError
from .models import CalendarItem, Link, Side, SyncEvent
from .options import Options
from .planner import plan
from .report import event_for
from .snapshot import Snapshot
from .store import AccountData, RunRecord

# Reason codes of skip events (docs/planner.md) -> (the rule, the option behind it).
SKIP_RULES: dict[str, tuple[str, str | None]] = {
    "type": ("new activity of a type not in push_types: not synced to Google", "push_types"),
    "window": (
        "new item outside the sync window: not picked up",
        "window_past_days/window_future_days",
    ),
    "private": ("new private event under private mode skip: not synced", "private"),
    "one-way": ("one-way sync: Google edits are not imported", "sync_type"),
    "limits": ("new event over Pipedrive's limits: not created", None),
    "declined": ("an invitation the calendar's owner declined: not imported", None),
    "out-of-office": ("an out-of-office block import_blocks does not name", "import_blocks"),
    "focus-time": ("a focus-time block import_blocks does not name", "import_blocks"),
    "working-location": ("a working location: never imported", None),
    "birthday": ("a birthday: never imported", None),
    "from-gmail": ("an event Gmail made: never imported", None),
    "invalid": ("an item calsync could not read", None),
    "changed-since": ("undo: changed by someone since the run undone, left alone", None),
    "gone-since": ("undo: deleted since the run undone", None),
    "back-since": ("undo: there again since the run undone, left alone", None),
}


@dataclass
class Touch:
    """One event of one run about the item."""

    run: int
    at: str
    event: SyncEvent


@dataclass
class Explanation:
    item: str
    link: Link | None = None
    touches: list[Touch] = field(default_factory=list)
    verdict: SyncEvent | None = None
    """For an item no run logged: what the planner decides of it now (read by id)."""

    @property
    def seen(self) -> bool:
        return self.link is not None or bool(self.touches) or self.verdict is not None

    def outcome(self) -> Touch | None:
        """The touch that decided the item in the last run that touched it (a conflict
        before the write it decided, the guard before anything else)."""
        if not self.touches:
            return None
        last = [t for t in self.touches if t.run == self.touches[-1].run]
        rank = {"guard": 0, "conflict": 1, "error": 2, "skip": 3}
        return min(reversed(last), key=lambda t: rank.get(t.event.kind, 4))

    def rule(self) -> dict[str, Any]:
        """The rule behind the last outcome: {"rule", "reason", "code", "option", ...}."""
        last = self.outcome()
        if last is None and self.verdict is not None:
            return {**rule_of(self.verdict), "now": True}
        if last is None:
            return {"rule": "linked, nothing written since" if self.link else "never seen"}
        return rule_of(last.event)

    def to_json(self) -> dict[str, Any]:
        last = self.outcome()
        link = self.link
        return {
            "item": self.item,
            "seen": self.seen,
            "pair": {
                "google_id": link.google_id,
                "pipedrive_id": link.pipedrive_id,
                "title": link.title,
                "start": link.start.isoformat() if link.start else None,
                "end": link.end.isoformat() if link.end else None,
            }
            if link
            else None,
            "outcome": {"run": last.run, "kind": last.event.kind, **self.rule()}
            if last
            else self.rule(),
            "runs": [
                {"run": t.run, "at": t.at, "kind": t.event.kind, "reason": t.event.reason}
                for t in self.touches
            ],
        }


def rule_of(event: SyncEvent) -> dict[str, Any]:
    """The planner's rule behind one logged event (docs/planner.md names)."""
    detail = event.detail
    out: dict[str, Any] = {"reason": event.reason}
    if event.kind == "skip":
        code = str(detail.get("code", ""))
        rule, option = SKIP_RULES.get(code, (f"skipped ({code})", None))
        if code.endswith("-kept"):
            rule = "no longer imported, but edited in Pipedrive since: kept"
        return {**out, "rule": rule, "code": code, "option": option}
    if event.kind == "conflict":
        loser = detail.get("loser") or {}
        winner = detail.get("winner") or {}
        return {
            **out,
            "rule": f"conflict: both sides changed; {winner.get('side')} won",
            "loser": loser,
        }
    if event.kind == "guard":
        return {**out, "rule": "the mass-deletion guard held the run", "option": "--force-delete"}
    if event.kind in ("create", "update", "delete"):
        origin = detail.get("from")
        where = {"google": "Google", "pipedrive": "Pipedrive"}
        if detail.get("restores"):
            rule = "changed on one side, deleted on the other: restored"
        elif event.kind == "create" and detail.get("dry_run"):
            rule = f"new {where.get(str(origin), '')} item: copied at the next run"
        elif event.kind == "create":
            rule = f"new {where.get(str(origin), '')} item: copied to {where.get(str(event.side))}"
        elif event.kind == "update":
            rule = (
                f"changed in {where.get(str(origin), '?')}: synced to {where.get(str(event.side))}"
            )
        else:
            rule = f"deleted on the other side: deleted in {where.get(str(event.side))}"
        return {**out, "rule": f"synced ({rule})"}
    if event.kind == "error":
        return {**out, "rule": "the write failed: read again by id in the next runs"}
    return {**out, "rule": event.kind}


def _ids(event: SyncEvent) -> set[str]:
    detail = event.detail
    ids = {event.item_id} if event.item_id else set()
    for key in ("source_id",):
        if detail.get(key):
            ids.add(str(detail[key]))
    for key in ("winner", "loser"):
        if isinstance(detail.get(key), dict) and detail[key].get("id"):
            ids.add(str(detail[key]["id"]))
    for side_ids in (detail.get("ids") or {}).values():
        ids.update(str(i) for i in side_ids)
    return ids


def find_link(data: AccountData, item: str) -> Link | None:
    return data.link_by_google(item) or data.link_by_pipedrive(item)


def explain(data: AccountData, item: str) -> list[Explanation]:
    """What calsync did to `item` (an id, or words of a title: every pair that matches)."""
    records = [data.run(r.run) for r in data.runs()]
    link = find_link(data, item)
    if link is not None or any(item in _ids(e) for r in records for e in r.events):
        return [_one(records, item, link)]
    words = item.casefold()
    matches: dict[str, Link | None] = {}
    for pair in data.links():
        if words in pair.title.casefold():
            matches[pair.google_id] = pair
    for record in records:
        for event in record.events:
            if event.item_id and words in event.title.casefold():
                found = find_link(data, event.item_id)
                matches.setdefault(found.google_id if found else event.item_id, found)
    if not matches:
        return [Explanation(item)]
    return [_one(records, key, pair) for key, pair in list(matches.items())[:5]]


def _one(records: list[RunRecord], item: str, link: Link | None) -> Explanation:
    ids = {item} | ({link.google_id, link.pipedrive_id} if link else set())
    out = Explanation(item, link)
    for record in records:
        for event in record.events:
            if event.kind == "progress" or not (ids & _ids(event)):
                continue
            out.touches.append(Touch(record.run, record.at.isoformat(), event))
    return out


def lines(found: Explanation) -> list[str]:
    """The explanation in words, as `calsync explain` and the app show it."""
    if not found.seen:
        return [f"{found.item}: calsync has never seen this item (no pair, no run touched it)"]
    out = []
    link = found.link
    if link is not None:
        out.append(
            f"pair: Google event {link.google_id} <-> Pipedrive activity {link.pipedrive_id}"
            f"  '{link.title}'" + (f" {link.start.isoformat()}" if link.start else "")
        )
    else:
        out.append(f"{found.item}: not linked to anything now")
    rule = found.rule()
    last = found.outcome()
    head = f"last outcome (run {last.run}): " if last else "as it is now: "
    out.append(head + rule["rule"])
    if rule.get("reason"):
        out.append(f"  reason: {rule['reason']}")
    if rule.get("code"):
        option = f", option {rule['option']}" if rule.get("option") else ""
        out.append(f"  code: {rule['code']}{option}")
    if rule.get("loser"):
        loser = rule["loser"]
        out.append(
            f"  loser: the {loser.get('side')} version '{loser.get('title')}' {loser.get('start')}"
        )
    if found.touches:
        out.append("runs that touched it:")
        out.extend(
            f"  run {t.run}  {t.at}  {t.event.kind}  {t.event.reason}".rstrip()
            for t in found.touches
        )
    return out


async def look_up(
    found: Explanation, services: Any, options: Options, calendar_tz: str, now: datetime
) -> None:
    """For an item no run logged: read it by id on both sides and let the planner say what
    it decides of it (a skip and its reason code, or a copy at the next run)."""
    if found.touches or found.link is not None:
        return
    google: dict[str, CalendarItem] = {}
    pipedrive: dict[str, CalendarItem] = {}
    sides: tuple[tuple[Side, dict[str, CalendarItem]], ...] = (
        ("google", google),
        ("pipedrive", pipedrive),
    )
    for side, into in sides:
        if side == "pipedrive" and not found.item.isdigit():
            continue
        try:
            item = await read_item(services, side, found.item, options.calendar, calendar_tz)
        except (ApiError, ValueError):
            item = None
        if item is not None:
            into[item.id] = item
    if not google and not pipedrive:
        return
    snapshot = Snapshot(
        now=now,
        full=False,
        google=google,
        pipedrive=pipedrive,
        calendar=options.calendar,
        calendar_tz=calendar_tz,
        options_used=options.to_json(),
    )
    for action in plan(snapshot, [], options):
        event = event_for(action, now, dry_run=True)
        if event is not None:
            found.verdict = event
            return
    kept = next(iter({**google, **pipedrive}.values()))
    found.verdict = SyncEvent(
        "skip",
        None,
        kept.title,
        kept.start,
        "not synced",
        kept.id,
        now,
        {"code": "one-way" if options.sync_type == "one-way" else ""},
    )
