"""Requests of the contract's space, for fuzzing: valid ones, and valid ones broken in one named way.

Random bodies rarely get past a device's validation, and even when they do the harness cannot say
what their answer owes them. These requests are built by the dialect from the harness's own intents
(lhv.fuzz.severity_space, CONTRACT.md §5–§7), so the harness knows what each one asks and what
the contract says of its answer: a valid request with valid images gets 200 with the report the
contract describes; a broken one gets 422 with an error at the broken field.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

from lhv.contract.dialects import Dialect
from lhv.contract.intents import Image, RequestField, SeverityRequest
from lhv.contract.payloads import encode_image
from lhv.core.secrets import SECRETS
from lhv.fuzz.images import SourceImage
from lhv.fuzz.severity_space import (
    BAD_ENCODINGS,
    NOT_AN_IMAGE,
    broken_requests,
    describe,
    valid_requests,
)

DIAGNOSE, ASSESS = "diagnose", "assess_severity"
SUBJECT = "fuzz-subject"
MAX_IMAGES = 5  # CONTRACT.md §6: 1–5 images
UNKNOWN_KEY = "lhvUnknownKey"


@dataclass(frozen=True)
class ContractRequest:
    """A request the harness built from its intents: the body sent, the request in the plans' words (severity),
    and, for a broken one, how it was broken and the field the refusal must point at."""

    intent: str
    body: dict
    severity: SeverityRequest | None = None
    breakage: str | None = None
    field: RequestField | None = None

    def __repr__(self) -> str:
        what = describe(self.severity) if self.severity is not None else f"{len(_media(self.body))} image(s)"
        broken = f"{self.breakage} (error expected at the {self.field}): " if self.breakage else ""
        return f"{self.intent} request: {broken}{what}"


def contract_bodies(dialect: Dialect, images: tuple[SourceImage, ...]) -> dict[str, st.SearchStrategy]:
    """Valid requests of the contract's space for the clinical intents (their image objects get drawn variants)."""
    real = _images(images)
    diagnosis = st.lists(st.sampled_from(real), min_size=1, max_size=MAX_IMAGES).map(
        lambda chosen: ContractRequest(DIAGNOSE, dialect.diagnosis_body(chosen, SUBJECT)))
    severity = valid_requests(real).map(
        lambda example: ContractRequest(ASSESS, dialect.severity_body(example.request), example.request))
    return {DIAGNOSE: diagnosis, ASSESS: severity}


def broken_contract_requests(dialect: Dialect, images: tuple[SourceImage, ...]) -> dict[str, st.SearchStrategy]:
    """Valid requests broken in one named way, each with the field its refusal must point at (sent as built)."""
    real = _images(images)

    @st.composite
    def severity(draw: Callable) -> ContractRequest:
        try:
            example = draw(broken_requests(real, dialect.expresses))
        except ValueError:  # an encoding this image cannot be broken by (base64 without + or /): draw another
            reject()
        return ContractRequest(ASSESS, dialect.severity_body(example.request), example.request, example.breakage,
                               example.field)

    @st.composite
    def diagnosis(draw: Callable) -> ContractRequest:
        chosen = draw(st.lists(st.sampled_from(real), min_size=1, max_size=MAX_IMAGES))
        name = draw(st.sampled_from(sorted(DIAGNOSIS_BREAKAGES)))
        try:
            sent, field, extra = DIAGNOSIS_BREAKAGES[name](draw, chosen)
        except ValueError:
            reject()
        return ContractRequest(DIAGNOSE, dialect.diagnosis_body(sent, SUBJECT) | extra, None, name, field)

    return {DIAGNOSE: diagnosis(), ASSESS: severity()}


Broken = tuple[Sequence[Image], RequestField, dict[str, Any]]  # the images sent, the field, extra top-level keys


def _one_image(change: Callable[[Callable, Image], Image]) -> Callable[[Callable, list[Image]], Broken]:
    def apply(draw: Callable, chosen: list[Image]) -> Broken:
        index = draw(st.integers(0, len(chosen) - 1))
        sent = [*chosen[:index], change(draw, chosen[index]), *chosen[index + 1:]]
        return sent, RequestField("image_data", image=index), {}
    return apply


def _bad_encoding(draw: Callable, image: Image) -> Image:
    encoding = draw(st.sampled_from(BAD_ENCODINGS))
    text = encode_image(base64.b64decode(image.data), encoding, image.content_type)
    return image.altered(data=text, source=f"{image.source} as {encoding}")


def _mislabelled(draw: Callable, image: Image) -> Image:
    other = "image/png" if image.content_type == "image/jpeg" else "image/jpeg"
    return image.altered(content_type=other, source=f"{image.source} declared {other}")


DIAGNOSIS_BREAKAGES: dict[str, Callable[[Callable, list[Image]], Broken]] = {
    "no image": lambda draw, chosen: ([], RequestField("images"), {}),
    "six images": lambda draw, chosen: ((chosen * (MAX_IMAGES + 1))[:MAX_IMAGES + 1], RequestField("images"), {}),
    "a key the contract does not know": lambda draw, chosen: (chosen, RequestField("body"), {UNKNOWN_KEY: 1}),
    "image data not standard base64": _one_image(_bad_encoding),
    "base64 of something that is no image": _one_image(
        lambda draw, image: image.altered(data=encode_image(NOT_AN_IMAGE), source="base64 of plain text")),
    "content type not the image's": _one_image(_mislabelled),
}


def _images(images: tuple[SourceImage, ...]) -> tuple[Image, ...]:
    return tuple(Image(image.content_type, _text(image.raw), image.name) for image in images)


def _text(raw: bytes) -> str:
    text = base64.b64encode(raw).decode("ascii")
    SECRETS.add_image(text)
    return text


def _media(body: dict) -> list:
    media = body.get("media", body.get("payload", []))
    return media if isinstance(media, list) else [media]


def with_body(request: ContractRequest, body: dict) -> ContractRequest:
    """The same request with the body actually sent (its image objects replaced by drawn variants)."""
    return dataclasses.replace(request, body=body)
