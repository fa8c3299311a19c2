"""SIGTERM or SIGINT at any moment: no process and no credential file left, an aborted record, exit 2."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow

BOUND_S = 120  # a moment not reached by then fails the test, it never hangs it


def _device_started(tmp: Path) -> bool:
    return any(tmp.glob("lhv-device-*/ready.json"))


def _device_starting(tmp: Path) -> bool:
    return any(tmp.glob("lhv-device-*/settings.json"))


def _after_start(seconds: float):
    """A moment some seconds after the device answered (the plan is then waiting out a token or a lock)."""
    def reached(tmp: Path, since: dict) -> bool:
        if _device_started(tmp):
            since.setdefault("t", time.monotonic())
            return time.monotonic() - since["t"] >= seconds
        return False
    return reached


MOMENTS = {
    # name: (plans, moment reached?)
    "device start": (["PLAN_001"], lambda tmp, since: _device_starting(tmp)),
    "burst": (["PLAN_006"], lambda tmp, since: any("shares sent to" in p.read_text(errors="replace")
                                                   for p in tmp.glob("lhv-burst-*/locust.log"))),
    "soak": (["PLAN_018"], lambda tmp, since: any(tmp.glob("lhv-soak-*/ready"))),
    "token wait": (["PLAN_002"], _after_start(1.0)),
    "lock wait": (["PLAN_003"], _after_start(1.5)),
}


def _credential_files(tmp: Path) -> list[Path]:
    return [p for p in tmp.rglob("*") if p.name in ("credentials.json", "go.json", "go.tmp")
            or p.name.startswith(("lhv-device-", "lhv-burst-", "lhv-soak-"))]


def _run_until(tmp_path, plans: list[str], reached, act) -> tuple[int, str, dict, set[int]]:
    """Runs lhv verify, does act(scratch) once reached(scratch, since) holds; returns the exit code, the output,
    the results and every child process seen."""
    scratch, reports = tmp_path / "tmp", tmp_path / "reports"
    scratch.mkdir()
    args = [sys.executable, "-m", "lhv.app.cli", "verify", "--reports-dir", str(reports), "--run-id", "run"]
    for plan in plans:
        args += ["--plan", plan]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path,
                               env={**os.environ, "TMPDIR": str(scratch)}, start_new_session=True)
    seen: set[int] = set()
    since: dict = {}
    try:
        deadline = time.monotonic() + BOUND_S
        while not reached(scratch, since):
            assert process.poll() is None, f"the run ended too soon: {process.stdout.read().decode()}"
            assert time.monotonic() < deadline, f"not reached within {BOUND_S} s"
            seen |= {child.pid for child in psutil.Process(process.pid).children(recursive=True)}
            time.sleep(0.02)
        seen |= {child.pid for child in psutil.Process(process.pid).children(recursive=True)}
        act(process, scratch)
        output = process.communicate(timeout=BOUND_S)[0].decode()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    results_file = reports / "run" / "results.json"
    assert results_file.is_file(), f"no record; exit {process.returncode}:\n{output}"
    return process.returncode, output, json.loads(results_file.read_text()), seen


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_an_interrupt_leaves_nothing_behind_and_an_aborted_record(tmp_path, moment, signum):
    plans, reached = MOMENTS[moment]
    code, output, results, seen = _run_until(tmp_path, plans, reached, lambda process, _: process.send_signal(signum))
    assert code == 2, output
    left = [pid for pid in seen if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert not left, f"child processes left running: {left}"
    assert not _credential_files(tmp_path / "tmp"), f"left behind: {_credential_files(tmp_path / 'tmp')}"
    assert (results["verdict"], results["exit_code"]) == ("error", 2)
    assert signal.Signals(signum).name in results["aborted"]
    assert "Traceback" not in output and "ABORTED" in output


def test_a_device_that_dies_mid_run_aborts_the_run_and_is_not_blamed(tmp_path):
    def kill_device(process, scratch: Path) -> None:
        (ready,) = scratch.glob("lhv-device-*/ready.json")
        os.kill(json.loads(ready.read_text())["pid"], signal.SIGKILL)

    code, output, results, _ = _run_until(tmp_path, ["PLAN_002", "PLAN_003"], _after_start(1.0), kill_device)
    assert code == 2, output
    assert "device process died" in results["aborted"]
    verdicts = {plan["id"]: plan["verdict"] for plan in results["plans"]}
    assert verdicts == {"PLAN_002": "error", "PLAN_003": "error"}, verdicts  # the one running, the one not reached


def test_a_killed_locust_process_aborts_the_run(tmp_path):
    def kill_locust(process, scratch: Path) -> None:
        for proc in psutil.process_iter(["cmdline"]):
            if "locust" in (proc.info["cmdline"] or []) and str(scratch) in proc.environ().get("TMPDIR", ""):
                proc.kill()

    code, output, results, _ = _run_until(tmp_path, ["PLAN_006"], MOMENTS["burst"][1], kill_locust)
    assert code == 2, output
    assert "Locust" in results["aborted"] or "Locust" in results["plans"][0]["cases"][0]["reason"], results["aborted"]
    assert results["plans"][0]["verdict"] == "error"
