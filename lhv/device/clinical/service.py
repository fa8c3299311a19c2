"""The clinical routes' domain orchestration, in no dialect's words: decode → diagnose or grade → score.

A dialect's shape module parses its JSON into these inputs and renders these results; the
service knows nothing of field names. The clinical faults that are defects of the domain
(image acceptance, aggregation, zone factors, score arithmetic) are applied here, so every
dialect built on the service shows them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lhv.contract.tables import (
    BODY_SITE_BY_CODE,
    DIAGNOSIS_MAX_IMAGES,
    DIAGNOSIS_MIN_IMAGES,
    PASI_REGION_WEIGHTS,
    SALT_WEIGHTS,
    SCORING_SYSTEM_BY_CODE,
)
from lhv.device.clinical.imaging import ANALYSIS_SIDE, DecodedImage, ImageRejected, decode_media
from lhv.device.clinical.model import Diagnosis, diagnose, grade_signs
from lhv.device.clinical.scoring import SystemScore, score_system
from lhv.device.clinical.validation import ErrorDict, LocFor, SeverityRequest, validate_severity_request

FaultCheck = Callable[[str], bool]

_DATA_URI_PREFIX = re.compile(r"data:[^,]*,", re.IGNORECASE)
# Faults `body-site-optional` and `report-on-refusal`: the site the device silently assumes when none is given.
_DEFAULT_SITES = {"asalt": "head_top"}
_DEFAULT_SITE = "trunk_front"
# Fault `score-arithmetic-off`: what every score is off by.
SCORE_SLIP = 0.5
# What a lenient decoder analyses when the bytes are no image (fault `accepts-non-image-base64`).
_BLANK = np.full((ANALYSIS_SIDE, ANALYSIS_SIDE, 3), 128, dtype=np.uint8)


@dataclass(frozen=True)
class MediaInput:
    """One image as received: the declared content type and the base64 text, unchecked."""

    content_type: object
    data: object


@dataclass(frozen=True)
class RejectedImage:
    """An image the device refuses: its position in the request and why."""

    index: int
    rejection: ImageRejected


@dataclass(frozen=True)
class DiagnosisResult:
    """What the device concludes from 1–5 images, and how long the analysis took."""

    diagnosis: Diagnosis
    duration_seconds: float


@dataclass(frozen=True)
class SeverityResult:
    """A severity assessment: the image's analysis and one score per requested system, in request order."""

    diagnosis: Diagnosis
    condition: str
    body_site: str | None
    scores: tuple[SystemScore, ...]
    duration_seconds: float


