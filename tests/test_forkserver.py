"""The self-tests' fork servers: a forked `lhv` run and a forked device are what a fresh process would be."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from lhv.device import launcher
from lhv.device.settings import DeviceSettings
from tests import forked_device, lhv_forkserver

pytestmark = pytest.mark.slow  # the machinery of the end-to-end runs, which are slow themselves

# A pytest plugin the run loads from its working directory (sys.path[0] under -m): what the process looks like
# once pytest has started, where a forked child could differ from a fresh one.
STATE_PLUGIN = '''
import json, os, re, signal, sys, threading, warnings

def rooted_globals():
    """Module globals that hold the working folder: what an import computed from the cwd (hypothesis's storage)."""
    cwd = os.getcwd()
    found = []
    for name, module in list(sys.modules.items()):
        for key, value in list(getattr(module, "__dict__", {}).items()):
            if isinstance(value, (str, os.PathLike)) and cwd in str(value):
                found.append(f"{name}.{key}")
    return sorted(found)


def pytest_configure(config):
    streams = {name: [type(s).__name__, s.encoding, s.errors, s.line_buffering, s.isatty()]
               for name, s in (("stdout", sys.__stdout__), ("stderr", sys.__stderr__))}
    main = sys.modules["__main__"]
    state = {"argv": sys.argv, "main": [main.__name__, main.__file__, sys.modules.get("__mp_main__") is main],
             "cwd": os.getcwd(), "path": sys.path, "meta_path": [type(f).__name__ for f in sys.meta_path],
             "environ": sorted(k for k in os.environ if k != "PYTEST_CURRENT_TEST"),
             "signals": {s.name: re.sub(r" at 0x[0-9a-f]+", "", repr(signal.getsignal(s)))  # a handler, not its address
                         for s in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGHUP, signal.SIGCHLD)},
             "threads": [t.name for t in threading.enumerate()], "streams": streams,
             "stdin": os.readlink("/proc/self/fd/0"),
             "warnings": [[a, str(getattr(m, "pattern", m)), c.__name__, str(getattr(d, "pattern", d)), n]
                          for a, m, c, d, n in warnings.filters],
             "ours": sorted(m for m in sys.modules if m.split(".")[0] in ("lhv", "verification", "tests")),
             "rooted": rooted_globals()}
    with open("state.json", "w") as out:
        json.dump(state, out)
'''


def _fresh(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lhv.app.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=dict(os.environ))


def _server() -> lhv_forkserver.ForkServer:
    if os.environ.get("LHV_TESTS_SUBPROCESS") == "1":
        pytest.skip("LHV_TESTS_SUBPROCESS=1: the runs are fresh processes")
    server = lhv_forkserver._server()
    assert server is not None, \
        f"the fork server did not start, so every run was a fresh process: {lhv_forkserver.refusal()}"
    return server


def test_the_fork_servers_start_here():
    server = _server()
    assert server.devices is not None, "the device fork server did not start: every device was a fresh process"


def test_the_start_order_has_a_measured_cost_for_every_plan_a_row_can_run():
    from lhv.contract.catalog import catalog
    from tests.conftest import PLAN_S

    assert set(catalog()) <= set(PLAN_S), f"tests/conftest.py PLAN_S lacks {sorted(set(catalog()) - set(PLAN_S))}"


def _fresh_and_forked(tmp_path: Path, plugin: str, text: str) -> dict[str, Path]:
    """Collects PLAN_001 with a plugin from the working folder, in a fresh process and in a forked one; returns each
    run's working folder."""
    folders = {}
    for kind in ("fresh", "forked"):
        folder = folders[kind] = tmp_path / kind
        folder.mkdir()
        (folder / f"{plugin}.py").write_text(text)
        args = ["verify", "--plan", "PLAN_001", "--co", "-p", plugin, "--reports-dir", str(folder / "r")]
        done = _fresh(args, folder) if kind == "fresh" else \
            _server().run(args, cwd=folder, env=dict(os.environ), timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    return folders


def test_a_forked_run_starts_as_a_fresh_process_would(tmp_path):
    runs = {kind: json.loads((folder / "state.json").read_text().replace(str(folder), "<cwd>"))
            for kind, folder in _fresh_and_forked(tmp_path, "state_plugin", STATE_PLUGIN).items()}
    assert runs["forked"] == runs["fresh"]


# A plugin that leaves a file open for writing with its text still in the buffer: only the end of the interpreter
# writes it (a forked run ends without freeing every object: forked_device.end_process).
LEFT_OPEN_PLUGIN = '''
HELD = []


