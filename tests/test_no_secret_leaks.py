"""No password, token or image data of a run appears in any artefact or on the console."""

import re

import pytest

from lhv.cli import main
from lhv.secrets import SECRETS

pytestmark = pytest.mark.slow

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.")


def test_a_whole_run_leaks_no_secret(tmp_path, capfd):
    reports = tmp_path / "reports"
    code = main(["verify", "--reports-dir", str(reports), "--tester", "Leak Scanner (JD-000)"])
    console = capfd.readouterr()
    assert code == 0, console.out + console.err
    secrets = SECRETS.values()
    assert len(secrets) >= 6, "the run should have seen passwords and tokens"
    artefacts = [p for p in reports.rglob("*") if p.is_file()]
    assert {p.name for p in artefacts} >= {"results.json", "record.html", "junit.xml"}
    for name, text in [(str(p), p.read_text(errors="replace")) for p in artefacts] + \
                      [("console", console.out + console.err)]:
        for secret in secrets:
            assert secret not in text, f"a secret leaked into {name}"
        assert not JWT.search(text), f"a JWT leaked into {name}"
