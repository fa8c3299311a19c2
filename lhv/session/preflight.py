"""What is checked before any request: the selection, the run's folder, the target URL, credentials, trust."""

from __future__ import annotations

import os
import re
import socket
import ssl
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lhv.contract import catalog
from lhv.core.errors import ConfigError
from lhv.session.profile import Profile, embedded_profile, load_profile

RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def run_profile(path: str | None, dialect: str | None) -> Profile:
    """Returns the run's profile (the file's, else the embedded device's) with --dialect applied."""
    profile = load_profile(path) if path else embedded_profile()
    if dialect:
        profile = profile.model_copy(update={"target": profile.target.model_copy(update={"dialect": dialect})})
    return profile


def selected_plans(plans: list[str], suite: str | None) -> list[str]:
    """Returns the plan ids a run selects (--plan, else --suite, else every plan); unknown ids raise ConfigError."""
    known = catalog.catalog()
    wanted = [p.upper() for p in plans]
    for plan in wanted:
        if plan not in known:
            raise ConfigError("--plan", None, f"{plan} is not a plan id (known: {_span(known)})")
    try:
        chosen = catalog.suite(suite).plan_ids if suite else ()
    except ConfigError as exc:
        raise ConfigError(f"--suite {suite}", None, exc.problem) from None
    if wanted:
        return [p for p in dict.fromkeys(wanted) if not chosen or p in chosen]
    if suite:
        return list(chosen)
    return [p for p, entry in known.items() if entry.kind == "plan"]


def _span(known: dict) -> str:
    ids = sorted(known)
    return f"{ids[0]} … {ids[-1]}" if len(ids) > 3 else ", ".join(ids)


def check_faults(faults: list[str], profile: Profile) -> None:
    """Raises ConfigError for an unknown fault, or for any fault when the target is not the embedded device."""
    from lhv.device.faults import fault_named

    for fault in faults:
        try:
            fault_named(fault)
        except KeyError as exc:
            raise ConfigError("--fault", fault, exc.args[0]) from None
    if faults and not profile.target.embedded:
        raise ConfigError("--fault", None, "faults exist only on the embedded reference device")


def with_evidence(profile: Profile, faults: Iterable[str], folder: Path) -> tuple[Profile, Path | None]:
    """Writes each evidence fault's input into its own subfolder of folder; returns the profile with the keys the
    faults set, and the scanner report one of them gives (None when none does)."""
    from lhv.device.faults import fault_named

    data, report, applied = profile.model_dump(), None, []
    for name in faults:
        fault = fault_named(name)
        if fault.evidence is None:
            continue
        place = folder / fault.name
        place.mkdir(parents=True, exist_ok=True)
        given = fault.evidence(place)
        _set_keys(data, given.profile)
        report = given.scanner_report or report
        applied += [name] if given.profile else []
    if not applied:
        return profile, report
    changed = Profile.model_validate(data)
    # The record names the base profile's file and digest, and says which faults changed what it shows.
    changed.source = f"{profile.source} with the evidence of --fault {', '.join(applied)}"
    changed.sha256 = profile.sha256
    return changed, report


def _set_keys(data: dict[str, Any], changes: Mapping[str, Any]) -> None:
    """Sets keys of nested profile data; a dict value sets keys of the table below rather than replacing it."""
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(data.get(key), dict):
            _set_keys(data[key], value)
        else:
            data[key] = value


def check_mutants(mutants: list[str] | tuple[str, ...], profile: Profile) -> None:
    """Raises ConfigError for an unknown mutant, one of the other dialect, or any on a remote target."""
    from lhv.device.mutants import mutant_named

    for mutant_id in mutants:
        try:
            mutant = mutant_named(mutant_id)
        except KeyError as exc:
            raise ConfigError("--mutant", mutant_id, exc.args[0]) from None
        if mutant.dialect != profile.target.dialect:
            raise ConfigError("--mutant", mutant_id, f"a mutant of the {mutant.dialect} dialect; the target's "
                              f"dialect is {profile.target.dialect} (give --dialect {mutant.dialect})")
    if mutants and not profile.target.embedded:
        raise ConfigError("--mutant", None, "mutants exist only on the embedded reference device")


