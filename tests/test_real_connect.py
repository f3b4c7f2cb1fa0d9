"""The real-services connect flow (`calsync connect --google client_secret.json --pipedrive-token T`)
against the sandbox served under the real hostnames: the client secret file, Google's
installed-app OAuth through google-auth-oauthlib, token storage (0600 file or keyring),
refresh, and a revoked sign-in that asks for a reconnect and loses nothing.

Only loopback sockets are allowed (google-auth-oauthlib's redirect listener); every request
for accounts.google.com, oauth2.googleapis.com, www.googleapis.com, api.pipedrive.com and
lindqvistsales.pipedrive.com is answered by the in-process sandbox with its URL untouched.
"""

from __future__ import annotations

import json
import stat
import threading
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from google_auth_oauthlib import flow as oauth_flow

from sandbox.app import create_app
from sandbox.transport import SandboxTransport
from sync.accounts import CALENDAR_SCOPE, connect_google, load_client_secret, reconnect
from sync.errors import AuthError, UsageError
from sync.runner import run_once
from sync.store import Store
from sync.vault import Vault
from tests.cassettes.realhosts import (
    GOOGLE_AUTH_URI,
    GOOGLE_REVOKE_URI,
    GOOGLE_TOKEN_URI,
    PIPEDRIVE_DOMAIN,
    RealHostsTransport,
    block_sockets,
    patch_default_transport,
    real_hosts_session,
)

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class Browser:
    """The user's browser: opens Google's consent page (the sandbox consents at once) and
    follows the redirect to calsync's loopback listener, in a thread of its own because the
    flow blocks while it listens."""

    def __init__(self, app, *, deny: bool = False) -> None:
        self.session = real_hosts_session(app)
        self.deny = deny
        self.opened: list[str] = []
        self.errors: list[BaseException] = []
        self.threads: list[threading.Thread] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        thread = threading.Thread(target=self._consent, args=(url,), daemon=True)
        self.threads.append(thread)
        thread.start()
        return True

    def _consent(self, url: str) -> None:
        try:
            answer = self.session.get(url, allow_redirects=False)
            assert answer.status_code == 302, answer.text
            back = self.redirect(url, answer.headers["location"])
            with urllib.request.urlopen(back, timeout=10) as reply:
                reply.read()
        except BaseException as exc:
            self.errors.append(exc)

    def redirect(self, url: str, back: str) -> str:
        """Where the consent page sends the browser back to (a denial when `deny`)."""
        if not self.deny:
            return back
        query = parse_qs(urlsplit(back).query)
        return (
            back.split("?")[0]
            + "?"
            + urlencode({"error": "access_denied", "state": query["state"][0]})
        )

    def join(self) -> None:
        for thread in self.threads:
            thread.join(10)


class RealWorld:
    """A sandbox behind the real hostnames, a client secret file, a CALSYNC_HOME."""

    def __init__(self, tmp_path: Path, monkeypatch) -> None:
        self.app = create_app(seed=1, empty=True, frozen_time=NOW)
        self.sandbox = self.app.state.sandbox
        self.home = tmp_path / "home"
        self.transport = RealHostsTransport(self.app)
        self.monkeypatch = monkeypatch
        self.browser = Browser(self.app)
        self.client_secret = tmp_path / "client_secret.json"
        # Engine code that builds its own httpx clients, and google-auth-oauthlib's requests
        # session, both reach the sandbox through the real hostnames.
        self.routed = patch_default_transport(monkeypatch, self.app)
        original = oauth_flow.InstalledAppFlow.from_client_config.__func__

        def from_client_config(cls, config, scopes, **kw):
            made = original(cls, config, scopes, **kw)
            real_hosts_session(self.app, made.oauth2session)
            return made

        monkeypatch.setattr(
            oauth_flow.InstalledAppFlow, "from_client_config", classmethod(from_client_config)
        )
        monkeypatch.setattr(oauth_flow.webbrowser, "get", lambda name=None: self.browser)

    async def load_client_config(self) -> None:
        """The sandbox's client_secret.json, rewritten to Google's real addresses, as the
        Google Cloud console hands it out."""
        async with httpx.AsyncClient(
            transport=SandboxTransport(app=self.app), base_url="http://sandbox.test"
        ) as admin:
            config = (await admin.get("/_sandbox/google/client_secret.json")).json()
        config["installed"].update(
            auth_uri=GOOGLE_AUTH_URI,
            token_uri=GOOGLE_TOKEN_URI,
            auth_provider_x509_cert_url="https://www.googleapis.com/oauth2/v1/certs",
        )
        self.client_secret.write_text(json.dumps(config))

    async def connect(
        self, pipedrive_token: str | None = None, *, pipedrive_oauth: bool = False, **kw
    ):
        store, vault = Store(self.home), Vault(self.home)
        if not pipedrive_oauth:
            pipedrive_token = pipedrive_token or self.sandbox.pipedrive.api_token
        try:
            connected = await connect_google(
                store,
                vault,
                self.client_secret,
                pipedrive_token=pipedrive_token,
                pipedrive_oauth=pipedrive_oauth,
                **kw,
            )
        finally:
            self.browser.join()
            store.close()
        assert self.browser.errors == []
        return connected

    async def sync(self, account_id: str) -> dict:
        store, vault = Store(self.home), Vault(self.home)
        try:
            events = [
                e
                async for e in run_once(
                    store, vault, account_id, transport=self.transport, now=NOW, retry_wait=0.0
                )
            ]
        finally:
            store.close()
        return events[-1].detail["summary"]

    def secrets(self, account_id: str) -> dict:
        return Vault(self.home).get(account_id)


