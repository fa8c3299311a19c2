"""Matches the 429s the harness received to the target's rate-limit log entries (CONTRACT.md §4): pure logic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from lhv.checks.outcomes import Finding

# Names a conformant log may use for each field the contract requires.
FIELD_NAMES = {"timestamp": ("timestamp", "time", "ts", "@timestamp"),
               "client": ("client_ip", "client", "ip", "remote_addr"),
               "user": ("user", "sub", "username"),
               "path": ("path", "endpoint", "url"),
               "count": ("count", "requests")}
_MISSING = object()


@dataclass(frozen=True)
class Violation:
    """A 429 the harness received: when, for which path(s) and user (None when anonymous)."""

    sent: float
    received: float
    paths: tuple[str, ...]  # the path as sent, and without the base path's prefix
    user: str | None
    least_count: int  # the smallest count the entry may carry: limit + 1 − tolerance
    client: str | None = None  # the harness's address as the target sees it; None: any non-empty client


@dataclass(frozen=True)
class LogEntry:
    """A rate-limit entry of the target's log, its fields read by their contract names."""

    index: int
    timestamp: float | None
    timestamp_problem: str
    client: Any
    user: Any  # _MISSING when the entry has no user field
    path: str
    count: Any

    @property
    def has_user(self) -> bool:
        """Tells whether the entry has a user field at all (null counts as present)."""
        return self.user is not _MISSING


def _field(record: dict, name: str) -> Any:
    for key in FIELD_NAMES[name]:
        if key in record:
            return record[key]
    return _MISSING


def _epoch(value: Any) -> tuple[float | None, str]:
    if value is _MISSING or value is None:
        return None, "no timestamp"
    if isinstance(value, (int, float)):
        return float(value), ""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None, f"timestamp {value!r} is not ISO 8601"
    if moment.tzinfo is None:
        return None, f"timestamp {value!r} has no time zone (UTC required)"
    return moment.timestamp(), ""


def violation_entries(records: list[dict], event: str) -> list[LogEntry]:
    """Returns the records whose event is the rate-limit violation event."""
    entries = []
    for index, record in enumerate(records):
        if record.get("event", record.get("msg", record.get("message"))) != event:
            continue
        stamp, problem = _epoch(_field(record, "timestamp"))
        path = _field(record, "path")
        entries.append(LogEntry(index, stamp, problem, _field(record, "client"), _field(record, "user"),
                                str(path).split("?")[0] if path is not _MISSING else "", _field(record, "count")))
    return entries


@dataclass
class Matching:
    """Which entry answers which 429, and what is left over on either side."""

    pairs: list[tuple[Violation, LogEntry]]
    unmatched: list[Violation]
    extra: list[LogEntry]


def match(violations: list[Violation], entries: list[LogEntry], skew_s: float) -> Matching:
    """Pairs each 429 with the earliest unused entry for its path stamped between send and receipt (± skew);
    entries for the same paths within the violations' span that answer no 429 are extra."""
    used: set[int] = set()
    pairs, unmatched = [], []
    timed = sorted((e for e in entries if e.timestamp is not None), key=lambda e: e.timestamp)
    for violation in sorted(violations, key=lambda v: v.sent):
        candidate = next((e for e in timed if e.index not in used and e.path in violation.paths
                          and violation.sent - skew_s <= e.timestamp <= violation.received + skew_s), None)
        if candidate is None:
            unmatched.append(violation)
        else:
            used.add(candidate.index)
            pairs.append((violation, candidate))
    extra = []
    if violations:
        start = min(v.sent for v in violations) - skew_s
        end = max(v.received for v in violations) + skew_s
        paths = {p for v in violations for p in v.paths}
        extra = [e for e in timed if e.index not in used and e.path in paths and start <= e.timestamp <= end]
    return Matching(pairs, unmatched, extra)


def _utc(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds")


def _client_ok(violation: Violation, entry: LogEntry) -> bool:
    if not isinstance(entry.client, str) or not entry.client.strip():
        return False
    return violation.client is None or entry.client.strip() == violation.client


def _user_ok(violation: Violation, entry: LogEntry) -> bool:
    if not entry.has_user:
        return False
    if violation.user is None:
        return entry.user in (None, "", "-", "anonymous")
    return isinstance(entry.user, str) and entry.user.lower() == violation.user.lower()


def matching_findings(matching: Matching, total_entries: int) -> list[Finding]:
    """Judges the matching: one entry per 429, and each entry with timestamp, client, user, path and count."""
    missing = [f"{_utc(v.sent)} {v.paths[0]} ({v.user or 'anonymous'})" for v in matching.unmatched]
    extra = [f"entry {e.index + 1} ({e.path})" for e in matching.extra]
    pairs = matching.pairs
    bad_client = [f"entry {e.index + 1}: {e.client!r}" + (f", expected {v.client}" if v.client else "")
                  for v, e in pairs if not _client_ok(v, e)]
    bad_user = [f"entry {e.index + 1}: {'no user field' if not e.has_user else repr(e.user)}, expected "
                f"{v.user or 'null (anonymous)'}" for v, e in pairs if not _user_ok(v, e)]
    bad_count = [f"entry {e.index + 1}: {e.count!r}" for v, e in pairs
                 if isinstance(e.count, bool) or not isinstance(e.count, int) or e.count < v.least_count]
    problems = ([f"no entry for {len(missing)} 429(s): {', '.join(missing[:4])}"] if missing else []) + \
        ([f"{len(extra)} entries answer no 429: {', '.join(extra[:4])}"] if extra else [])
    matched = len(pairs)
    return [
        Finding("one-entry-per-429", not problems,
                f"{'; '.join(problems)} ({total_entries} violation entries in the log)" if problems
                else f"each of the {matched} 429(s) has exactly one log entry, by path and time"),
        Finding("entry-has-client", not bad_client,
                f"entries without the harness's address as the client: {'; '.join(bad_client[:3])}" if bad_client
                else f"{matched} entries name the client" + (f" ({pairs[0][0].client})" if pairs and pairs[0][0].client
                                                              else "")),
        Finding("entry-has-user", not bad_user,
                "; ".join(bad_user[:3]) if bad_user else f"{matched} entries name the user (null when anonymous)"),
        Finding("entry-has-count", not bad_count,
                f"count missing or not above the limit: {', '.join(bad_count[:3])}" if bad_count
                else f"{matched} entries carry a count above the limit"),
    ]


def timestamp_findings(entries: list[LogEntry]) -> list[Finding]:
    """Judges whether every violation entry has a readable UTC timestamp."""
    problems = [f"entry {e.index + 1}: {e.timestamp_problem}" for e in entries if e.timestamp is None]
    return [Finding("entries-timestamped", not problems,
                    "; ".join(problems[:3]) if problems else f"{len(entries)} violation entries with UTC timestamps")]
