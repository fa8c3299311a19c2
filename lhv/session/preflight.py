"""What is checked before any request: the selection, the run's folder, the target URL, credentials, trust."""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import shutil
import socket
import ssl
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lhv.contract import catalog
from lhv.core.errors import ConfigError, TargetError
from lhv.session.profile import Profile, embedded_profile, load_profile
from lhv.session.trace import load_trace

RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def run_profile(path: str | None, dialect: str | None) -> Profile:
    """Returns the run's profile (the file's, else the embedded device's) with --dialect applied."""
    profile = load_profile(path) if path else embedded_profile()
    if dialect:
        profile = profile.model_copy(update={"target": profile.target.model_copy(update={"dialect": dialect})})
    return profile


def selected_plans(plans: list[str], suite: str | None, cases: list[str] = ()) -> list[str]:
    """Returns the plan ids a run selects (--case, else --plan, else --suite, else every plan); unknown ids raise
    ConfigError."""
    known = catalog.catalog()
    if cases:
        if plans or suite:
            raise ConfigError("--case", None, "names its plans itself: give it without --plan or --suite")
        return list(catalog.named_cases(list(cases)).plan_ids)
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
              run_id: str | None, target_url: str | None, mutants: list[str] = (), cases: list[str] = ()) -> list[str]:
    """Runs every check that needs no traffic; returns the selected plans or raises ConfigError."""
    chosen = selected_plans(plans, suite, cases)
    check_faults(faults, profile)
    check_mutants(mutants, profile)
    check_run_folder(reports_dir, run_id)
    load_trace(profile)  # the profile's trace mapping: unknown plans or cases and empty ids stop the run here
    if target_url:
        check_target_url(target_url, "--target-url")
    elif not profile.target.embedded:
        check_target_url(profile.target.base_url, f"{profile.source}: target.base_url")
    if not profile.target.embedded:  # the embedded device sets its own credentials and trust
        check_credentials(profile, chosen)
        trust_context(profile)
    return chosen


# ---- lhv profile check: the profile's environment, and what each plan will do, before any request ------------------

RUNS, REFUSED, INCOMPLETE, WAIVED = "runs", "refused", "incomplete", "waived"
OK, PROBLEM, UNCHECKED = "ok", "problem", "not checked"


@dataclass(frozen=True)
class Finding:
    """One thing profile check looked at: what, its state (ok, problem, not checked) and what it saw."""

    what: str
    state: str
    detail: str


def production_refusal(plan: str, profile_source: str) -> str:
    """Why a destructive plan is not run on a production target, and what to run instead."""
    hazard = catalog.plan(plan).hazard
    what = f"{plan} {hazard}" if hazard else f"{plan} is listed in the profile's plans.destructive"
    return (f"refused on a production target: {what}, and {profile_source} sets target.production = true; "
            "run it against a non-production profile (the production-safe subset is --suite integration)")


def on_loopback(url: str) -> bool:
    """Tells whether the URL's host is a loopback address or localhost (no name is looked up)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Setting:
    """What a plan's readiness depends on besides the profile: the URL the run would use and --allow-load."""

    profile: Profile
    base_url: str
    allow_load: bool = False


def _load_refused(s: Setting) -> str | None:
    if s.profile.target.embedded or on_loopback(s.base_url) or s.profile.target.allow_load or s.allow_load:
        return None
    return (f"no consent to load {urlsplit(s.base_url).hostname}: set target.allow_load = true in the profile or "
            "give --allow-load")


def _no_registration(s: Setting) -> str | None:
    if s.profile.accounts.registration != "none":
        return None
    return "no registration path (accounts.registration = \"none\"): no disposable account can be made"


def _no_remove_command(s: Setting) -> str | None:
    if s.profile.accounts.remove_command.strip():
        return None
    return "no accounts.remove_command: the case that removes an account does not run"


def _no_second_address(s: Setting) -> str | None:
    if s.profile.target.embedded or on_loopback(s.base_url) or s.profile.limits.second_client_address:
        return None
    return "no second client address (limits.second_client_address): the per-client case does not run"


def _no_log_source(s: Setting) -> str | None:
    return "no log source (logs.kind = \"none\")" if s.profile.logs.kind == "none" else None


def _no_inspection(s: Setting) -> str | None:
    kind = s.profile.inspection.kind
    return "no inspection hook or attestation ([inspection] kind = \"none\")" if kind == "none" else None


def _no_inspection_hook(s: Setting) -> str | None:
    kind = s.profile.inspection.kind
    if kind in ("sql", "command"):
        return None
    return (f"no inspection hook ([inspection] kind = \"{kind}\"; sql or command): the stored hash cannot be sent as "
            "the password")


