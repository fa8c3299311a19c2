"""Redaction removes passwords, tokens and image data from anything the harness writes."""

import base64
import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from lhv.core.secrets import _BASE64_RUN, SecretBook, _base64_run


def test_registered_secret_and_its_encodings_are_redacted():
    book = SecretBook()
    book.add("s3cret+pass@word", "password")
    text = "a=s3cret+pass@word b=s3cret%2Bpass%40word c=" + base64.b64encode(b"s3cret+pass@word").decode()
    redacted = book.redact(text)
    assert "s3cret" not in redacted
    assert redacted.count("[REDACTED password]") == 3


def test_jwt_and_bearer_values_are_redacted_without_registration():
    book = SecretBook()
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4QHkueiJ9.c2lnbmF0dXJlLXZhbHVl"
    assert "eyJ" not in book.redact(f"token {jwt}")
    assert book.redact("Authorization: Bearer abc.def") == "Authorization: Bearer [REDACTED token]"


def test_image_data_becomes_size_and_digest():
    book = SecretBook()
    data = base64.b64encode(bytes(range(256)) * 4).decode()
    out = book.redact_json({"media": [{"contentType": "image/png", "data": data}]})
    replaced = out["media"][0]["data"]
    assert data[:40] not in replaced and replaced.startswith("[image data:") and "sha256" in replaced


def test_short_values_are_not_registered():
    book = SecretBook()
    book.add("abc", "password")
    assert book.redact("abc") == "abc"


def test_a_short_echo_of_an_image_is_redacted_too():
    book = SecretBook()
    out = book.redact('{"data": "/9j/4AAQSkZJRgABAQAAAQABAAD/2wB...", "png": "iVBORw0KGgoAAAANSUhEUg"}')
    assert "/9j/" not in out and "iVBORw0KGgo" not in out
    assert "[image data: 34 chars, elided]" in out


def test_the_patterns_for_pieces_cut_around_an_ellipsis_are_made_only_for_a_text_with_one():
    book = SecretBook()
    book.add("a-password-of-some-length", "password")
    assert book.redact("said a-password-of-some-length") == "said [REDACTED password]"
    index = book._current()
    assert "start_pieces" not in vars(index) and "end_pieces" not in vars(index)  # a third of the index's cost
    assert book.redact("said a-passwo... of it") == "said [REDACTED password]... of it"
    assert "start_pieces" in vars(index)


_BASE64_CHARS = string.ascii_letters + string.digits + "+/_-"
_RUNS = st.integers(190, 210).flatmap(lambda n: st.text(alphabet=_BASE64_CHARS, min_size=n, max_size=n))
_RUN_PIECES = st.one_of(_RUNS, st.text(min_size=0, max_size=3),
                        st.sampled_from([" ", "=", "é", "\ud800", "\x00", "\u212a"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_RUN_PIECES, max_size=4))
@example(["A" * 199]).via("one short of a run")
@example(["é", "A" * 200, "é"]).via("a run between characters of two bytes")
@example(["A" * 100, "\u212a", "A" * 100]).via("the Kelvin sign, a K only when case is ignored")
def test_the_fast_base64_clue_finds_a_run_exactly_where_the_pattern_does(pieces):
    text = "".join(pieces)
    assert _base64_run(text) == (len(text) >= 200 and _BASE64_RUN.search(text) is not None)
