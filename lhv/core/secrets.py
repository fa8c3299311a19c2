"""Keeps the run's secrets and removes them, and image data, from anything written or printed.

A secret is looked for in every form a device, a serializer or a page may give it (`encodings`):
raw, JSON-escaped, HTML- and XML-escaped, percent-encoded, CSV-quoted and base64, including base64
of the value inside a longer base64 text at each of the three byte offsets; and a form cut short (its
start before a quote or the end of the text, or either side of an ellipsis, as pytest shows a long
value). Each is replaced by a marker (`[REDACTED password]`, `[image data: …]`). Markers are never
matched again and every replacement removes text that is not a marker, so redaction runs to a fixed
point and redacting twice changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import threading
from collections.abc import Callable, Iterable
from functools import cached_property, lru_cache
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
# (A run is tried from its start only: trying every position inside long runs is slow.)
_LONG_BASE64 = re.compile(r"(?:data:[\w/+.-]+;base64,)?(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{200,}={0,2}")
# The start of a JPEG or PNG in base64, however short: a device's elided echo ("/9j/4AAQ…2wB...") is image
# data too, even when it is too short for the long-base64 pattern.
_IMAGE_HEAD = re.compile(r"(?:/9j/|iVBORw0KGgo)[A-Za-z0-9+/_-]*={0,2}(?:\.\.\.|…)?")
# A bearer credential (RFC 6750 b64token); not an auth-param (`Bearer realm="x"`) nor a word of prose.
_BEARER = re.compile(r"\b((?i:bearer)\s+)(?![A-Za-z0-9_-]+=[^=\s])(?![a-z]+(?![A-Za-z0-9._~+/=-]))"
                     r"[A-Za-z0-9._~+/-]+=*")
# Password hashes in a known format (PHC, modular crypt, Django, werkzeug) are redacted on sight: a device
# may echo one the harness never read.
_PASSWORD_HASH = re.compile(
    r"(?:\$(?:argon2id|argon2i|argon2d|2[aby]|scrypt|pbkdf2(?:-sha(?:1|256|512))?|7)\$"
    r"|\b(?:pbkdf2_sha(?:1|256|512)|scrypt|bcrypt(?:_sha256)?|argon2)\$"
    r"|\b(?:pbkdf2:sha(?:1|256|512):\d+|scrypt:\d+:\d+:\d+)\$)[^\s\"'<>]+")
_IMAGE_MARKER = r"\[image data: \d+ chars, (?:sha256 [0-9a-f]{16}|elided)\]"
BUILTIN_KINDS = ("password", "token", "password hash", "stored hash")
MIN_SECRET = 4  # shorter values are not secrets worth hiding (and would hide ordinary text)
MIN_BASE64_PIECE = 8  # a shorter piece of a longer base64 text would match by chance
_ANCHOR = 8  # forms are found by their first characters, then compared whole
_PIECE = 6  # the shortest start or end of a form, cut short by an ellipsis, that is redacted
# A record repeats its keys and short values thousands of times: short texts are redacted once per book state.
_MEMO_LONGEST, _MEMO_ENTRIES = 512, 65536
CUT_START = 12  # the shortest start of a form, cut short without an ellipsis, that is redacted (and a leak)
_ELLIPSIS = re.compile(r"\.\.\.|…")
_CONSOLE_HOLD = re.compile(r"(?:(?i:bearer)\s*|eyJ|[A-Za-z0-9+/_-]{16,})[A-Za-z0-9+/=_.~$:-]*\Z")


def image_digest(data: str | bytes) -> str:
    """Returns the stand-in for image data: its size and SHA-256 prefix."""
    raw = data.encode() if isinstance(data, str) else data
    return f"[image data: {len(raw)} chars, sha256 {hashlib.sha256(raw).hexdigest()[:16]}]"


# ---- the forms of a secret ------------------------------------------------------------------------


def _json_forms(value: str) -> dict[str, str]:
    ascii_ = json.dumps(value)[1:-1]
    utf8 = json.dumps(value, ensure_ascii=False)[1:-1]
    html_safe = ascii_.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")  # as Go writes
    return {"JSON-escaped": ascii_, "JSON-escaped (UTF-8)": utf8,
            "JSON-escaped with \\/": ascii_.replace("/", "\\/"),
            "JSON-escaped (UTF-8) with \\/": utf8.replace("/", "\\/"),
            "JSON-escaped (upper-case \\u)": re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), ascii_),
            "JSON-escaped (HTML-safe)": html_safe}


def _html_forms(value: str) -> dict[str, str]:
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {"HTML-escaped": html.escape(value, quote=True),  # &quot; &#x27;
            "HTML-escaped (&#34; &#39;)": text.replace('"', "&#34;").replace("'", "&#39;"),  # as Jinja writes
            "HTML-escaped (&apos;)": text.replace('"', "&quot;").replace("'", "&apos;"),
            "HTML-escaped (text)": text,
            "XML-escaped (attribute)": text.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
            .replace("\t", "&#09;")}


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def _percent_forms(value: str) -> dict[str, str]:
    forms = {"percent-encoded": quote(value, safe=""), "percent-encoded (path)": quote(value),
             "percent-encoded (form)": quote_plus(value),
             "percent-encoded (as JavaScript)": quote(value, safe="!~*'()"),
             "percent-encoded (only @)": value.replace("@", "%40")}
    return forms | {f"{name}, lower-case": _lower_hex(form) for name, form in forms.items()}


def _base64_piece(raw: bytes, offset: int) -> str:
    """The base64 characters that only raw decides when it starts `offset` bytes into a longer base64 text."""
    encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
    return encoded[(8 * offset + 5) // 6:(8 * (offset + len(raw))) // 6]


def _base64_forms(raw: bytes, of: str) -> dict[str, str]:
    std = base64.b64encode(raw).decode("ascii")
    forms = {f"base64{of}": std, f"base64{of} (unpadded)": std.rstrip("=")}
    for offset in range(3):
        piece = _base64_piece(raw, offset)
        if len(piece) >= MIN_BASE64_PIECE:
            forms[f"base64{of} inside longer base64 (byte offset {offset})"] = piece
    safe = {name.replace("base64", "base64url", 1): form.replace("+", "-").replace("/", "_")
            for name, form in forms.items()}
    escaped = {}
    for name, form in forms.items():
        escaped[f"{name} with \\/"] = form.replace("/", "\\/")
        escaped[f"{name}, percent-encoded"] = quote(form, safe="")
        escaped[f"{name}, percent-encoded, lower-case"] = _lower_hex(quote(form, safe=""))
    return forms | safe | escaped


def encodings(value: str) -> dict[str, str]:
    """Returns every form a secret is looked for in, by name (each form once, under its first name)."""
    return dict(_encodings(value))


@lru_cache(maxsize=1024)
def _encodings(value: str) -> tuple[tuple[str, str], ...]:
    forms: dict[str, str] = {}
    seen: set[str] = set()

    def put(name: str, form: str) -> None:
        if len(form) >= MIN_SECRET and form not in seen:
            seen.add(form)
            forms[name] = form

    put("raw", value)
    json_forms = _json_forms(value)
    for name, form in json_forms.items():
        put(name, form)
    html_forms = _html_forms(value)
    for name, form in html_forms.items():
        put(name, form)
    for json_name, json_form in json_forms.items():  # JSON shown in a page (the record's exchanges)
        for name, form in _html_forms(json_form).items():
            put(f"{name} {json_name}", form)
    for html_name, html_form in html_forms.items():  # a page's text kept in JSON
        for name, form in _json_forms(html_form).items():
            put(f"{name} {html_name}", form)
    for name, form in _percent_forms(value).items():
        put(name, form)
    put("CSV-quoted", value.replace('"', '""'))
    carriers = {"": value, " of the JSON-escaped value": json_forms["JSON-escaped"],
                " of the JSON-escaped value (UTF-8)": json_forms["JSON-escaped (UTF-8)"],
                " of the form-encoded value": quote_plus(value), " of the percent-encoded value": quote(value, safe="")}
    done: set[str] = set()
    for of, carrier in carriers.items():  # base64 of the value, and of the value as a request body carries it
        if carrier not in done:
            done.add(carrier)
            for name, form in _base64_forms(carrier.encode("utf-8"), of).items():
                put(name, form)
    return tuple(forms.items())


def _cut_start(form: str, text: str, at: int) -> int:
    """How much of a form's start text holds from a position on, where the form was cut short there: at least
    CUT_START characters, ending where text ends or at a character that cannot go on a token (a quote, a space,
    an ellipsis). Text that goes on differently is another value sharing the start (JWTs and hashes do); 0 else."""
    limit = min(len(form), len(text) - at)
    if limit < CUT_START or not text.startswith(form[:CUT_START], at):
        return 0
    length = CUT_START
    while length < limit and form[length] == text[at + length]:
        length += 1
    if length == len(form):
        return 0  # the whole form: not cut
    end = at + length
    return length if end == len(text) or not (text[end].isalnum() or text[end] in "+/=_-%\\") else 0


def _cut_in(form: str, text: str) -> bool:
    at = text.find(form[:CUT_START])
    while at >= 0:
        if _cut_start(form, text, at):
            return True
        at = text.find(form[:CUT_START], at + 1)
    return False


def find_leaks(texts: dict[str, str], secrets: Iterable[str]) -> list[str]:
    """Names every secret form and JWT found in named texts, for scans that prove none leaked (never the secret)."""
    forms = [(index, len(secret), name, form) for index, secret in enumerate(dict.fromkeys(secrets), 1)
             if len(secret) >= MIN_SECRET for name, form in encodings(secret).items()]
    found = []
    for where, text in texts.items():
        found += [f"{where}: secret {index} ({length} chars) as {name}" for index, length, name, form in forms
                  if form in text]
        found += [f"{where}: secret {index} ({length} chars) as the start of {name}, cut short"
                  for index, length, name, form in forms if len(form) > CUT_START and _cut_in(form, text)]
        if _JWT.search(text):
            found.append(f"{where}: a JWT")
    return found


# ---- the book -------------------------------------------------------------------------------------


def _trie_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of the words, as a trie (one branch per next character)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = []
        for char in sorted(k for k in node if k):
            run, child = char, node[char]
            while len(child) == 1 and "" not in child:
                (next_char, child), = child.items()
                run += next_char
            branches.append(re.escape(run) + build(child))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


class _Index:
    """The book's forms, compiled for finding: by their first characters (one trie pattern finds where any starts),
    and by their first and last few characters for pieces cut short."""

    def __init__(self, forms: dict[str, str], kinds: Iterable[str]):
        self.forms = forms
        self.by_anchor: dict[str, list[str]] = {}
        for form in forms:
            self.by_anchor.setdefault(form[:_ANCHOR], []).append(form)
        for group in self.by_anchor.values():
            group.sort(key=len, reverse=True)
        self.short_by_first: dict[str, list[str]] = {}
        for anchor in self.by_anchor:
            if len(anchor) < _ANCHOR:
                self.short_by_first.setdefault(anchor[0], []).append(anchor)
        trie = _trie_pattern(self.by_anchor)
        # where any form may start: searched from a position on, its match starts at the next such place (a plain
        # pattern: three times as fast on a long text as a lookahead that finds every place at once)
        self.anchors = re.compile(f"(?:{trie})") if trie else None
        labels = "|".join(re.escape(kind) for kind in sorted(kinds, key=len, reverse=True))
        self.marker = f"\\[REDACTED(?: (?:{labels}))?\\]|{_IMAGE_MARKER}"
        secret_forms = [form for form, marker in forms.items() if not marker.startswith("[image")]
        self.longest = max(map(len, secret_forms), default=0)
        self.by_start: dict[str, list[str]] = {}
        self.by_end: dict[str, list[str]] = {}
        for form in secret_forms:
            if len(form) > _PIECE:
                self.by_start.setdefault(form[:_PIECE], []).append(form)
                self.by_end.setdefault(form[-_PIECE:], []).append(form)

    @cached_property
    def proper_prefixes(self) -> set[str]:
        """The first one to eight characters of every form (what a console stream holds back, waiting for more)."""
        return {form[:i] for form in self.forms for i in range(1, min(len(form), _ANCHOR + 1))}

    # Where a piece may stand, found in one pass (looking at every position of a window is slow). Compiled when a
    # text with an ellipsis first needs them: two thirds of an index's making, and the book is made again after each
    # secret it learns (a run learns a token at each login).
    @cached_property
    def start_pieces(self) -> re.Pattern | None:
        """Finds where the start of a secret form may stand."""
        return re.compile(f"(?=(?:{_trie_pattern(self.by_start)}))") if self.by_start else None

    @cached_property
    def end_pieces(self) -> re.Pattern | None:
        """Finds where the end of a secret form may stand."""
        return re.compile(f"(?=(?:{_trie_pattern(self.by_end)}))") if self.by_end else None

    def suspects(self, text: str) -> bool:
        """Tells whether text may hold anything to redact (a cheap test: most text holds nothing)."""
        return any(rule.suspects(text) for rule in _PATTERN_RULES) or bool(self.anchors and self.anchors.search(text)) \
            or self.replace_cut(text) != text

    def form_at(self, text: str, at: int) -> str | None:
        """The longest form that starts at a position of text."""
        best = None
        for form in self.by_anchor.get(text[at:at + _ANCHOR], ()):
            if text.startswith(form, at):
                best = form
                break
        for form in self.short_by_first.get(text[at], ()):
            if (best is None or len(form) > len(best)) and text.startswith(form, at):
                best = form
        return best

    def start_at(self, text: str, at: int) -> tuple[int, str] | None:
        """The longest start of a form (at least CUT_START characters) at a position of text, where a form was cut
        short (a reply shown as `text[:120]`): its length and marker."""
        best: tuple[int, str] | None = None
        for form in self.by_anchor.get(text[at:at + _ANCHOR], ()):
            if self.forms[form].startswith("[image"):
                continue  # images share their format's header: another image's start is not this one
            length = _cut_start(form, text, at)
            if length and (best is None or length > best[0]):
                best = (length, self.forms[form])
        return best

    def replace_forms(self, text: str) -> str:
        """Replaces every form in text (leftmost, then longest), or the start of one cut short, by its marker."""
        if self.anchors is None:
            return text
        out, last, at = [], 0, 0
        while (match := self.anchors.search(text, at)) is not None:
            at = match.start()
            form = self.form_at(text, at)
            if form is not None:
                out += [text[last:at], self.forms[form]]
                last = at = at + len(form)
                continue
            cut = self.start_at(text, at)
            if cut is not None:
                out += [text[last:at], cut[1]]
                last = at = at + cut[0]
                continue
            at += 1
        return "".join(out) + text[last:] if out else text

    def replace_cut(self, text: str) -> str:
        """Replaces the pieces of a form cut short around an ellipsis ('eyJhbGci...Xq7w', as pytest shows a long
        value): the start of a form just before it and the end of a form just after it."""
        if "..." not in text and "…" not in text:
            return text
        cuts: list[tuple[int, int, str]] = []
        for match in _ELLIPSIS.finditer(text):
            start = self._piece_before(text, match.start())
            if start is not None:
                cuts.append((start[0], match.start(), start[1]))
            end = self._piece_after(text, match.end())
            if end is not None:
                cuts.append((match.end(), end[0], end[1]))
        out, last = [], 0
        for start, end, marker in sorted(cuts):
            if start >= last:
                out += [text[last:start], marker]
                last = end
        return "".join(out) + text[last:] if out else text

    def _piece_before(self, text: str, end: int) -> tuple[int, str] | None:
        if self.start_pieces is None:
            return None
        for piece in self.start_pieces.finditer(text, max(0, end - self.longest), end):  # leftmost first
            at = piece.start()
            for form in self.by_start.get(text[at:at + _PIECE], ()):
                if form.startswith(text[at:end]):
                    return at, self.forms[form]
        return None

    def _piece_after(self, text: str, start: int) -> tuple[int, str] | None:
        if self.end_pieces is None:
            return None
        pieces = [piece.start() for piece in self.end_pieces.finditer(text, start, min(len(text),
                                                                                       start + self.longest))]
        for at in reversed(pieces):  # the longest first
            end = at + _PIECE
            for form in self.by_end.get(text[at:end], ()):
                if form.endswith(text[start:end]):
                    return end, self.forms[form]
        return None

    def continues(self, text: str) -> bool:
        """Tells whether text ends in what could be the start of a form (for streams written in pieces)."""
        for at in range(max(0, len(text) - self.longest), len(text)):
            left = len(text) - at
            if left <= _ANCHOR:
                if text[at:] in self.proper_prefixes:
                    return True
            elif text[at:at + _ANCHOR] in self.by_anchor and any(
                    len(form) > left and form.startswith(text[at:]) for form in self.by_anchor[text[at:at + _ANCHOR]]):
                return True
        return False


class SecretBook:
    """Holds every secret the run has seen; redacts them, in every form, from text and JSON."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._forms: dict[str, str] = {}  # form → its marker
        self._kinds: set[str] = set(BUILTIN_KINDS)
        self._index: _Index | None = None
        self._lock = threading.Lock()
        self._protectors: dict[str, re.Pattern] = {}
        self._memo: tuple[_Index | None, tuple[str, ...], dict[str, str]] = (None, (), {})

    def add(self, value: str | None, kind: str) -> None:
        """Registers a secret (and so every form of it) under a label."""
        if not value or len(value) < MIN_SECRET:
            return
        with self._lock:
            if value in self._secrets:
                return
            self._secrets[value] = kind
            self._kinds.add(kind)
            for form in encodings(value).values():
                self._forms.setdefault(form, f"[REDACTED {kind}]")
            self._index = None

    def add_image(self, data: str | None) -> None:
        """Registers image text as sent, for forms the base64 pattern misses (wrapped lines, raw bytes)."""
        if data and len(data) >= 64 and data not in self._forms:
            with self._lock:
                self._forms[data] = image_digest(data)
                self._index = None

    def values(self, kind: str | None = None) -> list[str]:
        """Returns the raw secrets (of one kind, when given), for scans that prove none leaked."""
        return [value for value, label in self._secrets.items() if kind in (None, label)]

    def _current(self) -> _Index:
        index = self._index
        if index is None:
            with self._lock:
                index = self._index = _Index(dict(self._forms), self._kinds)
        return index

    def _protector(self, index: _Index) -> re.Pattern:
        protector = self._protectors.get(index.marker)
        if protector is None:
            protector = re.compile(f"({index.marker})")
            self._protectors = {index.marker: protector}  # the last one only
        return protector

    def redact(self, text: str, keep: tuple[str, ...] = ()) -> str:
        """Returns text with every form of every secret, bearer tokens, JWTs, password hashes and image data
        replaced; the strings in `keep` (the record's own charts) stay as they are."""
        index = self._current()
        short = len(text) <= _MEMO_LONGEST
        if short:
            memo = self._memo
            if memo[0] is not index or memo[1] != keep or len(memo[2]) >= _MEMO_ENTRIES:
                memo = self._memo = (index, keep, {})
            done = memo[2].get(text)
            if done is None:
                done = memo[2][text] = self._redacted(index, text, keep)
            return done
        return self._redacted(index, text, keep)

    def _redacted(self, index: _Index, text: str, keep: tuple[str, ...]) -> str:
        if not index.suspects(text):
            return text
        protector = self._protector(index)
        while True:
            before = text
            for rule in (index.replace_forms, index.replace_cut, *(rule.replace for rule in _PATTERN_RULES)):
                parts = _protected_split(text, protector, keep)
                parts[::2] = [rule(part) if part else part for part in parts[::2]]
                text = "".join(parts)
            if text == before:
                return text

    def redact_json(self, value: Any, keep: tuple[str, ...] = ()) -> Any:
        """Returns a copy of a JSON value with every string redacted, keys included (a key redacted into one
        already present gets a suffix, so no entry is lost)."""
        if isinstance(value, str):
            return self.redact(value, keep)
        if isinstance(value, list):
            return [self.redact_json(v, keep) for v in value]
        if isinstance(value, dict):
            out: dict = {}
            for key, item in value.items():
                name = self.redact(key, keep) if isinstance(key, str) else key
                if name in out:
                    number = 2
                    while f"{name} ({number})" in out:
                        number += 1
                    name = f"{name} ({number})"
                out[name] = self.redact_json(item, keep)
            return out
        return value

    def may_continue(self, text: str) -> bool:
        """Tells whether text ends in what could be the start of a secret or token, so a stream holds it back."""
        return bool(text) and (self._current().continues(text) or _CONSOLE_HOLD.search(text) is not None)


