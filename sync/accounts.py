"""The accounts lifecycle: connect (sandbox or real services), options, stop syncing,
previously synced, reconnect. Connecting again with the same identity reuses the account,
its options and its links, so nothing is ever duplicated."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from .auth import OAuthTokens
from .errors import (
    AuthError,
    CalsyncError,
    NotFound,
    NotSyncing,
    OptionError,
    ServiceUnavailable,
    UsageError,
)
from .google_api import GoogleCalendar
from .http import Http, unreachable
from .loopback import LoopbackCallback
from .options import Options
from .pipedrive_api import Pipedrive
from .pipedrive_signin import (
    SIGN_IN_TIMEOUT,
    pipedrive_app_from_env,
    pipedrive_sign_in,
    print_address,
)
from .services import GOOGLE_API, Services, open_services
from .store import Account, AccountExtra, Store
from .vault import Vault

if TYPE_CHECKING:
    from requests.adapters import BaseAdapter

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
PIPEDRIVE_API = "https://api.pipedrive.com"
SANDBOX_REDIRECT = "http://127.0.0.1:8090/"


@dataclass(frozen=True)
class Connected:
    account: Account
    reused: bool
    """True when the identity was known: the account came back with its options."""
    already_connected: bool = False
    """True when that known account was syncing already (nothing changed but its tokens)."""


@dataclass(frozen=True)
class CalendarInfo:
    """A writable calendar of the account, as `calsync calendars` lists it."""

    id: str
    name: str
    time_zone: str
    primary: bool

    @classmethod
    def from_entry(cls, entry: dict) -> CalendarInfo:
        """From a calendarList entry (the user's own name for it first)."""
        return cls(
            id=entry["id"],
            name=entry.get("summaryOverride") or entry.get("summary") or entry["id"],
            time_zone=entry.get("timeZone") or "UTC",
            primary=bool(entry.get("primary")),
        )

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "time_zone": self.time_zone,
            "primary": self.primary,
        }


def writable(entries: list[dict]) -> list[CalendarInfo]:
    """The calendars one can sync to (owner or writer), primary first, then by name."""
    found = [
        CalendarInfo.from_entry(e) for e in entries if e.get("accessRole") in ("owner", "writer")
    ]
    return sorted(found, key=lambda c: (not c.primary, c.name.casefold()))


def resolve_calendar(entries: list[dict], wanted: str) -> tuple[str, CalendarInfo]:
    """The option value and the calendar for what a user typed: `primary`, an id, or a name
    (case-insensitive, unique). OptionError (exit 2) for an unknown, ambiguous or read-only one."""
    wanted = wanted.strip()
    if wanted.lower() == "primary":
        entry = next((e for e in entries if e.get("primary")), None)
        matches = [entry] if entry else []
    else:
        matches = [e for e in entries if e.get("id") == wanted]
        if not matches:
            folded = wanted.casefold()
            matches = [e for e in entries if CalendarInfo.from_entry(e).name.casefold() == folded]
    names = ", ".join(c.name for c in writable(entries))
    if not matches:
        raise OptionError(
            "calendar",
            f"unknown calendar {wanted!r}: choose one of {names} (`calsync calendars` lists them)",
            "This calendar is not in your calendar list any more: choose another.",
        )
    if len(matches) > 1:
        ids = ", ".join(e["id"] for e in matches)
        raise OptionError(
            "calendar",
            f"calendar name {wanted!r} fits {len(matches)} calendars ({ids}): give its id",
            "Several calendars have this name: choose one by its id.",
        )
    entry = matches[0]
    if entry.get("accessRole") not in ("owner", "writer"):
        raise OptionError(
            "calendar",
            f"calendar {wanted!r} is read-only: choose one you can write to ({names})",
            "This calendar is read-only: choose one you can write to.",
        )
    info = CalendarInfo.from_entry(entry)
    return ("primary" if info.primary and wanted != info.id else info.id), info


