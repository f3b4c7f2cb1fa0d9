"""Where tokens live: the OS keyring when there is a usable one, else a 0600 JSON file.

`CALSYNC_KEYRING=off` forces the file (tests, headless servers). Secrets are never
written to the store's plain fields, logs or JSON output: only this module holds them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from . import shapes
from .errors import StoreError
from .shapes import ShapeError
from .store import _corrupt, write_atomic

SERVICE = "calsync"


def _keyring():
    """The keyring module if a real backend is available, else None."""
    if os.environ.get("CALSYNC_KEYRING", "").lower() in ("off", "0", "no", "false"):
        return None
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring | null.Keyring) or backend.priority < 1:  # type: ignore[operator]
        return None
    return keyring


def _tokens(data: Any, key: str) -> None:
    """An OAuth token set (sync/auth.py's OAuthTokens.to_json) under `key`."""
    tokens = shapes.mapping(data, key)
    try:
        for field in ("access_token", "token_uri", "client_id"):
            shapes.text(tokens, field)
        for field in ("refresh_token", "client_secret"):
            shapes.text(tokens, field, None, null=True)
        shapes.moment(tokens, "expires_at")
        shapes.mapping(tokens, "extra", None, null=True)
    except ShapeError as err:
        raise err.within(key) from None


def _unquoted(err: ValueError) -> str:
    """What is wrong, never quoting a stored value (it may be a token)."""
    return err.private if isinstance(err, ShapeError) else str(err)


def checked(secrets: Any) -> dict[str, Any]:
    """`secrets` if they have the shape the services read (ShapeError saying where if not):
    Google's tokens, and Pipedrive's API token or OAuth tokens."""
    shapes.document(secrets, "credentials")
    _tokens(secrets, "google")
    if "pipedrive_oauth" in secrets:
        _tokens(secrets, "pipedrive_oauth")
    elif not shapes.text(secrets, "pipedrive_api_token"):
        raise ShapeError("pipedrive_api_token is empty")
    return secrets


class Vault:
    """Per-account secrets (a JSON object per account)."""

    def __init__(self, home: Path) -> None:
        self.folder = home / "tokens"
        self.keyring = _keyring()

    @property
    def where(self) -> str:
        return "the OS keyring" if self.keyring else f"{self.folder} (mode 0600)"

    def _path(self, account_id: str) -> Path:
        return self.folder / f"{account_id}.json"

    def get(self, account_id: str) -> dict[str, Any]:
        """The account's secrets, their shape checked (StoreError in one line if damaged)."""
        again = f"connect account {account_id} again (`calsync connect ...`)"
        if self.keyring is not None:
            try:
                raw = self.keyring.get_password(SERVICE, f"account-{account_id}")
            except Exception:
                raw = None
            if raw:
                try:
                    return checked(json.loads(raw))
                except ValueError as exc:  # ShapeError and JSONDecodeError alike
                    raise StoreError(
                        f"the credentials of account {account_id} in the OS keyring are damaged "
                        f"({_unquoted(exc)}); {again}"
                    ) from None
        path = self._path(account_id)
        if not path.exists():
            raise StoreError(
                f"no saved credentials for account {account_id}: run `calsync reconnect {account_id}` or connect again"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read the credentials file {path}: {exc}") from None
        try:
            return checked(json.loads(text))
        except ValueError as exc:
            raise _corrupt(path, _unquoted(exc), again) from None

    def put(self, account_id: str, secrets: dict[str, Any]) -> None:
        raw = json.dumps(secrets)
        if self.keyring is not None:
            try:
                self.keyring.set_password(SERVICE, f"account-{account_id}", raw)
                return
            except Exception:
                self.keyring = None  # a broken keyring: fall back to the file
        write_atomic(self._path(account_id), raw)  # 0600, in a 0700 folder, unique temp name

    def update(self, account_id: str, **changes: Any) -> None:
        data = self.get(account_id)
        data.update(changes)
        self.put(account_id, data)
