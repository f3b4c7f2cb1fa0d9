"""calsync never emails anyone: every Google write it makes, batch parts included, says
sendUpdates=none (and the outbox check of every engine test, in conftest.py, sees what
Google would have sent: nothing). Linked contacts bring the person, organization and deal
a user made through the API into the event, without inviting anyone by mail."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from .conftest import NOW, Env, timed

WRITES = ("POST", "PATCH", "PUT", "DELETE")


class Recorder(httpx.AsyncBaseTransport):
    """The sandbox, noting every Google write as (method, path, query): batch parts too."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.writes: list[tuple[str, str, dict]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/batch/calendar/v3":
            await request.aread()
            for line in request.content.decode().split("\r\n"):
                method, _, rest = line.partition(" ")
                if method in WRITES and rest.endswith(" HTTP/1.1"):
                    self._note(method, rest.removesuffix(" HTTP/1.1"))
        elif path.startswith("/calendar/v3/") and request.method in WRITES:
            self._note(request.method, str(request.url))
        return await self.inner.handle_async_request(request)

    def _note(self, method: str, target: str) -> None:
        url = urlsplit(target)
        self.writes.append((method, url.path, parse_qs(url.query)))


async def test_every_google_write_says_send_updates_none(make_env):
    env: Env = await make_env(linked_contacts=True)
    recorder = Recorder(env.transport)
    env.transport = recorder  # what the engine's runs go through from now on
    person = await env.p_post(
        "/api/v2/persons",
        name="Karin Berg",
        emails=[{"value": "karin@nordvik.se", "primary": True}],
    )
    made = [
        await env.p_create(
            subject=f"Call {n}", type="call", due_date="2026-03-24", due_time=f"{9 + n:02d}:00",
            duration="00:30", participants=[{"person_id": person["id"], "primary": True}],
            attendees=[{"email": "guest@example.org"}],
        )
        for n in range(3)
    ]  # fmt: skip
    await env.sync()  # creates, in a batch
    env.advance()
    await env.p_patch(made[0]["id"], subject="Call 0, moved", due_time="15:00")
    await env.p_delete(made[1]["id"])
    # A copy deleted on Google while its activity changes: made again, outside a batch (the
    # deterministic id belongs to a deleted event now).
    (copy,) = await env.google_by_summary("Call 2")
    await env.g_delete(copy["id"])
    await env.p_patch(made[2]["id"], subject="Call 2, again")
    env.advance()
    result = await env.sync()
    assert result.summary["google"] == {
        **result.summary["google"],
        "created": 1,
        "updated": 1,
        "deleted": 1,
    }
    methods = {method for method, _, _ in recorder.writes}
    assert methods == {"POST", "PATCH", "DELETE"}
    assert len(recorder.writes) >= 6
    for method, path, query in recorder.writes:
        assert query.get("sendUpdates") == ["none"], (method, path, query)
        if method != "DELETE":
            assert query.get("conferenceDataVersion") == ["1"], (method, path, query)


async def test_linked_contacts_bring_an_organization_and_deal_made_through_the_api(make_env):
    env = await make_env(linked_contacts=True)
    org = await env.p_post(
        "/api/v2/organizations", name="Client Ltd", address={"value": "Storgatan 1, Malmö"}
    )
    person = await env.p_post(
        "/api/v2/persons", name="Olle Client", org_id=org["id"],
        emails=[{"value": "olle@client.example", "primary": True}],
        phones=[{"value": "+46 40 123 456", "primary": True}],
    )  # fmt: skip
    deal = await env.p_post(
        "/api/v2/deals", title="Client Ltd pilot", value=48000, currency="SEK",
        person_id=person["id"], org_id=org["id"],
    )  # fmt: skip
    start = NOW + timedelta(days=4)
    await env.p_create(
        subject="Pilot review", type="meeting", due_date=start.date().isoformat(),
        due_time="10:00", duration="01:00", org_id=org["id"], deal_id=deal["id"],
        participants=[{"person_id": person["id"], "primary": True}],
    )  # fmt: skip
    result = await env.sync()
    assert result.summary["google"]["created"] == 1
    (event,) = await env.google_by_summary("Pilot review")
    text = event["description"]
    assert "Organization: Client Ltd" in text and f"/organization/{org['id']}" in text
    assert "Deal: Client Ltd pilot (48000 SEK)" in text and f"/deal/{deal['id']}" in text
    assert "Person: Olle Client" in text and "olle@client.example" in text
    assert [a["email"] for a in event["attendees"]] == ["olle@client.example"]
    env.advance()
    assert (await env.sync()).writes() == 0  # (and the outbox check: nobody was mailed)


async def test_an_all_day_event_on_the_windows_last_day_is_synced_once(make_env):
    """The window ends at a UTC midnight; Google lists the all-day event of that date too,
    because in Stockholm the day begins at 23:00 UTC the day before."""
    env = await make_env()
    last = env.store.account(env.account_id).options.window(NOW)[1].date()
    await env.g_insert({"summary": "Kick-off day", "start": {"date": last.isoformat()},
                        "end": {"date": (last + timedelta(days=1)).isoformat()}})  # fmt: skip
    await env.g_insert({"summary": "Meeting", **timed(NOW + timedelta(days=2))})
    first = await env.sync()
    assert first.summary["pipedrive"]["created"] == 2 and not first.kinds("skip")
    (day,) = await env.activities_by_subject("Kick-off day")
    assert (day["due_date"], day["due_time"]) == (last.isoformat(), None)
    env.advance()
    assert not (await env.sync(full=True)).kinds("skip")
