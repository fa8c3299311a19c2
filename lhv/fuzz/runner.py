"""Schemathesis fuzzing of the contract, bounded by a case and time budget, through the harness's client.

Schemathesis (as a library) generates requests for every operation of the OpenAPI document,
positive (fitting the schema) and negative (breaking it), and judges each response with its
checks: no server error; status, content type, headers and body as documented; negative data
rejected; authentication not ignored. The harness adds what schemathesis cannot know:

* every request goes through the target's recording, rate-aware client (paced under the
  profile's limits, its trust store, evidence redacted), mounted as the requests adapter;
* bearer routes get a token of the profile's user from `Api.token`, which logs in again before
  the token's lifetime runs out, so long runs stay authenticated;
* image objects carry drawn image variants (lhv.fuzz.images) instead of random base64, and
  half of the positive clinical requests are valid requests of the contract's space, so
  responses past validation are fuzzed too;
* ignored authentication is probed through the same client (schemathesis's own probe opens a
  session of its own, which would bypass pacing, trust store and evidence).

Each failure keeps the check, the seed, the example's number, the images it carried, a curl line
(token and image data redacted) and its exchanges; passing cases are counted, not kept.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, seed as hypothesis_seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.openapi.checks import AuthScenario, IgnoredAuth
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance, response_schema_conformance,
                                               status_code_conformance)

from lhv.contract.dialects import Dialect
from lhv.core.evidence import CURRENT_CASE, CaseEvidence, Exchange, Step
from lhv.fuzz.curl import curl_line
from lhv.fuzz.images import SourceImage, image_paths, with_images
from lhv.fuzz.transport import session_for
from lhv.core.http import RecordingClient
from lhv.contract.intents import Image
from lhv.core.secrets import SECRETS

CHECK_NAMES = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
               "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
               "ignored_auth")
NO_ANSWER = "no_answer"  # not a schemathesis check: the target did not answer a generated request
TRANSPORT_HEADERS = "transport_headers"  # not a schemathesis check: every answer's HSTS and nosniff (CONTRACT.md §1)
HSTS_MIN_AGE = 15_552_000  # 180 days
MESSAGE_LIMIT = 1500
_INVALID_TOKEN = "lhv-invalid-token"
_STOP_AFTER_SILENCE = 3  # consecutive unanswered requests end an operation's fuzzing


class _BudgetSpent(Exception):
    """Raised in an example once its operation's time budget is spent: stops hypothesis without a failure."""


@dataclass(frozen=True)
class FuzzBudget:
    """How much fuzzing: generated requests in all, wall time in seconds, and the seed."""

    cases: int
    seconds: float
    seed: int

    @classmethod
    def chosen(cls, cases: int, seconds: float, seed: int | None) -> "FuzzBudget":
        """A budget with the given seed, or a fresh one."""
        return cls(cases, seconds, seed if seed is not None else random.SystemRandom().randrange(2**32))


@dataclass(frozen=True)
class Allocation:
    """One operation's share of the budget."""

    label: str
    positive: int
    negative: int
    seconds: float


