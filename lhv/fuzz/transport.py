"""A requests transport adapter that sends through the harness's recording, rate-aware client.

Schemathesis sends with `requests`; mounting this adapter on its session makes every request it
sends (generated cases and the probes of its checks alike) go through `RecordingClient`: paced
under the profile's rate limits, verified against the profile's trust store, bounded by its request
deadline and response cap, and filed as redacted evidence in whichever evidence case is current.
"""

from __future__ import annotations

import datetime as dt
import http.client

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPResponse
from urllib3._collections import HTTPHeaderDict

from lhv.core.errors import TargetError
from lhv.core.http import ConnectionRefused, DeadlinePassed, RecordingClient, Reply

# Headers the client sets itself for the body it sends and the connection it keeps.
_HOP_HEADERS = {"content-length", "connection", "transfer-encoding", "host"}


class RecordingAdapter(BaseAdapter):
    """Sends a prepared request with a RecordingClient and returns what it got as a requests response."""

    def __init__(self, client: RecordingClient):
        super().__init__()
        self.client = client
        self.last_reply: Reply | None = None

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout=None, verify=True, cert=None,
             proxies=None) -> requests.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        try:
            reply = self._send(str(request.method), str(request.url), body, headers)
            reply.require_whole()  # a body cut at the cap is not the target's answer: no check may judge it
        except TargetError as exc:
            raise requests.exceptions.ConnectionError(str(exc), request=request) from exc
        self.last_reply = reply
        return _response(request, reply)

    def _send(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        # A server may close a kept-alive connection after an answer (uvicorn does after a 500); like
        # browsers, curl and schemathesis, send once more on a fresh connection before calling it unanswered.
        # Not after a refusal, nor after the deadline: a target that held the request had its whole time.
        try:
            return self.client.request(method, "", url=url, content=body, headers=headers)
        except (ConnectionRefused, DeadlinePassed):
            raise
        except TargetError:
            return self.client.request(method, "", url=url, content=body, headers=headers)

    def close(self) -> None:
        """The recording client belongs to the caller, who closes it."""


def session_for(client: RecordingClient) -> tuple[requests.Session, RecordingAdapter]:
    """A requests session whose every request goes through client."""
    session = requests.Session()
    adapter = RecordingAdapter(client)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.trust_env = False
    return session, adapter


def _response(request: requests.PreparedRequest, reply: Reply) -> requests.Response:
    items = list(reply.headers.multi_items())
    content = reply.text.encode("utf-8")
    raw = HTTPResponse(body=b"", headers=HTTPHeaderDict(items), status=reply.status, version=11,
                       reason=http.client.responses.get(reply.status, ""), preload_content=True)
    response = requests.Response()
    response.status_code = reply.status
    response.headers = CaseInsensitiveDict(items)
    response.raw = raw
    response._content = content  # noqa: SLF001 (the body is already read: no stream to consume)
    response._content_consumed = True  # noqa: SLF001
    response.encoding = "utf-8"
    response.reason = raw.reason or ""
    response.url = request.url or ""
    response.request = request
    response.elapsed = dt.timedelta(milliseconds=reply.exchange.elapsed_ms)
    return response
