"""Strict decoding of media entries (CONTRACT.md §5)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from lhv.device.clinical import imaging
from lhv.device.clinical.imaging import BASE64_ONLY, ImageRejected, decode_base64, decode_media

IMAGES = Path(__file__).resolve().parents[2] / "fixtures" / "images"
JPEG = (IMAGES / "psoriasis.jpg").read_bytes()
PNG = (IMAGES / "psoriasis.png").read_bytes()


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def rejection(content_type: object, data: object) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        decode_media(content_type, data)
    return caught.value


@pytest.mark.parametrize(("content_type", "raw"), [("image/jpeg", JPEG), ("image/png", PNG)])
def test_fixture_images_decode_to_small_rgb_arrays(content_type, raw):
    decoded = decode_media(content_type, b64(raw))
    assert decoded.pixels.dtype == np.uint8
    assert decoded.pixels.shape == (96, 96, 3)
    assert (decoded.content_type, decoded.width, decoded.height, decoded.byte_size) == (content_type, 96, 96, len(raw))
    assert decoded.pixels.std() > 10  # real pixels, not a blank placeholder


def test_large_images_are_downscaled_for_analysis_but_report_their_size():
    big = Image.fromarray(np.random.default_rng(0).integers(0, 255, (600, 900, 3), dtype=np.uint8))
    decoded = decode_media("image/png", b64(encoded(big, "PNG")))
    assert max(decoded.pixels.shape[:2]) == imaging.ANALYSIS_SIDE
    assert (decoded.width, decoded.height) == (900, 600)


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "I;16", "1"])
def test_any_png_pixel_mode_becomes_rgb(mode):
    decoded = decode_media("image/png", b64(encoded(Image.new(mode, (40, 30)), "PNG")))
    assert decoded.pixels.shape == (30, 40, 3)


@pytest.mark.parametrize(("data", "reason"), [
    ("data:image/jpeg;base64," + b64(JPEG), "data_uri"),
    ("DATA:image/jpeg;base64," + b64(JPEG), "data_uri"),
    (b64(JPEG)[:40] + "\n" + b64(JPEG)[40:], "whitespace"),
    (b64(JPEG)[:40] + " " + b64(JPEG)[40:], "whitespace"),
    (" " + b64(JPEG), "whitespace"),
    (base64.urlsafe_b64encode(b"\xfb\xff\xfe" * 30).decode(), "url_safe_alphabet"),
    ("abc$def=", "not_base64"),
    ("ab-c+def", "not_base64"),
    ("héllo===", "not_base64"),
    ("QUJDRA", "bad_padding"),
    ("QUJD" + "Q", "bad_padding"),
    ("QQ=", "bad_padding"),
    ("QQ===", "bad_padding"),
    ("Q===", "bad_padding"),
    ("QQ==QUJD", "bad_padding"),
    ("QR==", "bad_padding"),  # non-zero padding bits: not the encoding of any bytes
])
def test_base64_shape_problems_are_rejected_with_the_devices_message(data, reason):
    problem = rejection("image/jpeg", data)
    assert problem.reason_code == reason
    assert BASE64_ONLY in problem.message
    assert problem.field == "data"


@pytest.mark.parametrize("data", [JPEG, None, 42, ["x"]])
def test_data_that_is_not_a_string_is_rejected(data):
    assert rejection("image/jpeg", data).reason_code == "not_base64"


@pytest.mark.parametrize(("content_type", "raw", "reason"), [
    ("image/jpeg", b"GIF89a" + bytes(40), "not_an_image"),
    ("image/png", b"not an image at all", "not_an_image"),
    ("image/jpeg", b"", "not_an_image"),
    ("image/jpeg", PNG, "type_mismatch"),
    ("image/png", JPEG, "type_mismatch"),
    ("image/jpeg", JPEG[: len(JPEG) // 3], "undecodable"),
    ("image/jpeg", b"\xff\xd8\xff" + bytes(300), "undecodable"),
    ("image/png", PNG[:60], "undecodable"),
])
def test_base64_of_something_other_than_a_matching_image_is_rejected(content_type, raw, reason):
    problem = rejection(content_type, b64(raw))
    assert problem.reason_code == reason
    assert problem.field == "data"
    assert str(problem) == problem.message


@pytest.mark.parametrize("content_type", ["image/gif", "", None, "application/octet-stream"])
def test_unsupported_content_types_point_at_content_type(content_type):
    problem = rejection(content_type, b64(JPEG))
    assert (problem.reason_code, problem.field) == ("unsupported_content_type", "contentType")


def test_images_over_the_pixel_limit_are_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(imaging, "MAX_PIXELS", 95 * 95)
    assert rejection("image/png", b64(PNG)).reason_code == "too_large"


def test_rejection_messages_never_echo_the_data():
    data = b64(JPEG[: len(JPEG) // 3])
    assert data[:20] not in rejection("image/jpeg", data).message


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_standard_base64_round_trips(raw):
    assert decode_base64(b64(raw)) == raw


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.sampled_from(["\n", " ", "\t", "\r\n"]), st.integers(0, 100))
def test_any_whitespace_anywhere_is_rejected(raw, space, position):
    text = b64(raw)
    cut = position % (len(text) + 1)
    with pytest.raises(ImageRejected) as caught:
        decode_base64(text[:cut] + space + text[cut:])
    assert caught.value.reason_code == "whitespace"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200).filter(lambda raw: not raw.startswith((b"\xff\xd8\xff", b"\x89PNG"))))
def test_base64_of_non_image_bytes_is_never_accepted(raw):
    with pytest.raises(ImageRejected) as caught:
        decode_media("image/jpeg", b64(raw))
    assert caught.value.reason_code == "not_an_image"
