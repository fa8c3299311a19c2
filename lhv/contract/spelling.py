"""How each API dialect spells the contract's codes (CONTRACT.md §7 and its Appendix).

The contract's tables (lhv/contract/tables.py) name body sites and items in the plan dialect's words
(`arm_left`, `itchiness`, `hive`). The v2 dialect writes body sites in camelCase (`armLeft`) and
renames two items (`itchiness` → `pruritus`, `hive` → `wheals`). The device's v2 shape, the
harness's V2Dialect, the payload converter and the linter all translate through this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from lhv.contract.tables import BODY_SITE_BY_CAMEL, BODY_SITE_BY_CODE, BODY_SITES, V2_ITEM_RENAMES

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
