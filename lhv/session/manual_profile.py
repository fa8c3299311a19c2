"""The profile's [manual_scores]: what the contract leaves open about v2's questionnaire-only route (Appendix B).

The SDK requires images and answers with `score{value, interpretation{category, intensity}}`; the 2026
documentation shows requests without images and `score{value, severity{value 1–3, interpretations[...]}}`.
The defaults are the SDK's (the reference device's habits); the reader accepts only the block chosen here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

SCORE_BLOCKS = ("sdk", "docs-2026")


class ManualScoresSection(BaseModel):
    """[manual_scores]: whether the manual route needs images, and which score block it answers with."""

    model_config = ConfigDict(extra="forbid")

    images: Literal["required", "optional"] = "required"
    score_block: Literal["sdk", "docs-2026"] = "sdk"

    def setting(self, key: str) -> str:
        """A key and its value, as the record shows them."""
        return f'manual_scores.{key} = "{getattr(self, key)}"'


def manual_scores_of(profile: Any) -> ManualScoresSection:
    """The profile's [manual_scores], or the defaults while the Profile has no such section."""
    section = getattr(profile, "manual_scores", None)
    return section if isinstance(section, ManualScoresSection) else ManualScoresSection()
