"""PLAN_017 Specification of body zone for scoring systems requiring zone factor.

Purpose: the body zone must be sent with a severity assessment for the scoring systems that need a
zone factor (APASI, ASALT, ASCORAD): without it no score can be computed. Following the seed plan
step by step: Payload 1 (APASI and ASCORAD, left arm) and Payload 2 (ASALT, right side of the
head) get 200 with a diagnostic report holding a result for each selected system, every score and
zone contribution recomputed from the report's items and echoed answers; the same payloads with
the body site key removed get 422 with exactly the seed's error body (type `missing` at the body
site, "Field required", the body as sent as `input`; the seed payload files hold it). What a
conformant device may do differently is not checked: key order, and an image string in `input`
cut to a prefix ending in "..." (as the seed shows it). Then hypothesis draws zone-weighted requests over every body
site: each gets 200 with scores that agree with their recomputation, and 422 at the body site
without it. Where the dialect has the questionnaire-only route (CONTRACT.md Appendix B, v2's manual
scores: pasi, scorad, dlqi, uas, ihs4), each case gets every score as the published formulas give it
from the answers sent and every answer echoed, or exactly its errors; a valid case without images
gets what the profile's [manual_scores] says. In a dialect without the route the record says so:
not applicable, never passed.
"""

from lhv.checks.outcomes import require
from lhv.checks.replies import status_is
from lhv.clinical.reports import check_severity_report, refused_at
from lhv.contract.payloads import describe_error
from lhv.fuzz.severity_space import ZONED, valid_requests
from lhv.harness.clinical_steps import (
    MANUAL_INTENT,
    check_manual_case,
    check_manual_cases_listed,
    check_manual_images,
    expect_payload_outcome,
    manual_cases,
    manual_images_expectation,
    severity_request_of,
)
from lhv.harness.properties import budget_for, check_property

PLAN_ID = "PLAN_017"
SEED_PAYLOADS = ("plan-017-payload-1", "plan-017-payload-2")
PROPERTY_IMAGES = ("atopic_dermatitis.jpg", "psoriasis.jpg", "alopecia.jpg", "psoriasis.png")


def test_body_zone_is_required_for_zone_weighted_scores(clinic, step):
    """The seed's payloads get scores with their body site and the seed's 422 without it."""
    seeds = [clinic.payload(name, PLAN_ID) for name in SEED_PAYLOADS]
    requests = [severity_request_of(clinic, payload) for payload in seeds]
    route = clinic.dialect.route("assess_severity")
    with step(f"Step 1: send two {route.method} requests to {route.path}, one with Payload 1 (APASI and ASCORAD on "
              "the left arm) and one with Payload 2 (ASALT on the right side of the head)",
              expect="200 OK for each: the body site is specified"):
        replies = [clinic.send_payload(payload) for payload in seeds]
        for payload, reply in zip(seeds, replies):
            expect_payload_outcome(clinic, payload, reply)
    for number, (_payload, reply, request) in enumerate(zip(seeds, replies, requests), start=1):
        with step(f"Step 2: observe the response to Payload {number}: status code, body and headers",
                  expect=f"a diagnostic report with a result for each selected system ({', '.join(request.systems)}); "
                         "each score and zone contribution equal to its recomputation from the report's items"):
            step.note(f"status {reply.status}; Content-Type: {reply.headers.get('content-type', 'none')}")
            check_severity_report(clinic, reply, request)
    without = [clinic.payload(f"{name}-without-body-site", PLAN_ID) for name in SEED_PAYLOADS]
    with step("Step 3: remove the body site key from each payload and resend both requests",
              expect="422 Unprocessable Entity for each") as record:
        bodies = []
        for seed, expected in zip(seeds, without):
            body = clinic.dialect.without_field(seed.resolved(clinic.images_dir), "assess_severity", "body_site")
            require("body-site-removed", body == expected.resolved(clinic.images_dir),
                    f"{expected.name} is not {seed.name} without its body site",
                    f"{seed.name} without its body site is {expected.name}")
            bodies.append(body)
        resent = [clinic.send("assess_severity", body) for body in bodies]
        for reply in resent:
            status_is(reply, 422)
        record.actual.append("no diagnostic report in either reply" if all(
            "resourceType" not in (reply.json() if isinstance(reply.json(), dict) else {}) for reply in resent)
            else "a reply holds a report")
    for number, (expected, reply) in enumerate(zip(without, resent), start=1):
        seed_error = "; ".join(describe_error(error) for error in expected.expect["errors"])
        with step(f"Step 4: examine the response to Payload {number} without its body site",
                  expect=f"exactly the seed's error: {seed_error}; no diagnostic report"):
            expect_payload_outcome(clinic, expected, reply)
            require("no-report-generated", "resourceType" not in reply.json(),
                    "the 422 reply holds a diagnostic report", "no preliminary diagnostic report was generated")


def test_any_zone_weighted_request_is_scored_with_its_zone_and_refused_without(clinic, step, lhv_run):
    """Any valid APASI/ASCORAD/ASALT request gets scores agreeing with their recomputation, and 422 without its site."""
    budget = budget_for(lhv_run, PLAN_ID, "zone-weighted requests")
    images = tuple(clinic.image(name) for name in PROPERTY_IMAGES)

    def scored_with_zone_refused_without(example):
        check_severity_report(clinic, clinic.assess(example.request), example.request)
        bare = example.request.without_body_site()
        reply = clinic.assess(bare)
        refused_at(clinic, reply, "assess_severity", "body_site", bare)
        missing = [error for error in clinic.dialect.errors_at(reply, "assess_severity", "body_site", bare)
                   if error.get("type") == "missing"]
        require("body-site-missing", bool(missing), "the error at the body site is not of type 'missing'")

    with step(f"Draw {budget.examples} valid requests for {', '.join(ZONED)} over every body site (hypothesis, "
              f"seed {budget.seed}); send each with its body site, then without",
              expect="200 with each system's score equal to its recomputation; without the body site 422 "
                     "'missing' at the body site; a counterexample is shrunk and shown") as record:
        check_property(record, "zone-weighted-scores-hold", valid_requests(images, ZONED),
                       scored_with_zone_refused_without, budget)


def test_questionnaire_only_scores_agree_with_the_oracle(clinic, step):
    """Each questionnaire-only case gets its scores as the published formulas give them and its answers echoed, or
    exactly its errors; without images, what the profile says. Not applicable where the dialect has no such route."""
    with step("List the questionnaire-only cases (mild, moderate, severe and invalid for pasi, scorad, dlqi, uas and "
              "ihs4) and the route that takes them",
              expect="each case in a dialect that has the route; in the target's dialect a valid and an invalid case "
                     "per system, or the record saying why the dialect has none (not applicable)"):
        cases = check_manual_cases_listed(clinic, step, manual_cases(clinic))
    if not cases:
        return
    route = clinic.dialect.route(MANUAL_INTENT)
    for case in cases:
        step.uses(case.path, case.description)
        expected = "200 with every score equal to its recomputation from the answers sent, every answer echoed" \
            if case.valid else f"{case.status} with exactly its errors"
        with step(f"Send {case.name} to {route.method} {route.path}: {case.description}", expect=expected,
                  carry_on=True):
            check_manual_case(clinic, case)
    valid = next(case for case in cases if case.valid)
    with step(f"Send {valid.name} to {route.method} {route.path} without its images",
              expect=manual_images_expectation(clinic)) as record:
        check_manual_images(clinic, record, valid)
