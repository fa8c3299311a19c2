"""The image-aware generators: each variant is what its label says."""

from __future__ import annotations

import base64
import binascii
import io
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from lhv.contract.made_images import BOMB_SIZE, decompression_bomb
from lhv.contract.payloads import IMAGES_DIR
from lhv.fuzz.images import broken_variants, image_paths, image_variants, load_images, valid_variants, with_images

IMAGES = load_images(IMAGES_DIR)
MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG"}


@given(valid_variants(IMAGES))
@settings(max_examples=20, deadline=None)
def test_valid_variants_decode_as_their_content_type(variant) -> None:
    raw = base64.b64decode(variant.data, validate=True)
    assert raw.startswith(MAGIC[variant.content_type])
    Image.open(io.BytesIO(raw)).load()


@given(broken_variants(IMAGES))
@settings(max_examples=60, deadline=None)
def test_broken_variants_are_broken_the_way_their_label_says(variant) -> None:
    label = variant.label
    if "labelled" in label and label.startswith("text"):
        assert not any(base64.b64decode(variant.data).startswith(magic) for magic in MAGIC.values())
    elif "labelled" in label:
        assert not base64.b64decode(variant.data).startswith(MAGIC[variant.content_type])
    elif "truncated" in label:
        name = label.split(" ")[0]
        full = next(image.raw for image in IMAGES if image.name == name)
        assert len(base64.b64decode(variant.data)) < len(full)
    elif "decompression bomb" in label:
        raw = base64.b64decode(variant.data)
        assert struct.unpack(">II", raw[16:24]) == BOMB_SIZE and len(raw) < 100_000
    elif "base64 with" in label:
        with pytest.raises(binascii.Error):
            binascii.a2b_base64(variant.data, strict_mode=True)  # RFC 4648 base64, as the contract demands


def test_the_decompression_bomb_is_a_valid_png_of_its_size() -> None:
    image = Image.open(io.BytesIO(decompression_bomb(64, 32)))
    assert image.size == (64, 32) and image.format == "PNG"
    image.load()


def test_image_objects_are_found_in_plan_and_v2_bodies() -> None:
    plan = {"media": [{"contentType": "image/png", "data": "x"}, {"content_type": "image/jpeg", "data": "y"}]}
    v2 = {"payload": {"contentAttachment": {"contentType": "image/jpeg", "data": "z"}}, "bodySite": "armLeft"}
    assert image_paths(plan) == [("media", 0), ("media", 1)]
    assert image_paths(v2) == [("payload", "contentAttachment")]
    assert image_paths({"data": "no type"}) == []


@given(st.data())
@settings(max_examples=20, deadline=None)
def test_negative_bodies_keep_what_made_them_invalid(data) -> None:
    body = {"media": [{"contentType": 7, "data": "garbage"}, {"contentType": "image/png", "data": 12},
                      {"contentType": "image/png", "data": "garbage", "extra": True}]}
    changed, labels = with_images(body, data.draw, IMAGES, negative=True)
    assert changed["media"][0]["contentType"] == 7 and changed["media"][1]["data"] == 12
    assert changed["media"][2]["extra"] is True
    assert base64.b64decode(changed["media"][2]["data"]).startswith(MAGIC["image/png"])
    assert len(labels) == 3 and body["media"][0]["data"] == "garbage"  # the original is left alone


@given(st.data())
@settings(max_examples=20, deadline=None)
def test_positive_bodies_carry_drawn_variants_with_labels(data) -> None:
    body = {"subject": {"reference": "p"}, "media": [{"contentType": "image/jpeg", "data": "AAAA"}] * 3}
    changed, labels = with_images(body, data.draw, IMAGES, negative=False)
    assert len(labels) == 3 and changed["subject"] == {"reference": "p"}
    assert all(item["data"] != "AAAA" for item in changed["media"])
    assert all(item["contentType"] in MAGIC for item in changed["media"])


def test_image_variants_mix_valid_and_broken() -> None:
    seen = set()

    @given(image_variants(IMAGES))
    @settings(max_examples=60, deadline=None, database=None)
    def draw(variant) -> None:
        seen.add(variant.label.startswith("valid"))

    draw()
    assert seen == {True, False}
