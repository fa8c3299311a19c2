"""The pure pieces of the injection and contract-document faults: form nesting, query matching, arithmetic-only
rendering, simulated shell output, header splitting, path joining, parse-error detection, answer rewriting."""

from __future__ import annotations

import asyncio

import pytest

from lhv.device.conformance import operation_outcome, parse_errors_only
from lhv.device.exchange import Answer, AnswerRewriting, Asked
from lhv.device.injection import (
    condition_holds,
    content_types,
    nested_form,
    rendered,
    shell_output,
    split_header,
    subject_reference,
    traversed,
)


def test_bracket_keys_nest_as_qs_reads_them():
    assert nested_form([("username[$ne]", "x"), ("password", "p"), ("a[b][c]", "d"), ("plain", "")]) == {
        "username": {"$ne": "x"}, "password": "p", "a": {"b": {"c": "d"}}, "plain": ""}


@pytest.mark.parametrize("field, condition, holds", [
    ("a@example.org", "a@example.org", True), ("a@example.org", "b@example.org", False),
    ("a@example.org", {"$ne": "lhv-nobody"}, True), ("a@example.org", {"$ne": "a@example.org"}, False),
    ("$2b$12$hash", {"$gt": ""}, True), ("x", {"$exists": "true"}, True), ("x", {"$exists": "false"}, False),
    ("x", {"$where": "1"}, False), ("x", {}, False),  # an unknown operator or an empty object matches nothing
    ("x", {"$gt": {"a": "b"}}, False),  # a nested argument is no text: no match (and no TypeError)
])
def test_query_conditions(field, condition, holds):
    assert condition_holds(field, condition) is holds


def test_only_integer_arithmetic_in_double_braces_is_rendered():
    assert rendered({"msg": ["{{1337*1337}}", "{{ 2 + 3 }}-{{9-10}}"]}) == {"msg": ["1787569", "5--1"]}
    for left_alone in ("${7*7}", "<%= 7*7 %>", "#{7*7}", "{{config}}", "{{7**7}}", "{{1234567890123*2}}", 49):
        assert rendered(left_alone) == left_alone


def test_shell_syntax_gets_simulated_output_and_plain_text_none():
    assert shell_output("image/jpeg") is None
    assert shell_output("a$(id)").startswith("uid=1000(lhv)")
    assert shell_output("a`whoami`") == "lhv"
    assert shell_output("a; rm -rf /") == "sh: 1: rm: not found"
    assert shell_output("lhv$(id)`id`;id|id").count("uid=") == 4


def test_a_split_header_value_writes_only_header_shaped_lines():
    assert split_header("X-Subject-Reference", "p1") == [(b"x-subject-reference", b"p1")]
    assert split_header("X-Subject-Reference", "p1\r\nX-Lhv-Injected: yes\r\nnot a header\nBad Name: x") == [
        (b"x-subject-reference", b"p1"), (b"x-lhv-injected", b"yes")]
    assert split_header("X-S", "caf\u00e9\x00") == [(b"x-s", b"caf")]


def test_a_naive_join_climbs_out_of_the_static_folder_but_never_above_the_root():
    assert traversed("index.txt") == "/srv/lhv/static/index.txt"
    assert traversed("../../../etc/passwd") == traversed("../../../../../../../../etc/passwd") == "/etc/passwd"


def test_request_fields_the_faults_read():
    body = {"subject": {"reference": "p1"}, "payload": [{"contentAttachment": {"contentType": "image/png"}}],
            "media": {"contentType": "image/jpeg"}}
    assert subject_reference(body) == "p1" and subject_reference({"subject": {"reference": 3}}) is None
    assert sorted(content_types(body)) == ["image/jpeg", "image/png"]


def test_only_refusals_made_of_parse_errors_become_an_outcome():
    parse = {"detail": [{"type": "missing", "loc": ["body", "media"], "msg": "Field required"},
                        {"type": "string_type", "loc": ["body", "subject", "reference"], "msg": "text"}]}
    assert parse_errors_only(parse) == parse["detail"]
    assert parse_errors_only({"detail": [*parse["detail"], {"type": "value_error", "loc": ["body"], "msg": "x"}]}) \
        is None
    assert parse_errors_only({"detail": []}) is None and parse_errors_only({"detail": "text"}) is None
    outcome = operation_outcome(parse["detail"])
    assert outcome["resourceType"] == "OperationOutcome"
    assert [issue["expression"] for issue in outcome["issue"]] == [["body.media"], ["body.subject.reference"]]


def _exchange(middleware: AnswerRewriting, path: str, body: bytes) -> list[dict]:
    sent: list[dict] = []
    incoming = [{"type": "http.request", "body": body[:3], "more_body": True},
                {"type": "http.request", "body": body[3:], "more_body": False}]

    async def receive() -> dict:
        return incoming.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": [(b"content-type", b"application/json")]}
    asyncio.run(middleware(scope, receive, send))
    return sent


async def _route(scope: dict, receive, send) -> None:
    read = b""
    while True:
        message = await receive()
        read += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(read)).encode())]})
    await send({"type": "http.response.body", "body": read[:2], "more_body": True})
    await send({"type": "http.response.body", "body": read[2:]})


def test_a_wanted_answer_is_rewritten_whole_with_the_request_and_its_length_set_again():
    seen: list[Asked] = []

    def rewrite(asked: Asked, answer: Answer) -> Answer:
        seen.append(asked)
        return answer.with_json({"echo": answer.body.decode(), "asked": asked.json()}, status=200)

    middleware = AnswerRewriting(_route, lambda method, path, status: path == "/wanted" and status == 422, rewrite)
    start, body = _exchange(middleware, "/wanted", b'{"a": 1}')
    assert start["status"] == 200 and seen[0].headers["content-type"] == "application/json"
    assert dict(start["headers"])[b"content-length"] == str(len(body["body"])).encode()
    assert dict(start["headers"])[b"content-type"] == b"application/json"
    assert Answer(200, (), body["body"]).json() == {"echo": '{"a": 1}', "asked": {"a": 1}}


def test_an_unwanted_answer_streams_through_untouched():
    middleware = AnswerRewriting(_route, lambda method, path, status: path == "/wanted", lambda asked, answer: 1 / 0)
    sent = _exchange(middleware, "/other", b'{"a": 1}')
    assert [m.get("body") for m in sent[1:]] == [b'{"', b'a": 1}'] and sent[0]["status"] == 422


def test_a_remembered_body_is_bounded():
    kept: list[Asked] = []
    middleware = AnswerRewriting(_route, lambda *_: True, lambda asked, answer: kept.append(asked) or answer, kept=4)
    _exchange(middleware, "/wanted", b'{"a": 1}')
    assert kept[0].body == b'{"a"' and kept[0].json() is None