def resolve_types(types: list[dict], wanted: list[str], field: str) -> list[str]:
    """Activity type keys for what a user typed: each a type's key or its label, any case.
    OptionError (exit 2) naming the types there are for one that is not an active type."""
    active = [t for t in types if t.get("active_flag", True)]
    by_name: dict[str, str] = {}
    for t in active:
        by_name.setdefault(t["key_string"].casefold(), t["key_string"])
    for t in active:
        by_name.setdefault(str(t.get("name") or "").casefold(), t["key_string"])
    keys = []
    for text in wanted:
        key = by_name.get(str(text).strip().casefold())
        if key is None:
            choices = ", ".join(t["key_string"] for t in active)
            flag = "--save-as" if field == "save_as" else "--push-types"
            raise OptionError(
                field,
                f"unknown activity type {text!r} for {flag}: choose from {choices} "
                "(a type's key or its name)",
                f"{text!r} is not an active activity type in Pipedrive any more.",
            )
        keys.append(key)
    return keys


def type_names(types: list[dict]) -> dict[str, str]:
    """Each active type's key and the name Pipedrive shows for it ("lunch" -> "Lunch")."""
    return {
        t["key_string"]: str(t.get("name") or t["key_string"])
        for t in types
        if t.get("active_flag", True)
    }


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def _sandbox_google_tokens(client: httpx.AsyncClient, config: dict) -> OAuthTokens:
    """The authorization-code + PKCE dance against the sandbox, which consents at once."""
    installed = config["installed"]
    verifier, challenge = _pkce()
    state = secrets.token_urlsafe(16)
    answer = await client.get(
        installed["auth_uri"],
        params={
            "client_id": installed["client_id"],
            "redirect_uri": SANDBOX_REDIRECT,
            "response_type": "code",
            "scope": CALENDAR_SCOPE,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "access_type": "offline",
        },
    )
    if answer.status_code != 302:
        raise AuthError(f"the sandbox refused the sign-in ({answer.status_code})")
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    if query.get("state") != [state]:
        raise AuthError("the sign-in answer carried the wrong state: refused")
    tokens = await client.post(
        installed["token_uri"],
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": SANDBOX_REDIRECT,
            "code_verifier": verifier,
            "client_id": installed["client_id"],
            "client_secret": installed["client_secret"],
        },
    )
    if tokens.status_code != 200:
        raise AuthError(f"the sandbox refused the token exchange ({tokens.status_code})")
    return OAuthTokens.from_token_response(
        tokens.json(),
        token_uri=installed["token_uri"],
        client_id=installed["client_id"],
        client_secret=installed["client_secret"],
    )


async def connect_sandbox(
    store: Store, vault: Vault, url: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> Connected:
    """Add (or bring back) the account of a running sandbox, through its OAuth."""
    url = url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"bad --sandbox URL {url!r}: give one like http://127.0.0.1:8765")
    async with httpx.AsyncClient(transport=transport, timeout=15) as client:
        try:
            config_answer = await client.get(f"{url}/_sandbox/google/client_secret.json")
            creds_answer = await client.get(f"{url}/_sandbox/pipedrive/credentials")
        except httpx.TransportError as exc:
            down = unreachable("the sandbox", url, exc)
            raise ServiceUnavailable(f"{down} (is `calsync sandbox` running?)") from None
        if config_answer.status_code != 200 or creds_answer.status_code != 200:
            raise ServiceUnavailable(f"{url} does not look like a calsync sandbox")
        google_tokens = await _sandbox_google_tokens(client, config_answer.json())
    pd = creds_answer.json()
    secrets_ = {"google": google_tokens.to_json(), "pipedrive_api_token": pd["api_token"]}
    return await _register(
        store,
        vault,
        secrets_,
        google_base=url,
        api_domain=pd["api_domain"],
        kind="sandbox",
        transport=transport,
    )


def load_client_secret(path: Path) -> dict:
    """An installed-app client secret file, checked, with one-line errors."""
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"no client secret file at {path}") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the client secret file {path}: {exc}") from None
    installed = config.get("installed") if isinstance(config, dict) else None
    if not isinstance(installed, dict) or not {
        "client_id",
        "client_secret",
        "auth_uri",
        "token_uri",
    } <= set(installed):
        raise UsageError(
            f"{path} is not a Google OAuth client for a desktop app (no 'installed' client)"
        )
    return config


