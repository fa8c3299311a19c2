"""`lhv record pdf`: the printed record keeps every exchange's evidence and names the run on every page."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from lhv.app.cli import main
from lhv.record.pdf import BROWSERS
from tests.records import offline_record

pytestmark = pytest.mark.slow

needs_chromium = pytest.mark.skipif(
    not (os.environ.get("LHV_CHROMIUM") or any(shutil.which(name) for name in BROWSERS)),
    reason="Chromium is not installed (apt-get install chromium): the record cannot be printed")


def _exchanges(plan: dict) -> list[dict]:
    """Every exchange of a plan: in its steps, and outside them."""
    return [exchange for case in plan["cases"] for exchange in
            [*(e for step in case["steps"] for e in step["exchanges"]), *case["exchanges_outside_steps"]]]


@needs_chromium
def test_the_printed_record_keeps_each_exchange_and_stamps_each_page(lhv, capsys):
    import pypdf  # the test extra's; missing, the test fails rather than skips
    run = lhv("--plan", "PLAN_001", "--plan", "PLAN_004", "--tester", "Jane Doe (JD-017)")
    assert run.code == 0, run.output
    assert main(["record", "sign", str(run.record), "--as", "Ann Approver", "--role", "JD-005",
                 "--meaning", "approved"]) == 0
    capsys.readouterr()
    assert main(["record", "pdf", str(run.record)]) == 0
    assert "printed" in capsys.readouterr().out
    pages = [page.extract_text() for page in pypdf.PdfReader(run.record / "record.pdf").pages]
    text = "\n".join(pages)
    flat = re.sub(r"\s+", "", text)

    plan = next(p for p in run.results["plans"] if p["id"] == "PLAN_004")
    exchanges = _exchanges(plan)
    assert len(exchanges) >= 5 and any(c["exchanges_outside_steps"] for c in plan["cases"])
    assert [e["sha256"] for e in exchanges if e["sha256"] not in text] == []
    for e in exchanges:  # each printed row: method and URL, status, time, hash
        status = e["status"] if e["status"] is not None else "noanswer"
        assert re.sub(r"\s+", "", f"{e['method']} {e['url']}") in flat, e["url"]
        assert re.search(rf"{status}\d+ms{e['sha256']}", flat), (e["method"], e["url"], status)

    manifest = hashlib.sha256((run.record / "manifest.sha256").read_bytes()).hexdigest()[:16]
    for number, page in enumerate(pages, 1):
        assert run.results["run_id"] in page and manifest in page and f"page {number} of {len(pages)}" in page, page
    assert re.search(r"Approved by\s*Ann Approver \(JD-005\)", text), text[:3000]
    assert main(["record", "verify", str(run.record)]) == 0  # the print is a view of the record, not an addition


def test_without_chromium_the_command_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    folder = offline_record(tmp_path / "reports")
    monkeypatch.delenv("LHV_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    capsys.readouterr()
    assert main(["record", "pdf", str(folder)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "apt-get install chromium" in err[0] and "LHV_CHROMIUM" in err[0], err
    assert not (folder / "record.pdf").exists()


def test_a_browser_that_never_finishes_is_stopped_with_everything_it_started(tmp_path, monkeypatch, capsys):
    folder = offline_record(tmp_path / "reports")
    pid_file = tmp_path / "child.pid"
    stuck = tmp_path / "stuck-browser"
    stuck.write_text(f"#!/bin/sh\nsleep 600 &\necho $! > {pid_file}\nwait\n")
    stuck.chmod(0o755)
    monkeypatch.setenv("LHV_CHROMIUM", str(stuck))
    capsys.readouterr()
    started = time.monotonic()
    assert main(["record", "pdf", str(folder), "--timeout", "3"]) == 1
    assert time.monotonic() - started < 60
    err = capsys.readouterr().err
    assert "did not print" in err and "within 3 s" in err, err
    assert not (folder / "record.pdf").exists()
    child = int(pid_file.read_text())
    assert _gone(child), f"the browser's child {child} is still running"


def _gone(pid: int, wait_s: float = 30.0) -> bool:
    """Tells whether a process has ended (a zombie waiting for its reaper counts as ended)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status")
        try:
            state = next(line for line in status.read_text().splitlines() if line.startswith("State:"))
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            return True
        if "Z" in state.split()[1]:
            return True
        time.sleep(0.2)
    return False


def test_a_record_that_does_not_verify_is_not_printed(tmp_path, capsys):
    folder = offline_record(tmp_path / "reports")
    results = folder / "results.json"
    data = json.loads(results.read_text())
    data["verdict"] = "passed"
    results.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["record", "pdf", str(folder)]) == 1
    assert "results.json: changed since the manifest was written" in capsys.readouterr().err
    assert not (folder / "record.pdf").exists()
