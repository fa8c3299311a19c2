"""A burst runs with Locust's distributed mode (a master and two workers) on loopback and still meets the limit
exactly (each share sent once, the master ending the run); workers that share no folder with the master (as on
other machines) get their shares and tokens and hand their outcomes back by Locust's messages alone; a missing
worker ends the burst within its bound, naming who joined; a burst checks the target's certificate against the
trust store it is given."""

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest

from lhv.core.errors import NotApplicable, TargetError
from lhv.device.launcher import start_device
from lhv.device.settings import DeviceSettings
from lhv.load import burst
from lhv.load.burst import BurstRequest, LoadDriver
from lhv.load.judge import lane_findings, read_lane

pytestmark = pytest.mark.slow

LOCUST_REPORTS = {"locust.log", "locust-report.html", "locust_stats.csv", "locust_failures.csv",
                  "locust_stats_history.csv", "locust_exceptions.csv"}
HANDED_OVER_BY_FILE = re.compile(r"outcome|go\.|ready|claimed|done|spec|token", re.IGNORECASE)
WINDOW_S = 3


def _limited_device(tmp_path: Path):
    return start_device(DeviceSettings(state_dir=str(tmp_path / "device"), anonymous_limit=10,
                                       authenticated_limit=10, rate_window_seconds=WINDOW_S))


def test_distributed_burst_meets_the_limit_exactly(tmp_path):
    device = _limited_device(tmp_path)
    try:
        time.sleep(0.1)
        driver = LoadDriver(device.https_url, str(device.ca_cert), tmp_path / "record", consent=False, workers=2)
        result = driver.run("PLAN_006", "distributed", [BurstRequest("anonymous", "GET", "/") for _ in range(11)],
                            time_bound_s=20)
    finally:
        device.stop()
    assert result.workers == 2 and len(result.outcomes) == 11, result.log_tail
    reading = read_lane("anonymous", result.outcomes)
    assert reading.succeeded == 10 and reading.limited == 1
    assert all(f.passed for f in lane_findings(reading, 10, 0, ordered=False))
    kept = {a["name"].rsplit("/", 1)[1] for a in result.attachments}
    assert {"locust-report.html", "locust_stats.csv", "outcomes.jsonl", "workers.json"} <= kept
    evidence = tmp_path / "record" / "attachments" / "PLAN_006" / "distributed"
    assert (evidence / "locust-report.html").stat().st_size > 0
    # the master ends the run: a worker quitting first would have its user re-dispatched to the other
    assert (evidence / "locust.log").read_text().count("Got quit message from master") == 2
    assert sorted(w["name"] for w in result.joined) == ["local-1", "local-2"]
    assert sorted(w["requests"] for w in result.joined) == [5, 6]


