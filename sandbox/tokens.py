"""OAuth state shared by the fake Google and Pipedrive authorization servers.

Authorization codes (with their PKCE challenge), access tokens that expire, and refresh
tokens. `expire_all` is what the `expire_tokens` fault calls.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .clock import Clock


@dataclass
class Grant:
    service: str  # "google" or "pipedrive"
    client_id: str
    subject: str  # the user: Google email, or Pipedrive user id as text
    scope: str


@dataclass
class PendingCode:
    grant: Grant
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: datetime


@dataclass
class AccessToken:
    grant: Grant
    expires_at: datetime


@dataclass
class TokenStore:
    clock: Clock
    access_ttl: int = 3600
    codes: dict[str, PendingCode] = field(default_factory=dict)
    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_code(
        self, grant: Grant, redirect_uri: str, challenge: str | None, method: str | None
    ) -> str:
        code = (
            "4/" + secrets.token_urlsafe(24) if grant.service == "google" else secrets.token_hex(20)
        )
        with self.lock:
            self.codes[code] = PendingCode(
                grant, redirect_uri, challenge, method, self.clock.now() + timedelta(minutes=10)
            )
        return code

    def take_code(self, code: str) -> PendingCode | None:
        """The pending code, used up: a code redeems once."""
        with self.lock:
            pending = self.codes.pop(code, None)
        if pending is None or pending.expires_at <= self.clock.now():
            return None
        return pending

    def issue(self, grant: Grant, *, with_refresh: bool = True) -> tuple[str, str | None, int]:
        prefix = "ya29." if grant.service == "google" else "v1:"
        token = prefix + secrets.token_urlsafe(32)
        refresh = None
        with self.lock:
            self.access[token] = AccessToken(
                grant, self.clock.now() + timedelta(seconds=self.access_ttl)
            )
            if with_refresh:
                refresh = ("1//" if grant.service == "google" else "r1:") + secrets.token_urlsafe(
                    32
                )
                self.refresh[refresh] = grant
        return token, refresh, self.access_ttl

    def refresh_grant(self, refresh_token: str) -> Grant | None:
        with self.lock:
            return self.refresh.get(refresh_token)

    def revoke(self, token: str) -> bool:
        """Revoke an access or refresh token (a refresh token takes its access tokens along)."""
        with self.lock:
            if token in self.access:
                del self.access[token]
                return True
            grant = self.refresh.pop(token, None)
            if grant is None:
                return False
            for key in [k for k, v in self.access.items() if v.grant is grant]:
                del self.access[key]
            return True

    def check(self, token: str, service: str) -> Grant | None:
        """The grant behind a live access token of that service, else None."""
        with self.lock:
            found = self.access.get(token)
        if found is None or found.grant.service != service or found.expires_at <= self.clock.now():
            return None
        return found.grant

    def expire_all(self, service: str | None = None) -> int:
        """Expire every access token now (refresh tokens stay valid)."""
        now = self.clock.now()
        with self.lock:
            n = 0
            for tok in self.access.values():
                if service in (None, tok.grant.service) and tok.expires_at > now:
                    tok.expires_at = now
                    n += 1
            return n


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
