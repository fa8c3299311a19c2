"""Where a device error points, written as a JSON path into the file the customer wrote.

A device reports an error's location as a `loc` list in its own spelling (camelCase keys,
below "body"); the customer's file may spell the same key in snake_case. The path follows
the file: the key as written where it exists, and where it is missing, the spelling the
surrounding object uses (or the dialect's usual one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

Case = Literal["snake", "camel"]
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def snake(key: str) -> str:
    """camelCase → snake_case (bodySite → body_site); snake_case stays."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def camel(key: str) -> str:
    """snake_case → camelCase (body_site → bodySite); camelCase stays."""
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def child(path: str, key: str | int) -> str:
    """A child's JSON path: $.body.media[0].data, or $["odd key"] for keys that are no identifier."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{escaped}"]'


def spelled(node: Any, key: str, default: Case) -> str:
    """The key as the object spells it; for a missing key, the spelling its siblings use."""
    candidates = [key, snake(key), camel(key)]
    if isinstance(node, dict):
        for candidate in candidates:
            if candidate in node:
                return candidate
        keys = [k for k in node if isinstance(k, str)]
        if any("_" in k for k in keys):
            return snake(key)
        if any(k != k.lower() for k in keys):
            return camel(key)
    return snake(key) if default == "snake" else camel(key)


def file_path(loc: Sequence[str | int], body: Any, *, prefix: str = "$", default: Case = "snake") -> str:
    """The JSON path in the file of a device `loc` such as ["body", "questionnaireResponse", 0, "item"]."""
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    node, path = body, prefix
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            path = child(path, part)
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
        else:
            key = spelled(node, str(part), default)
            path = child(path, key)
            node = node.get(key) if isinstance(node, dict) else None
    return path


def value_at(loc: Sequence[str | int], body: Any) -> tuple[bool, Any]:
    """(found, value) at a device `loc` in the body, whichever spelling the body uses."""
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    node = body
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            if not (isinstance(node, list) and 0 <= part < len(node)):
                return False, None
            node = node[part]
        else:
            key = spelled(node, str(part), "snake")
            if not (isinstance(node, dict) and key in node):
                return False, None
            node = node[key]
    return True, node


def last_key(loc: Sequence[str | int], body: Any, default: Case = "snake") -> str:
    """The last key of a device `loc` as the file spells it ("body" when the loc names the whole body)."""
    keys = [index for index, part in enumerate(loc) if isinstance(part, str) and not (index == 0 and part == "body")]
    if not keys:
        return "body"
    at = keys[-1]
    parent = value_at(loc[:at], body)[1] if at > 1 else body
    return spelled(parent, str(loc[at]), default)