def _lock_lift_unseen(s: Setting) -> str | None:
    auth = s.profile.auth
    if auth.lockout_seconds + auth.clock_skew_seconds <= auth.max_wait_seconds:
        return None
    return (f"the lock period ({auth.lockout_seconds} s) is longer than the run may wait (auth.max_wait_seconds "
            f"{auth.max_wait_seconds} s): the lift is not observed")


def _window_unseen(s: Setting) -> str | None:
    limits, auth = s.profile.limits, s.profile.auth
    if limits.window_seconds <= auth.max_wait_seconds:
        return None
    return (f"the rate-limit window ({limits.window_seconds:g} s) is longer than the run may wait "
            f"(auth.max_wait_seconds {auth.max_wait_seconds} s): the reset is not observed")


def expiry_wait_s(profile: Profile) -> float:
    """How long PLAN_002 waits for a fresh token to expire (its lifetime, the clock skew and a second)."""
    return profile.auth.token_lifetime_seconds + profile.auth.clock_skew_seconds + 1


def _expiry_unseen(s: Setting) -> str | None:
    from lhv.session.vault import TokenVault  # the vault is read, never written, here

    auth = s.profile.auth
    if expiry_wait_s(s.profile) <= auth.max_wait_seconds:
        return None
    username = os.environ.get(s.profile.credentials.user.username_env, "")
    key = f"{s.base_url.rstrip('/')}{s.profile.target.version_prefix} {username}"  # as PLAN_002 files it
    try:
        soonest = TokenVault(auth.token_vault, s.profile.source).next_expiry(key) if username else None
    except ConfigError as exc:
        return f"the token vault cannot be read: {exc}"
    if soonest is not None and soonest + auth.clock_skew_seconds < time.time():
        return None
    return (f"the token lifetime ({auth.token_lifetime_seconds} s) is longer than the run may wait "
            f"(auth.max_wait_seconds {auth.max_wait_seconds} s) and the token vault ({auth.token_vault}) holds no "
            "expired token of this user: a run saves one, and a run after it has expired replays it")


def _no_volume(s: Setting) -> str | None:
    if s.profile.integration.reports_per_month:
        return None
    return "no volume estimate (integration.reports_per_month): the volume row is not checked"


# What each plan needs beyond the target and its user: (case, or "" for every case; what is missing, or None). The run
# finds the same gaps (a case not run or inconclusive); these say so before any request.
Need = Callable[[Setting], "str | None"]
NEEDS: dict[str, tuple[tuple[str, Need], ...]] = {
    "PLAN_002": (("test_token_works_until_it_expires_then_gets_401", _expiry_unseen),),
    "PLAN_003": (("", _no_registration), ("test_threshold_failures_lock_only_that_account_for_the_period",
                                          _lock_lift_unseen),
                 ("test_the_lock_holds_for_another_client_address", _no_second_address)),
    "PLAN_006": (("test_anonymous_burst_is_limited_at_n_and_resets", _load_refused),
                 ("test_anonymous_burst_is_limited_at_n_and_resets", _window_unseen),
                 ("test_another_client_address_has_its_own_budget", _no_second_address)),
    "PLAN_007": (("", _load_refused), ("", _window_unseen)),
    "PLAN_008": (("", _no_log_source),),
    "PLAN_014": (("", _no_registration), ("", _no_inspection)),
    "PLAN_015": (("test_stored_hash_is_not_accepted_as_the_password", _no_inspection_hook),),
    "PLAN_016": (("", _no_registration), ("test_a_removed_account_loses_its_token", _no_remove_command)),
    "IVCL": (("test_volume_fits_the_rate_limits", _no_volume),),
}
REFUSALS: tuple[Need, ...] = (_load_refused,)  # a gap that is a refusal (no consent), not a missing setting


@dataclass(frozen=True)
class Readiness:
    """What a plan will do in a run with this profile: run, be refused, be incomplete or be waived, and why."""

    plan: str
    status: str
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _account_gaps(profile: Profile, plan: str) -> list[str]:
    """The accounts a plan logs in with that the profile does not name (an unset variable is a configuration error,
    found by check_variables)."""
    return [f"the profile names no {label} account ([credentials] {label})"
            for label in catalog.plan(plan).accounts_needed(profile.accounts.registration)
            if getattr(profile.credentials, label) is None]


