"""Faults of the security pass: tokens, errors, headers, injection, answers outside the OpenAPI document."""

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
    Fault("nosql-operator-login", "the login reads its form with bracket keys nested (as qs does) and finds the "
          "account with a document query: username[$ne]=x&password[$ne]=x logs in as the first account",
          ("PLAN_019",)),
    Fault("template-evaluated-errors", "validation messages pass through a template renderer: a {{a*b}} expression "
          "in an echoed input comes back evaluated", ("PLAN_019",)),
    Fault("static-path-traversal", "a static-files route left in (/static/…) joins the asked path to its folder "
          "unchecked: ../ climbs out and serves other files (from a sandbox with a stand-in /etc/passwd)",
          ("PLAN_019",)),
    Fault("header-splitting", "the clinical routes copy the subject's reference into an X-Subject-Reference header "
          "unescaped: a CR LF in it starts a header of its own", ("PLAN_019",)),
    Fault("shell-in-image-check", "the image check runs a shell command line holding the declared content type, and "
          "a refusal carries the command's output ($(id) → uid=…; simulated, no shell runs)", ("PLAN_019",)),
    Fault("login-invalid-grant", "the login refuses as an OAuth2 token endpoint does: 400 invalid_grant for wrong "
          "credentials, 400 invalid_request for a form it cannot read; the contract documents 401 and 422",
          ("PLAN_019",)),
    Fault("parse-errors-answered-200", "a clinical request that does not parse (not JSON, wrong types, missing or "
          "unknown keys) is answered 200 with a FHIR OperationOutcome instead of 422", ("PLAN_019",)),
    Fault("diagnosis-route-moved", "diagnosis support is served at /diagnosis (an older build's path); the "
          "documented /diagnosis-support answers 404", ("PLAN_019",)),
)
