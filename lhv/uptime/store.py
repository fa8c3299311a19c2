"""Probe store: probes, prober runs and maintenance windows in SQLite or PostgreSQL."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

OUTCOMES = ("up", "down", "degraded")
KINDS = ("health", "transaction")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_DAY_MS = 86_400_000
_PROBE_COLUMNS = (
    "probed_at_ms, prober_id, target, kind, outcome, latency_us, status, error_class, device_version"
)

# Latency bins for percentiles: 1 ms below 1 s, 10 ms below 10 s, 100 ms beyond;
# each probe is counted at its bin's upper edge (in ms).
_LATENCY_BIN_UPPER_MS = (
    "CASE WHEN latency_us < 1000000 THEN latency_us / 1000 + 1"
    " WHEN latency_us < 10000000 THEN (latency_us / 10000 + 1) * 10"
    " ELSE (latency_us / 100000 + 1) * 100 END"
)

# Each migration is applied once, in order; {serial} and {clustered} are filled per dialect.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE probes (
            probed_at_ms BIGINT NOT NULL,
            prober_id TEXT NOT NULL,
            target TEXT NOT NULL,
            kind TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('up', 'down', 'degraded')),
            latency_us BIGINT,
            status INTEGER,
            error_class TEXT,
            device_version TEXT,
            PRIMARY KEY (probed_at_ms, prober_id, kind, target)
        ){clustered}""",
        """CREATE TABLE prober_runs (
            run_id {serial} PRIMARY KEY,
            prober_id TEXT NOT NULL,
            interval_ms BIGINT NOT NULL,
            started_at_ms BIGINT NOT NULL,
            last_seen_at_ms BIGINT NOT NULL,
            stopped_at_ms BIGINT
        )""",
        "CREATE INDEX prober_runs_by_start ON prober_runs (started_at_ms)",
        """CREATE TABLE maintenance_windows (
            window_id {serial} PRIMARY KEY,
            starts_at_ms BIGINT NOT NULL,
            ends_at_ms BIGINT NOT NULL CHECK (ends_at_ms > starts_at_ms),
            reason TEXT NOT NULL
        )""",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)


