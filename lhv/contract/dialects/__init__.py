"""API dialects: how a plan's intent becomes a request, and a response becomes what plans check."""

from __future__ import annotations

from lhv.contract.dialects.base import DeviceInfo, Dialect, TokenGrant
from lhv.contract.dialects.plan import PlanDialect
from lhv.contract.dialects.v1 import V1Dialect
from lhv.contract.dialects.v2 import V2Dialect

DIALECTS: dict[str, type[Dialect]] = {"plan": PlanDialect, "v2": V2Dialect, "v1": V1Dialect}


def dialect_named(name: str) -> Dialect:
    """Returns the dialect a profile names."""
    return DIALECTS[name]()


__all__ = ["DIALECTS", "Dialect", "DeviceInfo", "TokenGrant", "dialect_named"]
