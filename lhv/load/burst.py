"""Runs a bounded burst with Locust in its own process(es) and reads back every request's outcome."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lhv.core.errors import HarnessFault, NotApplicable, TargetError
from lhv.core.secrets import SECRETS

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MAX_BURST_REQUESTS = 5000
STARTUP_BOUND_S = 30
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class BurstRequest:
    """One planned request of a burst; lane names whose budget it spends (e.g. 'anonymous', 'user')."""

    lane: str
    method: str
    path: str
    authenticated: bool = False


@dataclass(frozen=True)
class Outcome:
    """What one request of the burst got."""

    seq: int
    lane: str
    sent: float
    received: float
    status: int | None
    retry_after: str | None
    error: str | None


@dataclass
class BurstResult:
    """Every outcome in send order, the evidence files kept, and how the burst ran."""

    outcomes: list[Outcome]
    attachments: list[dict[str, str]]
    planned: int
    workers: int
    wall_s: float
    log_tail: str = ""

    def lane(self, name: str) -> list[Outcome]:
        """Returns one lane's outcomes in send order."""
        return [o for o in self.outcomes if o.lane == name]


def is_loopback(url: str) -> bool:
    """Tells whether every address the URL's host resolves to is on this machine's loopback."""
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


@dataclass
class LoadDriver:
    """Runs bursts against one target: bounded, consented, with Locust's reports kept as evidence."""

    base_url: str
    ca_file: str | None
    record_dir: Path
    consent: bool
    workers: int = 0  # 0: one local Locust process; n: a master and n worker processes

    def require_consent(self) -> None:
        """Raises NotApplicable unless the target is on loopback or load was consented to."""
        if not self.consent and not is_loopback(self.base_url):
            raise NotApplicable(f"no consent to load {urlsplit(self.base_url).hostname}: bursts run against a "
                                "non-loopback target only with target.allow_load = true or --allow-load")

    def run(self, plan_id: str, name: str, requests: list[BurstRequest], *, time_bound_s: float,
            prepare: Callable[[], dict[str, str]] = dict) -> BurstResult:
        """Starts Locust, calls prepare() once it is ready (to wait for a quiet client and fetch fresh
        tokens: lane → bearer token), then sends the requests in order (split across workers in
        distributed mode); the whole burst is bounded by time_bound_s after Locust is up."""
        self.require_consent()
        if not 0 < len(requests) <= MAX_BURST_REQUESTS:
            raise ValueError(f"a burst has 1–{MAX_BURST_REQUESTS} requests, not {len(requests)}")
        evidence = self.record_dir / "attachments" / plan_id / name
        evidence.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="lhv-burst-") as scratch:
            work = Path(scratch)
            spec = {"requests": [{"seq": i, "lane": r.lane, "method": r.method, "path": r.path,
                                  "auth": r.authenticated} for i, r in enumerate(requests)],
                    "ca_file": self.ca_file, "workers": max(1, self.workers), "out_dir": str(work),
                    "time_bound_s": time_bound_s}
            (work / "spec.json").write_text(json.dumps(spec))  # a file: a long burst exceeds one variable's limit
            env = {**os.environ, "LHV_BURST_SPEC": str(work / "spec.json")}
            started = time.monotonic()
            log = self._run_locust(work, env, time_bound_s, prepare)
            wall = time.monotonic() - started
            outcomes = sorted((Outcome(**json.loads(line)) for path in work.glob("outcomes-*.jsonl")
                               for line in path.read_text().splitlines() if line.strip()), key=lambda o: o.seq)
            attachments = self._keep_evidence(work, evidence, plan_id, name, outcomes, log)
        return BurstResult(outcomes, attachments, len(requests), max(1, self.workers), wall, log[-1500:])

    def _run_locust(self, work: Path, env: dict[str, str], time_bound_s: float,
                    prepare: Callable[[], dict[str, str]]) -> str:
        common = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
        run_time = max(1, int(STARTUP_BOUND_S + time_bound_s + 0.999))
        report = ["-H", self.base_url, "--run-time", f"{run_time}s", "--stop-timeout", "2",
                  "--csv", str(work / "locust"), "--html", str(work / "locust-report.html"), "--only-summary"]
        users = max(1, self.workers)
        log_path = work / "locust.log"
        with log_path.open("wb") as log:
            def start(args: list[str]) -> subprocess.Popen:
                return subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)

            if self.workers <= 0:
                processes = [start(common + report + ["-u", "1", "-r", "1"])]
            else:
                port = _free_port()
                processes = [start(common + report + ["--master", "--master-bind-host", "127.0.0.1",
                                                      "--master-bind-port", str(port), "--expect-workers",
                                                      str(self.workers), "-u", str(users), "-r", str(users)])]
                processes += [start(common + ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)])
                              for _ in range(self.workers)]
            try:
                self._wait_ready(work, users, processes, log_path)
                go = work / "go.tmp"
                go.touch(mode=0o600)
                go.write_text(json.dumps(prepare()))
                go.replace(work / "go.json")
                deadline = time.monotonic() + time_bound_s + 15  # the burst, the stop and the final report
                for process in processes:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                killed = [p.returncode for p in processes if p.returncode < 0]
                if killed:
                    raise HarnessFault(f"a Locust process of the burst was killed (signal {-killed[0]}) before the "
                                       "burst ended")
            except subprocess.TimeoutExpired:
                raise TargetError(f"the Locust burst did not end within its bound ({time_bound_s:.0f} s "
                                  "plus 15 s for the report)") from None
            finally:
                (work / "go.json").unlink(missing_ok=True)  # it holds tokens
                for process in processes:
                    if process.poll() is None:
                        process.kill()
                        process.wait()
        return _scrub(log_path.read_text(errors="replace"))

    @staticmethod
    def _wait_ready(work: Path, users: int, processes: list[subprocess.Popen], log_path: Path) -> None:
        deadline = time.monotonic() + STARTUP_BOUND_S
        while len(list(work.glob("ready-*"))) < users:
            if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
                tail = _scrub(log_path.read_text(errors="replace"))[-600:]
                raise TargetError(f"Locust did not get ready within {STARTUP_BOUND_S} s: {tail.strip()}")
            time.sleep(0.02)

    def _keep_evidence(self, work: Path, evidence: Path, plan_id: str, name: str, outcomes: list[Outcome],
                       log: str) -> list[dict[str, str]]:
        kept: list[dict[str, str]] = []
        described = {"locust-report.html": "Locust's HTML report of the burst",
                     "locust_stats.csv": "Locust's request statistics (CSV)",
                     "locust_failures.csv": "Locust's failures (CSV): statuses other than 200 and 429",
                     "locust_stats_history.csv": "Locust's statistics over time (CSV)"}
        for file_name, description in described.items():
            source = work / file_name
            if source.is_file():
                (evidence / file_name).write_text(_scrub(source.read_text(errors="replace")), encoding="utf-8")
                kept.append({"name": f"attachments/{plan_id}/{name}/{file_name}", "description": description})
        (evidence / "outcomes.jsonl").write_text("".join(json.dumps(o.__dict__) + "\n" for o in outcomes))
        kept.append({"name": f"attachments/{plan_id}/{name}/outcomes.jsonl",
                     "description": "every request of the burst: sequence, lane, send and receive time, status, "
                                    "Retry-After"})
        (evidence / "locust.log").write_text(log, encoding="utf-8")
        kept.append({"name": f"attachments/{plan_id}/{name}/locust.log", "description": "Locust's console output"})
        return kept


def _scrub(text: str) -> str:
    """Removes the run's secrets and any JWT from a Locust artefact without touching anything else."""
    for secret in SECRETS.values():
        text = text.replace(secret, "[REDACTED]")
    return _JWT.sub("[REDACTED token]", text)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
