"""Payload files: one request case each, describing itself, with image references inlined at send time.

A payload file is JSON (`payloads/<operation>/<name>.json`; /work/payload_format.md):

    {"description": "one line", "dialect": "plan", "operation": "assess_severity",
     "body": {... "media": {"contentType": "image/jpeg", "data": {"$image": "psoriasis.jpg"}} ...},
     "expect": {"status": 422, "errors": [{"type": "missing", "loc": ["body", "bodySite"], "msg": "Field required"}]}}

`{"$image": NAME, "encoding": ...}` names an image relative to the images folder (fixtures/images/
unless a profile names another) and how it is written: "base64" (standard, the default),
"data-uri", "urlsafe", "bad-padding", "whitespace" or "raw", so that rejection cases are data
too. A reference may stand anywhere in `body` and in an expected error's `input` (a device echoes
the body it refused). Every problem with a file raises one PayloadError naming the file and the
JSON path (`$.expect.status`). Every image text made here is registered for redaction, so image
data shows in records only as its size and hash.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from lhv.contract.dialect_names import DIALECT_NAMES
from lhv.core.errors import ConfigError
from lhv.core.secrets import SECRETS

# payloads/ and fixtures/ of the repository, installed as lhv.payload_files and lhv.fixtures (setup.py)
PAYLOADS_DIR = Path(str(resources.files("lhv.payload_files")))
IMAGES_DIR = Path(str(resources.files("lhv.fixtures"))) / "images"

DIALECTS = DIALECT_NAMES
OPERATIONS = ("diagnose", "assess_severity")
ENCODINGS = ("base64", "data-uri", "urlsafe", "bad-padding", "whitespace", "raw")
IMAGE_KEY, ENCODING_KEY = "$image", "encoding"
_TOP_KEYS = {"description": True, "dialect": False, "operation": True, "body": True, "expect": True}
_EXPECT_KEYS = {"status", "errors"}
_MIME = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
WRAP_COLUMNS = 76  # MIME line length, the usual way base64 picks up line breaks


class PayloadError(ConfigError):
    """A payload file that cannot be used; names the file and the JSON path."""


@dataclass(frozen=True)
class ImageRef:
    """A reference to an image file and how its bytes are to be written."""

    name: str
    encoding: str = "base64"


@dataclass(frozen=True)
class PayloadFile:
    """One request case: what it is, which dialect and operation, the body (references unresolved), the outcome."""

    path: Path
    description: str
    dialect: str
    operation: str
    body: dict = field(repr=False)
    expect: dict

    @property
    def name(self) -> str:
        """The file name without .json, e.g. 'plan-017-payload-1'."""
        return self.path.stem

    @property
    def status(self) -> int:
        """The expected HTTP status."""
        return self.expect["status"]

    @property
    def valid(self) -> bool:
        """True when the case expects success (2xx)."""
        return 200 <= self.status < 300

    def images(self) -> list[ImageRef]:
        """Every image the body references, in document order."""
        return [ref for _, ref in _references(self.body, "$.body")]

    def resolved(self, images_dir: Path = IMAGES_DIR) -> dict:
        """The body as sent: every image reference replaced by the image's text in its encoding."""
        return _resolve(self.body, "$.body", self.path, images_dir)

    def resolved_expect(self, images_dir: Path = IMAGES_DIR) -> dict:
        """The expected outcome with image references in error inputs replaced likewise."""
        return _resolve(self.expect, "$.expect", self.path, images_dir)


def load(path: Path) -> PayloadFile:
    """Reads and checks one payload file; any problem raises PayloadError naming the file and JSON path."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PayloadError(source, None, f"cannot read payload file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise PayloadError(source, None, "not UTF-8 text") from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as exc:
        raise PayloadError(source, "$", f"duplicate key {exc.args[0]!r} in one object") from None
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise PayloadError(source, "$", f"not valid JSON: {reason}{where}") from None
    return _checked(data, path)


def discover(root: Path = PAYLOADS_DIR) -> list[PayloadFile]:
    """Every payload file under root (recursively, sorted by path); the first bad file raises PayloadError."""
    root = Path(root)
    if not root.is_dir():
        raise PayloadError(str(root), None, "no such payload folder")
    return [load(path) for path in sorted(root.rglob("*.json"))]


def find(name: str, dialect: str, root: Path = PAYLOADS_DIR) -> PayloadFile:
    """The payload file of this name (file stem) written in this dialect; PayloadError when there is none."""
    matches = [payload for payload in discover(root) if payload.name == name and payload.dialect == dialect]
    if len(matches) != 1:
        problem = "no payload file" if not matches else f"{len(matches)} payload files"
        raise PayloadError(str(root), name, f"{problem} named {name}.json in the {dialect!r} dialect")
    return matches[0]


def encode_image(raw: bytes, encoding: str = "base64", content_type: str = "image/jpeg") -> str:
    """Writes image bytes as request text in one of ENCODINGS; the text is registered for redaction."""
    standard = base64.b64encode(raw).decode("ascii")
    if encoding == "base64":
        text = standard
    elif encoding == "data-uri":
        text = f"data:{content_type};base64,{standard}"
    elif encoding == "urlsafe":
        text = base64.urlsafe_b64encode(raw).decode("ascii")
        if text == standard:
            raise ValueError("this image's base64 has no + or /: its URL-safe form would not differ")
    elif encoding == "bad-padding":
        unpadded = standard.rstrip("=")
        text = unpadded if unpadded != standard else standard + "=="
    elif encoding == "whitespace":
        text = "\n".join(standard[i:i + WRAP_COLUMNS] for i in range(0, len(standard), WRAP_COLUMNS))
    elif encoding == "raw":
        text = raw.decode("latin-1")  # the bytes themselves, one character per byte
    else:
        raise ValueError(f"unknown image encoding {encoding!r}; known: {', '.join(ENCODINGS)}")
    SECRETS.add_image(text)
    return text


def content_type_of(path: Path | str) -> str:
    """The content type an image file's suffix implies (image/jpeg unless .png)."""
    return _MIME.get(PurePosixPath(str(path)).suffix.lower(), "image/jpeg")


