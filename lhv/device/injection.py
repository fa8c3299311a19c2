"""Injection faults of the reference device: request text that reaches a query, a template, a file path, a header
or a shell.

* `nosql-operator-login`: the login reads its form with bracket keys nested (as PHP and Node's qs do) and finds
  the account with a document query built from it: `username[$ne]=x&password[$ne]=x` matches the first account.
* `template-evaluated-errors`: validation messages pass through a template renderer, so `{{7*7}}` in an echoed
  input comes back as 49 (only integer arithmetic is rendered: no template engine ever sees request data).
* `static-path-traversal`: a static-files route (`/static/…`) joins the asked path to its folder unchecked; the
  files it reaches are a sandbox under the device's state folder, never the host's file system.
* `header-splitting`: the clinical routes copy the subject's reference into an `X-Subject-Reference` header
  unescaped, so a CR LF in it starts a header of its own.
* `shell-in-image-check`: the image check builds a shell command line from the declared content type, and a
  refusal carries the command's output (simulated: the device never runs a shell).
"""

from __future__ import annotations

import json
import posixpath
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import PlainTextResponse

from lhv.device.context import DeviceContext
from lhv.device.exchange import Answer, AnswerRewriting, Asked

LOGIN_PATH = "/login"
_FORM_KEPT = 64 * 1024  # a login form is small; a longer body goes to the route as it came


# ---- nosql-operator-login --------------------------------------------------------------------------------------

def nested_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """A form's pairs with bracket keys nested, as qs reads them: `a[$ne]=1` → {"a": {"$ne": "1"}}."""
    nested: dict[str, Any] = {}
    for key, value in pairs:
        match = _BRACKETED.fullmatch(key)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))] if match else [key]
        node = nested
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return nested


_BRACKETED = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])+)")
_OPERATORS = {
    "$eq": lambda field, arg: field == arg, "$ne": lambda field, arg: field != arg,
    "$gt": lambda field, arg: field > arg, "$gte": lambda field, arg: field >= arg,
    "$lt": lambda field, arg: field < arg, "$lte": lambda field, arg: field <= arg,
    "$exists": lambda field, arg: arg not in ("false", "0", ""),
}


def condition_holds(field: str, condition: Any) -> bool:
    """Whether a document's field meets a query condition: a value (equality) or an object of operators."""
    if not isinstance(condition, dict):
        return field == condition
    return bool(condition) and all(op in _OPERATORS and isinstance(arg, str) and _OPERATORS[op](field, arg)
                                   for op, arg in condition.items())


def _accounts(ctx: DeviceContext) -> list[tuple[str, str]]:
    """(e-mail, stored hash) of every account, in the order they were registered: the collection's documents."""
    with closing(sqlite3.connect(f"file:{ctx.users.path}?mode=ro", uri=True)) as db:
        return db.execute("SELECT email, password_hash FROM users ORDER BY id").fetchall()


def document_login(ctx: DeviceContext, form: dict[str, Any]) -> str | None:
    """The e-mail of the first account the form's query matches: `{email: username, password: password}`, a plain
    password checked against the hash, an operator object against the stored hash itself (the defect)."""
    username, password = form.get("username"), form.get("password")
    if username is None or password is None:
        return None
    for email, stored in _accounts(ctx):
        if not condition_holds(email, username):
            continue
        if isinstance(password, dict) and condition_holds(stored, password):
            return email
        if isinstance(password, str) and ctx.users.authenticate(email, password) is not None:
            return email
    return None


class DocumentLogin:
    """ASGI middleware of `nosql-operator-login`: a login form with bracket keys is answered by the document query."""

    def __init__(self, app: Any, ctx: DeviceContext) -> None:
        self.app, self.ctx = app, ctx

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) != ("POST", LOGIN_PATH):
            await self.app(scope, receive, send)
            return
        read: list[dict] = []
        size, more = 0, True
        while more and size <= _FORM_KEPT:
            message = await receive()
            read.append(message)
            size += len(message.get("body", b""))
            more = message["type"] == "http.request" and message.get("more_body", False)
        pairs = [] if more else parse_qsl(b"".join(m.get("body", b"") for m in read).decode("utf-8", "replace"),
                                          keep_blank_values=True)
        if any("[" in key for key, _ in pairs):
            email = document_login(self.ctx, nested_form(pairs))
            if email is not None:
                await _token_answer(self.ctx, email, send)
                return

        async def replayed() -> dict:
            return read.pop(0) if read else await receive()

        await self.app(scope, replayed, send)


