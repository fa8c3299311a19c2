"""Item 4: the month's availability verdict over ~780,000 stored probes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.rows import Row, not_measured
from bench.uptime_scale import ScaleTiming, measure

GOAL_S = 1.0
REPEAT = 3


def measure_rows() -> list[Row]:
    """Returns one row per store kind; a store that cannot be started gets a row that says why."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="lhv-bench-uptime-") as scratch:
        rows.append(_row("SQLite", lambda: measure(f"sqlite:///{Path(scratch) / 'month.sqlite3'}", REPEAT, _quiet)))
    rows.append(_row("PostgreSQL", _on_postgresql))
    return rows


def _on_postgresql() -> ScaleTiming:
    import pytest  # tests.pg skips through pytest when no server is installed

    from tests.pg import postgres_server

    try:
        with postgres_server() as url:
            return measure(url, REPEAT, _quiet)
    except pytest.skip.Exception as skipped:
        raise RuntimeError(str(skipped.msg)) from None


def _row(store: str, run) -> Row:
    name = f"uptime verdict over a month of 10-s probes from 3 probers, {store}"
    goal = f"< {GOAL_S:g} s"
    try:
        timing = run()
    except Exception as exc:
        return not_measured("4", name, f"{type(exc).__name__}: {exc}", goal)
    row = Row("4", name, f"{timing.best_s:.3f} s (best of {REPEAT}; median {timing.median_s:.3f} s)", goal,
              timing.best_s < GOAL_S)
    verdict = timing.verdict
    row.notes.append(f"{store}: {timing.rows:,} probes loaded in {timing.load_s:.1f} s; the verdict judged "
                     f"{verdict.probes:,} probes in {verdict.intervals.total:,} intervals: {verdict.outcome} "
                     f"({verdict.reason})")
    return row


def _quiet(_message: str) -> None:
    pass
