"""HTTP probes of a target (the health route, the authenticated transaction) and the loops that record them."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from lhv.contract.dialects import Dialect
from lhv.core.bounds import Body, Deadline, DeadlinePassed, bounded_client, deadline, read_capped
from lhv.core.errors import CheckFailed, TargetError
from lhv.core.evidence import Exchange
from lhv.core.http import Reply
from lhv.core.pacing import ANONYMOUS, AUTHENTICATED, RatePacer
from lhv.uptime.prober import WALL_CLOCK, Clock, ProbeResult, classify_exception, classify_response, run_prober
from lhv.uptime.store import ProbeStore

HEALTH, TRANSACTION = "health", "transaction"
BODY_CAP = 64 * 1024  # a probe reads no more of an answer: a liveness body, a token or a version is far smaller


@dataclass(frozen=True)
class Transaction:
    """The synthetic transaction: log in as an account, then send one intent's request."""

    intent: str
    username: str
    password: str = field(repr=False)
    body: Any = None
    expect_status: tuple[int, ...] = (200,)
    timeout_s: float = 30.0


@dataclass(frozen=True)
class _Answer:
    """An answer as a probe keeps it: the status, the headers and at most BODY_CAP bytes of the body."""

    method: str
    status_code: int
    headers: httpx.Headers
    body: Body
    encoding: str

    @property
    def text(self) -> str:
        """The body kept, decoded."""
        return self.body.kept.decode(self.encoding, errors="replace")


class _Failed(Exception):
    """One request of a probe failed; carries what the probe records."""

    def __init__(self, error_class: str, status: int | None = None) -> None:
        super().__init__(error_class)
        self.error_class, self.status = error_class, status


class HttpProbes:
    """Probes one target; a probe never raises for the target's failures, it reports them."""

    def __init__(self, base_url: str, dialect: Dialect, *, verify: ssl.SSLContext | bool, timeout_s: float,
                 degraded_s: float, transaction: Transaction | None = None, pacer: RatePacer | None = None,
                 user_agent: str = "lhv-uptime-prober") -> None:
        self.base_url, self.dialect = base_url.rstrip("/"), dialect
        self.timeout_s, self.degraded_s = timeout_s, degraded_s
        self.transaction_spec, self.pacer = transaction, pacer
        headers = {"User-Agent": user_agent}
        self._health_client = bounded_client(verify=verify, timeout=timeout_s, headers=headers)
        transaction_timeout_s = transaction.timeout_s if transaction else timeout_s
        self._transaction_client = bounded_client(verify=verify, timeout=transaction_timeout_s, headers=headers)

    def close(self) -> None:
        """Closes the connection pools."""
        self._health_client.close()
        self._transaction_client.close()

    def url(self, intent: str) -> str:
        """Returns the absolute URL of an intent's route."""
        return self.base_url + self.dialect.route(intent).path

    def health(self) -> ProbeResult:
        """Probes the health route: up on 2xx with the contract's liveness body, the whole answer within the
        timeout."""
        route = self.dialect.route("health")
        started = time.perf_counter()
        try:
            with deadline(self.timeout_s) as current:
                response = _fetch(self._health_client, current, route.method, self.url("health"))
        except (httpx.HTTPError, DeadlinePassed) as exc:
            return ProbeResult("down", latency_ms=_ms_since(started), error_class=classify_exception(exc))
        latency_ms = _ms_since(started)
        if latency_ms > self.timeout_s * 1000:
            return ProbeResult("down", response.status_code, latency_ms, "timeout")
        outcome, error_class = classify_response(response.status_code, _is_liveness(response),
                                                 slow=latency_ms > self.degraded_s * 1000)
        return ProbeResult(outcome, response.status_code, latency_ms, error_class)

    def transaction(self) -> ProbeResult:
        """Probes the transaction: login, then the intent's request; down when either fails or is too slow.

        Both requests share one whole-request budget of the transaction's timeout; waits for the rate pacer
        are not counted against it."""
        spec = self.transaction_spec
        if spec is None:
            raise ValueError("no transaction is configured")
        elapsed_ms, slow, status, version = 0.0, False, None, None
        try:
            login, took = self._send(ANONYMOUS, "login", spec.timeout_s,
                                     form=self.dialect.login_form(spec.username, spec.password))
            elapsed_ms, slow, status = took, took > self.degraded_s * 1000, login.status_code
            if login.status_code != 200:
                raise _Failed("login " + _status_class(login.status_code), login.status_code)
            try:
                token = self.dialect.read_token(_reply(login, "login")).access_token
            except (CheckFailed, TargetError):  # TargetError: not JSON, or cut at BODY_CAP
                raise _Failed("login bad_body", login.status_code) from None
            answer, took = self._send(AUTHENTICATED, spec.intent, spec.timeout_s - elapsed_ms / 1000, token=token,
                                      json_body=spec.body)
            elapsed_ms, slow, status = elapsed_ms + took, slow or took > self.degraded_s * 1000, answer.status_code
            if answer.status_code not in spec.expect_status:
                raise _Failed(_status_class(answer.status_code), answer.status_code)
            version = self._version(answer)
        except _Failed as failure:
            return ProbeResult("down", failure.status, elapsed_ms or None, failure.error_class)
        if elapsed_ms > spec.timeout_s * 1000:
            return ProbeResult("down", status, elapsed_ms, "timeout", version)
        return ProbeResult("degraded" if slow else "up", status, elapsed_ms, "slow" if slow else None, version)

    def _send(self, scope: str, intent: str, budget_s: float, *, form: dict[str, str] | None = None,
              token: str | None = None, json_body: Any = None) -> tuple[_Answer, float]:
        """Sends one request of the transaction; its whole answer must come within budget_s."""
        prefix = "login " if intent == "login" else ""
        if self.pacer is not None:
            self.pacer.before_send(scope)  # keeps the prober under the profile's rate limits
        if budget_s <= 0:
            raise _Failed(prefix + "timeout")
        route = self.dialect.route(intent)
        headers = {"Authorization": f"Bearer {token}"} if token else None
        started = time.perf_counter()
        try:
            with deadline(budget_s) as current:
                response = _fetch(self._transaction_client, current, route.method, self.url(intent), data=form,
                                  json=json_body, headers=headers)
        except (httpx.HTTPError, DeadlinePassed) as exc:
            raise _Failed(prefix + classify_exception(exc)) from None
        return response, _ms_since(started)

    def _version(self, answer: _Answer) -> str | None:
        if self.transaction_spec is None or self.transaction_spec.intent != "device_information":
            return None
        try:
            return self.dialect.read_device_info(_reply(answer, "device_information")).version
        except (CheckFailed, TargetError):
            raise _Failed("bad_body", answer.status_code) from None


