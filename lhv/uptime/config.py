"""The uptime settings of a profile made concrete: the store URL, the prober id, the probes."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from lhv.contract.dialects import Dialect
from lhv.core.errors import ConfigError
from lhv.core.pacing import RatePacer
from lhv.core.secrets import SECRETS
from lhv.session.profile import Profile
from lhv.uptime.probes import HttpProbes, Transaction, load_body

SQLITE = "sqlite:///"


def store_url_for(profile: Profile, expand: Callable[[str], str] = str) -> str:
    """Returns the profile's store URL: uptime.store_url, or a SQLite file next to the profile file.

    A relative SQLite path is taken relative to the profile's folder.
    """
    url = expand(profile.uptime.store_url)
    profile_file = Path(profile.source)
    if not url:
        if not profile_file.is_file():
            raise ConfigError(profile.source, "uptime.store_url", "required when the profile is not a file")
        return SQLITE + str(profile_file.resolve().with_suffix(".uptime.sqlite3"))
    if url.startswith(SQLITE) and not url.removeprefix(SQLITE).startswith("/") and profile_file.is_file():
        return SQLITE + str(profile_file.resolve().parent / url.removeprefix(SQLITE))
    return url


def display_url(url: str) -> str:
    """Returns a store URL fit for a record: a password in it is redacted (and kept from every artefact)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not parts.password and not any("password" in key.lower() for key, _ in query):
        return url
    netloc = parts.netloc
    if parts.password:
        SECRETS.add(parts.password, "password")
        netloc = netloc.replace(f":{parts.password}@", ":[REDACTED]@")
    for key, value in query:
        if "password" in key.lower():
            SECRETS.add(value, "password")
    shown = "&".join(f"{k}={'[REDACTED]' if 'password' in k.lower() else v}" for k, v in query)
    return urlunsplit((parts.scheme, netloc, parts.path, shown, parts.fragment))


def prober_id_for(profile: Profile) -> str:
    """Returns the profile's prober id, or this machine's host name."""
    return profile.uptime.prober_id or socket.gethostname()


def make_probes(profile: Profile, base_url: str, dialect: Dialect, verify: ssl.SSLContext | bool,
                credentials: tuple[str, str] | None, pacer: RatePacer | None = None) -> HttpProbes:
    """Returns the probes the profile asks for; credentials (username, password) are needed for a transaction."""
    uptime = profile.uptime
    transaction = None
    tx = uptime.transaction
    if tx.intent:
        if tx.intent not in dialect.routes:
            raise ConfigError(profile.source, "uptime.transaction.intent",
                              f"the {dialect.name} dialect has no intent {tx.intent!r}; known: "
                              f"{', '.join(sorted(dialect.routes))}")
        if credentials is None:
            raise ConfigError(profile.source, f"credentials.{tx.account}", "not set, and the transaction needs it")
        body = None
        if tx.body_file:
            path = Path(tx.body_file)
            if not path.is_absolute() and Path(profile.source).is_file():
                path = Path(profile.source).resolve().parent / path
            try:
                body = load_body(str(path))
            except (OSError, ValueError) as exc:
                raise ConfigError(profile.source, "uptime.transaction.body_file", f"cannot read {path}: {exc}") \
                    from None
        transaction = Transaction(tx.intent, credentials[0], credentials[1], body, tuple(tx.expect_status),
                                  tx.timeout_seconds)
    return HttpProbes(base_url, dialect, verify=verify, timeout_s=uptime.timeout_seconds,
                      degraded_s=uptime.degraded_seconds, transaction=transaction, pacer=pacer)
