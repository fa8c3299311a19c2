"""Accounts plans log in with: the profile's, and disposable ones registered for one run."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
from dataclasses import dataclass, field

from lhv.core.errors import ConfigError, NotApplicable, TargetError
from lhv.core.evidence import current_case
from lhv.session.target import Api, Credentials, Target
from lhv.core.http import Reply
from lhv.core.secrets import hide_long_words
from lhv.core.secrets import SECRETS

COMMAND_TIMEOUT_SECONDS = 60
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@dataclass(frozen=True)
class CommandOutcome:
    """What a registration command did; its raw output is for checks only and is never recorded."""

    returncode: int
    output: str = field(repr=False)


@dataclass
class Accounts:
    """Hands out the profile's accounts and registers disposable ones."""

    target: Target
    api: Api
    created: list[str] = field(default_factory=list)

    @property
    def user(self) -> Credentials:
        """The profile's ordinary test user."""
        return self.target.credentials("user")

    @property
    def second_user(self) -> Credentials:
        """A second ordinary user (for per-user budgets)."""
        return self.target.credentials("second_user")

    @property
    def admin(self) -> Credentials:
        """The profile's administrator."""
        return self.target.credentials("admin")

    @property
    def registration(self) -> str:
        """The profile's registration path: "http", "command" or "none"."""
        return self.target.profile.accounts.registration

    def new_identity(self, purpose: str, password: str | None = None) -> Credentials:
        """Returns unused credentials (not registered) with a unique name and, unless given, a fresh password."""
        settings = self.target.profile.accounts
        name = f"{settings.name_prefix}{purpose}-{secrets.token_hex(4)}@{settings.email_domain}"
        password = secrets.token_urlsafe(16) if password is None else password
        SECRETS.add(password, "password")
        return Credentials(purpose, name, password)

    def disposable(self, purpose: str, password: str | None = None) -> Credentials:
        """Registers a fresh account through the profile's registration path and returns it."""
        identity = self.new_identity(purpose, password)
        if self.registration == "none":
            raise NotApplicable("the profile has no registration path (accounts.registration = \"none\"), "
                                "so no disposable account can be made")
        if self.registration == "http":
            reply = self.register_over_http(identity, token=self.api.token(self.admin))
            if reply.status not in (200, 201):
                raise TargetError(f"registering a disposable account failed with {reply.status}")
        else:
            outcome = self.register_by_command(identity)
            if outcome.returncode != 0:
                raise TargetError(f"registration command exited {outcome.returncode}: "
                                  f"{hide_long_words(outcome.output.strip())[-300:]}")
        return identity

    def register_over_http(self, identity: Credentials, *, token: str | None, role: str | None = None) -> Reply:
        """Sends the dialect's registration request as the holder of token (None: anonymously)."""
        route = self.api.dialect.route("register")
        body = self.api.dialect.registration_body(identity.username, identity.password, role)
        reply = self.api.client.request(route.method, route.path, token=token, json_body=body)
        if reply.status in (200, 201):
            self._made(identity.username)
        return reply

    def register_by_command(self, identity: Credentials) -> CommandOutcome:
        """Runs the profile's registration command; the password goes by stdin and environment only."""
        argv = self._command_for(identity.username)
        env = {**os.environ, "LHV_NEW_USERNAME": identity.username, "LHV_NEW_PASSWORD": identity.password}
        try:
            done = subprocess.run(argv, input=identity.password + "\n", env=env, capture_output=True, text=True,
                                  timeout=COMMAND_TIMEOUT_SECONDS)
        except FileNotFoundError:
            raise ConfigError(self.target.profile.source, "accounts.command", f"{argv[0]}: command not found") \
                from None
        except subprocess.TimeoutExpired:
            raise TargetError(f"the registration command did not finish within {COMMAND_TIMEOUT_SECONDS} s") \
                from None
        if done.returncode == 0:
            self._made(identity.username)
        case = current_case()
        if case is not None and case.current is not None:
            case.current.actual.append(f"registration command for {identity.username} exited {done.returncode} "
                                       "(password given on stdin and in LHV_NEW_PASSWORD)")
        return CommandOutcome(done.returncode, done.stdout + done.stderr)

    def _made(self, username: str) -> None:
        if username not in self.created:
            self.created.append(username)

    def _command_for(self, username: str) -> list[str]:
        source = self.target.profile.source
        template = self.target.expand(self.target.profile.accounts.command)
        if not template.strip():
            raise ConfigError(source, "accounts.command", "is empty, and accounts.registration is \"command\"")
        if "{password}" in template:
            raise ConfigError(source, "accounts.command",
                              "must not contain {password}: the password goes by stdin and LHV_NEW_PASSWORD")
        try:
            argv = [arg.replace("{username}", username) for arg in shlex.split(template)]
        except ValueError as exc:
            raise ConfigError(source, "accounts.command", f"cannot be split into arguments ({exc})") from None
        unknown = sorted({m for arg in argv for m in _PLACEHOLDER.findall(arg)})
        if unknown:
            raise ConfigError(source, "accounts.command", f"unknown placeholder(s) {', '.join(unknown)}; "
                              "known: {username}, and {device_state} for the embedded device")
        return argv
