"""No password, token, stored hash or image data of a run appears in any artefact or on the console, in any form.

`run_leaks` is the one scan: every file of a reports folder (text or binary, decoded with errors
replaced) and the console, for every secret in every form `lhv.core.secrets.encodings` names (raw,
JSON- and HTML-escaped, percent-encoded, base64 and base64url, whole or inside a longer base64
text), any JWT, and any piece of a fixture image.
"""

import base64
import json
import re
import sqlite3
from pathlib import Path

import pytest

from lhv.app.cli import main
from lhv.core.secrets import SECRETS, find_leaks
from lhv.session.target import Target

pytestmark = pytest.mark.slow

# A JPEG or PNG in base64 starts so; our own charts (data:image/png;base64, in the uptime report) are not image data.
IMAGE_HEAD = re.compile(r"(?<!base64,)(?:/9j/|iVBORw0KGgo)")
# The harness's own charts, embedded whole: "/9j/" may occur anywhere inside their base64 by chance.
OWN_CHART = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")
IMAGES = Path(__file__).resolve().parents[1] / "fixtures" / "images"


def _image_fragments() -> list[str]:
    """Pieces of every fixture image's base64 that only image data can contain: three 76-character lines (as
    the whitespace case wraps them) and a slice of the URL-safe form. Shorter pieces (the device's 31-character
    echo of a JPEG header) are caught by IMAGE_HEAD."""
    fragments = []
    for path in sorted(IMAGES.rglob("*")):
        if path.suffix.lower() not in (".jpg", ".png"):
            continue
        raw = path.read_bytes()
        text = base64.b64encode(raw).decode()
        lines = [text[i:i + 76] for i in range(76, len(text) - 76, 76)]
        fragments += [lines[len(lines) // 4], lines[len(lines) // 2], lines[3 * len(lines) // 4]]
        urlsafe = base64.urlsafe_b64encode(raw).decode()
        fragments.append(urlsafe[len(urlsafe) // 2:len(urlsafe) // 2 + 76])
    return fragments


def run_leaks(reports: Path, console: str, secrets: list[str]) -> list[str]:
    """Everything of a run that leaked: each secret form, JWT or piece of image data, and where (never the secret)."""
    texts = {str(path): path.read_bytes().decode("utf-8", errors="replace")
             for path in sorted(reports.rglob("*")) if path.is_file()}
    texts["console"] = console
    found = find_leaks(texts, secrets)
    fragments = _image_fragments()
    assert len(fragments) > 400
    for name, text in texts.items():
        if any(fragment in text for fragment in fragments):
            found.append(f"{name}: image data")
        if IMAGE_HEAD.search(OWN_CHART.sub("", text)):
            found.append(f"{name}: the start of an image")
    return found


def _keep_stored_hashes(monkeypatch) -> list[str]:
    """Reads every stored hash of the embedded device just before its state (and database) is removed."""
    hashes: list[str] = []
    stop = Target.stop

    def stop_after_reading(self):
        if self.device is not None:
            with sqlite3.connect(self.device.database) as db:
                hashes.extend(row[0] for row in db.execute("SELECT password_hash FROM users"))
        stop(self)

    monkeypatch.setattr(Target, "stop", stop_after_reading)
    return hashes


def _run(tmp_path, capfd, monkeypatch, *args: str, accounts: int) -> tuple[int, Path, str, list[str]]:
    """Runs lhv verify in this process; returns its exit code, record folder, console and every secret it saw."""
    reports = tmp_path / "reports"
    stored_hashes = _keep_stored_hashes(monkeypatch)
    code = main(["verify", "--reports-dir", str(reports), "--tester", "Leak Scanner (JD-000)", *args])
    console = capfd.readouterr()
    assert len(stored_hashes) >= accounts, "the run should have registered accounts"
    secrets = SECRETS.values() + stored_hashes
    assert len(secrets) >= 6, "the run should have seen passwords and tokens"
    artefacts = [p for p in reports.rglob("*") if p.is_file()]
    assert {p.name for p in artefacts} >= {"results.json", "record.html", "junit.xml"}
    return code, next(p.parent for p in artefacts if p.name == "results.json"), console.out + console.err, secrets


def test_a_whole_run_leaks_no_secret(tmp_path, capfd, monkeypatch):
    """The clean device passes every plan in the plan dialect (the fault matrix's clean row of that dialect: one
    whole run serves both), and no artefact or console line of the run holds a secret."""
    code, record, console, secrets = _run(tmp_path, capfd, monkeypatch, accounts=6)
    results = json.loads((record / "results.json").read_text(encoding="utf-8"))
    reasons = [f"{plan['id']} {case['name']}: {case['verdict']}: {case['reason']}" for plan in results["plans"]
               for case in plan["cases"] if case["verdict"] != "passed"]
    assert code == 0, "\n".join(reasons) or console
    assert results["target"]["dialect"] == "plan"
    verdicts = {plan["id"]: plan["verdict"] for plan in results["plans"]}
    assert len(verdicts) == 19 and set(verdicts.values()) == {"passed"}, verdicts
    assert run_leaks(record.parent, console, secrets) == []


def _echoes(value) -> list[dict]:
    """Every `echo` object the device put into an answer the record keeps."""
    if isinstance(value, dict):
        return ([value["echo"]] if isinstance(value.get("echo"), dict) else []) + \
            [echo for item in value.values() for echo in _echoes(item)]
    if isinstance(value, list):
        return [echo for item in value for echo in _echoes(item)]
    return []


def test_a_device_that_echoes_credentials_in_every_form_is_caught_and_leaks_nothing(tmp_path, capfd, monkeypatch):
    code, record, console, secrets = _run(tmp_path, capfd, monkeypatch, "--fault", "echo-credentials",
                                          "--plan", "PLAN_001", "--plan", "PLAN_019", accounts=3)
    results = json.loads((record / "results.json").read_text(encoding="utf-8"))
    verdicts = {plan["id"]: plan["verdict"] for plan in results["plans"]}
    assert code == 1 and verdicts["PLAN_019"] == "failed", console
    assert "credentials-echoed" in json.dumps(results)
    echoes = _echoes(results)  # the device did echo, and the record kept the echo without what it held
    assert any("[REDACTED password]" in echo for echo in echoes), "no echoed password as a key reached the record"
    assert any("[REDACTED token]" in echo for echo in echoes), "no echoed token as a key reached the record"
    assert any("[REDACTED password]" in echo.get("request_body_base64", "") for echo in echoes)
    assert run_leaks(record.parent, console, secrets) == []
