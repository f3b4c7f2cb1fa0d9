"""`calsync connect --google CLIENT_SECRET.json --pipedrive-oauth` against the sandbox served
under the real hostnames: the user's Pipedrive OAuth app (client id and secret from the
environment), consent in the browser, the answer on the fixed loopback callback URL with its
`state` checked, the code exchanged at oauth.pipedrive.com, the company's api_domain kept,
refresh, revocation, and the one-line errors.

Only loopback sockets are allowed; the browser is the test's (no real one opens).
"""

from __future__ import annotations

import socket
import stat
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from google_auth_oauthlib import flow as oauth_flow

from sandbox.state import PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET
from sync.accounts import reconnect
from sync.errors import AuthError, CalsyncError
from sync.pipedrive_signin import PipedriveApp, pipedrive_sign_in
from sync.store import Store
from sync.vault import Vault
from tests.cassettes.realhosts import PIPEDRIVE_DOMAIN, PIPEDRIVE_TOKEN_URI
from tests.test_real_connect import Browser, RealWorld, _seed
from tests.test_real_connect import world as world  # noqa: F401  (the fixture)

AUTHORIZE = "https://oauth.pipedrive.com/oauth/authorize"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PipedriveBrowser(Browser):
    """The user's browser, with a say in how Pipedrive's consent page answers."""

    def __init__(self, app, *, pipedrive: str = "consent") -> None:
        super().__init__(app)
        self.pipedrive = pipedrive  # "consent", "deny" or "forge" (a foreign state)

    def redirect(self, url: str, back: str) -> str:
        if not url.startswith(AUTHORIZE) or self.pipedrive == "consent":
            return back
        query = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
        if self.pipedrive == "deny":
            query = {"error": "access_denied", "state": query["state"]}
        else:
            query["state"] = "not-the-state-calsync-sent"
        return back.split("?")[0] + "?" + urlencode(query)


@pytest.fixture
def app_env(world, monkeypatch):
    """The user's Pipedrive app (the sandbox's client), its callback on a free loopback port."""
    redirect = f"http://localhost:{_free_port()}/pipedrive/callback"
    monkeypatch.setenv("CALSYNC_PIPEDRIVE_CLIENT_ID", PIPEDRIVE_CLIENT_ID)
    monkeypatch.setenv("CALSYNC_PIPEDRIVE_CLIENT_SECRET", PIPEDRIVE_CLIENT_SECRET)
    monkeypatch.setenv("CALSYNC_PIPEDRIVE_REDIRECT_URI", redirect)
    return redirect


def _use_browser(world: RealWorld, monkeypatch, browser: Browser) -> Browser:
    world.browser = browser
    monkeypatch.setattr(oauth_flow.webbrowser, "get", lambda name=None: browser)
    return browser


async def _connect_oauth(world: RealWorld):
    return await world.connect(pipedrive_oauth=True)


# -- sign-in, storage, first sync ------------------------------------------------------------


