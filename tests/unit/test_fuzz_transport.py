"""Every fuzzed answer is judged for the transport headers the contract asks of every HTTPS answer."""

import pytest

from lhv.fuzz.runner import TRANSPORT_HEADERS, _transport_failures

GOOD = {"Strict-Transport-Security": ["max-age=31536000; includeSubDomains"], "x-content-type-options": ["nosniff"]}


@pytest.mark.parametrize(("headers", "problem"), [
    (GOOD, None),
    ({"x-content-type-options": ["nosniff"]}, "Strict-Transport-Security is 'missing'"),
    ({**GOOD, "Strict-Transport-Security": ["max-age=86400"]}, "'max-age=86400', expected max-age ≥ 15552000"),
    ({"strict-transport-security": ['max-age="15552000"'], "X-Content-Type-Options": ["NoSniff"]}, None),
    ({"Strict-Transport-Security": ["max-age=31536000"]}, "X-Content-Type-Options: nosniff is missing"),
])
def test_an_answer_without_hsts_of_180_days_or_nosniff_is_a_failure(headers, problem):
    failures = _transport_failures("GET /", headers)
    if problem is None:
        assert failures == []
    else:
        [failure] = failures
        assert type(failure).checks == (TRANSPORT_HEADERS,) and problem in failure.message
