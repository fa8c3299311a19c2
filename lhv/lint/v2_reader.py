"""The v2 dialect's reader: the device's own v2 request parser (lhv/device/clinical/v2_shape.py).

v2 (CONTRACT.md Appendix) spells every key in camelCase only, puts images in
`payload[].contentAttachment`, lists the systems as the keys of `scoringSystem` with each one's
answers under `questionnaireResponse.item` (keyed by item name), writes body sites in camelCase
and calls two items `pruritus` and `wheals`. The shared rules' errors come back in those words.
"""

from __future__ import annotations

from typing import Any

from lhv.contract.spelling import item_of_v2, v2_item, v2_site
from lhv.contract.tables import SCORING_SYSTEM_BY_CODE
from lhv.device.clinical import v2_shape
from lhv.device.clinical.validation import Loc
from lhv.lint.readers import BodyReader, MediaEntry, Reading, register

_SEVERITY_KEYS = {"knownCondition", "bodySite", "scoringSystem"}


class V2Reader(BodyReader):
    """CONTRACT.md Appendix: camelCase keys only, errors located in them."""

    dialect = "v2"
    key_case = "camel"
    either_case = False
    own_keys = frozenset({"payload", "scoringSystem"})
    parser = v2_shape
    loc_for = staticmethod(v2_shape.loc_for)

    def detect(self, body: Any) -> str | None:
        if not isinstance(body, dict) or "payload" not in body and not set(body) & _SEVERITY_KEYS:
            return None
        if set(body) & _SEVERITY_KEYS or isinstance(body.get("payload"), dict):
            return "assess_severity"
        return "diagnose" if isinstance(body.get("payload"), list) else None

    def read(self, operation: str, body: Any) -> Reading:
        listed = operation == "diagnose"
        value = body.get("payload") if isinstance(body, dict) else None
        entries = value if listed and isinstance(value, list) else [value] if not listed and isinstance(value, dict) \
            else []
        media = []
        for index, entry in enumerate(entries):
            attachment = entry.get("contentAttachment") if isinstance(entry, dict) else None
            if isinstance(attachment, dict):
                where = ["body", "payload", *([index] if listed else []), "contentAttachment"]
                media.append(MediaEntry([*where, "contentType"], [*where, "data"], attachment.get("contentType"),
                                        attachment.get("data")))
        reading = Reading(operation, [], media, ["body", "payload"],
                          len(value) if listed and isinstance(value, list) else None,
                          rule_errors=v2_shape.rule_errors)
        return self.parse_into(reading, body)

    def listed_systems(self, body: Any) -> list[str]:
        systems = body.get("scoringSystem") if isinstance(body, dict) else None
        return [code for code in systems if isinstance(code, str)] if isinstance(systems, dict) else []

    def answer_at(self, loc: Loc, body: Any) -> tuple[str | None, str | None]:
        # loc: ["body", "scoringSystem", system, "questionnaireResponse", ("item", name)]
        if len(loc) < 4 or loc[1] != "scoringSystem" or loc[3] != "questionnaireResponse":
            return None, None
        system = str(loc[2])
        if len(loc) < 6 or loc[4] != "item":
            return system, None
        name = str(loc[5])
        return system, item_of_v2(name) or name

    def body_site_code(self, code: str) -> str:
        return v2_site(code)

    def item_code(self, code: str) -> str:
        return v2_item(code)

    def questionnaire_example(self, system: str) -> str | None:
        spec = SCORING_SYSTEM_BY_CODE.get(system)
        if spec is None:
            return None
        items = ", ".join(f"\"{v2_item(item.code)}\": {_bound(item.minimum)}–{_bound(item.maximum)}"
                          for item in spec.answers)
        return f"the answers under its key of scoringSystem: {{\"{system}\": {{\"questionnaireResponse\": " \
               f"{{\"item\": {{{items}}}}}}}}}"

    def condition_example(self) -> str | None:
        return ("{\"conclusion\": {\"coding\": [{\"system\": \"http://id.who.int/icd/release/11/mms\", "
                "\"systemDisplay\": \"ICD-11\", \"code\": ICD-11 code, \"display\": text}], \"text\": text}}")


def _bound(value: float | None) -> str:
    return "∞" if value is None else str(int(value)) if float(value).is_integer() else f"{value:g}"


register(V2Reader())
