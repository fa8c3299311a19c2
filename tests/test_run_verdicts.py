"""A run exits 0 only when a plan ran and every plan in scope passed; bad input is one line before any traffic."""

import socket
import threading
from importlib import resources
from xml.etree import ElementTree as ET

import pytest

pytestmark = pytest.mark.slow


def _embedded_profile(tmp_path, name: str, *, replace: tuple[str, str] | None = None, append: str = ""):
    """Writes the built-in embedded profile with one change, as a profile file."""
    text = resources.files("lhv.profiles").joinpath("embedded.toml").read_text()
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / f"{name}.toml"
    path.write_text(text + append)
    return path


class CountingListener:
    """A loopback TCP listener that counts the connections it is offered (a target that must see no traffic)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    target = CountingListener()
    yield target
    target.close()


def _remote_profile(tmp_path, port: int, target_extra: str = "") -> str:
    path = tmp_path / "remote.toml"
    path.write_text(f'[target]\nname = "remote"\nbase_url = "https://127.0.0.1:{port}"\n{target_extra}'
                    '[credentials]\nuser = { username_env = "LHV_T_USER", password_env = "LHV_T_PASS" }\n'
                    'admin = { username_env = "LHV_T_ADMIN", password_env = "LHV_T_ADMIN_PASS" }\n')
    return str(path)


def _one_lhv_line(run) -> str:
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("lhv: "), run.output
    return lines[0]


def test_a_plan_the_profile_cannot_run_makes_the_run_incomplete(lhv, tmp_path):
    profile = _embedded_profile(tmp_path, "no-logs", replace=('kind = "file"\npath = "{device_state}/device.log"',
                                                            'kind = "none"'))
    run = lhv("--profile", str(profile), "--plan", "PLAN_001", "--plan", "PLAN_008")
    assert run.code == 1, run.output
    assert run.verdicts() == {"PLAN_001": "passed", "PLAN_008": "not run"}
    results = run.results
    assert (results["verdict"], results["exit_code"]) == ("incomplete", 1)
    assert [entry["plan"] for entry in results["incomplete"]] == ["PLAN_008"]
    assert "logs.kind" in results["incomplete"][0]["reason"]
    assert "overall: incomplete (exit 1): PLAN_008 did not run" in run.output


def test_a_waived_plan_is_outside_the_scope(lhv, tmp_path):
    profile = _embedded_profile(tmp_path, "waiver", append='\n[plans]\nskip = { PLAN_008 = "no log access here" }\n')
    run = lhv("--profile", str(profile), "--plan", "PLAN_001", "--plan", "PLAN_008")
    assert run.code == 0, run.output
    assert run.verdicts() == {"PLAN_001": "passed", "PLAN_008": "waived"}
    assert run.results["waived"] == [{"plan": "PLAN_008", "reason": f"waived by {profile} (plans.skip): "
                                                                     "no log access here"}]
    only_waived = lhv("--profile", str(profile), "--plan", "PLAN_008")
    assert only_waived.code == 1, only_waived.output
    assert (only_waived.results["verdict"], only_waived.results["exit_code"]) == ("incomplete", 1)
    assert "no plan ran" in only_waived.output


def test_a_waiver_needs_a_known_plan_and_a_reason(lhv, tmp_path):
    profile = _embedded_profile(tmp_path, "bad-waiver", append='\n[plans]\nskip = { PLAN_008 = " " }\n')
    run = lhv("--profile", str(profile))
    assert run.code == 2 and run.record is None
    assert "plans.skip" in _one_lhv_line(run)


@pytest.mark.parametrize(("args", "named"), [
    (["--plan", "PLAN_999"], "PLAN_999"),
    (["--suite", "no-such-suite"], "no-such-suite"),
    (["--fault", "no-such-fault"], "no-such-fault"),
    (["--mutant", "no-such-mutant"], "no-such-mutant"),
    (["--run-id", "../../escaped"], "--run-id"),
    (["--run-id", "a/b"], "--run-id"),
    (["--no-such-option"], "--no-such-option"),
], ids=["plan", "suite", "fault", "mutant", "run-id-parent", "run-id-separator", "option"])
def test_usage_errors_are_one_line_exit_2_and_no_record(lhv, tmp_path, args, named):
    run = lhv(*args)
    assert run.code == 2, run.output
    assert named in _one_lhv_line(run)
    assert not list((tmp_path / "reports").glob("*")), "a usage error must write no record folder"
    assert not (tmp_path.parent / "escaped").exists()


def test_a_run_id_in_use_is_refused(lhv, tmp_path):
    (tmp_path / "reports" / "taken").mkdir(parents=True)
    (tmp_path / "reports" / "taken" / "results.json").write_text("{}")
    run = lhv("--run-id", "taken", "--plan", "PLAN_001")
    assert run.code == 2 and "exists already" in _one_lhv_line(run)
    assert (tmp_path / "reports" / "taken" / "results.json").read_text() == "{}"


def test_missing_credentials_are_named_before_any_traffic(lhv, tmp_path, listener):
    run = lhv("--profile", _remote_profile(tmp_path, listener.port), "--plan", "PLAN_001", "--plan", "PLAN_016",
              env={"LHV_T_USER": "someone@example.org", "LHV_T_PASS": "", "LHV_T_ADMIN": "", "LHV_T_ADMIN_PASS": ""})
    line = _one_lhv_line(run)
    assert run.code == 2
    assert "LHV_T_PASS (needed by PLAN_001, PLAN_016)" in line and "LHV_T_ADMIN (needed by PLAN_016)" in line
    assert "LHV_T_USER " not in line
    assert listener.connections == 0, "no request may be sent before the pre-flight passes"
    assert run.record is None


def test_a_trust_store_that_does_not_load_is_named(lhv, tmp_path, listener):
    bad = tmp_path / "not-a-ca.pem"
    bad.write_text("not a certificate\n")
    profile = _remote_profile(tmp_path, listener.port, f'trust_store = "{bad}"\n')
    run = lhv("--profile", profile, "--plan", "PLAN_001", env={"LHV_T_USER": "u@example.org", "LHV_T_PASS": "pw-1234"})
    assert run.code == 2 and "target.trust_store" in _one_lhv_line(run)
    assert listener.connections == 0


def test_junit_carries_totals_reasons_and_the_record(lhv, tmp_path):
    profile = _embedded_profile(tmp_path, "junit", replace=('kind = "file"\npath = "{device_state}/device.log"',
                                                          'kind = "none"'))
    run = lhv("--profile", str(profile), "--plan", "PLAN_008", "--plan", "PLAN_001", "--fault", "user-enumeration")
    assert run.code == 1
    root = ET.parse(run.record / "junit.xml").getroot()
    suites = root.findall("testsuite")
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites) > 0
    assert int(root.get("failures")) >= 1 and int(root.get("skipped")) >= 1
    skipped = root.find(".//testcase/skipped")
    assert "logs.kind" in skipped.text
    assert all(str(run.record / "record.html") in s.find("system-out").text for s in suites)


def _trusting_another_ca(tmp_path, server) -> str:
    from lhv.device import pki

    other = pki.issue(tmp_path / "other-ca")  # a CA that did not issue the target's certificate
    return _remote_profile(tmp_path, server.port, f'trust_store = "{other.ca_cert}"\n')


TRUSTED = {"LHV_T_USER": "u@example.org", "LHV_T_PASS": "pw-12345678"}


def test_an_untrusted_certificate_stops_the_run_naming_the_trust_store(lhv, tmp_path, hostile_target):
    server = hostile_target("yes-man")
    run = lhv("--profile", _trusting_another_ca(tmp_path, server), "--plan", "PLAN_001", env=TRUSTED)
    assert run.code == 2, run.output
    assert "target.trust_store" in run.results["aborted"] and "Traceback" not in run.output
    assert not server.requests, "the handshake fails, so no request reaches the target"


def test_with_the_certificate_plan_selected_only_it_is_judged(lhv, tmp_path, hostile_target):
    server = hostile_target("yes-man")
    run = lhv("--profile", _trusting_another_ca(tmp_path, server), "--plan", "PLAN_001", "--plan", "PLAN_005",
              env=TRUSTED)
    assert run.code == 1, run.output
    assert run.verdicts() == {"PLAN_001": "error", "PLAN_005": "failed"}
    assert all("target.trust_store" in case["reason"] for case in run.results["plans"][0]["cases"])


def test_a_plan_that_pytests_own_selection_runs_in_part_is_inconclusive_not_passed(lhv):
    run = lhv("--plan", "PLAN_001", "-k", "test_malformed_login_gets_422")
    assert run.code == 1, run.output
    [plan] = run.results["plans"]
    assert plan["verdict"] == "inconclusive"
    not_run = {case["name"]: case["reason"] for case in plan["cases"] if case["verdict"] == "not run"}
    assert set(not_run) == {"test_valid_credentials_give_a_usable_token",
                            "test_wrong_password_and_unknown_user_are_refused_alike"}
    assert all("-k" in reason and "--case" in reason for reason in not_run.values()), not_run
    assert [case["verdict"] for case in plan["cases"] if case["name"] == "test_malformed_login_gets_422"] == ["passed"]


def test_case_runs_only_the_named_cases_and_the_record_says_which(lhv):
    run = lhv("--case", "PLAN_001::test_malformed_login_gets_422", "--case", "PLAN_014::"
              "test_one_password_gives_two_different_hashes")
    assert run.code == 0, run.output
    assert run.verdicts() == {"PLAN_001": "passed", "PLAN_014": "passed"}
    assert {plan["id"]: [case["name"] for case in plan["cases"]] for plan in run.results["plans"]} == {
        "PLAN_001": ["test_malformed_login_gets_422"], "PLAN_014": ["test_one_password_gives_two_different_hashes"]}
    assert run.results["suite"]["cases"] == ["PLAN_001::test_malformed_login_gets_422",
                                             "PLAN_014::test_one_password_gives_two_different_hashes"]
    assert "--case" in run.results["suite"]["name"]
    # the console, too, says that the plans ran in part: a plan's PASSED line alone would read as the whole plan
    first = run.output.splitlines()[0]
    assert "only the cases named by --case: PLAN_001 1 of " in first and ", PLAN_014 1 of " in first, first
    assert "overall: passed (exit 0): only the 2 cases named by --case" in run.output


@pytest.mark.parametrize(("args", "named"), [
    (["--case", "PLAN_001::test_no_such_case"], "test_no_such_case"),
    (["--case", "PLAN_999::test_x"], "PLAN_999"),
    (["--case", "PLAN_001"], "PLAN_ID::case"),
    (["--case", "PLAN_001::test_malformed_login_gets_422", "--suite", "integration"], "--suite"),
], ids=["unknown-case", "unknown-plan", "no-case-name", "with-suite"])
def test_a_case_that_cannot_be_run_is_a_usage_error(lhv, tmp_path, args, named):
    run = lhv(*args)
    assert run.code == 2, run.output
    assert named in _one_lhv_line(run)
    assert not list((tmp_path / "reports").glob("*")), "a usage error must write no record folder"


def test_each_run_reads_its_own_record_when_the_folder_holds_others(lhv):
    """Run ids sort by the second their run began: two runs in one second (or named by --run-id) do not sort by time,
    so a test must read the record its own run wrote, not the last name in the folder."""
    first = lhv("--case", "PLAN_001::test_malformed_login_gets_422", "--run-id", "zz-first")
    second = lhv("--case", "PLAN_001::test_malformed_login_gets_422", "--run-id", "aa-second")
    assert (first.record.name, second.record.name) == ("zz-first", "aa-second")
