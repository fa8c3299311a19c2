"""Target profiles: where the device is, how to reach it, and the numbers its plans expect."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import shlex
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lhv.contract.dialect_names import DIALECT_NAMES
from lhv.core.bounds import MAX_RESPONSE_BYTES, default_deadline
from lhv.core.errors import ConfigError
from lhv.session.manual_profile import ManualScoresSection


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TargetSection(_Section):
    """Where the device answers."""

    name: str
    environment: str = "unspecified"
    embedded: bool = False
    base_url: str = ""
    version_prefix: str = ""
    http_url: str = ""
    dialect: str = "plan"  # one of lhv.contract.dialect_names.DIALECT_NAMES
    release: str = ""  # the release under test: when set, GET /device-information's version must be it
    trust_store: str = "system"
    timeout_seconds: float = Field(10.0, gt=0)  # per socket operation (connect, each read, each write)
    request_deadline_seconds: float | None = Field(None, gt=0)  # a whole request; None: default_deadline()
    max_response_bytes: int = Field(MAX_RESPONSE_BYTES, ge=64 * 1024, le=1024**3)  # an answer's body kept
    production: bool = False
    allow_load: bool = False

    @staticmethod
    def default_deadline(timeout_seconds: float) -> float:
        """Returns the default whole-request deadline (lhv.core.bounds.default_deadline)."""
        return default_deadline(timeout_seconds)

    @field_validator("dialect")
    @classmethod
    def _dialect(cls, name: str) -> str:
        if name not in DIALECT_NAMES:
            raise ValueError(f"{name!r} is not a dialect the harness speaks ({', '.join(DIALECT_NAMES)})")
        return name

    @model_validator(mode="after")
    def _deadline(self) -> TargetSection:
        if self.request_deadline_seconds is None:
            self.request_deadline_seconds = self.default_deadline(self.timeout_seconds)
        elif self.request_deadline_seconds < self.timeout_seconds:
            raise ValueError(f"request_deadline_seconds ({self.request_deadline_seconds:g} s) is shorter than "
                             f"timeout_seconds ({self.timeout_seconds:g} s)")
        return self


class Account(_Section):
    """An account's credentials, named by environment variable, never written in the profile."""

    username_env: str
    password_env: str

    def resolve(self, where: str) -> tuple[str, str]:
        """Returns (username, password) from the environment, or raises ConfigError."""
        values = []
        for key in ("username_env", "password_env"):
            name = getattr(self, key)
            value = os.environ.get(name)
            if not value:
                raise ConfigError(where, key, f"environment variable {name} is not set")
            values.append(value)
        return values[0], values[1]


class CredentialsSection(_Section):
    """Accounts the plans log in with."""

    user: Account
    second_user: Account | None = None
    admin: Account | None = None


class AuthSection(_Section):
    """Token lifetime and lockout numbers of the target."""

    token_lifetime_seconds: int = Field(3600, gt=0)
    clock_skew_seconds: int = Field(5, ge=0)
    max_wait_seconds: int = Field(120, ge=0)
    token_vault: str = "~/.local/state/lhv/token-vault.json"
    login_failure_status: int = 401
    lockout_threshold: int = Field(5, gt=0)
    lockout_seconds: int = Field(900, gt=0)
    locked_statuses: list[int] = [423, 401, 403, 429]


ACCOUNT_COMMAND_PLACEHOLDERS = ("{username}", "{device_state}", "{ca_file}", "{lhv}")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def account_command_words(template: str) -> list[str]:
    """An operator command's arguments, split as a shell would but run without one, placeholders still in;
    ValueError says what is wrong (a password placeholder, an unknown placeholder, quoting, a {lhv} inside a word)."""
    if "{password}" in template:
        raise ValueError("must not contain {password}: a password never goes on a command line (the registration "
                         "command gets it on stdin and in LHV_NEW_PASSWORD)")
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise ValueError(f"cannot be split into arguments ({exc})") from None
    unknown = sorted({m for word in words for m in _PLACEHOLDER.findall(word)} - set(ACCOUNT_COMMAND_PLACEHOLDERS))
    if unknown:
        raise ValueError(f"unknown placeholder(s) {', '.join(unknown)}; "
                         f"known: {', '.join(ACCOUNT_COMMAND_PLACEHOLDERS)}")
    if any("{lhv}" in word and word != "{lhv}" for word in words):
        raise ValueError("{lhv} (this harness's own command) must be an argument of its own")
    return words


