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


EARLY = """
import os, sys
from pathlib import Path
from lhv.session import target
from lhv.session.profile import embedded_profile
target.start_device_early(embedded_profile())
early = target._early
print(early.process.pid, early.settings.state_dir, flush=True)
if sys.argv[1] == "take":
    opened = target.open_target(embedded_profile())
    assert opened.device.process.pid == early.process.pid and target._early is None
    print("taken", flush=True)
    opened.stop()
"""


@pytest.mark.parametrize("ending", ["left", "take"])
def test_a_device_started_early_is_taken_by_the_run_or_stopped_with_its_folder_at_exit(ending):
    done = subprocess.run([sys.executable, "-c", EARLY, ending], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LHV_TESTS_SUBPROCESS": "1"})
    assert done.returncode == 0, done.stderr
    pid, state_dir = done.stdout.split()[:2]
    assert ("taken" in done.stdout) == (ending == "take")
    assert not _alive(int(pid)), "the device outlived the process that started it early"
    assert not os.path.exists(state_dir), "the early device's folder (its credentials) was left behind"


GONE_AT_ONCE = """
import os, tempfile
from lhv.device.launcher import begin_device
from lhv.device.settings import DeviceSettings
starting = begin_device(DeviceSettings(state_dir=tempfile.mkdtemp(prefix="lhv-orphan-")))
print(starting.process.pid, flush=True)
os._exit(0)  # gone before the device has even imported its server
"""


def test_a_device_whose_harness_is_gone_before_the_device_has_started_stops_by_itself():
    env = {**os.environ, "LHV_TESTS_SUBPROCESS": "1"}
    done = subprocess.run([sys.executable, "-c", GONE_AT_ONCE], capture_output=True, text=True, env=env, timeout=60)
    device = int(done.stdout)
    deadline = time.monotonic() + 60
    while _alive(device) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(device):
        os.kill(device, signal.SIGKILL)
        pytest.fail("the device kept running after the process that started it was gone")
