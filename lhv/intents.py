"""What plans ask of the clinical routes and what they read back, in no dialect's words."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Image:
    """An image to send: content type, the base64 text as it will be sent, and where it came from."""

    content_type: str
    data: str = field(repr=False)
    source: str

    @classmethod
    def from_file(cls, path: Path, content_type: str | None = None) -> "Image":
        """Encodes an image file as standard base64."""
        kind = content_type or {"png": "image/png"}.get(path.suffix.lower().lstrip("."), "image/jpeg")
        return cls(kind, base64.b64encode(path.read_bytes()).decode("ascii"), path.name)

    def altered(self, *, data: str | None = None, content_type: str | None = None, source: str) -> "Image":
        """Returns a copy with another payload or content type (for rejection cases)."""
        return Image(content_type or self.content_type, self.data if data is None else data, source)


@dataclass(frozen=True)
class SeverityRequest:
    """Assess the severity of one lesion: image, condition, body site, systems and the patient's answers."""

    image: Image
    condition_code: str
    condition_display: str
    body_site: str | None
    systems: tuple[str, ...]
    answers: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    subject: str | None = "fake-patient-id"

    def without_body_site(self) -> "SeverityRequest":
        """Returns the same request with the body site left out."""
        return SeverityRequest(self.image, self.condition_code, self.condition_display, None, self.systems,
                               self.answers, self.subject)


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
    items: Mapping[str, float]
    contribution: float | None


@dataclass(frozen=True)
class SeverityReport:
    """A severity-assessment answer read into the plans' terms."""

    systems: Mapping[str, SystemScore]
    resource: dict
