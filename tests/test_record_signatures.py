"""Signatures of a record: chained entries bound to the manifest, OpenPGP keys, roles, and the re-rendered view."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from lhv.app.cli import main
from lhv.contract import catalog
from lhv.record.integrity import MANIFEST, write_manifest
from lhv.record.roles import RecordSection, RolesSection, run_roles
from lhv.record.signatures import entry_sha256
from lhv.record.view import VIEWS, write_view
from tests.records import offline_record

SIGNERS = (("Jane Doe", "JD-017", "authored"), ("Rita Reviewer", "JD-009", "reviewed"),
           ("Ann Approver", "JD-005", "approved"))
MAKER_IDS = re.compile(r"\bJD-0\d\d\b")


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    """A real passing run of PLAN_001 against the embedded device."""
    from tests.conftest import run_lhv

    run = run_lhv(["--plan", "PLAN_001", "--tester", "Jane Doe (JD-017)"], tmp_path_factory.mktemp("sig") / "reports")
    assert run.code == 0, run.output
    return run


@pytest.fixture
def record(clean_run, tmp_path) -> Path:
    """A fresh copy of the clean run's record."""
    copy = tmp_path / "record"
    shutil.copytree(clean_run.record, copy)
    return copy


def sign(folder: Path, name: str, role: str, meaning: str, *extra: str) -> int:
    return main(["record", "sign", str(folder), "--as", name, "--role", role, "--meaning", meaning, *extra])


def signed_by_all(folder: Path) -> list[dict]:
    """Signs as tester, reviewer and approver; returns the entries."""
    for name, role, meaning in SIGNERS:
        assert sign(folder, name, role, meaning) == 0
    return entries(folder)


def entries(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "signatures.jsonl").read_text().splitlines()]


def write_entries(folder: Path, items: list) -> None:
    (folder / "signatures.jsonl").write_text(
        "".join((item if isinstance(item, str) else json.dumps(item)) + "\n" for item in items))


def verified(folder: Path, capsys, *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["record", "verify", str(folder), *extra])
    return code, capsys.readouterr().out


def sealed(folder: Path) -> dict[str, bytes]:
    """Every file the manifest lists, and the manifest itself, as bytes."""
    names = [line.split("  ", 1)[1] for line in (folder / "manifest.sha256").read_text().splitlines()]
    return {name: (folder / name).read_bytes() for name in [*names, "manifest.sha256"]}


def test_signing_shows_each_signature_on_the_view_and_leaves_the_evidence_alone(record, capsys):
    before = sealed(record)
    assert "not signed yet" in (record / "record.html").read_text()
    made = signed_by_all(record)
    assert sealed(record) == before
    assert [e["seq"] for e in made] == [1, 2, 3]
    assert [e["previous_sha256"] for e in made] == ["0" * 64, made[0]["entry_sha256"], made[1]["entry_sha256"]]
    manifest = (record / "manifest.sha256").read_bytes()
    assert {e["manifest_sha256"] for e in made} == {hashlib.sha256(manifest).hexdigest()}
    code, out = verified(record, capsys)
    assert code == 0 and out.rstrip().endswith("intact"), out
    assert "signature 3: Ann Approver (JD-005) approved" in out
    page = (record / "record.html").read_text()
    for entry in made:
        assert f"<td>{entry['name']}</td><td>{entry['meaning']}</td><td>{entry['signed_utc']}</td>" in page
        assert entry["entry_sha256"] in page
    assert f"Reviewed by</th><td>Rita Reviewer (JD-009), {made[1]['signed_utc']}" in page
    assert f"Approved by</th><td>Ann Approver (JD-005), {made[2]['signed_utc']}" in page
    assert "not signed yet" not in page
    assert "verification/catalog.toml" in page  # the maker's own run: the roles say where they come from


def _rename(items: list[dict]) -> None:
    items[0]["name"] = "Mallory"


def _rename_and_rehash(items: list[dict]) -> None:
    items[0]["name"] = "Mallory"
    items[0]["entry_sha256"] = entry_sha256(items[0])


def _remeaning(items: list[dict]) -> None:
    items[1]["meaning"] = "approved"


def _backdate(items: list[dict]) -> None:
    items[1]["signed_utc"] = "2020-01-01T00:00:00Z"


def _delete_first(items: list) -> None:
    del items[0]


def _swap(items: list) -> None:
    items[0], items[1] = items[1], items[0]


def _garble(items: list) -> None:
    items[1] = "{not json"


def _unchained(items: list[dict]) -> None:
    items[0] = {key: items[0][key] for key in ("name", "role", "meaning", "signed_utc", "manifest_sha256")}


def _other_manifest(items: list[dict]) -> None:
    items[2]["manifest_sha256"] = "f" * 64
    items[2]["entry_sha256"] = entry_sha256(items[2])


