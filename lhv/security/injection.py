"""Injection (OWASP API8:2023, security misconfiguration; API8:2019 injection): hostile strings in every field.

Each check puts its strings, one at a time, into every string field of a valid request of every
route that takes a body (the login form included; login uses a name that belongs to no account)
and judges the answer: never a 5xx, never a sign that the string was executed (an SQL error, the
product a template computed, a file's content, an injected header, a command's output), and never
a token for a login the string bent. Image data is left alone: the fuzzer's image generators
cover it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

from lhv.core.http import Reply
from lhv.scanners.reports import Severity
from lhv.security.probe import Probe, Sample
from lhv.security.registry import Found, security_check

IMAGE_DATA_KEYS = {"data"}
SQL_ERROR = re.compile(r"sqlite3?[.:]|SQLSTATE|syntax error|unrecognized token|unterminated quoted string|ORA-\d{5}|"
                       r"psycopg|You have an error in your SQL syntax|OperationalError|ProgrammingError|"
                       r"quoted string not properly terminated", re.IGNORECASE)
TEMPLATE_PRODUCT = "1787569"  # 1337 * 1337
FILE_CONTENT = re.compile(r"root:[x*]?:0:0:|\[boot loader\]|\[extensions\]")
COMMAND_OUTPUT = re.compile(r"\buid=\d+\(\w+\)")
INJECTED_HEADER = "X-Lhv-Injected"

Judge = Callable[[Reply], str | None]


def string_fields(body: Any, path: tuple = ()) -> Iterator[tuple]:
    """Paths (keys and indices) of the string values of a JSON body or form, image data left out."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key in IMAGE_DATA_KEYS and isinstance(value, str):
                continue
            yield from string_fields(value, (*path, key))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from string_fields(value, (*path, index))
    elif isinstance(body, str):
        yield path


def replaced(body: Any, path: tuple, value: Any) -> Any:
    """A copy of body with the value at path replaced."""
    copied = copy.deepcopy(body)
    node = copied
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copied


def where(sample: Sample, path: tuple) -> str:
    """"POST /login username": a field of a route, for the record."""
    return f"{sample.route.method} {sample.route.path} {'.'.join(str(part) for part in path)}"


def _inject_everywhere(probe: Probe, payloads: dict[str, Any], judge: Judge) -> None:
    """Sends every payload in every string field of every route's valid request; raises Found at the first sign."""
    for sample in probe.samples_with_bodies():
        body = sample.form if sample.form is not None else sample.json_body
        for path in list(string_fields(body)):
            for label, payload in payloads.items():
                if sample.form is not None and not isinstance(payload, str):
                    continue  # a form carries text only
                changed = replaced(body, path, payload)
                if sample.form is not None:
                    reply = probe.send_sample(sample, form=changed)
                else:
                    reply = probe.send_sample(sample, token=probe.authorized(sample), json_body=changed)
                problem = _common(reply, sample) or judge(reply)
                if problem:
                    raise Found(f"{label} {payload!r} in {where(sample, path)}: {problem}", reply)


def _common(reply: Reply, sample: Sample) -> str | None:
    if reply.status >= 500:
        return f"answered {reply.status} (the string broke the device)"
    if sample.intent == "login" and reply.status == 200:
        return "the login answered 200: the string bent the login into a token"
    return None


@security_check("sql-injection", area="injection", severity=Severity.CRITICAL, owasp="API8:2023",
                title="SQL text in a field reaches a query")
def sql_injection(probe: Probe) -> None:
    """An unbalanced quote in every field gets a 4xx without an SQL error message; and a login as
    `<the user>'--` (or `<the user>' OR '1'='1`) with the user's real password gets no token: a parameterised
    query finds no such account."""
    def judge(reply: Reply) -> str | None:
        match = SQL_ERROR.search(reply.text)
        return f"the answer shows an SQL error ({match.group(0)!r})" if match else None

    _inject_everywhere(probe, {"an unbalanced SQL quote": "lhv'"}, judge)
    user = probe.user
    route = probe.route("login")
    for username in (f"{user.username}'--", f"{user.username}' OR '1'='1"):
        reply = probe.send(route, form=probe.dialect.login_form(username, user.password))
        if reply.status == 200 or reply.status >= 500:
            raise Found(f"a login as {username!r} with the user's password answered {reply.status}: the name "
                        "is read as SQL", reply)
        if SQL_ERROR.search(reply.text):
            raise Found(f"a login as {username!r} shows an SQL error", reply)


