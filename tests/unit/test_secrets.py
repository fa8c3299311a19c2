"""Redaction removes passwords, tokens and image data from anything the harness writes."""

import base64

from lhv.core.secrets import SecretBook


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