class ClinicalService:
    """The reference device's clinical domain, with the faults the device was started with."""

    def __init__(self, has_fault: FaultCheck) -> None:
        self.has = has_fault

    @property
    def image_limits(self) -> tuple[int, int]:
        """How many images a diagnosis request may carry: (fewest, most)."""
        # Fault `rejects-five-images`: an off-by-one limit check (n >= 5 refused).
        most = DIAGNOSIS_MAX_IMAGES - 1 if self.has("rejects-five-images") else DIAGNOSIS_MAX_IMAGES
        return DIAGNOSIS_MIN_IMAGES, most

    def decode(self, media: Sequence[MediaInput]) -> tuple[list[DecodedImage], list[RejectedImage]]:
        """Decodes every image; returns the decoded ones and, separately, every rejection."""
        decoded, rejected = [], []
        for index, entry in enumerate(media):
            try:
                decoded.append(self._decode_one(entry))
            except ImageRejected as rejection:
                rejected.append(RejectedImage(index, rejection))
        return decoded, rejected

    def _decode_one(self, entry: MediaInput) -> DecodedImage:
        data = entry.data
        if self.has("rejects-png") and entry.content_type == "image/png":
            raise ImageRejected("unsupported_content_type", "contentType must be image/jpeg")
        if self.has("accepts-data-uri") and isinstance(data, str):
            data = _DATA_URI_PREFIX.sub("", data, count=1) if _DATA_URI_PREFIX.match(data) else data
        try:
            return decode_media(entry.content_type, data)
        except ImageRejected as rejection:
            # Fault `accepts-non-image-base64`: any base64 is taken, and what is no image is analysed as blank.
            if self.has("accepts-non-image-base64") and rejection.reason_code in (
                    "not_an_image", "type_mismatch", "undecodable"):
                return DecodedImage(_BLANK, str(entry.content_type), ANALYSIS_SIDE, ANALYSIS_SIDE, 0)
            raise

    def diagnose(self, images: Sequence[DecodedImage], started: float) -> DiagnosisResult:
        """Ranks conditions for each image and for all of them together; `started` is a perf_counter()."""
        diagnosis = diagnose([image.pixels for image in images], use_only_first=self.has("first-image-only"),
                             aggregate=not self.has("no-multi-image-gain"))
        return DiagnosisResult(diagnosis, _elapsed(started))

    def validate_severity(self, request: SeverityRequest, received_body: object, loc_for: LocFor) -> list[ErrorDict]:
        """Every severity rule the request breaks, as FastAPI-style errors placed by the dialect's loc_for."""
        return validate_severity_request(request, received_body, loc_for=loc_for,
                                         require_body_site=not self.has("body-site-optional"))

    def preliminary_severity(self, images: Sequence[DecodedImage], request: SeverityRequest, received_body: object,
                             loc_for: LocFor, started: float) -> SeverityResult | None:
        """Fault `report-on-refusal`: a request refused only for its missing body site is analysed anyway, on a
        default site, for a report the refusal carries; None on a clean device or a request broken otherwise."""
        if not self.has("report-on-refusal") or len(images) != 1 or validate_severity_request(
                request, received_body, loc_for=loc_for, require_body_site=False):
            return None
        return self.assess_severity(images[0], request, started)

    def assess_severity(self, image: DecodedImage, request: SeverityRequest, started: float) -> SeverityResult:
        """Grades the image for each requested system and scores it; the request must have passed validation."""
        diagnosis = diagnose([image.pixels])
        scores = tuple(self._score(image, request, system) for system in request.systems)
        return SeverityResult(diagnosis, request.condition or "", request.body_site, scores, _elapsed(started))

    def _score(self, image: DecodedImage, request: SeverityRequest, system: str) -> SystemScore:
        site = request.body_site
        if site is None and SCORING_SYSTEM_BY_CODE[system].needs_zone:
            site = _DEFAULT_SITES.get(system, _DEFAULT_SITE)  # only with body-site-optional or report-on-refusal
        override = _wrong_zone_factor(system, site) if self.has("wrong-zone-factor") else None
        return score_system(system, site, grade_signs(image.pixels, system), request.answers.get(system, {}),
                            zone_factor_override=override,
                            score_offset=SCORE_SLIP if self.has("score-arithmetic-off") else 0.0)


def _wrong_zone_factor(system: str, site: str | None) -> float | None:
    """Fault `wrong-zone-factor`: factors read from the wrong table, never the right value for any site.

    apasi takes the next PASI region's weight, ascorad the PASI weight in per cent instead of
    the rule-of-nines share, asalt an equal quarter for every scalp view.
    """
    if site is None or not SCORING_SYSTEM_BY_CODE[system].needs_zone:
        return None
    if system == "asalt":
        return 0.25 if site in SALT_WEIGHTS else None
    regions = list(PASI_REGION_WEIGHTS)
    region = BODY_SITE_BY_CODE[site].pasi_region
    if system == "apasi":
        return PASI_REGION_WEIGHTS[regions[(regions.index(region) + 1) % len(regions)]]
    return 100 * PASI_REGION_WEIGHTS[region]


def _elapsed(started: float) -> float:
    """Seconds since `started`, never 0."""
    return max(time.perf_counter() - started, 1e-6)
