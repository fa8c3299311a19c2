"""Runs a bounded burst with Locust in its own process(es) and reads back every request's outcome.

The harness talks to Locust's master (or its one local process) over a socket pair the master inherits, and the
master to its workers over Locust's own messages (lhv/load/locustfile.py): the spec, the shares, the tokens and
the outcomes never touch a file, so workers may run on other machines (python -m lhv.load.worker).
"""

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
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from lhv.core.errors import ConfigError, HarnessFault, NotApplicable, TargetError
from lhv.core.secrets import SECRETS
from lhv.load.locust import LocustProcesses

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
CONTROL_FD = "LHV_BURST_CONTROL_FD"  # as lhv/load/locustfile.py reads it (that file imports nothing of lhv)
MAX_BURST_REQUESTS = 5000
STARTUP_BOUND_S = 30
REPORT_BOUND_S = 15  # after the time bound: the last outcomes, the stop and the final report
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

    @classmethod
    def from_message(cls, data: dict) -> Outcome:
        """Reads one outcome as a worker sent it (keys it does not know are ignored, missing ones are None)."""
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})


@dataclass
class BurstResult:
    """Every outcome in send order, the evidence files kept, how the burst ran and which workers held its shares."""

    outcomes: list[Outcome]
    attachments: list[dict[str, str]]
    planned: int
    workers: int
    wall_s: float
    log_tail: str = ""
    joined: list[dict] = field(default_factory=list)  # per share: index, name, host, pid, Locust id, requests

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


class _Channel:
    """The harness's end of the socket pair to Locust's master: JSON lines both ways, every read bounded."""

    def __init__(self) -> None:
        self.ours, self.theirs = socket.socketpair()
        self._buffer = bytearray()

    def send(self, message: dict, timeout_s: float) -> None:
        """Sends one line; raises OSError (socket.timeout included) if the master does not take it in time."""
        self.ours.settimeout(timeout_s)
        self.ours.sendall(json.dumps(message).encode() + b"\n")

    def receive(self, deadline: float, alive: Callable[[], bool] = lambda: True) -> dict | None:
        """Returns the next line, or None once the monotonic deadline passes; raises EOFError when the master has
        closed its end (or alive() turns false before a whole line came)."""
        while b"\n" not in self._buffer:
            if time.monotonic() > deadline:
                return None
            self.ours.settimeout(0.1)
            try:
                chunk = self.ours.recv(1 << 16)
            except TimeoutError:
                if not alive():
                    raise EOFError from None
                continue
            if not chunk:
                raise EOFError
            self._buffer += chunk
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        return json.loads(line)

    def close(self) -> None:
        """Closes both ends (the master's is closed here once it has inherited it)."""
        self.ours.close()
        self.theirs.close()


