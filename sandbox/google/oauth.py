"""Fake Google OAuth 2.0 for installed apps: authorize (auto-consent, PKCE) and token.

Paths are the real ones (`/o/oauth2/auth` on accounts.google.com, `/token` and `/revoke`
on oauth2.googleapis.com), so the same client code talks to either. Errors are worded as
Google words them: `{"error": "invalid_grant", "error_description": "Bad Request"}`.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..tokens import Grant, s256

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


class OAuthError(Exception):
    """An OAuth 2.0 error response (RFC 6749 section 5.2)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def render_oauth_error(err: OAuthError) -> JSONResponse:
    return JSONResponse(
        {"error": err.error, "error_description": err.description}, status_code=err.status
    )


def _check_client(
    client_id: str | None, client_secret: str | None, *, secret_required: bool
) -> None:
    from ..state import GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET

    if client_id != GOOGLE_CLIENT_ID:
        raise OAuthError("invalid_client", "The OAuth client was not found.", 401)
    if secret_required and client_secret != GOOGLE_CLIENT_SECRET:
        raise OAuthError("invalid_client", "Unauthorized", 401)


def _valid_redirect(uri: str) -> bool:
    """Installed apps redirect to a loopback address on any port (or the retired OOB URN)."""
    if uri == "urn:ietf:wg:oauth:2.0:oob":
        return True
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


async def authorize(request: Request) -> Response:
    """Validate the request and consent at once on behalf of the sandbox's one user."""
    sandbox = request.app.state.sandbox
    q = request.query_params
    _check_client(q.get("client_id"), None, secret_required=False)
    redirect_uri = q.get("redirect_uri", "")
    if not _valid_redirect(redirect_uri):
        raise OAuthError(
            "redirect_uri_mismatch",
            f"The redirect URI in the request, {redirect_uri}, does not match the ones "
            "authorized for the OAuth client.",
        )
    if q.get("response_type") != "code":
        raise OAuthError(
            "unsupported_response_type", f"Invalid response_type: {q.get('response_type')}"
        )
    if not q.get("scope"):
        raise OAuthError("invalid_request", "Missing required parameter: scope")
    method = q.get("code_challenge_method")
    challenge = q.get("code_challenge")
    if challenge and (method or "plain") not in ("S256", "plain"):
        raise OAuthError("invalid_request", "Invalid code_challenge_method")
    grant = Grant("google", q["client_id"], sandbox.google.owner_email, q["scope"])
    code = sandbox.tokens.new_code(
        grant, redirect_uri, challenge, method or ("plain" if challenge else None)
    )
    params = {"code": code, "scope": q["scope"]}
    if "state" in q:
        params = {"state": q["state"], **params}
    if redirect_uri == "urn:ietf:wg:oauth:2.0:oob":
        return JSONResponse({"code": code})
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + sep + urlencode(params), status_code=302)


def _client_credentials(request: Request, form) -> tuple[str | None, str | None]:
    """Client id and secret from HTTP Basic, or from the form."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            raw = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", "Unauthorized", 401) from exc
        client_id, _, secret = raw.partition(":")
        return client_id, secret
    return form.get("client_id"), form.get("client_secret")


async def token(request: Request) -> Response:
    sandbox = request.app.state.sandbox
    form = await request.form()
    client_id, secret = _client_credentials(request, form)
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        # PKCE public clients may omit the secret; confidential ones must send the right one.
        _check_client(
            client_id, secret, secret_required=secret is not None or not form.get("code_verifier")
        )
        pending = sandbox.tokens.take_code(str(form.get("code", "")))
        if pending is None or pending.grant.client_id != client_id:
            raise OAuthError("invalid_grant", "Bad Request")
        if pending.redirect_uri != form.get("redirect_uri"):
            raise OAuthError("redirect_uri_mismatch", "Bad Request")
        if pending.code_challenge:
            verifier = str(form.get("code_verifier", ""))
            expected = s256(verifier) if pending.code_challenge_method == "S256" else verifier
            if not verifier or expected != pending.code_challenge:
                raise OAuthError("invalid_grant", "Invalid code verifier.")
        access, refresh, ttl = sandbox.tokens.issue(pending.grant)
        return JSONResponse(
            {
                "access_token": access,
                "expires_in": ttl,
                "refresh_token": refresh,
                "scope": pending.grant.scope,
                "token_type": "Bearer",
            }
        )
    if grant_type == "refresh_token":
        _check_client(client_id, secret, secret_required=True)
        grant = sandbox.tokens.refresh_grant(str(form.get("refresh_token", "")))
        if grant is None or grant.client_id != client_id:
            raise OAuthError("invalid_grant", "Token has been expired or revoked.")
        access, _, ttl = sandbox.tokens.issue(grant, with_refresh=False)
        return JSONResponse(
            {
                "access_token": access,
                "expires_in": ttl,
                "scope": grant.scope,
                "token_type": "Bearer",
            }
        )
    raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")


async def revoke(request: Request) -> Response:
    sandbox = request.app.state.sandbox
    form = await request.form()
    tok = request.query_params.get("token") or form.get("token")
    if not tok or not sandbox.tokens.revoke(str(tok)):
        raise OAuthError("invalid_token", "Token expired or revoked")
    return JSONResponse({})


routes = [
    Route("/o/oauth2/auth", authorize, methods=["GET"]),
    Route("/o/oauth2/v2/auth", authorize, methods=["GET"]),
    Route("/token", token, methods=["POST"]),
    Route("/revoke", revoke, methods=["POST"]),
]
