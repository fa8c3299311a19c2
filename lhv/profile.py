"""Target profiles: where the device is, how to reach it, and the numbers its plans expect."""

from __future__ import annotations

import hashlib
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lhv.errors import ConfigError


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
    dialect: Literal["plan", "v2"] = "plan"
    trust_store: str = "system"
    timeout_seconds: float = Field(10.0, gt=0)
    production: bool = False
    allow_load: bool = False


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


class AccountsSection(_Section):
    """How plans get disposable accounts."""

    registration: Literal["http", "command", "none"] = "none"
    command: str = ""
    name_prefix: str = "lhv-verify-"
    email_domain: str = "example.org"


class LimitsSection(_Section):
    """Rate limits of the target (CONTRACT.md §4)."""

    anonymous_requests: int = Field(100, gt=0)
    authenticated_requests: int = Field(1000, gt=0)
    window_seconds: float = Field(60, gt=0)
    tolerance: int = Field(0, ge=0)


class LogsSection(_Section):
    """Where the target's rate-limit violation log can be read (PLAN_008)."""

    kind: Literal["file", "command", "http", "none"] = "none"
    path: str = ""
    command: str = ""
    url: str = ""


class InspectionSection(_Section):
    """How stored credentials can be inspected (PLAN_014, PLAN_015)."""

    kind: Literal["sql", "command", "none"] = "none"
    database_url: str = ""
    query: str = ""
    command: str = ""


class PlansSection(_Section):
    """Which plans the target allows."""

    destructive: list[str] = ["PLAN_003", "PLAN_006", "PLAN_007", "PLAN_008", "PLAN_014", "PLAN_016", "PLAN_018", "PLAN_019"]
    skip: dict[str, str] = {}


class Profile(_Section):
    """A whole target profile."""

    target: TargetSection
    credentials: CredentialsSection
    auth: AuthSection = AuthSection()
    accounts: AccountsSection = AccountsSection()
    limits: LimitsSection = LimitsSection()
    logs: LogsSection = LogsSection()
    inspection: InspectionSection = InspectionSection()
    plans: PlansSection = PlansSection()
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
        problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise ConfigError(source, key, problem + more) from None
    if not profile.target.embedded and not profile.target.base_url:
        raise ConfigError(source, "target.base_url", "required when target.embedded is false")
    profile.source, profile.sha256 = source, hashlib.sha256(raw).hexdigest()
    return profile


def embedded_profile() -> Profile:
    """Returns the built-in profile of the embedded reference device."""
    resource = resources.files("lhv.profiles").joinpath("embedded.toml")
    return parse_profile(resource.read_bytes(), "built-in profile 'embedded'")
