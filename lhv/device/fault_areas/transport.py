"""Faults of HTTPS, certificates, rate limits and their logging."""

from lhv.device.faults import Fault

_RATE_PLANS = ("PLAN_006", "PLAN_007")

FAULTS: tuple[Fault, ...] = (
    Fault("http-served", "the plain-HTTP listener serves the API instead of redirecting to HTTPS",
          ("PLAN_004", "IVCL")),
    Fault("http-served-clinical", "the plain-HTTP listener redirects every route but the clinical ones, "
          "which it serves", ("PLAN_004",)),
    Fault("no-hsts", "HTTPS responses carry no Strict-Transport-Security header", ("PLAN_004",)),
    Fault("expired-cert", "the server certificate expired 30 days ago", ("PLAN_005",)),
    Fault("self-signed-cert", "the server certificate is self-signed, not issued by the trusted CA", ("PLAN_005",)),
    Fault("wrong-host-cert", "the server certificate names wrong-host.example.net only", ("PLAN_005",)),
    Fault("tls1.0-enabled", "the TLS floor is TLS 1.0 (and 1.1) with SECLEVEL=0 ciphers", ("PLAN_005",)),
    Fault("legacy-tls-only", "the TLS stack offers TLS 1.0 and 1.1 only (SECLEVEL=0 ciphers), neither 1.2 nor 1.3",
          ("PLAN_005",)),
    Fault("weak-rsa-key", "the server certificate carries a 1024-bit RSA key (SECLEVEL lowered to 1 so it loads)",
          ("PLAN_005",)),
    Fault("weak-cipher-suites", "the cipher list is ALL:COMPLEMENTOFALL at SECLEVEL=0: TLS 1.2 accepts NULL-cipher "
          "and anonymous (ECDH_anon) suites", ("PLAN_005",)),
    Fault("no-anonymous-limit", "anonymous requests (GET /, POST /login) are never rate-limited", ("PLAN_006",)),
    Fault("no-authenticated-limit", "bearer requests are never rate-limited", ("PLAN_007",)),
    Fault("limit-off-by-ten", "both limits let N+10 requests through instead of N", _RATE_PLANS),
    Fault("shared-user-budget", "all users share one authenticated budget instead of one each", ("PLAN_007",)),
    # PLAN_007 cannot log in after PLAN_006 has spent the anonymous budget on such a device (error, not
    # failure), so the authenticated reset has a fault of its own.
    Fault("limit-never-resets", "once over either limit, a client stays refused: its window never moves on",
          ("PLAN_006",)),
    Fault("user-limit-never-resets", "once over the authenticated limit, a user stays refused: "
          "the window never moves on", ("PLAN_007",)),
    Fault("violations-not-logged", "a 429 writes no log line", ("PLAN_008",)),
    Fault("log-missing-user", "rate-limit log lines lack the user field", ("PLAN_008",)),
    Fault("log-proxy-address", "rate-limit log lines name a reverse proxy's address as the client, not the client's",
          ("PLAN_008",)),
)
