"""Google API errors, and the one place that renders Google's error envelope."""

from __future__ import annotations

from starlette.responses import JSONResponse


class GoogleError(Exception):
    """An error as Google Calendar v3 reports it: HTTP status, reason, message."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        location: str | None = None,
        location_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.headers = headers or {}

    def body(self) -> dict:
        item: dict = {"domain": self.domain, "reason": self.reason, "message": self.message}
        if self.location:
            item["location"] = self.location
            item["locationType"] = self.location_type or "parameter"
        return {"error": {"code": self.code, "message": self.message, "errors": [item]}}


def render_google_error(err: GoogleError) -> JSONResponse:
    """The single renderer of Google's envelope: routes raise, this answers."""
    return JSONResponse(err.body(), status_code=err.code, headers=err.headers)


# Constructors for the errors the real API gives, worded as Google words them.
def not_found() -> GoogleError:
    return GoogleError(404, "notFound", "Not Found")


def unauthorized() -> GoogleError:
    return GoogleError(
        401,
        "authError",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.",
        location="Authorization",
        location_type="header",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def login_required() -> GoogleError:
    return GoogleError(
        401,
        "required",
        "Login Required.",
        location="Authorization",
        location_type="header",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def rate_limited(status: int = 403, reason: str = "rateLimitExceeded") -> GoogleError:
    return GoogleError(status, reason, "Rate Limit Exceeded", domain="usageLimits")


def backend_error(status: int = 500) -> GoogleError:
    if status == 503:
        return GoogleError(503, "backendError", "The service is currently unavailable.")
    return GoogleError(500, "backendError", "Backend Error")


def invalid(message: str = "Invalid Value", location: str | None = None) -> GoogleError:
    return GoogleError(400, "invalid", message, location=location)


def bad_request(message: str) -> GoogleError:
    return GoogleError(400, "badRequest", message)


def required(message: str) -> GoogleError:
    return GoogleError(400, "required", message)


def parse_error() -> GoogleError:
    return GoogleError(400, "parseError", "Parse Error")


def time_range_empty() -> GoogleError:
    return GoogleError(400, "timeRangeEmpty", "The specified time range is empty.")


def duplicate() -> GoogleError:
    return GoogleError(409, "duplicate", "The requested identifier already exists.")


def deleted() -> GoogleError:
    return GoogleError(410, "deleted", "Resource has been deleted")


def full_sync_required() -> GoogleError:
    return GoogleError(
        410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
    )


def condition_not_met() -> GoogleError:
    return GoogleError(
        412, "conditionNotMet", "Precondition Failed", location="If-Match", location_type="header"
    )


def writer_access_required() -> GoogleError:
    return GoogleError(
        403, "requiredAccessLevel", "You need to have writer access to this calendar."
    )


def insufficient_scopes() -> GoogleError:
    return GoogleError(
        403, "insufficientPermissions", "Request had insufficient authentication scopes."
    )