def _notes(s: Setting, plan: str) -> tuple[str, ...]:
    uptime = s.profile.uptime
    if plan != "PLAN_018":
        return ()
    notes = []
    if uptime.window != "live":
        notes.append(f"judges the window '{uptime.window}' from the probe store (`lhv probe` records it; profile check "
                     "does not read the store)")
    if uptime.soak.users and (s.profile.target.production or _load_refused(s)):
        notes.append("the soak does not run: " + ("a production target" if s.profile.target.production
                                                   else _load_refused(s)))
    return tuple(notes)


def plan_readiness(setting: Setting, plan: str, suite: catalog.Suite | None = None) -> Readiness:
    """Says whether a plan runs with this profile, or is waived, refused or incomplete (and what is missing)."""
    profile = setting.profile
    waiver = profile.plans.skip.get(plan)
    if waiver is not None:
        return Readiness(plan, WAIVED, (f"waived by {profile.source} (plans.skip): {waiver}",))
    if profile.target.production and plan in profile.plans.destructive:
        return Readiness(plan, REFUSED, (production_refusal(plan, profile.source),))
    refused, missing = [], _account_gaps(profile, plan)
    for case, need in NEEDS.get(plan, ()):
        if suite is not None and case and not suite.selects(plan, case):
            continue  # a need of a case the suite leaves out
        gap = need(setting)
        if gap and gap not in refused + missing:
            (refused if need in REFUSALS else missing).append(gap)
    status = REFUSED if refused else INCOMPLETE if missing else RUNS
    return Readiness(plan, status, tuple(refused + missing), _notes(setting, plan))


# ---- the profile's environment, checked without a request ---------------------------------------------------------

def check_variables(profile: Profile, plan_ids: list[str]) -> list[Finding]:
    """Each environment variable the profile's accounts name: set, or not (and which selected plans need it)."""
    if profile.target.embedded:
        return [Finding("environment", UNCHECKED, "the embedded device's accounts are made by the run")]
    needed = missing_credentials(profile, plan_ids)
    findings = []
    for label in ("user", "second_user", "admin"):
        account = getattr(profile.credentials, label)
        if account is None:
            continue
        names = (account.username_env, account.password_env)
        unset = [name for name in names if not os.environ.get(name)]
        plans = sorted({plan for name in unset for plan in needed.get(name, ())})
        if not unset:
            findings.append(Finding(f"[credentials] {label}", OK, f"{' and '.join(names)} are set"))
        elif plans:
            findings.append(Finding(f"[credentials] {label}", PROBLEM,
                                    f"{' and '.join(unset)} not set (needed by {', '.join(plans)})"))
        else:
            findings.append(Finding(f"[credentials] {label}", UNCHECKED,
                                    f"{' and '.join(unset)} not set (no selected plan needs them)"))
    return findings


def check_trust(profile: Profile) -> tuple[Finding, ssl.SSLContext | None]:
    """Whether the profile's trust store loads; returns the finding and the context (None when it does not)."""
    if profile.target.embedded:
        return Finding("target.trust_store", UNCHECKED, "the embedded device's own CA, made by the run"), None
    try:
        context = trust_context(profile)
    except ConfigError as exc:
        return Finding("target.trust_store", PROBLEM, exc.problem), None
    where = "the system's roots" if profile.target.trust_store == "system" else profile.target.trust_store
    return Finding("target.trust_store", OK, f"{where}: loaded"), context


