"""An HTTP client that keeps every exchange as redacted evidence."""

from __future__ import annotations

import hashlib
import json
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from lhv.core import announce
from lhv.core.bounds import (
    MAX_RESPONSE_BYTES,
    Body,
    DeadlinePassed,
    bounded_client,
    deadline,
    default_deadline,
    read_capped,
)
from lhv.core.errors import TargetError
from lhv.core.evidence import Exchange, current_case
from lhv.core.pacing import ANONYMOUS, AUTHENTICATED, RatePacer
from lhv.core.secrets import SECRETS

_SENSITIVE_HEADERS = {"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"}
_RATE_LIMIT_RETRIES = 3
_EVIDENCE_CHARS = 4000  # text bodies are kept in the evidence up to this many characters, after redaction


class ConnectionRefused(TargetError):
    """The target refused or dropped the connection attempt: nothing serves there."""


class CertificateRejected(TargetError):
    """The target's TLS certificate did not verify against the profile's trust store."""


def _failure_kind(exc: httpx.HTTPError) -> type[TargetError]:
    if isinstance(exc, httpx.ConnectTimeout):
        return ConnectionRefused
    cause: BaseException | None = exc
    for _ in range(8):  # httpx wraps httpcore, which wraps the socket or TLS error
        if cause is None:
            break
        if isinstance(cause, ssl.SSLCertVerificationError):
            return CertificateRejected
        if isinstance(cause, ConnectionRefusedError):
            return ConnectionRefused
        cause = cause.__cause__ or cause.__context__
    return TargetError


@dataclass
class HttpExchange(Exchange):
    """An exchange that also keeps the size and SHA-256 of every response byte received, and whether the
    body was cut at target.max_response_bytes (the evidence holds only a redacted prefix of it)."""

    response_bytes: int | None = None
    response_sha256: str | None = None
    response_truncated: bool = False


@dataclass
class Reply:
    """A response as plans see it: status, headers, body (truncated: cut at the cap) and the exchange it came from."""

    status: int
    headers: httpx.Headers
    text: str
    exchange: Exchange
    truncated: bool = False
    size: int | None = None  # bytes received
    request_json: Any = None  # the JSON body sent, where the sender keeps it (clinical requests)

    def require_whole(self) -> None:
        """Raises TargetError when the body was cut at the cap: what is left of it cannot be judged."""
        if self.truncated:
            declared = self.headers.get("content-length", "an undeclared length")
            raise TargetError(
                f"{self.exchange.method} {self.exchange.url} answered {self.status} with a body larger than the "
                f"harness keeps (target.max_response_bytes): cut after {self.size} bytes of {declared}, so it "
                f"cannot be read as a whole")

    def json(self) -> Any:
        """Returns the JSON body, or raises TargetError naming what came instead."""
        self.require_whole()
        try:
            return json.loads(self.text)
        except ValueError:
            ctype = self.headers.get("content-type", "no content type")
            raise TargetError(
                f"{self.exchange.method} {self.exchange.url} answered {self.status} with a non-JSON body "
                f"({ctype}, {len(self.text)} chars)"
            ) from None


def _redact_headers(headers: httpx.Headers | dict[str, str]) -> dict[str, str]:
    out = {}
    for key, value in headers.items():
        out[key] = "[REDACTED]" if key.lower() in _SENSITIVE_HEADERS else SECRETS.redact(value)
    return out


_EVIDENCE_BODY_BYTES = 4 * 1024 * 1024  # a larger body (an oversized-body probe) is kept as its size and hash


def redact_body(content: bytes, content_type: str) -> Any:
    """Returns a body as evidence: parsed JSON or text, redacted whole and then cut; a huge body as size and hash."""
    if not content:
        return None
    if len(content) > _EVIDENCE_BODY_BYTES:  # decoding and redacting it would cost several copies of it in memory
        return f"[body: {len(content)} bytes, sha256 {hashlib.sha256(content).hexdigest()}]"
    text = content.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            return SECRETS.redact_json(json.loads(text))
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes: kept as text
            pass
    if "x-www-form-urlencoded" in content_type:
        return SECRETS.redact(_mask_password_field(text))
    return SECRETS.redact(text)[:_EVIDENCE_CHARS]  # redacted whole, then cut: no part of a secret straddles the cut


def _mask_password_field(form: str) -> str:
    from urllib.parse import parse_qsl

    pairs = parse_qsl(form, keep_blank_values=True)
    return "&".join(f"{k}={'[REDACTED password]' if 'pass' in k.lower() else v}" for k, v in pairs)