async def test_connect_with_pipedrive_oauth_then_a_first_sync(world, app_env):
    await _seed(world)
    connected = await _connect_oauth(world)
    account = connected.account
    assert not connected.reused
    assert account.email == "anna.lindqvist@example.com"
    assert account.pipedrive_domain == PIPEDRIVE_DOMAIN  # the token answer's api_domain
    assert account.extra.kind == "real"

    # Google's consent first, then Pipedrive's, with the app's client id, callback and a state.
    google_url, pipedrive_url = world.browser.opened
    assert google_url.startswith("https://accounts.google.com/")
    parts = urlsplit(pipedrive_url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZE
    assert query["client_id"] == [PIPEDRIVE_CLIENT_ID]
    assert query["redirect_uri"] == [app_env]
    assert len(query["state"][0]) >= 24

    # The tokens, in the shape the engine refreshes (client credentials to refresh with).
    secrets = world.secrets(account.id)
    assert "pipedrive_api_token" not in secrets
    pd = secrets["pipedrive_oauth"]
    assert world.sandbox.tokens.check(pd["access_token"], "pipedrive") is not None
    assert pd["refresh_token"] and pd["expires_at"]
    assert pd["token_uri"] == PIPEDRIVE_TOKEN_URI
    assert (pd["client_id"], pd["client_secret"]) == (PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET)
    assert pd["extra"]["api_domain"] == PIPEDRIVE_DOMAIN
    path = world.home / "tokens" / f"{account.id}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for other in world.home.rglob("*"):
        if other.is_file() and other != path:
            text = other.read_text(errors="replace")
            for secret in (pd["access_token"], pd["refresh_token"], PIPEDRIVE_CLIENT_SECRET):
                assert secret not in text, other

    # The personal-token lookup (api.pipedrive.com) was not needed.
    hosts = {seen.split()[1].split("/")[0] for seen in world.routed.seen}
    assert hosts == {"www.googleapis.com", "oauth.pipedrive.com", "lindqvistsales.pipedrive.com"}

    summary = await world.sync(account.id)
    assert summary["status"] == "ok"
    assert summary["pipedrive"]["created"] > 0 and summary["google"]["created"] > 0


async def test_headless_sign_in_prints_both_addresses(world, app_env, monkeypatch):
    """No browser on the machine: both consent addresses are printed, to open elsewhere."""
    import webbrowser

    printed: list[str] = []

    def fake_print(*args, **kwargs):
        text = " ".join(str(a) for a in args)
        printed.append(text)
        world.browser.open(next(w for w in text.split() if w.startswith("https://")))

    def no_browser(name=None):
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    connected = await world.connect(pipedrive_oauth=True, on_address=fake_print)
    assert connected.account.pipedrive_domain == PIPEDRIVE_DOMAIN
    assert printed[1].startswith("Open this address to let calsync use your Pipedrive activities")


async def test_switching_from_a_token_to_oauth_keeps_the_account(world, app_env):
    first = (await world.connect()).account
    again = await _connect_oauth(world)
    assert again.reused and again.account.id == first.id
    secrets = world.secrets(first.id)
    assert "pipedrive_oauth" in secrets and "pipedrive_api_token" not in secrets


# -- refused answers and missing settings ----------------------------------------------------


async def test_an_answer_with_a_foreign_state_is_refused(world, app_env, monkeypatch):
    browser = _use_browser(world, monkeypatch, PipedriveBrowser(world.app, pipedrive="forge"))
    with pytest.raises(AuthError) as failed:
        await _connect_oauth(world)
    assert str(failed.value) == "Pipedrive's sign-in answer carried the wrong state: refused"
    # The browser was told no, and the code was never exchanged.
    assert [e.code for e in browser.errors if isinstance(e, HTTPError)] == [400]
    assert not any("oauth.pipedrive.com/oauth/token" in seen for seen in world.routed.seen)
    assert Store(world.home).accounts() == []
    assert not (world.home / "tokens").exists()


async def test_denied_consent_is_one_clear_error(world, app_env, monkeypatch):
    _use_browser(world, monkeypatch, PipedriveBrowser(world.app, pipedrive="deny"))
    with pytest.raises(AuthError) as failed:
        await _connect_oauth(world)
    assert str(failed.value) == "Pipedrive sign-in did not complete: access_denied"
    assert Store(world.home).accounts() == []


async def test_no_answer_in_time_is_one_clear_error_and_frees_the_port(monkeypatch):
    port = _free_port()
    app = PipedriveApp("id", "secret", f"http://127.0.0.1:{port}/pipedrive/callback")
    with pytest.raises(
        AuthError, match=r"^Pipedrive sign-in did not complete within 0\.3 seconds$"
    ):
        await pipedrive_sign_in(app, open_browser=False, timeout=0.3, on_address=lambda _: None)
    with socket.socket() as again:  # the listener is gone
        again.bind(("127.0.0.1", port))


async def test_a_taken_callback_port_is_one_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        redirect = f"http://127.0.0.1:{taken.getsockname()[1]}/pipedrive/callback"
        with pytest.raises(
            CalsyncError, match=r"^cannot listen on http://127\.0\.0\.1:\d+/pipedrive/"
        ):
            await pipedrive_sign_in(PipedriveApp("id", "secret", redirect), open_browser=False)


@pytest.mark.parametrize(
    ("unset", "extra", "expected"),
    [
        (
            ["CALSYNC_PIPEDRIVE_CLIENT_ID"],
            {},
            "calsync: --pipedrive-oauth needs your Pipedrive app's credentials: "
            "set CALSYNC_PIPEDRIVE_CLIENT_ID (see docs/real-accounts.md)\n",
        ),
        (
            ["CALSYNC_PIPEDRIVE_CLIENT_ID", "CALSYNC_PIPEDRIVE_CLIENT_SECRET"],
            {},
            "calsync: --pipedrive-oauth needs your Pipedrive app's credentials: "
            "set CALSYNC_PIPEDRIVE_CLIENT_ID and CALSYNC_PIPEDRIVE_CLIENT_SECRET "
            "(see docs/real-accounts.md)\n",
        ),
        (
            [],
            {"CALSYNC_PIPEDRIVE_REDIRECT_URI": "https://example.com/callback"},
            "calsync: CALSYNC_PIPEDRIVE_REDIRECT_URI must be a loopback address with a port, "
            "like http://localhost:8766/pipedrive/callback "
            "(got 'https://example.com/callback')\n",
        ),
    ],
)
def test_missing_app_settings_are_one_line_from_the_cli(
    world, app_env, monkeypatch, capsys, unset, extra, expected
):
    from tui.cli import main

    for name in unset:
        monkeypatch.delenv(name)
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    code = main(["connect", "--google", str(world.client_secret), "--pipedrive-oauth"])
    captured = capsys.readouterr()
    assert (code, captured.err, captured.out) == (2, expected, "")
    assert world.browser.opened == []  # no sign-in was started


# -- refresh and revocation ------------------------------------------------------------------


async def test_expired_pipedrive_access_is_refreshed_and_saved(world, app_env):
    await _seed(world)
    account = (await _connect_oauth(world)).account
    before = world.secrets(account.id)["pipedrive_oauth"]
    world.sandbox.tokens.expire_all("pipedrive")
    summary = await world.sync(account.id)
    assert summary["status"] == "ok"
    after = world.secrets(account.id)["pipedrive_oauth"]
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] == before["refresh_token"]
    assert after["expires_at"] > before["expires_at"]
    assert after["extra"]["api_domain"] == PIPEDRIVE_DOMAIN
    assert world.sandbox.tokens.check(after["access_token"], "pipedrive") is not None
    path = world.home / "tokens" / f"{account.id}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_revoked_pipedrive_app_needs_reconnect_and_loses_nothing(world, app_env):
    await _seed(world)
    account = (await _connect_oauth(world)).account
    first = await world.sync(account.id)
    assert first["status"] == "ok" and first["pipedrive"]["created"] > 0
    store = Store(world.home)
    store.update_account(account.id, options=account.options.replace(private="busy"))
    links = len(store.data(account.id))
    store.close()

    # The user uninstalls the app in Pipedrive: its refresh token stops working.
    refresh = world.secrets(account.id)["pipedrive_oauth"]["refresh_token"]
    assert world.sandbox.tokens.revoke(refresh)
    world.sandbox.tokens.expire_all("pipedrive")

    with pytest.raises(AuthError) as failed:
        await world.sync(account.id)
    message = str(failed.value)
    assert message == "pipedrive access was revoked or has expired: reconnect the account"

    store = Store(world.home)
    marked = store.account(account.id)
    assert marked.needs_reconnect and marked.last_error == message
    assert len(store.data(account.id)) == links
    with pytest.raises(AuthError) as told:
        await reconnect(store, Vault(world.home), marked, transport=world.transport)
    assert str(told.value) == (
        f"the saved sign-in of account {account.id} no longer works: run "
        "`calsync connect --google CLIENT_SECRET.json --pipedrive-oauth` again "
        "(your options and links are kept)"
    )
    store.close()

    again = await _connect_oauth(world)
    assert again.reused and again.account.id == account.id
    assert not again.account.needs_reconnect and again.account.options.private == "busy"
    summary = await world.sync(account.id)
    assert summary["status"] == "ok"
    assert all(summary[side]["created"] == 0 for side in ("google", "pipedrive"))
    store = Store(world.home)
    assert len(store.data(account.id)) == links
    store.close()