class AccountsSection(_Section):
    """How plans get disposable accounts, and the operator's commands that register and remove them."""

    registration: Literal["http", "command", "none"] = "none"
    command: str = ""  # registers {username}, password on stdin; PLAN_016 verifies it whenever it is named
    remove_command: str = ""  # removes the account {username}; PLAN_016: its tokens get 401 afterwards
    name_prefix: str = "lhv-verify-"
    email_domain: str = "example.org"
    min_password_length: int = Field(12, gt=1)  # PLAN_016: one character shorter is refused

    @field_validator("command", "remove_command")
    @classmethod
    def _command(cls, template: str) -> str:
        if template.strip():
            account_command_words(template)
        return template


class LimitsSection(_Section):
    """Rate limits of the target (CONTRACT.md §4)."""

    anonymous_requests: int = Field(100, gt=0)
    authenticated_requests: int = Field(1000, gt=0)
    window_seconds: float = Field(60, gt=0)
    tolerance: int = Field(0, ge=0)
    load_workers: int = Field(0, ge=0, le=32)  # PLAN_006/007 bursts: 0 = one Locust process, n = master + n workers
    load_local_workers: int | None = Field(None, ge=0, le=32)  # of load_workers, how many start here (None: all)
    load_master: str = ""  # HOST:PORT the bursts' master listens on for workers elsewhere (e.g. "0.0.0.0:5557")
    load_join_seconds: float = Field(30, gt=0, le=600)  # how long a burst waits for its workers to join
    max_body_bytes: int = Field(20 * 1024 * 1024, gt=0)  # CONTRACT.md §1: a larger request body gets 413 (PLAN_019)
    second_client_address: str = ""  # a local address from which the target sees another client IP (not behind the
    #                                  same NAT), for the per-client checks of PLAN_003 and PLAN_006; "" = another
    #                                  loopback address when the target is on loopback, else those cases are not run

    @field_validator("load_master")
    @classmethod
    def _master(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9_.:\[\]-]+:\d{1,5}", value):
            raise ValueError(f"{value!r} is not HOST:PORT (e.g. 0.0.0.0:5557)")
        return value

    @field_validator("second_client_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if value:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(f"{value!r} is not an IP address of this machine (e.g. 192.0.2.11)") from None
        return value


class LogsSection(_Section):
    """Where the target's rate-limit violation log can be read (PLAN_008)."""

    kind: Literal["file", "command", "http", "none"] = "none"
    path: str = ""
    command: str = ""
    url: str = ""
    event: str = "rate_limit_exceeded"  # the value of the entry's event field that marks a violation
    settle_seconds: float = Field(5, ge=0, le=600)  # how long entries may take to show up in the source
    client_address: str = ""  # the harness's address as the target sees it; "" = this machine's source address
    #                           toward the target; "any" = any non-empty client (behind a NAT the harness can't see)


class InspectionSection(_Section):
    """How stored credentials can be inspected (PLAN_014, PLAN_015)."""

    kind: Literal["sql", "command", "attestation", "none"] = "none"
    database_url: str = ""
    query: str = ""
    command: str = ""
    attestation: str = ""  # kind "attestation": a named person's answers with evidence (lhv/inspection/attestation.py)


class UptimeTransaction(_Section):
    """PLAN_018's authenticated synthetic transaction: a login, then one request, at a slower interval."""

    intent: str = "device_information"  # a dialect intent; "" switches the transaction off
    body_file: str = ""  # JSON body of the request (relative to the profile), e.g. a small diagnosis request
    expect_status: list[int] = [200]  # any other answer is "down"
    account: Literal["user", "second_user", "admin"] = "user"
    interval_seconds: float = Field(300, ge=0.01)
    timeout_seconds: float = Field(30, gt=0)  # login and request together


class UptimeSoak(_Section):
    """PLAN_018's bounded Locust soak on the health route (load: loopback, or consented)."""

    users: int = Field(0, ge=0, le=200)  # 0: no soak
    spawn_rate: float = Field(1, gt=0)
    seconds: float = Field(30, gt=0, le=3600)
    max_requests: int = Field(5000, gt=0, le=100_000)


class UptimeSection(_Section):
    """The uptime prober (`lhv probe`), its store, and how PLAN_018 judges availability."""

    store_url: str = ""  # "" = a SQLite file next to the profile; or sqlite:///PATH, postgresql://…
    prober_id: str = ""  # "" = this machine's host name
    interval_seconds: float = Field(60, ge=0.01)
    timeout_seconds: float = Field(10, gt=0)
    degraded_seconds: float = Field(5, gt=0)  # slower than this (within the timeout): degraded, counted as up
    window: str = "previous-month"  # "previous-month", a month "YYYY-MM", or "live" (PLAN_018 probes now)
    window_seconds: float = Field(60, gt=0, le=3600)  # window "live": how long PLAN_018 probes
    target_percent: float = Field(99.0, gt=0, le=100)
    min_coverage: float = Field(0.9, ge=0, le=1)
    max_gap_seconds: float = Field(0, ge=0)  # 0 = the window's downtime budget
    maintenance: Literal["excluded", "counted"] = "excluded"
    transaction: UptimeTransaction = UptimeTransaction()
    soak: UptimeSoak = UptimeSoak()

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        if value in ("previous-month", "live") or re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
            return value
        raise ValueError(f"{value!r} is not \"previous-month\", \"live\" or a month written YYYY-MM")

    @model_validator(mode="after")
    def _consistent(self) -> UptimeSection:
        if self.degraded_seconds > self.timeout_seconds:
            raise ValueError("degraded_seconds is longer than timeout_seconds")
        intervals = [("interval_seconds", self.interval_seconds)]
        if self.transaction.intent:
            intervals.append(("transaction.interval_seconds", self.transaction.interval_seconds))
        # Verdicts cut the window into whole intervals: a live window, or a day (months are whole days).
        span, name = (self.window_seconds, "window_seconds") if self.window == "live" else (86_400, "a day")
        for key, interval in intervals:
            if round(span * 1000) % round(interval * 1000):
                raise ValueError(f"{name} ({span:g} s) is not a whole number of {key} ({interval:g} s)")
        return self


class ClinicalSection(_Section):
    """Clinical test data (PLAN_009–013, 017): images, payload files and PLAN_013's labelled set."""

    images_dir: str = ""  # "" = the packaged fixtures/images; relative paths are relative to the profile
    payloads_dir: str = ""  # "" = the packaged payloads/ (payload files, /work/payload_format.md)
    labelled_manifest: str = ""  # "" = fixtures/images/labelled/manifest.csv; CSV case_id,image,icd11
    images_per_case: int = Field(3, ge=2, le=5)  # PLAN_013's k: images per lesion in the multi-image request
    significance: float = Field(0.05, gt=0, lt=1)  # PLAN_013: the paired exact test's p must be below this


# What each of the severity request's open ways (lhv.contract.intents.OPEN_WAYS) needs of the profile's [severity]
# to be taken: the key that decides it and the values under which the target takes it (200); otherwise it refuses
# it (422, at the way's place).
_OPEN_WAY_SETTINGS: dict[str, tuple[str, frozenset[str]]] = {
    "snake-case-keys": ("request_keys", frozenset({"both", "snake_case"})),
    "camel-case-keys": ("request_keys", frozenset({"both", "camelCase"})),
    "coding-null": ("coding_null", frozenset({"accepted"})),
    "conclusion-without-text": ("conclusion_text", frozenset({"optional"})),
    "code-only-coding": ("coding_fields", frozenset({"code-only"})),
    "snake-case-body-site": ("v1_body_sites", frozenset({"both"})),
}


class SeveritySection(_Section):
    """What the target does where the contract leaves the severity request open (PLAN_009): the defaults are the
    reference device's habits; the public SDK's evidence differs on the v2 known condition (CONTRACT.md Appendix)."""

    request_keys: Literal["both", "snake_case", "camelCase"] = "both"  # the request's own fields, as it takes them
    coding_null: Literal["refused", "accepted"] = "refused"  # v2: knownCondition.conclusion.coding null
    conclusion_text: Literal["optional", "required"] = "optional"  # v2: knownCondition.conclusion.text
    coding_fields: Literal["code-only", "all"] = "code-only"  # v2: what a coding needs (all: system, systemDisplay,
    #                                                           code and display)
    v1_body_sites: Literal["UPPER_SNAKE", "both"] = "UPPER_SNAKE"  # v1: body sites as ARM_LEFT only, or arm_left too
    #                                                                 (the first SDK's raw tests send it; Appendix B)

    def accepts(self, way: str) -> bool:
        """Tells whether the target takes a valid severity request written the open way `way` (else refuses it)."""
        key, taken = _OPEN_WAY_SETTINGS[way]
        return getattr(self, key) in taken

    def setting(self, way: str) -> str:
        """The profile key and value that decide an open way, as the record shows them."""
        key = _OPEN_WAY_SETTINGS[way][0]
        return f'severity.{key} = "{getattr(self, key)}"'


# A dialect writes the request's own fields in one spelling: a target that takes only the other cannot be verified.
_DIALECT_SPELLING = {"plan": "snake_case", "v1": "camelCase", "v2": "camelCase"}


class PropertiesSection(_Section):
    """Property-based checks (hypothesis) inside the clinical plans: each example is one real request."""

    examples: int = Field(20, ge=1, le=1000)  # examples per property
    seed: int | None = None  # None: a fresh seed per run, written in the record


class IntegrationSection(_Section):
    """A customer's integration: what `--suite integration` checks and its validation checklist shows."""

    customer: str = ""  # who integrates, shown on the checklist
    scoring_systems: list[str] = []  # the systems the customer's client requests; [] = those its examples request
    body_sites: list[str] = []  # the body-site codes the customer's UI offers; [] = all of the contract's
    payloads: list[str] = []  # the customer's example requests (files or folders, relative to the profile):
    #                           payload files or request bodies as sent; [] = the bundled payloads/customer
    reports_per_month: int = Field(0, ge=0)  # the customer's volume estimate; 0 = none given
    reports_per_month_at_scale: int = Field(0, ge=0)  # a later estimate (e.g. year 3); 0 = none
    requests_per_report: int = Field(1, ge=1, le=20)  # clinical requests per report
    active_days_per_month: float = Field(30, gt=0, le=31)  # days with traffic
    active_hours_per_day: float = Field(24, gt=0, le=24)  # hours with traffic on those days
    peak_factor: float = Field(3, ge=1, le=1000)  # the busiest minute's rate over the active hours' average
    logins: Literal["reuse-token", "per-report"] = "reuse-token"  # how the client gets its tokens
    attestation: str = ""  # the customer's confirmation of its client's behaviour
    #                        (lhv/inspection/attestation.py format)

    @field_validator("scoring_systems")
    @classmethod
    def _systems(cls, codes: list[str]) -> list[str]:
        from lhv.contract.tables import SCORING_SYSTEM_BY_CODE

        unknown = [code for code in codes if code not in SCORING_SYSTEM_BY_CODE]
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: not a scoring system of the contract "
                             f"({', '.join(SCORING_SYSTEM_BY_CODE)})")
        return codes

    @field_validator("body_sites")
    @classmethod
    def _sites(cls, codes: list[str]) -> list[str]:
        from lhv.contract.tables import BODY_SITE_BY_CODE

        unknown = [code for code in codes if code not in BODY_SITE_BY_CODE]
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: not a body-site code of the contract (e.g. arm_left)")
        return codes


