"""Where a target's structured log can be read (the profile's [logs]): a file, a command or an HTTP endpoint.

Each source returns the log's lines; `json_records` keeps the lines that hold a JSON object (a prefix
such as the timestamp `kubectl logs --timestamps` adds is skipped).
"""

from __future__ import annotations

import json
import shlex
import ssl
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from lhv.core.bounds import Body, DeadlinePassed, bounded_client, deadline, read_capped
from lhv.core.errors import ConfigError, NotApplicable, TargetError
from lhv.core.secrets import SECRETS
from lhv.session.profile import LogsSection, TargetSection

MAX_BYTES = 20 * 1024 * 1024  # the tail of a log that is read at most


@dataclass(frozen=True)
class FileLog:
    """A log file on this machine (or a mounted one)."""

    path: Path

    def describe(self) -> str:
        """Says where the log is read from."""
        return f"file {self.path}"

    def lines(self) -> list[str]:
        """Returns the log's lines (its last MAX_BYTES)."""
        try:
            with self.path.open("rb") as handle:
                size = handle.seek(0, 2)
                handle.seek(max(0, size - MAX_BYTES))
                return handle.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return []  # nothing logged yet
        except OSError as exc:
            raise TargetError(f"cannot read the log file {self.path}: {exc.strerror}") from None


@dataclass(frozen=True)
class CommandLog:
    """A command that prints the log, e.g. `journalctl -u api -o cat --since -10min` or `kubectl logs deploy/api`."""

    command: str
    timeout_s: float

    def describe(self) -> str:
        """Says where the log is read from."""
        return f"command `{self.command}`"

    def lines(self) -> list[str]:
        """Runs the command and returns its standard output's lines."""
        try:
            done = subprocess.run(shlex.split(self.command), capture_output=True, timeout=self.timeout_s,
                                  stdin=subprocess.DEVNULL)
        except FileNotFoundError as exc:
            raise TargetError(f"log command not found: {exc.filename}") from None
        except subprocess.TimeoutExpired:
            raise TargetError(f"log command did not finish within {self.timeout_s:g} s: {self.command}") from None
        if done.returncode != 0:
            tail = SECRETS.redact(done.stderr.decode("utf-8", "replace").strip())[-300:]
            raise TargetError(f"log command exited {done.returncode}: {tail}")
        return done.stdout[-MAX_BYTES:].decode("utf-8", "replace").splitlines()


@dataclass(frozen=True)
class HttpLog:
    """An HTTP endpoint that returns the log as JSON lines or as one JSON array."""

    url: str
    verify: ssl.SSLContext | bool
    timeout_s: float
    deadline_s: float | None = None  # the whole fetch; None: the profile's default for timeout_s

    def describe(self) -> str:
        """Says where the log is read from."""
        return f"HTTP endpoint {self.url}"

    def lines(self) -> list[str]:
        """Fetches the log (its last MAX_BYTES, within the deadline) and returns one line per entry."""
        received = Body(MAX_BYTES, tail=True)
        seconds = self.deadline_s or TargetSection.default_deadline(self.timeout_s)
        try:
            with bounded_client(verify=self.verify, timeout=self.timeout_s) as client, deadline(seconds) as current:
                with client.stream("GET", self.url) as response:
                    if response.status_code != 200:
                        raise TargetError(f"log endpoint {self.url} answered {response.status_code}")
                    read_capped(response, received, current)
        except DeadlinePassed as exc:
            raise TargetError(f"log endpoint {self.url}: {exc}") from None
        except httpx.HTTPError as exc:
            raise TargetError(f"log endpoint {self.url}: no answer ({type(exc).__name__})") from None
        text = received.kept.decode("utf-8", "replace")
        try:
            body = json.loads(text)
        except ValueError:
            return text.splitlines()
        if isinstance(body, list):
            return [json.dumps(item) for item in body]
        return [json.dumps(body)]


LogSource = FileLog | CommandLog | HttpLog
_BUILDERS: dict[str, Callable[[LogsSection, Callable[[str], str], ssl.SSLContext | bool, float, float | None],
                              LogSource]] = {
    "file": lambda s, expand, verify, timeout, deadline_s: FileLog(Path(expand(s.path)).expanduser()),
    "command": lambda s, expand, verify, timeout, deadline_s: CommandLog(expand(s.command), 3 * timeout),
    "http": lambda s, expand, verify, timeout, deadline_s: HttpLog(expand(s.url), verify, timeout, deadline_s),
}
_REQUIRED = {"file": "path", "command": "command", "http": "url"}


def log_source(section: LogsSection, source: str, *, expand: Callable[[str], str] = str,
               verify: ssl.SSLContext | bool = True, timeout_s: float = 10.0,
               deadline_s: float | None = None) -> LogSource:
    """Returns the source the profile names; NotApplicable for kind "none", ConfigError when incomplete."""
    if section.kind == "none":
        raise NotApplicable("the profile names no log source (logs.kind = \"none\"), so violations cannot be "
                            "matched to log entries")
    key = _REQUIRED[section.kind]
    if not getattr(section, key):
        raise ConfigError(source, f"logs.{key}", f"required when logs.kind = \"{section.kind}\"")
    return _BUILDERS[section.kind](section, expand, verify, timeout_s, deadline_s)


def json_records(lines: list[str]) -> list[dict]:
    """Returns the JSON objects among the lines, skipping any prefix before the first brace."""
    records = []
    for line in lines:
        start = line.find("{")
        if start < 0:
            continue
        try:
            value = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(value, dict):
            records.append(value)
    return records
