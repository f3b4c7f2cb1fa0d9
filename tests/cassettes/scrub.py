"""Secrets out of cassettes: the vcrpy configuration that filters them while recording (and
normalises what would make two recordings differ), and the scanner that proves none is left.

Filtered: the Authorization header (Bearer and Basic), `x-api-token`, the `api_token` and
`code` query parameters, OAuth form fields (`code`, `code_verifier`, `refresh_token`,
`client_secret`, `access_token`), tokens in JSON bodies (`access_token`, `refresh_token`,
`id_token`, `api_token`, `client_secret`). Normalised: the multipart boundary of Google batch
requests and answers (random on both sides).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import vcr
import yaml

FILTERED = "FILTERED"
BOUNDARY = "batch_boundary"
SECRET_FIELDS = (
    "access_token",
    "refresh_token",
    "id_token",
    "api_token",
    "client_secret",
    "code",
    "code_verifier",
)
SECRET_HEADERS = ("authorization", "x-api-token", "proxy-authorization", "cookie", "set-cookie")
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body")
IGNORED_HOSTS = ("sandbox.test",)  # the recorder's own set-up traffic: never recorded

_BOUNDARY_RE = re.compile(r"boundary=\"?([^\";\s]+)\"?")


def _header(headers: dict, name: str) -> tuple[str, object] | None:
    for key, value in headers.items():
        if key.lower() == name:
            return key, value
    return None


def _scrub_auth(value: str) -> str:
    scheme, _, rest = value.partition(" ")
    return f"{scheme} {FILTERED}" if rest else FILTERED


def _scrub_form(text: str) -> str:
    pairs = parse_qsl(text, keep_blank_values=True)
    if not any(k in SECRET_FIELDS for k, _ in pairs):
        return text
    return urlencode([(k, FILTERED if k in SECRET_FIELDS else v) for k, v in pairs])


def _has_secret(value: object) -> bool:
    if isinstance(value, dict):
        return any(
            (k in SECRET_FIELDS and isinstance(v, str)) or _has_secret(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_has_secret(v) for v in value)
    return False


def _scrub_json(value: object) -> object:
    if isinstance(value, dict):
        return {
            k: (FILTERED if k in SECRET_FIELDS and isinstance(v, str) else _scrub_json(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_json(v) for v in value]
    return value


def _scrub_body(body: bytes | str | None, content_type: str) -> bytes | str | None:
    """The body with secret fields replaced; untouched (byte for byte) when it has none."""
    if not body:
        return body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if "json" in content_type:
        try:
            data = json.loads(text)
        except ValueError:
            return body
        if not _has_secret(data):
            return body
        text = json.dumps(_scrub_json(data), ensure_ascii=False, separators=(",", ":"))
    elif "x-www-form-urlencoded" in content_type:
        scrubbed = _scrub_form(text)
        if scrubbed == text:
            return body
        text = scrubbed
    else:
        return body
    return text.encode() if isinstance(body, bytes) else text


def _normalise_boundary(body, content_type: str) -> tuple[object, str]:
    found = _BOUNDARY_RE.search(content_type or "")
    if not found or not body:
        return body, content_type
    old = found.group(1)
    content_type = content_type.replace(old, BOUNDARY)
    if isinstance(body, bytes):
        return body.replace(old.encode(), BOUNDARY.encode()), content_type
    return body.replace(old, BOUNDARY), content_type


def _scrub_uri(uri: str) -> str:
    parts = urlsplit(uri)
    if not parts.query:
        return uri
    query = urlencode(
        [
            (k, FILTERED if k in SECRET_FIELDS else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
    )
    return urlunsplit(parts._replace(query=query))


def scrub_request(request):
    """vcrpy's before_record_request (it hands us a copy): secrets out, boundary fixed."""
    for name in SECRET_HEADERS:
        found = _header(request.headers, name)
        if found:
            key, value = found
            request.headers[key] = _scrub_auth(str(value)) if name == "authorization" else FILTERED
    request.uri = _scrub_uri(request.uri)
    ctype = _header(request.headers, "content-type")
    content_type = str(ctype[1]) if ctype else ""
    body, new_type = _normalise_boundary(request.body, content_type)
    if ctype and new_type != content_type:
        request.headers[ctype[0]] = new_type
    request.body = _scrub_body(body, new_type)
    return request


