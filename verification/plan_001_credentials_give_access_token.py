"""PLAN_001 Users submit their credentials to receive an access token.

Purpose: a user who sends valid credentials to /login gets a JWT that the protected routes
accept; a wrong password or an unknown user gets 401 with the same body (no enumeration);
a malformed login gets 422.
"""

import math
import time

from lhv.checks.outcomes import require
from lhv.checks.replies import detail_list, jwt_claims, jwt_header, no_token_in, same_body, status_is

PLAN_ID = "PLAN_001"


def test_valid_credentials_give_a_usable_token(api, accounts, step, target):
    """Valid credentials give a three-part JWT for the user, accepted on a protected route."""
    user = accounts.user
    with step("Send the test user's e-mail and password as a form to /login", expect="200 with an access token"):
        reply = api.login(user)
        status_is(reply, 200)
        grant = api.dialect.read_token(reply)
    with step("Decode the token's header and claims",
              expect="three parts signed RS256; sub is the user; exp lies in the future"):
        claims = jwt_claims(grant.access_token)
        algorithm = jwt_header(grant.access_token).get("alg")
        require("token-signed-rs256", algorithm == "RS256", f"the token is signed {algorithm!r}, not RS256",
                "the token is signed RS256")
        require("sub-is-user", str(claims.get("sub", "")).lower() == user.username.lower(),
                f"sub is {claims.get('sub')!r}, not the user who logged in", "sub is the user who logged in")
        exp = claims.get("exp")
        ahead = exp - time.time() if isinstance(exp, (int, float)) else None
        require("exp-in-future", ahead is not None and ahead > 0,
                f"exp {exp!r} is not a time in the future", f"exp is {ahead or 0:.0f} s ahead")
    with step("Read the login reply's token type and lifetime",
              expect="a token type (its text is free); expires_in_minutes agrees with the token's exp − iat"):
        require("token-type-given", bool(grant.token_type.strip()), "the login reply has no token_type text",
                f"token_type {grant.token_type!r}")
        minutes = grant.lifetime_seconds // 60 if grant.lifetime_seconds is not None else None
        lifetime = exp - claims.get("iat", time.time()) if isinstance(exp, (int, float)) else None
        stated = {max(1, math.floor(lifetime / 60)), max(1, math.ceil(lifetime / 60))} if lifetime else set()
        require("lifetime-minutes-agree", minutes in stated,
                f"expires_in_minutes is {minutes!r}; the token's exp − iat ({lifetime} s) gives "
                f"{' or '.join(map(str, sorted(stated))) or 'no'} whole minute(s)",
                f"expires_in_minutes {minutes} agrees with exp − iat ({lifetime} s)")
    release = target.profile.target.release
    with step("Call a protected route (device information) with the token",
              expect="200 with the device's name, manufacturer and version" +
                     (f"; the version is the release under test, {release}" if release else "")):
        reply = api.call("device_information", token=grant.access_token)
        status_is(reply, 200)
        version = api.dialect.read_device_info(reply).version
        if release:
            require("version-is-release", version == release,
                    f"the device reports version {version!r}, the profile's release under test is {release!r}",
                    f"version {version!r} is the release under test")


def test_wrong_password_and_unknown_user_are_refused_alike(api, accounts, step, target):
    """A wrong password and an unknown user both get the contract's failure status with identical bodies."""
    failure = target.profile.auth.login_failure_status
    user, stranger = accounts.user, accounts.new_identity("unknown-user")
    with step("Send the test user's e-mail with a wrong password", expect=f"{failure}, no token"):
        wrong_password = api.login(user, password=user.password + "-wrong")
        status_is(wrong_password, failure)
        no_token_in(wrong_password)
    with step("Send an e-mail that belongs to no user", expect=f"{failure}, no token"):
        unknown = api.login(stranger)
        status_is(unknown, failure)
        no_token_in(unknown)
    with step("Compare the two refusals", expect="identical status and body: nothing tells whether the user exists"):
        same_body(wrong_password, unknown, "wrong password vs unknown user")


def test_malformed_login_gets_422(api, accounts, step):
    """A login form missing a field gets 422 with a detail list, and no token."""
    with step("Send a login form without the password field", expect="422 with a detail list"):
        reply = api.login_raw({"username": accounts.user.username})
        status_is(reply, 422)
        detail_list(reply)
        no_token_in(reply)
    with step("Send a login form without the username field", expect="422 with a detail list"):
        reply = api.login_raw({"password": "irrelevant-password"})
        status_is(reply, 422)
        detail_list(reply)
