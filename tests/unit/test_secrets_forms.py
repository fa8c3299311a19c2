"""Every form of a secret is redacted (escaped, encoded, inside a base64 text, as a JSON key), and twice is once."""

import base64
import html
import io
import json
import re
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lhv.core.secrets import RedactingStream, SecretBook, encodings, find_leaks
from lhv.device.echo import echoes

PASSWORD = "pa\"ss <w&rd> 'x' /y\\z+é-Kq7"
TOKEN = "opaque-token-4e1c9b7f2a"


def _book(*secrets: tuple[str, str]) -> SecretBook:
    book = SecretBook()
    for value, kind in secrets:
        book.add(value, kind)
    return book


def test_the_forms_are_the_ones_serializers_and_pages_write():
    forms = encodings(PASSWORD)
    written = [PASSWORD, json.dumps(PASSWORD)[1:-1], json.dumps(PASSWORD, ensure_ascii=False)[1:-1],
               json.dumps(PASSWORD)[1:-1].replace("/", "\\/"), html.escape(PASSWORD, quote=True),
               html.escape(PASSWORD).replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),
               quote(PASSWORD, safe=""), quote_plus(PASSWORD),
               re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(PASSWORD, safe="")),
               base64.b64encode(PASSWORD.encode()).decode(), base64.urlsafe_b64encode(PASSWORD.encode()).decode(),
               base64.urlsafe_b64encode(PASSWORD.encode()).decode().rstrip("="),
               html.escape(json.dumps(PASSWORD, ensure_ascii=False)[1:-1]).replace("&quot;", "&#34;")
               .replace("&#x27;", "&#39;")]  # the record's page: JSON shown through Jinja
    for form in written:
        assert form in forms.values(), form
    assert len(set(forms.values())) == len(forms)


@pytest.mark.parametrize("name", list(encodings(PASSWORD)))
def test_each_form_is_redacted(name):
    form = encodings(PASSWORD)[name]
    book = _book((PASSWORD, "password"))
    out = book.redact(f"before {form} after")
    assert out == "before [REDACTED password] after"
    assert not find_leaks({"out": out}, [PASSWORD])


@pytest.mark.parametrize("before", [b"", b"x", b"xy", b"xyz", b"\x00\xff\x10\x20"])
@pytest.mark.parametrize("after", [b"", b"!", b"\x01\x02", b"long tail of other bytes"])
def test_a_secret_inside_a_longer_base64_text_is_found_and_redacted(before, after):
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        blob = encode(before + PASSWORD.encode() + after).decode()
        assert find_leaks({"blob": blob}, [PASSWORD]), blob  # the scan sees it: the check can fail
        out = _book((PASSWORD, "password")).redact(f'"{blob}"')
        assert "[REDACTED password]" in out
        assert not find_leaks({"out": out}, [PASSWORD]), out


def test_json_keys_are_redacted_and_no_entry_is_lost():
    book = _book((PASSWORD, "password"), (TOKEN, "token"))
    value = {PASSWORD: 1, "[REDACTED password]": 2, "x": {TOKEN: [PASSWORD, {PASSWORD: TOKEN}]},
             base64.b64encode(PASSWORD.encode()).decode(): 3}
    out = book.redact_json(value)
    assert out == {"[REDACTED password]": 1, "[REDACTED password] (2)": 2,
                   "x": {"[REDACTED token]": ["[REDACTED password]", {"[REDACTED password]": "[REDACTED token]"}]},
                   "[REDACTED password] (3)": 3}
    assert book.redact_json(out) == out
    assert not find_leaks({"out": json.dumps(out)}, [PASSWORD, TOKEN])


def test_replaced_forms_leave_json_text_valid():
    book = _book((PASSWORD, "password"))
    text = json.dumps({"a": PASSWORD, "b": [f"pre {PASSWORD} post"], PASSWORD: None})
    out = book.redact(text)
    assert json.loads(out) == {"a": "[REDACTED password]", "b": ["pre [REDACTED password] post"],
                               "[REDACTED password]": None}


