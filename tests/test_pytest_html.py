"""With pytest-html (the optional extra `html`), plain pytest over the plans with --html shows each case's steps and
the SHA-256 of each exchange in pytest-html's report, as the record has them."""

from __future__ import annotations

import html
import importlib.util
import json
import re
import subprocess
import sys

import pytest

from lhv.harness.plugin import pytest_html_results_table_html

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4QHkueiJ9.c2lnbmF0dXJlLXZhbHVl"


def _extras_by_case(page: str) -> dict[str, str]:
    """Case name → the HTML extras pytest-html shows for it (its report keeps the tests as JSON in data-jsonblob)."""
    blob = json.loads(html.unescape(re.search(r'data-jsonblob="([^"]*)"', page).group(1)))
    return {test_id.rsplit("::", 1)[-1]: "".join(extra["content"] for row in rows for extra in row["extras"]
                                                   if extra["format_type"] == "html")
            for test_id, rows in blob["tests"].items()}


@pytest.mark.slow
def test_the_html_report_shows_each_cases_steps_and_exchange_hashes(tmp_path):
    if importlib.util.find_spec("pytest_html") is None:
        pytest.skip("pytest-html is not installed (pip install 'lhv[html]', the optional extra html)")
    reports, page = tmp_path / "reports", tmp_path / "pytest-report.html"
    done = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "lhv.plans", "-p", "no:cacheprovider",
                           "--lhv-plan", "PLAN_001", "--lhv-reports-dir", str(reports), f"--html={page}",
                           "--self-contained-html"], capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    (record,) = reports.iterdir()
    (plan,) = json.loads((record / "results.json").read_text(encoding="utf-8"))["plans"]
    text = page.read_text(encoding="utf-8")
    extras = _extras_by_case(text)
    assert len(plan["cases"]) == 3
    for case in plan["cases"]:
        shown = extras[case["name"]]
        hashes = [exchange["sha256"] for step in case["steps"] for exchange in step["exchanges"]]
        assert case["steps"] and hashes, case["name"]
        for step in case["steps"]:
            assert f"<strong>Step {step['number']}: {html.escape(step['action'])}</strong>" in shown, step["action"]
        assert [h for h in hashes if h not in shown] == [], case["name"]
    assert not re.search(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.", text)  # no token in the report


def test_what_pytest_html_shows_of_a_tests_output_is_redacted():
    shown = [f"AssertionError: got {JWT}\n", f"----- Captured stdout call -----\nAuthorization: Bearer {JWT}"]
    pytest_html_results_table_html(report=None, data=shown)
    assert len(shown) == 2 and not any("eyJ" in part for part in shown) and "Captured stdout call" in shown[1]