def _protected_split(text: str, protector: re.Pattern, keep: tuple[str, ...]) -> list[str]:
    """Splits text into free and protected pieces, alternating (free first): markers, and the strings kept as they
    are (a record's own charts: found as literals, since a pattern of them would take long to compile)."""
    parts: list[str] = []
    at = 0
    while True:
        hits = [(found, kept) for kept in keep if kept and (found := text.find(kept, at)) >= 0]
        end, kept = min(hits, key=lambda hit: (hit[0], -len(hit[1]))) if hits else (len(text), "")
        parts += protector.split(text[at:end])
        if not hits:
            return parts
        parts.append(kept)
        at = end + len(kept)


class _PatternRule:
    """Text redacted on sight: a pattern, its replacement, and a cheap test that it may occur."""

    def __init__(self, pattern: re.Pattern, replacement: Any, clue: Callable[[str], bool]):
        self.pattern, self.replacement, self.clue = pattern, replacement, clue

    def suspects(self, text: str) -> bool:
        """Tells whether the pattern may occur in text."""
        return self.clue(text) and self.pattern.search(text) is not None

    def replace(self, text: str) -> str:
        """Replaces every occurrence."""
        return self.pattern.sub(self.replacement, text) if self.clue(text) else text


# Cheap tests first (a record's pages run to megabytes): where the word bearer stands, the pattern is tried there
# only; a hash needs one of its formats' literal marks; long base64 needs a long run of its characters.
_BEARER_WORD = re.compile(r"(?i)bearer")
_HASH_MARKS = ("$argon2", "$2a$", "$2b$", "$2y$", "$scrypt$", "$pbkdf2", "$7$", "pbkdf2_sha", "scrypt$", "bcrypt$",
               "bcrypt_sha256$", "argon2$", "pbkdf2:sha", "scrypt:")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{200}")