class FuzzingSection(_Section):
    """PLAN_019's schemathesis fuzzing of the contract, and `lhv fuzz`: budgets, seed and document."""

    cases: int = Field(100, ge=1, le=100_000)  # PLAN_019: generated requests in all, split over the operations
    seconds: float = Field(60, gt=0, le=86_400)  # PLAN_019: the fuzzing stops after this long, whatever is left
    hunt_cases: int = Field(2000, ge=1, le=1_000_000)  # `lhv fuzz`: a longer hunt, run on its own
    hunt_seconds: float = Field(900, gt=0, le=86_400)
    seed: int | None = None  # None: a fresh seed per run, written in the record (give it to reproduce a run)
    openapi: str = ""  # "" = the harness's document of the dialect; or a JSON file (relative to the profile)


class SecuritySection(_Section):
    """PLAN_019's security pass and external scanner reports (--scanner-report)."""

    scanner_fail_at: Literal["info", "low", "medium", "high", "critical"] = "high"  # a report finding at or
    # above this severity fails PLAN_019; the harness's own findings always do (each breaks the contract)


class RoutesSection(_Section):
    """Where the target serves each intent, when not at its dialect's default route (CONTRACT.md Appendix B)."""

    layout: str = ""  # a named layout of lhv.contract.dialects.base.LAYOUTS, e.g. "release-1.1.0.0"; "" = none
    map: dict[str, str] = {}  # intent → "METHOD /path" below the base URL and version prefix, over the layout

    @field_validator("layout")
    @classmethod
    def _layout(cls, name: str) -> str:
        from lhv.contract.dialects.base import LAYOUTS

        if name and name not in LAYOUTS:
            raise ValueError(f"{name!r} is not a named route layout ({', '.join(LAYOUTS)})")
        return name

    def resolved(self) -> dict[str, str]:
        """The route map: the layout's routes with the profile's own on top (intent → "METHOD /path")."""
        from lhv.contract.dialects.base import layout_map

        return layout_map(self.layout, self.map)


