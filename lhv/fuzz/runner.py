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
  three in four clinical requests are of the contract's space (lhv.fuzz.contract): valid ones in
  positive mode, valid ones broken in one named way in negative mode, so responses past
  validation are fuzzed too, and judged by what the contract says of them (lhv.fuzz.judges);
* an operation's time share is split between its positive and negative cases as its cases are,
  so a time budget that runs out first still fuzzes both;
* every answer is also judged by the contract's rules for all answers: transport and disclosure
  headers, error bodies, no credentials or image data echoed; a registration by the fuzzing
  (ordinary) user is refused; some requests carry a foreign Origin, which no CORS grant may name;
* ignored authentication is probed through the same client (schemathesis's own probe opens a
  session of its own, which would bypass pacing, trust store and evidence), with forged tokens
  (alg none, signature stripped or tampered) besides a missing and an invalid one; each must get
  401 with WWW-Authenticate: Bearer (CONTRACT.md §3), not merely a refusal;
* each path is sent the methods the document does not give it (PUT, PATCH, DELETE, TRACE) once:
  each must get a 4xx;
* the login route is sent, once, a password no account has under the fuzzing user's own name (the
  `sub` of its token, CONTRACT.md §3), under a name of no account, and under names with an
  apostrophe and a letter outside ASCII: none gets a token or a 5xx, and the first two get the same
  answer. The user's account sees one failed login, far below any lockout threshold.

Each failure keeps the check, the seed, the example's number, the images it carried, a curl line
(token and image data redacted) and its exchanges; passing cases are counted, not kept.
"""

from __future__ import annotations

import itertools
import json
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.openapi.checks import AuthScenario, IgnoredAuth
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lhv.contract.dialects import Dialect
from lhv.core.errors import TargetError
from lhv.core.evidence import CURRENT_CASE, CaseEvidence, Exchange, Step
from lhv.core.http import RecordingClient
from lhv.core.hypothesis_cache import cached_storage
from lhv.core.secrets import SECRETS
from lhv.fuzz import judges
from lhv.fuzz.contract import ContractRequest, broken_contract_requests, contract_bodies, with_body
from lhv.fuzz.curl import curl_line
from lhv.fuzz.images import SourceImage, image_paths, with_variants
from lhv.fuzz.judges import HARNESS_CHECKS, TRANSPORT_HEADERS, HarnessFailure, Sent
from lhv.fuzz.judges import transport_failures as _transport_failures  # noqa: F401 (its tests' name)
from lhv.fuzz.transport import session_for
from lhv.security import forgery

__all__ = ["CHECK_NAMES", "NO_ANSWER", "TRANSPORT_HEADERS", "Allocation", "FuzzBudget", "FuzzFailure", "Fuzzer",
           "OperationRun", "allocate", "contract_bodies"]

SCHEMATHESIS_CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                       "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
                       "ignored_auth")
CHECK_NAMES = SCHEMATHESIS_CHECKS + HARNESS_CHECKS  # in the order a step lists them
NO_ANSWER = "no_answer"  # not a schemathesis check: the target did not answer a generated request
MESSAGE_LIMIT = 1500
_INVALID_TOKEN = "lhv-invalid-token"
_STOP_AFTER_SILENCE = 3  # consecutive unanswered requests end an operation's fuzzing
UNDOCUMENTED_METHODS = ("PUT", "PATCH", "DELETE", "TRACE")  # each sent once to every path that lacks it
# Of the clinical requests, this share (3 in 4) is of the contract's space: past validation, with answers the harness
# can judge; the rest is schemathesis's own generation. A contract request's images are broken one time in four.
CONTRACT_SHARE = (3, 4)
_FORGERIES = {"alg none and no signature": forgery.alg_none, "its signature stripped": forgery.stripped,
              "its signature tampered with": forgery.tampered}


class _BudgetSpent(Exception):
    """Raised in an example once its operation's time budget is spent: stops hypothesis without a failure."""