# the same run found in bytes: each of its characters is one byte of UTF-8, made "a", and every other byte " "
_BASE64_BYTES = bytes(ord("a") if chr(byte) in "+/_-" or chr(byte).isascii() and chr(byte).isalnum() else ord(" ")
                      for byte in range(256))


def _bearer_stands(text: str) -> bool:
    # "bearer" in any case lowers to itself: a plain search first (a case-blind pattern is seven times slower)
    return "bearer" in text.lower() and any(_BEARER.match(text, word.start()) for word in _BEARER_WORD.finditer(text))


def _base64_run(text: str) -> bool:
    # what _BASE64_RUN finds, eight times as fast on a long text (a table lookup per byte, then a plain search)
    return len(text) >= 200 and b"a" * 200 in text.encode("utf-8", "surrogatepass").translate(_BASE64_BYTES)


def _hash_marked(text: str) -> bool:
    # each mark holds a "$", or "pbkdf2", or is "scrypt:": three plain searches before fourteen
    return ("$" in text or "pbkdf2" in text or "scrypt:" in text) and any(mark in text for mark in _HASH_MARKS)


_PATTERN_RULES = (
    _PatternRule(_BEARER, r"\1[REDACTED token]", _bearer_stands),
    _PatternRule(_PASSWORD_HASH, "[REDACTED password hash]", _hash_marked),
    _PatternRule(_JWT, "[REDACTED token]", lambda text: "eyJ" in text),
    _PatternRule(_LONG_BASE64, lambda m: image_digest(m.group(0)), _base64_run),
    _PatternRule(_IMAGE_HEAD, lambda m: f"[image data: {len(m.group(0))} chars, elided]",
                 lambda text: "/9j/" in text or "iVBORw0KGgo" in text),
)


