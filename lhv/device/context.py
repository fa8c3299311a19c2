"""What every route of the reference device shares: settings, stores, log."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

from lhv.device.lockout import Lockout
from lhv.device.settings import DeviceSettings
from lhv.device.tokens import TokenService
from lhv.device.users import PasswordScheme, User, UserStore


class JsonLog:
    """Appends one JSON object per line to the device's log file."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def write(self, event: str, **fields: Any) -> None:
        """Writes an event with a UTC timestamp."""
        line = {"timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                "event": event, **fields}
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")


@dataclass
class DeviceContext:
    """The device's shared state for one start."""

    settings: DeviceSettings
    users: UserStore = field(init=False)
    tokens: TokenService = field(init=False)
    lockout: Lockout = field(init=False)
    log: JsonLog = field(init=False)

    def __post_init__(self) -> None:
        state = Path(self.settings.state_dir)
        faults = self.settings.faults
        self.users = UserStore(state / "users.sqlite3", PasswordScheme([*faults, *self.settings.switches()]))
        self.tokens = TokenService(self.settings.token_lifetime_seconds, [*faults, *self.settings.switches()])
        self.lockout = Lockout(self.settings.lockout_threshold, self.settings.lockout_seconds,
                               [*faults, *self.settings.switches()])
        self.log = JsonLog(state / "device.log")

    def has(self, fault: str) -> bool:
        """Tells whether a fault is switched on."""
        return self.settings.has(fault)

    def require_user(self, request: Request) -> User:
        """Returns the bearer token's user, or answers 401 with WWW-Authenticate."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        subject = self.tokens.subject(token.strip()) if scheme.lower() == "bearer" and token else None
        user = self.users.find(subject) if subject else None
        if user is None and not header and self.has(f"auth:optional:{request.method}{request.url.path}"):
            user = self.users.first()  # a generated mutant: the route forgot its token dependency
        if user is None:
            raise HTTPException(401, "Could not validate credentials", headers={"WWW-Authenticate": "Bearer"})
        request.state.subject = user.email
        return user
