"""Replays: the engine's real-API code path (`run_once` against www.googleapis.com and
<company>.pipedrive.com) answered only by the committed cassettes, with every socket blocked."""

from __future__ import annotations

import pytest
import vcr.errors
import yaml

from .realhosts import REAL_HOSTS, block_sockets
from .scenarios import CASSETTES, SCENARIOS, Played, play

# Per scenario, per run: (created, updated, deleted) on Google, then on Pipedrive.
FIRST = ((2, 0, 0), (6, 0, 0))
EXPECTED = {
    "first_sync": [FIRST],
    "incremental_sync": [FIRST, ((1, 1, 1), (1, 1, 1))],
    "token_refresh": [FIRST, ((1, 0, 0), (0, 0, 0)), ((0, 0, 0), (1, 0, 0))],
    # The stale sync token: a 410, then the window listed again; the one new event only.
    "full_resync_410": [FIRST, ((0, 0, 0), (1, 0, 0))],
    "google_rate_limit": [FIRST],
    "pipedrive_429": [FIRST],
}
LINKS = {
    "first_sync": 8,
    "incremental_sync": 8,
    "token_refresh": 10,
    "full_resync_410": 9,
    "google_rate_limit": 8,
    "pipedrive_429": 8,
}


def _counts(summary: dict) -> tuple:
    return tuple(
        tuple(summary[side][k] for k in ("created", "updated", "deleted"))
        for side in ("google", "pipedrive")
    )


def _requests(run) -> tuple[int, int]:
    return run.summary["google"]["requests"], run.summary["pipedrive"]["requests"]


def _statuses(name: str) -> list[int]:
    tape = yaml.safe_load((CASSETTES / SCENARIOS[name].cassette).read_text())
    return [i["response"]["status"]["code"] for i in tape["interactions"]]


@pytest.fixture
def offline(monkeypatch):
    """No sandbox and no network: every socket connection is refused."""
    return block_sockets(monkeypatch)


async def replay(name: str, tmp_path) -> Played:
    scenario = SCENARIOS[name]
    return await play(scenario, tmp_path / "home", CASSETTES / scenario.cassette)


def test_every_scenario_has_a_cassette_under_the_real_hostnames():
    for scenario in SCENARIOS.values():
        tape = yaml.safe_load((CASSETTES / scenario.cassette).read_text())
        hosts = {i["request"]["uri"].split("/")[2] for i in tape["interactions"]}
        assert hosts <= REAL_HOSTS, hosts
        assert "www.googleapis.com" in hosts and "lindqvistsales.pipedrive.com" in hosts


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_replay(name, tmp_path, offline):
    played = await replay(name, tmp_path)
    assert [run.error for run in played.runs] == [None] * len(played.runs)
    assert [run.summary["status"] for run in played.runs] == ["ok"] * len(played.runs)
    assert [_counts(run.summary) for run in played.runs] == EXPECTED[name]
    assert played.played == played.interactions, "the engine asked less than was recorded"
    links = played.links
    assert len(links) == LINKS[name]
    assert len({link.google_id for link in links}) == len({link.pipedrive_id for link in links})
    assert len({link.google_id for link in links}) == len(links), "a duplicate link"
    assert played.account.last_status == "ok" and not played.account.needs_reconnect
    assert offline == []


async def test_incremental_run_reads_only_changes(tmp_path, offline):
    played = await replay("incremental_sync", tmp_path)
    first, second = played.runs
    assert first.events[0].detail["full"] is True
    assert second.events[0].detail["full"] is False
    fetched = next(e for e in second.events if e.kind == "fetch")
    # What changed since run 1, plus the echoes of run 1's own writes (recognised by their
    # origin and not written back): 3 changes + 2 echoes on Google, 3 + 6 on Pipedrive.
    assert (fetched.detail["google"], fetched.detail["pipedrive"]) == (5, 9)


async def test_token_refresh_saves_the_new_tokens(tmp_path, offline):
    played = await replay("token_refresh", tmp_path)
    google, pipedrive = played.secrets["google"], played.secrets["pipedrive_oauth"]
    # The refreshed access tokens came from the cassette (scrubbed); Google sends no new
    # refresh token, so ours is kept; Pipedrive's answer carries one, which replaced it.
    assert google["access_token"] == "FILTERED"
    assert google["refresh_token"] == "replay-google-refresh"
    assert pipedrive["access_token"] == "FILTERED"
    assert pipedrive["refresh_token"] == "FILTERED"
    assert google["expires_at"] > "2026"  # no longer the long-expired 2000-01-01


async def test_retries_and_refreshes_cost_one_request_each(tmp_path, offline):
    """Against the same data as the first sync: each 429 answered costs one more request on
    its side, each token refresh one more on its side."""
    (plain,) = (await replay("first_sync", tmp_path / "a")).runs
    (google_limited,) = (await replay("google_rate_limit", tmp_path / "b")).runs
    (pipedrive_limited,) = (await replay("pipedrive_429", tmp_path / "c")).runs
    refreshed = (await replay("token_refresh", tmp_path / "d")).runs[0]
    g, p = _requests(plain)
    assert _statuses("google_rate_limit").count(429) == 2
    assert _requests(google_limited) == (g + 2, p)
    assert _statuses("pipedrive_429").count(429) == 2
    assert _requests(pipedrive_limited) == (g, p + 2)
    assert _requests(refreshed) == (g + 1, p + 1)


async def test_a_401_is_refreshed_and_sent_again(tmp_path, offline):
    played = await replay("token_refresh", tmp_path)
    statuses = _statuses("token_refresh")
    assert statuses.count(401) == 2  # Google in run 2, Pipedrive in run 3
    _, second, third = played.runs
    tape = yaml.safe_load((CASSETTES / "token_refresh.yaml").read_text())
    uris = [i["request"]["uri"] for i in tape["interactions"]]
    refreshes = [u for u in uris if u.endswith(("/token", "/oauth/token"))]
    # Run 1 refreshes both expired tokens; run 2 Google's after its 401, run 3 Pipedrive's.
    assert sorted(refreshes) == [
        "https://oauth.pipedrive.com/oauth/token",
        "https://oauth.pipedrive.com/oauth/token",
        "https://oauth2.googleapis.com/token",
        "https://oauth2.googleapis.com/token",
    ]
    assert second.summary["status"] == third.summary["status"] == "ok"


async def test_full_resync_after_410_says_so(tmp_path, offline):
    played = await replay("full_resync_410", tmp_path)
    fetches = [e for e in played.runs[1].events if e.kind == "fetch"]
    assert fetches[0].reason == "Google's sync token expired: listing the whole window again"
    assert fetches[1].detail["full"] is True


async def test_a_request_not_in_the_cassette_fails_the_replay(tmp_path, offline, monkeypatch):
    """The cassettes are strict (record_mode "none"): an engine that asks something else
    (here: a shorter sync window, so other timeMax) gets no answer and the replay fails."""
    from sync.options import Options

    from . import scenarios

    monkeypatch.setattr(scenarios, "Options", lambda **kw: Options(window_future_days=30, **kw))
    with pytest.raises(vcr.errors.CannotOverwriteExistingCassetteException):
        await replay("first_sync", tmp_path)
    assert offline == []


def test_the_offline_fixture_refuses_connections(offline):
    import socket

    with pytest.raises(OSError, match="network access blocked"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    with socket.socket() as sock, pytest.raises(OSError, match="network access blocked"):
        sock.connect(("93.184.215.14", 443))
    assert len(offline) == 2
