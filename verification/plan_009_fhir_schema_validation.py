"""PLAN_009 Validation of request and response data against FHIR schemas.

Purpose: valid requests (every valid payload file of the target's dialect) get 200 with a
DiagnosticReport valid against the device's own report schema and, for its standard elements,
against FHIR R4, every severity score agreeing with its recomputation; malformed requests (every
invalid payload file: wrong keys such as `user` or `images`, wrong types, extra keys, broken rules,
non-base64 images), bodies that are not JSON, and any severity request broken in one named way
(hypothesis) get 422 with a `detail` list naming the broken field, never a 5xx. Where the contract
leaves the severity request open (key spellings; v2's known condition: a null coding list, no text,
a coding with its code only), a valid request written each way the dialect can write gets what the
target's profile ([severity]) says: 200 with a report, or 422 at the place the way changes.
"""

from lhv.checks.outcomes import require
from lhv.checks.replies import detail_list, status_is
from lhv.clinical.reports import REPORT_KIND, check_diagnosis_report, check_fhir, check_severity_report, refused_at
from lhv.contract.intents import SeverityRequest
from lhv.contract.payloads import describe_error
from lhv.fuzz.severity_space import broken_requests
from lhv.harness.clinical_steps import (
    check_open_way,
    expect_payload_outcome,
    open_way_expectation,
    severity_request_of,
    writable_open_ways,
)
from lhv.harness.properties import budget_for, check_property

PLAN_ID = "PLAN_009"
NOT_JSON = (b'{"subject": {', b"image=psoriasis.jpg", b'{"subject": {} ,}')  # cut off, a form, a trailing comma
PROPERTY_IMAGES = ("psoriasis.jpg", "atopic_dermatitis.jpg", "alopecia.jpg", "urticaria.png")


def _route(clinic, operation):
    route = clinic.dialect.route(operation)
    return f"{route.method} {route.path}"


def _listed_payloads(clinic, step, valid):
    """Lists the dialect's valid (or invalid) payload files, at least one per route, and files them as test data."""
    kind = "valid" if valid else "invalid"
    payloads = clinic.payloads(valid=valid)
    with step(f"List the {kind} payload files of the {clinic.dialect.name} dialect in {clinic.payloads_dir}",
              expect="at least one per route"):
        operations = {payload.operation for payload in payloads}
        require(f"{kind}-payloads-found", operations >= set(REPORT_KIND),
                f"{kind} payload files only for {sorted(operations) or 'no route'}",
                f"{len(payloads)} {kind} payload files")
    for payload in payloads:
        step.uses(payload.path, payload.description)
    return payloads


def test_valid_payloads_get_reports_valid_against_the_device_schema_and_fhir_r4(clinic, step):
    """Every valid payload file gets 200 with a report valid against the device schema and FHIR R4."""
    for payload in _listed_payloads(clinic, step, valid=True):
        severity = payload.operation == "assess_severity"
        with step(f"Send {payload.name} to {_route(clinic, payload.operation)}: {payload.description}",
                  expect="200 with a DiagnosticReport valid against the device schema and, for its standard "
                         "elements, FHIR R4" + ("; every score equal to its recomputation" if severity else "")):
            reply = clinic.send_payload(payload)
            expect_payload_outcome(clinic, payload, reply)
            check_fhir(clinic, reply, REPORT_KIND[payload.operation])
            if severity:
                check_severity_report(clinic, reply, severity_request_of(clinic, payload))
            else:
                check_diagnosis_report(clinic, reply, len(payload.images()))


def test_invalid_payloads_get_422_with_their_errors(clinic, step):
    """Every invalid payload file gets 422 with exactly the errors it names, never a 5xx."""
    for payload in _listed_payloads(clinic, step, valid=False):
        wanted = "; ".join(describe_error(error) for error in payload.expect.get("errors", []))
        with step(f"Send {payload.name} to {_route(clinic, payload.operation)}: {payload.description}",
                  expect=f"{payload.status}" + (f" with exactly: {wanted}" if wanted else "")):
            expect_payload_outcome(clinic, payload, clinic.send_payload(payload))


def test_bodies_that_are_not_json_get_422(clinic, step):
    """A body that is not JSON gets 422 with a detail list on both clinical routes, never a 5xx."""
    for operation in REPORT_KIND:
        for content in NOT_JSON:
            with step(f"Send {content.decode()!r} as application/json to {_route(clinic, operation)}",
                      expect="422 with a detail list"):
                reply = clinic.send_raw(operation, content)
                status_is(reply, 422)
                detail_list(reply)


def test_any_severity_request_broken_one_way_gets_422_at_that_field(clinic, step, lhv_run):
    """Any valid severity request broken in one named way gets 422 pointing at the broken field, never a 5xx."""
    budget = budget_for(lhv_run, PLAN_ID, "broken severity requests")
    images = tuple(clinic.image(name) for name in PROPERTY_IMAGES)

    def refused_at_the_broken_field(example):
        reply = clinic.assess(example.request)
        refused_at(clinic, reply, "assess_severity", example.field, example.request)

    with step(f"Draw {budget.examples} valid severity requests (hypothesis, seed {budget.seed}), break each in one "
              f"named way (body site, answers, questionnaires, systems, condition, image data) and send it",
              expect="422 with an error at the broken field for each, never a 5xx; a counterexample is "
                     "shrunk and shown") as record:
        check_property(record, "broken-request-refused-at-field",
                       broken_requests(images, clinic.dialect.expresses), refused_at_the_broken_field, budget)


def test_severity_requests_written_the_open_ways_get_the_answer_the_profile_says(clinic, step):
    """A valid severity request written each way the contract leaves open gets what the profile says: 200 with a
    report, or 422 at the place the way changes; a way the dialect cannot write is recorded as not applicable."""
    request = SeverityRequest(clinic.image("psoriasis.jpg"), "EA90", "Psoriasis", "arm_left", ("apasi",),
                              {"apasi": {"surface": 3}})
    with step(f"List the ways of writing a severity request that the contract leaves open and the "
              f"{clinic.dialect.name} dialect can write",
              expect="at least one; each other way recorded as not applicable, with why") as record:
        ways = writable_open_ways(clinic, record)
    for way in ways:
        with step(f"Send an otherwise valid APASI request on the left arm with {way.says}",
                  expect=open_way_expectation(clinic, request, way), carry_on=True) as record:
            check_open_way(clinic, record, request, way)