class PlansSection(_Section):
    """Which plans the target allows."""

    destructive: list[str] = ["PLAN_003", "PLAN_006", "PLAN_007", "PLAN_008", "PLAN_014", "PLAN_016", "PLAN_019"]
    skip: dict[str, str] = {}  # plan id → why it is waived: outside the run's scope, listed as waived in the record

    @field_validator("skip")
    @classmethod
    def _waivers(cls, skip: dict[str, str]) -> dict[str, str]:
        from lhv.contract import catalog

        for plan, reason in skip.items():
            if plan not in catalog.catalog():
                raise ValueError(f"{plan} is not a plan id of verification/catalog.toml")
            if not reason.strip():
                raise ValueError(f"{plan}: a waiver needs a reason (plan id = \"why it is waived\")")
        return skip


class RolesSection(_Section):
    """Role ids of the organisation that runs the verification, by what they may sign."""

    testers: list[str] = []  # may sign "authored"
    reviewers: list[str] = []  # may sign "reviewed"
    approvers: list[str] = []  # may sign "approved"

    @field_validator("testers", "reviewers", "approvers")
    @classmethod
    def _ids(cls, ids: list[str]) -> list[str]:
        blank = [i for i in ids if not i.strip()]
        if blank:
            raise ValueError("a role id is empty")
        return ids