async def _register(
    store: Store,
    vault: Vault,
    secrets_: dict,
    *,
    google_base: str,
    api_domain: str,
    kind: str,
    transport: httpx.AsyncBaseTransport | None,
) -> Connected:
    """Identify both users, then add the account or bring the known one back."""
    probe = Account(
        id="new", email="", pipedrive_domain=api_domain, extra=AccountExtra(google_base=google_base)
    )
    services = _services_from(probe, secrets_, transport)
    try:
        primary = await services.google.calendar("primary")
        me = await services.pipedrive.me()
        types = await services.pipedrive.activity_types()
    finally:
        await services.aclose()
    email = primary["id"]
    active_types = [t["key_string"] for t in types if t.get("active_flag", True)]
    learnt = {
        "google_base": google_base,
        "kind": kind,
        "calendar_tz": primary.get("timeZone", "UTC"),
        "calendar_name": CalendarInfo.from_entry(primary).name,
        "pipedrive_user_id": me.get("id"),
        "pipedrive_name": me.get("name", ""),
        "activity_types": tuple(active_types),
        "activity_type_names": type_names(types),
    }
    with store.accounts_changing():
        return _add_or_reuse(store, vault, secrets_, email, me, api_domain, learnt, active_types)


def _add_or_reuse(
    store: Store,
    vault: Vault,
    secrets_: dict,
    email: str,
    me: dict,
    api_domain: str,
    learnt: dict,
    active_types: list[str],
) -> Connected:
    """The known account of this identity brought back, or a new one (under the index lock)."""
    known = store.find_account(email, me.get("email", ""), api_domain)
    if known is not None:
        was_syncing = known.state == "active" and not known.needs_reconnect
        if known.options.calendar != "primary":  # the synced calendar keeps its own zone and name
            learnt["calendar_tz"] = known.extra.calendar_tz
            learnt["calendar_name"] = known.extra.calendar_name or known.options.calendar
        vault.put(known.id, secrets_)
        account = store.update_account(
            known.id, state="active", needs_reconnect=False, extra=known.extra.replace(**learnt)
        )
        return Connected(account, True, already_connected=was_syncing)
    defaults = Options()
    options = defaults.replace(
        save_as=defaults.save_as if defaults.save_as in active_types else active_types[0],
        push_types=[t for t in defaults.push_types if t in active_types],
    )
    account = store.add_account(
        email,
        pipedrive_email=me.get("email", ""),
        pipedrive_domain=api_domain,
        options=options,
        extra=AccountExtra(**learnt),
    )
    vault.put(account.id, secrets_)
    return Connected(account, False)


def _services_from(account: Account, secrets_: dict, transport) -> Services:
    class _Memory(Vault):
        def __init__(self) -> None:
            self.data = dict(secrets_)

        def get(self, account_id: str) -> dict:
            return self.data

        def update(self, account_id: str, **changes) -> None:
            self.data.update(changes)
            secrets_.update(changes)

    return open_services(account, _Memory(), transport=transport)