TAMPERING: list[tuple[str, Callable[[list], None], str]] = [
    ("a past signer's name edited", _rename,
     "signatures.jsonl: entry 1 (Mallory, JD-017, authored, {0}) was changed after it was made"),
    ("a past signer's name edited and its hash recomputed", _rename_and_rehash,
     "signatures.jsonl: entry 2 (Rita Reviewer, JD-009, reviewed, {1}) does not follow entry 1 (Mallory)"),
    ("a past meaning edited", _remeaning,
     "signatures.jsonl: entry 2 (Rita Reviewer, JD-009, approved, {1}) was changed after it was made"),
    ("a past signature backdated", _backdate,
     "signatures.jsonl: entry 2 (Rita Reviewer, JD-009, reviewed, 2020-01-01T00:00:00Z) was changed"),
    ("the first entry deleted", _delete_first,
     "signatures.jsonl: entry 1 (Rita Reviewer, JD-009, reviewed, {1}) says it is entry 2"),
    ("two entries swapped", _swap,
     "signatures.jsonl: entry 1 (Rita Reviewer, JD-009, reviewed, {1}) says it is entry 2"),
    ("an entry replaced by garbage", _garble, "signatures.jsonl: line 2 is not a signature entry"),
    ("an entry rewritten without its chain", _unchained,
     "signatures.jsonl: entry 1 (Jane Doe, JD-017, authored, {0}) is not a chained entry"),
    ("an entry moved to another manifest", _other_manifest,
     "signatures.jsonl: entry 3 (Ann Approver, JD-005, approved, {2}) was made over another manifest"),
]


@pytest.mark.parametrize("change, expected", [(c, e) for _, c, e in TAMPERING], ids=[t[0] for t in TAMPERING])
def test_tampering_with_any_signature_entry_fails_verify_naming_the_entry(record, capsys, change, expected):
    made = signed_by_all(record)
    times = [e["signed_utc"] for e in made]
    items: list = [dict(e) for e in made]
    change(items)
    write_entries(record, items)
    code, out = verified(record, capsys)
    assert code == 1 and out.rstrip().endswith("does not verify"), out
    assert any(line.startswith("TAMPERED " + expected.format(*times)) for line in out.splitlines()), out


def test_sign_refuses_a_role_the_record_does_not_give_that_meaning(record, capsys):
    capsys.readouterr()
    assert sign(record, "Eve", "JD-999", "approved") == 2
    assert sign(record, "Jane Doe", "JD-017", "approved") == 2  # a tester of the catalog does not approve
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "role JD-999 may not sign 'approved'" in err[0] and "JD-005" in err[0], err
    assert not (record / "signatures.jsonl").exists()


def test_a_record_that_does_not_verify_is_not_signed(record, capsys):
    results = record / "results.json"
    results.write_text(results.read_text().replace('"passed"', '"failed"', 1))
    capsys.readouterr()
    assert sign(record, "Ann Approver", "JD-005", "approved") == 1
    assert "results.json: changed since the manifest was written" in capsys.readouterr().err
    assert not (record / "signatures.jsonl").exists()


def test_an_edited_view_does_not_verify_until_rendered_anew(record, capsys):
    signed_by_all(record)
    page = record / "record.html"
    page.write_text(page.read_text().replace("Ann Approver", "Someone Else"))
    code, out = verified(record, capsys)
    assert code == 1 and "TAMPERED record.html: differs from the view of the sealed results.json" in out, out
    assert main(["record", "render", str(record)]) == 0
    assert "Ann Approver" in page.read_text()
    assert verified(record, capsys)[0] == 0


def test_a_view_of_text_with_carriage_returns_verifies(tmp_path, capsys):
    folder = offline_record(tmp_path / "reports")
    results = folder / "results.json"
    data = json.loads(results.read_text())
    data["command"] = "a body line\r\nanother\rlast"  # answers' bodies carry them
    results.write_text(json.dumps(data))
    write_manifest(folder, views=VIEWS)
    write_view(folder, MANIFEST)
    assert b"\r" in (folder / "record.html").read_bytes()
    code, out = verified(folder, capsys)
    assert code == 0, out


def test_an_integrators_run_shows_no_maker_role_ids(tmp_path, capsys):
    folder = offline_record(tmp_path / "reports", record=RecordSection(organisation="ACME Health"),
                            plans=("PLAN_001", "IVCL"), tester="Ian Integrator (ACME-QA-2)")
    roles = json.loads((folder / "results.json").read_text())["roles"]
    assert roles["source"] == "none" and roles["testers"] == roles["approvers"] == [] and not roles["checked"]
    assert sign(folder, "Olga Owner", "ACME-QA-1", "approved") == 0  # the integrator's role, taken as given
    assert verified(folder, capsys)[0] == 0
    for name in ("record.html", "checklist.html", "results.json"):
        assert MAKER_IDS.findall((folder / name).read_text()) == [], name
    page = html.unescape((folder / "record.html").read_text())
    assert "Approved by</th><td>Olga Owner (ACME-QA-1)" in page and "not ACME Health's" in page