def pytest_configure(config):
    out = open("left-open.txt", "w")
    out.write("written when the interpreter ends")
    HELD.append(out)
'''


def test_a_file_a_forked_run_leaves_open_is_written_as_a_fresh_run_writes_it(tmp_path):
    for kind, folder in _fresh_and_forked(tmp_path, "left_open_plugin", LEFT_OPEN_PLUGIN).items():
        assert (folder / "left-open.txt").read_text() == "written when the interpreter ends", kind


@pytest.mark.parametrize("args", [["device", "faults", "--json"], ["verify", "--fault", "no-such-fault"]],
                         ids=["listing", "usage-error"])
def test_a_forked_run_says_and_exits_what_a_fresh_one_does(tmp_path, args):
    forked = _server().run(args, cwd=tmp_path, env=dict(os.environ), timeout=300)
    fresh = _fresh(args, tmp_path)
    assert (forked.returncode, forked.stdout, forked.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
    assert fresh.stdout or fresh.stderr


def test_a_run_over_its_time_is_killed_with_its_device(tmp_path):
    server = _server()
    if server.devices is None:
        pytest.skip("no device fork server here: devices are spawned fresh")
    seen: set[int] = set()
    running = threading.Event()
    running.set()

    def watch() -> None:  # the devices the server forks while the run lasts
        while running.is_set():
            seen.update(_children(server.devices.pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with pytest.raises(subprocess.TimeoutExpired):  # a whole run waits out tokens, locks and windows: minutes
            server.run(["verify", "--reports-dir", str(tmp_path / "r")], cwd=tmp_path, env=dict(os.environ),
                       timeout=20)
    finally:
        running.clear()
        watcher.join()
        _remove_state_of(seen)  # the killed run could not remove it: it holds the run's passwords
    assert seen, "the run had started its device before its time was up"
    for pid in seen:
        assert _ends(pid), f"device {pid} outlived its killed run"
    later = server.run(["device", "faults"], cwd=tmp_path, env=dict(os.environ), timeout=300)
    assert later.returncode == 0, "the server serves on after a killed run"


def test_a_forked_device_serves_ends_and_reports_like_a_spawned_one(tmp_path):
    server = _server()
    if server.devices is None:
        pytest.skip("no device fork server here: devices are spawned fresh")
    spawn = forked_device.spawner(server.device_socket, launcher.spawn)
    for kind, how in (("spawned", launcher.spawn), ("forked", spawn)):
        original, launcher.spawn = launcher.spawn, how
        try:
            device = launcher.start_device(DeviceSettings(state_dir=str(tmp_path / kind)))
        finally:
            launcher.spawn = original
        assert isinstance(device.process, forked_device.ForkedDevice) == (kind == "forked")
        pid = json.loads((tmp_path / kind / "ready.json").read_text())["pid"]
        assert pid == device.process.pid and device.process.poll() is None
        import ssl
        import urllib.request

        context = ssl.create_default_context(cafile=str(device.ca_cert))  # its own CA, real TLS
        with urllib.request.urlopen(device.https_url + "/", context=context, timeout=30) as reply:
            assert reply.status == 200
        device.stop()
        assert device.process.returncode == 0, f"{kind}: a stopped device ends with 0"
    killed = launcher.start_device(DeviceSettings(state_dir=str(tmp_path / "killed")))  # spawned: the baseline
    os.kill(killed.process.pid, signal.SIGKILL)
    baseline = killed.process.wait(timeout=30)
    original, launcher.spawn = launcher.spawn, spawn
    try:
        forked = launcher.start_device(DeviceSettings(state_dir=str(tmp_path / "forked-killed")))
    finally:
        launcher.spawn = original
    os.kill(forked.process.pid, signal.SIGKILL)
    assert forked.process.wait(timeout=30) == baseline == -signal.SIGKILL


def _remove_state_of(devices: set[int]) -> None:
    for ready in Path(tempfile.gettempdir()).glob("lhv-device-*/ready.json"):
        try:
            if json.loads(ready.read_text())["pid"] in devices:
                shutil.rmtree(ready.parent, ignore_errors=True)
        except (OSError, ValueError, KeyError):
            continue


def _children(pid: int) -> set[int]:
    children = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.add(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return children


def _ends(pid: int) -> bool:
    deadline = time.monotonic() + 30  # a SIGKILLed device is reaped by its server right after
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False