class RecordingClient:
    """Sends requests to one target and files each exchange in the running case's evidence.

    Every request ends within deadline_s (connect, TLS, sending and the whole answer), or raises
    DeadlinePassed; an answer's body is kept up to max_response_bytes and the rest is not read (the reply
    says it was truncated). Both default to the profile's defaults for timeout_s.

    With a pacer, every send is counted against the target's rate limits; a rate-aware client also
    waits before a send that would exceed them, and waits out a 429 per its Retry-After (noting it in
    the step), so that no plan mistakes a rate-limit answer for a finding of its own.

    With a source_address, every connection is made from that local address (e.g. 127.0.0.2: a second client
    of a loopback target, whose per-IP limits and locks must not be shared with the harness's own address).
    """

    def __init__(self, base_url: str, *, verify: ssl.SSLContext | bool, timeout_s: float,
                 follow_redirects: bool = False, pacer: RatePacer | None = None, rate_aware: bool = True,
                 deadline_s: float | None = None, max_response_bytes: int | None = None,
                 source_address: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.source_address = source_address
        # a transport of our own is the only way httpx offers to choose the local address; it takes verify itself
        transport = {"transport": httpx.HTTPTransport(verify=verify, local_address=source_address)} \
            if source_address else {}
        self._client = bounded_client(verify=verify, timeout=timeout_s, follow_redirects=follow_redirects,
                                      **transport)
        self.pacer, self.rate_aware = pacer, rate_aware
        self.deadline_s = deadline_s or default_deadline(timeout_s)
        self.max_response_bytes = max_response_bytes or MAX_RESPONSE_BYTES

    def close(self) -> None:
        """Closes the connection pool."""
        self._client.close()

    def __enter__(self) -> RecordingClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(self, method: str, path: str, *, token: str | None = None, json_body: Any = None,
                form: dict[str, str] | None = None, content: bytes | None = None,
                headers: dict[str, str] | None = None, url: str | None = None) -> Reply:
        """Sends one request and returns its reply; transport failures raise TargetError."""
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        scope = AUTHENTICATED if any(k.lower() == "authorization" for k in headers) else ANONYMOUS
        target_url = url or f"{self.base_url}{path}"
        for attempt in range(_RATE_LIMIT_RETRIES + 1):
            if self.pacer is not None:
                self.pacer.before_send(scope) if self.rate_aware else self.pacer.record(scope)
            reply = self._send(method, target_url, headers, json_body, form, content)
            if reply.status != 429 or self.pacer is None:
                return reply
            wait = _retry_after_seconds(reply.headers.get("Retry-After"))
            self.pacer.spent_for(scope, wait)  # until the target frees it: a 429 late in a window needs no new one
            if not self.rate_aware or wait is None or wait > self.pacer.retry_bound() \
                    or attempt == _RATE_LIMIT_RETRIES:
                return reply
            _note_in_step(f"rate-aware client: {method} {reply.exchange.url} got 429 (rate limit) with "
                          f"Retry-After {wait:g} s; waited it out and sent the request again "
                          f"(a rate-limit answer to the harness's pacing, not a finding of this plan)")
            announce.sleep(wait, f"the Retry-After of a 429 to {method} {reply.exchange.url}")
        return reply

    def _send(self, method: str, target_url: str, headers: dict[str, str], json_body: Any,
              form: dict[str, str] | None, content: bytes | None) -> Reply:
        request = self._client.build_request(method, target_url, headers=headers, json=json_body,
                                             data=form, content=content)
        started = time.perf_counter()
        response: httpx.Response | None = None
        body = Body(self.max_response_bytes)
        with deadline(self.deadline_s) as current:
            try:
                response = self._client.send(request, stream=True)
                try:
                    read_capped(response, body, current)
                finally:
                    response.close()
            except (httpx.HTTPError, DeadlinePassed) as exc:
                elapsed = (time.perf_counter() - started) * 1000
                self._keep(request, response, body, elapsed, error=f"{type(exc).__name__}: {exc}")
                kind = DeadlinePassed if isinstance(exc, DeadlinePassed) else _failure_kind(exc)
                answered = "answer cut off" if response is not None else "no answer"
                raise kind(f"{method} {target_url}: {answered} ({type(exc).__name__}: {exc})") from None
        elapsed = (time.perf_counter() - started) * 1000
        exchange = self._keep(request, response, body, elapsed)
        text = body.kept.decode(response.encoding or "utf-8", errors="replace")
        return Reply(response.status_code, response.headers, text, exchange, body.truncated, body.size)

    def _keep(self, request: httpx.Request, response: httpx.Response | None, body: Body, elapsed_ms: float,
              error: str | None = None) -> Exchange:
        answered = response is not None
        exchange = HttpExchange(
            method=request.method,
            url=SECRETS.redact(str(request.url)),
            request_headers=_redact_headers(request.headers),
            request_body=redact_body(request.content, request.headers.get("content-type", "")),
            status=response.status_code if answered else None,
            response_headers=_redact_headers(response.headers) if answered else {},
            response_body=redact_body(body.kept, response.headers.get("content-type", "")) if answered else None,
            elapsed_ms=round(elapsed_ms, 1),
            error=SECRETS.redact(error) if error else None,
            response_bytes=body.size if answered else None,
            response_sha256=body.sha256 if answered else None,
            response_truncated=body.truncated,
        ).seal()
        case = current_case()
        if case is not None:
            case.keep(exchange)
        return exchange


def _retry_after_seconds(value: str | None) -> float | None:
    """Returns a Retry-After in seconds (delta-seconds form only), or None."""
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def _note_in_step(text: str) -> None:
    case = current_case()
    if case is not None and case.current is not None:
        case.current.actual.append(text)
