"""The app's To review list, reached from the log (v) and the palette: an item whose guest has
two open deals is listed; picking one of its deals links the activity in Pipedrive and the
item leaves the list; dismissing takes an item off too."""

from __future__ import annotations

from datetime import timedelta

import httpx
from textual.widgets import DataTable, OptionList

from sync.review import ReviewList
from sync.runner import run_once
from sync.store import Store
from tui.dialogs.pick import PickDialog
from tui.screens.review import ReviewScreen
from tui.screens.sync_log import SyncLogScreen

from .conftest import FROZEN
from .test_resume_and_look import in_a_thread

TITLE = "Which deal is this"


def seed_and_sync(home, sandbox_app) -> tuple[int, int]:
    """A person with two open deals (through Pipedrive's API), a Google event with them as
    guest (through Calendar v3), and a first sync; the two deals' ids."""
    sandbox = sandbox_app.state.sandbox
    made: list[int] = []

    async def work(store, vault, transport) -> None:
        google = {"Authorization": f"Bearer {vault.get('1')['google']['access_token']}"}
        pd = {"x-api-token": sandbox.pipedrive.api_token}
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
            person = {"name": "Kim Review", "emails": [{"value": "kim.review@acme.example"}]}
            kim = (await c.post("/api/v2/persons", json=person, headers=pd)).json()["data"]["id"]
            for title in ("Deal one", "Deal two"):
                body = {"title": title, "person_id": kim, "status": "open"}
                made.append(
                    (await c.post("/api/v2/deals", json=body, headers=pd)).json()["data"]["id"]
                )
            start = FROZEN + timedelta(days=3)
            event = {
                "summary": TITLE,
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
                "attendees": [{"email": "kim.review@acme.example"}],
            }
            path = f"/calendar/v3/calendars/{sandbox.google.owner_email}/events"
            answer = await c.post(path, json=event, headers=google)
            assert answer.status_code == 200, answer.text
        async for event in run_once(
            store, vault, "1", transport=transport, now=sandbox.clock.now()
        ):
            if event.kind == "done":
                assert event.detail["summary"]["status"] == "ok", event.detail["summary"]

    in_a_thread(home, sandbox_app, work)
    return made[0], made[1]


def item_key(home) -> str:
    store = Store(home)
    try:
        items = ReviewList(store.data("1").folder).items()
    finally:
        store.close()
    return next(i.key for i in items if i.title == TITLE)


def activity_deal(sandbox_app, key: str):
    row = sandbox_app.state.sandbox.pipedrive.activities.rows[int(key.split(":")[1])]
    return row["deal_id"]


async def test_pick_a_deal_in_the_review_list(make_app, connect, home, sandbox_app, settle):
    sandbox_app.state.sandbox.churn.set_rate(0)
    connect()
    _, second = seed_and_sync(home, sandbox_app)
    key = item_key(home)
    assert activity_deal(sandbox_app, key) is None
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        await settle(pilot, lambda: "1" in app.sessions and app.sessions["1"].runs >= 1)
        app.open_log("1")
        await settle(pilot, lambda: isinstance(app.screen, SyncLogScreen))
        await pilot.press("v")
        await settle(pilot, lambda: isinstance(app.screen, ReviewScreen))
        table = app.screen.query_one("#review-items", DataTable)
        row = table.get_row_index(key)
        assert TITLE in str(table.get_row_at(row)[2])
        table.move_cursor(row=row)
        await pilot.press("p")
        await settle(pilot, lambda: isinstance(app.screen, PickDialog))
        options = app.screen.query_one("#choices", OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels == [f"Deal one (deal {second - 1})", f"Deal two (deal {second})"]
        options.highlighted = 1
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await settle(pilot, lambda: activity_deal(sandbox_app, key) == second)
        table = app.screen.query_one("#review-items", DataTable)
        assert key not in {k.value for k in table.rows}
        # Dismissing the first item left takes it off the list too.
        if table.row_count:
            first = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
            await pilot.press("x")
            await pilot.pause()
            assert first not in {k.value for k in table.rows}
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, SyncLogScreen))


async def test_the_palette_opens_the_review_list(make_app, connect, settle):
    connect()
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        app.previewed("1")  # the user looked and started syncing
        app.open_log("1")
        await settle(pilot, lambda: app.sessions["1"].runs == 1)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"review: to review")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ReviewScreen))