def json_path(parent: str, key: str | int) -> str:
    """A child's JSON path: $.body.media[0].data."""
    return f"{parent}[{key}]" if isinstance(key, int) else f"{parent}.{key}"


# ---- checking --------------------------------------------------------------------------------------

class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise _DuplicateKey(key)
    return dict(pairs)


def _checked(data: Any, path: Path) -> PayloadFile:
    source = str(path)

    def fail(where: str, problem: str) -> PayloadError:
        return PayloadError(source, where, problem)

    if not isinstance(data, dict):
        raise fail("$", f"must be a JSON object, not {_kind(data)}")
    for key in data:
        if key not in _TOP_KEYS:
            raise fail(json_path("$", key), f"unknown key (known: {', '.join(_TOP_KEYS)})")
    for key, required in _TOP_KEYS.items():
        if required and key not in data:
            raise fail(json_path("$", key), "required")
    description = data["description"]
    if not isinstance(description, str) or not description.strip() or "\n" in description:
        raise fail("$.description", "must be one non-empty line of text")
    dialect = data.get("dialect", "plan")
    if dialect not in DIALECTS:
        raise fail("$.dialect", f"{dialect!r} is not one of {', '.join(DIALECTS)}")
    operation = data["operation"]
    if operation not in OPERATIONS:
        raise fail("$.operation", f"{operation!r} is not one of {', '.join(OPERATIONS)}")
    if not isinstance(data["body"], dict):
        raise fail("$.body", f"must be a JSON object, not {_kind(data['body'])}")
    for _ in _references(data["body"], "$.body", fail):
        pass
    expect = _checked_expect(data["expect"], fail)
    return PayloadFile(path, description.strip(), dialect, operation, data["body"], expect)


def _checked_expect(expect: Any, fail: Callable[[str, str], PayloadError]) -> dict:
    if not isinstance(expect, dict):
        raise fail("$.expect", f"must be a JSON object, not {_kind(expect)}")
    for key in expect:
        if key not in _EXPECT_KEYS:
            raise fail(json_path("$.expect", key), f"unknown key (known: {', '.join(sorted(_EXPECT_KEYS))})")
    status = expect.get("status")
    if status is None:
        raise fail("$.expect.status", "required")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise fail("$.expect.status", f"must be an HTTP status code (100–599), not {status!r}")
    if "errors" in expect:
        errors = expect["errors"]
        if not 400 <= status <= 499:
            raise fail("$.expect.errors", f"only a 4xx case lists errors, and this one expects {status}")
        if not isinstance(errors, list) or not errors:
            raise fail("$.expect.errors", "must be a non-empty list of error objects")
        for index, error in enumerate(errors):
            where = json_path("$.expect.errors", index)
            if not isinstance(error, dict) or not error:
                raise fail(where, "must be a non-empty object such as {\"type\": ..., \"loc\": [...]}")
            if "loc" in error and not (isinstance(error["loc"], list)
                                       and all(isinstance(p, (str, int)) for p in error["loc"])):
                raise fail(json_path(where, "loc"), "must be a list of keys and indices")
            if "input" in error:
                for _ in _references(error["input"], json_path(where, "input"), fail):
                    pass
    return expect


def _references(value: Any, where: str,
                fail: Callable[[str, str], PayloadError] | None = None) -> Iterator[tuple[str, ImageRef]]:
    """Yields (JSON path, reference) for every image reference in value; checks each one."""
    if isinstance(value, dict):
        if IMAGE_KEY in value:
            yield where, _reference(value, where, fail)
            return
        for key, child in value.items():
            yield from _references(child, json_path(where, key), fail)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _references(child, json_path(where, index), fail)


