"""The ways of writing a severity request that the contract leaves open: the profile decides, the dialects write
them, the reference device takes exactly what the embedded profile says, and each shape fault turns its own way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lhv.contract.dialects import dialect_named
from lhv.contract.intents import OPEN_WAYS, SeverityRequest
from lhv.core.errors import ConfigError
from lhv.device import switches
from lhv.device.clinical import plan_shape, v1_shape, v2_shape
from lhv.device.clinical.service import ClinicalService
from lhv.device.clinical.shape_common import RequestInvalid, elide
from lhv.device.clinical.validation import plan_loc_for
from lhv.device.faults import fault_named
from lhv.device.settings import REQUEST_SHAPE_FAULTS, V1_SNAKE_SITES, DeviceSettings
from lhv.session.profile import SeveritySection, embedded_profile, load_profile, parse_profile
from tests.conftest import REPO
from tests.dialect_samples import IMAGE

REQUEST = SeverityRequest(IMAGE, "EA90", "Psoriasis", "arm_left", ("apasi",), {"apasi": {"surface": 3}})
WAYS = [way.name for way in OPEN_WAYS]
PROFILE = b"""
[target]
name = "pre"
base_url = "https://api.example.org"
dialect = "%s"
[credentials]
user = { username_env = "U", password_env = "P" }
[severity]
%s
"""
SHAPES = {"plan": (plan_shape, plan_loc_for, lambda errors: errors), "v2": (v2_shape, v2_shape.loc_for,
                                                                           v2_shape.rule_errors)}
# Each shape fault: the way its clause's check sends, and by dialect the ways whose answer it turns (in v2, whose keys
# are all camelCase, refusing camelCase keys refuses every way the device took).
TURNS = {"camel-case-keys-refused": ("camel-case-keys", {"plan": {"camel-case-keys"}, "v2": {
             "camel-case-keys", "conclusion-without-text", "code-only-coding"}}),
         "coding-null-accepted": ("coding-null", {"v2": {"coding-null"}}),
         "conclusion-text-required": ("conclusion-without-text", {"v2": {"conclusion-without-text"}}),
         "coding-fields-required": ("code-only-coding", {"v2": {"code-only-coding"}})}


def _profile(dialect: str, severity: str):
    return parse_profile(PROFILE % (dialect.encode(), severity.encode()), "pre.toml")


def _device_errors(dialect: str, body: dict) -> list[dict]:
    """The 422 errors the reference device's parser and rules give a severity body; [] when it would score it."""
    shape, loc_for, in_words = SHAPES[dialect]
    try:
        parsed = shape.read_severity(body)
    except RequestInvalid as invalid:
        return invalid.errors
    rules = ClinicalService(lambda fault: False).validate_severity(parsed.request, elide(body),
                                                                   loc_for(parsed.request))
    return in_words(rules)


def _at(errors: list[dict], places) -> bool:
    return any(tuple(error["loc"][:len(place)]) == tuple(place) for error in errors for place in places)


@pytest.fixture
def switched() -> Iterator[set[str]]:
    """The device's switches as a test sets them, cleared before and after."""
    switches.ON.clear()
    yield switches.ON
    switches.ON.clear()


# ---- the profile decides --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("severity", "taken"), [
    ("", {"snake-case-keys", "camel-case-keys", "conclusion-without-text", "code-only-coding"}),
    ('request_keys = "snake_case"', {"snake-case-keys", "conclusion-without-text", "code-only-coding"}),
    ('coding_null = "accepted"\nconclusion_text = "required"\ncoding_fields = "all"',
     {"snake-case-keys", "camel-case-keys", "coding-null"}),
])
def test_the_profile_says_which_ways_are_taken(severity, taken):
    profile = _profile("plan", severity)
    assert {way for way in WAYS if profile.severity.accepts(way)} == taken


def test_every_way_is_decided_by_a_severity_key_and_every_key_decides_a_way():
    section = SeveritySection()
    decided = {section.setting(way).split(" = ")[0] for way in WAYS}
    assert decided == {f"severity.{field}" for field in SeveritySection.model_fields}
    assert section.setting("coding-null") == 'severity.coding_null = "refused"'


def test_the_shipped_profiles_keep_the_reference_devices_habits():
    example = load_profile(REPO / "profiles" / "example-preproduction.toml")
    assert embedded_profile().severity == example.severity == SeveritySection()


@pytest.mark.parametrize(("dialect", "severity", "key", "problem"), [
    ("plan", 'coding_null = "maybe"', "severity.coding_null", "'refused' or 'accepted'"),
    ("plan", 'coding_fields = "code"', "severity.coding_fields", "'code-only' or 'all'"),
    ("plan", 'request_keys = "kebab"', "severity.request_keys", "'both', 'snake_case' or 'camelCase'"),
    ("plan", 'colour = "red"', "severity.colour", "unknown key"),
    ("plan", 'request_keys = "camelCase"', "severity.request_keys", "cannot be verified in the plan dialect"),
    ("v2", 'request_keys = "snake_case"', "severity.request_keys", "cannot be verified in the v2 dialect"),
])
def test_a_bad_severity_value_is_one_line_naming_the_key(dialect, severity, key, problem):
    with pytest.raises(ConfigError) as caught:
        _profile(dialect, severity)
    message = str(caught.value)
    assert message.startswith(f"pre.toml: {key}: ") and problem in message and "\n" not in message


def test_each_dialect_takes_the_spelling_it_writes():
    assert _profile("plan", 'request_keys = "snake_case"').severity.request_keys == "snake_case"
    assert _profile("v2", 'request_keys = "camelCase"').severity.request_keys == "camelCase"


