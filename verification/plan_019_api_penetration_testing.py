"""PLAN_019 API penetration testing.

Purpose: an automated black-box security pass over every route, as an attacker with an ordinary
account would run it (OWASP API Security Top 10 2023, where black-box testable), plus
property-based fuzzing of the contract. Schemathesis generates requests from the contract's
OpenAPI document, with valid, truncated, corrupt, mislabelled and oversized images in place of
random base64, and judges every answer: no 5xx; status, content type, headers and body as
documented; schema-breaking data refused; no answer without a valid token. The security pass
then sends missing, malformed and forged tokens (alg none, stripped, tampered or foreign
signatures, moved exp, swapped sub), tries another user's data, administrator functions and
mass assignment, puts SQL, NoSQL, template, path, CR LF and shell strings into every field,
sends oversized and malformed bodies, and reads every answer for stack traces, SQL, paths and
versions, security headers, CORS and HTTP methods. Each finding is named, with its severity,
OWASP category and the exchange that shows it. An external scanner's report (--scanner-report:
ZAP JSON, Intruder CSV or JSON) is listed and fails the plan at or above the profile's
security.scanner_fail_at. Every generator runs within the profile's [fuzzing] budget; failures
keep the seed and a curl line that sends the request again.
"""

import pytest

from lhv.checks.outcomes import require
from lhv.harness.security_steps import (
    fuzz_session,
    gate_scanner_report,
    import_scanner_report,
    keep_going,
    record_fuzzing,
    record_outcomes,
    security_probe,
)
from lhv.security.registry import run_area

PLAN_ID = "PLAN_019"


@pytest.fixture(scope="module")
def probe(target, api, accounts):
    """The security pass's view of the target: its routes, valid sample requests, tokens and client."""
    return security_probe(target, api, accounts)


@pytest.mark.fuzzing
def test_contract_fuzzing_finds_no_defect(target, api, lhv_run, step, pytestconfig):
    """Schemathesis fuzzes every operation of the contract: no 5xx, answers as documented, bad data refused."""
    with fuzz_session(target, api, lhv_run, hunt=pytestconfig.getoption("fuzz_hunt", False),
                      seed=pytestconfig.getoption("fuzz_seed", None)) as session:
        with step("Load the contract's OpenAPI document and split the fuzzing budget over its operations",
                  expect="the document names the contract's operations; every one gets a share of the cases"):
            step.note(f"document {session.document_source}; seed {session.budget.seed}; budget "
                      f"{session.budget.cases} case(s) within {session.budget.seconds:g} s")
            step.note(session.stateful_note)
            operations = session.fuzzer.operations
            require("openapi-operations", bool(operations), "the OpenAPI document has no operation",
                    f"{len(operations)} operations: {', '.join(op.label for op in operations)}")
        with keep_going() as going:
            for operation in operations:
                with going, step(f"Fuzz {operation.label} with positive and negative requests generated from the "
                                 "document (image objects carry the image generators' variants)",
                                 expect="no 5xx; status, content type, headers and body as documented; "
                                        "schema-breaking data refused; no answer without a valid token") as record:
                    record_fuzzing(record, session.fuzzer.run(operation))


def test_missing_and_forged_tokens_are_refused(probe, lhv_run, step):
    """Every route that needs a token refuses a missing, malformed or forged token (OWASP API2)."""
    with step("Send every route that needs a token a valid request without a token, with an empty, non-JWT or Basic "
              "credential, and with the user's token forged: alg none; signature stripped, tampered or made with "
              "a foreign key; exp moved an hour back; sub swapped for another account",
              expect="every one refused with 401 (or 403)") as record:
        record_outcomes(record, run_area("tokens", probe), lhv_run)


def test_no_access_beyond_the_callers_rights(probe, lhv_run, step):
    """An ordinary user reaches no other user's data, no administrator function, no property it may not set."""
    with step("As an ordinary user, look for other users' resources, register a user, ask for the admin role, "
              "and send clinical requests with extra privileged properties",
              expect="no per-user resource reachable; registration refused (403); role not granted (403/422); "
                     "extra properties refused (422)") as record:
        record_outcomes(record, run_area("access", probe), lhv_run)


def test_injection_strings_are_harmless(probe, lhv_run, step):
    """SQL, NoSQL, template, path, CR LF and shell strings in every field are refused without effect."""
    with step("Put each injection string into every string field of a valid request of every route (the login "
              "form under a name of no account), and log in as the user's name followed by SQL",
              expect="4xx answers; no 5xx, SQL error, evaluated template, file content, injected header, command "
                     "output or token") as record:
        record_outcomes(record, run_area("injection", probe), lhv_run)


def test_oversized_and_malformed_bodies_are_refused(probe, lhv_run, step):
    """A body over the limit gets 413 and the device stays up; malformed bodies get a 4xx (OWASP API4)."""
    with step("Send bodies one byte over the profile's limit (declared and streamed) and malformed bodies "
              "(truncated, not UTF-8, deeply nested, NaN, empty, not JSON), then ask for health",
              expect="413 for the oversized bodies, a 4xx for each malformed one, never a 5xx; health answers 200"
              ) as record:
        record_outcomes(record, run_area("resources", probe), lhv_run)


def test_errors_headers_cors_and_methods_reveal_nothing(probe, lhv_run, step):
    """Errors, headers, CORS and HTTP methods give an attacker nothing (OWASP API8, API9)."""
    with step("Provoke errors; read the headers of ordinary and error answers; send a foreign Origin and a "
              "preflight; send TRACE, PUT, PATCH and DELETE to every route",
              expect="JSON errors without stack trace, SQL, path or version; HSTS and nosniff everywhere; no "
                     "versioned Server header; no wildcard or reflected origin with credentials; TRACE and "
                     "undocumented methods refused with a 4xx") as record:
        record_outcomes(record, run_area("exposure", probe), lhv_run)


@pytest.mark.scanner_report
def test_external_scanner_findings_are_below_the_profiles_severity(target, lhv_run, step, pytestconfig):
    """An external scanner's report holds no finding at or above the profile's severity."""
    path = pytestconfig.getoption("scanner_report")
    threshold = target.profile.security.scanner_fail_at
    with step(f"Import the external scanner report {path} and gate its findings at {threshold}",
              expect=f"every finding listed; none at or above {threshold}") as record:
        gate_scanner_report(import_scanner_report(record, path, lhv_run), threshold)