@dataclass
class LoadDriver:
    """Runs bursts against one target: bounded, consented, with Locust's reports kept as evidence."""

    base_url: str
    ca_file: str | None
    record_dir: Path
    consent: bool
    workers: int = 0  # 0: one local Locust process; n: a master that waits for n workers
    local_workers: int | None = None  # workers started here (None: all n); the rest join from elsewhere
    master_bind_host: str = "127.0.0.1"  # where the master listens for workers ("0.0.0.0": other machines)
    master_port: int = 0  # 0: any free port (workers started here only)
    join_bound_s: float = STARTUP_BOUND_S  # how long the master waits for its workers and their users

    def require_consent(self) -> None:
        """Raises NotApplicable unless the target is on loopback or load was consented to."""
        if not self.consent and not is_loopback(self.base_url):
            raise NotApplicable(f"no consent to load {urlsplit(self.base_url).hostname}: bursts run against a "
                                "non-loopback target only with target.allow_load = true or --allow-load")

    def run(self, plan_id: str, name: str, requests: list[BurstRequest], *, time_bound_s: float,
            prepare: Callable[[], dict[str, str]] = dict) -> BurstResult:
        """Starts Locust, calls prepare() once every worker holds its share (to wait for a quiet client and fetch
        fresh tokens: lane → bearer token), then sends the requests in order (split across workers in distributed
        mode); the whole burst is bounded by time_bound_s after Locust is ready."""
        self.require_consent()
        if not 0 < len(requests) <= MAX_BURST_REQUESTS:
            raise ValueError(f"a burst has 1–{MAX_BURST_REQUESTS} requests, not {len(requests)}")
        evidence = self.record_dir / "attachments" / plan_id / name
        evidence.mkdir(parents=True, exist_ok=True)
        spec = {"requests": [{"seq": i, "lane": r.lane, "method": r.method, "path": r.path,
                              "auth": r.authenticated} for i, r in enumerate(requests)],
                "ca_pem": self._trust_store(), "workers": max(1, self.workers), "time_bound_s": time_bound_s}
        with tempfile.TemporaryDirectory(prefix="lhv-burst-") as scratch:
            work = Path(scratch)
            started = time.monotonic()
            exchange = _Exchange(self, work, spec)
            log = exchange.run(prepare)
            wall = time.monotonic() - started
            outcomes = sorted((Outcome.from_message(o) for o in exchange.outcomes), key=lambda o: o.seq)
            attachments = self._keep_evidence(work, evidence, plan_id, name, outcomes, log, exchange.who())
        return BurstResult(outcomes, attachments, len(requests), max(1, self.workers), wall, log[-1500:],
                           exchange.shares)

    def _trust_store(self) -> str | None:
        """The profile's trust store as PEM text, for workers that may not share this machine's files."""
        if not self.ca_file:
            return None
        try:
            return Path(self.ca_file).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(self.ca_file, None, f"the trust store cannot be read as PEM text "
                                                  f"({getattr(exc, 'strerror', None) or exc})") from None

    def _keep_evidence(self, work: Path, evidence: Path, plan_id: str, name: str, outcomes: list[Outcome],
                       log: str, who: dict) -> list[dict[str, str]]:
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
        (evidence / "workers.json").write_text(_scrub(json.dumps(who, indent=2)) + "\n", encoding="utf-8")
        kept.append({"name": f"attachments/{plan_id}/{name}/workers.json",
                     "description": "who sent the burst: the Locust processes that joined (name, host, process id, "
                                    "Locust id), each one's share and its clock's offset from the master's"})
        (evidence / "locust.log").write_text(log, encoding="utf-8")
        kept.append({"name": f"attachments/{plan_id}/{name}/locust.log", "description": "Locust's console output"})
        return kept


