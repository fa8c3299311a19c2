"""The plan dialect's reader: the device's own request parser (lhv/device/clinical/plan_shape.py)."""

from __future__ import annotations

from typing import Any

from lhv.device.clinical import plan_shape
from lhv.device.clinical.validation import Loc, plan_loc_for
from lhv.lint.paths import snake, value_at
from lhv.lint.readers import BodyReader, MediaEntry, Reading, register

# Keys only a severity body has (either spelling), which tell the operation apart from a diagnosis.
_SEVERITY_KEYS = {"known_condition", "body_site", "scoring_systems", "questionnaire_response"}


class PlanReader(BodyReader):
    """CONTRACT.md §5–§7 in the plan dialect: snake_case or camelCase keys, errors located in camelCase."""

    dialect = "plan"
    key_case = "snake"
    either_case = True
    own_keys = frozenset({"media", "known_condition", "body_site", "scoring_systems", "scoringSystems",
                          "questionnaire_response", "questionnaireResponse"})
    parser = plan_shape
    loc_for = staticmethod(plan_loc_for)

    def detect(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return None
        keys = {snake(key) for key in body if isinstance(key, str)}
        if keys & _SEVERITY_KEYS or isinstance(body.get("media"), dict):
            return "assess_severity"
        if isinstance(body.get("media"), list):
            return "diagnose"
        return None

    def read(self, operation: str, body: Any) -> Reading:
        listed = operation == "diagnose"
        media_value = body.get("media") if isinstance(body, dict) else None
        entries = media_value if listed and isinstance(media_value, list) else \
            [media_value] if not listed and isinstance(media_value, dict) else []
        media = []
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                where = ["body", "media", *([index] if listed else [])]
                content_type = entry.get("contentType", entry.get("content_type"))
                media.append(MediaEntry([*where, "contentType"], [*where, "data"], content_type, entry.get("data")))
        reading = Reading(operation, [], media, ["body", "media"],
                          len(media_value) if listed and isinstance(media_value, list) else None)
        return self.parse_into(reading, body)

    def listed_systems(self, body: Any) -> list[str]:
        listed = body.get("scoring_systems", body.get("scoringSystems")) if isinstance(body, dict) else None
        return [code for code in listed if isinstance(code, str)] if isinstance(listed, list) else []

    def answer_at(self, loc: Loc, body: Any) -> tuple[str | None, str | None]:
        # loc: ["body", "questionnaireResponse", i, ("item", j, …)]
        if len(loc) < 3 or snake(str(loc[1])) != "questionnaire_response" or not isinstance(loc[2], int):
            return None, None
        found, system = value_at([*loc[:3], "questionnaire"], body)
        system = system if found and isinstance(system, str) else None
        if len(loc) < 5 or loc[3] != "item" or not isinstance(loc[4], int):
            return system, None
        found, code = value_at([*loc[:5], "code"], body)
        return system, code if found and isinstance(code, str) else None

    def body_site_code(self, code: str) -> str:
        return code

    def item_code(self, code: str) -> str:
        return code


register(PlanReader())
