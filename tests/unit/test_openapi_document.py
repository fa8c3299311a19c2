"""The contract's OpenAPI documents: what they require, how a profile adjusts them, how two are compared."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, find, settings

from lhv.contract.spelling import system_of_v1, v1_site
from lhv.contract.tables import BODY_SITES, SCORING_SYSTEMS
from lhv.core.errors import ConfigError
from lhv.fuzz.document import (
    DOCUMENTS,
    OperationSummary,
    adjusted,
    differences,
    document_for,
    shipped_document,
    summary,
)
from lhv.session.profile import embedded_profile, parse_profile

TWINNED = {
    "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
    "components": {"securitySchemes": {"jwt": {"type": "http", "scheme": "bearer"}},
                   "schemas": {"Thing": {"type": "object", "required": ["code"],
                                         "properties": {"code": {"type": "string"}}}}},
    "paths": {"/things": {"post": {
        "security": [{"jwt": []}],
        "requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "required": ["media"],
            "properties": {"media": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
                           "body_site": {"type": "string"}, "bodySite": {"type": "string"},
                           "known_condition": {"$ref": "#/components/schemas/Thing"},
                           "knownCondition": {"$ref": "#/components/schemas/Thing"}},
            "allOf": [{"not": {"required": ["body_site", "bodySite"]}},
                      {"oneOf": [{"required": ["known_condition"]}, {"required": ["knownCondition"]}]}]}}}},
        "responses": {"200": {"description": "ok"}, "422": {"description": "bad"}}}}},
}


def test_required_properties_count_a_spelling_pair_as_one_field() -> None:
    operation = summary(TWINNED)["POST /things"]
    assert operation.required == {"media", "media[].code", "knownCondition|known_condition",
                                   "knownCondition|known_condition.code"}
    assert operation.bearer and operation.statuses == {"200", "422"}
    assert operation.media_types == {"application/json"}


def test_differences_name_each_disagreement() -> None:
    ours = {"POST /a": OperationSummary(frozenset({"application/json"}), frozenset({"x"}), frozenset({"200"}), True),
            "GET /b": OperationSummary(frozenset(), frozenset(), frozenset({"200"}), False)}
    theirs = {"POST /a": OperationSummary(frozenset({"application/json"}), frozenset({"y"}),
                                          frozenset({"200", "500"}), False)}
    lines = differences(ours, theirs)
    assert "GET /b: only in the shipped document" in lines
    assert "POST /a: required only in the shipped document: x" in lines
    assert "POST /a: required only in the device's document: y" in lines
    assert "POST /a: statuses only in the device's document: 500" in lines
    assert any("bearer" in line for line in lines)
    assert differences(ours, ours) == []


@pytest.mark.parametrize("dialect", sorted(DOCUMENTS))
def test_shipped_documents_load_in_schemathesis_and_use_the_contracts_tables(dialect: str) -> None:
    document = shipped_document(dialect)
    schema = schemathesis.openapi.from_dict(document)
    assert len([result.ok() for result in schema.get_all_operations()]) == (8 if dialect == "v2" else 7)  # + manual
    schemas = document["components"]["schemas"]
    site_codes = {"plan": [site.code for site in BODY_SITES], "v1": [v1_site(site.code) for site in BODY_SITES],
                  "v2": [site.camel for site in BODY_SITES]}[dialect]
    assert schemas["BodySite"]["enum"] == site_codes
    systems = [system.code for system in SCORING_SYSTEMS]
    listed = {"plan": lambda: schemas["ScoringSystem"]["enum"],
              "v1": lambda: [system_of_v1(code) for code in schemas["ScoringSystem"]["enum"]],
              "v2": lambda: schemas["SeverityRequest"]["properties"]["scoringSystem"]["propertyNames"]["enum"]}
    assert systems == listed[dialect]()
    assert not any(status.startswith("5") for operation in summary(document).values() for status in operation.statuses)


def test_the_profile_adjusts_the_locked_status_and_the_shortest_password() -> None:
    profile = embedded_profile().model_copy(deep=True)
    profile.auth.locked_statuses = [429, 403]
    profile.accounts.min_password_length = 16
    document = adjusted(shipped_document("plan"), profile)
    assert {"403", "423", "429"} <= summary(document)["POST /login"].statuses
    assert document["components"]["schemas"]["NewUser"]["properties"]["password"]["minLength"] == 16
    assert shipped_document("plan")["components"]["schemas"]["NewUser"]["properties"]["password"]["minLength"] == 12


def test_a_profile_may_name_its_own_document_and_a_bad_one_is_refused(tmp_path) -> None:
    good = tmp_path / "device-openapi.json"
    good.write_text('{"openapi": "3.1.0", "info": {"title": "d", "version": "1"}, "paths": {}}')
    raw = ('[target]\nname = "x"\nbase_url = "https://device.test"\n[credentials]\n'
           'user = { username_env = "U", password_env = "P" }\n[fuzzing]\nopenapi = "device-openapi.json"\n')
    profile = parse_profile(raw.encode(), str(tmp_path / "p.toml"))
    document, source = document_for(profile, base=tmp_path)
    assert source == str(good) and document["paths"] == {}
    (tmp_path / "device-openapi.json").write_text('{"swagger": "2.0"}')
    with pytest.raises(ConfigError, match="fuzzing.openapi"):
        document_for(profile, base=tmp_path)


def test_fuzzing_requires_the_first_spelling_where_the_device_takes_either() -> None:
    """v2's manual route documents each item as snake_case or camelCase (allOf of oneOf), which schemathesis cannot
    generate from: the fuzzing's copy requires the first spelling, and every operation generates."""
    document = adjusted(shipped_document("v2"), embedded_profile())
    schema = schemathesis.openapi.from_dict(document)
    quick = settings(database=None, max_examples=10, suppress_health_check=list(HealthCheck))
    for result in schema.get_all_operations():  # find raises NoSuchExample for an operation that cannot generate
        find(result.ok().as_strategy(), lambda case: True, settings=quick)
    assert '"allOf"' not in json.dumps(document["paths"]["/severity-assessment/manual"])
    assert '"allOf"' in json.dumps(shipped_document("v2")["paths"]["/severity-assessment/manual"])
