"""The target under verification: how to reach it, and who to log in as."""

from __future__ import annotations

import atexit
import os
import shutil
import ssl
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from lhv.contract.dialects import DeviceInfo, Dialect, TokenGrant, dialect_named
from lhv.core.errors import ConfigError, NotApplicable, TargetError
from lhv.core.http import RecordingClient, Reply
from lhv.core.pacing import RatePacer, budgets_for
from lhv.core.secrets import SECRETS
from lhv.device.faults import fault_named
from lhv.device.launcher import RunningDevice, StartingDevice, begin_device, start_device
from lhv.device.mutants import mutated_settings
from lhv.device.settings import DeviceSettings
from lhv.session.preflight import check_mutants, trust_context
from lhv.session.profile import Account, Profile

EMBEDDED_ENV = {"user": ("LHV_EMBEDDED_USER", "LHV_EMBEDDED_PASSWORD"),
                "second_user": ("LHV_EMBEDDED_USER2", "LHV_EMBEDDED_PASSWORD2"),
                "admin": ("LHV_EMBEDDED_ADMIN", "LHV_EMBEDDED_ADMIN_PASSWORD")}


@dataclass(frozen=True)
class Credentials:
    """A username and password; the password never shows in repr."""

    label: str
    username: str
    password: str = field(repr=False)


@dataclass
class Target:
    """A reachable target: profile, dialect, URLs, trust and (when embedded) the device process."""

    profile: Profile
    dialect: Dialect
    base_url: str
    http_url: str
    verify: ssl.SSLContext
    ca_file: str | None
    device: RunningDevice | None = None
    faults: tuple[str, ...] = ()
    pacer: RatePacer = field(init=False)
    stopped: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        limits = self.profile.limits
        self.pacer = RatePacer(budgets_for(limits.anonymous_requests, limits.authenticated_requests,
                                           limits.window_seconds, limits.tolerance))

    def client(self, *, follow_redirects: bool = False, rate_aware: bool = True) -> RecordingClient:
        """Returns a recording client for this target; all share one pacer under the profile's limits
        (rate_aware=False: sends are counted but neither delayed nor retried, for rate-limit plans)."""
        settings = self.profile.target
        return RecordingClient(self.base_url, verify=self.verify, timeout_s=settings.timeout_seconds,
                               follow_redirects=follow_redirects, pacer=self.pacer, rate_aware=rate_aware,
                               deadline_s=settings.request_deadline_seconds,
                               max_response_bytes=settings.max_response_bytes)

    def credentials(self, label: str) -> Credentials:
        """Returns the credentials of a profile account ('user', 'second_user', 'admin')."""
        account: Account | None = getattr(self.profile.credentials, label)
        if account is None:
            raise NotApplicable(f"the profile names no {label} account: set [credentials] {label} = "
                                "{ username_env = ..., password_env = ... } in " + self.profile.source)
        username, password = account.resolve(f"{self.profile.source} [credentials.{label}]")
        SECRETS.add(password, "password")
        return Credentials(label, username, password)

    def died(self) -> str | None:
        """Returns why the embedded device process is gone, or None while it runs (or for a remote target)."""
        if self.device is None or self.stopped or self.device.process.poll() is None:
            return None
        return f"the embedded reference device process died (exit {self.device.process.returncode}) during the run"

    def expand(self, text: str) -> str:
        """Fills the profile placeholders {device_state} and {ca_file} of the embedded device."""
        if self.device is not None:
            text = text.replace("{device_state}", str(self.device.state_dir))
        return text.replace("{ca_file}", self.ca_file or "")

    def stop(self) -> None:
        """Stops the embedded device, if this target started one."""
        self.stopped = True
        if self.device is not None:
            self.device.stop()
            shutil.rmtree(self.device.state_dir, ignore_errors=True)  # it holds the run's passwords


