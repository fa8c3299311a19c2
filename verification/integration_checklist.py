"""IVCL Integration validation checklist.

Purpose: before go-live, the customer's integration meets the technical requirements of the
integration SOP (§1.2, Integration Validation Checklist) and of the implementation plan's
technical requirements: its example requests are JSON the contract accepts (lhv check-payload),
with images the device analyses, body sites that are contract codes and a questionnaire for
each scoring system it uses, each scored as the oracle recomputes; its likely mistakes get a
4xx with a JSON detail; a token can be renewed before it expires; plain HTTP serves nothing;
its volume estimate fits the rate limits. Safe on a production target: no wrong password, no
burst, no registration. The record's checklist page (checklist.html) joins these cases with
PLAN_001/002/004/005's and with the customer's own confirmations.
"""

import pytest

from lhv.checks.outcomes import require
from lhv.checks.replies import detail_list, header_present, jwt_claims, status_is
from lhv.clinical.reports import check_diagnosis_report, check_severity_report
from lhv.contract.tables import BODY_SITE_BY_CODE, BODY_SITES, SALT_WEIGHTS, SCORING_SYSTEM_BY_CODE
from lhv.core.errors import Inconclusive, NotApplicable
from lhv.harness.clinical_steps import expect_payload_outcome
from lhv.harness.transport_steps import REDIRECTS, plain_route, require_https_redirect_or_refusal, send_plain
from lhv.integration.examples import Examples, bundled_mistakes, load_examples
from lhv.integration.volume import arithmetic, volume_verdicts

PLAN_ID = "IVCL"


@pytest.fixture(scope="module")
def examples(clinic, lhv_run) -> Examples:
    """The customer's example requests (or the bundled ones), each listed in the record's test data."""
    found = load_examples(clinic)
    for example in found.items:
        lhv_run.add_test_data(PLAN_ID, example.path, example.description)
    return found


def _systems(target, clinic, examples: Examples) -> list[str]:
    """The scoring systems the customer uses: the profile's list, else those its example requests ask for."""
    named = target.profile.integration.scoring_systems
    if named:
        return list(named)
    asked = [code for e in examples.valid("assess_severity")
             for code in clinic.dialect.severity_request_of(e.body).systems]
    return [code for code in dict.fromkeys(asked) if code in SCORING_SYSTEM_BY_CODE]


def _source(examples: Examples) -> str:
    return "the customer's, profile integration.payloads" if examples.own else \
        "the bundled examples of payloads/customer: the profile names none of the customer's own"


def test_plain_http_is_redirected_or_refused(target, api, step):
    """A request over plain HTTP, sent without credentials, is redirected to HTTPS or refused: it gets no data."""
    route = api.dialect.route("root")
    plain = plain_route(target, route)
    with step(f"Send {route.method} {route.path} over plain HTTP ({plain.url}) without credentials",
              expect=f"a redirect ({', '.join(map(str, REDIRECTS))}) to {plain.https_target}, or a refusal; no data"):
        reply = send_plain(api, route, plain, "plain-http-refused")
        if reply is not None:
            require_https_redirect_or_refusal(reply, plain, "plain-http-refused")


def test_example_requests_are_json_the_contract_accepts(clinic, examples, step):
    """Each example request is one JSON object the contract accepts, or a mistake whose refusal lhv check-payload
    predicts; a body that is not JSON gets a 4xx JSON error."""
    with step(f"Check the {len(examples.items)} example request(s) offline with lhv check-payload "
              f"({_source(examples)})",
              expect="no problem in any request the client sends; each intended mistake predicted to get the status "
                     "its file expects"):
        for example in examples.items:
            report = example.report
            found = "; ".join(f"{p.path}: {p.message}" for p in report.problems) or "no problem"
            step.note(f"{example.name}: {report.unreadable or found} → the device would answer {report.status}")
        unreadable = [f"{e.name} ({e.report.unreadable})" for e in examples.items if not e.usable]
        require("examples-readable", bool(examples.items) and not unreadable,
                f"unusable example(s): {'; '.join(unreadable)}" if unreadable else "no example request found",
                f"{len(examples.items)} example(s) read")
        dirty = [e for e in examples.items if e.usable and not e.mistake and e.report.problems]
        require("requests-accepted", not dirty,
                "; ".join(f"{e.name}: {p.path}: {p.message} (allowed: {p.allowed})" for e in dirty
                          for p in e.report.problems[:3]),
                f"{len(examples.valid())} request(s) with no problem")
        wrong = [f"{e.name}: predicted {e.report.status}, the file expects {e.expected_status}"
                 for e in examples.mistakes() if e.report.status != e.expected_status]
        require("mistakes-predicted", not wrong, "; ".join(wrong),
                f"{len(examples.mistakes())} intended mistake(s), each predicted as its file expects")
    operation = next((e.operation for e in examples.valid()), "assess_severity")
    route = clinic.dialect.route(operation)
    with step(f"Send an XML body (Content-Type: application/xml) to {route.method} {route.path}",
              expect="a 4xx whose body is JSON, never a 2xx or 5xx: the device takes JSON only"):
        reply = clinic.api.client.request(route.method, route.path, token=clinic.token(), content=b"<request/>",
                                          headers={"Content-Type": "application/xml"})
        require("non-json-refused", 400 <= reply.status < 500, f"an XML body got {reply.status}",
                f"refused with {reply.status}")
        try:
            reply.json()
            readable = True
        except Exception:  # a TargetError: the error body is no JSON, which CONTRACT.md §8 forbids
            readable = False
        require("error-is-json", readable, f"the {reply.status} answer is not JSON "
                f"({reply.headers.get('content-type', 'no content type')})", "the error body is JSON")


