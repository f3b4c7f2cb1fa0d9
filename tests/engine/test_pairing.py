"""The first run over meetings that already exist on both sides (made with the sandbox's own
APIs, no calsync markers): they are linked ("paired"), never copied; several same-title,
same-time candidates pair one to one and the surplus goes to review."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest

from sync.commands import Console
from sync.errors import UsageError
from sync.review_commands import review

from .conftest import NOW, timed

DAY1 = NOW + timedelta(days=3)  # Monday 23 March 2026, 09:00 UTC


def _activity_at(start, minutes: int = 60) -> dict:
    return {
        "due_date": start.date().isoformat(),
        "due_time": start.strftime("%H:%M"),
        "duration": f"{minutes // 60:02d}:{minutes % 60:02d}",
    }


async def _both_sides(env, title: str, start, *, g_title: str | None = None) -> None:
    await env.g_insert({"summary": g_title or title, **timed(start)})
    await env.p_create(subject=title, type="meeting", **_activity_at(start))


async def test_first_run_links_200_meetings_that_exist_on_both_sides(env):
    for i in range(200):
        start = DAY1 + timedelta(days=i // 8, hours=i % 8)
        await _both_sides(env, f"Meeting {i}", start, g_title=f"  meeting   {i} ")
    result = await env.sync()
    assert result.summary["status"] == "ok", result.summary
    pairs = result.kinds("pair")
    assert len(pairs) == 200 and all("paired" in e.reason for e in pairs)
    assert result.summary["google"]["created"] == 0
    assert result.summary["pipedrive"]["created"] == 0
    assert len(await env.google_events()) == 200 and len(await env.activities()) == 200
    # Each pair's titles differ (case, spaces): the side changed last won, as in a conflict.
    assert result.summary["google"]["updated"] + result.summary["pipedrive"]["updated"] == 200
    links = env.store.data(env.account_id).links()
    assert len(links) == 200
    # The next runs have nothing to do, and an idle run costs one request a side.
    for full in (True, False):
        env.advance(60)
        again = await env.sync(full=full)
        assert again.writes() == 0 and not again.kinds("pair"), again.summary
    assert again.summary["google"]["requests"] == 1
    assert again.summary["pipedrive"]["requests"] == 1


async def test_equal_meetings_pair_without_any_write(env):
    for i in range(3):
        await _both_sides(env, f"Call {i}", DAY1 + timedelta(hours=i))
    result = await env.sync()
    assert len(result.kinds("pair")) == 3 and result.writes() == 0, result.summary


async def test_three_duplicates_against_two_pair_two_and_send_one_to_review(env):
    for _ in range(3):
        await env.g_insert({"summary": "Standup", **timed(DAY1)})
    for _ in range(2):
        await env.p_create(subject="Standup", type="meeting", **_activity_at(DAY1))
    result = await env.sync()
    assert len(result.kinds("pair")) == 2
    review = [e for e in result.kinds("skip") if e.detail.get("code") == "review"]
    assert len(review) == 1 and review[0].detail["from"] == "google"
    assert result.writes() == 0, result.summary
    assert len(await env.google_events()) == 3 and len(await env.activities()) == 2
    # Not copied on the next runs either.
    env.advance(60)
    again = await env.sync(full=True)
    assert again.writes() == 0, again.summary


async def test_different_times_or_titles_are_copied_not_paired(env):
    await env.g_insert({"summary": "Review", **timed(DAY1)})
    await env.p_create(subject="Review", type="meeting", **_activity_at(DAY1 + timedelta(hours=1)))
    await env.g_insert({"summary": "Budget", **timed(DAY1 + timedelta(days=1))})
    await env.p_create(subject="Budgets", type="meeting",
                       **_activity_at(DAY1 + timedelta(days=1)))  # fmt: skip
    result = await env.sync()
    assert not result.kinds("pair")
    assert result.summary["google"]["created"] == 2 and result.summary["pipedrive"]["created"] == 2


async def test_review_lists_the_surplus_and_dismissing_takes_it_off(env):
    for _ in range(2):
        await env.g_insert({"summary": "Sync-up", **timed(DAY1)})
    await env.p_create(subject="Sync-up", type="meeting", **_activity_at(DAY1))
    await env.sync()
    listed = _review(env, as_json=True)
    (item,) = listed["items"]
    assert item["side"] == "google" and item["title"] == "Sync-up" and item["state"] == "open"
    assert item["item"] == f"google:{item['id']}" and item["code"] == "duplicate"
    with pytest.raises(UsageError):
        _review(env, item=item["item"], deal="7")  # a duplicate has no deal to pick
    assert "dismissed" in _review(env, item=item["item"], dismiss=True, text=True)
    assert _review(env, as_json=True)["items"] == []
    with pytest.raises(UsageError, match="no review item"):
        _review(env, item=item["item"], dismiss=True)
    env.advance(60)
    again = await env.sync(full=True)  # dismissed: left as it is, still never copied
    assert again.writes() == 0 and len(await env.activities()) == 1, again.summary


def _review(env, *, text: bool = False, **kw):
    out = io.StringIO()
    code = review(Console(out, io.StringIO()), home=env.home, account_id=env.account_id, **kw)
    assert code == 0
    return out.getvalue() if text or not kw.get("as_json") else json.loads(out.getvalue())


async def test_a_dry_run_counts_pairs_apart_from_creates(env):
    for i in range(3):
        await _both_sides(env, f"Call {i}", DAY1 + timedelta(hours=i))
    await env.g_insert({"summary": "Only on Google", **timed(DAY1 + timedelta(days=1))})
    result = await env.sync(dry_run=True)
    plan = result.events[-1].detail["plan"]
    assert plan["other"]["pair"] == 3
    assert plan["pipedrive"]["create"] == 1 and plan["google"]["create"] == 0
    assert [e.detail.get("dry_run") for e in result.kinds("pair")] == [True] * 3
    assert env.store.data(env.account_id).links() == []  # a dry run links nothing