class _Exchange:
    """One burst's conversation with Locust's master: spec, readiness, tokens, outcomes; always ends its processes."""

    def __init__(self, driver: LoadDriver, work: Path, spec: dict) -> None:
        self.driver, self.work, self.spec = driver, work, spec
        self.expected = spec["workers"]
        self.local = self.expected if driver.local_workers is None else min(driver.local_workers, self.expected)
        self.distributed = driver.workers > 0
        self.joined: list[dict] = []  # the master's last word on who is connected
        self.shares: list[dict] = []
        self.outcomes: list[dict] = []
        self.end: dict = {}
        self.locust: LocustProcesses | None = None

    def run(self, prepare: Callable[[], dict[str, str]]) -> str:
        """Runs the burst; returns Locust's console output, scrubbed."""
        channel = _Channel()
        time_bound_s = self.spec["time_bound_s"]
        fd = channel.theirs.fileno()
        self.locust = locust = LocustProcesses(
            LOCUSTFILE, self.work, dict(os.environ), host=self.driver.base_url,
            run_time_s=max(1, int(STARTUP_BOUND_S + time_bound_s + 0.999)), stop_timeout_s=2, report="locust",
            users=self.expected, spawn_rate=self.expected, workers=self.driver.workers, local_workers=self.local,
            master_bind_host=self.driver.master_bind_host, master_port=self.driver.master_port,
            master_env={CONTROL_FD: str(fd)}, master_fds=(fd,),
            expect_workers_max_wait_s=self.driver.join_bound_s + REPORT_BOUND_S)
        try:
            locust.start()
            channel.theirs.close()  # the master holds it now: its exit closes the channel
            self._tell(channel, {"spec": self.spec}, self.driver.join_bound_s, "before it took the burst's spec")
            self._await_ready(channel)
            tokens = prepare()
            self._tell(channel, {"go": tokens}, REPORT_BOUND_S, "before the burst could start")  # never a file
            del tokens
            deadline = time.monotonic() + time_bound_s + REPORT_BOUND_S
            self._collect(channel, deadline)
            killed = locust.wait(deadline)
            if killed:
                raise HarnessFault(f"a Locust process of the burst was killed (signal {killed[0]}) before the "
                                   "burst ended")
        except BaseException as exc:
            self._abandon(channel, f"the harness stopped the burst ({type(exc).__name__})")
            if isinstance(exc, subprocess.TimeoutExpired):
                raise TargetError(f"the Locust burst did not end within its bound ({time_bound_s:.0f} s "
                                  f"plus {REPORT_BOUND_S} s for the report)") from None
            raise
        finally:
            locust.stop()
            channel.close()
        return self.console()

    def console(self) -> str:
        """Locust's console output so far, scrubbed."""
        return _scrub(self.locust.console()) if self.locust else ""

    def who(self) -> dict:
        """The burst's evidence of who took part."""
        mode = (f"distributed: a master and {self.expected} worker(s), {self.local} started here"
                if self.distributed else "one local Locust process")
        master = {"host": socket.gethostname()}
        if self.locust is not None and self.locust.master_address:
            master["listens_on"] = _address(self.locust.master_address)
        return {"mode": mode, "master": master, "expected": self.expected, "shares": self.shares,
                "joined": self.joined, "missing_outcomes_from": self.end.get("missing", [])}

    def _await_ready(self, channel: _Channel) -> None:
        deadline = time.monotonic() + self.driver.join_bound_s
        while True:
            try:
                line = channel.receive(deadline, alive=self.locust.running)
            except EOFError:
                raise self._ended(f"before the burst was ready{self._roll_call()}") from None
            if line is None:
                raise TargetError(f"the burst was not ready within {self.driver.join_bound_s:g} s{self._roll_call()}"
                                  f": {self.console()[-400:].strip()}")
            if "progress" in line:
                self.joined = line["progress"]["joined"]
            elif "ready" in line:
                self.shares, self.joined = line["ready"]["workers"], line["ready"]["joined"]
                return

    def _tell(self, channel: _Channel, message: dict, timeout_s: float, when: str) -> None:
        try:
            channel.send(message, timeout_s)
        except OSError:
            raise self._ended(when) from None

    def _ended(self, when: str) -> Exception:
        """The error for a Locust process that ended too soon: a harness fault if a signal killed it."""
        settle = time.monotonic() + 2  # a dying master closes its socket a moment before it can be reaped
        while self.locust.running() and time.monotonic() < settle:
            time.sleep(0.02)
        codes = [p.poll() for p in self.locust.processes if p.poll() is not None]
        killed = [-code for code in codes if code < 0]
        if killed:
            return HarnessFault(f"a Locust process of the burst was killed (signal {killed[0]}) {when}")
        return TargetError(f"a Locust process ended (exit {', '.join(map(str, codes)) or '?'}) {when}: "
                           f"{self.console()[-600:].strip()}")

    def _roll_call(self) -> str:
        if not self.distributed:
            return ""
        return "; " + roll_call(self.expected, self.local, self.joined, self.locust.master_address)

    def _collect(self, channel: _Channel, deadline: float) -> None:
        while True:
            try:
                line = channel.receive(deadline)
            except EOFError:
                return  # the master ended without its last word: the outcomes show what is missing
            if line is None:
                raise subprocess.TimeoutExpired("locust", 0)
            if "outcomes" in line:
                self.outcomes += line["outcomes"]
            elif "end" in line:
                self.end = line["end"]
                return

    def _abandon(self, channel: _Channel, why: str) -> None:
        """Tells the master to end the run (so workers elsewhere quit too) and gives it a moment to do so."""
        try:
            channel.send({"abort": why}, 1)
            self.locust.wait(time.monotonic() + 3)
        except (OSError, subprocess.TimeoutExpired):
            pass


def roll_call(expected: int, local: int, joined: list[dict], master: tuple[str, int] | None) -> str:
    """Says how many of the expected workers joined the master, who they are and who is missing: the workers
    started here by name (local-<i>), those to be started elsewhere by count and how to start them."""
    names = {str(w.get("name")) for w in joined}
    missing = [f"local-{i}" for i in range(1, local + 1) if f"local-{i}" not in names]
    elsewhere = expected - local - sum(1 for w in joined if not str(w.get("name")).startswith("local-"))
    if elsewhere > 0:
        where = _address(master) if master else "HOST:PORT"
        missing.append(f"{elsewhere} to be started elsewhere (python -m lhv.load.worker --master {where})")
    who = "; ".join(f"{w.get('name') or '?'} (host {w.get('host') or '?'}, id {w.get('id')})" for w in joined)
    if len(joined) >= expected:
        return f"all {expected} Locust worker(s) joined ({who}) but not every one had its user ready"
    return (f"only {len(joined)} of {expected} Locust worker(s) joined the master: joined: {who or 'none'}; "
            f"missing: {', '.join(missing) or 'unknown'}")


def _address(host_port: tuple[str, int]) -> str:
    host, port = host_port
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _scrub(text: str) -> str:
    """Removes the run's secrets and any JWT from a Locust artefact without touching anything else."""
    for secret in SECRETS.values():
        text = text.replace(secret, "[REDACTED]")
    return _JWT.sub("[REDACTED token]", text)
