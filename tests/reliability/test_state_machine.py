"""Property-based: a hypothesis RuleBasedStateMachine (vdirsyncer's pattern) edits both sides
at random through the sandbox's APIs, changes the options, injects faults and syncs the
real engine; after every sync the invariants below must hold.

Profiles (tests/reliability/conftest.py): "ci" (200 examples of 8 steps, derandomized) by
default, "long" with CALSYNC_LONG=1.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from sandbox.app import create_app
from sandbox.faults import KINDS
from sync import accounts as engine
from sync import store as store_module
from sync.errors import CalsyncError, NotSyncing, StoreError
from sync.mapping import (
    ACTIVITY_KEY,
    BLOCK_MARK,
    item_from_google,
    item_from_pipedrive,
    marker_google_id,
)
from sync.runner import run_once
from sync.store import Store

from ..engine.conftest import NOW, Env, timed
from .conftest import LONG
from .helpers import copies, links_one_to_one, record
from .test_crash_points import DyingTransport, Killed, Killer

TYPES = ("call", "meeting", "task", "deadline", "email", "lunch")
PERSON = {"name": "Ingrid Crmperson", "email": "ingrid@crm-secret.example",
          "phone": "+46 70 555 0199"}  # fmt: skip
ORG = "Orgname Secretco"
DEAL = "Dealtitle Hushhush"
CRM_SECRETS = (PERSON["name"], PERSON["email"], PERSON["phone"], ORG, DEAL, BLOCK_MARK)
KEY = re.compile(r"^K\d+")
GUEST = "gustav@client.example"
FIGURES = {"examples": 0, "steps": 0, "syncs": 0, "faults": {}}


def _identity(item) -> tuple[str, object] | None:
    span = item.span()
    return (item.title, span[0]) if span else None


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = Path(tempfile.mkdtemp(prefix="calsync-sm-"))
        self.env = Env(create_app(seed=1, empty=True, frozen_time=NOW), self.tmp / "home")
        self.run(self.env.connect())
        crm = self.env.sandbox.pipedrive  # persons, organizations and deals: straight in
        org = crm.create_organization(ORG, None)
        person = crm.create_person({"name": PERSON["name"], "org_id": org["id"],
                                    "emails": [{"value": PERSON["email"], "primary": True}],
                                    "phones": [{"value": PERSON["phone"], "primary": True}]})  # fmt: skip
        deal = crm.create_deal({"title": DEAL, "org_id": org["id"]})
        self.crm = {"person_id": person["id"], "org_id": org["id"], "deal_id": deal["id"]}
        # A client who is invited on Google: matched to the activity's participants.
        self.guest_id = crm.create_person({"name": "Gustav Guest",
                                           "emails": [{"value": GUEST, "primary": True}]})["id"]  # fmt: skip
        self.guest_events: set[str] = set()  # events made with the guest, in two-way
        self.n = 0  # unique keys, edit numbers and time slots
        self.deleted: set[tuple[str, object]] = set()
        self.faulty = False
        self.killer: Killer | None = None
        self.wanted = self.options  # the options as the user last set them
        self.diverged: set[str] = set()  # Google events edited while one-way (not imported)
        self.google_only: set[str] = set()  # events made while one-way (never imported)
        # Identities (title, start before the edit) edited per side since the last clean run.
        self.edited: dict[str, set] = {"google": set(), "pipedrive": set()}
        # Google event ids edited / identities deleted since the last clean run.
        self.g_pending: dict[str, set] = {"edited": set(), "deleted": set()}
        self.private_applied = self.options.private  # the mode of the last clean two-way run
        FIGURES["examples"] += 1

    # -- plumbing ----------------------------------------------------------------------

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        faults = FIGURES["faults"]
        for kind, n in self.env.sandbox.stats.snapshot().get("faults_injected", {}).items():
            faults[kind] = faults.get(kind, 0) + n
        self.run(self.env.client.aclose())
        self.env.store.close()
        self.loop.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def next(self) -> int:
        self.n += 1
        self.env.advance(60)
        FIGURES["steps"] += 1
        return self.n

    def slot(self, n: int):
        """A time no other item uses (so that identical content is always a duplicate)."""
        return NOW + timedelta(days=1 + n // 8, hours=n % 8)

    @property
    def options(self):
        return self.env.store.account(self.env.account_id).options

    def events(self) -> list[dict]:
        return self.run(self.env.google_events())

    def acts(self) -> list[dict]:
        return self.run(self.env.activities())

    # -- Google edits ------------------------------------------------------------------

    @rule(kind=st.sampled_from(["timed", "all-day", "recurring"]), private=st.booleans())
    def g_create(self, kind, private):
        n = self.next()
        start = self.slot(n)
        body: dict = {"summary": f"K{n}"}
        if kind == "all-day":
            day = (NOW + timedelta(days=20 + n)).date()
            body |= {"start": {"date": day.isoformat()},
                     "end": {"date": (day + timedelta(days=1)).isoformat()}}  # fmt: skip
        else:
            body |= timed(start, 45)
        if kind == "recurring":
            body["recurrence"] = ["RRULE:FREQ=WEEKLY;COUNT=3"]
            # Weekly for three weeks, at a slot's hour: series n and n + 7 would share an
            # instance's time (two private ones: two identical Busy placeholders).
            body |= timed(self.slot(n) + timedelta(days=60), 30)
        if private:
            body["visibility"] = "private"
        event = self.run(self.env.g_insert(body))
        if self.options.sync_type == "one-way":
            self.google_only.add(event["summary"])

    @rule()
    def g_create_with_guest(self):
        n = self.next()
        body = {"summary": f"K{n}", **timed(self.slot(n), 45), "attendees": [{"email": GUEST}]}
        event = self.run(self.env.g_insert(body))
        if self.options.sync_type == "one-way":
            self.google_only.add(event["summary"])
        else:
            self.guest_events.add(event["id"])

    @rule()
    def same_meeting_on_both_sides(self):
        """A meeting made on both sides by hand (no markers), then a full reconcile: paired,
        one event and one activity, never copied."""
        n = self.next()
        title, start = f"K{n}", self.slot(n)
        self.run(self.env.g_insert({"summary": title, **timed(start, 60)}))
        self.run(self.env.p_create(subject=f" k{n} ", type="meeting",
                                   due_date=start.date().isoformat(),
                                   due_time=start.strftime("%H:%M"), duration="01:00"))  # fmt: skip
        self._sync_and_check(full=True)
        same = re.compile(rf"^\s*k{n}\s*$", re.IGNORECASE)
        events = [e for e in self.events() if same.match(e.get("summary") or "")]
        acts = [a for a in self.acts() if same.match(a.get("subject") or "")]
        assert len(events) == 1 and len(acts) == 1, (events, acts)

    def _pick(self, data, items):
        return data.draw(st.sampled_from(sorted(items, key=lambda i: str(i["id"]))))

    @rule(data=st.data(), move=st.booleans())
    def g_edit(self, data, move):
        events = self.events()
        if events:
            self.edit_event(self._pick(data, events), move)

    def edit_event(self, event: dict, move: bool) -> None:
        n = self.next()
        if move and "dateTime" in event["start"]:
            body = timed(self.slot(n), 30)
        else:
            key = KEY.match(event.get("summary") or "")
            body = {"summary": f"{key.group(0) if key else 'X'} e{n}"}
        self._revive(event, "google")
        self.run(self.env.g_patch(event["id"], body))
        self.g_pending["edited"].add(event["id"])
        if self.options.sync_type == "one-way":
            self.diverged.add(event["id"])

    @rule(data=st.data())
    def g_make_private(self, data):
        events = self.events()
        if events:
            self.make_private(self._pick(data, events))

    def make_private(self, event: dict) -> None:
        self.next()
        self._revive(event, "google")
        self.run(self.env.g_patch(event["id"], {"visibility": "private"}))
        self.g_pending["edited"].add(event["id"])
        if self.options.sync_type == "one-way":
            self.diverged.add(event["id"])

    @rule(data=st.data(), whole_series=st.booleans())
    def g_delete(self, data, whole_series):
        events = self.events()
        if events:
            self.delete_event(self._pick(data, events), whole_series, events)

    def delete_event(self, event: dict, whole_series: bool, events: list[dict]) -> None:
        self.next()
        victims = [event]
        target = event["id"]
        if whole_series and event.get("recurringEventId"):
            target = event["recurringEventId"]
            victims = [e for e in events if e.get("recurringEventId") == target]
        for victim in victims:
            if self.options.sync_type == "one-way" and self._linked_g(victim["id"]):
                continue  # one-way: Pipedrive is the source, the copy is put back
            item = item_from_google(victim, "UTC")
            if (ident := _identity(item)) is not None and not self._edited_on("pipedrive", ident):
                self.deleted.add(ident)
                self.g_pending["deleted"].add(ident)
        self.run(self.env.g_delete(target))

    # -- Pipedrive edits ---------------------------------------------------------------

    @rule(kind=st.sampled_from(TYPES), crm=st.booleans(), all_day=st.booleans())
    def p_create(self, kind, crm, all_day):
        n = self.next()
        start = self.slot(n)
        body: dict = {"subject": f"K{n}", "type": kind, "due_date": start.date().isoformat()}
        if not all_day:
            body |= {"due_time": start.strftime("%H:%M"), "duration": "00:30"}
        if crm:
            body |= {"participants": [{"person_id": self.crm["person_id"], "primary": True}],
                     "org_id": self.crm["org_id"], "deal_id": self.crm["deal_id"]}  # fmt: skip
        self.run(self.env.p_create(**body))

    @rule(data=st.data(), what=st.sampled_from(["rename", "move", "retype"]))
    def p_edit(self, data, what):
        acts = self.acts()
        if acts:
            act = self._pick(data, acts)
            retype = what == "retype" or (what == "move" and not act["due_time"])
            kind = data.draw(st.sampled_from(TYPES)) if retype else ""
            self.edit_activity(act, what, kind)

    def edit_activity(self, act: dict, what: str, kind: str = "") -> None:
        n = self.next()
        if what == "rename":
            key = KEY.match(act["subject"] or "")
            body = {"subject": f"{key.group(0) if key else 'X'} e{n}"}
        elif what == "move" and act["due_time"]:
            start = self.slot(n)
            body = {"due_date": start.date().isoformat(), "due_time": start.strftime("%H:%M")}
        else:
            body = {"type": kind}
        self._revive(act, "pipedrive")
        self.run(self.env.p_patch(act["id"], **body))

    @rule(data=st.data())
    def p_delete(self, data):
        acts = self.acts()
        if acts:
            self.delete_activity(self._pick(data, acts))

    def delete_activity(self, act: dict) -> None:
        self.next()
        item = item_from_pipedrive(act)
        ident = _identity(item)
        if ident is not None and item.title != "Busy" and not self._edited_on("google", ident):
            self.deleted.add(ident)
        self.run(self.env.p_delete(act["id"]))

    # -- options and faults ------------------------------------------------------------

    def _set(self, *, by_other: bool = False, **changes) -> None:
        self.next()
        self.wanted = self.wanted.replace(**changes)
        if not by_other:
            self.env.options(**changes)
            return
        other = Store(self.env.home)  # `calsync options` in another terminal
        try:
            account = other.account(self.env.account_id)
            other.update_account(account.id, options=account.options.replace(**changes))
        finally:
            other.close()

    @rule(kind=st.sampled_from(["one-way", "two-way"]), by_other=st.booleans())
    def set_sync_type(self, kind, by_other=False):
        if kind == "two-way":
            self.diverged.clear()
            self.google_only.clear()
        elif self.options.sync_type == "two-way":
            # Google edits and deletions not synced yet will never be imported now: the
            # edited events stay as they are, the deleted copies are put back.
            self.diverged |= self.g_pending["edited"]
            self.deleted -= self.g_pending["deleted"]
            if self.options.private != self.private_applied:
                self._mode_not_applied()  # a new mode not yet applied by a two-way run
        self._set(sync_type=kind, by_other=by_other)

    @rule(types=st.sets(st.sampled_from(TYPES), min_size=1))
    def set_push_types(self, types):
        self._set(push_types=tuple(sorted(types)))

    @rule(mode=st.sampled_from(["private", "busy", "public", "skip"]), by_other=st.booleans())
    def set_private_mode(self, mode, by_other=False):
        if self.options.sync_type == "one-way":
            self._mode_not_applied()
        self._set(private=mode, by_other=by_other)

    # -- another process, and a kill -----------------------------------------------------

    @rule()
    def another_process_disconnects_and_reconnects(self):
        """`calsync disconnect`, then a run here (refused: not syncing), then `calsync
        reconnect`, all in another process: this one sees each change on disk."""
        env = self.env
        self.next()
        other = Store(env.home)
        try:
            engine.disconnect(other, other.account(env.account_id))
            try:
                self.run(env.sync())
            except NotSyncing:
                pass
            else:
                raise AssertionError("a disconnected account synced")
            account = other.account(env.account_id)
            self.run(engine.reconnect(other, env.vault, account, transport=env.transport))
        finally:
            other.close()
        assert env.store.account(env.account_id).state == "active"

    @rule()
    def concurrent_once(self):
        """A `sync --once` in another process at the same moment as this one's run: one runs,
        the other says another sync is running; nothing is written twice."""
        env = self.env
        self.next()
        other = Store(env.home)

        async def other_run():
            try:
                async for event in run_once(other, env.vault, env.account_id,
                                            transport=env.transport, now=env.now,
                                            force_delete=True, retry_wait=0.001):  # fmt: skip
                    if event.kind == "done":
                        return event.detail["summary"]
            except StoreError as exc:
                assert "another calsync sync is running" in str(exc)
            return None

        async def both():
            mine = asyncio.ensure_future(env.sync(force_delete=True))
            theirs = await other_run()
            try:
                return (await mine).summary, theirs
            except StoreError as exc:
                assert "another calsync sync is running" in str(exc)
                return None, theirs

        FIGURES["syncs"] += 2
        try:
            summaries = self.run(both())
        finally:
            other.close()
        ran = [s for s in summaries if s is not None]
        assert ran  # one of them ran
        if not ran[0]["errors"]:
            self._clean_run()
            self._converged()
        self._always()

    @rule(k=st.integers(min_value=1, max_value=8))
    def killed_sync(self, k):
        """A run SIGKILLed right after its k-th remote write lands (before the answer): a
        new process then starts from what the dead one left on disk."""
        env = self.env
        self.next()
        if self.killer is None:  # wraps the sandbox's write methods once
            self.killer = Killer(env.sandbox, None)
        killer = self.killer
        killer.k, killer.writes = k, 0
        transport, real_write = env.transport, store_module.write_atomic

        def write_unless_dead(path, text):
            if killer.dead:
                raise Killed()  # a dead process writes no more files
            real_write(path, text)

        store_module.write_atomic = write_unless_dead
        env.transport = DyingTransport(env.app, killer)
        killer.armed = True
        FIGURES["syncs"] += 1
        try:
            self.run(env.sync(force_delete=True))
        except (Killed, CalsyncError):
            pass
        finally:
            killer.armed = killer.dead = False
            killer.k = None
            env.transport, store_module.write_atomic = transport, real_write
        env.store = Store(env.home)  # the new process (the dead one's memory is gone)
        self._always()

    def _mode_not_applied(self) -> None:
        """One-way imports nothing: the activities of private events keep what the mode of
        the last two-way run gave them (a Busy placeholder, or details) until two-way
        resumes; only `busy` / `skip` take details out at once. Not compared meanwhile."""
        data = self.env.store.data(self.env.account_id)
        self.diverged |= {
            link.google_id
            for link in data.links()
            if link.origin == "google" and link.google_private
        }

    @rule(on=st.booleans())
    def set_linked_contacts(self, on):
        self._set(linked_contacts=on)

    @rule()
    def inject_faults(self):
        self.faulty = True

    # -- sync and what must hold after it ----------------------------------------------

    @rule()
    def sync(self):
        self._sync_and_check()

    @rule()
    def sync_again(self):  # a second rule: runs are drawn as often as edits
        self._sync_and_check()

    @rule()
    def full_reconcile(self):
        self._sync_and_check(full=True)

    def _sync_and_check(self, full: bool | None = None):
        env = self.env
        self.next()
        if self.faulty:
            env.sandbox.faults.rng.seed(self.n)
            self.run(env.faults(target="all", rate=0.2, kinds=list(KINDS), retry_after=0,
                                latency_ms=1))  # fmt: skip
            self._sync(full)
            self.run(env.clear_faults())
            self.faulty = False
            self._always()
        for _ in range(3):
            env.advance(30)
            result = self._sync(full)
            if result.exit_code == 0 and not result.summary["errors"]:
                break
        assert result.exit_code == 0 and result.summary["errors"] == [], result.summary
        self._clean_run()
        self._always()
        self._converged()

    def _clean_run(self) -> None:
        """A run went through without errors: what was edited since has been synced."""
        self.edited = {"google": set(), "pipedrive": set()}
        self.g_pending = {"edited": set(), "deleted": set()}
        if self.options.sync_type == "two-way":
            self.private_applied = self.options.private

    def _sync(self, full: bool | None = None):
        FIGURES["syncs"] += 1
        try:
            return self.run(self.env.sync(force_delete=True, full=full))
        except CalsyncError as exc:  # a run stopped by faults: recorded, tried again
            return type("Stopped", (), {"exit_code": 1, "summary": {"errors": [str(exc)]}})()

    def _linked_g(self, google_id: str) -> bool:
        return self.env.store.data(self.env.account_id).link_by_google(google_id) is not None

    def _revive(self, item: dict, side: str) -> None:
        """An edit of one side of a pair deleted on the other wins: the pair comes back.

        The engine sees both changes at the next run, not their order, so an edit also wins
        over a deletion of the other side made after it (before that run): remember it.
        """
        parsed = item_from_google(item, "UTC") if side == "google" else item_from_pipedrive(item)
        self.deleted.discard(_identity(parsed))
        self.edited[side].add(_identity(parsed))

    def _edited_on(self, side: str, ident) -> bool:
        """Was the item `ident` edited on `side` since the last clean run (two-way: then a
        deletion on the other side is undone by the change)?"""
        return ident in self.edited[side] and self.options.sync_type == "two-way"

    def _always(self) -> None:
        """Holds after every run, even one cut short by faults."""
        events, acts = self.events(), self.acts()
        links = self.env.store.data(self.env.account_id).links()
        assert links_one_to_one(links) == []
        assert copies(events, acts) == []
        fresh = Store(self.env.home)  # what any process reads: the options as last set
        try:
            assert fresh.account(self.env.account_id).options == self.wanted
        finally:
            fresh.close()

    def _converged(self) -> None:
        """Holds after a run that went through without errors."""
        events, acts = self.events(), self.acts()
        self._pairs_agree(events, acts)
        self._nothing_excluded_synced(events, acts)
        # An activity made from an event with the guest has the guest's person.
        for act in acts:
            if marker_google_id(act["note"]) in self.guest_events and not act["private"]:
                people = [p["person_id"] for p in act.get("participants") or ()]
                assert self.guest_id in people, act
        # With linked contacts off, nothing of a person, organization or deal is on Google.
        if not self.options.linked_contacts:
            for event in events:
                text = json.dumps(event, ensure_ascii=False)
                assert not [s for s in CRM_SECRETS if s in text], event
        # Nothing deleted came back.
        alive = {_identity(item_from_google(e, "UTC")) for e in events}
        alive |= {_identity(item_from_pipedrive(a)) for a in acts}
        assert not (alive & self.deleted), alive & self.deleted

    def _pairs_agree(self, events: list[dict], acts: list[dict]) -> None:
        """Linked pairs are equal under the mapping."""
        by_g = {e["id"]: e for e in events}
        by_p = {str(a["id"]): a for a in acts}
        for link in self.env.store.data(self.env.account_id).links():
            event, act = by_g.get(link.google_id), by_p.get(link.pipedrive_id)
            if event is None or act is None or link.google_id in self.diverged:
                continue
            g, p = item_from_google(event, "UTC"), item_from_pipedrive(act)
            assert g.span() == p.span(), (event, act)
            if g.private and self.options.private == "busy" and link.origin == "google":
                assert p.title == "Busy", (event, act)
            else:
                assert g.title == p.title, (event, act)

    def _nothing_excluded_synced(self, events: list[dict], acts: list[dict]) -> None:
        """Nothing the options exclude was synced (types not pushed, Google-only events,
        private events when they are skipped)."""
        options = self.options
        copied = {
            ((e.get("extendedProperties") or {}).get("private") or {}).get(ACTIVITY_KEY)
            for e in events
        }
        for act in acts:
            if "calsync:" not in (act["note"] or "") and act["type"] not in options.push_types:
                assert str(act["id"]) not in copied, act
        for event in events:
            if event["summary"] in self.google_only and not self._linked_g(event["id"]):
                assert not [a for a in acts if a["subject"] == event["summary"]], event
        if options.private == "skip" and options.sync_type == "two-way":
            # Not synced, and nothing made from it stays in Pipedrive (privacy wins). One-way
            # writes nothing to Pipedrive for an option change: a new mode waits for two-way
            # (docs/planner.md), when the sync type's change rewrites the pair.
            made_from = {marker_google_id(a["note"]) for a in acts}
            for event in events:
                own = ACTIVITY_KEY not in json.dumps(event)
                if own and event.get("visibility") == "private":
                    assert not self._linked_g(event["id"]), event
                    assert event["id"] not in made_from, event

    @invariant()
    def store_links_are_one_to_one(self):
        assert links_one_to_one(self.env.store.data(self.env.account_id).links()) == []


def test_state_machine(monkeypatch, tmp_path):
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    monkeypatch.setenv("CALSYNC_HOME", str(tmp_path / "home"))
    profile = settings.get_profile("long" if LONG else "ci")
    before = dict(FIGURES, faults={})
    FIGURES["faults"] = {}
    run_state_machine_as_test(SyncMachine, settings=profile)
    record(
        faults_injected=FIGURES["faults"],
        examples=FIGURES["examples"] - before["examples"],
        machine_steps=FIGURES["steps"] - before["steps"],
        machine_syncs=FIGURES["syncs"] - before["syncs"],
    )


# -- sequences the long profile found, replayed step by step (regressions) ------------------


def _replay(monkeypatch, tmp_path, steps) -> None:
    """Run `steps(machine)` on a fresh SyncMachine (every sync checks the invariants)."""
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    monkeypatch.setenv("CALSYNC_HOME", str(tmp_path / "home"))
    machine = SyncMachine()
    try:
        steps(machine)
    finally:
        machine.teardown()


def _event(machine: SyncMachine, title: str) -> dict:
    return next(e for e in machine.events() if e["summary"] == title)


def _activity(machine: SyncMachine, title: str) -> dict:
    return next(a for a in machine.acts() if a["subject"] == title)


def test_replay_renamed_event_turned_private_under_skip(monkeypatch, tmp_path):
    """Found as 'K1 e4' != 'K1': the pair was only unlinked, and the next run relinked the
    activity (it carries the event's marker) with its old title."""

    def steps(m: SyncMachine) -> None:
        m.g_create("timed", False)
        m.g_create("timed", False)
        m.full_reconcile()
        m.edit_event(_event(m, "K1"), move=False)
        m.set_private_mode("skip")
        m.make_private(_event(m, "K1 e4"))
        m.full_reconcile()
        m.full_reconcile()
        assert [a["subject"] for a in m.acts()] == ["K2"]

    _replay(monkeypatch, tmp_path, steps)


def test_replay_private_event_when_the_mode_becomes_skip(monkeypatch, tmp_path):
    def steps(m: SyncMachine) -> None:
        m.g_create("timed", True)
        m.full_reconcile()
        assert [a["subject"] for a in m.acts()] == ["K1"]
        m.set_private_mode("skip")
        m.full_reconcile()
        assert m.acts() == []

    _replay(monkeypatch, tmp_path, steps)


def test_replay_private_event_when_the_mode_becomes_busy(monkeypatch, tmp_path):
    def steps(m: SyncMachine) -> None:
        m.g_create("timed", True)
        m.full_reconcile()
        m.set_private_mode("busy")
        m.full_reconcile()
        assert [a["subject"] for a in m.acts()] == ["Busy"]
        m.set_private_mode("private")
        m.full_reconcile()
        assert [a["subject"] for a in m.acts()] == ["K1"]

    _replay(monkeypatch, tmp_path, steps)


def test_replay_copy_edited_then_activity_deleted(monkeypatch, tmp_path):
    """Found as 'an item deleted came back': the copy was edited on Google before the
    activity was deleted; the engine sees both at the next run and the change wins (the
    activity is restored), whatever their order. The harness now expects that."""

    def steps(m: SyncMachine) -> None:
        m.p_create("call", False, False)
        m.full_reconcile()
        m.make_private(_event(m, "K1"))
        m.delete_activity(_activity(m, "K1"))
        m.full_reconcile()
        assert [a["subject"] for a in m.acts()] == ["K1"]

    _replay(monkeypatch, tmp_path, steps)


def test_replay_restored_activity_keeps_its_origin(monkeypatch, tmp_path):
    """Found as 'K2' != 'Busy': a pair born in Pipedrive, restored from its (now private)
    Google copy, became a Google-born pair under `busy`. A restore keeps the pair's origin:
    an activity made in Pipedrive is never turned into a Busy placeholder."""

    def steps(m: SyncMachine) -> None:
        m.set_private_mode("busy")
        m.p_create("call", False, False)
        m.full_reconcile()
        m.make_private(_event(m, "K2"))
        m.delete_activity(_activity(m, "K2"))
        m.full_reconcile()
        assert [a["subject"] for a in m.acts()] == ["K2"]
        links = m.env.store.data(m.env.account_id).links()
        assert [link.origin for link in links] == ["pipedrive"]
        m.full_reconcile()

    _replay(monkeypatch, tmp_path, steps)


def test_replay_harness_calls_after_tokens_expired(monkeypatch, tmp_path):
    """The machine's own API calls refresh an expired token (as after `expire_tokens`)."""

    def steps(m: SyncMachine) -> None:
        m.g_create("timed", False)
        assert m.env.sandbox.tokens.expire_all("google") >= 1
        assert [e["summary"] for e in m.events()] == ["K1"]
        m.full_reconcile()

    _replay(monkeypatch, tmp_path, steps)


def test_replay_google_edit_pending_when_one_way_starts(monkeypatch, tmp_path):
    """Found as a linked pair with different times: a Google move made while two-way but not
    synced before switching to one-way is never imported (one-way, by design); the harness
    now counts it as diverged. Back to two-way, the move is imported."""

    def steps(m: SyncMachine) -> None:
        m.g_create("timed", False)
        m.full_reconcile()
        m.edit_event(_event(m, "K1"), move=True)
        m.set_sync_type("one-way")
        m.full_reconcile()
        moved = item_from_google(_event(m, "K1"), "UTC").span()
        assert item_from_pipedrive(_activity(m, "K1")).span() != moved
        m.set_sync_type("two-way")
        m.full_reconcile()
        assert item_from_pipedrive(_activity(m, "K1")).span() == moved

    _replay(monkeypatch, tmp_path, steps)


def test_replay_event_turned_private_then_one_way_under_skip(monkeypatch, tmp_path):
    """Found as a private event still linked under `skip`: the event turned private, then
    one-way began before a run. Privacy wins in one-way too: the activity made from the
    event goes (and under `busy` it becomes the placeholder)."""

    def steps(m: SyncMachine) -> None:
        m.g_create("timed", False)
        m.full_reconcile()
        m.make_private(_event(m, "K1"))
        m.set_private_mode("skip")
        m.set_sync_type("one-way")
        m.full_reconcile()
        assert m.acts() == []

    _replay(monkeypatch, tmp_path, steps)


def test_replay_activity_renamed_when_the_mode_becomes_busy(monkeypatch, tmp_path):
    """Found as 'K2 e9' != 'Busy': the activity of a private event, renamed in Pipedrive as
    the mode became `busy`. Its time goes back to Google and it is reset to the placeholder;
    likewise when the placeholder itself is renamed."""

    def steps(m: SyncMachine) -> None:
        m.g_create("all-day", True)
        m.sync()
        m.set_private_mode("public")
        m.sync()
        m.set_private_mode("busy")
        m.edit_activity(_activity(m, "K1"), "rename")
        m.sync()
        assert [a["subject"] for a in m.acts()] == ["Busy"]
        m.edit_activity(_activity(m, "Busy"), "rename")
        m.sync()
        assert [a["subject"] for a in m.acts()] == ["Busy"]
        assert [e["summary"] for e in m.events()] == ["K1"]

    _replay(monkeypatch, tmp_path, steps)


def test_replay_activity_renamed_when_the_mode_becomes_skip(monkeypatch, tmp_path):
    """Found as a private event still linked under `skip`: its activity was renamed in
    Pipedrive before the run that applied the new mode; it goes all the same."""

    def steps(m: SyncMachine) -> None:
        m.sync()
        m.g_create("timed", True)
        m.sync()
        m.set_private_mode("busy")
        m.edit_activity(_activity(m, "K2"), "rename")
        m.set_private_mode("skip")
        m.sync()
        assert m.acts() == []

    _replay(monkeypatch, tmp_path, steps)


def test_replay_linked_contacts_off_when_a_copy_changed_on_google(monkeypatch, tmp_path):
    """Found as the linked person's name and e-mail left on Google: linked contacts were
    switched off in the run that imported a Google change of a Pipedrive copy. The change
    is imported and the copy written again without them; the person, added as an attendee
    from the link, is not read back as one of the activity's attendees."""

    def steps(m: SyncMachine) -> None:
        m.set_linked_contacts(True)
        m.p_create("call", True, False)
        m.full_reconcile()
        (event,) = m.events()
        assert PERSON["email"] in json.dumps(event) and BLOCK_MARK in event["description"]
        m.make_private(event)
        m.set_linked_contacts(False)
        m.full_reconcile()
        (act,) = m.acts()
        assert act["private"] and act["attendees"] == []
        assert m.run(m.env.sync(full=True)).writes() == 0
        # Back on: the copy gets them again; a guest added on Google is imported, the
        # linked person still not.
        m.set_linked_contacts(True)
        m.full_reconcile()
        (event,) = m.events()
        assert PERSON["email"] in json.dumps(event) and BLOCK_MARK in event["description"]
        guests = [*event["attendees"], {"email": "guest@example.org"}]
        m.run(m.env.g_patch(event["id"], {"attendees": guests}))
        m.full_reconcile()
        (act,) = m.acts()
        assert [a["email"] for a in act["attendees"]] == ["guest@example.org"]

    _replay(monkeypatch, tmp_path, steps)


def test_replay_linked_contacts_off_when_a_copy_restores_its_activity(monkeypatch, tmp_path):
    """The same with the activity deleted: the edited copy restores it, and is written again
    without the deleted activity's linked contacts (the new activity links none)."""

    def steps(m: SyncMachine) -> None:
        m.set_linked_contacts(True)
        m.p_create("call", True, False)
        m.full_reconcile()
        m.edit_event(_event(m, "K2"), move=False)
        m.delete_activity(_activity(m, "K2"))
        m.set_linked_contacts(False)
        m.full_reconcile()
        assert [a["subject"] for a in m.acts()] == ["K2 e4"]
        assert [a["attendees"] for a in m.acts()] == [[]]

    _replay(monkeypatch, tmp_path, steps)


def test_replay_private_mode_changed_while_one_way(monkeypatch, tmp_path):
    """Found as 'K1' != 'Busy': the placeholder of a private event made under `busy` stays
    one when the mode becomes `private` in one-way (one-way imports nothing; by design);
    the harness now counts such pairs as diverged. Back to two-way, the details return."""

    def steps(m: SyncMachine) -> None:
        m.g_create("timed", True)
        m.set_private_mode("busy")
        m.full_reconcile()
        m.set_sync_type("one-way")
        m.set_private_mode("private")
        m.full_reconcile()
        assert [a["subject"] for a in m.acts()] == ["Busy"]
        m.set_sync_type("two-way")
        m.full_reconcile()
        assert [a["subject"] for a in m.acts()] == ["K1"]
        # Likewise when the mode changed just before one-way began, with no run between.
        m.set_private_mode("busy")
        m.full_reconcile()
        m.set_private_mode("private")
        m.set_sync_type("one-way")
        m.full_reconcile()
        assert [a["subject"] for a in m.acts()] == ["Busy"]

    _replay(monkeypatch, tmp_path, steps)


def test_replay_two_private_series_never_share_a_time(monkeypatch, tmp_path):
    """Found as 'activity twice: Busy ...': series K1 and K8 (weekly, started 7 days apart)
    shared an instance's time, so two private instances made two identical placeholders:
    right, but the harness counts identical content as a duplicate. Series now start at
    distinct slots."""

    def steps(m: SyncMachine) -> None:
        m.g_create("recurring", False)
        for _ in range(6):
            m.full_reconcile()
        m.g_create("recurring", True)
        k1 = sorted((e for e in m.events() if e["summary"] == "K1"), key=lambda e: e["id"])
        m.make_private(k1[1])
        m.set_private_mode("busy")
        m.full_reconcile()
        spans = [item_from_pipedrive(a).span() for a in m.acts()]
        assert len(spans) == 6 and len(set(spans)) == 6

    _replay(monkeypatch, tmp_path, steps)


def test_replay_a_concurrent_once_under_skip_deletes_what_skip_takes_out(monkeypatch, tmp_path):
    """Found by the long profile: the other process's run of `concurrent_once` was made
    without `--force-delete`, so under `skip` the guard held the deletions of the private
    series' activities and the harness took the guarded run for a clean one. Both runs now
    go ahead as the machine's own do."""

    def steps(m: SyncMachine) -> None:
        m.set_private_mode("private")
        m.concurrent_once()
        m.g_create("timed", False)
        m.g_create("recurring", True)
        m.set_private_mode("busy")
        m.g_create("timed", False)
        m.concurrent_once()
        m.concurrent_once()
        m.set_private_mode("skip")
        m.concurrent_once()

    _replay(monkeypatch, tmp_path, steps)


def test_replay_skip_chosen_while_one_way_waits_for_two_way(monkeypatch, tmp_path):
    """Found by the long profile at 2,000 examples: `skip` chosen, then one-way, with no
    run between: the activity made from the private event stayed, and the harness asked
    for it to go. One-way writes nothing to Pipedrive for an option change (by design, as
    for the other modes above): the harness now checks `skip` in two-way, and back in
    two-way the activity goes."""

    def steps(m: SyncMachine) -> None:
        m.g_create("timed", True)
        m.concurrent_once()
        m.set_private_mode("skip")
        m.set_sync_type("one-way")
        m.concurrent_once()
        assert len(m.acts()) == 1  # one-way: left as it was
        m.set_sync_type("two-way")
        m.concurrent_once()
        assert m.acts() == []  # privacy wins once two-way resumes

    _replay(monkeypatch, tmp_path, steps)