def check_run_folder(reports_dir: str | Path, run_id: str | None) -> None:
    """Raises ConfigError unless the run id is a plain name, its folder is new and the reports folder writable."""
    reports = Path(reports_dir)
    if run_id is not None:
        if not RUN_ID.fullmatch(run_id) or run_id in (".", ".."):
            raise ConfigError("--run-id", None, f"{run_id!r} is not a plain name (letters, digits, '.', '_', '-'; "
                              "no path separators; at most 100 characters)")
        if (reports / run_id).exists():
            raise ConfigError("--run-id", None, f"{reports / run_id} exists already: a record is never overwritten "
                              "(choose another id)")
    try:
        reports.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=reports):
            pass
    except OSError as exc:
        raise ConfigError("--reports-dir", None, f"{reports} is not a writable folder ({exc.strerror or exc})") \
            from None


def check_target_url(url: str, source: str) -> None:
    """Raises ConfigError unless url is an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(source, None, f"{url!r} is not an http(s) URL with a host")


def missing_credentials(profile: Profile, plan_ids: list[str]) -> dict[str, list[str]]:
    """Returns each unset environment variable the selected plans' accounts need, with the plans needing it."""
    missing: dict[str, list[str]] = {}
    for plan in plan_ids:
        for label in catalog.plan(plan).accounts_needed(profile.accounts.registration):
            account = getattr(profile.credentials, label)
            if account is None:
                continue  # the profile lacks the account: that plan is incomplete, not a configuration error
            for variable in (account.username_env, account.password_env):
                if not os.environ.get(variable):
                    missing.setdefault(variable, []).append(plan)
    return missing


def check_credentials(profile: Profile, plan_ids: list[str]) -> None:
    """Raises ConfigError naming every unset variable and the plans that need it."""
    missing = missing_credentials(profile, plan_ids)
    if missing:
        listed = "; ".join(f"{variable} (needed by {', '.join(plans)})" for variable, plans in missing.items())
        raise ConfigError(profile.source, "credentials", f"environment variable(s) not set: {listed}")


def trust_context(profile: Profile) -> ssl.SSLContext:
    """Returns the SSL context of the profile's trust store; one that does not load raises ConfigError."""
    trust_store = profile.target.trust_store
    if trust_store == "system":
        return ssl.create_default_context()
    path = Path(trust_store).expanduser()
    if not path.is_file():
        raise ConfigError(profile.source, "target.trust_store", f"no such file: {path}")
    try:
        return ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError, OSError) as exc:
        raise ConfigError(profile.source, "target.trust_store",
                          f"{path} holds no PEM certificate that loads ({exc})") from None


def _handshake(host: str, port: int, context: ssl.SSLContext, timeout_s: float) -> str:
    """Completes one TLS handshake with host:port, bounded by timeout_s per step; returns its version and suite."""
    with socket.create_connection((host, port), timeout=timeout_s) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        return f"{tls.version()} ({tls.cipher()[0]})"


def _any_tls() -> ssl.SSLContext:
    """Returns a client context that accepts any version and suite OpenSSL can speak, and any certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with warnings.catch_warnings():  # TLS 1.0 is deprecated: that is what this context is for
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    return context


def tls_refusal(url: str, trusted: ssl.SSLContext, timeout_s: float) -> str | None:
    """Returns why a target that speaks only old TLS versions or weak suites refuses the run's client, else None."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    host, port = parts.hostname, parts.port or 443
    try:
        _handshake(host, port, trusted, timeout_s)
        return None
    except ssl.SSLCertVerificationError:
        return None  # an untrusted certificate has its own problem text
    except ssl.SSLError as exc:
        refused = exc
    except OSError:
        return None  # refused, reset or timed out before TLS: the target is unreachable
    try:
        legacy = _handshake(host, port, _any_tls(), timeout_s)
    except OSError:  # ssl.SSLError too
        return None  # no handshake completes at all: the target speaks no TLS
    return (f"the target's TLS refuses the run's client (TLS 1.2 or later, strong suites): {refused}; a handshake "
            f"open to every version and suite gets {legacy}: PLAN_005 judges the target's TLS versions and suites")


def check_run(profile: Profile, *, plans: list[str], suite: str | None, faults: list[str], reports_dir: str | Path,
              run_id: str | None, target_url: str | None, mutants: list[str] = ()) -> list[str]:
    """Runs every check that needs no traffic; returns the selected plans or raises ConfigError."""
    chosen = selected_plans(plans, suite)
    check_faults(faults, profile)
    check_mutants(mutants, profile)
    check_run_folder(reports_dir, run_id)
    if target_url:
        check_target_url(target_url, "--target-url")
    elif not profile.target.embedded:
        check_target_url(profile.target.base_url, f"{profile.source}: target.base_url")
    if not profile.target.embedded:  # the embedded device sets its own credentials and trust
        check_credentials(profile, chosen)
        trust_context(profile)
    return chosen
