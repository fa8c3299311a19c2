"""Image-aware generators: what fuzzed requests carry where the contract expects an image.

Random base64 never gets past a device's image decoder, so fuzzing with it only ever sees the
same 422. These strategies draw, for each image object of a generated body, one variant:
a valid JPEG or PNG of the images folder (half the time), or one broken in a named way:
truncated, corrupt (a garbage run after the header), the wrong type (a PNG labelled JPEG),
not an image at all, oversized (a PNG whose header claims ~48 megapixels: a decompression bomb
that compresses to a few kilobytes), a valid image padded to ~2 MB, or malformed base64
(data: URI, URL-safe alphabet, broken padding, line breaks). Every text made here is registered for
redaction, so records show image data only as its size and hash.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from lhv.contract.made_images import BOMB_SIZE, decompression_bomb
from lhv.core.secrets import SECRETS

CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
TYPE_KEYS = ("contentType", "content_type")  # how an image object names its content type (plan and v2)
DATA_KEY = "data"
PADDED_BYTES = 2 * 1024 * 1024
BROKEN_KINDS = ("truncated", "corrupt", "wrong-type", "not-an-image", "oversized", "padded", "bad-base64")
VALID = "valid"
# What CONTRACT.md §5 (and PLAN_011) says must be refused with 422: data that is not standard base64, or not a JPEG
# or PNG matching its content type. A truncated, corrupt, padded or huge image is left to the device's judgement.
REFUSED_KINDS = frozenset({"wrong-type", "not-an-image", "bad-base64"})
_NOT_AN_IMAGE = b"%PDF-1.4 lhv fuzzing: this is not a JPEG or PNG image. " * 6


@dataclass(frozen=True)
class SourceImage:
    """An image file of the images folder."""

    name: str
    content_type: str
    raw: bytes = b""

    def __repr__(self) -> str:
        return f"{self.name} ({self.content_type}, {len(self.raw)} bytes)"


@dataclass(frozen=True)
class ImageVariant:
    """What one image object carries: its content type, the text sent as data, how it was made, and its kind
    (VALID or one of BROKEN_KINDS)."""

    content_type: str
    data: str
    label: str
    kind: str = VALID

    @property
    def refused(self) -> bool:
        """True when the contract says a request carrying this image must be refused."""
        return self.kind in REFUSED_KINDS

    def __repr__(self) -> str:
        return self.label


def load_images(folder: Path) -> tuple[SourceImage, ...]:
    """Reads the JPEG and PNG files of a folder (not its subfolders), in name order."""
    images = tuple(SourceImage(path.name, CONTENT_TYPES[path.suffix.lower()], path.read_bytes())
                   for path in sorted(folder.iterdir())
                   if path.is_file() and path.suffix.lower() in CONTENT_TYPES)
    if not any(image.content_type == "image/jpeg" for image in images) or \
            not any(image.content_type == "image/png" for image in images):
        raise ValueError(f"{folder} needs at least one .jpg and one .png image for fuzzing")
    return images


def _text(raw: bytes) -> str:
    text = base64.b64encode(raw).decode("ascii")
    SECRETS.add_image(text)
    return text


def _other_type(content_type: str) -> str:
    return "image/png" if content_type == "image/jpeg" else "image/jpeg"


@cache
def valid_variants(images: tuple[SourceImage, ...], content_type: str | None = None) -> st.SearchStrategy:
    """A valid image with its own content type (of content_type, when given)."""
    pool = [image for image in images if content_type in (None, image.content_type)] or list(images)
    return st.sampled_from(pool).map(lambda image: ImageVariant(image.content_type, _text(image.raw),
                                                                f"valid {image.name}"))


def broken_variants(images: tuple[SourceImage, ...]) -> st.SearchStrategy:
    """An image broken in one of BROKEN_KINDS."""

    @st.composite
    def draw(draw_: Any) -> ImageVariant:
        kind = draw_(st.sampled_from(BROKEN_KINDS))
        image: SourceImage = draw_(st.sampled_from(images))
        raw, kind_type = image.raw, image.content_type
        if kind == "truncated":
            percent = draw_(st.integers(5, 95))
            return ImageVariant(kind_type, _text(raw[: max(8, len(raw) * percent // 100)]),
                                f"{image.name} truncated to {percent} %", kind)
        if kind == "corrupt":
            start = draw_(st.integers(32, max(33, len(raw) - 64)))
            garbage = draw_(st.binary(min_size=16, max_size=64))
            return ImageVariant(kind_type, _text(raw[:start] + garbage + raw[start + len(garbage):]),
                                f"{image.name} with {len(garbage)} garbage bytes at {start}", kind)
        if kind == "wrong-type":
            return ImageVariant(_other_type(kind_type), _text(raw),
                                f"{image.name} labelled {_other_type(kind_type)}", kind)
        if kind == "not-an-image":
            return ImageVariant(kind_type, _text(_NOT_AN_IMAGE), f"text labelled {kind_type}", kind)
        if kind == "oversized":
            width, height = BOMB_SIZE
            return ImageVariant("image/png", _text(decompression_bomb()), f"{width}×{height} PNG (decompression bomb)",
                                kind)
        if kind == "padded":
            return ImageVariant(kind_type, _text(raw + b"\x00" * (PADDED_BYTES - len(raw))),
                                f"{image.name} padded to {PADDED_BYTES // 1024} KiB", kind)
        return draw_(_bad_base64(image))

    return draw()


def _bad_base64(image: SourceImage) -> st.SearchStrategy:
    standard = base64.b64encode(image.raw).decode("ascii")
    forms = {
        "data: URI": f"data:{image.content_type};base64,{standard}",
        "URL-safe alphabet": base64.urlsafe_b64encode(image.raw).decode("ascii"),
        "broken padding": standard.rstrip("=") if standard.endswith("=") else standard[:-1],  # an incomplete quantum
        "line breaks": "\n".join(standard[i:i + 76] for i in range(0, len(standard), 76)),
    }
    forms = {form: text for form, text in forms.items() if text != standard}  # tiny images: some forms coincide
    for text in forms.values():
        SECRETS.add_image(text)
    return st.sampled_from(sorted(forms)).map(
        lambda form: ImageVariant(image.content_type, forms[form], f"{image.name} as base64 with {form}",
                                  "bad-base64"))


def image_variants(images: tuple[SourceImage, ...], content_type: str | None = None,
                   broken_one_in: int = 2) -> st.SearchStrategy:
    """Valid images, and one in broken_one_in (half, by default) broken."""
    if broken_one_in == 2:
        return st.one_of(valid_variants(images, content_type), broken_variants(images))
    return st.integers(1, broken_one_in).flatmap(
        lambda drawn: broken_variants(images) if drawn == 1 else valid_variants(images, content_type))


def is_image_object(node: Any) -> bool:
    """Whether a JSON node is an image object: a content-type key and a data key."""
    return isinstance(node, Mapping) and DATA_KEY in node and any(key in node for key in TYPE_KEYS)


def image_paths(body: Any, path: tuple = ()) -> list[tuple]:
    """Where a body holds image objects, as key/index paths, in document order."""
    if is_image_object(body):
        return [path]
    if isinstance(body, Mapping):
        return [found for key, value in body.items() for found in image_paths(value, (*path, key))]
    if isinstance(body, list):
        return [found for index, value in enumerate(body) for found in image_paths(value, (*path, index))]
    return []


def with_images(body: Any, draw: Any, images: tuple[SourceImage, ...], *, negative: bool) -> tuple[Any, list[str]]:
    """A copy of body whose image objects carry drawn variants, and a label per image (with_variants())."""
    changed, variants = with_variants(body, draw, images, negative=negative)
    return changed, [variant.label if isinstance(variant, ImageVariant) else variant for variant in variants]


def with_variants(body: Any, draw: Any, images: tuple[SourceImage, ...], *, negative: bool,
                  broken_one_in: int = 2) -> tuple[Any, list[ImageVariant | str]]:
    """A copy of body whose image objects carry drawn variants (one in broken_one_in broken), and per image its
    variant (or, where the data was left as generated, a label saying so).

    In negative mode only a string `data` is replaced (by a valid image of the object's own
    content type), so whatever made the body invalid stays as schemathesis generated it.
    """
    variants: list[ImageVariant | str] = []

    def walk(node: Any) -> Any:
        if is_image_object(node):
            return replace_image(node)
        if isinstance(node, Mapping):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    def replace_image(node: Mapping) -> dict:
        out = dict(node)
        type_key = next(key for key in TYPE_KEYS if key in node)
        declared = node[type_key] if node[type_key] in ("image/jpeg", "image/png") else None
        if negative:
            if isinstance(node[DATA_KEY], str):
                variant = draw(valid_variants(images, declared))
                out[DATA_KEY] = variant.data
                variants.append(variant)
            else:
                variants.append(f"data as generated ({type(node[DATA_KEY]).__name__})")
            return out
        variant = draw(image_variants(images, broken_one_in=broken_one_in))
        out[type_key], out[DATA_KEY] = variant.content_type, variant.data
        variants.append(variant)
        return out

    return walk(body), variants
