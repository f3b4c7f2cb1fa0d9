"""Where tokens live: the OS keyring when there is a usable one, else a 0600 JSON file.

`CALSYNC_KEYRING=off` forces the file (tests, headless servers). Secrets are never
written to the store's plain fields, logs or JSON output: only this module holds them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import StoreError

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
        if self.keyring is not None:
            try:
                raw = self.keyring.get_password(SERVICE, f"account-{account_id}")
            except Exception:
                raw = None
            if raw:
                return json.loads(raw)
        path = self._path(account_id)
        if not path.exists():
            raise StoreError(
                f"no saved credentials for account {account_id}: run `calsync reconnect {account_id}` or connect again"
            )
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read the credentials file {path}: {exc}") from None

    def put(self, account_id: str, secrets: dict[str, Any]) -> None:
        raw = json.dumps(secrets)
        if self.keyring is not None:
            try:
                self.keyring.set_password(SERVICE, f"account-{account_id}", raw)
                return
            except Exception:
                self.keyring = None  # a broken keyring: fall back to the file
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(account_id)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def update(self, account_id: str, **changes: Any) -> None:
        data = self.get(account_id)
        data.update(changes)
        self.put(account_id, data)
