"""Pipedrive API errors, and the one place that renders Pipedrive's error envelope."""

from __future__ import annotations

from starlette.responses import JSONResponse


class PipedriveError(Exception):
    """An error as Pipedrive reports it: `{success: false, error, error_info, code}`."""

    def __init__(
        self,
        status: int,
        error: str,
        error_info: str = "Please check developers.pipedrive.com for more information about Pipedrive API.",
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.error_info = error_info
        self.code = code or _CODES.get(status, "ERR_UNKNOWN")
        self.headers = headers or {}

    def body(self) -> dict:
        return {
            "success": False,
            "error": self.error,
            "error_info": self.error_info,
            "data": None,
            "additional_data": None,
            "code": self.code,
        }


_CODES = {
    400: "ERR_SCHEMA_VALIDATION_FAILED",
    401: "ERR_UNAUTHORIZED",
    403: "ERR_FORBIDDEN",
    404: "ERR_NOT_FOUND",
    405: "ERR_METHOD_NOT_ALLOWED",
    429: "ERR_TOO_MANY_REQUESTS",
    500: "ERR_INTERNAL",
    501: "ERR_NOT_IMPLEMENTED",
    503: "ERR_SERVICE_UNAVAILABLE",
}


def render_pipedrive_error(err: PipedriveError) -> JSONResponse:
    """The single renderer of Pipedrive's envelope: routes raise, this answers."""
    return JSONResponse(err.body(), status_code=err.status, headers=err.headers)


def unauthorized() -> PipedriveError:
    return PipedriveError(
        401, "unauthorized access", "Please check your API token or OAuth access token."
    )


def not_found(what: str = "Activity") -> PipedriveError:
    return PipedriveError(404, f"{what} not found")


def validation(message: str) -> PipedriveError:
    return PipedriveError(400, message)


def too_many_requests(headers: dict[str, str] | None = None) -> PipedriveError:
    return PipedriveError(
        429,
        "Request over limit",
        "Rate limit has been exceeded. Please wait before making more requests.",
        headers=headers,
    )


def server_error(status: int = 500) -> PipedriveError:
    if status == 503:
        return PipedriveError(503, "Service unavailable")
    return PipedriveError(500, "Internal server error")


def daily_budget_exceeded(headers: dict[str, str] | None = None) -> PipedriveError:
    return PipedriveError(
        429,
        "Daily API token budget exceeded",
        "The company's daily token budget is used up; it resets at midnight UTC.",
        headers=headers,
    )


def read_only(field: str, hint: str) -> PipedriveError:
    return PipedriveError(400, f"Validation failed: {field}: The field is read-only. {hint}")


def bad_json() -> PipedriveError:
    return PipedriveError(400, "Validation failed: body: The request body must be a JSON object")


def not_faked(verb: str, path: str) -> PipedriveError:
    """A request no route of the sandbox matches (not the 404 of a missing item)."""
    return PipedriveError(
        501,
        f"The calsync sandbox does not fake {verb.upper()} {path[:200]}",
        "The sandbox fakes the endpoints listed in docs/sandbox.md.",
    )


def method_not_faked(verb: str, path: str, allowed: str) -> PipedriveError:
    """A route the sandbox fakes, asked with a method it does not take."""
    return PipedriveError(
        405,
        f"The calsync sandbox does not fake {verb.upper()} on {path[:200]} (only {allowed or 'other methods'})",
        headers={"Allow": allowed} if allowed else None,
    )
