"""The accounts lifecycle: connect (sandbox or real services), options, stop syncing,
previously synced, reconnect. Connecting again with the same identity reuses the account,
its options and its links, so nothing is ever duplicated."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import webbrowser
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx

from .auth import OAuthTokens
from .errors import AuthError, CalsyncError, NotFound, ServiceUnavailable, UsageError
from .google_api import GoogleCalendar
from .http import Http
from .options import Options
from .pipedrive_api import Pipedrive
from .pipedrive_signin import pipedrive_app_from_env, pipedrive_sign_in
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
        except httpx.TransportError:
            raise ServiceUnavailable(
                f"cannot reach the sandbox at {url}: is `calsync sandbox` running?"
            ) from None
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
        "pipedrive_user_id": me.get("id"),
        "pipedrive_name": me.get("name", ""),
        "activity_types": tuple(active_types),
    }
    known = store.find_account(email, me.get("email", ""), api_domain)
    if known is not None:
        vault.put(known.id, secrets_)
        account = store.update_account(
            known.id, state="active", needs_reconnect=False, extra=known.extra.replace(**learnt)
        )
        return Connected(account, True)
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
) -> Connected:
    """The real services: Google's installed-app OAuth in the browser, then Pipedrive (an API
    token, or the user's Pipedrive OAuth app in the browser).

    `transport` (httpx) and `requests_adapter` (google-auth-oauthlib's token exchange) let
    tests answer Google's and Pipedrive's hosts from the sandbox."""
    config = load_client_secret(client_secret)
    if not pipedrive_token and not pipedrive_oauth:
        raise UsageError("give --pipedrive-token TOKEN or --pipedrive-oauth")
    # Checked before any browser opens: a missing setting is one line, not a wasted sign-in.
    pd_app = pipedrive_app_from_env() if pipedrive_oauth else None
    from google_auth_oauthlib.flow import InstalledAppFlow

    flow = InstalledAppFlow.from_client_config(config, scopes=[CALENDAR_SCOPE])
    if requests_adapter is not None:
        flow.oauth2session.mount("https://", requests_adapter)
    if open_browser:
        try:
            webbrowser.get()
        except webbrowser.Error:
            open_browser = False  # a machine without a browser: the address is printed instead
    try:
        # In a thread: the flow blocks (up to 5 minutes) waiting for the browser's redirect.
        creds = await asyncio.to_thread(
            flow.run_local_server,
            host="127.0.0.1",
            port=0,
            open_browser=open_browser,
            authorization_prompt_message="Open this address to let calsync use your Google Calendar:\n{url}",
            timeout_seconds=300,
            access_type="offline",  # a refresh token...
            prompt="consent",  # ...every time, not only at the first consent
        )
    except Exception as exc:  # the flow raises a zoo of oauthlib/requests errors
        raise AuthError(f"Google sign-in did not complete: {exc}") from None
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
        pd_tokens = await pipedrive_sign_in(pd_app, open_browser=open_browser, transport=transport)
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


def pick_account(store: Store, account_id: str | None, *, active_only: bool = True) -> Account:
    """The account a command is about: the one given, or the only active one."""
    if account_id:
        return store.account(account_id)
    accounts = store.accounts("active" if active_only else None)
    if not accounts:
        raise NotFound(
            "no account connected: run `calsync connect --sandbox URL` or `calsync connect --google ...`"
        )
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
    """Validate option changes (calendar and types against the services) and save them."""
    options = account.options.replace(**changes)  # local checks first: one clear line each
    extra = account.extra
    if "calendar" in changes or "save_as" in changes or "push_types" in changes:
        services = open_services(account, vault, transport=transport)
        try:
            if "calendar" in changes:
                calendar = await services.google.calendar(options.calendar)
                if calendar.get("accessRole") not in ("owner", "writer"):
                    raise UsageError(
                        f"calendar {options.calendar!r} is read-only: choose one you can write to"
                    )
                extra = extra.replace(calendar_tz=calendar.get("timeZone", extra.calendar_tz))
            if "save_as" in changes or "push_types" in changes:
                types = await services.pipedrive.activity_types()
                active = [t["key_string"] for t in types if t.get("active_flag", True)]
                extra = extra.replace(activity_types=tuple(active))
                for key in ([options.save_as] if "save_as" in changes else []) + (
                    list(options.push_types) if "push_types" in changes else []
                ):
                    if key not in active:
                        raise UsageError(
                            f"unknown activity type {key!r}: choose from {', '.join(active)}"
                        )
        finally:
            await services.aclose()
    return store.update_account(account.id, options=options, extra=extra)


async def calendars(vault: Vault, account: Account, *, transport=None) -> list[dict]:
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
    "Connected",
    "GoogleCalendar",
    "connect_sandbox",
    "connect_google",
    "pick_account",
    "set_options",
    "disconnect",
    "reconnect",
    "calendars",
    "activity_types",
]
