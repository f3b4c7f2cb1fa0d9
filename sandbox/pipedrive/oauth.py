"""Pipedrive's OAuth server (oauth.pipedrive.com): authorize with auto-consent, token and refresh.

Errors answer like Pipedrive's OAuth server, `{"success": false, "message": ..., "error": <code>}`
with the RFC 6749 code: 400 `invalid_request`, `invalid_grant` (bad, used or expired code,
redirect_uri mismatch, unknown refresh token), `unsupported_grant_type`; 401 `invalid_client`.
A bad client_id or redirect_uri on authorize answers 400 and never redirects. A refresh
answers a new access token and the same refresh token. `api_domain` is the company's API
address: `https://<company_domain>.pipedrive.com` when served under Pipedrive's real
hostnames (as the real server answers), else the sandbox's own address.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..tokens import Grant

SCOPE = "base,activities:full,contacts:full,deals:read,users:read"


def _error(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "message": message, "error": error}, status_code=status)


def _client() -> tuple[str, str]:
    from ..state import PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET  # lazy: state imports us

    return PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET


def _valid_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


async def authorize(request: Request) -> Response:
    params = request.query_params
    client_id, _ = _client()
    if params.get("client_id") != client_id:
        return _error(400, "invalid_client", "Unknown client_id")
    redirect_uri = params.get("redirect_uri", "")
    if not _valid_redirect(redirect_uri):
        return _error(400, "invalid_request", "redirect_uri is missing or not an http(s) URL")
    query: dict[str, str] = {}
    if params.get("response_type", "code") != "code":
        query["error"] = "unsupported_response_type"
    else:
        sandbox = request.app.state.sandbox
        grant = Grant("pipedrive", client_id, str(sandbox.pipedrive.user_id), SCOPE)
        query["code"] = sandbox.tokens.new_code(grant, redirect_uri, None, None)
    if "state" in params:
        query["state"] = params["state"]
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return RedirectResponse(redirect_uri + separator + urlencode(query), status_code=302)


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, blob = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(blob.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (user, password) if sep else None


def _api_domain(request: Request) -> str:
    if (request.url.hostname or "").endswith(".pipedrive.com"):
        return f"https://{request.app.state.sandbox.pipedrive.company['domain']}.pipedrive.com"
    return str(request.base_url).rstrip("/")


async def token(request: Request) -> Response:
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    sent = _basic(request.headers.get("authorization", "")) or (
        form.get("client_id", ""),
        form.get("client_secret", ""),
    )
    if sent != _client():
        return _error(401, "invalid_client", "Invalid client credentials")
    sandbox = request.app.state.sandbox
    grant_type = form.get("grant_type")
    refresh: str | None
    if grant_type == "authorization_code":
        if not form.get("code"):
            return _error(400, "invalid_request", "code is required")
        pending = sandbox.tokens.take_code(form["code"])
        if pending is None or pending.grant.client_id != sent[0]:
            return _error(400, "invalid_grant", "Invalid grant: authorization code is invalid")
        if form.get("redirect_uri") != pending.redirect_uri:
            return _error(400, "invalid_grant", "Invalid grant: redirect_uri does not match")
        grant = pending.grant
        access, refresh, ttl = sandbox.tokens.issue(grant)
    elif grant_type == "refresh_token":
        refresh = form.get("refresh_token") or ""
        grant = sandbox.tokens.refresh_grant(refresh)
        if grant is None or grant.service != "pipedrive":
            return _error(400, "invalid_grant", "Invalid grant: refresh token is invalid")
        access, _, ttl = sandbox.tokens.issue(grant, with_refresh=False)
    else:
        return _error(
            400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
        )
    return JSONResponse(
        {
            "access_token": access,
            "token_type": "Bearer",
            "refresh_token": refresh,
            "scope": grant.scope,
            "expires_in": ttl,
            "api_domain": _api_domain(request),
        },
        headers={"cache-control": "no-store"},
    )


routes = [
    Route("/oauth/authorize", authorize, methods=["GET"]),
    Route("/oauth/token", token, methods=["POST"]),
]