@dataclass(frozen=True)
class FuzzBudget:
    """How much fuzzing: generated requests in all, wall time in seconds, and the seed."""

    cases: int
    seconds: float
    seed: int

    @classmethod
    def chosen(cls, cases: int, seconds: float, seed: int | None) -> FuzzBudget:
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
        self.document_text = json.dumps(document, ensure_ascii=False)  # where schemathesis draws constants from
        self.broken_bodies = broken_contract_requests(dialect, images) if contract_bodies else {}
        self.session, self.adapter = session_for(client)
        self.allocations = {a.label: a for a in allocate(
            [(op.label, op.body is not None and len(op.body) > 0) for op in self.operations], budget)}
        self._auth_confirmed: set[str] = set()
        self._methods_probed: set[str] = set()
        self._probe_failures: list[Failure] = []  # what the auth probe of the current case found beyond ignored_auth
        self._last_probe: Any = None  # the reply to the harness's last request of its own (_probe)

    def close(self) -> None:
        """Closes the requests session (the recording client is the caller's)."""
        self.session.close()

    def run(self, operation: Any) -> OperationRun:
        """Fuzzes one operation within its share of the budget."""
        allocation = self.allocations[operation.label]
        outcome = OperationRun(operation.label, allocation)
        started = time.monotonic()
        deadline = started + allocation.seconds
        if operation.path not in self._methods_probed:
            self._methods_probed.add(operation.path)
            self._probe_methods(operation, outcome, deadline)
        if _intent_of(self.dialect, operation) == "login":
            self._try_wrong_passwords(operation, outcome)
        # Each mode's time ends where its share of the cases would: a slow positive half leaves the negative its time.
        planned = allocation.positive + allocation.negative
        ends = {GenerationMode.POSITIVE: started + allocation.seconds * allocation.positive / max(planned, 1),
                GenerationMode.NEGATIVE: deadline}
        for mode, count in ((GenerationMode.POSITIVE, allocation.positive),
                            (GenerationMode.NEGATIVE, allocation.negative)):
            if count and (time.monotonic() < ends[mode] or outcome.cases == 0):
                self._run_mode(operation, mode, count, ends[mode], outcome)
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
            with cached_storage():  # hypothesis's caches, out of the user's working folder
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
        sent = self._prepare(operation, case, data, negative)
        headers = {"Authorization": f"Bearer {sent.token}"} if sent.token else {}
        if sent.origin:
            headers["Origin"] = sent.origin
        scratch = CaseEvidence(steps=[Step(0, operation.label, "", verdict="running")])
        reset = CURRENT_CASE.set(scratch)
        failures: list[Failure] = []
        status = None
        checks = self._checks(operation)
        try:
            response = case.call(base_url=self.base_url, session=self.session, headers=headers)
            status, reply = response.status_code, self.adapter.last_reply  # before any probe sends again
            try:
                case.validate_response(response, checks=checks, headers=headers,
                                       transport_kwargs={"base_url": self.base_url, "session": self.session,
                                                         "headers": headers})
            except FailureGroup as group:
                failures = list(group.exceptions)
            failures += self._probe_failures + self._judge(operation, status, reply, sent, outcome)
            self._probe_failures = []
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
            if operation.label in self._auth_confirmed:  # probed after a 2xx: refused without and with bad tokens
                applied |= {"ignored_auth", judges.BEARER_REFUSAL}
            outcome.checks |= applied - (set() if negative else {"negative_data_rejection"})
        labels = judges.labels(sent.variants)
        for failure in failures:
            self._keep_failure(outcome, failure, mode, number, status, labels, exchanges)

    def _judge(self, operation: Any, status: int, reply: Any, sent: Sent, outcome: OperationRun) -> list[Failure]:
        """The harness's own judgements of one answer (lhv.fuzz.judges); notes in outcome.checks which judged."""
        label, headers = operation.label, reply.headers
        found = [*judges.transport_failures(label, headers), *judges.disclosure_failures(label, headers, sent.origin),
                 *judges.echo_failures(label, status, headers, reply.text, sent),
                 *judges.error_body_failures(label, status, headers, reply.text, sent)]
        applied = {judges.TRANSPORT_HEADERS, judges.DISCLOSURE_HEADERS, judges.SECRETS_ECHOED}
        if status >= 400:
            applied.add(judges.ERROR_BODY)
        if sent.contract is not None:
            found += judges.contract_failures(label, reply, sent, self.dialect)
            if sent.contract.breakage or sent.refused_images:
                applied.add(judges.CONTRACT_REFUSAL)
            elif sent.images_valid:
                applied.add(judges.CONTRACT_REPLY)
        if _intent_of(self.dialect, operation) == "register":
            found += judges.admin_only_failures(label, status)
            applied.add(judges.ADMIN_ONLY)
        outcome.checks |= applied
        return found

    def _prepare(self, operation: Any, case: Any, data: st.DataObject, negative: bool) -> Sent:
        """Puts image variants (and, CONTRACT_SHARE of the time, a request of the contract's space: valid in positive
        mode, broken one named way in negative mode) into the case's body; returns what the harness knows of it."""
        body = case.body
        intent = _intent_of(self.dialect, operation) or ""
        contract: ContractRequest | None = None
        built = (self.broken_bodies if negative else self.contract_bodies).get(intent)
        if built is not None and data.draw(st.integers(1, CONTRACT_SHARE[1]), label="contract request") \
                <= CONTRACT_SHARE[0]:
            contract = data.draw(built, label="contract request")
            body = contract.body
        variants: list = []
        if isinstance(body, (dict, list)) and image_paths(body) and (contract is None or contract.breakage is None):
            body, variants = with_variants(body, lambda strategy: data.draw(strategy), self.images,
                                           negative=negative, broken_one_in=4 if contract else 2)
            contract = contract and with_body(contract, body)
        if body is not case.body:
            case.body = body  # assignment (not an in-place edit) makes schemathesis revalidate the case
        password = body.get("password") if isinstance(body, dict) else None
        origin = judges.FOREIGN_ORIGIN if data.draw(st.integers(0, 3), label="foreign Origin") == 0 else None
        return Sent(body, self.token() if self._requires_bearer(operation) else None,
                    judges.judged_password(password, self.document_text), tuple(variants), contract, origin)

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
        for scenario, what, token in self._auth_probes():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            answer = probe.call(base_url=self.base_url, session=self.session, headers=headers)
            if answer.status_code not in (401, 403):
                raise IgnoredAuth(operation=case.operation.label, scenario=scenario,
                                  message=f"Expected 401 or 403 {what}, got {answer.status_code} "
                                          f"for {case.operation.label}")
            self._probe_failures += judges.bearer_refusal_failures(case.operation.label, f"a request {what}",
                                                                   answer.status_code, answer.headers)
        self._auth_confirmed.add(case.operation.label)
        return None

    def _auth_probes(self) -> list[tuple[AuthScenario, str, str | None]]:
        """(scenario, what, token): no token, an invalid one, and the user's token forged (CONTRACT.md §3)."""
        probes = [(AuthScenario.NO_AUTH, "without a token", None),
                  (AuthScenario.INVALID_AUTH, "with an invalid token", _INVALID_TOKEN)]
        genuine = self.token()
        for what, forge in _FORGERIES.items():
            try:
                forged = forge(genuine)
            except ValueError:  # not a JWT: the contract's tokens are, and status checks say so elsewhere
                continue
            SECRETS.add(forged, "token")
            probes.append((AuthScenario.INVALID_AUTH, f"with the user's token forged ({what})", forged))
        return probes

    def _probe_methods(self, operation: Any, outcome: OperationRun, deadline: float) -> None:
        """Sends the path each method the document does not give it, once: each must get a 4xx (never 2xx, 5xx).
        Stops at the operation's deadline, or once a probe goes unanswered."""
        documented = {op.method.upper() for op in self.operations if op.path == operation.path}
        token = self.token() if any(self._requires_bearer(op) for op in self.operations
                                    if op.path == operation.path) else None
        for number, method in enumerate(m for m in UNDOCUMENTED_METHODS if m not in documented):
            if number and time.monotonic() >= deadline:
                return
            status, exchanges = self._probe(method, operation.path, token=token)
            outcome.checks.add(judges.UNDOCUMENTED_METHOD)
            for failure in judges.method_failures(f"{method} {operation.path}", method, status):
                self._keep_failure(outcome, failure, GenerationMode.NEGATIVE, number + 1, status, (), exchanges)
            if status is None:
                return

    def _try_wrong_passwords(self, operation: Any, outcome: OperationRun) -> None:
        """Logs in with a password no account has, under the user's own name (its token's `sub`), a name of no
        account, and names with an apostrophe and a letter outside ASCII (login_failures judges them); stops at the
        first that goes unanswered."""
        mark = secrets.token_hex(4)
        password = f"lhv-fuzz-wrong-{secrets.token_urlsafe(12)}"  # a password no account is given
        SECRETS.add(password, "password")
        names = [("a name of no account", f"lhv-nobody-{mark}@example.test", True),
                 ("a name with an apostrophe", f"o'lhv-{mark}@example.test", False),
                 ("a name outside ASCII", f"j\u00f6rg-lhv-{mark}@example.test", False)]
        subject = _subject(self.token())
        if subject:
            names.insert(0, ("the user's own name", subject, True))
        else:
            outcome.notes.append(f"{operation.label}: the user's token names no subject (`sub`): no wrong password "
                                 "was tried under its name")
        tries, exchanges = [], []
        for what, name, alike in names:
            form = self.dialect.login_form(name, password)
            status, sent = self._probe(operation.method.upper(), operation.path, form=form)
            tries.append(judges.LoginTry(what, status, self._last_probe.text if self._last_probe else "", alike))
            exchanges += sent
            if status is None:  # a target that does not answer is not asked again (the no-answer is the finding)
                break
        outcome.checks.add(judges.LOGIN_REFUSAL)
        for failure in judges.login_failures(operation.label, tries):
            self._keep_failure(outcome, failure, GenerationMode.POSITIVE, 1, None, (), exchanges)

    def _probe(self, method: str, path: str, *, token: str | None = None,
               form: dict[str, str] | None = None) -> tuple[int | None, list[Exchange]]:
        """Sends one request of the harness's own (not generated); returns its status (None: no answer) and the
        exchanges it made. The reply is kept in self._last_probe."""
        scratch = CaseEvidence(steps=[Step(0, f"{method} {path}", "", verdict="running")])
        reset = CURRENT_CASE.set(scratch)
        self._last_probe = None
        try:
            self._last_probe = self.client.request(method, "", url=self.base_url.rstrip("/") + path, token=token,
                                                   form=form)
            status = self._last_probe.status
        except TargetError:
            status = None
        finally:
            CURRENT_CASE.reset(reset)
        return status, scratch.steps[0].exchanges + scratch.loose_exchanges

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


class _NoAnswer(HarnessFailure):
    """The target did not answer a generated request (the connection failed or was dropped)."""

    checks = (NO_ANSWER,)
    kind_title = "No answer"
    title = "The target did not answer"
    severity_name = "CRITICAL"


def _subject(token: str) -> str | None:
    """The `sub` claim of a JWT, read without verifying it (the harness's own token: CONTRACT.md §3 says it is the
    user's e-mail), or None."""
    try:
        subject = forgery.split(token)[1].get("sub")
    except ValueError:
        return None
    return subject if isinstance(subject, str) and subject else None


def _check_name(check: Callable) -> str:
    return "ignored_auth" if getattr(check, "__name__", "") == "_ignored_auth" else check.__name__


def _intent_of(dialect: Dialect, operation: Any) -> str | None:
    for intent, route in dialect.routes.items():
        if route.method.lower() == operation.method.lower() and route.path == operation.path:
            return intent
    return None
