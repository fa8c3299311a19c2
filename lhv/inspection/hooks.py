"""Inspection hooks: how a plan reads what a target stored for a password, without ever showing it.

A profile's [inspection] section picks one: a read-only SQL query (SQLite file or PostgreSQL)
with a `:username` parameter, or a command that prints the stored credential of `{username}`.
Every value a hook returns is registered as a secret at once, so that anything written is
redacted; plans record only its format and parameters.
"""

from __future__ import annotations

import re
import shlex
import sqlite3
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from lhv.core.errors import ConfigError, TargetError
from lhv.core.secrets import SECRETS, hide_long_words
from lhv.session.profile import InspectionSection

if TYPE_CHECKING:
    from lhv.session.target import Target

TIMEOUT_SECONDS = 30
_USERNAME_PARAMETER = re.compile(r"(?<![:\w]):username\b")


class InspectionHook(ABC):
    """Reads the stored credential of one account."""

    kind: str

    @property
    @abstractmethod
    def description(self) -> str:
        """Says where the hook looks, for the record (never a secret)."""

    @abstractmethod
    def _values(self, username: str) -> list[Any]:
        """Returns what the hook found for this user, one entry per row or line."""

    def stored_credential(self, username: str) -> str:
        """Returns the credential stored for username, exactly and trimmed; it is registered as a secret."""
        values = self._values(username)
        for value in values:
            if isinstance(value, str):
                SECRETS.add(value.strip(), "stored hash")
        if len(values) != 1:
            found = "nothing" if not values else f"{len(values)} values"
            raise TargetError(f"the inspection hook ({self.kind}) found {found} for {username}; it must find "
                              "exactly the one stored credential of that user (check the profile's [inspection])")
        value = values[0]
        if isinstance(value, memoryview):
            value = value.tobytes()
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                raise TargetError(f"the inspection hook returned {len(value)} bytes that are not UTF-8 text "
                                  "for the stored credential") from None
        if value is None or not str(value).strip():
            raise TargetError(f"the inspection hook ({self.kind}) returned an empty credential for {username}")
        stored = str(value).strip()
        SECRETS.add(stored, "stored hash")
        return stored


class SqlHook(InspectionHook):
    """A read-only SQL query on a SQLite file or a PostgreSQL database, bound to :username."""

    kind = "sql"

    def __init__(self, database_url: str, query: str, *, source: str = "profile"):
        if not _USERNAME_PARAMETER.search(query):
            raise ConfigError(source, "inspection.query",
                              "must select one user's stored credential with the :username parameter, e.g. "
                              "SELECT password_hash FROM users WHERE email = :username")
        scheme = database_url.split(":", 1)[0].lower()
        if scheme == "sqlite":
            if not database_url.startswith("sqlite:///"):
                raise ConfigError(source, "inspection.database_url",
                                  "a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path")
            self._path = Path(database_url.removeprefix("sqlite:///")).expanduser()
        elif scheme in ("postgresql", "postgres"):
            if urlsplit(database_url).password:
                raise ConfigError(source, "inspection.database_url",
                                  "must not hold a password: libpq reads it from PGPASSWORD or ~/.pgpass")
            self._path = None
        else:
            raise ConfigError(source, "inspection.database_url",
                              f"unsupported database {scheme!r}: use sqlite:///… or postgresql://…")
        self.database_url, self.query = database_url, query

    @property
    def description(self) -> str:
        return f"read-only SQL on {_without_userinfo(self.database_url)}: {self.query}"

    def _values(self, username: str) -> list[Any]:
        if self._path is not None:
            return self._sqlite(username)
        return self._postgresql(username)

    def _sqlite(self, username: str) -> list[Any]:
        if not self._path.is_file():
            raise TargetError(f"inspection database {self._path} does not exist")
        try:
            db = sqlite3.connect(f"file:{quote(str(self._path))}?mode=ro", uri=True, timeout=TIMEOUT_SECONDS)
            try:
                db.execute("PRAGMA query_only = ON")
                rows = db.execute(self.query, {"username": username}).fetchall()
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise TargetError(f"inspection query on {self._path} failed: {exc}") from None
        return [row[0] if row else None for row in rows]

    def _postgresql(self, username: str) -> list[Any]:
        import psycopg

        query = _USERNAME_PARAMETER.sub("%(username)s", self.query.replace("%", "%%"))
        try:
            with psycopg.connect(self.database_url, connect_timeout=TIMEOUT_SECONDS) as db:
                db.read_only = True
                try:
                    db.execute(f"SET LOCAL statement_timeout = {TIMEOUT_SECONDS * 1000}")
                    rows = db.execute(query, {"username": username}).fetchall()
                finally:
                    db.rollback()
        except psycopg.Error as exc:
            raise TargetError(f"inspection query on {_without_userinfo(self.database_url)} failed: "
                              f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
                              ) from None
        return [row[0] if row else None for row in rows]


class CommandHook(InspectionHook):
    """A command that prints the stored credential of {username} on one line."""

    kind = "command"

    def __init__(self, template: str, *, source: str = "profile"):
        if "{username}" not in template:
            raise ConfigError(source, "inspection.command", "must name the account with {username}")
        try:
            self._argv = shlex.split(template)
        except ValueError as exc:
            raise ConfigError(source, "inspection.command", f"cannot be split into arguments ({exc})") from None
        self.template, self._source = template, source

    @property
    def description(self) -> str:
        return f"command: {self.template}"

    def _values(self, username: str) -> list[Any]:
        argv = [arg.replace("{username}", username) for arg in self._argv]
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=TIMEOUT_SECONDS)
        except FileNotFoundError:
            raise ConfigError(self._source, "inspection.command", f"{argv[0]}: command not found") from None
        except subprocess.TimeoutExpired:
            raise TargetError(f"the inspection command did not finish within {TIMEOUT_SECONDS} s") from None
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        for line in lines:
            SECRETS.add(line.strip(), "stored hash")
        if done.returncode != 0:
            raise TargetError(f"the inspection command exited {done.returncode}: "
                              f"{hide_long_words(done.stderr.strip())[-300:]}")
        return lines


HOOKS: dict[str, Callable[[InspectionSection, str], InspectionHook]] = {
    "sql": lambda section, source: SqlHook(section.database_url, section.query, source=source),
    "command": lambda section, source: CommandHook(section.command, source=source),
}


def inspection_hook(target: Target) -> InspectionHook | None:
    """Returns the profile's inspection hook, or None when the profile has none (kind none or attestation)."""
    profile = target.profile
    section = profile.inspection
    factory = HOOKS.get(section.kind)
    if factory is None:
        return None
    expanded = section.model_copy(update={name: target.expand(getattr(section, name))
                                          for name in ("database_url", "query", "command")})
    return factory(expanded, profile.source)


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    return urlunsplit(parts._replace(netloc=netloc + (f":{parts.port}" if parts.port else "")))
