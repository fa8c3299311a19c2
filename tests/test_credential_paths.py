"""PLAN_014–016 through every registration and inspection path a profile can choose, on the embedded device."""

import shlex
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

PYTHON = shlex.quote(sys.executable)
CREDENTIAL_PLANS = ("--plan", "PLAN_014", "--plan", "PLAN_015", "--plan", "PLAN_016")


def _profile(tmp_path, name: str, sections: str):
    path = tmp_path / f"{name}.toml"
    path.write_text(textwrap.dedent(f"""
        [target]
        name = "Embedded reference device ({name})"
        environment = "loopback"
        embedded = true

        [credentials]
        user = {{ username_env = "LHV_EMBEDDED_USER", password_env = "LHV_EMBEDDED_PASSWORD" }}
        admin = {{ username_env = "LHV_EMBEDDED_ADMIN", password_env = "LHV_EMBEDDED_ADMIN_PASSWORD" }}
    """) + textwrap.dedent(sections))
    return path


def _command_profile(tmp_path):
    """Registration with `lhv device add-user`, inspection with a command that prints one stored credential."""
    printer = tmp_path / "print_stored_credential.py"
    printer.write_text(textwrap.dedent("""
        import sqlite3, sys
        db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
        row = db.execute("SELECT password_hash FROM users WHERE email = ?", (sys.argv[2],)).fetchone()
        sys.exit("no such user") if row is None else print(row[0])
    """))
    return _profile(tmp_path, "command", f"""
        [accounts]
        registration = "command"
        command = '{PYTHON} -m lhv.app.cli device add-user --state-dir {{device_state}} {{username}}'
        remove_command = '{PYTHON} -m lhv.app.cli device remove-user --state-dir {{device_state}} {{username}}'

        [inspection]
        kind = "command"
        command = '{PYTHON} {printer} {{device_state}}/users.sqlite3 {{username}}'
    """)


def _steps(run, plan_id):
    plan = next(p for p in run.results["plans"] if p["id"] == plan_id)
    return plan, [step for case in plan["cases"] for step in case["steps"]]


def test_command_registration_and_command_inspection_pass_on_the_clean_device(lhv, tmp_path):
    run = lhv("--profile", str(_command_profile(tmp_path)), *CREDENTIAL_PLANS)
    assert run.code == 0, run.output
    assert run.verdicts() == {"PLAN_014": "passed", "PLAN_015": "passed", "PLAN_016": "passed"}
    _, steps = _steps(run, "PLAN_014")
    actual = [line for step in steps for line in step["actual"]]
    assert any("registration command for" in line and "exited 0" in line for line in actual)
    assert any(check["name"] == "owasp-minimums" and check["passed"] for step in steps for check in step["checks"])
    _, steps = _steps(run, "PLAN_016")
    assert {"command-succeeded", "command-refused"} <= {c["name"] for step in steps for c in step["checks"]}
    assert run.results["accounts_left_behind"], "accounts made by command are listed as left behind"


def test_command_registration_hashes_as_the_faulty_device_does(lhv, tmp_path):
    run = lhv("--profile", str(_command_profile(tmp_path)), "--fault", "unsalted-fast-hash", "--plan", "PLAN_014")
    assert run.code == 1, run.output
    assert run.verdicts() == {"PLAN_014": "failed"}


def test_without_an_inspection_hook_the_plans_are_inconclusive_not_passed(lhv, tmp_path):
    profile = _profile(tmp_path, "no-hook", """
        [accounts]
        registration = "http"
    """)
    run = lhv("--profile", str(profile), "--plan", "PLAN_014", "--plan", "PLAN_015")
    assert run.code == 1, run.output
    assert run.verdicts() == {"PLAN_014": "inconclusive", "PLAN_015": "inconclusive"}
    plan, _ = _steps(run, "PLAN_014")
    assert all("not verifiable" in case["reason"] for case in plan["cases"])
    plan, _ = _steps(run, "PLAN_015")
    (skipped,) = [case for case in plan["cases"] if case["verdict"] == "not run"]
    assert "no inspection hook" in skipped["reason"]


def test_an_attestation_stands_in_for_the_hook_and_says_so(lhv, tmp_path):
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "users-table.png").write_bytes(b"redacted screenshot")
    attestation = tmp_path / "attestation.toml"
    attestation.write_text(textwrap.dedent("""
        attested_by = "Jane Doe (JD-009), database administrator"
        date = 2026-01-15
        examined = "users table of the reference device"
        method = "sqlite3 read-only; hashes inspected, not copied"
        evidence = ["evidence/users-table.png"]

        [answers]
        stored_format = "argon2id v=19 m=19456 t=2 p=1"
        password_not_stored = true
        salted_slow_hash_at_owasp_minimums = true
        distinct_hashes_for_one_password = true
    """))
    profile = _profile(tmp_path, "attested", f"""
        [accounts]
        registration = "http"

        [inspection]
        kind = "attestation"
        attestation = "{attestation}"
    """)
    run = lhv("--profile", str(profile), "--plan", "PLAN_014", "--plan", "PLAN_015")
    assert run.verdicts() == {"PLAN_014": "passed", "PLAN_015": "inconclusive"}, run.output
    plan, steps = _steps(run, "PLAN_014")
    attested = [step for step in steps if step["action"].startswith("Attestation")]
    assert len(attested) == 2 and all("Jane Doe (JD-009)" in step["action"] for step in attested)
    assert any("sha256" in a["description"] for step in attested for a in step["attachments"])
    assert any(entry["file"] == "attestation.toml" for entry in plan["test_data"])


def test_a_relative_attestation_path_is_read_from_the_profiles_folder(lhv, tmp_path):
    from lhv.device.fault_areas.evidence import attestation_of_md5

    folder = tmp_path / "profiles"
    folder.mkdir()
    attestation_of_md5(folder)  # writes folder/attestation.toml and its evidence: a statement of MD5 storage
    profile = _profile(folder, "attested", """
        [accounts]
        registration = "http"

        [inspection]
        kind = "attestation"
        attestation = "attestation.toml"
    """)
    run = lhv("--profile", str(profile), "--plan", "PLAN_014")
    assert run.code == 1 and run.verdicts() == {"PLAN_014": "failed"}, run.output
    _, steps = _steps(run, "PLAN_014")
    assert any(check["name"].startswith("attested-") and not check["passed"] for step in steps
               for check in step["checks"]), "the attestation was read and judged"