def scrub_response(response: dict) -> dict:
    """vcrpy's before_record_response: secrets out of headers and bodies, boundary fixed."""
    headers = response["headers"]
    for name in SECRET_HEADERS:
        found = _header(headers, name)
        if found:
            headers[found[0]] = [FILTERED for _ in found[1]]
    location = _header(headers, "location")
    if location:
        headers[location[0]] = [_scrub_uri(v) for v in location[1]]
    ctype = _header(headers, "content-type")
    content_type = ctype[1][0] if ctype else ""
    body, new_type = _normalise_boundary(response["body"]["string"], content_type)
    if ctype and new_type != content_type:
        headers[ctype[0]] = [new_type]
    scrubbed = _scrub_body(body, new_type)
    length = _header(headers, "content-length")
    if length and isinstance(scrubbed, bytes | str):
        # A scrubbed body is shorter or longer than the one sent: keep the header truthful.
        size = len(scrubbed if isinstance(scrubbed, bytes) else scrubbed.encode())
        headers[length[0]] = [str(size)]
    response["body"]["string"] = scrubbed
    return response


def make_vcr(record_mode: str) -> vcr.VCR:
    """The one vcrpy configuration for recording and replaying (record_mode "all" or "none")."""
    return vcr.VCR(
        serializer="yaml",
        record_mode=record_mode,
        match_on=MATCH_ON,
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        ignore_hosts=IGNORED_HOSTS,
        decode_compressed_response=True,
    )


# -- the scanner ---------------------------------------------------------------------------

TOKEN_PATTERNS = {
    "Google access token": re.compile(r"ya29\.[\w-]{8,}"),
    "Google refresh token": re.compile(r"1//[\w-]{8,}"),
    "Google authorization code": re.compile(r"\b4/[\w-]{10,}"),
    "Google client secret": re.compile(r"GOCSPX-[\w-]{8,}"),
    "sandbox client secret": re.compile(r"sandbox-(?:google|pipedrive)-client-secret"),
    "sandbox Pipedrive API token": re.compile(r"sandbox-pipedrive-api-token-\d+"),
    "Pipedrive OAuth token": re.compile(r"\b[vr]1:[\w-]{16,}"),
    "40-hex token (Pipedrive API token or code)": re.compile(r"\b[0-9a-f]{40}\b"),
    "Bearer credential": re.compile(r"\bBearer\s+(?!FILTERED\b|realm=)\S+"),
    "Basic credential": re.compile(r"\bBasic\s+(?!FILTERED\b)[A-Za-z0-9+/=]{8,}"),
}
_KEYED = re.compile(
    r"[\"']?\b("
    + "|".join(SECRET_FIELDS)
    + r")\b[\"']?\s*[:=]\s*[\"']?(?!FILTERED\b)([^\"'&\s,}]+)"
)


def _strings(node: object):
    if isinstance(node, str):
        yield node
    elif isinstance(node, bytes):
        yield node.decode("utf-8", "replace")
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def find_secrets(text: str) -> list[str]:
    """What in this text looks like a credential (pattern name and the first characters)."""
    found = []
    for name, pattern in TOKEN_PATTERNS.items():
        found += [f"{name}: {m.group(0)[:12]}..." for m in pattern.finditer(text)]
    for m in _KEYED.finditer(text):
        value = m.group(2)
        if len(value) >= 8 and not value.isdigit() and value not in ("null", "None"):
            found.append(f"{m.group(1)} with a value: {value[:6]}...")
    return found


def scan_cassette(path: Path) -> list[str]:
    """Every credential-looking string in a cassette: its raw text, and each string in it
    (bodies are escaped inside the YAML; loading them shows them as the client saw them)."""
    raw = path.read_text()
    hits = find_secrets(raw)
    for text in _strings(yaml.safe_load(raw)):
        hits += find_secrets(text)
    for interaction in (yaml.safe_load(raw) or {}).get("interactions", []):
        headers = {k.lower(): v for k, v in interaction["request"].get("headers", {}).items()}
        for name in ("x-api-token", "authorization", "cookie"):
            for value in headers.get(name, []):
                if value != FILTERED and not str(value).endswith(f" {FILTERED}"):
                    hits.append(f"unfiltered {name} header")
    return sorted(set(hits))
