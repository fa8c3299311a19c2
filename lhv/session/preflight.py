"""What is checked before any request: the selection, the run's folder, the target URL, credentials, trust."""

from __future__ import annotations

import os
import re
import ssl
import tempfile
from pathlib import Path
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
