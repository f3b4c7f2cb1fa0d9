"""Credentials for both services: Google OAuth tokens (refreshed before expiry) and a
Pipedrive API token or OAuth tokens. Secrets never appear in `repr` or in log lines."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from .errors import AuthError, ServiceUnavailable
from .http import unreachable

REFRESH_MARGIN = timedelta(seconds=60)


@dataclass
class OAuthTokens:
    """An OAuth 2.0 token set and how to refresh it."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime | None
    token_uri: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    extra: dict = field(default_factory=dict, repr=False)  # e.g. Pipedrive's api_domain

    def to_json(self) -> dict:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "token_uri": self.token_uri,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, data: dict) -> OAuthTokens:
        expires = data.get("expires_at")
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=datetime.fromisoformat(expires) if expires else None,
            token_uri=data["token_uri"],
            client_id=data["client_id"],
            client_secret=data.get("client_secret"),
            extra=dict(data.get("extra") or {}),
        )

    @classmethod
    def from_token_response(
        cls,
        body: dict,
        *,
        token_uri: str,
        client_id: str,
        client_secret: str | None,
        now: datetime | None = None,
    ) -> OAuthTokens:
        now = now or datetime.now(UTC)
        expires_in = body.get("expires_in")
        extra = {k: v for k, v in body.items() if k in ("api_domain", "scope")}
        return cls(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token"),
            expires_at=now + timedelta(seconds=int(expires_in)) if expires_in else None,
            token_uri=token_uri,
            client_id=client_id,
            client_secret=client_secret,
            extra=extra,
        )


class OAuthSession:
    """Hands out a fresh bearer header, refreshing before expiry or when told to."""

    def __init__(
        self,
        service: str,
        tokens: OAuthTokens,
        client: httpx.AsyncClient,
        *,
        basic_auth: bool = False,
        on_change: Callable[[OAuthTokens], None] | None = None,
    ) -> None:
        self.service = service
        self.tokens = tokens
        self.client = client
        self.basic_auth = basic_auth  # Pipedrive wants client credentials as HTTP Basic
        self.on_change = on_change
        self._lock = asyncio.Lock()
        self.requests = 0

    async def headers(self) -> dict[str, str]:
        expires = self.tokens.expires_at
        if expires is not None and expires - REFRESH_MARGIN <= datetime.now(UTC):
            await self.refresh()
        return {"Authorization": f"Bearer {self.tokens.access_token}"}

    async def refresh(self) -> None:
        stale = self.tokens.access_token
        async with self._lock:
            if self.tokens.access_token != stale:
                return  # another task refreshed while we waited
            if not self.tokens.refresh_token:
                raise AuthError(
                    f"{self.service} access expired and cannot be refreshed: reconnect the account"
                )
            data = {"grant_type": "refresh_token", "refresh_token": self.tokens.refresh_token}
            extra: dict = {}
            if self.basic_auth:
                extra["auth"] = httpx.BasicAuth(
                    self.tokens.client_id, self.tokens.client_secret or ""
                )
            else:
                data["client_id"] = self.tokens.client_id
                if self.tokens.client_secret:
                    data["client_secret"] = self.tokens.client_secret
            self.requests += 1
            try:
                response = await self.client.post(self.tokens.token_uri, data=data, **extra)
            except httpx.TransportError as exc:
                raise unreachable(
                    f"{self.service.capitalize()}'s sign-in service",
                    self.tokens.token_uri,
                    exc,
                ) from None
            if response.status_code in (400, 401):
                raise AuthError(
                    f"{self.service} access was revoked or has expired: reconnect the account"
                )
            if response.status_code != 200:
                raise ServiceUnavailable(
                    f"{self.service}'s sign-in service answered {response.status_code}"
                )
            body = response.json()
            fresh = OAuthTokens.from_token_response(
                body,
                token_uri=self.tokens.token_uri,
                client_id=self.tokens.client_id,
                client_secret=self.tokens.client_secret,
            )
            if fresh.refresh_token is None:
                fresh.refresh_token = self.tokens.refresh_token
            fresh.extra = {**self.tokens.extra, **fresh.extra}
            self.tokens = fresh
            if self.on_change is not None:
                self.on_change(fresh)


class ApiToken:
    """Pipedrive's personal API token, sent as the `x-api-token` header."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "ApiToken(***)"

    async def headers(self) -> dict[str, str]:
        return {"x-api-token": self._token}
