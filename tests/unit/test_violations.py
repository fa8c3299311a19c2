"""Each 429 the harness received is matched to exactly one log entry, whose fields are then judged."""

from dataclasses import replace

import pytest

from lhv.logs.sources import json_records
from lhv.logs.violations import Violation, match, matching_findings, timestamp_findings, violation_entries

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def iso(epoch):
    import datetime as dt
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds")


def entry(at, path="/", user=None, count=21, **extra):
    fields = {"timestamp": iso(at), "event": "rate_limit_exceeded", "client_ip": "127.0.0.1", "user": user,
              "method": "GET", "path": path, "limit": 20, "window": 2, "count": count}
    fields.update(extra)
    return fields


def violation(at, path="/", user=None):
    return Violation(at, at + 0.01, (path,), user, 21)


def judged(violations, records, skew=2):
    entries = violation_entries(records, "rate_limit_exceeded")
    return {f.name: f for f in matching_findings(match(violations, entries, skew), len(entries))}


def test_one_complete_entry_per_429_passes():
    records = [{"event": "login_succeeded"}, entry(T0 + 0.005), entry(T0 + 1.005, "/me", "a@b.c", 51)]
    found = judged([violation(T0), violation(T0 + 1, "/me", "a@b.c")], records)
    assert all(f.passed for f in found.values()), found


def test_a_missing_entry_and_an_extra_entry_fail():
    assert not judged([violation(T0), violation(T0 + 0.5)], [entry(T0)])["one-entry-per-429"].passed
    duplicated = judged([violation(T0)], [entry(T0), entry(T0 + 0.002)])["one-entry-per-429"]
    assert not duplicated.passed and "answer no 429" in duplicated.detail


def test_entries_outside_the_skew_or_for_another_path_do_not_match():
    assert not judged([violation(T0)], [entry(T0 - 10)])["one-entry-per-429"].passed
    assert not judged([violation(T0)], [entry(T0, path="/other")])["one-entry-per-429"].passed


def test_user_must_be_present_and_right():
    missing = entry(T0, user="a@b.c")
    del missing["user"]
    assert not judged([violation(T0, user="a@b.c")], [missing])["entry-has-user"].passed
    assert not judged([violation(T0, user="a@b.c")], [entry(T0, user="x@y.z")])["entry-has-user"].passed
    assert judged([violation(T0, user="A@B.c")], [entry(T0, user="a@b.c")])["entry-has-user"].passed
    anonymous_without_field = entry(T0)
    del anonymous_without_field["user"]
    assert not judged([violation(T0)], [anonymous_without_field])["entry-has-user"].passed


def test_client_and_count_are_required():
    assert not judged([violation(T0)], [entry(T0, client_ip="")])["entry-has-client"].passed


@pytest.mark.parametrize(("expected", "logged", "passes"), [
    (None, "10.0.0.2", True),  # logs.client_address = "any": any non-empty client
    ("127.0.0.1", "127.0.0.1", True),
    ("127.0.0.1", "10.0.0.2", False),  # a reverse proxy's address is not the client's
    ("127.0.0.1", "", False),
], ids=["any", "own-address", "proxy-address", "empty"])
def test_the_client_is_the_harness_as_the_target_sees_it(expected, logged, passes):
    sent = replace(violation(T0), client=expected)
    assert judged([sent], [entry(T0, client_ip=logged)])["entry-has-client"].passed is passes
    assert not judged([violation(T0)], [entry(T0, count=3)])["entry-has-count"].passed
    assert not judged([violation(T0)], [entry(T0, count="21")])["entry-has-count"].passed


def test_aliases_and_timestamps_without_zone():
    aliased = {"@timestamp": iso(T0), "event": "rate_limit_exceeded", "remote_addr": "10.0.0.1", "sub": None,
               "endpoint": "/?x=1", "requests": 30}
    assert all(f.passed for f in judged([violation(T0)], [aliased]).values())
    naive = violation_entries([entry(T0, timestamp="2027-01-15T08:00:00")], "rate_limit_exceeded")
    assert not timestamp_findings(naive)[0].passed


def test_json_records_skip_prefixes_and_noise():
    lines = ['2027-01-15T08:00:00Z {"event": "x", "n": 1}', "plain text", '{"broken": ', "[1, 2]", '{"event": "y"}']
    assert json_records(lines) == [{"event": "x", "n": 1}, {"event": "y"}]