async def connect_google(
    store: Store,
    vault: Vault,
    client_secret: Path,
    *,
    pipedrive_token: str | None,
    pipedrive_oauth: bool,
    open_browser: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    requests_adapter: BaseAdapter | None = None,
    on_address: Callable[[str], None] = print_address,
    timeout: float = SIGN_IN_TIMEOUT,
) -> Connected:
    """The real services: Google's installed-app OAuth in the browser, then Pipedrive (an API
    token, or the user's Pipedrive OAuth app in the browser).

    Each sign-in waits up to `timeout` seconds for the browser on a loopback port of its own;
    cancelling the task that awaits this (Esc in the app, Ctrl-C) ends it at once and frees
    the port. `on_address` is told each consent address (a person without a browser opens
    it elsewhere). `transport` (httpx) and `requests_adapter` (google-auth-oauthlib's token
    exchange) let tests answer Google's and Pipedrive's hosts from the sandbox."""
    config = load_client_secret(client_secret)
    if not pipedrive_token and not pipedrive_oauth:
        raise UsageError("give --pipedrive-token TOKEN or --pipedrive-oauth")
    # Checked before any browser opens: a missing setting is one line, not a wasted sign-in.
    pd_app = pipedrive_app_from_env() if pipedrive_oauth else None
    from google_auth_oauthlib.flow import InstalledAppFlow

    flow = InstalledAppFlow.from_client_config(config, scopes=[CALENDAR_SCOPE])
    if requests_adapter is not None:
        flow.oauth2session.mount("https://", requests_adapter)
    browser = None
    if open_browser:  # a machine without a browser: the address is shown instead
        with contextlib.suppress(webbrowser.Error):
            browser = webbrowser.get()
    # google-auth-oauthlib's own run_local_server blocks its thread for the whole wait; the
    # flow's parts (the consent URL with PKCE, the token exchange) are used around a
    # callback server that a cancel stops.
    callback = LoopbackCallback("127.0.0.1", 0, "/", service="Google")
    try:
        flow.redirect_uri = f"http://127.0.0.1:{callback.port}/"
        url, callback.state = flow.authorization_url(
            access_type="offline",  # a refresh token...
            prompt="consent",  # ...every time, not only at the first consent
        )
        on_address(f"Open this address to let calsync use your Google Calendar:\n{url}")
        if browser is not None:
            await asyncio.to_thread(browser.open, url, new=1, autoraise=True)
    except BaseException:
        callback.close()
        raise
    answer = await callback.code(timeout)
    # oauthlib insists on https for the answer's address, as run_local_server does.
    response = f"https://127.0.0.1:{callback.port}/?{urlencode(answer)}"
    try:
        await asyncio.to_thread(flow.fetch_token, authorization_response=response)
    except Exception as exc:  # the token exchange raises a zoo of oauthlib/requests errors
        raise AuthError(f"Google sign-in did not complete: {exc}") from None
    creds = flow.credentials
    installed = config["installed"]
    tokens = OAuthTokens(
        access_token=creds.token,
        refresh_token=creds.refresh_token,
        expires_at=creds.expiry.replace(tzinfo=UTC) if creds.expiry else None,
        token_uri=installed["token_uri"],
        client_id=installed["client_id"],
        client_secret=installed["client_secret"],
    )
    secrets_: dict = {"google": tokens.to_json()}
    if pd_app is not None:
        pd_tokens = await pipedrive_sign_in(
            pd_app,
            open_browser=browser is not None,
            transport=transport,
            on_address=on_address,
            timeout=timeout,
        )
        secrets_["pipedrive_oauth"] = pd_tokens.to_json()
        api_domain = pd_tokens.extra["api_domain"]
    else:
        api_domain = await _pipedrive_domain(pipedrive_token, transport)
        secrets_["pipedrive_api_token"] = pipedrive_token
    return await _register(
        store,
        vault,
        secrets_,
        google_base=GOOGLE_API,
        api_domain=api_domain,
        kind="real",
        transport=transport,
    )


async def _pipedrive_domain(
    token: str | None, transport: httpx.AsyncBaseTransport | None = None
) -> str:
    async with httpx.AsyncClient(base_url=PIPEDRIVE_API, timeout=15, transport=transport) as client:

        async def headers() -> dict[str, str]:
            return {"x-api-token": token or ""}

        me = await Pipedrive(Http("pipedrive", client, auth_headers=headers)).me()
    domain = me.get("company_domain")
    if not domain:
        raise CalsyncError("Pipedrive did not say which company the token belongs to")
    return f"https://{domain}.pipedrive.com"


# -- options and lifecycle ------------------------------------------------------------------


def no_account_error(store: Store) -> CalsyncError:
    """Why there is nothing to sync, with the command that helps: `calsync reconnect ID` for a
    stopped account, `calsync connect ...` when there is none at all."""
    stopped = store.accounts("previously_synced")
    if len(stopped) == 1:
        return NotFound(
            f"no account is syncing: account {stopped[0].id} was stopped; "
            f"`calsync reconnect {stopped[0].id}` brings it back with its options"
        )
    if stopped:
        ids = ", ".join(a.id for a in stopped)
        return NotFound(
            f"no account is syncing: accounts {ids} were stopped; "
            "`calsync reconnect ID` brings one back with its options"
        )
    return NotFound(
        "no account connected: run `calsync connect --sandbox URL` or `calsync connect --google ...`"
    )


def not_syncing_error(account: Account) -> NotSyncing:
    """A sync asked of a stopped account (for the runner to raise)."""
    return NotSyncing(
        f"account {account.id} is not syncing: `calsync reconnect {account.id}` brings it back"
    )


