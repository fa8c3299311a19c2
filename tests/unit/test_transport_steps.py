"""The plain-HTTP judgement: a redirect must name the same host and path over HTTPS; else a 4xx refusal."""

import httpx
import pytest

from lhv.core.errors import CheckFailed
from lhv.core.evidence import Exchange
from lhv.core.http import Reply
from lhv.harness.transport_steps import PlainRoute, require_https_redirect_or_refusal

PLAIN = PlainRoute("http://device.test/health", "device.test", "/health")


def _reply(status, location=None, body=""):
    headers = httpx.Headers({"Location": location} if location else {})
    return Reply(status, headers, body, Exchange("GET", PLAIN.url, {}, None, status, {}, None, 1.0))


@pytest.mark.parametrize("reply", [_reply(301, "https://device.test/health"), _reply(308, "https://DEVICE.test/health"),
                                   _reply(400), _reply(403)])
def test_a_redirect_to_the_same_place_over_https_or_a_refusal_passes(reply):
    require_https_redirect_or_refusal(reply, PLAIN, "plain")


@pytest.mark.parametrize("reply, said", [
    (_reply(301, "http://device.test/health"), "not to https://device.test…/health"),
    (_reply(302, "https://elsewhere.test/health"), "not to https://device.test…/health"),
    (_reply(307, "https://device.test/"), "not to https://device.test…/health"),
    (_reply(200, body='{"status": "ok"}'), "serves the API without TLS"),
    (_reply(500), "serves the API without TLS"),
])
def test_a_redirect_elsewhere_or_an_answer_fails(reply, said):
    with pytest.raises(CheckFailed, match=said):
        require_https_redirect_or_refusal(reply, PLAIN, "plain")
