"""An embedded device never outlives the harness that started it, even one killed with SIGKILL."""

import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow

STARTER = """
import sys, tempfile, time
from lhv.device.launcher import start_device
from lhv.device.settings import DeviceSettings
device = start_device(DeviceSettings(state_dir=tempfile.mkdtemp(prefix="lhv-orphan-")))
print(device.process.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split(") ")[-1][0] != "Z"  # a zombie has stopped; it waits only for its reaper


def test_a_device_whose_harness_was_killed_stops_by_itself():
    env = {**os.environ, "LHV_TESTS_SUBPROCESS": "1"}  # a real spawned device, not one forked by the test servers
    starter = subprocess.Popen([sys.executable, "-c", STARTER], stdout=subprocess.PIPE, text=True, env=env)
    try:
        device = int(starter.stdout.readline())
        assert _alive(device)
        starter.send_signal(signal.SIGKILL)
        starter.wait(timeout=30)
        deadline = time.monotonic() + 60  # generous: busy cores; the device polls every 0.5 s and stops gracefully
        while _alive(device) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(device), "the orphaned device is still running"
    finally:
        starter.kill()
        starter.wait()