async def _token_answer(ctx: DeviceContext, email: str, send: Any) -> None:
    ctx.log.write("login_succeeded", client_ip="document-query", user=email)
    body = json.dumps({"access_token": ctx.tokens.issue(email), "token_type": "bearer",
                       "expires_in_minutes": max(1, round(ctx.settings.token_lifetime_seconds / 60))}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# ---- template-evaluated-errors ---------------------------------------------------------------------------------

_EXPRESSION = re.compile(r"\{\{\s*(-?\d{1,12})\s*([*+-])\s*(-?\d{1,12})\s*\}\}")


def rendered(value: Any) -> Any:
    """Every string in a value with its `{{a*b}}` (or + or -) integer expressions replaced by their result."""
    if isinstance(value, str):
        def result(match: re.Match) -> str:
            left, op, right = int(match.group(1)), match.group(2), int(match.group(3))
            return str(left * right if op == "*" else left + right if op == "+" else left - right)
        return _EXPRESSION.sub(result, value)
    if isinstance(value, dict):
        return {key: rendered(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rendered(item) for item in value]
    return value


# ---- static-path-traversal -------------------------------------------------------------------------------------

STATIC_FOLDER = "/srv/lhv/static"  # where the route believes its files are
_SANDBOX_FILES = {
    "srv/lhv/static/index.txt": "Legit.Health Plus API (reference device)\n",
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nlhv:x:1000:1000:lhv:/home/lhv:/bin/sh\n",
    "etc/hostname": "lhv-reference-device\n",
}


def sandbox(ctx: DeviceContext) -> Path:
    """A stand-in file system under the device's state folder (a fake passwd included), made on first use."""
    root = Path(ctx.settings.state_dir) / "static-sandbox"
    for name, content in _SANDBOX_FILES.items():
        path = root / name
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    return root


def traversed(asked: str) -> str:
    """The file a naive join reaches: the static folder plus the asked path, `..` climbing (never above /)."""
    return posixpath.normpath(posixpath.join(STATIC_FOLDER, asked))


def static_router(ctx: DeviceContext) -> APIRouter:
    """The static-files route of `static-path-traversal`, answering from the sandbox."""
    router = APIRouter()
    root = sandbox(ctx)

    @router.get("/static/{asked:path}", include_in_schema=False)
    def static_file(asked: str) -> PlainTextResponse:
        path = root / traversed(asked).lstrip("/")
        if not path.resolve().is_relative_to(root.resolve()) or not path.is_file():
            raise HTTPException(404, "Not Found")
        return PlainTextResponse(path.read_text())

    return router


# ---- header-splitting and shell-in-image-check -----------------------------------------------------------------

_HEADER_LINE = re.compile(r"^([A-Za-z0-9-]{1,64}):[ \t]*([\x20-\x7e]{0,512})$")
_PRINTABLE = re.compile(r"[^\x20-\x7e]")


def split_header(name: str, value: str) -> list[tuple[bytes, bytes]]:
    """The headers a raw `name: value` line with unescaped CR LF in value writes: the value's first line, then every
    following line shaped as a header (others are dropped, as a client's parser skips them)."""
    first, *others = re.split(r"\r\n|\r|\n", value)
    headers = [(name.lower().encode(), _PRINTABLE.sub("", first)[:512].encode("ascii"))]
    for line in others:
        match = _HEADER_LINE.match(line)
        if match:
            headers.append((match.group(1).lower().encode(), match.group(2).encode("ascii")))
    return headers


def subject_reference(body: Any) -> str | None:
    """A clinical request's subject reference, when it names one as text."""
    subject = body.get("subject") if isinstance(body, dict) else None
    reference = subject.get("reference") if isinstance(subject, dict) else None
    return reference if isinstance(reference, str) else None


def _with_subject_header(asked: Asked, answer: Answer) -> Answer:
    reference = subject_reference(asked.json())
    return answer if reference is None else answer.with_headers(*split_header("X-Subject-Reference", reference))


_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)|`([^`]*)`|(?:;|\|\|?|&&)\s*([^;|&`$]+)")
_OUTPUTS = {"id": "uid=1000(lhv) gid=1000(lhv) groups=1000(lhv)", "whoami": "lhv", "uname": "Linux",
            "hostname": "lhv-reference-device", "pwd": "/srv/lhv"}


def shell_output(argument: str) -> str | None:
    """What `sh -c "file --mime-type - | grep -q <argument>"` would print for the commands argument smuggles in
    (simulated for a few commands; others are "not found"); None when it holds no shell syntax."""
    lines = []
    for match in _SUBSTITUTION.finditer(argument):
        words = (match.group(1) or match.group(2) or match.group(3) or "").split()
        if words:
            lines.append(_OUTPUTS.get(words[0], f"sh: 1: {words[0]}: not found"))
    return "\n".join(lines) if lines else None


def content_types(value: Any) -> Iterator[str]:
    """Every contentType text of a request body, wherever it sits."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "contentType" and isinstance(item, str):
                yield item
            else:
                yield from content_types(item)
    elif isinstance(value, list):
        for item in value:
            yield from content_types(item)


def _with_shell_output(asked: Asked, answer: Answer) -> Answer:
    refusal = answer.json()
    outputs = [output for declared in content_types(asked.json()) if (output := shell_output(declared))]
    if not outputs or not isinstance(refusal, dict) or not isinstance(refusal.get("detail"), list):
        return answer
    checked = [{"type": "image_check", "loc": ["body"], "msg": f"file type check failed: {output}"}
               for output in outputs]
    return answer.with_json({**refusal, "detail": [*refusal["detail"], *checked]})


def clinical_paths(ctx: DeviceContext) -> frozenset[str]:
    """The paths of the clinical routes in the device's dialect."""
    if ctx.settings.dialect == "v2":
        from lhv.device.routes_clinical_v2 import V2_SHAPE as shape
    else:
        from lhv.device.routes_clinical import PLAN_SHAPE as shape
    return frozenset((shape.diagnosis_path, shape.severity_path))


# ---- installing --------------------------------------------------------------------------------------------------

def install_injection_faults(app: FastAPI, ctx: DeviceContext) -> None:
    """Adds the routes and middleware of the switched-on injection faults (template-evaluated-errors is the error
    handler's, in app.py)."""
    if ctx.has("static-path-traversal"):
        app.include_router(static_router(ctx))
    if ctx.has("nosql-operator-login"):
        app.add_middleware(DocumentLogin, ctx=ctx)
    clinical = clinical_paths(ctx)
    kept = ctx.settings.max_body_bytes  # a clinical body carries its images: remember it whole
    if ctx.has("header-splitting"):
        app.add_middleware(AnswerRewriting, wants=lambda method, path, status: path in clinical,
                           rewrite=_with_subject_header, kept=kept)
    if ctx.has("shell-in-image-check"):
        app.add_middleware(AnswerRewriting, wants=lambda method, path, status: path in clinical and status == 422,
                           rewrite=_with_shell_output, kept=kept)