def _reference(value: dict, where: str, fail: Callable[[str, str], PayloadError] | None) -> ImageRef:
    def bad(path: str, problem: str) -> PayloadError:
        return fail(path, problem) if fail else PayloadError("payload", path, problem)

    extra = sorted(set(value) - {IMAGE_KEY, ENCODING_KEY})
    if extra:
        raise bad(json_path(where, extra[0]), f"an image reference holds only {IMAGE_KEY} and {ENCODING_KEY}")
    name = value[IMAGE_KEY]
    if not isinstance(name, str) or not name.strip():
        raise bad(json_path(where, IMAGE_KEY), "must name an image file, e.g. \"psoriasis.jpg\"")
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise bad(json_path(where, IMAGE_KEY), f"{name!r} must be a path inside the images folder")
    encoding = value.get(ENCODING_KEY, "base64")
    if encoding not in ENCODINGS:
        raise bad(json_path(where, ENCODING_KEY), f"{encoding!r} is not one of {', '.join(ENCODINGS)}")
    return ImageRef(name, encoding)


def _resolve(value: Any, where: str, path: Path, images_dir: Path) -> Any:
    if isinstance(value, dict):
        if IMAGE_KEY in value:
            ref = _reference(value, where, lambda p, problem: PayloadError(str(path), p, problem))
            image = Path(images_dir) / ref.name
            try:
                raw = image.read_bytes()
            except OSError:
                raise PayloadError(str(path), json_path(where, IMAGE_KEY),
                                   f"image {ref.name!r} not found in {images_dir}") from None
            try:
                return encode_image(raw, ref.encoding, content_type_of(ref.name))
            except ValueError as exc:
                raise PayloadError(str(path), json_path(where, ENCODING_KEY), str(exc)) from None
        return {key: _resolve(child, json_path(where, key), path, images_dir) for key, child in value.items()}
    if isinstance(value, list):
        return [_resolve(child, json_path(where, index), path, images_dir) for index, child in enumerate(value)]
    return copy.deepcopy(value)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


# ---- judging a reply against a file's expectation ---------------------------------------------------

ELIDED = "..."


def echo_matches(expected: Any, received: Any) -> bool:
    """True when a device's echo of a sent value equals it; key order is free, and a long string
    (image data) may come back cut to a prefix followed by '...', as the seed's PLAN_017 error shows."""
    if isinstance(expected, Mapping):
        return isinstance(received, Mapping) and set(expected) == set(received) and all(
            echo_matches(expected[key], received[key]) for key in expected)
    if isinstance(expected, list):
        return isinstance(received, list) and len(expected) == len(received) and all(
            echo_matches(e, r) for e, r in zip(expected, received))
    if isinstance(expected, str) and isinstance(received, str) and received != expected \
            and received.endswith(ELIDED) and len(received) > len(ELIDED):
        return expected.startswith(received[:-len(ELIDED)])
    return _same_json(expected, received)


def _same_json(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def error_problems(expected: list[dict], detail: Any) -> list[str]:
    """What keeps a reply's `detail` list from holding exactly the expected errors (none when it does).

    Each expected error is compared on the keys it gives (type, loc, msg, input, ...), `input`
    as an echo; the detail must hold as many errors as expected, in any order.
    """
    if not isinstance(detail, list):
        return [f"the reply has no detail list (got {_kind(detail)})"]
    problems = []
    if len(detail) != len(expected):
        problems.append(f"expected {len(expected)} error(s), the reply has {len(detail)}: "
                        + "; ".join(describe_error(e) for e in detail))
    unmatched = list(range(len(detail)))
    for wanted in expected:
        match = next((i for i in unmatched if _error_matches(wanted, detail[i])), None)
        if match is None:
            closest = _closest(wanted, [detail[i] for i in unmatched])
            problems.append(f"no error matches {describe_error(wanted)}" + (f"; closest: {closest}" if closest else ""))
        else:
            unmatched.remove(match)
    return problems


def _error_matches(wanted: Mapping, got: Any) -> bool:
    if not isinstance(got, Mapping):
        return False
    for key, value in wanted.items():
        if key not in got:
            return False
        if key == "input" and not echo_matches(value, got[key]):
            return False
        if key != "input" and not _same_json(value, got[key]):
            return False
    return True


def _closest(wanted: Mapping, candidates: list[Any]) -> str:
    """The candidate sharing the most keys with wanted, with the keys that differ."""
    best, best_score = None, -1
    for candidate in candidates:
        if not isinstance(candidate, Mapping):
            continue
        score = sum(1 for key in wanted if key in candidate and _error_matches({key: wanted[key]}, candidate))
        if score > best_score:
            best, best_score = candidate, score
    if best is None:
        return ""
    differing = [key for key in wanted if not _error_matches({key: wanted[key]}, best)]
    return f"{describe_error(best)} (differs in {', '.join(differing)})"


def describe_error(error: Any) -> str:
    """An error in one line without its input (which may be large): type at loc: msg."""
    if not isinstance(error, Mapping):
        return repr(error)[:120]
    loc = error.get("loc")
    text = f"{error.get('type', 'an error')} at {json.dumps(loc) if loc is not None else 'any location'}"
    if "msg" in error:
        text += f": {error['msg']!r}"
    return text + (" with the request as input" if "input" in error else "")
