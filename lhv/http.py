"""An HTTP client that keeps every exchange as redacted evidence."""

from __future__ import annotations

import json
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from lhv.errors import TargetError
from lhv.evidence import Exchange, current_case
from lhv.secrets import SECRETS

_SENSITIVE_HEADERS = {"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"}


@dataclass
class Reply:
    """A response as plans see it: status, headers, body and the exchange it came from."""

    status: int
    headers: httpx.Headers
    text: str
    exchange: Exchange

    def json(self) -> Any:
        """Returns the JSON body, or raises TargetError naming what came instead."""
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


def _redact_body(content: bytes, content_type: str) -> Any:
    if not content:
        return None
    text = content.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            return SECRETS.redact_json(json.loads(text))
        except ValueError:
            pass
    if "x-www-form-urlencoded" in content_type:
        return SECRETS.redact(_mask_password_field(text))
    return SECRETS.redact(text[:4000])


def _mask_password_field(form: str) -> str:
    from urllib.parse import parse_qsl

    pairs = parse_qsl(form, keep_blank_values=True)
    return "&".join(f"{k}={'[REDACTED password]' if 'pass' in k.lower() else v}" for k, v in pairs)


class RecordingClient:
    """Sends requests to one target and files each exchange in the running case's evidence."""

    def __init__(self, base_url: str, *, verify: ssl.SSLContext | bool, timeout_s: float,
                 follow_redirects: bool = False):
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(verify=verify, timeout=timeout_s, follow_redirects=follow_redirects)

    def close(self) -> None:
        """Closes the connection pool."""
        self._client.close()

    def request(self, method: str, path: str, *, token: str | None = None, json_body: Any = None,
                form: dict[str, str] | None = None, content: bytes | None = None,
                headers: dict[str, str] | None = None, url: str | None = None) -> Reply:
        """Sends one request and returns its reply; transport failures raise TargetError."""
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        target_url = url or f"{self.base_url}{path}"
        request = self._client.build_request(method, target_url, headers=headers, json=json_body,
                                             data=form, content=content)
        started = time.perf_counter()
        try:
            response = self._client.send(request)
        except httpx.HTTPError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            self._keep(request, None, elapsed, error=f"{type(exc).__name__}: {exc}")
            raise TargetError(f"{method} {target_url}: no answer ({type(exc).__name__}: {exc})") from None
        elapsed = (time.perf_counter() - started) * 1000
        exchange = self._keep(request, response, elapsed)
        return Reply(response.status_code, response.headers, response.text, exchange)

    def _keep(self, request: httpx.Request, response: httpx.Response | None, elapsed_ms: float,
              error: str | None = None) -> Exchange:
        exchange = Exchange(
            method=request.method,
            url=SECRETS.redact(str(request.url)),
            request_headers=_redact_headers(request.headers),
            request_body=_redact_body(request.content, request.headers.get("content-type", "")),
            status=response.status_code if response is not None else None,
            response_headers=_redact_headers(response.headers) if response is not None else {},
            response_body=_redact_body(response.content, response.headers.get("content-type", ""))
            if response is not None else None,
            elapsed_ms=round(elapsed_ms, 1),
            error=SECRETS.redact(error) if error else None,
        ).seal()
        case = current_case()
        if case is not None:
            case.keep(exchange)
        return exchange