def test_what_the_echo_fault_sends_back_is_all_redacted():
    form = f"username=someone%40example.org&password={quote_plus(PASSWORD)}".encode()
    echo = echoes(form, "application/x-www-form-urlencoded", f"Bearer {TOKEN}")
    body = json.dumps({"detail": "no", "echo": echo}, ensure_ascii=True)
    seen = find_leaks({"body": body}, [PASSWORD, TOKEN])
    for expected in ("as JSON-escaped", "as JSON-escaped HTML-escaped", "as percent-encoded", "as base64",
                     "as base64url", "inside longer base64"):
        assert any(expected in item for item in seen), (expected, seen)
    book = _book((PASSWORD, "password"), (TOKEN, "token"))
    assert not find_leaks({"text": book.redact(body)}, [PASSWORD, TOKEN])
    parsed = book.redact_json(json.loads(body))
    assert "[REDACTED password]" in parsed["echo"] and "[REDACTED token]" in parsed["echo"]
    assert not find_leaks({"json": json.dumps(parsed)}, [PASSWORD, TOKEN])


def test_the_start_of_a_secret_cut_short_is_redacted_and_found():
    book = _book((PASSWORD, "password"), (TOKEN, "token"))
    shown = f"replies differ (401 '{{\"password\": \"{TOKEN[:14]}' vs 401 'Password hashing')"
    assert find_leaks({"shown": shown}, [TOKEN]) == ["shown: secret 1 (23 chars) as the start of raw, cut short"]
    assert book.redact(shown) == "replies differ (401 '{\"password\": \"[REDACTED token]' vs 401 'Password hashing')"


def test_values_that_share_their_start_with_a_secret_are_redacted_whole():
    stored = "$argon2id$v=19$m=19456,t=2,p=1$wHSOj3ms0KqU6p9RSChX4A$ADvIvLgCBKR4QaHfZeUjnm2Pq8Hq99KBvuH6iSI2yPs"
    other = "$argon2id$v=19$m=19456,t=2,p=1$XMgIUS/h5QWQyMDh+UuHwQ$5CodwLbhXwGVV3QMUeBfECphgQJeLMYLoAUKdiESZpg"
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyQGV4YW1wbGUub3JnIiwianRpIjoiMSJ9.c2lnbmF0dXJlLW9uZQ"
    newer = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyQGV4YW1wbGUub3JnIiwianRpIjoiMiJ9.c2lnbmF0dXJlLXR3bw"
    book = _book((stored, "stored hash"), (token, "token"))
    assert book.redact(f'"{other}" "{newer}"') == '"[REDACTED password hash]" "[REDACTED token]"'


def test_a_secret_cut_short_around_an_ellipsis_is_redacted_on_both_sides():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4QHkueiJ9.c2lnbmF0dXJlLXZhbHVlLWxvbmc"
    book = _book((TOKEN, "token"), (jwt, "token"))
    shown = f"assert '{TOKEN[:12]}...{TOKEN[-9:]}' == x; token = '{jwt[:30]}…{jwt[-20:]}'; loading..."
    assert book.redact(shown) == ("assert '[REDACTED token]...[REDACTED token]' == x; "
                                  "token = '[REDACTED token]…[REDACTED token]'; loading...")


@pytest.mark.parametrize("text, expected", [
    ("Authorization: Bearer abc.def", "Authorization: Bearer [REDACTED token]"),
    ("Bearer dGhpcyBpcyBhIHRva2Vu==", "Bearer [REDACTED token]"),
    ("| 401 with WWW-Authenticate: Bearer | passed |", "| 401 with WWW-Authenticate: Bearer | passed |"),
    ('WWW-Authenticate: Bearer realm="lhv", error="invalid_token"',
     'WWW-Authenticate: Bearer realm="lhv", error="invalid_token"'),
    ("send the bearer token", "send the bearer token"),
    ("Bearer [REDACTED token]", "Bearer [REDACTED token]"),
])
def test_bearer_values_are_redacted_but_not_prose_or_parameters(text, expected):
    assert SecretBook().redact(text) == expected


def test_the_records_own_charts_are_kept_and_other_image_data_is_not():
    chart = "data:image/png;base64,iVBORw0KGgo" + "A" * 400
    echoed = "data:image/png;base64,iVBORw0KGgo" + "B" * 400
    out = SecretBook().redact(f'<img src="{chart}"> <img src="{echoed}">', keep=(chart,))
    assert chart in out and echoed not in out and "[image data:" in out


# ---- twice is once --------------------------------------------------------------------------------

