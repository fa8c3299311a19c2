"""PLAN_002 Token expiration in user authentication process.

Purpose: a token's exp lies one profile lifetime after its issue (± clock skew); the token
works before it expires, late in its life too, and gets 401 with WWW-Authenticate after, on every bearer route.
When the lifetime is longer than a run may wait,
a token saved by an earlier run (the profile's token vault) is replayed after it expired.
"""

import datetime as dt
import time

from lhv.checks.outcomes import require
from lhv.checks.replies import header_present, jwt_claims, status_is
from lhv.core.errors import Inconclusive
from lhv.harness.transport_steps import valid_request
from lhv.session.vault import TokenVault

PLAN_ID = "PLAN_002"
LATE_MARGIN_S = 0.5  # the late call goes out this long before exp − clock skew


def _fresh_token(api, user, step):
    """Logs in; returns the token and about when the device issued it (half-way through the exchange, which starts
    only once the pacer lets the login go)."""
    with step("Log in as the test user", expect="200 with an access token"):
        reply = api.login(user)
        issued_around = time.time() - reply.exchange.elapsed_ms / 2000
        status_is(reply, 200)
        return api.dialect.read_token(reply).access_token, issued_around


def test_exp_matches_the_profile_lifetime(api, accounts, step, target):
    """The token's exp is its issue time plus the profile's lifetime, within the clock skew."""
    auth = target.profile.auth
    token, issued_around = _fresh_token(api, accounts.user, step)
    with step(f"Compare exp − now with the profile's lifetime ({auth.token_lifetime_seconds} s)",
              expect=f"within ±{auth.clock_skew_seconds} s"):
        exp = jwt_claims(token).get("exp")
        require("exp-present", isinstance(exp, (int, float)), "the token has no numeric exp claim")
        lifetime = exp - issued_around
        require("lifetime-as-profile", abs(lifetime - auth.token_lifetime_seconds) <= auth.clock_skew_seconds,
                f"exp − now = {lifetime:.0f} s, profile says {auth.token_lifetime_seconds} s",
                f"exp − now = {lifetime:.0f} s")


def test_token_works_until_it_expires_then_gets_401(api, accounts, clinic, step, target):
    """The token is accepted before expiry and refused with 401 after on every bearer route (waited out, or replayed
    from the vault)."""
    auth = target.profile.auth
    user = accounts.user
    token, _ = _fresh_token(api, user, step)
    with step("Call a protected route with the fresh token", expect="200"):
        status_is(api.call("device_information", token=token), 200)
    exp = jwt_claims(token).get("exp")
    wait = (exp if isinstance(exp, (int, float)) else time.time() + auth.token_lifetime_seconds) \
        - time.time() + auth.clock_skew_seconds + 1
    if wait <= auth.max_wait_seconds:
        _works_shortly_before_expiry(api, token, exp, step, auth)
        with step(f"Wait until the token has expired ({wait:.0f} s: lifetime plus clock skew)",
                  expect="the wait ends after exp"):
            until = (exp if isinstance(exp, (int, float)) else time.time() + wait) + auth.clock_skew_seconds + 1
            step.wait(until - time.time(), "the token to expire (its lifetime plus the clock skew)")
            require("waited-past-exp", isinstance(exp, (int, float)) and time.time() > exp + auth.clock_skew_seconds,
                    f"exp {exp!r} is not passed after waiting the profile's lifetime",
                    f"now is {time.time() - exp:.1f} s past exp" if isinstance(exp, (int, float)) else "")
        expired = token
    else:
        expired = _replay_from_vault(api, user, token, exp, step, target)
    for intent, route in api.dialect.routes.items():
        if not route.needs_token or (intent == "register" and accounts.registration != "http"):
            continue  # a target that registers by command need not offer POST /users
        _, request = valid_request(api, clinic, accounts, intent, expired)
        with step(f"Call {route.method} {route.path} with the expired token" + (" and a valid body" if
                  request.get("json_body") else ""), expect="401 with WWW-Authenticate: Bearer", carry_on=True):
            reply = api.client.request(route.method, route.path, **request)
            status_is(reply, 401)
            header_present(reply, "WWW-Authenticate")


def _works_shortly_before_expiry(api, token, exp, step, auth):
    """The token still works late in its life, not only at its ends: a lifetime much shorter than exp says fails."""
    late = (exp if isinstance(exp, (int, float)) else 0) - auth.clock_skew_seconds - LATE_MARGIN_S
    if late <= time.time():
        step.note(f"no time left before exp − clock skew for a call late in the token's life (skew "
                  f"{auth.clock_skew_seconds} s)")
        return
    with step("Call the protected route again late in the token's life "
              f"(exp − {auth.clock_skew_seconds + LATE_MARGIN_S:g} s)",
              expect="200: the token lasts the lifetime its exp states"):
        step.wait(late - time.time(), "a moment late in the token's life")
        sent = time.time()
        reply = api.call("device_information", token=token)
        if reply.status != 200 and sent > exp - auth.clock_skew_seconds:
            raise Inconclusive(f"the call went out {sent - late:.1f} s late (a busy machine), within the clock skew "
                               "of exp: its refusal proves nothing")
        status_is(reply, 200)


def _replay_from_vault(api, user, token, exp, step, target):
    auth = target.profile.auth
    vault = TokenVault(auth.token_vault, target.profile.source)
    key = f"{target.base_url} {user.username}"
    with step("Save the fresh token in the token vault for a later run, and take an expired one",
              expect="the vault holds a token of an earlier run that has expired"):
        vault.deposit(key, token,
                      float(exp) if isinstance(exp, (int, float)) else time.time() + auth.token_lifetime_seconds)
        old = vault.take_expired(key, auth.clock_skew_seconds)
        if old is None:
            soonest = vault.next_expiry(key)
            when = dt.datetime.fromtimestamp(soonest, dt.UTC).isoformat(timespec="minutes") if soonest else "?"
            raise Inconclusive(f"the lifetime ({auth.token_lifetime_seconds} s) exceeds the run's wait limit "
                               f"({auth.max_wait_seconds} s) and the vault {vault.path} holds no expired token yet; "
                               f"this run saved one: run again after {when} UTC")
        saved = dt.datetime.fromtimestamp(old.saved_at, dt.UTC).isoformat(timespec="seconds")
        require("vault-token-expired", old.expires_at + auth.clock_skew_seconds < time.time(),
                "the vault's token has not expired", f"replaying a token saved at {saved} UTC by an earlier run, "
                f"expired {time.time() - old.expires_at:.0f} s ago")
    return old.token
