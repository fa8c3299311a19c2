"""Judges each matched rate-limit log entry field by field against what the harness itself knows (CONTRACT.md §4):
the method it sent, the limit and window its profile states, a count no larger than the requests it sent, and a
timestamp in UTC. Pure logic beside lhv.logs.violations, which matches entries to 429s and judges client, user and path.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lhv.checks.outcomes import Finding
from lhv.logs.violations import LogEntry, Violation

# Names a conformant log may use for each field judged here.
FIELD_NAMES = {"method": ("method", "http_method", "verb"),
               "limit": ("limit", "max_requests"),
               "window": ("window", "window_seconds", "window_s", "period"),
               "count": ("count", "requests"),
               "timestamp": ("timestamp", "time", "ts", "@timestamp")}
_MISSING = object()
_WINDOW_TOLERANCE_S = 0.001


@dataclass(frozen=True)
class Known:
    """What the harness knows about one 429 beside its Violation."""

    method: str  # the method it sent
    limit: tuple[int, int]  # the least and the most limit an entry may state: the profile's N ± tolerance
    window_s: float  # the profile's window
    most_count: int | None  # requests it sent under the same key since it was quiet; None: others may share the key


def added_lines(before: Iterable[str], after: Iterable[str]) -> list[str]:
    """The lines of `after` that `before` did not hold (as a multiset: a line seen twice before is skipped twice),
    in order: what a log gained since a snapshot, even when its source returns a moving tail."""
    seen = Counter(before)
    added = []
    for line in after:
        if seen[line] > 0:
            seen[line] -= 1
        else:
            added.append(line)
    return added


def _field(record: Mapping[str, Any], name: str) -> Any:
    return next((record[key] for key in FIELD_NAMES[name] if key in record), _MISSING)


def _seconds(value: Any) -> float | None:
    """A window as seconds: a number, or text such as "60" or "60s"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().removesuffix("s").strip()
        try:
            return float(text)
        except ValueError:
            return None
    return None


def _method_problem(value: Any, known: Known) -> str:
    if value is _MISSING:
        return "no method field"
    return "" if isinstance(value, str) and value.strip().upper() == known.method.upper() else \
        f"method {value!r}, the harness sent {known.method}"


def _limit_problem(value: Any, known: Known) -> str:
    low, high = known.limit
    stated = f"{low}" if low == high else f"{low}–{high}"
    if value is _MISSING:
        return "no limit field"
    ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    return "" if ok else f"limit {value!r}, the profile says {stated}"


def _window_problem(value: Any, known: Known) -> str:
    if value is _MISSING:
        return "no window field"
    seconds = _seconds(value)
    ok = seconds is not None and abs(seconds - known.window_s) <= _WINDOW_TOLERANCE_S
    return "" if ok else f"window {value!r}, the profile says {known.window_s:g} s"


def _count_problem(value: Any, known: Known) -> str:
    if known.most_count is None or not isinstance(value, int) or isinstance(value, bool):
        return ""  # entry-has-count judges a missing or non-numeric count; no bound when others share the key
    return "" if value <= known.most_count else \
        f"count {value}, but the harness sent only {known.most_count} requests under that key since it was quiet"


def _utc_problem(value: Any, known: Known) -> str:
    if value is _MISSING or isinstance(value, (int, float)):
        return ""  # entries-timestamped judges a missing timestamp; a number is seconds since the epoch: UTC
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return ""  # entries-timestamped judges an unreadable one
    offset = moment.utcoffset()
    return "" if offset == dt.timedelta(0) else f"timestamp {value!r} is not in UTC (offset {offset})"


def _judge(check: str, field: str, problem_of: Callable[[Any, Known], str], success: str,
           pairs: list[tuple[Violation, LogEntry]], records: list[Mapping[str, Any]],
           known: Mapping[Violation, Known]) -> Finding:
    problems = [f"entry {entry.index + 1}: {problem}" for violation, entry in pairs
                if (problem := problem_of(_field(records[entry.index], field), known[violation]))]
    return Finding(check, not problems,
                   "; ".join(problems[:3]) if problems else f"{len(pairs)} entries state {success}")


def field_findings(pairs: list[tuple[Violation, LogEntry]], records: list[Mapping[str, Any]],
                   known: Mapping[Violation, Known]) -> list[Finding]:
    """Judges each matched entry's method, limit, window, count and timestamp zone; records[entry.index] is the raw
    record the entry was read from, known[violation] what the harness knows about the 429 it answers."""
    seen = (pairs, records, known)
    return [_judge("entry-has-method", "method", _method_problem, "the method the harness sent", *seen),
            _judge("entry-has-limit", "limit", _limit_problem, "the profile's limit", *seen),
            _judge("entry-has-window", "window", _window_problem, "the profile's window", *seen),
            _judge("entry-count-as-sent", "count", _count_problem,
                   "a count no larger than the requests the harness sent", *seen),
            _judge("entry-timestamp-utc", "timestamp", _utc_problem, "a timestamp in UTC", *seen)]
