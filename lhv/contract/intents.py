"""What plans ask of the clinical routes and what they read back, in no dialect's words."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lhv.contract.tables import SCORING_SYSTEM_BY_CODE


@dataclass(frozen=True)
class Image:
    """An image to send: content type, the base64 text as it will be sent, and where it came from."""

    content_type: str
    data: str = field(repr=False)
    source: str

    @classmethod
    def from_file(cls, path: Path, content_type: str | None = None) -> Image:
        """Encodes an image file as standard base64."""
        kind = content_type or {"png": "image/png"}.get(path.suffix.lower().lstrip("."), "image/jpeg")
        return cls(kind, base64.b64encode(path.read_bytes()).decode("ascii"), path.name)

    def altered(self, *, data: str | None = None, content_type: str | None = None, source: str) -> Image:
        """Returns a copy with another payload or content type (for rejection cases)."""
        return Image(content_type or self.content_type, self.data if data is None else data, source)


@dataclass(frozen=True)
class SeverityRequest:
    """Assess the severity of one lesion: image, condition, body site, systems and the patient's answers."""

    image: Image
    condition_code: str | None  # None leaves the known condition out (a rejection case)
    condition_display: str | None
    body_site: str | None
    systems: tuple[str, ...]
    answers: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # system → item → value
    subject: str | None = "fake-patient-id"

    def without_body_site(self) -> SeverityRequest:
        """Returns the same request with the body site left out."""
        return replace(self, body_site=None)


# Request fields in the plans' words; a dialect says where each one sits in its bodies (Dialect.field_loc).
REQUEST_FIELDS = ("body", "subject", "images", "image", "image_data", "image_type", "condition", "body_site",
                  "systems", "answers", "answer")


@dataclass(frozen=True)
class RequestField:
    """A field of a clinical request, e.g. the body site, image 2's data, or apasi's surface answer."""

    name: str  # one of REQUEST_FIELDS
    image: int | None = None  # which image of a diagnosis request (image, image_data, image_type)
    system: str | None = None  # whose questionnaire (answers, answer)
    item: str | None = None  # which answer (answer)

    def __post_init__(self) -> None:
        if self.name not in REQUEST_FIELDS:
            raise ValueError(f"unknown request field {self.name!r}; known: {', '.join(REQUEST_FIELDS)}")

    def __str__(self) -> str:
        where = [f"image {self.image + 1}" if self.image is not None else "", self.system or "", self.item or ""]
        return " ".join([self.name.replace("_", " "), *(part for part in where if part)])


@dataclass(frozen=True)
class OpenWay:
    """A way of writing a valid severity request that the contract leaves open: the target's profile says whether
    the target takes it (200) or refuses it (422), and a dialect that cannot write it leaves it not applicable."""

    name: str
    says: str  # what the request does, in the plans' words; its check is named "<name>-as-profiled"


OPEN_WAYS = (
    OpenWay("snake-case-keys", "its own fields (known condition, body site, systems, answers) named in snake_case"),
    OpenWay("camel-case-keys", "its own fields (known condition, body site, systems, answers) named in camelCase"),
    OpenWay("coding-null", "the known condition's coding list null and its text given"),
    OpenWay("conclusion-without-text", "the known condition's text left out and its coding complete"),
    OpenWay("code-only-coding", "the known condition's coding holding its code only, its text given"),
    OpenWay("snake-case-body-site", "v1: the body site as the contract's code (arm_left), not in UPPER_SNAKE"),
)


@dataclass(frozen=True)
class ConditionScore:
    """One ranked condition of a diagnosis."""

    code: str
    display: str
    probability: float


@dataclass(frozen=True)
class ImageAnalysis:
    """What the device said about one image."""

    conditions: tuple[ConditionScore, ...]
    valid: bool
    quality: float
    dermatological: bool


@dataclass(frozen=True)
class DiagnosisReport:
    """A diagnosis-support answer read into the plans' terms."""

    conditions: tuple[ConditionScore, ...]
    images: tuple[ImageAnalysis, ...]
    resource: dict  # the FHIR DiagnosticReport as received, for schema validation


@dataclass(frozen=True)
class SystemScore:
    """One scoring system's result with every item and echoed answer."""

    system: str
    score: float
    category: str
    intensity: int | None
    items: Mapping[str, float]  # every AI item and echoed answer, by code
    contribution: float | None

    @property
    def echoed_answers(self) -> dict[str, float]:
        """The items that are the patient's answers (by the contract's table of the system), as echoed."""
        spec = SCORING_SYSTEM_BY_CODE.get(self.system)
        codes = {item.code for item in spec.answers} if spec else set()
        return {code: value for code, value in self.items.items() if code in codes}


@dataclass(frozen=True)
class SeverityReport:
    """A severity-assessment answer read into the plans' terms."""

    systems: Mapping[str, SystemScore]  # by system code, in the order the reply lists them
    resource: dict
    images: tuple[ImageAnalysis, ...] = ()  # the analysis of the request's image
    conditions: tuple[ConditionScore, ...] = ()  # the report frame's aggregate ranking


# ---- questionnaire-only scores (CONTRACT.md Appendix B: v2's POST /severity-assessment/manual) ---------------

@dataclass(frozen=True)
class ManualRequest:
    """Score questionnaire-only systems (pasi, scorad, dlqi, uas, ihs4) from answers alone; images optional."""

    answers: Mapping[str, Mapping[str, float]]  # system → item → value, in the order sent
    images: tuple[Image, ...] = ()
    condition_code: str | None = None
    condition_display: str | None = None
    body_site: str | None = None
    subject: str | None = "fake-patient-id"

    @property
    def systems(self) -> tuple[str, ...]:
        """The systems asked for, in order."""
        return tuple(self.answers)


@dataclass(frozen=True)
class ScoreBand:
    """One interpretation band a score block lists (the 2026 documentation's `interpretations`)."""

    minimum: float
    maximum: float | None
    text: str


@dataclass(frozen=True)
class ManualScore:
    """One questionnaire-only system's result: score, its grade, and every item echoed."""

    system: str
    score: float
    grade: int | None  # the SDK's interpretation intensity (0–3), or the 2026 documentation's severity value (1–3)
    category: str  # the SDK's category, or the text of the band the score falls in
    bands: tuple[ScoreBand, ...]  # the 2026 documentation's interpretations; () in the SDK's block
    items: Mapping[str, float]  # every echoed item, by code


@dataclass(frozen=True)
class ManualReport:
    """A manual-scores answer read into the plans' terms."""

    systems: Mapping[str, ManualScore]
    resource: dict
