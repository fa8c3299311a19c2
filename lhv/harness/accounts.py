"""Accounts plans log in with: the profile's, and disposable ones registered for one run."""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
from dataclasses import dataclass, field

from lhv.errors import ConfigError, NotApplicable, TargetError
from lhv.harness.target import Api, Credentials, Target
from lhv.secrets import SECRETS


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

    def new_identity(self, purpose: str) -> Credentials:
        """Returns unused credentials (not registered) with a unique name."""
        settings = self.target.profile.accounts
        name = f"{settings.name_prefix}{purpose}-{secrets.token_hex(4)}@{settings.email_domain}"
        password = secrets.token_urlsafe(16)
        SECRETS.add(password, "password")
        return Credentials(purpose, name, password)

    def disposable(self, purpose: str) -> Credentials:
        """Registers a fresh account through the profile's registration path and returns it."""
        identity = self.new_identity(purpose)
        how = self.target.profile.accounts.registration
        if how == "none":
            raise NotApplicable("the profile has no registration path (accounts.registration = \"none\"), "
                                "so no disposable account can be made")
        if how == "http":
            route = self.api.dialect.route("register")
            reply = self.api.client.request(route.method, route.path, token=self.api.token(self.admin),
                                            json_body=self.api.dialect.registration_body(
                                                identity.username, identity.password, None))
            if reply.status not in (200, 201):
                raise TargetError(f"registering a disposable account failed with {reply.status}")
        else:
            self._register_by_command(identity)
        self.created.append(identity.username)
        return identity

    def _register_by_command(self, identity: Credentials) -> None:
        template = self.target.profile.accounts.command
        if "{password}" in template:
            raise ConfigError(self.target.profile.source, "accounts.command",
                              "must not contain {password}: the password goes by stdin and LHV_NEW_PASSWORD")
        command = shlex.split(template.format(username=identity.username))
        env = {**os.environ, "LHV_NEW_USERNAME": identity.username, "LHV_NEW_PASSWORD": identity.password}
        done = subprocess.run(command, input=identity.password + "\n", env=env, capture_output=True, text=True,
                              timeout=60)
        if done.returncode != 0:
            raise TargetError(f"registration command exited {done.returncode}: "
                              f"{SECRETS.redact(done.stderr.strip())[-300:]}")
