"""Users of the reference device in SQLite, with argon2id password hashes."""

from __future__ import annotations

import functools
import hashlib
import hmac
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_WEAK_HASHER = PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1)  # mutant password:weak-parameters


@dataclass(frozen=True)
class User:
    """A registered user."""

    id: int
    email: str
    role: str
    password_hash: str


@functools.cache
def _decoy_hash() -> str:
    """A well-formed argon2id hash of no user's password (made once, when the decoy fault needs it)."""
    return _HASHER.hash("the password of a migration test account")


class PasswordScheme:
    """Hashes and verifies passwords; faults change how."""

    def __init__(self, faults: list[str]):
        self.faults = set(faults)

    def hash(self, password: str) -> str:
        """Returns what the device stores for a password."""
        if "plaintext-passwords" in self.faults:
            return password
        if "unsalted-fast-hash" in self.faults:
            return hashlib.sha256(password.encode()).hexdigest()
        if "password:weak-parameters" in self.faults:
            return _WEAK_HASHER.hash(password)
        return _HASHER.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        """Tells whether a password matches what is stored."""
        if "pass-the-hash" in self.faults and _same(stored, password):
            return True
        if "truncated-compare" in self.faults:
            password = password[:8]
        if "plaintext-passwords" in self.faults:
            return _same(stored, password)
        if "unsalted-fast-hash" in self.faults:
            return _same(stored, hashlib.sha256(password.encode()).hexdigest())
        try:
            return _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False


def _same(a: str, b: str) -> bool:
    # compare_digest accepts str only when ASCII; bytes take any password.
    return hmac.compare_digest(a.encode(), b.encode())


class UserStore:
    """Reads and writes users in one SQLite file (WAL)."""

    def __init__(self, path: Path, scheme: PasswordScheme):
        self.path, self.scheme = path, scheme
        self._lock = threading.Lock()
        self._cache: dict[str, User] = {}  # fault token-outlives-account: accounts once found, never invalidated
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, "
            "password_hash TEXT NOT NULL, role TEXT NOT NULL DEFAULT 'user', "
            "created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))")
        if self._decoy:  # fault `decoy-stored-hash`: a half-done migration; login reads this table
            self._db.execute("CREATE TABLE IF NOT EXISTS credentials_v2 (email TEXT PRIMARY KEY, hash TEXT NOT NULL)")

    @property
    def _decoy(self) -> bool:
        return "decoy-stored-hash" in self.scheme.faults

    def add(self, email: str, password: str, role: str = "user") -> User:
        """Registers a user; raises KeyError if the e-mail is taken."""
        # The truncated-compare defect keeps only the first 8 characters of the password.
        stored = self.scheme.hash(password[:8] if "truncated-compare" in self.scheme.faults else password)
        with self._lock:
            try:
                cursor = self._db.execute("INSERT INTO users (email, password_hash, role) VALUES (?, ?, ?)",
                                          (email, _decoy_hash() if self._decoy else stored, role))
                if self._decoy:
                    self._db.execute("INSERT INTO credentials_v2 (email, hash) VALUES (?, ?)", (email, stored))
            except sqlite3.IntegrityError:
                raise KeyError(email) from None
        return User(cursor.lastrowid, email, role, stored)

    def find(self, email: str) -> User | None:
        """Returns the user with this e-mail, if any."""
        query, parameters = "SELECT id, email, role, password_hash FROM users WHERE email = ?", (email,)
        if "sql-injection" in self.scheme.faults:  # the defect: the e-mail is pasted into the SQL text
            query, parameters = f"SELECT id, email, role, password_hash FROM users WHERE email = '{email}'", ()
        with self._lock:
            if email in self._cache:
                return self._cache[email]
            row = self._db.execute(query, parameters).fetchone()
            user = User(row[0], row[1], row[2], row[3]) if row else None
            if user is not None and "token-outlives-account" in self.scheme.faults:
                self._cache[email] = user  # the defect: only this process's own removals would invalidate it
        return user

    def first(self) -> User | None:
        """Returns the account registered first, if any."""
        with self._lock:
            row = self._db.execute("SELECT id, email, role, password_hash FROM users ORDER BY id LIMIT 1").fetchone()
        return User(row[0], row[1], row[2], row[3]) if row else None

    def delete(self, email: str) -> bool:
        """Removes a user; tells whether one was removed."""
        with self._lock:
            self._cache.pop(email, None)
            return self._db.execute("DELETE FROM users WHERE email = ?", (email,)).rowcount > 0

    def authenticate(self, email: str, password: str) -> User | None:
        """Returns the user if the password matches."""
        user = self.find(email)
        if user is None:
            _HASHER.hash(password)  # equal work for unknown users: no timing enumeration
            return None
        stored = user.password_hash
        if self._decoy:
            with self._lock:
                stored = self._db.execute("SELECT hash FROM credentials_v2 WHERE email = ?", (email,)).fetchone()[0]
        return user if self.scheme.verify(stored, password) else None
