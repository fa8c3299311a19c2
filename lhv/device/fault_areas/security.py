"""Faults of the security pass: tokens, errors, headers, injection."""

from lhv.device.faults import Fault

FAULTS: tuple[Fault, ...] = (
    Fault("stack-trace-errors", "a debug mode left on: every error body carries the Python traceback "
          "(file paths, code, exception types)", ("PLAN_019",)),
    Fault("alg-none-accepted", "a token whose header says alg none is taken without a signature", ("PLAN_019",)),
    Fault("signature-not-checked", "token signatures are not verified: stripped, tampered or foreign-key "
          "signatures and swapped subjects are accepted", ("PLAN_019",)),
    Fault("cors-wildcard-credentials", "every response allows any origin (*) with credentials; preflights "
          "from any origin get 200", ("PLAN_019",)),
    Fault("server-version-header", "responses name the server software and version (Server, X-Powered-By)",
          ("PLAN_019",)),
    Fault("sql-injection", "the user lookup pastes the e-mail into its SQL text (the device's own SQLite): "
          "a quote in the login name gets a 500, and `<user>'--` logs in as that user", ("PLAN_019",)),
    Fault("oversized-body-crash", "no body limit: a body over the limit (20 MiB) overflows the receive buffer "
          "and gets a 500 instead of 413", ("PLAN_019",)),
    Fault("5xx-on-unicode", "credentials pass through a legacy store that only speaks ASCII: a login or "
          "registration with a non-ASCII character gets a 500", ("PLAN_019",)),
    Fault("echo-credentials", "a debugging aid left on: a refusal (401, 422) echoes the password and bearer token "
          "it was sent, as JSON keys and values, JSON- and HTML-escaped, percent-encoded and base64",
          ("PLAN_019", "PLAN_016")),
)
