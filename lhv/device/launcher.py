"""Starts the reference device in its own process and stops it again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lhv.core.errors import TargetError
from lhv.device.settings import DeviceSettings

START_TIMEOUT_S = 60
PARENT_ENV = "LHV_DEVICE_PARENT"  # the pid of the process that started the device: it stops once that one is gone


@dataclass
class RunningDevice:
    """A started device: its URLs, trust anchor, credentials and process."""

    https_url: str
    http_url: str
    ca_cert: Path
    credentials: dict[str, dict[str, str]]
    log_file: Path
    database: Path
    state_dir: Path
    process: subprocess.Popen

    def stop(self) -> None:
        """Stops the device process."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def spawn(settings_file: Path, ready_file: Path, output: BinaryIO) -> subprocess.Popen:
    """Starts `python -m lhv.device SETTINGS READY`, its output into output."""
    # the harness's own tests put a fork of a preloaded device process here (tests/forked_device.py)
    return subprocess.Popen([sys.executable, "-m", "lhv.device", str(settings_file), str(ready_file)],
                            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env={**os.environ, PARENT_ENV: str(os.getpid())})


@dataclass
class StartingDevice:
    """A device process that was started and may not be ready yet."""

    settings: DeviceSettings
    process: subprocess.Popen
    output: BinaryIO
    ready_file: Path
    deadline: float

    def ready(self) -> RunningDevice:
        """Waits until the device serves; raises TargetError if it does not come up (no process is left behind)."""
        state = Path(self.settings.state_dir)
        try:
            while not self.ready_file.exists():
                if self.process.poll() is not None or time.monotonic() > self.deadline:
                    tail = (state / "device.out").read_text(errors="replace")[-800:]
                    raise TargetError(f"the reference device did not start (exit {self.process.poll()}): "
                                      f"{tail.strip()}")
                time.sleep(0.05)
        except BaseException:  # not started, timed out or interrupted
            self.cancel()
            raise
        finally:
            self.output.close()
        info = json.loads(self.ready_file.read_text())
        return RunningDevice(info["https_url"], info["http_url"], Path(info["ca_cert"]),
                             json.loads(Path(info["credentials_file"]).read_text()),
                             Path(info["log_file"]), Path(info["database"]), state, self.process)

    def cancel(self) -> None:
        """Stops the process, started or not."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.output.close()


def begin_device(settings: DeviceSettings) -> StartingDevice:
    """Starts a device with these settings and returns without waiting for it."""
    state = Path(settings.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    settings_file, ready_file = state / "settings.json", state / "ready.json"
    settings.save(settings_file)
    ready_file.unlink(missing_ok=True)
    output = (state / "device.out").open("wb")
    process = spawn(settings_file, ready_file, output)
    return StartingDevice(settings, process, output, ready_file, time.monotonic() + START_TIMEOUT_S)


def start_device(settings: DeviceSettings) -> RunningDevice:
    """Starts a device with these settings; raises TargetError if it does not come up."""
    return begin_device(settings).ready()
