"""Operator commands of the reference device: what an operator does on the host, not over HTTP."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from lhv.device.registration import NewUser
from lhv.device.settings import DeviceSettings
from lhv.device.users import PasswordScheme, User, UserStore

DATABASE_NAME = "users.sqlite3"


class OperatorRefused(Exception):
    """The device refuses an operator's command; the message says why and holds no password.

    `exit_code` is what the command exits with: 1, or 0 where a fault of the device swallows the refusal.
    """

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class RegistrationRefused(OperatorRefused):
    """The device refuses to register a user."""


class RemovalRefused(OperatorRefused):
    """The device refuses to remove a user (none has that e-mail)."""


def add_user(state_dir: Path, email: str, password: str, role: str = "user") -> User:
    """Registers a user in a device's database, hashing as that device does (its faults included)."""
    faults = _faults(state_dir)
    # Fault `add-user-exits-zero-on-refusal`: the refusal is printed, but the command exits 0.
    exit_code = 0 if "add-user-exits-zero-on-refusal" in faults else 1
    try:
        NewUser(email=email, password=password, role=role)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise RegistrationRefused(problems, exit_code) from None
    if not state_dir.is_dir():
        raise RegistrationRefused(f"{state_dir} is not a device state directory", exit_code)
    try:
        return _store(state_dir, faults).add(email, password, role)
    except KeyError:
        raise RegistrationRefused(f"a user with the e-mail {email} already exists", exit_code) from None


def remove_user(state_dir: Path, email: str) -> None:
    """Removes a user from a device's database; its tokens are refused from then on (unless a fault caches it)."""
    if not (state_dir / DATABASE_NAME).is_file():
        raise RemovalRefused(f"{state_dir} is not a device state directory (no {DATABASE_NAME})")
    if not _store(state_dir, _faults(state_dir)).delete(email):
        raise RemovalRefused(f"no user has the e-mail {email}")


def _faults(state_dir: Path) -> list[str]:
    settings_file = state_dir / "settings.json"
    return DeviceSettings.load(settings_file).faults if settings_file.is_file() else []


def _store(state_dir: Path, faults: list[str]) -> UserStore:
    return UserStore(state_dir / DATABASE_NAME, PasswordScheme(faults))
