"""The space of severity requests, for hypothesis: valid requests, and requests broken in one named way.

Valid requests follow CONTRACT.md §7: one to three systems, a body site where a system needs a
zone factor (a scalp view when asalt is listed), every answer a listed system needs within its
range. A breakage changes one thing and names the request field the device's error must point at.
Requests are built from the neutral intents, so the space is the same whatever the dialect.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from hypothesis import assume
from hypothesis import strategies as st

from lhv.contract.intents import Image, RequestField, SeverityRequest
from lhv.contract.payloads import encode_image
from lhv.contract.tables import BODY_SITES, CONDITIONS, SALT_WEIGHTS, SCORING_SYSTEM_BY_CODE, SCORING_SYSTEMS, ItemSpec

ZONED = tuple(system.code for system in SCORING_SYSTEMS if system.needs_zone)
SITES = tuple(site.code for site in BODY_SITES)
SCALP = tuple(SALT_WEIGHTS)
NOT_SITES = ("armpit", "elbow", "head", "left_arm", "wrist", "")
NOT_SYSTEMS = ("pasi", "salt", "ihs4", "easi", "apasi2")
NOT_ITEMS = ("redness", "area", "severity", "pain")
BAD_ENCODINGS = ("data-uri", "urlsafe", "bad-padding", "whitespace", "raw")
NOT_AN_IMAGE = b"This is plain text, not a JPEG or PNG image. " * 8


@dataclass(frozen=True)
class Example:
    """A drawn valid request, shown without image data."""

    request: SeverityRequest

    def __repr__(self) -> str:
        return describe(self.request)


@dataclass(frozen=True)
class BrokenExample:
    """A valid request broken in one named way, and the field the refusal must point at."""

    breakage: str
    request: SeverityRequest
    field: RequestField

    def __repr__(self) -> str:
        return f"{self.breakage} (error expected at the {self.field}): {describe(self.request)}"


def describe(request: SeverityRequest) -> str:
    """A request in one line, image named by its source, never its data."""
    answers = {system: dict(items) for system, items in request.answers.items()}
    return (f"systems={list(request.systems)} body_site={request.body_site!r} answers={answers} "
            f"condition={request.condition_code!r} image={request.image.source} ({request.image.content_type})")


def _value(spec: ItemSpec) -> st.SearchStrategy[float]:
    """An answer within its range: whole numbers for grades, one decimal otherwise."""
    if spec.integer:
        return st.integers(int(spec.minimum), int(spec.maximum))
    return st.integers(int(spec.minimum * 10), int(spec.maximum * 10)).map(lambda tenths: tenths / 10)


def _answers(system: str) -> st.SearchStrategy[dict[str, float]]:
    specs = SCORING_SYSTEM_BY_CODE[system].answers
    return st.fixed_dictionaries({spec.code: _value(spec) for spec in specs})


def valid_requests(images: tuple[Image, ...], systems: tuple[str, ...] = tuple(SCORING_SYSTEM_BY_CODE),
                   ) -> st.SearchStrategy[Example]:
    """Valid severity requests over the given systems and images."""

    @st.composite
    def draw_request(draw: Callable) -> Example:
        chosen = tuple(draw(st.lists(st.sampled_from(systems), min_size=1, max_size=min(3, len(systems)), unique=True)))
        zoned = any(SCORING_SYSTEM_BY_CODE[code].needs_zone for code in chosen)
        sites = SCALP if "asalt" in chosen else SITES
        site = draw(st.sampled_from(sites) if zoned else st.none() | st.sampled_from(sites))
        answers = {code: draw(_answers(code)) for code in chosen if SCORING_SYSTEM_BY_CODE[code].needs_answers}
        condition = draw(st.sampled_from(CONDITIONS))
        image = draw(st.sampled_from(images))
        return Example(SeverityRequest(image, condition.code, condition.display, site, chosen, answers))

    return draw_request()


@dataclass(frozen=True)
class Breakage:
    """One named way to break a valid request: when it applies, and how."""

    name: str
    applies: Callable[[SeverityRequest], bool]
    apply: Callable[[Callable, SeverityRequest], tuple[SeverityRequest, RequestField]]


def _with_answers(request: SeverityRequest, answers: Mapping[str, Mapping[str, float]]) -> SeverityRequest:
    return replace(request, answers={system: dict(items) for system, items in answers.items()})


def _pick_answer(draw: Callable, request: SeverityRequest) -> tuple[str, ItemSpec]:
    system = draw(st.sampled_from(sorted(request.answers)))
    spec = draw(st.sampled_from(SCORING_SYSTEM_BY_CODE[system].answers))
    return system, spec


def _out_of_range(above: bool) -> Callable:
    def apply(draw: Callable, request: SeverityRequest) -> tuple[SeverityRequest, RequestField]:
        system, spec = _pick_answer(draw, request)
        step = draw(st.sampled_from((1, 5, 100))) if spec.integer else draw(st.sampled_from((0.5, 1, 50)))
        value = spec.maximum + step if above else spec.minimum - step
        answers = {**request.answers, system: {**request.answers[system], spec.code: value}}
        return _with_answers(request, answers), RequestField("answer", system=system, item=spec.code)
    return apply


def _unknown_item(draw: Callable, request: SeverityRequest) -> tuple[SeverityRequest, RequestField]:
    system = draw(st.sampled_from(sorted(request.answers)))
    item = draw(st.sampled_from(NOT_ITEMS))
    answers = {**request.answers, system: {**request.answers[system], item: 1}}
    return _with_answers(request, answers), RequestField("answer", system=system, item=item)


def _no_questionnaire(draw: Callable, request: SeverityRequest) -> tuple[SeverityRequest, RequestField]:
    system = draw(st.sampled_from(sorted(request.answers)))
    answers = {code: items for code, items in request.answers.items() if code != system}
    return _with_answers(request, answers), RequestField("answers", system=system)


def _unlisted_questionnaire(draw: Callable, request: SeverityRequest) -> tuple[SeverityRequest, RequestField]:
    system = draw(st.sampled_from(_unlisted_with_answers(request)))
    answers = {**request.answers, system: draw(_answers(system))}
    return _with_answers(request, answers), RequestField("answers", system=system)


def _unlisted_with_answers(request: SeverityRequest) -> list[str]:
    return [code for code, spec in SCORING_SYSTEM_BY_CODE.items() if spec.needs_answers and code not in request.systems]


def _bad_image(draw: Callable, request: SeverityRequest) -> tuple[SeverityRequest, RequestField]:
    raw = base64.b64decode(request.image.data)
    encoding = draw(st.sampled_from(BAD_ENCODINGS))
    data = encode_image(raw, encoding, request.image.content_type)
    return replace(request, image=request.image.altered(data=data, source=f"{request.image.source} as {encoding}")), \
        RequestField("image_data")


def _not_an_image(draw: Callable, request: SeverityRequest) -> tuple[SeverityRequest, RequestField]:
    image = request.image.altered(data=encode_image(NOT_AN_IMAGE), source="base64 of plain text")
    return replace(request, image=image), RequestField("image_data")


def _type_mismatch(draw: Callable, request: SeverityRequest) -> tuple[SeverityRequest, RequestField]:
    other = "image/png" if request.image.content_type == "image/jpeg" else "image/jpeg"
    image = request.image.altered(content_type=other, source=f"{request.image.source} declared {other}")
    return replace(request, image=image), RequestField("image_data")


BREAKAGES: tuple[Breakage, ...] = (
    Breakage("body site left out", lambda r: any(code in ZONED for code in r.systems),
             lambda draw, r: (r.without_body_site(), RequestField("body_site"))),
    Breakage("unknown body site", lambda r: True,
             lambda draw, r: (replace(r, body_site=draw(st.sampled_from(NOT_SITES))), RequestField("body_site"))),
    Breakage("asalt on a site outside the scalp", lambda r: "asalt" in r.systems,
             lambda draw, r: (replace(r, body_site=draw(st.sampled_from([s for s in SITES if s not in SCALP]))),
                              RequestField("body_site"))),
    Breakage("answer above its range", lambda r: bool(r.answers), _out_of_range(above=True)),
    Breakage("answer below its range", lambda r: bool(r.answers), _out_of_range(above=False)),
    Breakage("answer the questionnaire does not have", lambda r: bool(r.answers), _unknown_item),
    Breakage("questionnaire left out", lambda r: bool(r.answers), _no_questionnaire),
    Breakage("questionnaire for a system not listed", lambda r: bool(_unlisted_with_answers(r)),
             _unlisted_questionnaire),
    Breakage("unknown scoring system", lambda r: True,
             lambda draw, r: (replace(r, systems=(*r.systems, draw(st.sampled_from(NOT_SYSTEMS)))),
                              RequestField("systems"))),
    Breakage("no scoring system", lambda r: True,
             lambda draw, r: (replace(r, systems=(), answers={}), RequestField("systems"))),
    Breakage("known condition left out", lambda r: True,
             lambda draw, r: (replace(r, condition_code=None, condition_display=None), RequestField("condition"))),
    Breakage("image data not standard base64", lambda r: True, _bad_image),
    Breakage("base64 of something that is no image", lambda r: True, _not_an_image),
    Breakage("content type not the image's", lambda r: True, _type_mismatch),
)


def broken_requests(images: tuple[Image, ...],
                    expresses: Callable[[SeverityRequest], bool] | None = None) -> st.SearchStrategy[BrokenExample]:
    """Valid requests broken in exactly one named way; `expresses` (a dialect's) keeps only breakages the
    target's dialect can write (v2 has no way to send answers for a system it does not request)."""

    @st.composite
    def draw_broken(draw: Callable) -> BrokenExample:
        base = draw(valid_requests(images)).request
        breakage = draw(st.sampled_from([b for b in BREAKAGES if b.applies(base)]))
        request, field = breakage.apply(draw, base)
        assume(expresses is None or expresses(request))
        return BrokenExample(breakage.name, request, field)

    return draw_broken()