class RecordSection(_Section):
    """A profile's [record] table: whose record it is and its roles."""

    organisation: str = ""  # whose roles these are, shown on the sign-off; another than the device maker's
    roles: RolesSection = RolesSection()


class TraceSection(_Section):
    """Whose requirement and risk-control ids the record traces plans and cases to (lhv/session/trace.py)."""

    mapping: str = ""  # a TOML file (relative to the profile) mapping plans and cases to the profile owner's own ids,
    #                    which replace the catalog's (the device maker's) in the run's record; "" = the catalog's
    organisation: str = ""  # whose ids the mapping holds, shown on the record; "" = [record] organisation

    @model_validator(mode="after")
    def _owner_of_a_mapping(self) -> TraceSection:
        if self.organisation.strip() and not self.mapping.strip():
            raise ValueError("organisation names whose ids trace.mapping holds: give the mapping file too")
        return self


class Profile(_Section):
    """A whole target profile."""

    target: TargetSection
    credentials: CredentialsSection
    auth: AuthSection = AuthSection()
    accounts: AccountsSection = AccountsSection()
    limits: LimitsSection = LimitsSection()
    logs: LogsSection = LogsSection()
    inspection: InspectionSection = InspectionSection()
    uptime: UptimeSection = UptimeSection()
    clinical: ClinicalSection = ClinicalSection()
    severity: SeveritySection = SeveritySection()
    manual_scores: ManualScoresSection = ManualScoresSection()
    properties: PropertiesSection = PropertiesSection()
    integration: IntegrationSection = IntegrationSection()
    fuzzing: FuzzingSection = FuzzingSection()
    security: SecuritySection = SecuritySection()
    routes: RoutesSection = RoutesSection()
    plans: PlansSection = PlansSection()
    record: RecordSection = RecordSection()
    trace: TraceSection = TraceSection()
    source: str = Field("", exclude=True)
    sha256: str = Field("", exclude=True)

    def redacted(self) -> dict:
        """Returns the profile as data for the record (it holds no secrets by design)."""
        return self.model_dump(mode="json")


