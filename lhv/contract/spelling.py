"""How each API dialect spells the contract's codes (CONTRACT.md §7 and its Appendix).

The contract's tables (lhv/contract/tables.py) name body sites and items in the plan dialect's words
(`arm_left`, `itchiness`, `hive`). The v2 dialect writes body sites in camelCase (`armLeft`) and
renames two items (`itchiness` → `pruritus`, `hive` → `wheals`). The v1 dialect writes body sites
in UPPER_SNAKE (`ARM_LEFT`) and the automatic systems with a `Local` suffix (`apasiLocal`). The
devices' shapes, the harness's dialects, the payload converter and the linter all translate through
this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from lhv.contract.tables import BODY_SITE_BY_CAMEL, BODY_SITE_BY_CODE, BODY_SITES, SCORING_SYSTEMS, V2_ITEM_RENAMES

ITEM_BY_V2: Mapping[str, str] = MappingProxyType({v2: code for code, v2 in V2_ITEM_RENAMES.items()})

# Contract codes that a v2 text may mention, longest first so that head_top wins over a shorter code.
_V2_WORDS = {site.code: site.camel for site in BODY_SITES if site.code != site.camel} | dict(V2_ITEM_RENAMES)
_WORD = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _V2_WORDS), key=len, reverse=True)) + r")\b")
_PLAN_WORDS = {v2: code for code, v2 in _V2_WORDS.items()}
_V2_WORD = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _PLAN_WORDS), key=len, reverse=True)) + r")\b")


def v2_site(code: str) -> str:
    """A body-site code as v2 writes it (arm_left → armLeft); a code the contract lacks stays as it is."""
    site = BODY_SITE_BY_CODE.get(code)
    return site.camel if site else code


def site_of_v2(text: str) -> str | None:
    """The contract code of a v2 body site (armLeft → arm_left), or None when v2 has no such site."""
    site = BODY_SITE_BY_CAMEL.get(text)
    return site.code if site else None


def v2_item(code: str) -> str:
    """An item code as v2 writes it (itchiness → pruritus); other codes stay as they are."""
    return V2_ITEM_RENAMES.get(code, code)


def item_of_v2(text: str) -> str | None:
    """The contract code of a v2 item name (pruritus → itchiness, erythema → erythema); None for a name
    only the plan dialect uses (itchiness, hive)."""
    if text in V2_ITEM_RENAMES:
        return None
    return ITEM_BY_V2.get(text, text)


def plan_only_item(text: str) -> bool:
    """True for an item name that v2 spells otherwise (itchiness, hive)."""
    return text in V2_ITEM_RENAMES


def v2_text(text: str) -> str:
    """A message in the contract's words rewritten in v2's (… not arm_left → … not armLeft)."""
    return _WORD.sub(lambda match: _V2_WORDS[match.group(1)], text)


def plan_text(text: str) -> str:
    """A message in v2's words rewritten in the contract's (the inverse of v2_text)."""
    return _V2_WORD.sub(lambda match: _PLAN_WORDS[match.group(1)], text)


# ---- v1 (CONTRACT.md Appendix B): UPPER_SNAKE body sites, `Local`-suffixed automatic system codes ----------

V1_SUFFIX = "Local"
V1_SITE_BY_UPPER: Mapping[str, str] = MappingProxyType({site.code.upper(): site.code for site in BODY_SITES})
V1_SYSTEM_BY_CODE: Mapping[str, str] = MappingProxyType({system.code: system.code + V1_SUFFIX
                                                          for system in SCORING_SYSTEMS})
SYSTEM_BY_V1: Mapping[str, str] = MappingProxyType({v1: code for code, v1 in V1_SYSTEM_BY_CODE.items()})
# The questionnaire-only systems v1 lists beside the automatic ones (the reference device scores none of them).
V1_QUESTIONNAIRE_ONLY: tuple[str, ...] = ("pasiLocal", "scoradLocal", "dlqi", "uas", "ihs4")

_V1_WORDS = {site.code: site.code.upper() for site in BODY_SITES} | dict(V1_SYSTEM_BY_CODE)
# "a scalp body site" is prose, not the code: the list that follows it names the codes.
_V1_WORD = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _V1_WORDS), key=len, reverse=True))
                      + r")\b(?! body site)")
_V1_PLAN_WORDS = {v1: code for code, v1 in _V1_WORDS.items()}
_V1_PLAN_WORD = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _V1_PLAN_WORDS), key=len, reverse=True)) + r")\b")


def v1_site(code: str) -> str:
    """A body-site code as v1 writes it (arm_left → ARM_LEFT); a code the contract lacks stays as it is."""
    return code.upper() if code in BODY_SITE_BY_CODE else code


def site_of_v1(text: str, also: tuple[str, ...] = ()) -> str | None:
    """The contract code of a v1 body site (ARM_LEFT → arm_left), or None when v1 has no such site. `also` names
    further spellings taken (the open point of Appendix B): "snake_case" takes arm_left as well."""
    if text in V1_SITE_BY_UPPER:
        return V1_SITE_BY_UPPER[text]
    return text if "snake_case" in also and text in BODY_SITE_BY_CODE else None


def v1_system(code: str) -> str:
    """A scoring-system code as v1 writes it (apasi → apasiLocal); other codes stay as they are."""
    return V1_SYSTEM_BY_CODE.get(code, code)


def system_of_v1(text: str) -> str | None:
    """The contract code of a v1 system code (apasiLocal → apasi), or None when the contract has no such system."""
    return SYSTEM_BY_V1.get(text)


def v1_code(code: str) -> str:
    """A contract code of a site or system as v1 writes it; any other code (items) stays."""
    return v1_site(code) if code in BODY_SITE_BY_CODE else v1_system(code)


def code_of_v1(text: str) -> str:
    """A v1 site or system code in the contract's words; any other text stays (the inverse of v1_code)."""
    return V1_SITE_BY_UPPER.get(text) or SYSTEM_BY_V1.get(text) or text


def v1_text(text: str) -> str:
    """A message in the contract's words rewritten in v1's (… not arm_left → … not ARM_LEFT; apasi → apasiLocal)."""
    return _V1_WORD.sub(lambda match: _V1_WORDS[match.group(1)], text)


def plan_text_of_v1(text: str) -> str:
    """A message in v1's words rewritten in the contract's (the inverse of v1_text)."""
    return _V1_PLAN_WORD.sub(lambda match: _V1_PLAN_WORDS[match.group(1)], text)
