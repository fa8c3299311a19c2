"""A profile's trace mapping: read and validated against the catalog and the plan modules, merged plan with case,
and the record's matrix and list of what is not traced."""

import textwrap

import pytest

from lhv.contract import catalog
from lhv.core.errors import ConfigError
from lhv.session import trace
from lhv.session.preflight import check_run
from lhv.session.profile import parse_profile

GOOD = textwrap.dedent("""
    [plans.PLAN_001]
    requirements = ["SRS-1", "SRS-2", "SRS-1"]
    risk_controls = ["RC-1"]

    [plans.PLAN_004]
    risk_controls = ["RC-4"]

    [cases."PLAN_001::test_malformed_login_gets_422"]
    requirements = ["SRS-3"]
""")


def _profile(tmp_path, trace_table: str, record: str = ""):
    text = textwrap.dedent(f"""
        [target]
        name = "t"
        embedded = true

        [credentials]
        user = {{ username_env = "U", password_env = "P" }}
        {record}
        [trace]
        {trace_table}
    """)
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return parse_profile(text.encode(), str(path))


def test_a_mapping_gives_plans_their_ids_and_cases_their_plans_and_their_own():
    mapped = trace.parse_mapping(GOOD.encode(), "acme.toml", owner="Acme")
    assert mapped.plan_ids("PLAN_001") == trace.Ids(("SRS-1", "SRS-2"), ("RC-1",))
    assert mapped.case_ids("PLAN_001", "test_malformed_login_gets_422") == trace.Ids(("SRS-1", "SRS-2", "SRS-3"),
                                                                                    ("RC-1",))
    assert mapped.case_ids("PLAN_001", "test_malformed_login_gets_422[v2]").requirements[-1] == "SRS-3"
    assert mapped.case_ids("PLAN_004", "test_https_responses_carry_hsts") == trace.Ids((), ("RC-4",))
    assert not mapped.plan_ids("PLAN_017")  # the catalog's REQ_011 is the maker's: a mapping replaces it
    assert mapped.described() == {"owner": "Acme", "source": "acme.toml", "sha256": mapped.sha256, "kind": "profile"}
    assert len(mapped.sha256) == 64


def test_without_a_mapping_the_catalogs_ids_are_the_device_makers():
    catalog = trace.catalog_trace()
    assert catalog.plan_ids("PLAN_017").requirements == ("REQ_011",)
    assert not catalog.plan_ids("PLAN_001")
    assert catalog.described()["owner"] == "the device maker" and catalog.described()["kind"] == "catalog"


def test_the_cases_of_each_plan_are_read_from_the_plan_modules():
    cases = catalog.plan_cases()
    assert set(cases["PLAN_001"]) == {"test_valid_credentials_give_a_usable_token",
                                 "test_wrong_password_and_unknown_user_are_refused_alike",
                                 "test_malformed_login_gets_422"}
    assert "test_volume_fits_the_rate_limits" in cases["IVCL"]
    assert len([plan for plan in cases if plan.startswith("PLAN_")]) == 19


@pytest.mark.parametrize(("text", "key", "problem"), [
    ("[plans.PLAN_999]\nrequirements = ['X']", "plans.PLAN_999", "not a plan id of verification/catalog.toml"),
    ("[cases.\"PLAN_001::test_no_such_case\"]\nrequirements = ['X']", 'cases."PLAN_001::test_no_such_case"',
     "'test_no_such_case' is not a case of PLAN_001 (test_malformed_login_gets_422, "),
    ("[cases.\"PLAN_999::test_x\"]\nrequirements = ['X']", 'cases."PLAN_999::test_x"', "'PLAN_999' is not a plan id"),
    ("[cases.test_malformed_login_gets_422]\nrequirements = ['X']", "cases.\"test_malformed_login_gets_422\"",
     "is not a plan id"),
    ("[plans.PLAN_001]\nrequirements = ['SRS-1', ' ']", "plans.PLAN_001.requirements", "an id is empty"),
    ("[plans.PLAN_001]\nrisk_controls = ['']", "plans.PLAN_001.risk_controls", "an id is empty"),
    ("[plans.PLAN_001]\nrequirements = []", "plans.PLAN_001", "maps no id"),
    ("[plans.PLAN_001]\nrequirement = ['SRS-1']", "plans.PLAN_001.requirement", "unknown key"),
    ("[plans.PLAN_001]\nrequirements = 'SRS-1'", "plans.PLAN_001.requirements", "must be a list of ids"),
    ("[plans]\nPLAN_001 = ['SRS-1']", "plans.PLAN_001", "must be a table"),
    ("[requirements]\nPLAN_001 = ['SRS-1']", "requirements", "unknown key"),
])
def test_a_wrong_mapping_is_one_line_naming_the_file_and_key(text, key, problem):
    with pytest.raises(ConfigError) as caught:
        trace.parse_mapping(text.encode(), "/srv/acme-trace.toml", owner="Acme")
    message = str(caught.value)
    assert message.startswith(f"/srv/acme-trace.toml: {key}: ") and problem in message, message
    assert "\n" not in message


