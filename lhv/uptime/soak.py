"""A bounded Locust soak on the health route, run in the background while the prober measures."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lhv.core.errors import TargetError
from lhv.load.locust import LocustProcesses
from lhv.session.profile import UptimeSoak
from lhv.uptime.report import WrittenFile

LOCUSTFILE = Path(__file__).with_name("soak_locustfile.py")
STARTUP_BOUND_S = 30
REPORT_BOUND_S = 15
_WRAPPED = re.compile(r"^CatchResponseError\('(.*)'\)$")  # how Locust names a failure we marked


@dataclass(frozen=True)
class SoakResult:
    """What Locust measured: requests, failures by error, latency, throughput; and the files kept."""

    requests: int
    failures: int
    errors: dict[str, int]
    median_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    requests_per_s: float
    files: list[WrittenFile]

    @property
    def success_pct(self) -> float | None:
        """Returns the share of requests that succeeded, or None when none was sent."""
        return 100 * (self.requests - self.failures) / self.requests if self.requests else None

    def summary(self) -> str:
        """Returns the soak's statistics in one line."""
        errors = ", ".join(f"{name}: {count}" for name, count in self.errors.items()) or "none"
        share = "n/a" if self.success_pct is None else f"{self.success_pct:.2f} %"
        return (f"{self.requests} requests ({self.requests_per_s:.0f}/s while Locust sent), {self.failures} "
                f"failed ({errors}); succeeded {share}; latency median {self.median_ms} ms, p95 {self.p95_ms} ms, "
                f"max {self.max_ms} ms")


class Soak:
    """Runs Locust against the health route for at most settings.seconds and settings.max_requests."""

    def __init__(self, base_url: str, path: str, ca_file: str | None, settings: UptimeSoak, timeout_s: float,
                 folder: Path) -> None:
        self.base_url, self.path, self.ca_file = base_url, path, ca_file
        self.settings, self.timeout_s, self.folder = settings, timeout_s, folder
        self._work: Path | None = None
        self._locust: LocustProcesses | None = None
        self._started = 0.0

    def __enter__(self) -> Soak:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Tells whether Locust runs and its first user has started."""
        return self._locust is not None and self._locust.running() and self._work is not None \
            and (self._work / "ready").exists()

    @property
    def run_time_s(self) -> int:
        """Returns Locust's run time: the soak's seconds, rounded up to whole seconds."""
        return max(1, math.ceil(self.settings.seconds))

    def start(self) -> None:
        """Starts Locust and returns once its first user runs; raises TargetError if it does not."""
        self._work = Path(tempfile.mkdtemp(prefix="lhv-soak-"))
        spec = {"path": self.path, "ca_file": self.ca_file, "timeout_s": self.timeout_s,
                "max_requests": self.settings.max_requests, "out_dir": str(self._work)}
        self._locust = LocustProcesses(LOCUSTFILE, self._work, {**os.environ, "LHV_SOAK_SPEC": json.dumps(spec)},
                                       host=self.base_url, run_time_s=self.run_time_s, stop_timeout_s=1,
                                       report="soak", users=self.settings.users,
                                       spawn_rate=self.settings.spawn_rate)
        self._started = time.monotonic()
        self._locust.start()
        try:
            self._locust.wait_ready((self._work / "ready").exists, STARTUP_BOUND_S, "the Locust soak")
        except TargetError:
            self.stop()
            raise

    def finish(self) -> SoakResult:
        """Waits for Locust to end (bounded), keeps its reports in the folder and returns its statistics."""
        if self._locust is None or self._work is None:
            raise RuntimeError("the soak was not started")
        try:
            self._locust.wait(self._started + self.run_time_s + REPORT_BOUND_S)
        except subprocess.TimeoutExpired:
            self.stop()
            raise TargetError(f"the Locust soak did not end within its bound ({self.run_time_s} s plus "
                              f"{REPORT_BOUND_S} s for the report)") from None
        self._locust.stop()
        result = _read_stats(self._work, self._keep_files())
        self.stop()
        return result

    def stop(self) -> None:
        """Stops Locust if it still runs and removes its scratch folder."""
        if self._locust is not None:
            self._locust.stop()
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None

    def _keep_files(self) -> list[WrittenFile]:
        described = {"soak-report.html": "Locust's HTML report of the soak",
                     "soak_stats.csv": "Locust's request statistics of the soak (CSV)",
                     "soak_failures.csv": "Locust's failures of the soak by error (CSV)",
                     "soak_stats_history.csv": "Locust's statistics of the soak over time (CSV)",
                     "locust.log": "Locust's console output"}
        self.folder.mkdir(parents=True, exist_ok=True)
        kept = []
        for name, description in described.items():
            source = self._work / name if self._work else None
            if source is not None and source.is_file():
                shutil.copyfile(source, self.folder / name)
                kept.append(WrittenFile(name, description))
        return kept


def _read_stats(work: Path, files: list[WrittenFile]) -> SoakResult:
    stats = work / "soak_stats.csv"
    if not stats.is_file():
        tail = (work / "locust.log").read_text(errors="replace")[-600:]
        raise TargetError(f"the Locust soak wrote no statistics: {tail.strip()}")
    with stats.open(newline="") as handle:
        total = next((row for row in csv.DictReader(handle) if row["Name"] == "Aggregated"), None)
    errors: dict[str, int] = {}
    failures_file = work / "soak_failures.csv"
    if failures_file.is_file():
        with failures_file.open(newline="") as handle:
            for row in csv.DictReader(handle):
                error = _WRAPPED.sub(r"\1", row["Error"])
                errors[error] = errors.get(error, 0) + int(row["Occurrences"])
    if total is None:
        return SoakResult(0, 0, errors, None, None, None, 0.0, files)
    requests = int(total["Request Count"])

    def number(key: str) -> float | None:
        value = total.get(key, "N/A")
        return None if not requests or value in ("N/A", "") else round(float(value), 1)

    return SoakResult(requests, int(total["Failure Count"]), errors, number("50%"), number("95%"),
                      number("Max Response Time"), float(total["Requests/s"]), files)
