"""PLAN_016 Registration of a new user by authorized individuals.

Purpose: only an authorised individual registers users: the admin (over HTTP with an admin
token, or the operator with the profile's registration command) registers a user who can then
log in, and neither the reply nor the command's output holds the password or its hash; an
anonymous caller gets 401 and a non-admin 403; a non-admin asking for the admin role is refused
(403 or 422); a role other than user or admin gets 422; a duplicate e-mail gets 409 and a too-short
password 422 (a refusing command exit). No refused request creates an account. Where the profile registers by command, the
device need not offer POST /users at all: a 404 or 405 there is a refusal too.
"""

import secrets
from dataclasses import replace

from lhv.checks.replies import header_present, status_is
from lhv.core.outcomes import require
from lhv.checks.credentials import reveals_no_credential
from lhv.core.errors import NotApplicable
from lhv.session.accounts import CommandOutcome
from lhv.harness.credential_steps import read_stored_credential
from lhv.inspection.hooks import inspection_hook
from lhv.core.secrets import SECRETS

PLAN_ID = "PLAN_016"
ROUTE_NOT_OFFERED = (404, 405)


def _how(accounts):
    if accounts.registration == "none":
        raise NotApplicable("the profile has no registration path (accounts.registration = \"none\")")
    return "over HTTP with the admin's token" if accounts.registration == "http" else \
        "with the profile's registration command"


def _admin_registers(api, accounts, identity):
    if accounts.registration == "http":
        return accounts.register_over_http(identity, token=api.token(accounts.admin))
    return accounts.register_by_command(identity)


def _accepted(result):
    if isinstance(result, CommandOutcome):
        require("command-succeeded", result.returncode == 0, f"the registration command exited {result.returncode}",
                "the registration command exited 0")
    else:
        status_is(result, 201)


def _refused(result, http_status):
    if isinstance(result, CommandOutcome):
        require("command-refused", result.returncode != 0, "the registration command exited 0 (accepted)",
                f"the registration command refused with exit {result.returncode}")
    else:
        status_is(result, http_status)


def _said(result):
    return result.output if isinstance(result, CommandOutcome) else result.text


def _no_account(api, identity, failure):
    status_is(api.login(identity), failure)


def _refusal_statuses(accounts, *statuses):
    return statuses if accounts.registration == "http" else statuses + ROUTE_NOT_OFFERED


def test_admin_registers_a_user_who_can_log_in(api, accounts, step, target):
    """The admin registers a user, who then logs in as an ordinary user; the reply holds neither the password nor
    its hash."""
    how = _how(accounts)
    identity = accounts.new_identity("registered")
    with step(f"Register a new user {how}", expect="201 (command: exit 0)"):
        result = _admin_registers(api, accounts, identity)
        _accepted(result)
    hook = inspection_hook(target)
    stored = read_stored_credential(step, hook, identity)[0] if hook else None
    what = "the command's output" if isinstance(result, CommandOutcome) else "the 201 reply"
    with step(f"Look for the password and its hash in {what}",
              expect="neither the password, nor the stored credential" + ("" if hook else " (no hook: any value "
                     "recognised as a password hash)")):
        reveals_no_credential(_said(result), what, identity.password, stored)
    with step("Log in as the new user", expect="200 with an access token"):
        reply = api.login(identity)
        status_is(reply, 200)
        token = api.dialect.read_token(reply).access_token
    allowed = _refusal_statuses(accounts, 403)
    with step("As the new user, registered without a role, register another user over HTTP, then log in as it",
              expect=f"{' or '.join(map(str, allowed))}; the login gets {target.profile.auth.login_failure_status}: "
                     "a new account is an ordinary user, not an administrator"):
        other = accounts.new_identity("registered-by-new-user")
        status_is(accounts.register_over_http(other, token=token), *allowed)
        _no_account(api, other, target.profile.auth.login_failure_status)


def test_anonymous_and_non_admin_callers_cannot_register(api, accounts, step, target):
    """An anonymous caller gets 401 and a non-admin 403; neither creates an account."""
    failure = target.profile.auth.login_failure_status
    for caller, credentials, status in (("anonymously", None, 401),
                                        ("with the test user's (non-admin) token", accounts.user, 403)):
        identity = accounts.new_identity("unauthorised")
        allowed = _refusal_statuses(accounts, status)
        with step(f"Register a user over HTTP {caller}, then log in as that user",
                  expect=f"{' or '.join(map(str, allowed))}; the login gets {failure}: no account was made"):
            token = api.token(credentials) if credentials else None
            reply = accounts.register_over_http(identity, token=token)
            status_is(reply, *allowed)
            if reply.status == 401:  # a bearer route's refusal of a missing token names the scheme
                header_present(reply, "WWW-Authenticate")
            _no_account(api, identity, failure)


def test_non_admin_cannot_grant_the_admin_role(api, accounts, step, target):
    """A non-admin registering a user with role admin (mass assignment) is refused with 403 or 422."""
    failure = target.profile.auth.login_failure_status
    identity = accounts.new_identity("self-granted-admin")
    allowed = _refusal_statuses(accounts, 403, 422)
    with step("Register a user with role admin over HTTP with the test user's (non-admin) token, then log in as it",
              expect=f"{' or '.join(map(str, allowed))}; the login gets {failure}: no account was made"):
        status_is(accounts.register_over_http(identity, token=api.token(accounts.user), role="admin"), *allowed)
        _no_account(api, identity, failure)


def test_duplicate_email_and_short_password_are_refused(api, accounts, step, target):
    """A duplicate e-mail gets 409, a too-short password 422 and (over HTTP) a role other than user or admin 422;
    none changes or creates an account."""
    how, failure = _how(accounts), target.profile.auth.login_failure_status
    shortest = target.profile.accounts.min_password_length
    existing = accounts.new_identity("duplicate")
    with step(f"Register a new user {how}", expect="201 (command: exit 0)"):
        _accepted(_admin_registers(api, accounts, existing))
    again = replace(existing, password=secrets.token_urlsafe(16))
    SECRETS.add(again.password, "password")
    with step(f"Register the same e-mail again with another password {how}",
              expect="409 (command: a refusing exit); the reply holds no password"):
        result = _admin_registers(api, accounts, again)
        _refused(result, 409)
        reveals_no_credential(_said(result), "the refusal", again.password)
    with step("Log in with the first password, then with the second",
              expect=f"200, then {failure}: the duplicate changed nothing"):
        status_is(api.login(existing), 200)
        status_is(api.login(again), failure)
    short = accounts.new_identity("short-password", password=secrets.token_urlsafe(shortest)[:shortest - 1])
    with step(f"Register a user with a password of {shortest - 1} characters {how}, then log in as that user",
              expect=f"422 (command: a refusing exit) that does not echo the password; the login gets {failure}"):
        result = _admin_registers(api, accounts, short)
        _refused(result, 422)
        reveals_no_credential(_said(result), "the refusal", short.password)
        _no_account(api, short, failure)
    if accounts.registration == "http":  # a registration command takes no role: roles are judged over HTTP only
        unknown = accounts.new_identity("unknown-role")
        with step("Register a user with role superuser over HTTP with the admin's token, then log in as it",
                  expect=f"422; the login gets {failure}: no account was made"):
            status_is(accounts.register_over_http(unknown, token=api.token(accounts.admin), role="superuser"), 422)
            _no_account(api, unknown, failure)

