"""Accounts plans log in with: the profile's, and disposable ones registered for one run."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field

from lhv.core.errors import ConfigError, NotApplicable, TargetError
from lhv.core.evidence import current_case
from lhv.core.http import Reply
from lhv.core.secrets import SECRETS, hide_long_words
from lhv.session.profile import account_command_words
from lhv.session.target import Api, Credentials, Target

COMMAND_TIMEOUT_SECONDS = 60
LHV_COMMAND = (sys.executable, "-m", "lhv.app.cli")  # what {lhv} stands for: this harness, e.g. `lhv device add-user`


@dataclass(frozen=True)
class CommandOutcome:
    """What an operator command (registration, removal) did; its raw output is for checks only, never recorded."""

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

    @property
    def registration_paths(self) -> tuple[str, ...]:
        """Every registration path the profile offers: its own first, then the operator's command where the
        profile names one beside HTTP registration (PLAN_016 verifies each); empty for registration "none"."""
        own = self.registration
        if own == "none":
            return ()
        return (own, "command") if own == "http" and self.target.profile.accounts.command.strip() else (own,)

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
        done = self._run("command", identity.username, stdin=identity.password + "\n",
                         env={"LHV_NEW_USERNAME": identity.username, "LHV_NEW_PASSWORD": identity.password},
                         what="registration")
        if done.returncode == 0:
            self._made(identity.username)
        self._tell(f"registration command for {identity.username} exited {done.returncode} "
                   "(password given on stdin and in LHV_NEW_PASSWORD)")
        return done

    @property
    def can_remove(self) -> bool:
        """Tells whether the profile names the operator's command that removes an account."""
        return bool(self.target.profile.accounts.remove_command.strip())

    def remove_by_command(self, username: str) -> CommandOutcome:
        """Runs the profile's removal command for an account; exit 0 means the account is gone."""
        if not self.can_remove:
            raise NotApplicable("the profile names no command that removes an account (accounts.remove_command)")
        done = self._run("remove_command", username, stdin="", env={"LHV_REMOVE_USERNAME": username},
                         what="removal")
        if done.returncode == 0 and username in self.created:
            self.created.remove(username)
        self._tell(f"removal command for {username} exited {done.returncode}")
        return done

    def _run(self, key: str, username: str, *, stdin: str, env: dict[str, str], what: str) -> CommandOutcome:
        argv = self._command_for(key, username)
        try:
            done = subprocess.run(argv, input=stdin, env={**os.environ, **env}, capture_output=True, text=True,
                                  timeout=COMMAND_TIMEOUT_SECONDS)
        except FileNotFoundError:
            raise ConfigError(self.target.profile.source, f"accounts.{key}", f"{argv[0]}: command not found") \
                from None
        except subprocess.TimeoutExpired:
            raise TargetError(f"the {what} command did not finish within {COMMAND_TIMEOUT_SECONDS} s") from None
        return CommandOutcome(done.returncode, done.stdout + done.stderr)

    @staticmethod
    def _tell(line: str) -> None:
        case = current_case()
        if case is not None and case.current is not None:
            case.current.actual.append(line)

    def _made(self, username: str) -> None:
        if username not in self.created:
            self.created.append(username)

    def _command_for(self, key: str, username: str) -> list[str]:
        """The argv of the profile's accounts.<key> command for an account: placeholders filled inside arguments,
        never through a shell; {lhv} is this harness's own command."""
        source = self.target.profile.source
        template = getattr(self.target.profile.accounts, key)
        if not template.strip():
            raise ConfigError(source, f"accounts.{key}", "is empty, and the run needs the command")
        try:
            words = account_command_words(template)
        except ValueError as exc:
            raise ConfigError(source, f"accounts.{key}", str(exc)) from None
        argv: list[str] = []
        for word in words:
            argv += LHV_COMMAND if word == "{lhv}" else [self.target.expand(word.replace("{username}", username))]
        return argv
