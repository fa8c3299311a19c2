"""Who may sign a record in which role: the profile's own roles, or the device maker's from the catalog.

The catalog's role ids (verification/catalog.toml: testers, approver) are the device maker's, and the
default. A profile whose [record] table (lhv.session.profile.RecordSection) names another organisation makes the run
that organisation's (an integrator's): its record shows the roles that table lists, or none, never the
maker's ids.
"""

from __future__ import annotations

from collections.abc import Iterable

from lhv.contract.catalog import PlanEntry
from lhv.session.profile import RecordSection, RolesSection

CATALOG = "verification/catalog.toml"
MEANING_ROLES = {"authored": "testers", "reviewed": "reviewers", "approved": "approvers"}


def run_roles(section: RecordSection | None, *, profile_source: str, entries: Iterable[PlanEntry]) -> dict:
    """Returns the roles a run's record shows and checks signatures against, with where they come from."""
    own = section.roles if section else RolesSection()
    if own.testers or own.reviewers or own.approvers:
        return {"source": f"{profile_source} [record.roles]", "organisation": section.organisation or "not named",
                "testers": list(own.testers), "reviewers": list(own.reviewers), "approvers": list(own.approvers),
                "checked": True}
    if section and section.organisation.strip():
        return {"source": "none", "organisation": section.organisation, "testers": [], "reviewers": [],
                "approvers": [], "checked": False,
                "note": f"the role ids of {CATALOG} are the device maker's, not {section.organisation}'s: a signer's "
                        "role is shown as given (the profile's [record.roles] would list its own)"}
    entries = list(entries)
    testers = sorted({t for e in entries for t in e.testers})
    approvers = sorted({e.approver for e in entries})
    return {"source": CATALOG, "organisation": "the device maker", "testers": testers,
            "reviewers": sorted(set(testers) | set(approvers)), "approvers": approvers, "checked": True}


def recorded_roles(data: dict) -> dict:
    """Returns a record's roles; a record written before reviewers were listed lets testers and approvers review."""
    roles = dict(data.get("roles") or {})
    roles.setdefault("source", CATALOG)
    roles.setdefault("organisation", "the device maker")
    roles.setdefault("testers", [])
    roles.setdefault("approvers", [])
    roles.setdefault("reviewers", sorted(set(roles["testers"]) | set(roles["approvers"])))
    roles.setdefault("checked", True)
    return roles


def role_problem(roles: dict, role: str, meaning: str) -> str | None:
    """Returns why a role may not sign with this meaning in a record (roles as recorded_roles gives), or None."""
    if not role.strip():
        return "the role is empty"
    if not roles["checked"]:
        return None
    allowed = roles[MEANING_ROLES[meaning]]
    if role in allowed:
        return None
    return (f"role {role} may not sign '{meaning}' in this record ({roles['source']} lists "
            f"{', '.join(allowed) or 'no role'} for it)")
