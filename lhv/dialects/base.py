"""The interface every API dialect implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from lhv.http import Reply


@dataclass(frozen=True)
class TokenGrant:
    """A login's result as plans see it."""

    access_token: str
    token_type: str
    lifetime_seconds: int | None


@dataclass(frozen=True)
class DeviceInfo:
    """The software under test, as the device describes itself."""

    name: str
    manufacturer: str
    version: str
    udi: str | None


@dataclass(frozen=True)
class Route:
    """A route of the dialect: method and path below the base URL."""

    method: str
    path: str
    needs_token: bool


class Dialect(ABC):
    """Turns intents into requests and responses into facts, for one API generation."""

    name: str
    routes: dict[str, Route]

    def route(self, intent: str) -> Route:
        """Returns the route that serves an intent such as 'login' or 'diagnose'."""
        return self.routes[intent]

    @abstractmethod
    def login_form(self, username: str, password: str) -> dict[str, str]:
        """Returns the login form for these credentials."""

    @abstractmethod
    def read_token(self, reply: Reply) -> TokenGrant:
        """Reads a successful login reply; raises CheckFailed if it lacks what the contract says."""

    @abstractmethod
    def registration_body(self, username: str, password: str, role: str | None) -> dict:
        """Returns the body that registers a user (role None leaves it to the device)."""

    @abstractmethod
    def read_device_info(self, reply: Reply) -> DeviceInfo:
        """Reads the device-information reply."""