class FolderWatch:
    """Notes every file that appears under some folders while a burst runs (polled: files that live a while)."""

    def __init__(self, *folders: Path) -> None:
        self.folders, self.seen = folders, set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> "FolderWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self._look()

    def _poll(self) -> None:
        while not self._stop.wait(0.01):
            self._look()

    def _look(self) -> None:
        for folder in self.folders:
            for root, _dirs, files in os.walk(folder):
                self.seen.update(Path(root, name) for name in files)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _worker_elsewhere(home: Path, name: str, port: int, *, once: bool = True) -> subprocess.Popen:
    """Starts `python -m lhv.load.worker` as if on another machine: its own working and temporary folder, no
    variable of the harness's, nothing on its command line but the master's address (and its name)."""
    (home / "tmp").mkdir(parents=True)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "TMPDIR": str(home / "tmp"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen([sys.executable, "-m", "lhv.load.worker", "--master", f"127.0.0.1:{port}",
                             "--name", name] + (["--once"] if once else []), cwd=home, env=env,
                            stdin=subprocess.DEVNULL, stdout=(home.parent / f"{name}.out").open("wb"),
                            stderr=subprocess.STDOUT)


def test_workers_elsewhere_take_shares_and_tokens_and_hand_outcomes_back_by_message(tmp_path, monkeypatch):
    scratch = tmp_path / "master-tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # the master's scratch folder goes where it is watched
    monkeypatch.setattr(burst, "_scrub", lambda text: text)  # the evidence as Locust wrote it: a leak would show
    device = _limited_device(tmp_path)
    port = _free_port()
    homes = [tmp_path / "far-1", tmp_path / "far-2"]
    workers = [_worker_elsewhere(home, home.name, port) for home in homes]
    tokens: list[str] = []

    def log_in() -> dict[str, str]:
        with httpx.Client(verify=ssl.create_default_context(cafile=device.ca_cert)) as client:
            tokens.append(client.post(device.https_url + "/login", data=device.credentials["user"])
                          .json()["access_token"])
        time.sleep(WINDOW_S + 0.5)  # the login spent one anonymous request: the burst starts from a quiet client
        return {"user": tokens[0]}

    requests = [BurstRequest(lane, method, path, authenticated=lane == "user")
                for lane, method, path in (("anonymous", "GET", "/"), ("user", "GET", "/device-information"))
                for _ in range(11)]
    try:
        driver = LoadDriver(device.https_url, str(device.ca_cert), tmp_path / "record", consent=False, workers=2,
                            local_workers=0, master_port=port)
        with FolderWatch(scratch, *homes) as watch:
            result = driver.run("PLAN_007", "elsewhere", requests, time_bound_s=20, prepare=log_in)
        codes = [worker.wait(timeout=30) for worker in workers]  # the master's quit ends them
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        device.stop()
    logs = "".join((tmp_path / f"{home.name}.out").read_text(errors="replace") for home in homes)
    assert codes == [0, 0], logs
    assert len(result.outcomes) == 22 and len({o.seq for o in result.outcomes}) == 22, result.log_tail
    for lane in ("anonymous", "user"):
        reading = read_lane(lane, result.lane(lane))
        assert (reading.succeeded, reading.limited) == (10, 1), (lane, result.lane(lane))
        assert all(f.passed for f in lane_findings(reading, 10, 0, ordered=False))
    assert all(o.sent <= o.received for o in result.outcomes)
    # the shares went to the workers started elsewhere, by name and process, and the evidence says so
    assert {(w["name"], w["pid"]) for w in result.joined} == {(h.name, w.pid) for h, w in zip(homes, workers)}
    assert '"far-1"' in (tmp_path / "record/attachments/PLAN_007/elsewhere/workers.json").read_text()
    # nothing was handed over through files: the workers wrote nothing, the master's scratch held Locust's reports
    assert any(p.name == "locust.log" for p in watch.seen)  # the watch saw the master's scratch folder
    assert not [p for p in watch.seen if scratch not in p.parents], sorted(watch.seen)
    assert {p.name for p in watch.seen} <= LOCUST_REPORTS, sorted(watch.seen)
    assert not [p for p in watch.seen if HANDED_OVER_BY_FILE.search(p.name)]
    assert not list(scratch.iterdir())  # and it is gone
    # the token was used (the user lane got 200s) and appears in no file the burst left, nor the workers' output
    assert tokens and all(tokens[0] not in path.read_text(errors="replace")
                          for path in (tmp_path / "record").rglob("*") if path.is_file())
    assert tokens[0] not in logs


def test_a_worker_elsewhere_serves_burst_after_burst_until_it_is_stopped(tmp_path):
    device = start_device(DeviceSettings(state_dir=str(tmp_path / "device")))
    port = _free_port()
    worker = _worker_elsewhere(tmp_path / "far", "far", port, once=False)
    try:
        driver = LoadDriver(device.https_url, str(device.ca_cert), tmp_path / "record", consent=False, workers=1,
                            local_workers=0, master_port=port)
        results = [driver.run("PLAN_006", f"burst-{n}", [BurstRequest("anonymous", "GET", "/health")] * 5,
                              time_bound_s=20) for n in (1, 2)]
        children = psutil.Process(worker.pid).children(recursive=True)
        worker.terminate()
        code = worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        device.stop()
    assert [[o.status for o in r.outcomes] for r in results] == [[200] * 5] * 2, results[-1].log_tail
    assert [r.joined[0]["name"] for r in results] == ["far", "far"]
    assert results[0].joined[0]["pid"] != results[1].joined[0]["pid"]  # a fresh Locust worker for each master
    assert code == 128 + signal.SIGTERM
    assert not [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]


def test_a_missing_worker_ends_the_burst_within_its_bound_naming_who_joined(tmp_path):
    device = start_device(DeviceSettings(state_dir=str(tmp_path / "device")))
    prepared = []
    try:
        driver = LoadDriver(device.https_url, str(device.ca_cert), tmp_path / "record", consent=False, workers=2,
                            local_workers=1, join_bound_s=8)
        started = time.monotonic()
        with pytest.raises(TargetError) as caught:
            driver.run("PLAN_006", "short", [BurstRequest("anonymous", "GET", "/") for _ in range(4)],
                       time_bound_s=20, prepare=lambda: prepared.append(1) or {})
        took = time.monotonic() - started
    finally:
        device.stop()
    message = str(caught.value)
    assert "not ready within 8 s; only 1 of 2 Locust worker(s) joined the master" in message, message
    assert "joined: local-1 (host " in message and "missing: 1 to be started elsewhere" in message, message
    assert "python -m lhv.load.worker --master 127.0.0.1:" in message
    assert not prepared  # no token was fetched for a burst that could not start
    assert 8 <= took < 60, took


def test_a_burst_refuses_a_certificate_its_trust_store_does_not_vouch_for(tmp_path):
    device = start_device(DeviceSettings(state_dir=str(tmp_path / "device")))
    other = start_device(DeviceSettings(state_dir=str(tmp_path / "other")))  # another per-run CA
    try:
        driver = LoadDriver(device.https_url, str(other.ca_cert), tmp_path / "record", consent=False)
        result = driver.run("PLAN_006", "wrong-ca", [BurstRequest("anonymous", "GET", "/") for _ in range(3)],
                            time_bound_s=20)
    finally:
        device.stop()
        other.stop()
    assert len(result.outcomes) == 3, result.log_tail
    assert all(o.status is None and o.error for o in result.outcomes), result.outcomes


def test_no_burst_against_a_remote_target_without_consent(tmp_path):
    driver = LoadDriver("https://192.0.2.10", None, tmp_path, consent=False)
    with pytest.raises(NotApplicable, match="allow_load"):
        driver.run("PLAN_006", "x", [BurstRequest("anonymous", "GET", "/")], time_bound_s=1)
