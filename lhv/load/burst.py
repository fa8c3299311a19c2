"""Runs a bounded burst with Locust in its own process(es) and reads back every request's outcome."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lhv.core.errors import HarnessFault, NotApplicable, TargetError
from lhv.core.secrets import SECRETS
from lhv.load.locust import LocustProcesses

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
        users = max(1, self.workers)
        locust = LocustProcesses(LOCUSTFILE, work, env, host=self.base_url,
                                 run_time_s=max(1, int(STARTUP_BOUND_S + time_bound_s + 0.999)), stop_timeout_s=2,
                                 report="locust", users=users, spawn_rate=users, workers=self.workers)
        try:
            locust.start()
            locust.wait_ready(lambda: len(list(work.glob("ready-*"))) >= users, STARTUP_BOUND_S, "Locust",
                              shown=_scrub)
            go = work / "go.tmp"
            go.touch(mode=0o600)
            go.write_text(json.dumps(prepare()))
            go.replace(work / "go.json")
            killed = locust.wait(time.monotonic() + time_bound_s + 15)  # the burst, the stop and the final report
            if killed:
                raise HarnessFault(f"a Locust process of the burst was killed (signal {killed[0]}) before the "
                                   "burst ended")
        except subprocess.TimeoutExpired:
            raise TargetError(f"the Locust burst did not end within its bound ({time_bound_s:.0f} s "
                              "plus 15 s for the report)") from None
        finally:
            (work / "go.json").unlink(missing_ok=True)  # it holds tokens
            locust.stop()
        return _scrub(locust.console())

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