SECRETS = SecretBook()


# ---- the console ----------------------------------------------------------------------------------


class RedactingStream:
    """A text stream that redacts what it passes on, line by line (a secret split over two writes is still whole).

    A flush passes on the unfinished line too, unless it ends in what could be the start of a secret.
    """

    def __init__(self, stream: TextIO, book: SecretBook | None = None):
        self.stream, self.book = stream, book or SECRETS
        self._pending = ""

    def write(self, text: str) -> int:
        """Takes text; passes on, redacted, every line it completes."""
        self._pending += text
        if "\n" in self._pending:
            lines, _, self._pending = self._pending.rpartition("\n")
            self.stream.write(self.book.redact(lines + "\n"))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        """Writes each line."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Passes on the unfinished line when no secret can be cut in it, then flushes the stream."""
        if self._pending and not self.book.may_continue(self._pending):
            self.stream.write(self.book.redact(self._pending))
            self._pending = ""
        self.stream.flush()

    def drain(self) -> None:
        """Passes on everything held back, redacted."""
        if self._pending:
            self.stream.write(self.book.redact(self._pending))
            self._pending = ""
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def install_console_redaction(config: Any, book: SecretBook | None = None) -> None:
    """Sends pytest's terminal writer and sys.stdout/sys.stderr through redaction until pytest unconfigures.

    Call it from pytest_configure (trylast, so the terminal reporter exists). pytest's capture swaps
    sys.stdout while tests run and restores the stream it saved; the saved streams are wrapped too.
    """
    import sys

    undo: list = []
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    writer = getattr(reporter, "_tw", None)
    if writer is not None and not isinstance(writer._file, RedactingStream):
        original_file, wrapped_file = writer._file, RedactingStream(writer._file, book)
        writer._file = wrapped_file
        undo.append(lambda: (wrapped_file.drain(), setattr(writer, "_file", original_file)))
    for name in ("stdout", "stderr"):
        original = getattr(sys, name)
        if original is None or isinstance(original, RedactingStream):
            continue
        wrapped = RedactingStream(original, book)
        setattr(sys, name, wrapped)
        saved = _saved_by_capture(config, name, original)
        for holder in saved:
            holder._old = wrapped
        undo.append(_restorer(sys, name, original, wrapped, saved))
    config.add_cleanup(lambda: [step() for step in reversed(undo)])


def _saved_by_capture(config: Any, name: str, stream: TextIO) -> list:
    """pytest's capture objects that saved this stream to restore it between tests."""
    capman = config.pluginmanager.get_plugin("capturemanager")
    capturing = getattr(capman, "_global_capturing", None)
    capture = getattr(capturing, "out" if name == "stdout" else "err", None)
    holders = [capture, getattr(capture, "syscapture", None)]
    return [h for h in holders if h is not None and getattr(h, "_old", None) is stream]


def _restorer(sys_module: Any, name: str, original: TextIO, wrapped: RedactingStream, saved: list):
    def restore() -> None:
        wrapped.drain()
        if getattr(sys_module, name) is wrapped:
            setattr(sys_module, name, original)
        for holder in saved:
            if getattr(holder, "_old", None) is wrapped:
                holder._old = original

    return restore


_LONG_WORD = re.compile(r"\S{16,}")


def hide_long_words(text: str) -> str:
    """Returns text with known secrets redacted and every long word (a credential, perhaps) hidden."""
    # An error message may quote what the command was printing; long words may be credentials.
    return _LONG_WORD.sub("[long value hidden]", SECRETS.redact(text))