def pick_account(store: Store, account_id: str | None, *, active_only: bool = True) -> Account:
    """The account a command is about: the one given, or the only active one."""
    if account_id:
        return store.account(account_id)
    accounts = store.accounts("active" if active_only else None)
    if not accounts:
        raise no_account_error(store)
    if len(accounts) > 1:
        ids = ", ".join(a.id for a in accounts)
        raise UsageError(f"several accounts ({ids}): say which with --account ID")
    return accounts[0]


async def set_options(
    store: Store,
    vault: Vault,
    account: Account,
    changes: dict,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Account:
    """Validate option changes (calendar and types against the services: a calendar by id or
    name, a type by key or label) and save them."""
    changes = dict(changes)
    remote = ("calendar", "save_as", "push_types")  # checked against the services
    # Local checks first (one clear line each, no request made for a bad sync type).
    account.options.replace(**{k: v for k, v in changes.items() if k not in remote})
    extra = account.extra
    services = None
    try:
        if "calendar" in changes:
            services = open_services(account, vault, transport=transport)
            entries = await services.google.calendars()
            changes["calendar"], calendar = resolve_calendar(entries, str(changes["calendar"]))
            extra = extra.replace(calendar_tz=calendar.time_zone, calendar_name=calendar.name)
        if "save_as" in changes or "push_types" in changes:
            services = services or open_services(account, vault, transport=transport)
            types = await services.pipedrive.activity_types()
            extra = extra.replace(
                activity_types=tuple(t["key_string"] for t in types if t.get("active_flag", True)),
                activity_type_names=type_names(types),
            )
            if "save_as" in changes:
                (changes["save_as"],) = resolve_types(types, [changes["save_as"]], "save_as")
            if "push_types" in changes:
                changes["push_types"] = resolve_types(
                    types, list(changes["push_types"]), "push_types"
                )
    finally:
        if services is not None:
            await services.aclose()
    options = account.options.replace(**changes)
    return store.update_account(account.id, options=options, extra=extra)


async def calendars(vault: Vault, account: Account, *, transport=None) -> list[dict]:
    """The account's calendarList entries, as Google gives them."""
    services = open_services(account, vault, transport=transport)
    try:
        return await services.google.calendars()
    finally:
        await services.aclose()


async def activity_types(vault: Vault, account: Account, *, transport=None) -> list[dict]:
    services = open_services(account, vault, transport=transport)
    try:
        return await services.pipedrive.activity_types()
    finally:
        await services.aclose()


def disconnect(store: Store, account: Account) -> Account:
    """Stop syncing: nothing is deleted on either side; the account keeps its options and links."""
    if account.state == "previously_synced":
        raise UsageError(f"account {account.id} is already stopped")
    return store.deactivate(account.id)


async def reconnect(
    store: Store,
    vault: Vault,
    account: Account,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Account:
    """Back to active with its last options; the credentials are checked (and, for a sandbox
    account whose sign-in lapsed, renewed through the sandbox's OAuth)."""
    services = open_services(account, vault, transport=transport)
    try:
        await services.google.calendar("primary")
        await services.pipedrive.me()
    except AuthError:
        if account.extra.kind != "sandbox":
            how = (
                "--pipedrive-oauth"
                if "pipedrive_oauth" in vault.get(account.id)
                else "--pipedrive-token T"
            )
            raise AuthError(
                f"the saved sign-in of account {account.id} no longer works: "
                f"run `calsync connect --google CLIENT_SECRET.json {how}` again "
                "(your options and links are kept)"
            ) from None
        await services.aclose()
        again = await connect_sandbox(store, vault, account.extra.google_base, transport=transport)
        return again.account
    finally:
        await services.aclose()
    return store.reactivate(account.id)


__all__ = [
    "CalendarInfo",
    "Connected",
    "GoogleCalendar",
    "connect_sandbox",
    "connect_google",
    "pick_account",
    "no_account_error",
    "not_syncing_error",
    "resolve_calendar",
    "resolve_types",
    "set_options",
    "disconnect",
    "reconnect",
    "calendars",
    "activity_types",
]