async def test_token_exchange_refused_for_wrong_client_secret(world, app_env, monkeypatch):
    monkeypatch.setenv("CALSYNC_PIPEDRIVE_CLIENT_SECRET", "not-the-secret")
    with pytest.raises(AuthError) as failed:
        await _connect_oauth(world)
    assert str(failed.value) == (
        "Pipedrive refused the app's credentials: check CALSYNC_PIPEDRIVE_CLIENT_ID "
        "and CALSYNC_PIPEDRIVE_CLIENT_SECRET"
    )
    assert Store(world.home).accounts() == []


async def test_the_sandbox_answers_a_company_api_domain_under_the_real_hostnames():
    """On its own address the sandbox is its own api_domain; under oauth.pipedrive.com it
    answers the company's address, as Pipedrive does."""
    from sandbox.app import create_app
    from sandbox.transport import SandboxTransport

    app = create_app(seed=1, empty=True)
    box = app.state.sandbox

    async def token_answer(base: str) -> dict:
        from sandbox.tokens import Grant

        code = box.tokens.new_code(
            Grant("pipedrive", PIPEDRIVE_CLIENT_ID, str(box.pipedrive.user_id), "base"),
            "http://127.0.0.1:1/cb",
            None,
            None,
        )
        async with httpx.AsyncClient(transport=SandboxTransport(app=app), base_url=base) as c:
            answer = await c.post(
                "/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": "http://127.0.0.1:1/cb",
                },
                auth=(PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET),
            )
        return answer.json()

    assert (await token_answer("http://sandbox.test"))["api_domain"] == "http://sandbox.test"
    real = await token_answer("https://oauth.pipedrive.com")
    assert real["api_domain"] == "https://lindqvistsales.pipedrive.com"