_SECRET_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=4, max_size=24)
# Secrets without brackets, for "nothing survives": a bracket would let a marker's end and the text after it
# spell a secret that was never there.
_BRACKET_FREE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="[]"),
                        min_size=4, max_size=24)


def _pieces(secrets: list[str]) -> st.SearchStrategy[str]:
    forms = [form for secret in secrets for form in encodings(secret).values()]
    markers = ["[REDACTED password]", "[REDACTED token]", "[REDACTED]", "[image data: 12 chars, elided]",
               "Bearer ", "eyJhbGciOiJub25lIn0.", "eyJzdWIiOiJ4In0.", "/9j/4AAQ", "$2b$12$", "=", "\\", '"', "[", "]",
               "...", "…"]
    cut = st.tuples(st.sampled_from(forms), st.integers(1, 40), st.booleans()).map(
        lambda c: c[0][:c[1]] if c[2] else c[0][-c[1]:])  # the start or end of a form, as a truncation leaves it
    return st.lists(st.one_of(st.sampled_from(forms), st.sampled_from(markers), cut, st.text(max_size=12)),
                    max_size=12).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_redacting_twice_changes_nothing(data):
    secrets = data.draw(st.lists(_SECRET_TEXT, min_size=1, max_size=3))
    book = _book(*((secret, "password") for secret in secrets))
    text = data.draw(_pieces(secrets))
    once = book.redact(text)
    assert book.redact(once) == once


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_no_form_of_a_secret_survives(data):
    secrets = data.draw(st.lists(_BRACKET_FREE, min_size=1, max_size=3))
    markers = "[REDACTED password] [REDACTED token] [image data: 0 chars, elided]"
    assume(not any(secret in markers for secret in secrets))  # a marker's own words are not a leak
    book = _book(*((secret, "password") for secret in secrets))
    text = data.draw(_pieces(secrets))
    out = book.redact(text)
    assert not find_leaks({"out": out}, secrets)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_json_redaction_is_idempotent_and_keeps_every_entry(data):
    secrets = data.draw(st.lists(_BRACKET_FREE, min_size=1, max_size=2))
    assume(not any(secret in "[REDACTED token] (2)" for secret in secrets))
    book = _book(*((secret, "token") for secret in secrets))
    keys = st.one_of(st.sampled_from(secrets + ["[REDACTED token]", "[REDACTED token] (2)"]), st.text(max_size=6))
    value = data.draw(st.dictionaries(keys, st.one_of(st.sampled_from(secrets), st.integers()), max_size=6))
    once = book.redact_json(value)
    assert len(once) == len(value)
    assert not any(secret in key for secret in secrets for key in once)
    assert book.redact_json(once) == once


# ---- the console ----------------------------------------------------------------------------------


def test_a_stream_redacts_a_secret_written_in_pieces_and_flushed_between():
    book = _book((PASSWORD, "password"))
    out = io.StringIO()
    stream = RedactingStream(out, book)
    for piece in ("login with ", PASSWORD[:6], PASSWORD[6:12], PASSWORD[12:], " failed\n", "...."):
        stream.write(piece)
        stream.flush()
    assert out.getvalue() == "login with [REDACTED password] failed\n...."
    stream.write(PASSWORD[:7])
    stream.flush()
    assert PASSWORD[:7] not in out.getvalue()  # held back: it may be the start of a secret
    stream.drain()
    assert out.getvalue().endswith(PASSWORD[:7])  # at the end it is only what it is


def test_a_text_redacted_before_a_secret_was_known_is_redacted_again_after():
    book = SecretBook()
    text = "the reply echoed s3cret-Passw0rd! back"
    assert book.redact(text) == text
    book.add("s3cret-Passw0rd!", "password")
    assert book.redact(text) == "the reply echoed [REDACTED password] back"


def test_a_kept_chart_between_markers_and_secrets_stays_whole():
    chart = "data:image/png;base64," + "iVBORw0KGgo" + "A" * 300
    book = SecretBook()
    book.add("s3cret-Passw0rd!", "password")
    text = f"[REDACTED token] s3cret-Passw0rd! <img src=\"{chart}\"> s3cret-Passw0rd! <img src=\"{chart}\">"
    out = book.redact(text, keep=(chart,))
    assert out.count(chart) == 2 and "s3cret" not in out and out.count("[REDACTED password]") == 2