def test_example_images_are_analysed(clinic, examples, step):
    """The device analyses every image of the customer's example requests: one analysis per image, with its quality."""
    chosen = examples.valid("diagnose")[:1] + examples.valid("assess_severity")[:1]
    if not chosen:
        with step("Find an example request with images", expect="at least one request the client sends"):
            require("example-with-images", False, f"no usable example request ({_source(examples)})")
    for example in chosen:
        count = len(example.report.images)
        with step(f"Send {example.name} ({example.description})",
                  expect=f"200 with {count} image analysis(es), each with its quality (mediaValidity)"):
            reply = clinic.send(example.operation, example.body)
            if example.operation == "diagnose":
                analyses = check_diagnosis_report(clinic, reply, count).images
            else:
                status_is(reply, 200)
                analyses = clinic.dialect.read_severity(reply).images
                require("one-analysis-per-image", len(analyses) == count,
                        f"{count} image(s) sent, {len(analyses)} analysis(es) returned",
                        f"{count} image(s) sent, {len(analyses)} analysis(es) returned")
            for index, analysis in enumerate(analyses, 1):
                step.note(f"image {index} ({example.report.images[index - 1] if index <= count else '?'}): "
                          f"{'usable' if analysis.valid else 'NOT usable (the client should ask for another photo)'}, "
                          f"quality {analysis.quality:g}/100, dermatological: {analysis.dermatological}")


def test_offered_body_sites_are_contract_codes(target, clinic, examples, step):
    """The body sites the customer's UI offers are contract codes with zone factors, fit each scoring system used,
    and include every example's site."""
    offered = list(target.profile.integration.body_sites) or [site.code for site in BODY_SITES]
    systems = _systems(target, clinic, examples)
    with step(f"Map the {len(offered)} body site(s) the UI offers (profile integration.body_sites; none listed: all) "
              "to the contract's zone factors", expect="each is a contract code with a PASI weight and a "
                                                       "rule-of-nines share"):
        unknown = [code for code in offered if code not in BODY_SITE_BY_CODE]
        mapped = ", ".join(f"{code} (PASI {BODY_SITE_BY_CODE[code].pasi_weight:g}, "
                           f"{BODY_SITE_BY_CODE[code].nines_share:g} %)" for code in offered if code not in unknown)
        require("sites-are-contract-codes", not unknown, f"not contract codes: {', '.join(unknown)}", mapped)
    with step(f"Match the offered sites with the scoring systems used ({', '.join(systems) or 'none'})",
              expect="asalt, if used, has scalp views to offer; every zone-weighted system has a site to offer"):
        problems = []
        if "asalt" in systems and not set(offered) & set(SALT_WEIGHTS):
            problems.append(f"asalt needs a scalp view ({', '.join(SALT_WEIGHTS)}), and the UI offers none")
        if "asalt" in systems and set(offered) - set(SALT_WEIGHTS):
            step.note("asalt is refused on a non-scalp site: the UI must offer only scalp views when it asks for asalt")
        zoned = [code for code in systems if SCORING_SYSTEM_BY_CODE[code].needs_zone]
        require("sites-fit-systems", not problems and bool(offered), "; ".join(problems) or "no site offered",
                f"zone-weighted: {', '.join(zoned) or 'none'}; {len(offered)} site(s) to choose from")
    with step("Compare with the body sites of the example requests",
              expect="every example's body site is one the UI offers"):
        used = {e.name: clinic.dialect.severity_request_of(e.body).body_site for e in examples.valid("assess_severity")}
        outside = {name: site for name, site in used.items() if site is not None and site not in offered}
        require("example-sites-offered", not outside,
                "; ".join(f"{name}: {site} is not offered" for name, site in outside.items()),
                f"sites in the examples: {', '.join(sorted({s for s in used.values() if s})) or 'none'}")


def test_each_scoring_system_is_scored_from_its_questionnaire(target, clinic, examples, step):
    """For each scoring system the customer uses, an example request with its questionnaire gets 200 and a score
    that the oracle recomputes from the items and echoed answers."""
    systems = _systems(target, clinic, examples)
    named = bool(target.profile.integration.scoring_systems)
    with step("List the scoring systems the customer uses", expect="at least one"):
        require("systems-named", bool(systems),
                "none: set integration.scoring_systems in the profile, or add a severity example request",
                f"{', '.join(systems)} ({'profile integration.scoring_systems' if named else 'asked by the examples'})")
    for system in systems:
        example = next((e for e in examples.valid("assess_severity")
                        if system in clinic.dialect.severity_request_of(e.body).systems), None)
        with step(f"Send the example request for {system}" + (f" ({example.name}: {example.description})"
                                                               if example else ""),
                  expect="200 with a result for each listed system, answers echoed as sent, every score as the "
                         "oracle recomputes it"):
            require("example-for-system", example is not None,
                    f"no example request asks for {system} ({_source(examples)}): add one",
                    example.name if example else "")
            check_severity_report(clinic, clinic.send("assess_severity", example.body),
                                  clinic.dialect.severity_request_of(example.body))


