"""An attestation names who examined what, with evidence bound by digest; problems name the file and key."""

import datetime as dt
import hashlib

import pytest

from lhv.core.errors import ConfigError
from lhv.inspection.attestation import load_attestation

VALID = """
attested_by = "Jane Doe (JD-009), database administrator"
date = 2026-01-15
examined = "users table of the pre-production database"
method = "psql as the read-only role"
evidence = ["evidence/users-table.png"]

[answers]
stored_format = "argon2id v=19 m=19456 t=2 p=1"
password_not_stored = true
"""


def _write(tmp_path, text=VALID, evidence=True):
    if evidence:
        (tmp_path / "evidence").mkdir(exist_ok=True)
        (tmp_path / "evidence" / "users-table.png").write_bytes(b"screenshot")
    path = tmp_path / "attestation.toml"
    path.write_text(text)
    return path


def test_attestation_loads_with_evidence_digests(tmp_path):
    attestation = load_attestation(_write(tmp_path))
    assert attestation.answer("password_not_stored") is True
    (evidence,) = attestation.evidence
    assert evidence.sha256 == hashlib.sha256(b"screenshot").hexdigest() and evidence.size == 10
    assert "Jane Doe (JD-009)" in attestation.byline() and "2026-01-15" in attestation.byline()


@pytest.mark.parametrize(("text", "evidence", "key", "problem"), [
    (VALID, False, "evidence[0]", "cannot read"),
    (VALID.replace('evidence = ["evidence/users-table.png"]', "evidence = []"), True, "evidence", "at least 1"),
    (VALID.replace("date = 2026-01-15", f"date = {dt.date.today() + dt.timedelta(days=2)}"), True, "date", "future"),
    (VALID.replace('attested_by = "Jane Doe (JD-009), database administrator"\n', ""), True, "attested_by",
     "Field required"),
    (VALID + "colour = 1\n", True, "answers.colour", None),
    ("colour = 1\n" + VALID, True, "colour", "unknown key"),
])
def test_broken_attestation_names_file_and_key(tmp_path, text, evidence, key, problem):
    path = _write(tmp_path, text, evidence)
    with pytest.raises(ConfigError) as caught:
        load_attestation(path)
    assert caught.value.source == str(path) and caught.value.field.startswith(key.split("[")[0])
    if problem:
        assert problem in str(caught.value)


def test_unanswered_question_names_the_key(tmp_path):
    attestation = load_attestation(_write(tmp_path))
    with pytest.raises(ConfigError) as caught:
        attestation.answer("distinct_hashes_for_one_password")
    assert caught.value.field == "answers.distinct_hashes_for_one_password"
