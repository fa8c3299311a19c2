"""PLAN_008 Logging and monitoring of rate limit violations.

Purpose: after anonymous and authenticated violations of the rate limits, the profile's log source
holds exactly one entry per 429 the harness received, each with a UTC timestamp, the client (the harness's
own address as the target sees it, or the profile's logs.client_address), the user (null when anonymous),
the path and the count, matched to the harness's own requests by path and time; each entry's method,
limit, window and count must also agree with what the harness sent and its profile states, and its
timestamp be in UTC. Only entries the log gained during the plan are judged.
The violations are sent by the harness's recording client, so that every 429 is kept in the record
beside the log entry that answers it.
"""

import json
import time
from urllib.parse import urlsplit

from lhv.checks.outcomes import require, require_findings
from lhv.checks.replies import status_is
from lhv.core.pacing import ANONYMOUS, AUTHENTICATED
from lhv.core.secrets import SECRETS, find_leaks
from lhv.harness.bursts import limit_of, own_address, send_concurrently
from lhv.logs.fields import Known, added_lines, field_findings
from lhv.logs.sources import json_records, log_source
from lhv.logs.violations import Violation, match, matching_findings, timestamp_findings, violation_entries
from lhv.session.claims import ANONYMOUS_BUDGET, AUTHENTICATED_BUDGET, VIOLATION_LOG, alone

PLAN_ID = "PLAN_008"
# quiet in both scopes, and only its own 429s in the log while it judges the log; its violations are not waited out
CLAIMS = alone(ANONYMOUS_BUDGET, AUTHENTICATED_BUDGET, VIOLATION_LOG,
               leaves_spent=(ANONYMOUS_BUDGET, AUTHENTICATED_BUDGET))


def _logged_address(target) -> str | None:
    """The harness's address as the target should log it: logs.client_address, or the source address of a TCP
    connection to the target (None for "any")."""
    setting = target.profile.logs.client_address
    if setting:
        return None if setting == "any" else setting
    return own_address(target)


def _violate(client, target, route, scope, user=None, token=None, sent_before=0):
    """Sends one burst over the limit (concurrently, so that it fits the window); returns the 429s as violations,
    each with what the harness knows of it (sent_before: requests it sent under the same key since it was quiet)."""
    limit = limit_of(target, scope)
    full_path = urlsplit(target.base_url).path.rstrip("/") + route.path

    def send_one():
        sent = time.time()
        reply = client.request(route.method, route.path, token=token)
        return sent, time.time(), reply.status

    address = _logged_address(target)
    # behind an address the harness does not see as its own, other clients may share an anonymous budget
    shared = scope == ANONYMOUS and bool(target.profile.logs.client_address)
    known = Known(route.method, (limit.requests - limit.tolerance, limit.requests + limit.tolerance), limit.window_s,
                  None if shared else sent_before + limit.burst_size)
    found = {Violation(sent, received, (full_path, route.path), user, limit.requests + 1 - limit.tolerance, address):
             known for sent, received, status in send_concurrently(limit.burst_size, send_one) if status == 429}
    require("got-429", bool(found), f"no 429 in {limit.burst_size} {scope} requests: PLAN_006/007 judge the limit; "
            "this plan needs violations to look for", f"{len(found)} 429(s) in {limit.burst_size} {scope} requests")
    return found


def test_every_429_has_one_complete_log_entry(target, api, accounts, step):
    """Every 429 the harness received has exactly one log entry with timestamp, client, user, path and count."""
    logs, skew = target.profile.logs, target.profile.auth.clock_skew_seconds
    source = log_source(logs, target.profile.source, expand=target.expand, verify=target.verify,
                        timeout_s=target.profile.target.timeout_seconds,
                        deadline_s=target.profile.target.request_deadline_seconds)
    violations: dict[Violation, Known] = {}
    with step("Wait until the harness has been quiet for a window (older entries stay apart from this run's), and "
              "note what the log holds already", expect="no harness request within the window and the clock skew"):
        waited = max(target.pacer.wait_quiet(ANONYMOUS), target.pacer.wait_quiet(AUTHENTICATED))
        step.wait(skew - target.profile.limits.window_seconds, "the clock skew beyond the quiet window")
        quiet = target.pacer.quiet_delay(ANONYMOUS) <= 0 and target.pacer.quiet_delay(AUTHENTICATED) <= 0
        before = source.lines()
        require("quiet-client", quiet, "the harness sent requests within the window",
                f"waited {waited:.2f} s; the log holds {len(before)} lines")
    with step("Log in as the test user, then send one burst over the anonymous limit to the API root",
              expect="at least one 429"), target.client(rate_aware=False) as client:
        login = api.dialect.route("login")  # sent once, by this client: the anonymous count it adds is known
        reply = client.request(login.method, login.path,
                               form=api.dialect.login_form(accounts.user.username, accounts.user.password))
        status_is(reply, 200)
        token = api.dialect.read_token(reply).access_token
        violations |= _violate(client, target, api.dialect.route("root"), ANONYMOUS, sent_before=1)
    with step("Send one burst over the authenticated limit as the test user (device information)",
              expect="at least one 429"), target.client(rate_aware=False) as client:
        violations |= _violate(client, target, api.dialect.route("device_information"), AUTHENTICATED,
                               accounts.user.username, token)
    with step(f"Read the rate-limit entries the log source gained ({source.describe()})",
              expect=f"entries with event \"{logs.event}\", each with a UTC timestamp"):
        deadline = time.monotonic() + logs.settle_seconds
        while True:
            records = json_records(added_lines(before, source.lines()))
            entries = violation_entries(records, logs.event)
            matching = match(list(violations), entries, skew)
            if not matching.unmatched or time.monotonic() >= deadline:
                break
            time.sleep(0.25)  # entries may take a moment to reach the source
        step.note(f"{len(entries)} new violation entries in the log; {len(violations)} 429(s) received by the harness")
        require_findings(timestamp_findings(entries))
    with step("Match every 429 the harness received to the log entries by path and time (± clock skew)",
              expect="exactly one entry per 429, each with timestamp (UTC), client, user, method, path, limit, window "
                     "and count as the harness knows them"):
        _attach_matched(step, matching)
        require_findings(matching_findings(matching, len(entries))
                         + field_findings(matching.pairs, records, violations))
    with step("Look for the passwords the run has used in the lines the log gained",
              expect="none, in any encoding: a password is never logged"):
        gained = "\n".join(added_lines(before, source.lines()))
        passwords = SECRETS.values("password")
        leaks = find_leaks({"the log": gained}, passwords)
        require("no-password-logged", not leaks, f"{len(leaks)} password form(s) in the log: {'; '.join(leaks)[:300]}",
                f"none of {len(passwords)} password(s) in {len(gained.splitlines())} new log line(s)")


def _attach_matched(step, matching):
    rows = [{"violation": {"sent": v.sent, "received": v.received, "path": v.paths[0], "user": v.user},
             "entry": {"index": e.index + 1, "timestamp": e.timestamp, "client": _shown(e.client),
                       "user": e.user if e.has_user else "(no user field)", "path": e.path, "count": _shown(e.count)}}
            for v, e in matching.pairs]
    rows += [{"violation": {"sent": v.sent, "path": v.paths[0], "user": v.user}, "entry": None}
             for v in matching.unmatched]
    path = step.folder / "matched-log-entries.json"
    path.write_text(json.dumps(SECRETS.redact_json(rows), indent=2))
    step.attach(path, "each 429 the harness received and the log entry matched to it")


def _shown(value):
    """A field's value for the attachment; a missing one is said so (lhv.logs.violations marks it with an object)."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else "(no such field)"