def allocate(labels_with_body: list[tuple[str, bool]], budget: FuzzBudget) -> list[Allocation]:
    """Splits the budget: two cases for each operation without a body, the rest evenly over the others.

    Seconds follow cases. Negative cases are about half of an operation's share.
    """
    without = [label for label, has_body in labels_with_body if not has_body]
    with_body = [label for label, has_body in labels_with_body if has_body]
    small = min(2, max(1, budget.cases // max(1, len(labels_with_body))))
    left = max(budget.cases - small * len(without), len(with_body))
    shares = {label: small for label in without}
    for index, label in enumerate(with_body):
        shares[label] = left // len(with_body) + (1 if index < left % len(with_body) else 0)
    total = sum(shares.values()) or 1
    allocations = []
    for label, _ in labels_with_body:
        cases = shares[label]
        negative = cases // 2
        allocations.append(Allocation(label, cases - negative, negative, budget.seconds * cases / total))
    return allocations


@dataclass
class FuzzFailure:
    """One distinct failure (check, operation, status) and how to reproduce its first occurrence."""

    check: str
    title: str
    severity: str
    operation: str
    mode: str
    example: int
    status: int | None
    message: str
    curl: str
    images: tuple[str, ...]
    seed: int
    exchanges: list[Exchange] = field(default_factory=list)
    occurrences: int = 1

    @property
    def finding_id(self) -> str:
        """The finding's name in the record, e.g. fuzz:not_a_server_error."""
        return f"fuzz:{self.check}"

    def describe(self) -> str:
        """One paragraph for the record: what, where, how often, and how to send it again."""
        images = f"; images: {', '.join(self.images)}" if self.images else ""
        return (f"{self.operation}: {self.title} (status {self.status}; {self.occurrences} case(s); first: "
                f"{self.mode} example {self.example}, seed {self.seed}{images}). {self.message} "
                f"Reproduce: {self.curl}")


@dataclass
class OperationRun:
    """What fuzzing one operation did."""

    label: str
    allocation: Allocation
    sent: Counter = field(default_factory=Counter)  # mode → cases sent
    statuses: Counter = field(default_factory=Counter)
    failures: list[FuzzFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: set[str] = field(default_factory=set)  # the checks that judged at least one of its responses
    seconds: float = 0.0

    @property
    def cases(self) -> int:
        """Cases sent in both modes."""
        return sum(self.sent.values())

    def summary(self) -> str:
        """One line: cases by mode, statuses, time."""
        statuses = ", ".join(f"{status}×{count}" for status, count in sorted(self.statuses.items()))
        return (f"{self.label}: {self.cases} case(s) ({self.sent['positive']} positive, {self.sent['negative']} "
                f"negative) in {self.seconds:.1f} s; statuses {statuses or 'none'}")


class Fuzzer:
    """Fuzzes the operations of one OpenAPI document against one target, as one user."""

    def __init__(self, *, document: dict[str, Any], base_url: str, client: RecordingClient, dialect: Dialect,
                 token: Callable[[], str], images: tuple[SourceImage, ...], budget: FuzzBudget,
                 ca_file: str | None = None, contract_bodies: dict[str, st.SearchStrategy] | None = None):
        # Tokens are the harness's (fresh, from Api.token); missing and bad ones are probed by ignored_auth and the
        # security pass, so generated cases spend their negative mutations on what the requests carry.
        self.schema = schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict(
            {"generation": {"with-security-parameters": False}}))
        self.operations = []
        for result in self.schema.get_all_operations():
            self.operations.append(result.ok())  # an invalid operation is a broken document: raise
        self.base_url, self.client, self.dialect, self.token = base_url, client, dialect, token
        self.images, self.budget, self.ca_file = images, budget, ca_file
        self.contract_bodies = contract_bodies or {}
        self.session, _ = session_for(client)
        self.allocations = {a.label: a for a in allocate(
            [(op.label, op.body is not None and len(op.body) > 0) for op in self.operations], budget)}
        self._auth_confirmed: set[str] = set()

    def close(self) -> None:
        """Closes the requests session (the recording client is the caller's)."""
        self.session.close()

    def run(self, operation: Any) -> OperationRun:
        """Fuzzes one operation within its share of the budget."""
        allocation = self.allocations[operation.label]
        outcome = OperationRun(operation.label, allocation)
        started = time.monotonic()
        deadline = started + allocation.seconds
        for mode, count in ((GenerationMode.POSITIVE, allocation.positive),
                            (GenerationMode.NEGATIVE, allocation.negative)):
            if count and (time.monotonic() < deadline or outcome.cases == 0):
                self._run_mode(operation, mode, count, deadline, outcome)
        outcome.seconds = time.monotonic() - started
        if time.monotonic() >= deadline and outcome.cases < allocation.positive + allocation.negative:
            outcome.notes.append(f"{operation.label}: the time share ({allocation.seconds:.1f} s) ran out after "
                                 f"{outcome.cases} of {allocation.positive + allocation.negative} planned case(s)")
        return outcome

    def _run_mode(self, operation: Any, mode: GenerationMode, count: int, deadline: float,
                  outcome: OperationRun) -> None:
        numbers = itertools.count(1)
        silent = [0]
        stopped = [False]

        def example(case: Any, data: st.DataObject) -> None:
            # The first case is sent even late: on a loaded machine, generation alone can use up a small share.
            # Past the budget the run stops by an exception, and sends nothing more: hypothesis then replays the
            # stopping example and may report it as flaky (its draws differ from the first time), which is the stop
            # too, not a defect of the target.
            if (time.monotonic() >= deadline and outcome.cases > 0) or silent[0] >= _STOP_AFTER_SILENCE:
                stopped[0] = True
                raise _BudgetSpent
            self._send_one(operation, mode, next(numbers), case, data, outcome, silent)

        runner = hypothesis_seed(self.budget.seed)(settings(
            max_examples=count, deadline=None, database=None, derandomize=False, print_blob=False,
            report_multiple_bugs=False, verbosity=Verbosity.quiet, phases=(Phase.explicit, Phase.generate),
            suppress_health_check=list(HealthCheck))(given(operation.as_strategy(generation_mode=mode),
                                                          st.data())(example)))
        try:
            runner()
        except Unsatisfiable:
            outcome.notes.append(f"{operation.label}: no {mode.value} data can be generated for it "
                                 f"(nothing in the request can be made to break the schema)")
        except Exception:  # the budget's own stop (_BudgetSpent, or hypothesis's flaky report of it) ends the operation
            if not stopped[0]:
                raise

    def _send_one(self, operation: Any, mode: GenerationMode, number: int, case: Any, data: st.DataObject,
                  outcome: OperationRun, silent: list[int]) -> None:
        negative = mode.is_negative
        labels = self._prepare_body(operation, case, data, negative)
        headers = {"Authorization": f"Bearer {self.token()}"} if self._requires_bearer(operation) else {}
        scratch = CaseEvidence(steps=[Step(0, operation.label, "", verdict="running")])
        reset = CURRENT_CASE.set(scratch)
        failures: list[Failure] = []
        status = None
        checks = self._checks(operation)
        try:
            response = case.call(base_url=self.base_url, session=self.session, headers=headers)
            status = response.status_code
            try:
                case.validate_response(response, checks=checks, headers=headers,
                                       transport_kwargs={"base_url": self.base_url, "session": self.session,
                                                         "headers": headers})
            except FailureGroup as group:
                failures = list(group.exceptions)
            failures += _transport_failures(operation.label, response.headers)
            silent[0] = 0
        except requests.ConnectionError as exc:
            silent[0] += 1
            failures = [_NoAnswer(operation.label, str(exc))]
        finally:
            CURRENT_CASE.reset(reset)
        outcome.sent[mode.value] += 1
        exchanges = scratch.steps[0].exchanges + scratch.loose_exchanges
        if status is not None:
            outcome.statuses[status] += 1
            applied = {_check_name(check) for check in checks} - {"ignored_auth"}
            if operation.label in self._auth_confirmed:  # probed after a 2xx: refused without and with a bad token
                applied.add("ignored_auth")
            outcome.checks |= applied - (set() if negative else {"negative_data_rejection"})
        for failure in failures:
            self._keep_failure(outcome, failure, mode, number, status, labels, exchanges)

    def _prepare_body(self, operation: Any, case: Any, data: st.DataObject, negative: bool) -> tuple[str, ...]:
        """Puts image variants (and, half the time, a valid contract request) into the case's body."""
        body = case.body
        intent = _intent_of(self.dialect, operation)
        contract = self.contract_bodies.get(intent or "")
        if not negative and contract is not None and data.draw(st.booleans(), label="contract request"):
            body = data.draw(contract, label="contract request")
        if isinstance(body, (dict, list)) and image_paths(body):
            body, labels = with_images(body, lambda strategy: data.draw(strategy), self.images, negative=negative)
            case.body = body  # assignment (not an in-place edit) makes schemathesis revalidate the case
            return tuple(labels)
        if body is not case.body:
            case.body = body
        return ()

    def _checks(self, operation: Any) -> list[Callable]:
        checks = [not_a_server_error, status_code_conformance, content_type_conformance,
                  response_headers_conformance, response_schema_conformance, negative_data_rejection]
        if self._requires_bearer(operation) and operation.label not in self._auth_confirmed:
            checks.append(self._ignored_auth)
        return checks

    def _ignored_auth(self, ctx: Any, response: Any, case: Any) -> None:
        """Schemathesis's ignored_auth, probing through the harness's client: once per operation, after a 2xx."""
        if not 200 <= response.status_code < 300 or case.operation.label in self._auth_confirmed:
            return None
        probe = case.derive(headers={k: v for k, v in case.headers.items() if k.lower() != "authorization"})
        for scenario, headers in ((AuthScenario.NO_AUTH, {}),
                                  (AuthScenario.INVALID_AUTH, {"Authorization": f"Bearer {_INVALID_TOKEN}"})):
            answer = probe.call(base_url=self.base_url, session=self.session, headers=headers)
            if answer.status_code not in (401, 403):
                what = "without a token" if scenario == AuthScenario.NO_AUTH else "with an invalid token"
                raise IgnoredAuth(operation=case.operation.label, scenario=scenario,
                                  message=f"Expected 401 or 403 {what}, got {answer.status_code} "
                                          f"for {case.operation.label}")
        self._auth_confirmed.add(case.operation.label)
        return None

    def _requires_bearer(self, operation: Any) -> bool:
        return bool(operation.definition.raw.get("security", self.schema.raw_schema.get("security", [])))

    def _keep_failure(self, outcome: OperationRun, failure: Failure, mode: GenerationMode, number: int,
                      status: int | None, labels: tuple[str, ...], exchanges: list[Exchange]) -> None:
        check = (type(failure).checks or (type(failure).__name__,))[0]
        for kept in outcome.failures:
            if (kept.check, kept.status, kept.title) == (check, status, failure.title):
                kept.occurrences += 1
                return
        shown = exchanges[-1] if isinstance(failure, IgnoredAuth) and exchanges else \
            exchanges[0] if exchanges else None
        message = SECRETS.redact(" ".join(str(failure.message).split()))[:MESSAGE_LIMIT]
        outcome.failures.append(FuzzFailure(
            check, failure.title, str(failure.severity), outcome.label, mode.value, number, status, message,
            curl_line(shown, self.ca_file) if shown else "(no request was recorded)", labels, self.budget.seed,
            exchanges))


class _HarnessFailure(Failure):
    """A failure the harness finds itself, beside schemathesis's checks: its title and severity are the class's."""

    title = ""
    severity_name = "MEDIUM"

    def __init__(self, operation: str, detail: str):
        from schemathesis.core.failures import Severity

        super().__init__(operation=operation, title=self.title, message=detail,
                         severity=Severity[self.severity_name])


class _NoAnswer(_HarnessFailure):
    """The target did not answer a generated request (the connection failed or was dropped)."""

    checks = (NO_ANSWER,)
    kind_title = "No answer"
    title = "The target did not answer"
    severity_name = "CRITICAL"


class _TransportHeaders(_HarnessFailure):
    """An answer lacks the transport headers the contract asks of every HTTPS answer."""

    checks = (TRANSPORT_HEADERS,)
    kind_title = "Transport headers"
    title = "An answer lacks HSTS or nosniff"


def _transport_failures(operation: str, headers: Any) -> list[Failure]:
    """Strict-Transport-Security with max-age ≥ 180 days and X-Content-Type-Options: nosniff, on every answer."""
    hsts = _header(headers, "strict-transport-security")
    age = re.search(r"(?i)max-age\s*=\s*\"?(\d+)", hsts)
    problems = [] if age and int(age.group(1)) >= HSTS_MIN_AGE else [
        f"Strict-Transport-Security is {hsts or 'missing'!r}, expected max-age ≥ {HSTS_MIN_AGE}"]
    if _header(headers, "x-content-type-options").strip().lower() != "nosniff":
        problems.append("X-Content-Type-Options: nosniff is missing")
    return [_TransportHeaders(operation, "; ".join(problems))] if problems else []


def _header(headers: Any, name: str) -> str:
    """A header's value from schemathesis's response headers (name → list of values), any case."""
    for key, value in headers.items():
        if key.lower() == name:
            return ", ".join(value) if isinstance(value, (list, tuple)) else str(value)
    return ""


def _check_name(check: Callable) -> str:
    return "ignored_auth" if getattr(check, "__name__", "") == "_ignored_auth" else check.__name__


def _intent_of(dialect: Dialect, operation: Any) -> str | None:
    for intent, route in dialect.routes.items():
        if route.method.lower() == operation.method.lower() and route.path == operation.path:
            return intent
    return None


def contract_bodies(dialect: Dialect, images: tuple[SourceImage, ...]) -> dict[str, st.SearchStrategy]:
    """Valid requests of the contract's space for the clinical intents, built by the dialect."""
    from lhv.fuzz.severity_space import valid_requests

    stand_in = tuple(Image(image.content_type, "", image.name) for image in images)
    with_data = {image.name: image for image in images}

    def filled(example: Any) -> dict:
        source = with_data[example.request.image.source]
        image = Image(source.content_type, _text(source), source.name)
        return dialect.severity_body(dataclasses.replace(example.request, image=image))

    diagnosis = st.lists(st.sampled_from(images), min_size=1, max_size=5).map(
        lambda chosen: dialect.diagnosis_body([Image(i.content_type, _text(i), i.name) for i in chosen],
                                              "fuzz-subject"))
    return {"diagnose": diagnosis, "assess_severity": valid_requests(stand_in).map(filled)}


def _text(image: SourceImage) -> str:
    text = base64.b64encode(image.raw).decode("ascii")
    SECRETS.add_image(text)
    return text
