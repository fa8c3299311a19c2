"""Each matched rate-limit log entry is judged field by field against what the harness knows (lhv.logs.fields)."""

import pytest

from lhv.logs.fields import Known, added_lines, field_findings
from lhv.logs.violations import Violation, match, violation_entries

KNOWN = Known("GET", (60, 60), 3.0, 62)
GOOD = {"timestamp": "2026-12-06T07:20:11.411+00:00", "event": "rate_limit_exceeded", "client_ip": "127.0.0.1",
        "user": None, "method": "GET", "path": "/", "limit": 60, "window": 3.0, "count": 62}
AT = 1796541611.411  # GOOD's timestamp as epoch seconds


def judged(**changes):
    """The failed check names, and every finding, for one 429 answered by GOOD with changes (None drops a field)."""
    record = {k: v for k, v in {**GOOD, **changes}.items() if not (k in changes and changes[k] is None and k != "user")}
    violation = Violation(AT - 0.01, AT + 0.01, ("/",), None, 61, "127.0.0.1")
    matching = match([violation], violation_entries([record], "rate_limit_exceeded"), 2)
    assert len(matching.pairs) == 1
    findings = field_findings(matching.pairs, [record], {violation: KNOWN})
    return [f.name for f in findings if not f.passed], findings


def test_an_entry_as_the_harness_knows_it_passes_every_field_check():
    failed, findings = judged()
    assert failed == []
    assert {f.name for f in findings} == {"entry-has-method", "entry-has-limit", "entry-has-window",
                                          "entry-count-as-sent", "entry-timestamp-utc"}


@pytest.mark.parametrize(("changes", "check"), [
    ({"method": "GEx"}, "entry-has-method"),
    ({"method": None}, "entry-has-method"),
    ({"method": "POST"}, "entry-has-method"),
    ({"limit": 61}, "entry-has-limit"),
    ({"limit": None}, "entry-has-limit"),
    ({"limit": "60"}, "entry-has-limit"),
    ({"window": 4.0}, "entry-has-window"),
    ({"window": None}, "entry-has-window"),
    ({"window": "three"}, "entry-has-window"),
    ({"count": 63}, "entry-count-as-sent"),
    ({"timestamp": "2026-12-06T09:20:11.411+02:00"}, "entry-timestamp-utc"),
], ids=lambda v: str(v))
def test_a_field_that_disagrees_with_the_harness_fails_its_own_check(changes, check):
    failed, findings = judged(**changes)
    assert failed == [check]
    detail = next(f.detail for f in findings if f.name == check)
    assert detail.startswith("entry 1: ")


@pytest.mark.parametrize("changes", [{"method": "get"}, {"window": 3}, {"window": "3s"}, {"count": 61},
                                     {"timestamp": "2026-12-06T07:20:11.411Z"}, {"timestamp": AT}],
                         ids=lambda v: str(v))
def test_equivalent_spellings_pass(changes):
    assert judged(**changes)[0] == []


def test_the_limit_may_lie_within_the_tolerance():
    record = {**GOOD, "limit": 61}
    violation = Violation(AT - 0.01, AT + 0.01, ("/",), None, 60, "127.0.0.1")
    matching = match([violation], violation_entries([record], "rate_limit_exceeded"), 2)
    tolerant = Known("GET", (59, 61), 3.0, 62)
    assert all(f.passed for f in field_findings(matching.pairs, [record], {violation: tolerant}))


def test_no_count_bound_when_other_clients_may_share_the_key():
    record = {**GOOD, "count": 500}
    violation = Violation(AT - 0.01, AT + 0.01, ("/",), None, 61, None)
    matching = match([violation], violation_entries([record], "rate_limit_exceeded"), 2)
    shared = Known("GET", (60, 60), 3.0, None)
    assert all(f.passed for f in field_findings(matching.pairs, [record], {violation: shared}))


def test_added_lines_are_what_the_log_gained_even_as_a_moving_tail():
    assert added_lines(["a", "b"], ["a", "b", "c"]) == ["c"]
    assert added_lines(["x", "a", "a"], ["a", "a", "a", "d"]) == ["a", "d"]  # "x" rotated out; a third "a" is new
    assert added_lines([], ["a"]) == ["a"]
    assert added_lines(["a"], []) == []
