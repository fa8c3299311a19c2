"""Locust in its own processes, headless: one process or a master and its workers, bounded, and always stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from lhv.core.errors import TargetError

WORKER_NAME = "LHV_LOAD_WORKER_NAME"  # how a worker names itself in a burst's evidence (lhv/load/locustfile.py)


class LocustProcesses:
    """Starts Locust with a locustfile against a host, keeps its console in work/locust.log, and stops it."""

    def __init__(self, locustfile: Path, work: Path, env: dict[str, str], *, host: str, run_time_s: int,
                 stop_timeout_s: int, report: str, users: int, spawn_rate: float, workers: int = 0,
                 local_workers: int | None = None, master_bind_host: str = "127.0.0.1", master_port: int = 0,
                 master_env: dict[str, str] | None = None, master_fds: tuple[int, ...] = (),
                 expect_workers_max_wait_s: float | None = None):
        """workers > 0: a master that expects that many workers, of which local_workers (default: all) start here,
        each named local-<i> in WORKER_NAME; master_env and master_fds go to the master (or the one process) only."""
        self.work, self.env, self.workers = work, env, workers
        self.local_workers = workers if local_workers is None else local_workers
        self.master_bind_host, self.master_port = master_bind_host, master_port
        self.master_env, self.master_fds = {**env, **(master_env or {})}, master_fds
        self.expect_workers_max_wait_s = expect_workers_max_wait_s
        self.master_address: tuple[str, int] | None = None
        self.log_path = work / "locust.log"
        self._locustfile = str(locustfile)
        self._common = [sys.executable, "-m", "locust", "-f", self._locustfile, "--headless"]
        self._report = ["-H", host, "--run-time", f"{run_time_s}s", "--stop-timeout", str(stop_timeout_s),
                        "--csv", str(work / report), "--html", str(work / f"{report}-report.html"),
                        "--only-summary", "-u", str(users), "-r", f"{spawn_rate:g}"]
        self.processes: list[subprocess.Popen] = []
        self._log: BinaryIO | None = None

    def start(self) -> None:
        """Starts the one process, or the master and the workers that run on this machine."""
        self._log = self.log_path.open("wb")
        if self.workers <= 0:
            self.processes = [self._spawn(self._common + self._report, self.master_env, self.master_fds)]
            return
        port = self.master_port or _free_port(self.master_bind_host)
        self.master_address = (self.master_bind_host, port)
        wait = ["--expect-workers-max-wait", f"{self.expect_workers_max_wait_s:g}"] \
            if self.expect_workers_max_wait_s else []
        self.processes = [self._spawn(self._common + self._report + [
            "--master", "--master-bind-host", self.master_bind_host, "--master-bind-port", str(port),
            "--expect-workers", str(self.workers)] + wait, self.master_env, self.master_fds)]
        self.processes += [self._spawn(worker_command(self._locustfile, _reachable(self.master_bind_host), port),
                                       {**self.env, WORKER_NAME: f"local-{index}"})
                           for index in range(1, self.local_workers + 1)]

    def wait_ready(self, ready: Callable[[], bool], bound_s: float, what: str,
                   shown: Callable[[str], str] = str) -> None:
        """Waits until ready() holds; raises TargetError with the console's tail if a process ends or bound_s passes."""
        deadline = time.monotonic() + bound_s
        while not ready():
            if any(process.poll() is not None for process in self.processes) or time.monotonic() > deadline:
                tail = shown(self.console())[-600:]
                self.stop()
                raise TargetError(f"{what} did not start within {bound_s:g} s: {tail.strip()}")
            time.sleep(0.02)

    def wait(self, deadline: float) -> list[int]:
        """Waits for every process to end by the monotonic deadline (subprocess.TimeoutExpired if not); returns
        the signals of those that were killed."""
        for process in self.processes:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        return [-process.returncode for process in self.processes if process.returncode < 0]

    def stop(self) -> None:
        """Kills whatever still runs and closes the console file."""
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def running(self) -> bool:
        """Tells whether every process still runs."""
        return bool(self.processes) and all(process.poll() is None for process in self.processes)

    def console(self) -> str:
        """Locust's console output so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _spawn(self, args: list[str], env: dict[str, str], fds: tuple[int, ...] = ()) -> subprocess.Popen:
        return subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                pass_fds=fds)


def worker_command(locustfile: str, master_host: str, master_port: int) -> list[str]:
    """The command line of a Locust worker of this locustfile that joins the master at master_host:master_port."""
    return [sys.executable, "-m", "locust", "--worker", "-f", locustfile, "--master-host", master_host,
            "--master-port", str(master_port)]


def _reachable(bind_host: str) -> str:
    """Where a worker on this machine finds a master bound to bind_host."""
    return {"0.0.0.0": "127.0.0.1", "*": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(bind_host, bind_host)


def _free_port(bind_host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in bind_host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind(("" if bind_host == "*" else bind_host, 0))
        return sock.getsockname()[1]