def _resolve(host: str, port: int, timeout_s: float) -> tuple:
    """Looks the host up within timeout_s (getaddrinfo has no timeout of its own); returns one TCP address."""
    found: dict[str, Any] = {}

    def lookup() -> None:
        try:
            found["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            found["error"] = exc

    thread = threading.Thread(target=lookup, name="lhv-resolve", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TargetError(f"{host} did not resolve within {timeout_s:g} s")
    if "error" in found:
        raise TargetError(f"{host} does not resolve ({found['error']})")
    return found["infos"][0][4]


def check_handshake(url: str, context: ssl.SSLContext, timeout_s: float) -> Finding:
    """Completes one TLS handshake with the target (each step bounded by timeout_s); says how, or why not."""
    parts = urlsplit(url)
    what = f"TLS handshake with {parts.hostname}:{parts.port or 443}"
    if parts.scheme != "https" or not parts.hostname:
        return Finding("TLS handshake", UNCHECKED, f"{url} is not an https URL: no handshake to make")
    host, port = parts.hostname, parts.port or 443
    try:
        address = _resolve(host, port, timeout_s)
        with socket.create_connection(address[:2], timeout=timeout_s) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            return Finding(what, OK, f"{tls.version()} ({tls.cipher()[0]}), certificate trusted")
    except TargetError as exc:
        return Finding(what, PROBLEM, f"the target is not reachable: {exc}")
    except ssl.SSLCertVerificationError as exc:
        return Finding(what, PROBLEM, f"the certificate does not verify against target.trust_store: "
                                      f"{exc.verify_message or exc}")
    except ssl.SSLError as exc:
        return Finding(what, PROBLEM, tls_refusal(url, context, timeout_s) or f"the TLS handshake failed: {exc}")
    except OSError as exc:
        return Finding(what, PROBLEM, f"the target is not reachable: {exc.strerror or exc}")


_MADE_BY_THE_RUN = ("{device_state}", "{ca_file}")


def _readable(what: str, name: str, base: Path | None, *, may_be_absent: bool = False) -> Finding:
    if any(placeholder in name for placeholder in _MADE_BY_THE_RUN):
        return Finding(what, UNCHECKED, f"{name}: made by the run (the embedded device's state)")
    path = Path(name).expanduser()
    path = base / path if base is not None and not path.is_absolute() else path
    if path.is_dir():
        return Finding(what, OK, f"{path} is a folder")
    if may_be_absent and not path.exists() and path.parent.is_dir():
        return Finding(what, OK, f"{path} is not there yet (nothing logged so far); its folder is")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        return Finding(what, PROBLEM, f"{path}: {exc.strerror or exc}")
    return Finding(what, OK, f"{path} is readable")


def _executable(what: str, template: str) -> Finding:
    from lhv.session.profile import account_command_words

    try:
        words = account_command_words(template) if what.startswith("accounts.") else shlex.split(template)
    except ValueError as exc:
        return Finding(what, PROBLEM, str(exc))
    if not words:
        return Finding(what, PROBLEM, "is empty")
    if words[0] == "{lhv}":
        return Finding(what, OK, "runs this harness ({lhv})")
    if any(placeholder in words[0] for placeholder in _MADE_BY_THE_RUN):
        return Finding(what, UNCHECKED, f"{words[0]}: made by the run")
    found = shutil.which(words[0])
    return Finding(what, OK, f"{words[0]} found at {found} (not run)") if found else \
        Finding(what, PROBLEM, f"{words[0]}: command not found")


def _database(url: str) -> Finding:
    if url.startswith("sqlite:///"):
        return _readable("inspection.database_url", url.removeprefix("sqlite:///"), None)
    return Finding("inspection.database_url", UNCHECKED, f"{url.split(':', 1)[0]} database: profile check opens no "
                                                         "database connection")


def check_hooks(profile: Profile) -> list[Finding]:
    """The commands and files the profile names exist: each executable found, each file readable; nothing is run."""
    folder = Path(profile.source).resolve().parent if Path(profile.source).is_file() else None
    accounts, inspection, logs = profile.accounts, profile.inspection, profile.logs
    checks: list[tuple[bool, Callable[[], Finding]]] = [
        (bool(accounts.command.strip()), lambda: _executable("accounts.command", accounts.command)),
        (bool(accounts.remove_command.strip()),
         lambda: _executable("accounts.remove_command", accounts.remove_command)),
        (inspection.kind == "sql", lambda: _database(inspection.database_url)),
        (inspection.kind == "command", lambda: _executable("inspection.command", inspection.command)),
        (inspection.kind == "attestation", lambda: _readable("inspection.attestation", inspection.attestation, None)),
        (logs.kind == "file", lambda: _readable("logs.path", logs.path, None, may_be_absent=True)),
        (logs.kind == "command", lambda: _executable("logs.command", logs.command)),
        (logs.kind == "http", lambda: Finding("logs.url", UNCHECKED, f"{logs.url}: not fetched by profile check")),
        (bool(profile.integration.attestation),
         lambda: _readable("integration.attestation", profile.integration.attestation, folder)),
        (bool(profile.uptime.transaction.body_file),
         lambda: _readable("uptime.transaction.body_file", profile.uptime.transaction.body_file, folder)),
        (bool(profile.fuzzing.openapi), lambda: _readable("fuzzing.openapi", profile.fuzzing.openapi, folder)),
    ]
    for key in ("images_dir", "payloads_dir", "labelled_manifest"):
        name = getattr(profile.clinical, key)
        checks.append((bool(name), lambda key=key, name=name: _readable(f"clinical.{key}", name, folder)))
    for name in profile.integration.payloads:
        checks.append((True, lambda name=name: _readable("integration.payloads", name, folder)))
    return [check() for wanted, check in checks if wanted]
