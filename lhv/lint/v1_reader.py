"""The v1 dialect's reader: the device's own v1 request parser (lhv/device/clinical/v1_shape.py).

v1 (CONTRACT.md Appendix B) lays a body out as the plan dialect does, its keys in camelCase only,
its body sites in UPPER_SNAKE and its automatic systems `Local`-suffixed. A diagnosis body is the
plan dialect's too; a severity body shows v1 by its values (ARM_LEFT, apasiLocal), so the v1
reader's claim overrides the plan and v2 readers' (which claim by keys). Codes are handed to the explanations in the
contract's words and shown back in v1's.
"""

from __future__ import annotations

from typing import Any

from lhv.contract.spelling import code_of_v1, site_of_v1, system_of_v1, v1_site
from lhv.device.clinical import v1_shape
from lhv.device.clinical.validation import Loc
from lhv.lint.plan_reader import PlanReader
from lhv.lint.readers import Reading, register


class V1Reader(PlanReader):
    """CONTRACT.md Appendix B: camelCase keys only, UPPER_SNAKE sites, `Local` systems; errors in camelCase."""

    dialect = "v1"
    key_case = "camel"
    either_case = False
    own_keys = frozenset()
    overrides = frozenset({"plan", "v2"})
    parser = v1_shape
    loc_for = staticmethod(v1_shape.loc_for)

    def detect(self, body: Any) -> str | None:
        operation = super().detect(body)
        if operation != "assess_severity" or {"payload", "scoringSystem"} & set(body):  # v2's own keys
            return None
        site = body.get("bodySite")
        systems = body.get("scoringSystems")
        codes = [code for code in systems if isinstance(code, str)] if isinstance(systems, list) else []
        v1_values = (isinstance(site, str) and site_of_v1(site) is not None) \
            or any(system_of_v1(code) is not None for code in codes)
        return operation if v1_values else None

    def read(self, operation: str, body: Any) -> Reading:
        reading = super().read(operation, body)
        reading.rule_errors = v1_shape.rule_errors
        return reading

    def listed_systems(self, body: Any) -> list[str]:
        return [code_of_v1(code) for code in super().listed_systems(body)]

    def answer_at(self, loc: Loc, body: Any) -> tuple[str | None, str | None]:
        system, item = super().answer_at(loc, body)
        return (None if system is None else code_of_v1(system)), item

    def body_site_code(self, code: str) -> str:
        return v1_site(code)


register(V1Reader())
