"""`conferenceData` as Calendar v3 handles it: Google Meet conferences made on request.

- Without `conferenceDataVersion=1` a write ignores `conferenceData` in its body: an insert
  stores none, an update or patch keeps what the event had.
- With it, `conferenceData.createRequest` with `conferenceSolutionKey.type: hangoutsMeet`
  makes a conference at once (`status.statusCode: success`, as Meet usually answers): a
  `meet.google.com/xxx-yyyy-zzz` code, its video and phone entry points, the solution's name
  and icon; the event also gets `hangoutLink`. A createRequest whose `requestId` is the one
  the event's conference was made with changes nothing (Google ignores a repeated request).
- Conference data copied from another event (`conferenceSolution` and `entryPoints`, no
  createRequest) is stored as given; `conferenceData: null` removes the conference.
- The calendars allow `hangoutsMeet` only (their `allowedConferenceSolutionTypes`): any
  other solution type is a 400. Meet codes come from the sandbox's seeded random source.
"""

from __future__ import annotations

import copy
import random

from . import errors

MEET = "hangoutsMeet"
ICON = "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png"
ENTRY_TYPES = ("video", "phone", "sip", "more")


def version(raw: str | None) -> int:
    """The `conferenceDataVersion` parameter (0 or 1; default 0)."""
    if raw is None:
        return 0
    if raw not in ("0", "1"):
        raise errors.invalid(
            f"Invalid value '{raw[:50]}'. Values must be within the range: [0, 1]",
            location="conferenceDataVersion",
        )
    return int(raw)


def new_meet(rng: random.Random, request_id: str | None = None) -> dict:
    """The conferenceData of a new Google Meet conference (code and PIN drawn from rng)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    code = "-".join("".join(rng.choice(letters) for _ in range(n)) for n in (3, 4, 3))
    return meet(code, str(rng.randrange(10**8, 10**9)), request_id)


def meet(code: str, pin: str, request_id: str | None = None) -> dict:
    """The conferenceData of the Google Meet conference with that code."""
    data: dict = {
        "entryPoints": [
            {
                "entryPointType": "video",
                "uri": f"https://meet.google.com/{code}",
                "label": f"meet.google.com/{code}",
            },
            {
                "entryPointType": "phone",
                "uri": "tel:+46-8-505-448-47",
                "label": "+46 8 505 448 47",
                "pin": pin,
                "regionCode": "SE",
            },
            {
                "entryPointType": "more",
                "uri": f"https://tel.meet/{code}?pin={pin}",
                "pin": pin,
            },
        ],
        "conferenceSolution": {"key": {"type": MEET}, "name": "Google Meet", "iconUri": ICON},
        "conferenceId": code,
    }
    if request_id is not None:
        data["createRequest"] = {
            "requestId": request_id,
            "conferenceSolutionKey": {"type": MEET},
            "status": {"statusCode": "success"},
        }
    return data


def apply(given: object, old: dict | None, rng: random.Random) -> dict | None:
    """The event's conferenceData after a version-1 write that sent `given` (None: removed)."""
    if given is None:
        return None
    if not isinstance(given, dict):
        raise errors.invalid("Invalid conference data.")
    request = given.get("createRequest")
    if request is not None:
        return _create(request, old, rng)
    _check_existing(given)
    return copy.deepcopy(given)


def _create(request: object, old: dict | None, rng: random.Random) -> dict:
    """A `createRequest`: a new Meet, unless it repeats the request that made the old one."""
    if not isinstance(request, dict):
        raise errors.invalid("Invalid conference create request.")
    key = request.get("conferenceSolutionKey") or {}
    kind = key.get("type") if isinstance(key, dict) else None
    if kind != MEET:
        raise errors.invalid("Invalid conference type value.")
    request_id = request.get("requestId")
    if not isinstance(request_id, str) or not request_id:
        raise errors.required("Missing conference create request id.")
    made = (old or {}).get("createRequest") or {}
    if old is not None and made.get("requestId") == request_id:
        return copy.deepcopy(old)  # the same request again: ignored
    return new_meet(rng, request_id)


def _check_existing(given: dict) -> None:
    """An existing conference sent back: a Meet solution with well-formed entry points."""
    solution, entries = given.get("conferenceSolution"), given.get("entryPoints")
    if not isinstance(solution, dict) or not isinstance(entries, list) or not entries:
        raise errors.invalid("Invalid conference data.")
    key = solution.get("key")
    if not isinstance(key, dict) or key.get("type") != MEET:
        raise errors.invalid("Invalid conference type value.")
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("entryPointType") not in ENTRY_TYPES:
            raise errors.invalid("Invalid conference entry point.")
        if not isinstance(entry.get("uri"), str):
            raise errors.invalid("Invalid conference entry point.")


def hangout_link(data: dict | None) -> str | None:
    """`hangoutLink`: the Meet video entry point's URI."""
    if not data or (data.get("conferenceSolution") or {}).get("key", {}).get("type") != MEET:
        return None
    for entry in data.get("entryPoints") or ():
        if entry.get("entryPointType") == "video":
            return entry.get("uri")
    return None