class Api:
    """The device's API in the words of the plans: log in, call an intent."""

    def __init__(self, target: Target, client: RecordingClient):
        self.target, self.client, self.dialect = target, client, target.dialect
        self._tokens: dict[str, tuple[TokenGrant, float]] = {}  # label → (grant, monotonic time obtained)

    def login(self, credentials: Credentials, *, password: str | None = None) -> Reply:
        """Sends a login form for these credentials (optionally with another password)."""
        route = self.dialect.route("login")
        form = self.dialect.login_form(credentials.username, credentials.password if password is None else password)
        return self.client.request(route.method, route.path, form=form)

    def login_raw(self, form: dict[str, str]) -> Reply:
        """Sends an arbitrary login form (for malformed-request steps)."""
        route = self.dialect.route("login")
        return self.client.request(route.method, route.path, form=form)

    def token(self, credentials: Credentials) -> str:
        """Returns a fresh token for these credentials, logging in again once half the profile's lifetime passed."""
        kept = self._tokens.get(credentials.label)
        if kept is None or time.monotonic() - kept[1] > self.target.profile.auth.token_lifetime_seconds / 2:
            reply = self.login(credentials)
            if reply.status in NOT_SERVED:
                raise TargetError(_not_served(self.dialect, "login", reply.status))
            if reply.status != 200:
                raise TargetError(f"login as the profile's '{credentials.label}' account failed with {reply.status}; "
                                  "check the profile's credentials")
            kept = self._tokens[credentials.label] = (self.dialect.read_token(reply), time.monotonic())
        return kept[0].access_token

    def fresh_token(self, credentials: Credentials) -> str:
        """Logs in anew and returns the token, for steps that must not use a token near its expiry."""
        self._tokens.pop(credentials.label, None)
        return self.token(credentials)

    def call(self, intent: str, *, token: str | None = None, json_body=None, headers=None) -> Reply:
        """Sends the request that serves an intent."""
        route = self.dialect.route(intent)
        return self.client.request(route.method, route.path, token=token, json_body=json_body, headers=headers)

    def device_info(self, credentials: Credentials) -> DeviceInfo:
        """Returns what the device says about itself."""
        reply = self.call("device_information", token=self.token(credentials))
        if reply.status in NOT_SERVED:
            raise TargetError(_not_served(self.dialect, "device_information", reply.status))
        if reply.status != 200:
            route = self.dialect.route("device_information")
            raise TargetError(f"{route.method} {route.path} (device information) answered {reply.status}")
        return self.dialect.read_device_info(reply)


NOT_SERVED = (404, 405)  # the target serves no such route: the profile's routes are not the target's


def _not_served(dialect: Dialect, intent: str, status: int) -> str:
    """Why a route the plans need answered 404/405: the routes the profile gives are not where the target serves."""
    route = dialect.route(intent)
    return (f"{route.method} {route.path} ({intent}) answered {status}: the target does not serve it there; give "
            f"the target's routes in the profile's [routes] (layout = \"release-1.1.0.0\" or routes.map.{intent} = "
            f"\"METHOD /path\"), or check target.dialect and target.version_prefix")


def check_routes_served(target: Target) -> None:
    """Raises TargetError when a route the plans need answers 404 or 405 without a token: the target serves it
    elsewhere (its layout is not the profile's). Any other trouble is left to the run's own reachability check."""
    intents = ["login", "health", "device_information", "diagnose", "assess_severity"]
    if target.profile.accounts.registration == "http":
        intents.append("register")
    client = target.client()
    try:
        for intent in (intent for intent in intents if intent in target.dialect.routes):
            route = target.dialect.route(intent)
            try:
                reply = client.request(route.method, route.path)
            except TargetError:
                return  # unreachable or untrusted: the run's first request says so (PLAN_005 judges a certificate)
            if reply.status in NOT_SERVED:
                raise TargetError(_not_served(target.dialect, intent, reply.status))
    finally:
        client.close()


def _plain_http_of(https_url: str) -> str:
    """Returns the plain-HTTP origin of an HTTPS URL: same host, default port 80, same path."""
    parts = urlsplit(https_url)
    host = parts.hostname or ""
    return urlunsplit(("http", f"[{host}]" if ":" in host else host, parts.path.rstrip("/"), "", ""))


