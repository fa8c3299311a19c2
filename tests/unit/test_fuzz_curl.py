"""Curl lines of recorded exchanges: runnable, and redacted like the record."""

from __future__ import annotations

import base64
import shlex

from lhv.core.evidence import Exchange
from lhv.core.secrets import SECRETS
from lhv.fuzz.curl import BODY_LIMIT, curl_line


def _exchange(headers: dict, body, method: str = "POST") -> Exchange:
    return Exchange(method, "https://device.test:8443/diagnosis-support", headers, body, 500, {}, None, 3.0).seal()


def test_the_token_becomes_an_environment_variable_the_shell_expands() -> None:
    line = curl_line(_exchange({"authorization": "[REDACTED]", "content-type": "application/json"}, {"a": 1}))
    assert '-H "Authorization: Bearer $LHV_TOKEN"' in line
    assert line.startswith("curl -sS -X POST https://device.test:8443/diagnosis-support")
    assert shlex.split(line)[-1] == '{"a":1}'


def test_a_raw_token_or_password_never_shows() -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0ZXJAZXhhbXBsZS5vcmcifQ.c2lnbmF0dXJlLXRleHQ"
    SECRETS.add("curl-test-password-1234", "password")
    line = curl_line(_exchange({"Authorization": f"Bearer {token}"},
                               "username=someone&password=curl-test-password-1234"))
    assert token not in line and "curl-test-password-1234" not in line
    assert "$LHV_TOKEN" in line and "[REDACTED password]" in line


def test_image_data_shows_as_its_size_and_hash_and_long_bodies_are_clipped() -> None:
    data = base64.b64encode(bytes(range(256)) * 40).decode()
    line = curl_line(_exchange({}, {"media": [{"contentType": "image/jpeg", "data": data}]}))
    assert data[:100] not in line and "[image data:" in line
    long_line = curl_line(_exchange({}, "ab " * ((BODY_LIMIT + 501) // 3)))
    assert "…[500 more characters]" in long_line


def test_transport_and_generator_headers_are_left_out_and_the_trust_anchor_is_named() -> None:
    line = curl_line(_exchange({"content-length": "12", "x-schemathesis-testcaseid": "abc", "accept": "*/*",
                                "content-type": "application/x-www-form-urlencoded"}, "a=b", "POST"),
                     ca_file="/tmp/ca.pem")
    assert "content-length" not in line and "testcaseid" not in line and "accept:" not in line
    assert "--cacert /tmp/ca.pem" in line and "content-type: application/x-www-form-urlencoded" in line
