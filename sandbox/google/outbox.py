"""The emails Google would have sent for each write, honouring `sendUpdates`.

Read at `GET /_sandbox/google/outbox` (oldest first; `POST /_sandbox/reset` empties it).
One entry per write and kind of message, with its recipients:

    {"at": "2026-11-25T10:00:00.000Z", "method": "events.patch", "kind": "update",
     "calendarId": "...", "eventId": "...", "summary": "...", "sendUpdates": "all",
     "from": "anna.lindqvist@example.com", "to": ["karin.berg@nordvik.se"]}

- `kind`: `invitation` (an insert, or guests added by an update), `update` (guests kept by an
  update), `cancellation` (a delete, or guests removed by an update).
- Recipients are the event's guests: its attendees other than the user making the change and
  other than resources (rooms get no email).
- `sendUpdates`: `all` emails every guest; `externalOnly` the guests outside the organizer's
  email domain (Google says "non-Google Calendar guests", which the sandbox cannot know: the
  domain stands in for it); `none` nobody. The deprecated `sendNotifications=true` is `all`,
  `false` is `none`; with neither, nobody is emailed (Google's documented default).
"""

from __future__ import annotations

import threading

from .errors import invalid

CHOICES = ("all", "externalOnly", "none")


def choice(send_updates: str | None, send_notifications: str | None) -> str:
    """The effective sendUpdates of a request's query parameters."""
    if send_updates is not None:
        if send_updates not in CHOICES:
            raise invalid(f"Invalid value '{send_updates[:50]}'.", location="sendUpdates")
        return send_updates
    if send_notifications is not None:
        if send_notifications.lower() not in ("true", "false"):
            raise invalid(
                f"Invalid value '{send_notifications[:50]}'.", location="sendNotifications"
            )
        return "all" if send_notifications.lower() == "true" else "none"
    return "none"


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


class Outbox:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self._lock = threading.Lock()

    def record(
        self,
        *,
        at: str,
        method: str,
        calendar_id: str,
        event_id: str,
        summary: str,
        organizer: str,
        sender: str,
        before: list[dict],
        after: list[dict],
        send_updates: str,
    ) -> None:
        if send_updates == "none":
            return

        def guests(attendees: list[dict]) -> list[str]:
            out = []
            for a in attendees:
                email = a["email"]
                if a.get("resource") or email.lower() == sender.lower():
                    continue
                if send_updates == "externalOnly" and _domain(email) == _domain(organizer):
                    continue
                out.append(email)
            return out

        old, new = guests(before), guests(after)
        kept = [e for e in new if e.lower() in {o.lower() for o in old}]
        added = [e for e in new if e not in kept]
        removed = [e for e in old if e.lower() not in {n.lower() for n in new}]
        if method == "events.insert":
            kinds = [("invitation", new)]
        elif method == "events.delete":
            kinds = [("cancellation", old)]
        else:
            kinds = [("update", kept), ("invitation", added), ("cancellation", removed)]
        with self._lock:
            for kind, to in kinds:
                if to:
                    self.messages.append(
                        {
                            "at": at,
                            "method": method,
                            "kind": kind,
                            "calendarId": calendar_id,
                            "eventId": event_id,
                            "summary": summary,
                            "sendUpdates": send_updates,
                            "from": sender,
                            "to": to,
                        }
                    )

    def snapshot(self) -> list[dict]:
        with self._lock:
            return [dict(m) for m in self.messages]