def load_profile(path: str | Path) -> Profile:
    """Reads and validates a TOML profile; any problem raises one ConfigError naming the key."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), None, f"cannot read profile ({exc.strerror})") from None
    return parse_profile(raw, str(path))


def parse_profile(raw: bytes, source: str) -> Profile:
    """Validates profile bytes; errors name the source and the dotted key."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(source, None, f"not valid TOML ({exc})") from None
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise ConfigError(source, key, problem + more) from None
    if not profile.target.embedded and not profile.target.base_url:
        raise ConfigError(source, "target.base_url", "required when target.embedded is false")
    _require_hook_settings(profile, source)
    _require_keys_the_dialect_writes(profile, source)
    _require_routes_of_the_dialect(profile, source)
    profile.source, profile.sha256 = source, hashlib.sha256(raw).hexdigest()
    return profile


_HOOK_SETTINGS = {("inspection", "sql"): ("database_url", "query"), ("inspection", "command"): ("command",),
                  ("inspection", "attestation"): ("attestation",), ("accounts", "command"): ("command",)}


def _require_hook_settings(profile: Profile, source: str) -> None:
    """Raises ConfigError when the chosen registration path or inspection hook lacks its settings."""
    for (section, kind), keys in _HOOK_SETTINGS.items():
        table = getattr(profile, section)
        chosen = table.kind if section == "inspection" else table.registration
        for key in keys if chosen == kind else ():
            if not getattr(table, key).strip():
                selector = "kind" if section == "inspection" else "registration"
                raise ConfigError(source, f"{section}.{key}", f"required when {section}.{selector} is \"{kind}\"")


def _require_keys_the_dialect_writes(profile: Profile, source: str) -> None:
    """Raises ConfigError when the target takes only the key spelling its dialect's requests do not use."""
    written, taken = _DIALECT_SPELLING[profile.target.dialect], profile.severity.request_keys
    if taken not in ("both", written):
        raise ConfigError(source, "severity.request_keys",
                          f"\"{taken}\" cannot be verified in the {profile.target.dialect} dialect, whose requests "
                          f"name their fields in {written}; give \"both\" or \"{written}\"")


def _require_routes_of_the_dialect(profile: Profile, source: str) -> None:
    """Raises ConfigError naming the [routes.map] key whose intent, method or path is wrong."""
    from lhv.contract.dialects import dialect_named
    from lhv.contract.dialects.base import parse_route

    dialect = dialect_named(profile.target.dialect)
    for intent, text in profile.routes.map.items():
        if intent not in dialect.routes:
            raise ConfigError(source, f"routes.map.{intent}", f"not an intent of the {dialect.name} dialect "
                              f"({', '.join(dialect.routes)})")
        try:
            parse_route(text)
        except ValueError as exc:
            raise ConfigError(source, f"routes.map.{intent}", str(exc)) from None
    try:
        dialect.remapped(profile.routes.resolved())
    except ValueError as exc:  # two intents at one route: name the one the profile's map moved there
        problem = str(exc).split(": ", 1)[1]
        named = [intent for intent in problem.rsplit(" both ", 1)[-1].split(" and ") if intent in profile.routes.map]
        raise ConfigError(source, f"routes.map.{named[0]}" if named else "routes.layout", problem) from None


def embedded_profile() -> Profile:
    """Returns the built-in profile of the embedded reference device."""
    resource = resources.files("lhv.profiles").joinpath("embedded.toml")
    return parse_profile(resource.read_bytes(), "built-in profile 'embedded'")
