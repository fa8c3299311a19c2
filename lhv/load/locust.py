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


class LocustProcesses:
    """Starts Locust with a locustfile against a host, keeps its console in work/locust.log, and stops it."""

    def __init__(self, locustfile: Path, work: Path, env: dict[str, str], *, host: str, run_time_s: int,
                 stop_timeout_s: int, report: str, users: int, spawn_rate: float, workers: int = 0):
        self.work, self.env, self.workers = work, env, workers
        self.log_path = work / "locust.log"
        self._common = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless"]
        self._report = ["-H", host, "--run-time", f"{run_time_s}s", "--stop-timeout", str(stop_timeout_s),
                        "--csv", str(work / report), "--html", str(work / f"{report}-report.html"),
                        "--only-summary", "-u", str(users), "-r", f"{spawn_rate:g}"]
        self.processes: list[subprocess.Popen] = []
        self._log: BinaryIO | None = None

    def start(self) -> None:
        """Starts the one process, or the master and every worker on loopback."""
        self._log = self.log_path.open("wb")
        if self.workers <= 0:
            self.processes = [self._spawn(self._common + self._report)]
            return
        port = _free_port()
        self.processes = [self._spawn(self._common + self._report + [
            "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
            "--expect-workers", str(self.workers)])]
        self.processes += [self._spawn(self._common + ["--worker", "--master-host", "127.0.0.1",
                                                       "--master-port", str(port)]) for _ in range(self.workers)]

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

    def _spawn(self, args: list[str]) -> subprocess.Popen:
        return subprocess.Popen(args, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
