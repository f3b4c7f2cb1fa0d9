"""User-facing errors: each renders as one clear line and carries the process exit code."""

from __future__ import annotations

EXIT_OK = 0
"""Done."""
EXIT_FAILED = 1
"""Failed: an error the run or command could not get past."""
EXIT_USAGE = 2
"""Bad usage: a flag or value the user gave."""
EXIT_GUARDED = 3
"""Held by the mass-deletion guard: nothing was deleted (`--force-delete` goes ahead)."""


class CalsyncError(Exception):
    """An error a user can cause or fix; `str(err)` is the one line shown on stderr."""

    exit_code: int = EXIT_FAILED

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        # Keep the message to a single line whatever the caller passed in.
        super().__init__(" ".join(message.split()))
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(CalsyncError):
    """A bad flag or option value (exit 2)."""

    exit_code = EXIT_USAGE


class StoreError(CalsyncError):
    """The store is corrupt, locked by another process, or written by a newer calsync."""


class AuthError(CalsyncError):
    """A token was revoked or expired for good: the account needs a reconnect."""


class ServiceUnavailable(CalsyncError):
    """Google or Pipedrive could not be reached or kept failing after retries."""


class NotSyncing(CalsyncError):
    """A run asked of an account that is not syncing (stopped here or by another process:
    a watch drops it and goes on with the others)."""


class NotFound(CalsyncError):
    """An unknown calendar, activity type or account."""


class OptionError(UsageError):
    """A bad value for one sync option. `str()` is the command line's line (it names the
    flag); `field` (an `options --json` key) and `app_text` (the same problem in the app's
    words: no flag names) let the app show it beside that field."""

    def __init__(self, field: str, message: str, app_text: str) -> None:
        super().__init__(message)
        self.field = field
        self.app_text = " ".join(app_text.split())
