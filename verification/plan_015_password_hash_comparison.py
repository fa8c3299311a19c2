"""PLAN_015 Password hash comparison during login.

Purpose: login compares the whole password exactly with what is stored: the correct password
gets a token; the stored hash itself (read through the profile's inspection hook), the password
with its letters' case changed, its first 8 characters, and the password with a trailing space
are refused. Without an inspection hook the stored-hash case is not run, with the reason, and
the plan is inconclusive.
"""

from lhv.checks.outcomes import require
from lhv.checks.replies import no_token_in, status_is
from lhv.core.errors import NotApplicable
from lhv.core.secrets import SECRETS
from lhv.harness.credential_steps import read_stored_credential
from lhv.inspection.hooks import inspection_hook

PLAN_ID = "PLAN_015"


def _refused_then_correct(api, step, user, label, password, failure, *, near_miss=False):
    with step(f"Log in as the test user with {label}, then with the correct password",
              expect=f"{failure} with no token; then 200: the account is not locked by the refusal"):
        if near_miss:
            require("differs-from-password", password != user.password,
                    f"{label} equals the password (it has no letters, or is 8 characters long)",
                    f"{label}: {len(password)} characters, not the password")
        refused = api.login(user, password=password)
        status_is(refused, failure)
        no_token_in(refused)
        status_is(api.login(user), 200)


def test_correct_password_gives_a_token(api, accounts, step):
    """The test user's correct password gets a token."""
    with step("Log in as the test user with the correct password", expect="200 with an access token"):
        reply = api.login(accounts.user)
        status_is(reply, 200)
        api.dialect.read_token(reply)


def test_near_misses_of_the_password_are_refused(api, accounts, step, target):
    """The password with its case changed, its first 8 characters, or a trailing space added gets no token."""
    user, failure = accounts.user, target.profile.auth.login_failure_status
    near_misses = {"the password with its letters' case changed": user.password.swapcase(),
                   "the first 8 characters of the password": user.password[:8],
                   "the password with a trailing space": user.password + " "}
    for label, variant in near_misses.items():
        SECRETS.add(variant, "password")
        _refused_then_correct(api, step, user, label, variant, failure, near_miss=True)


def test_stored_hash_is_not_accepted_as_the_password(api, accounts, step, target):
    """The credential the device stored for the test user, sent as the password, gets no token."""
    user, failure = accounts.user, target.profile.auth.login_failure_status
    hook = inspection_hook(target)
    if hook is None:
        with step("Read the test user's stored credential through the inspection hook",
                  expect="the profile names an inspection hook (sql or command)"):
            raise NotApplicable(f"the profile has no inspection hook ([inspection] kind = "
                                f"\"{target.profile.inspection.kind}\"): the stored hash cannot be sent as the "
                                "password, so PLAN_015 stays inconclusive")
    stored, _ = read_stored_credential(step, hook, user)
    _refused_then_correct(api, step, user, "the stored credential as the password", stored, failure)
