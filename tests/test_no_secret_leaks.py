"""No password, token, stored hash or image data of a run appears in any artefact or on the console."""

import base64
import re
import sqlite3
from pathlib import Path

import pytest

from lhv.cli import main
from lhv.harness.target import Target
from lhv.secrets import SECRETS

pytestmark = pytest.mark.slow

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.")
# A JPEG or PNG in base64 starts so; our own charts (data:image/png;base64, in the uptime report) are not image data.
IMAGE_HEAD = re.compile(r"(?<!base64,)(?:/9j/|iVBORw0KGgo)")
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


def test_a_whole_run_leaks_no_secret(tmp_path, capfd, monkeypatch):
    reports = tmp_path / "reports"
    stored_hashes = _keep_stored_hashes(monkeypatch)
    code = main(["verify", "--reports-dir", str(reports), "--tester", "Leak Scanner (JD-000)"])
    console = capfd.readouterr()
    assert code == 0, console.out + console.err
    assert len(stored_hashes) >= 6, "the run should have registered accounts"
    secrets = SECRETS.values() + stored_hashes
    assert len(secrets) >= 6, "the run should have seen passwords and tokens"
    image_fragments = _image_fragments()
    assert len(image_fragments) > 400
    artefacts = [p for p in reports.rglob("*") if p.is_file()]
    assert {p.name for p in artefacts} >= {"results.json", "record.html", "junit.xml"}
    for name, text in [(str(p), p.read_text(errors="replace")) for p in artefacts] + \
                      [("console", console.out + console.err)]:
        for secret in secrets:
            assert secret not in text, f"a secret leaked into {name}"
        assert not JWT.search(text), f"a JWT leaked into {name}"
        for fragment in image_fragments:
            assert fragment not in text, f"image data leaked into {name}"
        assert not IMAGE_HEAD.search(text), f"the start of an image leaked into {name}"
