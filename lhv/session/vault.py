"""The token vault: tokens saved by one run so a later run can replay them after they expire."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from lhv.core.errors import ConfigError
from lhv.core.secrets import SECRETS


@dataclass(frozen=True)
class VaultedToken:
    """A token kept for a later run, with its expiry."""

    token: str
    expires_at: float
    saved_at: float


class TokenVault:
    """A 0600 JSON file of tokens per target and user; it never goes into a record."""

    def __init__(self, path: str | Path, source: str):
        self.path = Path(path).expanduser()
        self.source = source

    def _read(self) -> dict[str, list[dict]]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except ValueError:
            raise ConfigError(str(self.path), None,
                              "token vault is not valid JSON; delete it to start afresh") from None
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        tmp.replace(self.path)

    def deposit(self, key: str, token: str, expires_at: float) -> None:
        """Saves a token for a later run."""
        data = self._read()
        data.setdefault(key, []).append({"token": token, "expires_at": expires_at, "saved_at": time.time()})
        self._write(data)

    def take_expired(self, key: str, skew_s: float) -> VaultedToken | None:
        """Removes and returns the oldest token that expired more than skew_s ago, if any."""
        data = self._read()
        entries = sorted(data.get(key, []), key=lambda e: e["expires_at"])
        for entry in entries:
            if entry["expires_at"] + skew_s < time.time():
                entries.remove(entry)
                data[key] = entries
                self._write(data)
                SECRETS.add(entry["token"], "token")
                return VaultedToken(entry["token"], entry["expires_at"], entry["saved_at"])
        return None

    def next_expiry(self, key: str) -> float | None:
        """Returns when the soonest saved token expires."""
        entries = self._read().get(key, [])
        return min((e["expires_at"] for e in entries), default=None)
