"""`POST /batch/calendar/v3`: Google's multipart/mixed batch, each part run in-process.

Each part is an `application/http` request; it goes through the same Starlette routes
(with the app's exception handlers, so errors get Google's envelope) and answers with its
own status line, headers, CRLF CRLF and body, its Content-ID echoed as `response-<id>`.
A part without an Authorization header inherits the outer request's.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Message, Scope

from . import errors
from .unfaked import not_faked

MAX_PARTS = 1000
IN_BATCH = "calsync.batch"  # the scope extension that tells a route it runs inside a batch
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
REASONS = {
    200: "OK",
    204: "No Content",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


def _split_head(blob: bytes) -> tuple[bytes, bytes]:
    """Headers and body of a MIME entity, whichever line ending it uses."""
    positions = [(blob.find(sep), sep) for sep in (b"\r\n\r\n", b"\n\n")]
    found = [(i, sep) for i, sep in positions if i >= 0]
    if not found:
        return blob, b""
    i, sep = min(found)
    return blob[:i], blob[i + len(sep) :]


def _headers(head: bytes) -> list[tuple[str, str]]:
    out = []
    for line in head.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            out.append((name.strip(), value.strip()))
    return out


def parse_parts(content_type: str, body: bytes) -> list[tuple[str | None, bytes]]:
    """(Content-ID, application/http payload) of each part."""
    m = _BOUNDARY.search(content_type)
    if not content_type.lower().startswith("multipart/mixed") or not m:
        raise errors.bad_request("Invalid content type for a batch request.")
    delimiter = b"--" + m.group(1).encode()
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n").removeprefix(b"\n")
        chunk = chunk.removesuffix(b"\n").removesuffix(b"\r")
        head, payload = _split_head(chunk)
        cid = next((v for k, v in _headers(head) if k.lower() == "content-id"), None)
        parts.append((cid, payload))
    return parts


def _response_id(cid: str | None) -> str | None:
    if not cid:
        return None
    inner = cid[1:-1] if cid.startswith("<") and cid.endswith(">") else cid
    return f"<response-{inner}>"


async def _run_part(request: Request, payload: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Dispatch one inner request through the Google routes; (status, headers, body)."""
    line, _, rest = payload.partition(b"\n")
    try:
        method, target, _version = line.decode().strip().split(" ", 2)
    except ValueError:
        return _error(errors.bad_request("Invalid batch part."))
    head, body = _split_head(rest)
    headers = [(k.lower(), v) for k, v in _headers(head)]
    if not any(k == "authorization" for k, _ in headers) and "authorization" in request.headers:
        headers.append(("authorization", request.headers["authorization"]))
    url = urlsplit(target)
    scope = _inner_scope(request.scope, method.upper(), url.path, url.query, headers)
    chosen, route_name = _route_for(scope)
    request.app.state.sandbox.stats.record_batch_call(route_name)
    if chosen is None:
        return _error(not_faked(method, url.path))
    try:
        return await _call(chosen, scope, body)
    except errors.GoogleError as exc:
        return _error(exc)
    except Exception:  # a crash in one part must not sink the others
        return _error(errors.backend_error(500))


def _inner_scope(
    outer: Scope, method: str, path: str, query: str, headers: list[tuple[str, str]]
) -> Scope:
    """The ASGI scope of one inner request, inheriting the outer request's connection."""
    scope = {
        "type": "http",
        "asgi": outer.get("asgi", {"version": "3.0"}),
        "http_version": "1.1",
        "method": method,
        "scheme": outer.get("scheme", "http"),
        "path": unquote(path),
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(k.encode(), v.encode()) for k, v in headers],
        "client": outer.get("client"),
        "server": outer.get("server"),
        "app": outer.get("app"),
        "state": outer.get("state", {}),
        "extensions": {IN_BATCH: {}},
    }
    if "starlette.exception_handlers" in outer:
        scope["starlette.exception_handlers"] = outer["starlette.exception_handlers"]
    return scope


def _route_for(scope: Scope) -> tuple[BaseRoute | None, str]:
    """The Google route an inner request goes to (its path parameters put into `scope`), and
    its name for the stats: the route's template, or the raw path when none matches."""
    from .routes import api_routes

    for route in api_routes:
        match, child = route.matches(scope)
        if match == Match.FULL:
            scope.update(child)
            return route, f"{scope['method']} {route.path}"
    return None, f"{scope['method']} {scope['raw_path'].decode()}"


async def _call(
    route: BaseRoute, scope: Scope, body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run one inner request through its route in-process; (status, headers, body)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status, out_headers, chunks = 500, [], []

    async def send(message: Message) -> None:
        nonlocal status, out_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            out_headers = [(k.decode(), v.decode()) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await route.handle(scope, receive, send)
    return status, out_headers, b"".join(chunks)


def _error(err: errors.GoogleError) -> tuple[int, list[tuple[str, str]], bytes]:
    response = errors.render_google_error(err)
    headers = [(k.decode(), v.decode()) for k, v in response.raw_headers]
    return err.code, headers, bytes(response.body)


async def handle(request: Request) -> Response:
    parts = parse_parts(request.headers.get("content-type", ""), await request.body())
    if len(parts) > MAX_PARTS:
        raise errors.bad_request(f"A batch request cannot contain more than {MAX_PARTS} calls.")
    boundary = "batch_" + secrets.token_hex(12)
    out: list[bytes] = []
    for cid, payload in parts:
        status, headers, body = await _run_part(request, payload)
        lines = ["Content-Type: application/http"]
        if (rid := _response_id(cid)) is not None:
            lines.append(f"Content-ID: {rid}")
        lines += ["", f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}"]
        lines += [f"{k}: {v}" for k, v in headers if k.lower() != "content-length"]
        lines += [f"Content-Length: {len(body)}", "", ""]
        out.append(f"--{boundary}\r\n".encode() + "\r\n".join(lines).encode() + body + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return Response(b"".join(out), media_type=f"multipart/mixed; boundary={boundary}")