@security_check("nosql-injection", area="injection", severity=Severity.CRITICAL, owasp="API8:2023",
                title="A query operator in a field reaches a document query")
def nosql_injection(probe: Probe) -> None:
    """A query-operator object (`{"$ne": null}`) in every JSON string field gets a 4xx; a login with
    operator-shaped form keys (`username[$ne]`) gets no token."""
    def judge(reply: Reply) -> str | None:
        return None if 400 <= reply.status < 500 else \
            f"answered {reply.status}, expected a 4xx: an operator object where the contract asks for text was taken"

    _inject_everywhere(probe, {"a query-operator object": {"$ne": None}}, judge)
    route = probe.route("login")
    reply = probe.send(route, form={"username[$ne]": "lhv-nobody", "password[$ne]": "lhv-nobody"})
    if reply.status == 200 or reply.status >= 500:
        raise Found(f"a login with operator-shaped form keys answered {reply.status}", reply)


@security_check("template-injection", area="injection", severity=Severity.HIGH, owasp="API8:2023",
                title="A template expression in a field is evaluated")
def template_injection(probe: Probe) -> None:
    """Template expressions (`{{1337*1337}}`, `${…}`, `<%= … %>`, `#{…}`) in every field are never evaluated:
    no answer shows their product 1787569."""
    def judge(reply: Reply) -> str | None:
        return "the answer shows 1787569, the expression's value" if TEMPLATE_PRODUCT in reply.text else None

    _inject_everywhere(probe, {"template expression": "{{1337*1337}}${1337*1337}<%= 1337*1337 %>#{1337*1337}"},
                       judge)


@security_check("path-traversal", area="injection", severity=Severity.HIGH, owasp="API8:2023",
                title="A path in a field reaches the file system")
def path_traversal(probe: Probe) -> None:
    """Relative paths to system files in every field, and in the URL, never bring back a file's content."""
    def judge(reply: Reply) -> str | None:
        return "the answer shows a system file's content" if FILE_CONTENT.search(reply.text) else None

    _inject_everywhere(probe, {"path traversal": "../../../../../../etc/passwd"}, judge)
    for path in ("/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2f..%2fetc%2fpasswd"):
        reply = probe.send(("GET", path))
        problem = ("answered with a 5xx" if reply.status >= 500 else
                   "the answer shows a system file's content" if FILE_CONTENT.search(reply.text) else None)
        if problem:
            raise Found(f"GET {path}: {problem}", reply)


@security_check("header-injection", area="injection", severity=Severity.HIGH, owasp="API8:2023",
                title="A line break in a field splits a response header")
def header_injection(probe: Probe) -> None:
    """CR LF followed by a header line, in every field and in the URL, never shows up as a header of the answer."""
    def judge(reply: Reply) -> str | None:
        return f"the answer carries the injected {INJECTED_HEADER} header" if INJECTED_HEADER in reply.headers \
            else None

    _inject_everywhere(probe, {"CR LF header line": f"lhv\r\n{INJECTED_HEADER}: yes"}, judge)
    reply = probe.send(("GET", f"/%0d%0a{INJECTED_HEADER}:%20yes"))
    if judge(reply) or reply.status >= 500:
        raise Found(f"GET with an encoded CR LF in the path: {judge(reply) or f'answered {reply.status}'}", reply)


@security_check("command-injection", area="injection", severity=Severity.CRITICAL, owasp="API8:2023",
                title="Shell syntax in a field runs a command")
def command_injection(probe: Probe) -> None:
    """Shell command syntax (`$(id)`, backticks, `; id`) in every field never brings back a command's output."""
    def judge(reply: Reply) -> str | None:
        return "the answer shows the output of id" if COMMAND_OUTPUT.search(reply.text) else None

    _inject_everywhere(probe, {"shell command": "lhv$(id)`id`;id|id"}, judge)
