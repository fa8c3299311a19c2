"""Unrestricted resource consumption (OWASP API4:2023): oversized and malformed bodies."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx

from lhv.core.bounds import Body, DeadlinePassed, bounded_client, deadline, read_capped
from lhv.core.errors import TargetError
from lhv.core.evidence import Exchange, current_case
from lhv.core.http import HttpExchange, Reply, redact_body
from lhv.core.pacing import AUTHENTICATED
from lhv.core.secrets import SECRETS
from lhv.scanners.reports import Severity
from lhv.security.probe import Probe, Sample
from lhv.security.registry import Found, security_check

CHUNK = 1024 * 1024
MALFORMED: dict[str, bytes] = {
    "truncated JSON": b'{"subject": {"reference": "lhv"}, "media": [{"content',
    "bytes that are not UTF-8": b'{"subject": {"reference": "\xff\xfe\xfd"}}',
    "arrays nested 10 000 deep": b"[" * 10_000 + b"]" * 10_000,
    "a number too large for a float": b'{"media": 1e999}',
    "NaN": b'{"media": NaN}',
    "an array instead of an object": b"[]",
    "null": b"null",
    "an empty body": b"",
    "text that is not JSON": b"lhv: this is not JSON",
}


def padded_json(size: int) -> bytes:
    """A JSON object of exactly size bytes (one image whose data is a long run of "A")."""
    head, tail = b'{"media": [{"contentType": "image/jpeg", "data": "', b'"}]}'
    return head + b"A" * max(0, size - len(head) - len(tail)) + tail


def padded_form(sample: Sample, size: int) -> bytes:
    """A login form of exactly size bytes (the password padded)."""
    username = next(iter(sample.form.values())) if sample.form else "lhv"
    head = f"username={username}&password=".encode()
    return head + b"A" * max(0, size - len(head))


def _chunks(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), CHUNK):
        yield body[start:start + CHUNK]


def send_streamed(probe: Probe, sample: Sample, token: str | None, body: bytes) -> Reply:
    """Sends a body in chunks without Content-Length; the exchange is filed without the body's bytes.

    Like every request to a target, it ends by target.request_deadline_seconds (sending included) and keeps
    at most target.max_response_bytes of the answer."""
    bounds = probe.target.profile.target
    url = f"{probe.client.base_url}{sample.route.path}"
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    probe.target.pacer.before_send(AUTHENTICATED)
    started = time.perf_counter()
    kept_headers = {k: "[REDACTED]" if k.lower() == "authorization" else v for k, v in headers.items()}
    kept_headers["Transfer-Encoding"] = "chunked"
    note = f"[{len(body)} bytes sent in {CHUNK // 1024} KiB chunks without Content-Length; not kept]"
    answer = Body(bounds.max_response_bytes)
    response: httpx.Response | None = None
    with bounded_client(verify=probe.target.verify, timeout=bounds.timeout_seconds) as client, \
            deadline(bounds.request_deadline_seconds) as current:
        request = client.build_request(sample.route.method, url, headers=headers, content=_chunks(body))
        try:
            response = client.send(request, stream=True)
            try:
                read_capped(response, answer, current)
            finally:
                response.close()
        except (httpx.HTTPError, DeadlinePassed) as exc:
            _keep(_exchange(sample, url, kept_headers, note, response, answer, started,
                            SECRETS.redact(f"{type(exc).__name__}: {exc}")))
            kind = DeadlinePassed if isinstance(exc, DeadlinePassed) else TargetError
            answered = "answer cut off" if response is not None else "no answer"
            raise kind(f"{sample.route.method} {url} (streamed): {answered} ({type(exc).__name__})") from None
    exchange = _keep(_exchange(sample, url, kept_headers, note, response, answer, started))
    text = answer.kept.decode(response.encoding or "utf-8", errors="replace")
    return Reply(response.status_code, response.headers, text, exchange, answer.truncated, answer.size)


def _exchange(sample: Sample, url: str, kept_headers: dict[str, str], note: str, response: httpx.Response | None,
              answer: Body, started: float, error: str | None = None) -> HttpExchange:
    """The redacted record of a streamed send: what of the answer came, its size and hash, and any error."""
    answered = response is not None
    return HttpExchange(
        sample.route.method, SECRETS.redact(url), kept_headers, note,
        response.status_code if answered else None,
        {k: SECRETS.redact(v) for k, v in response.headers.items()} if answered else {},
        redact_body(answer.kept, response.headers.get("content-type", "")) if answered else None,
        _ms(started), error,
        response_bytes=answer.size if answered else None, response_sha256=answer.sha256 if answered else None,
        response_truncated=answer.truncated)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _keep(exchange: Exchange) -> Exchange:
    exchange.seal()
    case = current_case()
    if case is not None:
        case.keep(exchange)
    return exchange


@security_check("oversized-body-not-refused", area="resources", severity=Severity.HIGH, owasp="API4:2023",
                title="A body over the size limit is not refused with 413")
def oversized_body(probe: Probe) -> None:
    """A body one byte over the profile's limit (limits.max_body_bytes; 20 MiB in the contract) gets 413, declared
    with Content-Length (to every JSON route and to the login form) or streamed in chunks without one; a body of
    exactly the limit is not refused for its size; and the device still answers its health route afterwards."""
    size = probe.target.profile.limits.max_body_bytes + 1
    json_samples = [s for s in probe.samples_with_bodies() if s.json_body is not None and s.route.needs_token]
    json_sample = json_samples[0] if json_samples else None
    attempts: list[tuple[str, Sample, bytes, str]] = [("JSON", sample, padded_json(size), "application/json")
                                                      for sample in json_samples]  # every route a body goes to
    if "login" in probe.dialect.routes:
        login = probe.sample("login")
        attempts.append(("form", login, padded_form(login, size), "application/x-www-form-urlencoded"))
    for kind, sample, body, content_type in attempts:
        reply = probe.send(sample.route, token=probe.authorized(sample), content=body,
                           headers={"Content-Type": content_type})
        if reply.status != 413:
            raise Found(f"a {size}-byte {kind} body with Content-Length to {sample.route.method} {sample.route.path} "
                        f"got {reply.status}, expected 413", reply)
    if json_sample is not None:
        reply = send_streamed(probe, json_sample, probe.token(), padded_json(size))
        if reply.status != 413:
            raise Found(f"a {size}-byte JSON body streamed without Content-Length to {json_sample.route.method} "
                        f"{json_sample.route.path} got {reply.status}, expected 413", reply)
    if json_sample is not None:  # a body at the limit is within it: refused for its content (422), never for its size
        limit = size - 1
        reply = probe.send(json_sample.route, token=probe.authorized(json_sample), content=padded_json(limit),
                           headers={"Content-Type": "application/json"})
        if reply.status == 413:
            raise Found(f"a {limit}-byte JSON body (at the limit, limits.max_body_bytes) to "
                        f"{json_sample.route.method} {json_sample.route.path} got 413: the device keeps a smaller "
                        "limit than the profile states", reply)
    health = probe.send(probe.route("health"))
    if health.status != 200:
        raise Found(f"after the oversized bodies the health route answered {health.status}", health)


@security_check("malformed-body-accepted", area="resources", severity=Severity.MEDIUM, owasp="API4:2023",
                title="A malformed body gets a 2xx or a 5xx")
def malformed_body(probe: Probe) -> None:
    """Bodies that are not the JSON a route takes (truncated, not UTF-8, nested 10 000 deep, a number too large for
    a float, NaN, an array, null, empty, not JSON) get a 4xx from every JSON route: never a 2xx, never a 5xx."""
    for sample in probe.samples_with_bodies():
        if sample.json_body is None:
            continue
        for label, body in MALFORMED.items():
            reply = probe.send(sample.route, token=probe.authorized(sample), content=body,
                               headers={"Content-Type": "application/json"})
            if not 400 <= reply.status < 500:
                raise Found(f"{label} sent to {sample.route.method} {sample.route.path} got {reply.status}, "
                            "expected a 4xx", reply)