def test_an_integrators_own_roles_are_shown_and_checked(tmp_path, capsys):
    own = RecordSection(organisation="ACME Health", roles=RolesSection(testers=["QA-2"], approvers=["QA-1"]))
    folder = offline_record(tmp_path / "reports", record=own, tester="Ian Integrator (QA-2)")
    capsys.readouterr()
    assert sign(folder, "Ann Approver", "JD-005", "approved") == 2
    assert "role JD-005 may not sign 'approved'" in capsys.readouterr().err
    assert sign(folder, "Olga Owner", "QA-1", "approved") == 0
    page = html.unescape((folder / "record.html").read_text())
    assert MAKER_IDS.findall(page) == [] and "Approver (QA-1)" not in page  # the signed row replaces the blank one
    assert "ACME Health's, from <code>built-in profile 'embedded' [record.roles]</code>" in page


def test_a_makers_run_takes_its_roles_from_the_catalog_by_default():
    roles = run_roles(None, profile_source="p.toml", entries=[catalog.plan("PLAN_001"), catalog.plan("IVCL")])
    assert roles["source"] == "verification/catalog.toml" and roles["checked"]
    assert roles["approvers"] == ["JD-005", "JD-013"] and "JD-010" in roles["testers"]


# ---- OpenPGP -----------------------------------------------------------------------------------------------

@pytest.fixture
def keyring():
    """A throwaway GnuPG home with one signing key without passphrase; its agent is ended afterwards."""
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed (apt-get install gnupg): OpenPGP signatures cannot be made")
    home = Path(tempfile.mkdtemp(prefix="lhv-gpg-", dir="/tmp"))  # short: the agent's socket path is limited
    try:
        subprocess.run(["gpg", "--batch", "--homedir", str(home), "--passphrase", "", "--quick-gen-key",
                        "Ann Approver <ann@example.org>", "ed25519", "sign", "never"],
                       check=True, capture_output=True, timeout=120)
        listing = subprocess.run(["gpg", "--batch", "--homedir", str(home), "--with-colons", "--list-secret-keys"],
                                 check=True, capture_output=True, text=True, timeout=60).stdout
        fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
        yield home, fingerprint
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True, timeout=30)
        shutil.rmtree(home, ignore_errors=True)


def test_an_openpgp_signed_entry_verifies_and_names_its_key(record, keyring, tmp_path, capsys):
    home, fingerprint = keyring
    capsys.readouterr()
    assert sign(record, "Ann Approver", "JD-005", "approved", "--gpg-key", "ann@example.org",
                "--gnupg-home", str(home)) == 0
    assert f"OpenPGP key {fingerprint}" in capsys.readouterr().out
    entry, = entries(record)
    assert entry["gpg_fingerprint"] == fingerprint and "BEGIN PGP SIGNATURE" in entry["gpg_signature"]
    code, out = verified(record, capsys, "--gnupg-home", str(home))
    assert code == 0, out
    assert (f"signature 1: Ann Approver (JD-005) approved {entry['signed_utc']} · OpenPGP good signature by "
            f"Ann Approver <ann@example.org>, key {fingerprint}") in out
    assert fingerprint in (record / "record.html").read_text()

    stranger = tmp_path / "empty-gnupg"
    stranger.mkdir(mode=0o700)
    code, out = verified(record, capsys, "--gnupg-home", str(stranger))
    assert code == 1 and "is not in the verifier's keyring" in out, out


@pytest.mark.parametrize("change, expected", [
    (lambda e: e.update(name="Mallory", entry_sha256=entry_sha256({**e, "name": "Mallory"})),
     "OpenPGP signature not valid: bad signature"),
    (lambda e: e.pop("gpg_signature"), "carries no OpenPGP signature (removed)"),
], ids=["last entry edited and re-hashed", "signature stripped"])
def test_a_changed_openpgp_signed_entry_does_not_verify(record, keyring, capsys, change, expected):
    home, _ = keyring
    assert sign(record, "Ann Approver", "JD-005", "approved", "--gpg-key", "ann@example.org",
                "--gnupg-home", str(home)) == 0
    entry, = entries(record)
    change(entry)
    write_entries(record, [entry])
    code, out = verified(record, capsys, "--gnupg-home", str(home))
    assert code == 1 and "TAMPERED signatures.jsonl: entry 1 (" in out and expected in out, out


def test_an_unknown_key_is_one_usage_line(record, keyring, capsys):
    home, _ = keyring
    capsys.readouterr()
    assert sign(record, "Ann Approver", "JD-005", "approved", "--gpg-key", "nobody@example.org",
                "--gnupg-home", str(home)) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "--gpg-key: no secret key 'nobody@example.org'" in err[0], err
    assert not (record / "signatures.jsonl").exists()
