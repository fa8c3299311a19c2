"""Per-account lockout after consecutive failed logins."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class _Entry:
    failures: int = 0
    locked_until: float = 0.0


class Lockout:
    """Counts consecutive failures per key and locks the key for a period."""

    def __init__(self, threshold: int, period_s: float, faults: list[str]):
        self.threshold, self.period = threshold, period_s
        self.faults = set(faults)
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def key(self, account: str, client_ip: str) -> str:
        """Returns what the lock is kept per: the account (or, with a fault, the client)."""
        if "lockout-per-ip" in self.faults:
            return f"ip:{client_ip}"
        if "key:lockout:account-and-ip" in self.faults:  # a generated mutant: another client is not locked out
            return f"account:{account.lower()}|ip:{client_ip}"
        return f"account:{account.lower()}"

    def seconds_left(self, key: str) -> int:
        """Returns how long the key stays locked (0 when not locked)."""
        if "no-lockout" in self.faults:
            return 0
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.locked_until == 0.0:
                return 0
            left = entry.locked_until - time.monotonic()
            if left <= 0 and "lock-never-lifted" not in self.faults:
                self._entries.pop(key)
                return 0
            return max(1, int(left + 0.999))

    def failed(self, key: str) -> None:
        """Counts a failure; locks the key when the threshold is reached."""
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
            entry.failures += 1
            if entry.failures >= self.threshold:
                entry.locked_until = time.monotonic() + self.period

    def succeeded(self, key: str) -> None:
        """Resets the count after a successful login."""
        with self._lock:
            self._entries.pop(key, None)
