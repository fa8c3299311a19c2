"""No password, token, stored hash or image data of a run appears in any artefact or on the console."""

import re
import sqlite3

import pytest

from lhv.cli import main
from lhv.harness.target import Target
from lhv.secrets import SECRETS

pytestmark = pytest.mark.slow

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.")


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
    artefacts = [p for p in reports.rglob("*") if p.is_file()]
    assert {p.name for p in artefacts} >= {"results.json", "record.html", "junit.xml"}
    for name, text in [(str(p), p.read_text(errors="replace")) for p in artefacts] + \
                      [("console", console.out + console.err)]:
        for secret in secrets:
            assert secret not in text, f"a secret leaked into {name}"
        assert not JWT.search(text), f"a JWT leaked into {name}"