def _fetch(client: httpx.Client, current: Deadline, method: str, url: str, **options: Any) -> _Answer:
    """Sends a request and reads at most BODY_CAP bytes of its answer, all by the current deadline."""
    body = Body(BODY_CAP)
    with client.stream(method, url, **options) as response:
        read_capped(response, body, current)
    return _Answer(method, response.status_code, response.headers, body, response.encoding or "utf-8")


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _status_class(status: int) -> str:
    """Returns the error class of an answer the probe did not expect: "5xx" and the like, or "unexpected_status"."""
    return classify_response(status, True)[1] or "unexpected_status"


def _is_liveness(response: _Answer) -> bool:
    """Tells whether a health answer carries the contract's liveness body, {"status": "ok"}, whole."""
    if response.body.truncated:
        return False
    try:
        body = json.loads(response.body.kept)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") == "ok"


def _reply(response: _Answer, what: str) -> Reply:
    """Wraps an answer for a dialect reader; the prober keeps no exchange as evidence (it stores probes)."""
    exchange = Exchange(response.method, what, {}, None, response.status_code, {}, None, 0.0)
    return Reply(response.status_code, response.headers, response.text, exchange, response.body.truncated,
                 response.body.size)


@dataclass
class ProbeCounts:
    """How many probes of each kind a probing session recorded."""

    health: int = 0
    transaction: int = 0


def probe_continuously(store: ProbeStore, probes: HttpProbes, *, prober_id: str, interval_s: float,
                       transaction_interval_s: float | None = None, duration_s: float | None = None,
                       max_probes: int | None = None, stop_event: threading.Event | None = None,
                       observe: Callable[[str, ProbeResult], None] | None = None,
                       clock: Clock = WALL_CLOCK) -> ProbeCounts:
    """Records health probes every interval_s and, when probes has a transaction, transaction probes every
    transaction_interval_s, until duration_s, max_probes (health probes) or stop_event ends it.

    Each kind runs as its own prober run under prober_id; a failure of either (e.g. the store) stops both
    and is raised.
    """
    stop = stop_event or threading.Event()
    counts, failures = ProbeCounts(), []

    def observed(kind: str, probe: Callable[[], ProbeResult]) -> Callable[[], ProbeResult]:
        def run() -> ProbeResult:
            result = probe()
            if observe is not None:
                observe(kind, result)
            return result
        return run

    def transactions(intent: str, interval: float) -> None:
        try:
            counts.transaction = run_prober(store, prober_id, observed(TRANSACTION, probes.transaction),
                                            interval_s=interval, target=probes.url(intent), kind=TRANSACTION,
                                            duration_s=duration_s, stop_event=stop, clock=clock)
        except BaseException as exc:  # handed to the caller's thread
            failures.append(exc)
            stop.set()

    worker = None
    if probes.transaction_spec is not None and transaction_interval_s:
        worker = threading.Thread(target=transactions, args=(probes.transaction_spec.intent, transaction_interval_s),
                                  name=f"{prober_id}-transaction", daemon=True)
        worker.start()
    try:
        counts.health = run_prober(store, prober_id, observed(HEALTH, probes.health), interval_s=interval_s,
                                   target=probes.url("health"), kind=HEALTH, duration_s=duration_s,
                                   max_probes=max_probes, stop_event=stop, clock=clock)
    finally:
        stop.set()
        if worker is not None:
            worker.join()
    if failures:
        raise failures[0]
    return counts


def load_body(path: str) -> Any:
    """Reads a transaction's JSON request body."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