@pytest.fixture
async def world(tmp_path, monkeypatch):
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    monkeypatch.setenv("CALSYNC_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the loopback redirect is http
    made = RealWorld(tmp_path, monkeypatch)
    await made.load_client_config()
    blocked = block_sockets(monkeypatch, allow=lambda address: address[0] in LOOPBACK)
    yield made
    assert blocked == [], f"tried to leave the machine: {blocked}"


async def _seed(world: RealWorld) -> None:
    async with httpx.AsyncClient(
        transport=SandboxTransport(app=world.app), base_url="http://sandbox.test"
    ) as admin:
        answer = await admin.post(
            "/_sandbox/seed", json={"seed": 7, "events": 4, "activities": 3, "persons": 2}
        )
        assert answer.status_code == 200, answer.text


# -- the client secret file ------------------------------------------------------------------


def test_client_secret_file_must_be_a_desktop_client(tmp_path):
    web = tmp_path / "web.json"
    web.write_text(json.dumps({"web": {"client_id": "x", "client_secret": "y"}}))
    with pytest.raises(UsageError, match="not a Google OAuth client for a desktop app"):
        load_client_secret(web)
    with pytest.raises(UsageError, match="no client secret file"):
        load_client_secret(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(UsageError, match="cannot read the client secret file"):
        load_client_secret(broken)


# -- sign-in and storage ---------------------------------------------------------------------


async def test_connect_signs_in_through_google_and_stores_tokens_0600(world):
    connected = await world.connect()
    account = connected.account
    assert not connected.reused
    assert account.email == "anna.lindqvist@example.com"
    assert account.pipedrive_domain == PIPEDRIVE_DOMAIN
    assert account.extra.kind == "real"
    assert account.extra.google_base == "https://www.googleapis.com"

    # The consent page was Google's, asked for the calendar scope only, with PKCE.
    (url,) = world.browser.opened
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == GOOGLE_AUTH_URI
    assert query["scope"] == [CALENDAR_SCOPE]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:")

    # Tokens in a 0600 file in a 0700 folder; the sandbox honours them.
    path = world.home / "tokens" / f"{account.id}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    secrets = world.secrets(account.id)
    grant = world.sandbox.tokens.check(secrets["google"]["access_token"], "google")
    assert grant is not None and grant.scope == CALENDAR_SCOPE
    assert secrets["google"]["refresh_token"]
    assert secrets["google"]["token_uri"] == GOOGLE_TOKEN_URI
    assert secrets["pipedrive_api_token"] == world.sandbox.pipedrive.api_token

    # ...and nowhere else under CALSYNC_HOME.
    for other in world.home.rglob("*"):
        if other.is_file() and other != path:
            text = other.read_text(errors="replace")
            assert secrets["google"]["access_token"] not in text, other
            assert secrets["google"]["refresh_token"] not in text, other
            assert secrets["pipedrive_api_token"] not in text, other

    hosts = {seen.split()[1].split("/")[0] for seen in world.routed.seen}
    assert hosts <= {"www.googleapis.com", "api.pipedrive.com", "lindqvistsales.pipedrive.com"}


async def test_headless_sign_in_prints_the_address(world, monkeypatch):
    """Without a browser the flow prints the consent address; the user opens it elsewhere."""
    printed: list[str] = []

    def fake_print(*args, **kwargs):
        text = " ".join(str(a) for a in args)
        printed.append(text)
        url = next(word for word in text.split() if word.startswith("https://"))
        world.browser.open(url)

    connected = await world.connect(open_browser=False, on_address=fake_print)
    assert connected.account.email == "anna.lindqvist@example.com"
    assert printed and printed[0].startswith("Open this address")


async def test_no_browser_on_the_machine_falls_back_to_the_printed_address(world, monkeypatch):
    """On a server without a browser (webbrowser finds none), `calsync connect --google` still
    works: the consent address is printed to open on another machine."""
    import webbrowser

    def no_browser(name=None):
        raise webbrowser.Error("could not locate runnable browser")

    def fake_print(*args, **kwargs):
        text = " ".join(str(a) for a in args)
        world.browser.open(next(w for w in text.split() if w.startswith("https://")))

    monkeypatch.setattr(oauth_flow.webbrowser, "get", no_browser)
    connected = await world.connect(on_address=fake_print)
    assert connected.account.email == "anna.lindqvist@example.com"


async def test_a_wrong_pipedrive_token_is_refused_before_anything_is_saved(world):
    with pytest.raises(AuthError, match="pipedrive"):
        await world.connect(pipedrive_token="not-the-token")
    assert Store(world.home).accounts() == []
    assert not (world.home / "tokens").exists()


async def test_sign_in_asks_for_offline_access_every_time(world):
    """Google hands out a refresh token only with consent: connecting again (a new machine, a
    lost token file) must ask for it again, or the account dies an hour later."""
    await world.connect()
    query = parse_qs(urlsplit(world.browser.opened[0]).query)
    assert query["access_type"] == ["offline"]
    assert query["prompt"] == ["consent"]


async def test_refused_consent_is_one_clear_error(world):
    world.browser.deny = True
    with pytest.raises(AuthError, match="^Google sign-in did not complete"):
        await world.connect()
    assert Store(world.home).accounts() == []


async def test_keyring_holds_the_tokens_when_there_is_one(world, monkeypatch):
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.saved: dict[tuple[str, str], str] = {}

        def get_password(self, service, username):
            return self.saved.get((service, username))

        def set_password(self, service, username, password):
            self.saved[(service, username)] = password

        def delete_password(self, service, username):
            self.saved.pop((service, username), None)

    memory = MemoryKeyring()
    previous = keyring.get_keyring()
    monkeypatch.delenv("CALSYNC_KEYRING")
    keyring.set_keyring(memory)
    try:
        connected = await world.connect()
        assert not (world.home / "tokens").exists()
        stored = json.loads(memory.saved[("calsync", f"account-{connected.account.id}")])
        assert stored["google"]["refresh_token"]
        assert Vault(world.home).where == "the OS keyring"
    finally:
        keyring.set_keyring(previous)


# -- refresh and revocation ------------------------------------------------------------------


async def test_expired_access_is_refreshed_and_saved(world):
    await _seed(world)
    account = (await world.connect()).account
    before = world.secrets(account.id)["google"]
    world.sandbox.tokens.expire_all()
    summary = await world.sync(account.id)
    assert summary["status"] == "ok"
    after = world.secrets(account.id)["google"]
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] == before["refresh_token"]
    assert world.sandbox.tokens.check(after["access_token"], "google") is not None
    path = world.home / "tokens" / f"{account.id}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_revoked_sign_in_needs_reconnect_and_loses_nothing(world):
    await _seed(world)
    account = (await world.connect()).account
    first = await world.sync(account.id)
    assert first["status"] == "ok" and first["pipedrive"]["created"] > 0
    store = Store(world.home)
    store.update_account(account.id, options=account.options.replace(private="busy"))
    links = len(store.data(account.id))
    store.close()

    # The user removes calsync on Google's account permissions page.
    refresh = world.secrets(account.id)["google"]["refresh_token"]
    async with httpx.AsyncClient(transport=world.transport) as client:
        answer = await client.post(GOOGLE_REVOKE_URI, data={"token": refresh})
        assert answer.status_code == 200
    world.sandbox.tokens.expire_all("google")

    with pytest.raises(AuthError) as failed:
        await world.sync(account.id)
    message = str(failed.value)
    assert message == "google access was revoked or has expired: reconnect the account"
    assert "\n" not in message and refresh not in message

    store = Store(world.home)
    marked = store.account(account.id)
    assert marked.needs_reconnect and marked.last_status == "error"
    assert marked.last_error == message
    assert len(store.data(account.id)) == links  # nothing lost
    vault = Vault(world.home)
    with pytest.raises(
        AuthError,
        match=r"run `calsync connect --google CLIENT_SECRET\.json --pipedrive-token T` again",
    ):
        await reconnect(store, vault, marked, transport=world.transport)
    store.close()

    # Signing in again brings the same account back: options, links, nothing duplicated.
    again = await world.connect()
    assert again.reused and again.account.id == account.id
    assert not again.account.needs_reconnect
    assert again.account.options.private == "busy"
    summary = await world.sync(account.id)
    assert summary["status"] == "ok"
    assert all(summary[side]["created"] == 0 for side in ("google", "pipedrive"))
    store = Store(world.home)
    assert len(store.data(account.id)) == links
    store.close()