# ---- the dialects write the ways -----------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", ["plan", "v2"])
def test_a_dialect_writes_some_ways_and_says_why_not_the_others(dialect):
    writer = dialect_named(dialect)
    assert writer.open_ways and set(writer.open_ways) < set(WAYS)
    for way in set(WAYS) - set(writer.open_ways):
        assert writer.open_way_absent(way)
        with pytest.raises(ValueError, match="cannot write"):
            writer.open_way_body(REQUEST, way)


def test_the_plan_dialect_respells_the_requests_own_fields_only():
    plan = dialect_named("plan")
    snake, camel = plan.open_way_body(REQUEST, "snake-case-keys"), plan.open_way_body(REQUEST, "camel-case-keys")
    assert snake == plan.severity_body(REQUEST)
    assert set(camel) == {"subject", "media", "knownCondition", "bodySite", "scoringSystems", "questionnaireResponse"}
    assert camel["media"] == snake["media"] and camel["knownCondition"] == snake["known_condition"]
    assert plan.severity_request_of(camel) == plan.severity_request_of(snake)
    assert plan.open_way_locs(REQUEST, "camel-case-keys") == (
        ("body", "knownCondition"), ("body", "bodySite"), ("body", "scoringSystems"), ("body", "questionnaireResponse"))


@pytest.mark.parametrize(("way", "conclusion", "place"), [
    ("coding-null", {"coding": None, "text": "Psoriasis"}, ("coding",)),
    ("conclusion-without-text", {"coding": [{"system": "http://id.who.int/icd/release/11/mms",
                                             "systemDisplay": "ICD-11", "code": "EA90", "display": "Psoriasis"}]},
     ("text",)),
    ("code-only-coding", {"coding": [{"code": "EA90"}], "text": "Psoriasis"}, ("coding", 0)),
])
def test_v2s_ways_change_only_the_known_condition(way, conclusion, place):
    v2 = dialect_named("v2")
    body, ordinary = v2.open_way_body(REQUEST, way), v2.severity_body(REQUEST)
    assert body["knownCondition"] == {"conclusion": conclusion}
    assert {k: v for k, v in body.items() if k != "knownCondition"} == \
        {k: v for k, v in ordinary.items() if k != "knownCondition"}
    assert v2.open_way_locs(REQUEST, way) == (("body", "knownCondition", "conclusion", *place),)
    assert v2.open_way_body(REQUEST, "camel-case-keys") == ordinary


# ---- the reference device ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("dialect", "way"), [(d, w) for d in ("plan", "v2") for w in dialect_named(d).open_ways])
def test_the_reference_device_takes_exactly_what_the_embedded_profile_says(switched, dialect, way):
    writer = dialect_named(dialect)
    errors = _device_errors(dialect, writer.open_way_body(REQUEST, way))
    if embedded_profile().severity.accepts(way):
        assert errors == []
    else:
        assert errors and _at(errors, writer.open_way_locs(REQUEST, way))


@pytest.mark.parametrize("fault", sorted(f for f in REQUEST_SHAPE_FAULTS
                                         if set(fault_named(f).dialects) & {"plan", "v2"}))
def test_each_shape_fault_turns_its_own_way_and_no_other(switched, fault):
    own, turns = TURNS[fault]
    assert set(fault_named(fault).caught_by) == {"PLAN_009"}
    for dialect in ("plan", "v2"):
        writer = dialect_named(dialect)
        for way in writer.open_ways:
            body = writer.open_way_body(REQUEST, way)
            switched.clear()
            clean = _device_errors(dialect, body)
            switched.add(fault)
            faulty = _device_errors(dialect, body)
            assert (bool(clean) != bool(faulty)) is (way in turns.get(dialect, ())), (dialect, way)
            if way == own and faulty:
                assert _at(faulty, writer.open_way_locs(REQUEST, way))
    assert own in turns["v2"]
    switched.clear()
    switched.add(fault)  # the plan dialect's ordinary requests are untouched by every shape fault
    assert _device_errors("plan", dialect_named("plan").severity_body(REQUEST)) == []


def test_a_null_coding_taken_by_the_fault_is_looked_up_by_its_text(switched):
    switched.add("coding-null-accepted")
    parsed = v2_shape.read_severity(dialect_named("v2").open_way_body(REQUEST, "coding-null"))
    assert (parsed.request.condition, parsed.condition_display) == ("EA90", "Psoriasis")


def test_the_shape_faults_are_registered_and_reach_the_parsers_through_the_switches():
    assert all(fault_named(name).caught_by for name in REQUEST_SHAPE_FAULTS)  # a KeyError names an unregistered one
    settings = DeviceSettings(state_dir="unused", faults=["coding-null-accepted", "no-hsts"])
    assert settings.switches() == ["coding-null-accepted"] and settings.has("no-hsts")


@pytest.mark.parametrize("switch", ["v1-snake-sites-taken", V1_SNAKE_SITES])
def test_v1_takes_the_contracts_body_site_code_only_when_the_profile_or_the_fault_says(switched, switch):
    """ARM_LEFT is v1's spelling; arm_left is refused at bodySite unless severity.v1_body_sites = "both" (the
    device's V1_SNAKE_SITES switch) or the fault takes it against the profile."""
    body = dialect_named("v1").open_way_body(REQUEST, "snake-case-body-site")
    assert body["bodySite"] == "arm_left"
    assert v1_shape.read_severity(body).request.body_site != "arm_left"  # a foreign site, which the rules refuse
    switched.add(switch)
    assert v1_shape.read_severity(body).request.body_site == "arm_left"
    assert DeviceSettings(state_dir="x", v1_body_sites="both").switches() == [V1_SNAKE_SITES]