def epoch_ms(moment: datetime) -> int:
    """Returns a timezone-aware datetime as integer milliseconds since the Unix epoch."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: give times in UTC with tzinfo")
    return (moment - _EPOCH) // _MS


def utc_from_ms(ms: int) -> datetime:
    """Returns the UTC datetime of integer milliseconds since the Unix epoch."""
    return _EPOCH + ms * _MS


@dataclass(frozen=True)
class Probe:
    """One probe of the device as a prober recorded it."""

    prober_id: str
    probed_at: datetime
    target: str
    kind: str
    outcome: str
    latency_ms: float | None = None
    status: int | None = None
    error_class: str | None = None
    device_version: str | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome {self.outcome!r} is not one of {OUTCOMES}")
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {KINDS}")
        epoch_ms(self.probed_at)


@dataclass(frozen=True)
class ProberRun:
    """One run of a prober: from its start to its stop, or to its last heartbeat if it died."""

    run_id: int
    prober_id: str
    interval_s: float
    started_at: datetime
    last_seen_at: datetime
    stopped_at: datetime | None

    @property
    def ended_at(self) -> datetime:
        """Returns when the prober was last known to be running."""
        return self.stopped_at or self.last_seen_at


@dataclass(frozen=True)
class MaintenanceWindow:
    """A declared period of planned device maintenance."""

    starts_at: datetime
    ends_at: datetime
    reason: str


@dataclass(frozen=True)
class ProbeTally:
    """How many probes one prober recorded with one outcome and device version."""

    prober_id: str
    outcome: str
    device_version: str | None
    probes: int


@dataclass(frozen=True)
class IntervalStates:
    """The intervals of a window that hold probes, and the best probe of those not plainly up."""

    covered: list[tuple[int, int]]  # [first, end) runs of interval indices with at least one probe
    not_up: list[tuple[int, int]]  # (interval index, best probe: 1 degraded, 0 down)


class _SQLite:
    """A SQLite database in WAL mode, shared by threads under one lock and by processes through SQLite's."""

    dialect = "sqlite"
    serial = "INTEGER"
    clustered = " WITHOUT ROWID"
    busy_timeout_s = 30.0

    def __init__(self, path: str) -> None:
        # The timeout is SQLite's busy timeout: a statement waits that long for another process's lock.
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=self.busy_timeout_s
        )
        self._enter_wal()
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self.lock = threading.RLock()

    def _enter_wal(self) -> None:
        """Switches the file to WAL, retrying while other connections hold it, until the busy timeout.

        Switching a fresh file upgrades a read lock to an exclusive one, and SQLite refuses a blocked
        upgrade at once ("database is locked") instead of waiting, since two waiting upgraders would
        deadlock; so processes that open a fresh store together retry here. WAL stays in the file, so
        later opens find it set. Every write then runs in BEGIN IMMEDIATE, which waits its turn.
        """
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(random.uniform(0.005, 0.05))  # jittered, so retrying openers spread out

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.lock:
            # IMMEDIATE takes the write lock up front, which also serialises migrations.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def lock_schema(self) -> None:
        """Holds the schema lock for the current transaction (BEGIN IMMEDIATE already does)."""

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self._conn.execute(sql, params).fetchall()

    def insert_probes(self, rows: list[tuple[Any, ...]]) -> None:
        """Inserts probe rows within the current transaction, skipping probes already recorded."""
        with self.lock:
            self._conn.executemany(
                f"INSERT INTO probes ({_PROBE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                rows,
            )

    def close(self) -> None:
        self._conn.close()


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """Tells whether SQLite refused a statement because another connection holds a lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class _Postgres:
    """A PostgreSQL database reached with psycopg 3."""

    dialect = "postgresql"
    serial = "BIGINT GENERATED ALWAYS AS IDENTITY"
    clustered = ""
    _SCHEMA_LOCK_KEY = 0x6C6876_7570  # "lhv" "up": an arbitrary advisory-lock key of this tool

    def __init__(self, url: str) -> None:
        import psycopg  # imported here so SQLite stores work without the driver

        self._conn = psycopg.connect(url, autocommit=True)
        # The verdict's queries are short; JIT compiling them costs more than running them.
        self._conn.execute("SET jit = off")
        self.lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.lock, self._conn.transaction():
            yield

    def lock_schema(self) -> None:
        """Holds the schema lock until the current transaction ends."""
        self.run("SELECT pg_advisory_xact_lock(?)", (self._SCHEMA_LOCK_KEY,))

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock, self._conn.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    def insert_probes(self, rows: list[tuple[Any, ...]]) -> None:
        """Inserts probe rows within the current transaction, skipping probes already recorded."""
        # COPY is several times faster than row-by-row inserts but cannot skip duplicates, so rows
        # go through a session-long scratch table that every commit empties.
        with self.lock, self._conn.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS probes_incoming (LIKE probes) ON COMMIT DELETE ROWS"
            )
            with cursor.copy(f"COPY probes_incoming ({_PROBE_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO probes ({_PROBE_COLUMNS}) SELECT {_PROBE_COLUMNS} FROM probes_incoming"
                " ON CONFLICT DO NOTHING"
            )

    def close(self) -> None:
        self._conn.close()


class ProbeStore:
    """Probes, prober runs and maintenance windows, with the queries the verdict needs."""

    def __init__(self, db: _SQLite | _Postgres) -> None:
        self._db = db
        self._migrate()

    @property
    def dialect(self) -> str:
        """Returns "sqlite" or "postgresql"."""
        return self._db.dialect

    def __enter__(self) -> ProbeStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the database connection."""
        self._db.close()

    def _migrate(self) -> None:
        with self._db.transaction():
            self._db.lock_schema()
            self._db.run(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)"
            )
            applied = self.schema_version()
            if applied > SCHEMA_VERSION:
                raise RuntimeError(
                    f"store schema version {applied} is newer than this tool's {SCHEMA_VERSION}"
                )
            now = epoch_ms(datetime.now(UTC))
            for version, statements in enumerate(_MIGRATIONS[applied:], start=applied + 1):
                for statement in statements:
                    self._db.run(statement.format(serial=self._db.serial, clustered=self._db.clustered))
                self._db.run("INSERT INTO schema_version VALUES (?, ?)", (version, now))

    def schema_version(self) -> int:
        """Returns the number of migrations applied to the store."""
        return self._db.run("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0][0]

    def add_probes(self, probes: Iterable[Probe]) -> None:
        """Records probes in one transaction; a probe already recorded is kept as it was."""
        rows = [
            (
                epoch_ms(p.probed_at),
                p.prober_id,
                p.target,
                p.kind,
                p.outcome,
                None if p.latency_ms is None else round(p.latency_ms * 1000),
                p.status,
                p.error_class,
                p.device_version,
            )
            for p in probes
        ]
        with self._db.transaction():
            self._db.insert_probes(rows)

    def probes(self, start: datetime, end: datetime, *, prober_id: str | None = None) -> list[Probe]:
        """Returns the probes started in [start, end), oldest first."""
        sql = f"SELECT {_PROBE_COLUMNS} FROM probes WHERE probed_at_ms >= ? AND probed_at_ms < ?"
        params: tuple[Any, ...] = (epoch_ms(start), epoch_ms(end))
        if prober_id is not None:
            sql += " AND prober_id = ?"
            params += (prober_id,)
        rows = self._db.run(sql + " ORDER BY probed_at_ms, prober_id, kind, target", params)
        return [
            Probe(
                prober_id=prober,
                probed_at=utc_from_ms(at),
                target=target,
                kind=kind,
                outcome=outcome,
                latency_ms=None if latency_us is None else latency_us / 1000,
                status=status,
                error_class=error_class,
                device_version=version,
            )
            for at, prober, target, kind, outcome, latency_us, status, error_class, version in rows
        ]

    def start_run(self, prober_id: str, interval_s: float, *, at: datetime | None = None) -> int:
        """Records that a prober started and returns the id of its run."""
        at_ms = epoch_ms(at or datetime.now(UTC))
        with self._db.transaction():
            rows = self._db.run(
                "INSERT INTO prober_runs (prober_id, interval_ms, started_at_ms, last_seen_at_ms)"
                " VALUES (?, ?, ?, ?) RETURNING run_id",
                (prober_id, round(interval_s * 1000), at_ms, at_ms),
            )
        return rows[0][0]

    def heartbeat(self, run_id: int, *, at: datetime | None = None) -> None:
        """Records that a prober run is still alive."""
        at_ms = epoch_ms(at or datetime.now(UTC))
        self._update_run("last_seen_at_ms = ?", (at_ms,), run_id)

    def stop_run(self, run_id: int, *, at: datetime | None = None) -> None:
        """Records that a prober run stopped in an orderly way."""
        at_ms = epoch_ms(at or datetime.now(UTC))
        self._update_run("last_seen_at_ms = ?, stopped_at_ms = ?", (at_ms, at_ms), run_id)

    def _update_run(self, assignments: str, values: tuple[int, ...], run_id: int) -> None:
        with self._db.transaction():
            updated = self._db.run(
                f"UPDATE prober_runs SET {assignments} WHERE run_id = ? RETURNING run_id",
                (*values, run_id),
            )
        if not updated:
            raise KeyError(f"no prober run {run_id}")

    def prober_runs(self, start: datetime, end: datetime) -> list[ProberRun]:
        """Returns the prober runs that overlap [start, end), earliest first."""
        rows = self._db.run(
            "SELECT run_id, prober_id, interval_ms, started_at_ms, last_seen_at_ms, stopped_at_ms"
            " FROM prober_runs WHERE started_at_ms < ? AND last_seen_at_ms >= ?"
            " ORDER BY started_at_ms, run_id",
            (epoch_ms(end), epoch_ms(start)),
        )
        return [
            ProberRun(
                run_id=run_id,
                prober_id=prober,
                interval_s=interval_ms / 1000,
                started_at=utc_from_ms(started),
                last_seen_at=utc_from_ms(seen),
                stopped_at=None if stopped is None else utc_from_ms(stopped),
            )
            for run_id, prober, interval_ms, started, seen, stopped in rows
        ]

    def add_maintenance(self, starts_at: datetime, ends_at: datetime, reason: str) -> None:
        """Declares a maintenance window."""
        if ends_at <= starts_at:
            raise ValueError("a maintenance window must end after it starts")
        with self._db.transaction():
            self._db.run(
                "INSERT INTO maintenance_windows (starts_at_ms, ends_at_ms, reason) VALUES (?, ?, ?)",
                (epoch_ms(starts_at), epoch_ms(ends_at), reason),
            )

    def maintenance_windows(self, start: datetime, end: datetime) -> list[MaintenanceWindow]:
        """Returns the maintenance windows that overlap [start, end), earliest first."""
        rows = self._db.run(
            "SELECT starts_at_ms, ends_at_ms, reason FROM maintenance_windows"
            " WHERE starts_at_ms < ? AND ends_at_ms > ? ORDER BY starts_at_ms, window_id",
            (epoch_ms(end), epoch_ms(start)),
        )
        return [MaintenanceWindow(utc_from_ms(s), utc_from_ms(e), reason) for s, e, reason in rows]

    def interval_states(
        self, start: datetime, end: datetime, interval_s: float, *, timeout_s: float, kind: str | None
    ) -> IntervalStates:
        """Returns which intervals of [start, end) hold probes and the best probe of those not plainly up.

        A probe slower than timeout_s counts as down. The work stays in SQL and the result is as
        small as the anomalies: a fully probed day costs one COUNT(DISTINCT) and no rows.
        """
        start_ms, end_ms = epoch_ms(start), epoch_ms(end)
        interval_ms = round(interval_s * 1000)
        bucket = "(probed_at_ms - ?) / ?"
        chunk_intervals = max(1, _DAY_MS // interval_ms)
        covered: list[tuple[int, int]] = []
        for first in range(0, -(-(end_ms - start_ms) // interval_ms), chunk_intervals):
            chunk_start = start_ms + first * interval_ms
            chunk_end = min(chunk_start + chunk_intervals * interval_ms, end_ms)
            intervals = -(-(chunk_end - chunk_start) // interval_ms)
            ((distinct,),) = self._select(
                f"COUNT(DISTINCT {bucket})", (start_ms, interval_ms), chunk_start, chunk_end, kind=kind
            )
            if distinct == intervals:
                covered.append((first, first + intervals))
            elif distinct:
                held = self._select(
                    f"DISTINCT {bucket}",
                    (start_ms, interval_ms),
                    chunk_start,
                    chunk_end,
                    kind=kind,
                    order="1",
                )
                covered.extend(_runs_of(index for (index,) in held))
        kind_filter, kind_params = ("", ()) if kind is None else (" AND p.kind = ?", (kind,))
        timeout_us = _us(timeout_s)
        not_up = self._db.run(
            f"WITH anomalous AS (SELECT DISTINCT {bucket} AS bucket FROM probes p"
            " WHERE probed_at_ms >= ? AND probed_at_ms < ? AND (outcome <> 'up' OR latency_us > ?)"
            f"{kind_filter})"
            " SELECT bucket, MAX(CASE WHEN outcome = 'down' OR latency_us > ? THEN 0"
            " WHEN outcome = 'degraded' THEN 1 ELSE 2 END) AS best"
            " FROM anomalous JOIN probes p"
            f" ON p.probed_at_ms >= ? + bucket * ? AND p.probed_at_ms < ? + (bucket + 1) * ?"
            f" AND p.probed_at_ms < ?{kind_filter}"
            " GROUP BY bucket ORDER BY bucket",
            (
                start_ms,
                interval_ms,
                start_ms,
                end_ms,
                timeout_us,
                *kind_params,
                timeout_us,
                start_ms,
                interval_ms,
                start_ms,
                interval_ms,
                end_ms,
                *kind_params,
            ),
        )
        return IntervalStates(covered, [(index, best) for index, best in not_up if best < 2])

    def failure_classes(
        self, start: datetime, end: datetime, interval_s: float, *, timeout_s: float, kind: str | None
    ) -> list[tuple[int, str, str | None, int]]:
        """Returns (interval index, prober id, error class, failed probes) over failed probes.

        A probe slower than timeout_s fails with error class "timeout".
        """
        start_ms = epoch_ms(start)
        return self._select(
            "(probed_at_ms - ?) / ? AS bucket, prober_id,"
            " CASE WHEN outcome = 'down' THEN error_class ELSE 'timeout' END AS error_group, COUNT(*)",
            (start_ms, round(interval_s * 1000)),
            start_ms,
            epoch_ms(end),
            where=" AND (outcome = 'down' OR latency_us > ?)",
            where_params=(_us(timeout_s),),
            kind=kind,
            group="bucket, prober_id, error_group",
        )

    def latency_histogram(
        self, start: datetime, end: datetime, bucket_s: float, *, timeout_s: float, kind: str | None
    ) -> list[tuple[int, int, int]]:
        """Returns (bucket index, latency bin upper edge in ms, probes) over successful probes.

        Bins are 1 ms wide below 1 s, 10 ms below 10 s and 100 ms beyond.
        """
        bucket_ms = round(bucket_s * 1000)
        end_ms = epoch_ms(end)
        rows = []
        # One query per bucket: SQLite sorts many small groups much faster than one large one.
        for bucket, chunk_ms in enumerate(range(epoch_ms(start), end_ms, bucket_ms)):
            histogram = self._select(
                f"{_LATENCY_BIN_UPPER_MS} AS upper_ms, COUNT(*)",
                (),
                chunk_ms,
                min(chunk_ms + bucket_ms, end_ms),
                where=" AND outcome <> 'down' AND latency_us <= ?",
                where_params=(_us(timeout_s),),
                kind=kind,
                group="upper_ms",
            )
            rows.extend((bucket, upper_ms, probes) for upper_ms, probes in histogram)
        return rows

    def tallies(self, start: datetime, end: datetime, *, kind: str | None) -> list[ProbeTally]:
        """Returns probe counts per prober, recorded outcome and device version in [start, end)."""
        merged: Counter[tuple[str, str, str | None]] = Counter()
        end_ms = epoch_ms(end)
        # One query per day, for the same reason as in latency_histogram.
        for chunk_ms in range(epoch_ms(start), end_ms, _DAY_MS):
            for prober, outcome, version, probes in self._select(
                "prober_id, outcome, device_version, COUNT(*)",
                (),
                chunk_ms,
                min(chunk_ms + _DAY_MS, end_ms),
                kind=kind,
                group="prober_id, outcome, device_version",
            ):
                merged[prober, outcome, version] += probes
        return [
            ProbeTally(prober, outcome, version, probes)
            for (prober, outcome, version), probes in sorted(
                merged.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or "")
            )
        ]

    def first_and_last_seen(
        self, start: datetime, end: datetime, version: str | None, *, kind: str | None
    ) -> tuple[datetime, datetime] | None:
        """Returns when a device version was first and last reported in [start, end), if it was."""
        where, params = (
            (" AND device_version = ?", (version,))
            if version is not None
            else (" AND device_version IS NULL", ())
        )
        first, last = (
            self._select(
                "probed_at_ms",
                (),
                epoch_ms(start),
                epoch_ms(end),
                where=where,
                where_params=params,
                kind=kind,
                order=f"probed_at_ms {direction}",
                limit=1,
            )
            for direction in ("ASC", "DESC")
        )
        if not first:
            return None
        return utc_from_ms(first[0][0]), utc_from_ms(last[0][0])

    def _select(
        self,
        columns: str,
        column_params: tuple[Any, ...],
        start_ms: int,
        end_ms: int,
        *,
        where: str = "",
        where_params: tuple[Any, ...] = (),
        kind: str | None,
        group: str | None = None,
        order: str | None = None,
        limit: int | None = None,
    ) -> list[tuple[Any, ...]]:
        sql = f"SELECT {columns} FROM probes WHERE probed_at_ms >= ? AND probed_at_ms < ?{where}"
        params = (*column_params, start_ms, end_ms, *where_params)
        if kind is not None:
            sql += " AND kind = ?"
            params += (kind,)
        if group:
            sql += f" GROUP BY {group}"
        if group or order:
            sql += f" ORDER BY {order or group}"
        if limit is not None:
            sql += f" LIMIT {limit:d}"
        return self._db.run(sql, params)


def _runs_of(indices: Iterable[int]) -> list[tuple[int, int]]:
    """Returns [first, end) runs of consecutive integers from ascending indices."""
    runs: list[tuple[int, int]] = []
    for index in indices:
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    return runs


def _us(seconds: float) -> int:
    return round(seconds * 1_000_000)


def open_store(url: str) -> ProbeStore:
    """Opens (creating and migrating as needed) the store at sqlite:///PATH or postgresql://…."""
    if url.startswith("sqlite:///"):
        return ProbeStore(_SQLite(url.removeprefix("sqlite:///")))
    if url.startswith(("postgresql://", "postgres://")):
        return ProbeStore(_Postgres(url))
    raise ValueError(f"unsupported store URL {url!r}: use sqlite:///PATH or postgresql://…")