def _device_settings(profile: Profile, faults: tuple[str, ...], mutants: tuple[str, ...],
                     state: Path) -> DeviceSettings:
    """The embedded device's settings for a run with this profile, faults and mutants (ConfigError: a bad name)."""
    for fault in faults:
        try:
            fault_named(fault)
        except KeyError as exc:
            raise ConfigError("--fault", fault, exc.args[0]) from None
    check_mutants(mutants, profile)
    settings = DeviceSettings(state_dir=str(state), token_lifetime_seconds=profile.auth.token_lifetime_seconds,
                              lockout_threshold=profile.auth.lockout_threshold,
                              lockout_seconds=profile.auth.lockout_seconds, dialect=profile.target.dialect,
                              anonymous_limit=profile.limits.anonymous_requests,
                              authenticated_limit=profile.limits.authenticated_requests,
                              rate_window_seconds=profile.limits.window_seconds,
                              probe_timeout_seconds=profile.uptime.timeout_seconds,
                              max_body_bytes=profile.limits.max_body_bytes,
                              v1_body_sites=profile.severity.v1_body_sites,
                              routes=profile.routes.resolved(),  # the device serves the profile's layout (at its root)
                              faults=[f for f in faults if not fault_named(f).is_evidence],  # the device runs clean
                              mutants=list(mutants))
    return mutated_settings(settings)  # a number mutant moves the device's number; the profile keeps its own


_early: StartingDevice | None = None  # the embedded device started while pytest collects the plans


def start_device_early(profile: Profile, *, faults: tuple[str, ...] = (), mutants: tuple[str, ...] = ()) -> None:
    """Starts the embedded device now (lhv verify, before pytest collects the plans: the device boots meanwhile);
    open_target takes it when its settings are the run's, and a device never taken is stopped at exit."""
    global _early
    if not profile.target.embedded or _early is not None:
        return
    state = Path(tempfile.mkdtemp(prefix="lhv-device-"))
    try:
        _early = begin_device(_device_settings(profile, faults, mutants, state))
    except BaseException:
        shutil.rmtree(state, ignore_errors=True)
        raise
    atexit.register(_discard_early)


def _discard_early() -> None:
    global _early
    early, _early = _early, None
    if early is not None:
        early.cancel()
        shutil.rmtree(early.settings.state_dir, ignore_errors=True)  # it holds the run's passwords


def _started_device(profile: Profile, faults: tuple[str, ...], mutants: tuple[str, ...],
                    workdir: Path | None) -> RunningDevice:
    """The embedded device for this run: the one started early when its settings are these, else a new one."""
    global _early
    early = _early
    if early is not None and workdir is None:
        if _device_settings(profile, faults, mutants, Path(early.settings.state_dir)) == early.settings:
            _early = None
            try:
                return early.ready()
            except BaseException:
                shutil.rmtree(early.settings.state_dir, ignore_errors=True)
                raise
        _discard_early()
    state = Path(tempfile.mkdtemp(prefix="lhv-device-", dir=workdir))
    try:
        return start_device(_device_settings(profile, faults, mutants, state))
    except BaseException:
        shutil.rmtree(state, ignore_errors=True)  # an interrupted or failed start leaves no credentials behind
        raise


def open_target(profile: Profile, *, faults: tuple[str, ...] = (), workdir: Path | None = None,
                target_url: str | None = None, mutants: tuple[str, ...] = ()) -> Target:
    """Connects to the profile's target, starting the embedded device when the profile says so."""
    route_map = profile.routes.resolved()
    dialect = dialect_named(profile.target.dialect).remapped(route_map)  # [routes]: profile map, then the defaults
    if not profile.target.embedded:
        if faults or mutants:
            raise ConfigError("--fault" if faults else "--mutant", None,
                              "faults and mutants exist only on the embedded reference device")
        base = (target_url or profile.target.base_url).rstrip("/") + profile.target.version_prefix
        ctx = trust_context(profile)
        ca = None if profile.target.trust_store == "system" else profile.target.trust_store
        http_url = profile.target.http_url or _plain_http_of(target_url or profile.target.base_url)
        target = Target(profile, dialect, base, http_url, ctx, ca)
        check_routes_served(target)
        return target
    device = _started_device(profile, faults, mutants, workdir)
    for label, (user_env, password_env) in EMBEDDED_ENV.items():
        os.environ[user_env] = device.credentials[label]["username"]
        os.environ[password_env] = device.credentials[label]["password"]
        SECRETS.add(device.credentials[label]["password"], "password")
    ctx = ssl.create_default_context(cafile=str(device.ca_cert))
    return Target(profile, dialect, device.https_url, device.http_url, ctx, str(device.ca_cert), device, faults)
