"""The harness's own judgements of fuzzed answers (lhv.fuzz.judges): each fails on what it names, and only then."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from lhv.contract.dialects import dialect_named
from lhv.contract.intents import RequestField
from lhv.core.evidence import Exchange
from lhv.core.http import Reply
from lhv.fuzz import judges
from lhv.fuzz.contract import ContractRequest
from lhv.fuzz.images import ImageVariant
from lhv.fuzz.judges import Sent

OP = "POST /diagnosis-support"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyQGV4YW1wbGUudGVzdCJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
JSON = {"content-type": "application/json"}


def checks(failures) -> list[str]:
    return [type(failure).checks[0] for failure in failures]


@pytest.mark.parametrize("headers, origin, found", [
    ({"Server": "uvicorn"}, None, False),
    ({"Server": "uvicorn/0.30.1"}, None, True),
    ({"X-Powered-By": "Python 3.11"}, None, True),
    ({"Access-Control-Allow-Origin": "*"}, None, False),
    ({"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}, None, True),
    ({"Access-Control-Allow-Origin": judges.FOREIGN_ORIGIN}, judges.FOREIGN_ORIGIN, True),
    ({"Access-Control-Allow-Origin": "https://app.example"}, judges.FOREIGN_ORIGIN, False),
])
def test_disclosure_headers(headers, origin, found):
    assert checks(judges.disclosure_failures(OP, headers, origin)) == ([judges.DISCLOSURE_HEADERS] if found else [])


@pytest.mark.parametrize("status, headers, text, found", [
    (200, {"content-type": "text/plain"}, "fine", False),  # not an error
    (422, JSON, '{"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required"}]}', False),
    (422, {"content-type": "text/plain"}, "Field required", True),
    (500, JSON, '{"detail": "x", "trace": ["Traceback (most recent call last):\\n"]}', True),
    (401, JSON, '{"detail": "x", "file": "/usr/local/lib/python3.11/site-packages/app.py"}', True),
    (404, JSON, '{"detail": "served by uvicorn/0.30.1"}', True),
])
def test_error_bodies_are_json_and_reveal_nothing(status, headers, text, found):
    failures = judges.error_body_failures(OP, status, headers, text, Sent())
    assert checks(failures) == ([judges.ERROR_BODY] if found else [])


def test_an_error_may_quote_what_the_request_carried():
    quoted = "Traceback (most recent call last)"
    text = json.dumps({"detail": [{"type": "string_type", "loc": ["body", "name"], "msg": "bad", "input": quoted}]})
    assert judges.error_body_failures(OP, 422, JSON, text, Sent(body={"name": quoted})) == []
    assert checks(judges.error_body_failures(OP, 422, JSON, text, Sent(body={"name": "x"}))) == [judges.ERROR_BODY]


@pytest.mark.parametrize("text, found", [
    ('{"detail": "Not authenticated"}', False),
    (f'{{"detail": "bad token {TOKEN}"}}', True),
    (json.dumps({"detail": base64.b64encode(TOKEN.encode()).decode()}), True),
])
def test_the_token_sent_never_comes_back(text, found):
    failures = judges.echo_failures(OP, 401, JSON, text, Sent(token=TOKEN))
    assert checks(failures) == ([judges.SECRETS_ECHOED] if found else [])


def test_the_token_in_a_header_counts_too():
    failures = judges.echo_failures(OP, 401, {"X-Debug": f"Bearer {TOKEN}"}, "{}", Sent(token=TOKEN))
    assert checks(failures) == [judges.SECRETS_ECHOED]


@pytest.mark.parametrize("body, text, found", [
    ({"username": "a@b.test", "password": "correct horse"}, '{"detail": "bad: correct horse"}', True),
    ({"username": "a@b.test", "password": "correct horse"}, '{"detail": "bad: correct%20horse"}', True),
    ({"username": "a@b.test", "password": "short"}, '{"detail": "bad: short"}', False),  # too short to judge
    # another field holds the same text, and a validation error may quote that field
    ({"username": "correct horse", "password": "correct horse"}, '{"detail": "bad: correct horse"}', False),
])
def test_a_password_sent_never_comes_back(body, text, found):
    sent = Sent(body=body, password=body["password"])
    assert checks(judges.echo_failures("POST /login", 401, JSON, text, sent)) == \
        ([judges.SECRETS_ECHOED] if found else [])


def test_image_data_comes_back_only_as_a_short_prefix():
    data = base64.b64encode(bytes(range(256)) * 4).decode()
    body = {"media": [{"contentType": "image/png", "data": data}]}
    prefix = json.dumps({"detail": [{"input": data[:20]}]})
    whole = json.dumps({"detail": [{"input": data}]})
    assert judges.echo_failures(OP, 422, JSON, prefix, Sent(body=body)) == []
    assert checks(judges.echo_failures(OP, 422, JSON, whole, Sent(body=body))) == [judges.SECRETS_ECHOED]


@pytest.mark.parametrize("status, found", [(201, True), (200, True), (403, False), (422, False)])
def test_an_ordinary_user_registers_nobody(status, found):
    assert checks(judges.admin_only_failures("POST /users", status)) == ([judges.ADMIN_ONLY] if found else [])


@pytest.mark.parametrize("status, found", [(405, False), (404, False), (200, True), (500, True), (None, True)])
def test_an_undocumented_method_gets_a_4xx(status, found):
    failures = judges.method_failures("PUT /health", "PUT", status)
    assert checks(failures) == ([judges.UNDOCUMENTED_METHOD] if found else [])


# ---- requests the harness built ---------------------------------------------------------------------------------

PLAN = dialect_named("plan")
VALID = ImageVariant("image/jpeg", "AAAA", "valid acne.jpg")
REFUSED = ImageVariant("image/jpeg", "data:image/jpeg;base64,AAAA", "acne.jpg as base64 with data: URI", "bad-base64")
TRUNCATED = ImageVariant("image/jpeg", "AAAA", "acne.jpg truncated to 50 %", "truncated")
BODY = {"subject": {"reference": "fuzz-subject"}, "media": [{"contentType": "image/jpeg", "data": "AAAA"}] * 2}


def reply(status: int, body) -> Reply:
    text = body if isinstance(body, str) else json.dumps(body)
    return Reply(status, httpx.Headers(JSON), text, Exchange("POST", "https://d/diagnosis-support", {}, None, status,
                                                               {}, None, 1.0))


def invalid_at(*loc) -> dict:
    return {"detail": [{"type": "value_error", "loc": ["body", *loc], "msg": "Only base64 data is allowed"}]}


def contract(status, body, variants, breakage=None, field=None) -> list[str]:
    request = ContractRequest("diagnose", BODY, None, breakage, field)
    return checks(judges.contract_failures(OP, reply(status, body), Sent(BODY, variants=variants, contract=request),
                                           PLAN))


def test_a_broken_request_is_refused_at_its_field():
    field = RequestField("images")
    assert contract(422, invalid_at("media"), (), "six images", field) == []
    assert contract(422, invalid_at("subject"), (), "six images", field) == [judges.CONTRACT_REFUSAL]
    assert contract(200, {"resourceType": "DiagnosticReport"}, (), "six images", field) == [judges.CONTRACT_REFUSAL]
    assert contract(500, "oops", (), "six images", field) == [judges.CONTRACT_REFUSAL]


def test_an_image_the_contract_refuses_gets_422_at_an_image_data():
    assert contract(422, invalid_at("media", 1, "data"), (VALID, REFUSED)) == []
    assert contract(422, invalid_at("subject"), (VALID, REFUSED)) == [judges.CONTRACT_REFUSAL]
    assert contract(200, {"resourceType": "DiagnosticReport"}, (VALID, REFUSED)) == [judges.CONTRACT_REFUSAL]


def test_a_valid_request_with_valid_images_gets_the_report_the_contract_describes():
    assert contract(422, invalid_at("media", 0, "data"), (VALID, VALID)) == [judges.CONTRACT_REPLY]
    assert contract(200, "not json", (VALID, VALID)) == [judges.CONTRACT_REPLY]


def test_images_the_contract_leaves_to_the_device_are_not_judged():
    assert contract(422, invalid_at("media", 0, "data"), (VALID, TRUNCATED)) == []
    assert contract(200, {"anything": True}, (VALID, TRUNCATED)) == []


@pytest.mark.parametrize("status, headers, found", [
    (401, {"WWW-Authenticate": "Bearer"}, False),
    (401, {"www-authenticate": 'Bearer error="invalid_token"'}, False),
    (401, {}, True),  # no challenge
    (403, {"WWW-Authenticate": "Bearer"}, True),  # CONTRACT.md §3: 401, not 403
    (401, {"WWW-Authenticate": "Basic"}, True),
])
def test_a_refused_token_gets_401_with_a_bearer_challenge(status, headers, found):
    failures = judges.bearer_refusal_failures("GET /device-information", "without a token", status, headers)
    assert checks(failures) == ([judges.BEARER_REFUSAL] if found else [])


REFUSED_BODY = '{"detail": "Incorrect username or password"}'


def tried(*answers):
    return [judges.LoginTry(what, status, text, alike) for what, status, text, alike in answers]


@pytest.mark.parametrize("tries, found", [
    (tried(("own", 401, REFUSED_BODY, True), ("nobody", 401, REFUSED_BODY, True), ("o'", 401, "{}", False),
           ("ö", 422, "{}", False)), False),
    (tried(("own", 200, '{"access_token": "x"}', True), ("nobody", 401, REFUSED_BODY, True)), True),  # a token
    (tried(("own", 401, '{"detail": "Wrong password"}', True), ("nobody", 401, REFUSED_BODY, True)), True),  # tells
    (tried(("own", 401, REFUSED_BODY, True), ("nobody", 404, REFUSED_BODY, True)), True),  # another status
    (tried(("own", 401, REFUSED_BODY, True), ("o'", 500, "boom", False)), True),  # a server error
    (tried(("own", 401, REFUSED_BODY, True), ("ö", None, "", False)), True),  # no answer
    (tried(("own", 401, '{"a": 1, "b": 2}', True), ("nobody", 401, '{"b": 2, "a": 1}', True)), False),  # same JSON
])
def test_wrong_credentials_are_refused_alike(tries, found):
    assert checks(judges.login_failures("POST /login", tries)) == ([judges.LOGIN_REFUSAL] if found else [])


def test_a_refusal_carries_no_report():
    field = RequestField("body_site")
    report = {"detail": [{"type": "missing", "loc": ["body", "bodySite"], "msg": "Field required"}],
              "resourceType": "DiagnosticReport"}
    severity = ContractRequest("assess_severity", {}, None, "body site left out", field)
    sent = Sent({}, contract=severity)
    assert checks(judges.contract_failures("POST /severity-assessment", reply(422, report), sent, PLAN)) == \
        [judges.CONTRACT_REFUSAL]
    report.pop("resourceType")
    assert judges.contract_failures("POST /severity-assessment", reply(422, report), sent, PLAN) == []


@pytest.mark.parametrize("password, headers, found", [
    # found by a clean v1 run: schemathesis draws strings from the API document, and every answer's content type
    # holds this one
    ("application/", {"Content-Type": "application/json", "Date": "Sun, 06 Dec 2026 23:50:00 GMT"}, False),
    ("max-age=31536000", {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}, False),
    ("correct horse", {"X-Debug": "password=correct horse"}, True),  # a header of the device's own still counts
    ("correct horse", {"Set-Cookie": "last=correct%20horse"}, True),
])
def test_a_password_a_protocol_header_holds_whatever_the_request_is_no_echo(password, headers, found):
    sent = Sent(body={"email": "a@b.test", "password": password}, password=password)
    assert checks(judges.echo_failures("POST /users", 403, headers, '{"detail": "forbidden"}', sent)) == \
        ([judges.SECRETS_ECHOED] if found else [])


@pytest.mark.parametrize("password, judged", [
    ("application/", None),  # drawn from the document: an answer may hold it whatever it was sent
    ("/diagnosis-support", None),
    ("q7-Unusual-Secret", "q7-Unusual-Secret"),
    (None, None), (42, None),
])
def test_a_password_the_api_document_holds_is_not_judged(password, judged):
    document = json.dumps({"paths": {"/diagnosis-support": {"post": {"requestBody": {"content": {
        "application/json": {}}}}}}})
    assert judges.judged_password(password, document) == judged