def test_likely_mistakes_get_a_4xx_the_client_can_show(clinic, examples, step):
    """The customer's likely mistakes each get the 4xx their files expect, with a JSON detail naming the field, as
    lhv check-payload predicts; a request without a token gets 401."""
    mistakes = examples.mistakes() or bundled_mistakes(clinic)
    if not mistakes:
        raise Inconclusive(f"no example mistake in the {clinic.dialect.name} dialect to send")
    for example in mistakes:
        with step(f"Send {example.name}: {example.description}",
                  expect=f"{example.expected_status} with a JSON detail naming the field, "
                         "as lhv check-payload predicts"):
            reply = clinic.send(example.operation, example.body)
            require("not-a-server-error", reply.status < 500, f"the device failed with {reply.status}: a 5xx is "
                    "always a device defect", f"no server error ({reply.status})")
            expect_payload_outcome(clinic, example.payload, reply)
            detail_list(reply)
            predicted = "; ".join(f"{p.path} ({p.type})" for p in example.report.problems)
            require("check-payload-predicted", reply.status == example.report.status,
                    f"lhv check-payload predicted {example.report.status}, the device answered {reply.status}",
                    f"lhv check-payload predicted {example.report.status}: {predicted}")
    valid = examples.valid()
    operation = valid[0].operation if valid else "assess_severity"
    with step(f"Send a {operation} request without a token",
              expect="401 with WWW-Authenticate: Bearer (the client logs in again, then retries)"):
        reply = clinic.api.call(operation, json_body=valid[0].body if valid else {})
        status_is(reply, 401)
        header_present(reply, "WWW-Authenticate")


def _login(api, user) -> tuple[str, float]:
    reply = api.login(user)
    status_is(reply, 200)
    token = api.dialect.read_token(reply).access_token
    exp = jwt_claims(token).get("exp")
    require("exp-present", isinstance(exp, (int, float)), "the token has no numeric exp claim", f"exp {exp}")
    return token, float(exp)


def test_token_can_be_renewed_before_expiry(api, accounts, target, step):
    """A second login before the first token expires gives a token that works and expires no earlier: the client
    can renew its token ahead of expiry."""
    auth = target.profile.auth
    with step("Log in as the profile's user", expect="200 with a token that has an exp"):
        _, first_exp = _login(api, accounts.user)
    with step("Log in again while the first token is valid (a renewal)", expect="200 with a token whose exp is "
                                                                                 "not earlier than the first's"):
        renewed, renewed_exp = _login(api, accounts.user)
        require("renewal-expires-later", renewed_exp >= first_exp,
                f"the renewed token expires {first_exp - renewed_exp:.0f} s before the first",
                f"the renewed token expires {renewed_exp - first_exp:.0f} s after the first")
    with step("Call a protected route with the renewed token", expect="200"):
        status_is(api.call("device_information", token=renewed), 200)
        margin = max(auth.clock_skew_seconds, auth.token_lifetime_seconds // 10)
        step.note(f"a client renews at the latest {auth.token_lifetime_seconds - margin} s after login: the token "
                  f"lives {auth.token_lifetime_seconds} s (profile auth.token_lifetime_seconds) less a margin of "
                  f"{margin} s for clock skew and a request in flight")


def test_volume_fits_the_rate_limits(target, step):
    """The customer's monthly volume estimate, at its busiest minute, fits the target's anonymous and authenticated
    rate limits."""
    verdicts = volume_verdicts(target.profile)
    if not verdicts:
        raise NotApplicable("no volume estimate: set integration.reports_per_month in the profile")
    limits = target.profile.limits
    for verdict in verdicts:
        with step(f"Take the busiest minute of the {verdict.label} ({verdict.traffic.reports_per_month:,} reports a "
                  f"month) against the limits ({limits.anonymous_requests} anonymous and "
                  f"{limits.authenticated_requests} authenticated requests per {limits.window_seconds:g} s)",
                  expect="the peak stays within both limits"):
            step.note(arithmetic(verdict))
            for scope in verdict.scopes:
                shown = (f"{scope.scope}: {scope.peak_requests:.2f} of {scope.limit} requests per "
                         f"{scope.window_seconds:g} s ({scope.basis}); margin {scope.margin:,.2f}")
                require(f"{scope.scope}-limit", scope.fits, f"{shown}: OVER the limit",
                        f"{shown}, {scope.headroom:,.1f}× headroom")
                if scope.thin:
                    step.note(f"WARNING: the {scope.scope} peak takes more than half the limit: little room for "
                              "retries and growth")
