"""Faults of password storage and user registration."""

from lhv.device.faults import Fault

FAULTS: tuple[Fault, ...] = (
    Fault("plaintext-passwords", "passwords are stored as given, unhashed", ("PLAN_014",)),
    Fault("unsalted-fast-hash", "passwords are stored as the unsalted SHA-256 hex digest", ("PLAN_014",)),
    Fault("decoy-stored-hash", "the users table holds one well-formed argon2id hash of another password for every "
          "user; login checks a second table", ("PLAN_014", "PLAN_015")),
    Fault("pass-the-hash", "login accepts the stored hash in place of the password", ("PLAN_015",)),
    Fault("truncated-compare", "only the first 8 characters of a password are stored and compared",
          ("PLAN_015",)),
    Fault("open-registration", "POST /users registers users for anyone, anonymous or not admin", ("PLAN_016",)),
    Fault("role-escalation", "a non-admin may register a user by asking for role admin (mass assignment)",
          ("PLAN_016",)),
    Fault("default-role-admin", "a user registered without a role gets the admin role", ("PLAN_016",)),
    Fault("registration-echoes-hash", "the 201 reply of POST /users carries the stored password hash",
          ("PLAN_016",)),
    Fault("add-user-exits-zero-on-refusal", "the operator's registration command (lhv device add-user) prints its "
          "refusal but exits 0, as a wrapper that swallows the exit status would", ("PLAN_016",)),
    Fault("token-outlives-account", "the device caches every account a bearer token names, and a removal by the "
          "operator's command (another process) never invalidates the cache: a removed account's token keeps working",
          ("PLAN_016",)),
)
