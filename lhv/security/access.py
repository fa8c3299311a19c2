"""Access beyond the caller's rights: other users' data (API1), admin functions (API5), mass assignment (API3)."""

from __future__ import annotations

from lhv.core.errors import NotApplicable
from lhv.fuzz.document import operations
from lhv.scanners.reports import Severity
from lhv.security.probe import Probe
from lhv.security.registry import Found, security_check


def _registration_over_http(probe: Probe) -> None:
    if probe.accounts.registration != "http" or "register" not in probe.dialect.routes:
        raise NotApplicable("the profile registers users by command or not at all (accounts.registration), "
                            "so the target has no registration route to call")


@security_check("other-users-data-reachable", area="access", severity=Severity.CRITICAL, owasp="API1:2023",
                title="One user reaches another user's resources")
def other_users_data(probe: Probe) -> None:
    """A user cannot read or change another user's resources (by id)."""
    with_ids = [f"{method.upper()} {path}" for path, method, _ in operations(probe.document) if "{" in path]
    if not with_ids:
        raise NotApplicable("the contract has no per-user resources: no route takes a resource id, and every "
                            "reply is computed from the request alone, so there is no other user's data to reach")
    raise NotApplicable(f"routes with resource ids ({', '.join(with_ids)}) exist in the document, but the "
                        "dialect names no way to create a resource as one user and read it as another")


@security_check("admin-function-open", area="access", severity=Severity.CRITICAL, owasp="API5:2023",
                title="A non-administrator can use an administrator's function")
def admin_function(probe: Probe) -> None:
    """A non-administrator registering a user (a valid request) gets 403 and no account is made."""
    _registration_over_http(probe)
    identity = probe.accounts.new_identity("security-bfla")
    reply = probe.accounts.register_over_http(identity, token=probe.token())
    if reply.status != 403:
        raise Found(f"a non-administrator's registration got {reply.status}, expected 403", reply)


@security_check("mass-assignment", area="access", severity=Severity.HIGH, owasp="API3:2023",
                title="A request sets a property its caller may not set")
def mass_assignment(probe: Probe) -> None:
    """A non-administrator cannot grant a role (registration with role admin: 403 or 422), and a clinical request
    with an extra privileged property is refused (422), not obeyed or ignored."""
    if probe.accounts.registration == "http" and "register" in probe.dialect.routes:
        identity = probe.accounts.new_identity("security-mass-assignment")
        reply = probe.accounts.register_over_http(identity, token=probe.token(), role="admin")
        if reply.status not in (403, 422):
            raise Found(f"a non-administrator's registration asking for role admin got {reply.status}, "
                        "expected 403 or 422", reply)
    for intent in ("diagnose", "assess_severity"):
        if intent not in probe.dialect.routes:
            continue
        sample = probe.sample(intent)
        body = {**sample.json_body, "role": "admin", "isAdmin": True}
        reply = probe.send_sample(sample, token=probe.token(), json_body=body)
        if reply.status != 422:
            raise Found(f"{sample.route.method} {sample.route.path} with extra properties role and isAdmin got "
                        f"{reply.status}, expected 422 (unknown keys are refused)", reply)