def test_a_mapping_that_is_not_toml_names_the_file():
    with pytest.raises(ConfigError, match=r"^/srv/acme-trace.toml: not valid TOML"):
        trace.parse_mapping(b"[plans.PLAN_001\n", "/srv/acme-trace.toml", owner="Acme")


def test_the_profile_names_the_mapping_relative_to_itself_and_whose_ids_they_are(tmp_path):
    (tmp_path / "ids").mkdir()
    (tmp_path / "ids" / "acme.toml").write_text(GOOD, encoding="utf-8")
    mapped = trace.load_trace(_profile(tmp_path, 'mapping = "ids/acme.toml"\norganisation = "Acme Clinics"'))
    assert mapped.source == str(tmp_path / "ids" / "acme.toml") and mapped.owner == "Acme Clinics"
    from_record = trace.load_trace(_profile(tmp_path, 'mapping = "ids/acme.toml"',
                                            record='[record]\norganisation = "Acme Group"\n'))
    assert from_record.owner == "Acme Group"
    assert trace.load_trace(_profile(tmp_path, "")) is None


def test_a_missing_mapping_file_names_the_profile_key(tmp_path):
    profile = _profile(tmp_path, 'mapping = "nowhere.toml"')
    with pytest.raises(ConfigError, match=r"profile.toml: trace.mapping: cannot read .*nowhere.toml"):
        trace.load_trace(profile)


def test_an_organisation_without_a_mapping_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"profile.toml: trace: organisation names whose ids"):
        _profile(tmp_path, 'organisation = "Acme"')


def test_the_run_preflight_refuses_a_wrong_mapping_before_any_traffic(tmp_path):
    (tmp_path / "acme.toml").write_text("[plans.PLAN_042]\nrequirements = ['X']\n", encoding="utf-8")
    profile = _profile(tmp_path, 'mapping = "acme.toml"')
    with pytest.raises(ConfigError, match=r"acme.toml: plans.PLAN_042: not a plan id"):
        check_run(profile, plans=["PLAN_001"], suite=None, faults=[], reports_dir=tmp_path / "reports", run_id=None,
                  target_url=None)


def _plan(plan_id, requirements=(), risk_controls=(), cases=()):
    return {"id": plan_id, "requirements": list(requirements), "risk_controls": list(risk_controls),
            "cases": [{"name": name, "requirements": list(reqs), "risk_controls": list(rcs)}
                      for name, reqs, rcs in cases]}


def test_the_matrix_lists_plans_by_their_ids_and_cases_by_the_ids_they_add():
    plans = [_plan("PLAN_001", ["SRS-1"], cases=[("test_a", ["SRS-1"], []), ("test_b", ["SRS-1", "SRS-2"], [])]),
             _plan("PLAN_004", cases=[("test_c", ["SRS-3"], ["RC-1"]), ("test_d", [], [])]),
             _plan("PLAN_017", cases=[("test_e", [], [])]),
             _plan("PLAN_018")]  # not reached: no case
    assert trace.matrix(plans, "requirements") == {
        "SRS-1": ["PLAN_001"], "SRS-2": ["PLAN_001::test_b"], "SRS-3": ["PLAN_004::test_c"],
        "not traced": ["PLAN_004::test_d", "PLAN_017", "PLAN_018"]}
    assert trace.matrix(plans, "risk_controls") == {
        "not traced": ["PLAN_001", "PLAN_004::test_d", "PLAN_017", "PLAN_018"], "RC-1": ["PLAN_004::test_c"]}
    assert trace.untraced(plans) == ["PLAN_004::test_d", "PLAN_017", "PLAN_018"]


def test_a_plan_traced_to_a_risk_control_alone_is_traced():
    assert trace.untraced([_plan("PLAN_005", risk_controls=["RC-9"], cases=[("test_a", [], ["RC-9"])])]) == []
