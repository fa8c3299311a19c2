"""Faults of authentication: login, tokens, lockout."""

from lhv.device.faults import Fault

FAULTS: tuple[Fault, ...] = (
    Fault("token-for-wrong-password", "login returns a token for an existing user whatever the password",
          ("PLAN_001",)),
    Fault("user-enumeration", "an unknown user gets a different 401 body than a wrong password", ("PLAN_001",)),
    Fault("token-never-expires", "tokens are issued with an exp ten years ahead", ("PLAN_002",)),
    Fault("token-expires-early", "tokens are refused after a quarter of the lifetime their exp states",
          ("PLAN_002",)),
    Fault("exp-not-enforced", "the device accepts tokens after their exp", ("PLAN_002",)),
    Fault("renewal-expires-sooner", "a login within half a lifetime of the account's previous one is taken as a "
          "renewal and charged a second of the session: its token expires before the one it renews", ("IVCL",)),
    Fault("no-lockout", "failed logins never lock the account", ("PLAN_003",)),
    Fault("lock-never-lifted", "a locked account stays locked after the lock period", ("PLAN_003",)),
    Fault("lockout-per-ip", "the lock is kept per client IP instead of per account", ("PLAN_003",)),
)
