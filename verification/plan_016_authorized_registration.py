"""PLAN_016 Registration of a new user by authorized individuals.

Purpose: only an authorised individual registers users: the admin (over HTTP with an admin
token, or the operator with the profile's registration command) registers a user who can then
log in, and neither the reply nor the command's output holds the password or its hash; an
anonymous caller gets 401 and a non-admin 403; a non-admin asking for the admin role is refused
(403 or 422); a role other than user or admin gets 422; a duplicate e-mail gets 409 and a too-short
password 422 (a refusing command exit). No refused request creates an account. Where the profile registers by command,
the device need not offer POST /users at all: a 404 or 405 there is a refusal too. A profile that registers over HTTP
and also names the operator's registration command gets both paths verified. An account the operator removes (the
profile's removal command) loses its access: the token it held gets 401; without a removal command that case is
not run, so the plan never passes without it.
"""

import secrets
import time
from dataclasses import replace

from lhv.checks.credentials import reveals_no_credential
from lhv.checks.outcomes import require
from lhv.checks.replies import header_present, jwt_claims, status_is
from lhv.core.errors import Inconclusive, NotApplicable
from lhv.core.secrets import SECRETS
from lhv.harness.credential_steps import read_stored_credential
from lhv.inspection.hooks import inspection_hook
from lhv.session.accounts import CommandOutcome

PLAN_ID = "PLAN_016"
ROUTE_NOT_OFFERED = (404, 405)


HOW = {"http": "over HTTP with the admin's token", "command": "with the profile's registration command"}


def _paths(accounts):
    """The registration paths to verify: the profile's own, and the operator's command where it names one too."""
    if not accounts.registration_paths:
        raise NotApplicable("the profile has no registration path (accounts.registration = \"none\")")
    return accounts.registration_paths


def _admin_registers(api, accounts, identity, path):
    if path == "http":
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
    """The admin registers a user on each registration path, who then logs in as an ordinary user; the reply holds
    neither the password nor its hash."""
    hook = inspection_hook(target)
    for path in _paths(accounts):
        identity = accounts.new_identity("registered")
        with step(f"Register a new user {HOW[path]}", expect="201 (command: exit 0)"):
            result = _admin_registers(api, accounts, identity, path)
            _accepted(result)
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
                  expect=f"{' or '.join(map(str, allowed))}; the login gets {target.profile.auth.login_failure_status}:"
                         " a new account is an ordinary user, not an administrator"):
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
    """On each registration path a duplicate e-mail gets 409 and a too-short password 422, and (over HTTP) a role
    other than user or admin 422; none changes or creates an account."""
    paths, failure = _paths(accounts), target.profile.auth.login_failure_status
    for path in paths:
        _duplicate_and_short_are_refused(api, accounts, step, target, path)
    if "http" in paths:  # a registration command takes no role: roles are judged over HTTP only
        unknown = accounts.new_identity("unknown-role")
        with step("Register a user with role superuser over HTTP with the admin's token, then log in as it",
                  expect=f"422; the login gets {failure}: no account was made"):
            status_is(accounts.register_over_http(unknown, token=api.token(accounts.admin), role="superuser"), 422)
            _no_account(api, unknown, failure)


def _duplicate_and_short_are_refused(api, accounts, step, target, path):
    how, failure = HOW[path], target.profile.auth.login_failure_status
    shortest = target.profile.accounts.min_password_length
    existing = accounts.new_identity("duplicate")
    with step(f"Register a new user {how}", expect="201 (command: exit 0)"):
        _accepted(_admin_registers(api, accounts, existing, path))
    again = replace(existing, password=secrets.token_urlsafe(16))
    SECRETS.add(again.password, "password")
    with step(f"Register the same e-mail again with another password {how}",
              expect="409 (command: a refusing exit); the reply holds no password"):
        result = _admin_registers(api, accounts, again, path)
        _refused(result, 409)
        reveals_no_credential(_said(result), "the refusal", again.password)
    with step("Log in with the first password, then with the second",
              expect=f"200, then {failure}: the duplicate changed nothing"):
        status_is(api.login(existing), 200)
        status_is(api.login(again), failure)
    short = accounts.new_identity("short-password", password=secrets.token_urlsafe(shortest)[:shortest - 1])
    with step(f"Register a user with a password of {shortest - 1} characters {how}, then log in as that user",
              expect=f"422 (command: a refusing exit) that does not echo the password; the login gets {failure}"):
        result = _admin_registers(api, accounts, short, path)
        _refused(result, 422)
        reveals_no_credential(_said(result), "the refusal", short.password)
        _no_account(api, short, failure)


def test_a_removed_account_loses_its_token(api, accounts, step, target):
    """The operator removes an account with the profile's removal command; the token the account held, valid until
    then, gets 401 from then on. Without a removal command the case is not run: never a pass."""
    if not accounts.can_remove:
        raise NotApplicable("the profile names no command that removes an account (accounts.remove_command), so "
                            "whether a removed account's token is refused is not verified")
    skew = target.profile.auth.clock_skew_seconds
    with step("Register a disposable user, log in as it and call a protected route with its token",
              expect="200: the token works while the account exists"):
        identity = accounts.disposable("removed")
        reply = api.login(identity)
        status_is(reply, 200)
        token = api.dialect.read_token(reply).access_token
        status_is(api.call("device_information", token=token), 200)
    with step("Remove the account with the profile's removal command", expect="exit 0"):
        outcome = accounts.remove_by_command(identity.username)
        require("removal-command-succeeded", outcome.returncode == 0,
                f"the removal command exited {outcome.returncode}", "the removal command exited 0")
    with step("Call the protected route again with the removed account's token, before it expires",
              expect="401 with WWW-Authenticate: Bearer: the account is gone, so is its access"):
        exp = jwt_claims(token).get("exp")
        sent = time.time()
        reply = api.call("device_information", token=token)
        if reply.status == 401 and isinstance(exp, (int, float)) and sent > exp - skew:
            raise Inconclusive(f"the call went out {sent - exp + skew:.1f} s past exp − clock skew (a busy machine): "
                               "a refusal of an expiring token proves nothing about the removal")
        require("removed-account-token-refused", reply.status == 401,
                f"the removed account's token got {reply.status}: it outlives the account",
                "401: the removed account's token is refused")
        header_present(reply, "WWW-Authenticate")
