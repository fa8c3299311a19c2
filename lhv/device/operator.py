"""Operator commands of the reference device: what an operator does on the host, not over HTTP."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from lhv.device.routes_auth import NewUser
from lhv.device.settings import DeviceSettings
from lhv.device.users import PasswordScheme, User, UserStore

DATABASE_NAME = "users.sqlite3"


class RegistrationRefused(Exception):
    """The device refuses to register a user; the message says why and holds no password."""


def add_user(state_dir: Path, email: str, password: str, role: str = "user") -> User:
    """Registers a user in a device's database, hashing as that device does (its faults included)."""
    try:
        NewUser(email=email, password=password, role=role)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise RegistrationRefused(problems) from None
    if not state_dir.is_dir():
        raise RegistrationRefused(f"{state_dir} is not a device state directory")
    settings_file = state_dir / "settings.json"
    faults = DeviceSettings.load(settings_file).faults if settings_file.is_file() else []
    store = UserStore(state_dir / DATABASE_NAME, PasswordScheme(faults))
    try:
        return store.add(email, password, role)
    except KeyError:
        raise RegistrationRefused(f"a user with the e-mail {email} already exists") from None
