"""Linked contacts on Google copies: what comes back when a copy is read, and the planner's
rewrite of a copy whose Google change is imported in the run that switches them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from sync.actions import Conflict, CreateOnPipedrive, RewriteGoogle, UpdateGoogle, UpdatePipedrive
from sync.mapping import LINKED_KEY, email_tag, google_body, item_from_google
from sync.models import Attendee, CalendarItem, Contact, Link, LinkedContacts
from sync.options import Options
from tests.planning import plan

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
T = NOW + timedelta(days=2)
ON = Options(linked_contacts=True)
PERSON = Contact("Erik Nilsson", ("Erik@Nordvik.se",), ("+46 70 123 45 67",))
LINKED = LinkedContacts(person=PERSON, organization=Contact("Nordvik Logistik AB"))


def activity(**kw) -> CalendarItem:
    base = dict(side="pipedrive", id="42", title="Demo", start=T, end=T + timedelta(hours=1),
                description="agenda", activity_type="meeting")  # fmt: skip
    return CalendarItem(**(base | kw))


def written(body: dict, **extra) -> dict:
    """The event as Google would hold `body` after the write."""
    return {"id": "ev1", "etag": '"1"', "updated": "2026-06-01T11:00:00Z"} | body | extra


def test_attendees_from_the_linked_person_are_not_read_back():
    act = activity(attendees=(Attendee("ann@x.se", "Ann"),))
    body = google_body(act, ON, event_id=None, linked=LINKED, origin="pipedrive:42")
    assert [a["email"] for a in body["attendees"]] == ["ann@x.se", "Erik@Nordvik.se"]
    assert body["extendedProperties"]["private"][LINKED_KEY] == email_tag("erik@nordvik.se")
    # Tagged by a hash: the key may outlive the block, it must not carry the address.
    assert "nordvik" not in body["extendedProperties"]["private"][LINKED_KEY].lower()
    item = item_from_google(written(body), "UTC")
    assert item.attendees == (Attendee("ann@x.se", "Ann"),)
    assert item.description == "agenda"
    assert item.fingerprint() == dataclasses.replace(act, side="google", id="ev1").fingerprint()


def test_a_guest_added_on_google_is_read_back():
    body = google_body(activity(), ON, event_id=None, linked=LINKED, origin="pipedrive:42")
    event = written(body, attendees=[*body["attendees"], {"email": "guest@y.se"}])
    assert [a.email for a in item_from_google(event, "UTC").attendees] == ["guest@y.se"]


def test_the_person_as_the_activitys_own_attendee_is_kept():
    # The activity really has the linked person as an attendee: not added, not tagged.
    act = activity(attendees=(Attendee("erik@nordvik.se"),))
    body = google_body(act, ON, event_id=None, linked=LINKED, origin=None)
    assert body["extendedProperties"] == {"private": {LINKED_KEY: ""}}
    item = item_from_google(written(body), "UTC")
    assert [a.email for a in item.attendees] == ["erik@nordvik.se"]


def test_tags_count_only_while_the_block_is_there():
    # Linked contacts switched off: the rewrite replaces description and attendees, Google
    # keeps the old key. The person invited again by the user is an ordinary attendee.
    old_key = {"private": {LINKED_KEY: email_tag("erik@nordvik.se")}}
    body = google_body(activity(), Options(), event_id=None, linked=LINKED, origin=None)
    assert "extendedProperties" not in body and "Erik" not in str(body)
    event = written(body, extendedProperties=old_key, attendees=[{"email": "erik@nordvik.se"}])
    assert [a.email for a in item_from_google(event, "UTC").attendees] == ["erik@nordvik.se"]


# ---------------------------------------------------------------- the planner


def pair(origin="pipedrive", **kw):
    g = CalendarItem("google", "ev1", "e1", NOW - timedelta(hours=1), "Demo", T,
                     T + timedelta(hours=1), **kw)  # fmt: skip
    p = CalendarItem("pipedrive", "42", "v1", NOW - timedelta(hours=1), "Demo", T,
                     T + timedelta(hours=1), activity_type="meeting", **kw)  # fmt: skip
    return Link.from_items(g, p, origin=origin, synced_at=NOW - timedelta(days=1)), g, p


def changed(item: CalendarItem, minutes: int = 0, **kw) -> CalendarItem:
    return dataclasses.replace(item, updated=NOW - timedelta(minutes=minutes), **kw)


def run(link, g, p, options, rewrite_google=True):
    return plan(links=[link], google={g.id: g}, pipedrive={p.id: p}, options=options, now=NOW,
                full=True, rewrite_google=rewrite_google)  # fmt: skip


@pytest.mark.parametrize("origin", ["pipedrive", "google"])
def test_a_google_change_imported_when_linked_contacts_switch_rewrites_the_copy(origin):
    link, g, p = pair(origin)
    g2 = changed(g, private=True)
    assert run(link, g2, p, Options()).actions == (
        RewriteGoogle(link, g2),
        UpdatePipedrive(link, g2, "private"),
    )
    # Any other run: the import alone.
    assert run(link, g2, p, Options(), rewrite_google=False).actions == (
        UpdatePipedrive(link, g2, "private"),
    )


def test_a_conflict_google_wins_when_linked_contacts_switch_rewrites_the_copy():
    link, g, p = pair()
    g2, p2 = changed(g, 5, title="g"), changed(p, 10, title="p")
    actions = run(link, g2, p2, Options()).actions
    assert actions == (RewriteGoogle(link, g2), UpdatePipedrive(link, g2, "private"),
                       Conflict(g2, p2, "both changed; Google changed last (or a tie)"))  # fmt: skip
    # Pipedrive wins: its update of the copy is written under the new options anyway.
    g2, p2 = changed(g, 10, title="g"), changed(p, 5, title="p")
    assert isinstance(run(link, g2, p2, Options()).actions[0], UpdateGoogle)


def test_one_way_a_google_edit_of_a_copy_is_overwritten_when_linked_contacts_switch():
    """One-way imports no Google edit; the copy is written again from the activity (as on
    its next Pipedrive change), and an event made private on Google stays private."""
    link, g, p = pair()
    one = Options(sync_type="one-way")
    assert run(link, changed(g, title="x"), p, one).actions == (UpdateGoogle(link, p),)
    g2 = changed(g, private=True)
    assert run(link, g2, p, one).actions == (UpdateGoogle(link, p, keep_private=True),)
    assert [type(a).__name__ for a in run(link, g2, p, one, rewrite_google=False)] == ["Skip"]


@pytest.mark.parametrize(("on", "switched"), [(False, True), (True, False), (True, True)])
def test_a_restore_from_a_copy_rewrites_it_when_it_may_carry_linked_contacts(on, switched):
    """The copy changed on Google, its activity deleted: the activity is restored, and the
    copy written again first when it may carry the deleted activity's linked contacts."""
    link, g, p = pair()
    g2, gone = changed(g, title="x"), dataclasses.replace(p, deleted=True)
    pl = run(link, g2, gone, Options(linked_contacts=on), rewrite_google=switched)
    assert pl.actions == (
        RewriteGoogle(link, g2, with_linked=False),
        CreateOnPipedrive(g2, "private", replaces=link),
    )
    pl = run(link, g2, gone, Options(), rewrite_google=False)
    assert pl.actions == (CreateOnPipedrive(g2, "private", replaces=link),)


def test_the_same_change_on_both_sides_rewrites_the_copy_when_linked_contacts_switch():
    link, g, p = pair()
    g2, p2 = changed(g, title="same"), changed(p, title="same")
    assert run(link, g2, p2, Options()).actions == (UpdateGoogle(link, p2),)
    assert [type(a).__name__ for a in run(link, g2, p2, Options(), False)] == ["Relink"]
