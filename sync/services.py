"""Open both services for an account: httpx clients, credentials, retries, the API clients."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from .auth import ApiToken, OAuthSession, OAuthTokens
from .google_api import GoogleCalendar
from .http import Http
from .pipedrive_api import Pipedrive
from .store import Account
from .vault import Vault

GOOGLE_API = "https://www.googleapis.com"
GOOGLE_USER_QUOTA = 600  # calls a minute per user: Google Calendar's default quota
USER_AGENT = "calsync/0.1"
CONNECT_TIMEOUT = 2.0  # seconds; with the retries it fits http.CONNECT_BUDGET


@dataclass
class Services:
    google: GoogleCalendar
    pipedrive: Pipedrive
    google_http: Http
    pipedrive_http: Http
    clients: tuple[httpx.AsyncClient, ...]
    sessions: tuple[OAuthSession, ...]

    def requests(self, side: str) -> int:
        """Requests made to a side so far (API calls, retries and token refreshes)."""
        http = self.google_http if side == "google" else self.pipedrive_http
        sessions = [s for s in self.sessions if s.service == side]
        return http.requests + sum(s.requests for s in sessions)

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


def _client(
    base_url: str, transport: httpx.AsyncBaseTransport | None, timeout: float
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT),
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
    )


def open_services(
    account: Account,
    vault: Vault,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 60.0,
    retry_wait: float = 0.2,
) -> Services:
    """Clients for the account's Google calendar and Pipedrive company, credentials refreshed
    (and saved back to the vault) as needed."""
    secrets = vault.get(account.id)
    google_base = account.extra.google_base or GOOGLE_API
    g_client = _client(google_base, transport, timeout)
    p_client = _client(account.pipedrive_domain, transport, timeout)

    def save(kind: str):
        def _save(tokens: OAuthTokens) -> None:
            vault.update(account.id, **{kind: tokens.to_json()})

        return _save

    g_session = OAuthSession(
        "google", OAuthTokens.from_json(secrets["google"]), g_client, on_change=save("google")
    )
    sessions = [g_session]
    google_http = Http(
        "google",
        g_client,
        auth_headers=g_session.headers,
        refresh=g_session.refresh,
        wait_initial=retry_wait,
    )
    if "pipedrive_oauth" in secrets:
        p_session = OAuthSession(
            "pipedrive",
            OAuthTokens.from_json(secrets["pipedrive_oauth"]),
            p_client,
            basic_auth=True,
            on_change=save("pipedrive_oauth"),
        )
        sessions.append(p_session)
        pipedrive_http = Http(
            "pipedrive",
            p_client,
            auth_headers=p_session.headers,
            refresh=p_session.refresh,
            wait_initial=retry_wait,
        )
    else:
        token = ApiToken(secrets["pipedrive_api_token"])
        pipedrive_http = Http(
            "pipedrive", p_client, auth_headers=token.headers, wait_initial=retry_wait
        )
    # Google's own servers have a known quota: pace from the first call. A sandbox may have none
    # (or one set later through /_sandbox/limits): the first refusal teaches it.
    quota = GOOGLE_USER_QUOTA if google_base == GOOGLE_API else None
    return Services(
        GoogleCalendar(google_http, quota=quota),
        Pipedrive(pipedrive_http),
        google_http,
        pipedrive_http,
        (g_client, p_client),
        tuple(sessions),
    )
