"""What a request the sandbox does not fake gets: 501 `notImplemented`, never a 404.

A 404 `notFound` means a calendar or event that is not there; a client must be able to tell
that from "the sandbox has no such method". So every Calendar v3 request no route matches
answers 501 in Google's envelope (reason `notImplemented`, the HTTP status Google's APIs give
for an unimplemented method), naming the Calendar method when it is a real one the sandbox
leaves out (from the discovery document: ACLs, colors, settings, free/busy, watch channels,
events.import/move/quickAdd, calendar updates and deletes, calendarList writes).
"""

from __future__ import annotations

import re

from .errors import GoogleError

# (method name, HTTP method, path under /calendar/v3/) of the real methods not faked here.
UNFAKED = [
    ("acl.delete", "DELETE", "calendars/{calendarId}/acl/{ruleId}"),
    ("acl.get", "GET", "calendars/{calendarId}/acl/{ruleId}"),
    ("acl.insert", "POST", "calendars/{calendarId}/acl"),
    ("acl.list", "GET", "calendars/{calendarId}/acl"),
    ("acl.patch", "PATCH", "calendars/{calendarId}/acl/{ruleId}"),
    ("acl.update", "PUT", "calendars/{calendarId}/acl/{ruleId}"),
    ("acl.watch", "POST", "calendars/{calendarId}/acl/watch"),
    ("calendarList.delete", "DELETE", "users/me/calendarList/{calendarId}"),
    ("calendarList.insert", "POST", "users/me/calendarList"),
    ("calendarList.patch", "PATCH", "users/me/calendarList/{calendarId}"),
    ("calendarList.update", "PUT", "users/me/calendarList/{calendarId}"),
    ("calendarList.watch", "POST", "users/me/calendarList/watch"),
    ("calendars.clear", "POST", "calendars/{calendarId}/clear"),
    ("calendars.delete", "DELETE", "calendars/{calendarId}"),
    ("calendars.patch", "PATCH", "calendars/{calendarId}"),
    ("calendars.transferOwnership", "POST", "calendars/{calendarId}/transferOwnership"),
    ("calendars.update", "PUT", "calendars/{calendarId}"),
    ("channels.stop", "POST", "channels/stop"),
    ("colors.get", "GET", "colors"),
    ("events.import", "POST", "calendars/{calendarId}/events/import"),
    ("events.move", "POST", "calendars/{calendarId}/events/{eventId}/move"),
    ("events.quickAdd", "POST", "calendars/{calendarId}/events/quickAdd"),
    ("events.watch", "POST", "calendars/{calendarId}/events/watch"),
    ("freebusy.query", "POST", "freeBusy"),
    ("settings.get", "GET", "users/me/settings/{setting}"),
    ("settings.list", "GET", "users/me/settings"),
    ("settings.watch", "POST", "users/me/settings/watch"),
]
_PATTERNS = [
    (name, verb, re.compile("^/calendar/v3/" + re.sub(r"\{\w+\}", "[^/]+", path) + "/?$"))
    for name, verb, path in UNFAKED
]


def method_name(verb: str, path: str) -> str | None:
    """The Calendar v3 method a request would be, among those the sandbox does not fake."""
    for name, method, pattern in _PATTERNS:
        if method == verb.upper() and pattern.match(path):
            return name
    return None


def not_faked(verb: str, path: str) -> GoogleError:
    name = method_name(verb, path)
    if name is not None:
        message = f"{name} is not implemented by the calsync sandbox."
    else:
        message = (
            f"{verb.upper()} {path[:200]} is not a Calendar v3 method the calsync sandbox fakes."
        )
    return GoogleError(501, "notImplemented", message)
