"""PLAN_003 Account lockout for user authentication.

Purpose: on disposable accounts, N−1 failed logins do not lock and a success resets the
count; N failures lock the account so that even the correct password gets no token; another
account is unaffected; after the lock period the account logs in again.
"""

import time

from lhv.checks import no_token_in, require, status_is
from lhv.errors import Inconclusive

PLAN_ID = "PLAN_003"


def _fail_logins(api, account, times, failure_status):
    for _ in range(times):
        status_is(api.login(account, password=account.password + "-wrong"), failure_status)


def test_failures_below_the_threshold_do_not_lock(api, accounts, step, target):
    """N−1 failures, then the correct password, works; the success resets the count."""
    auth = target.profile.auth
    account = accounts.disposable("lockout-below")
    for round_number in (1, 2):
        with step(f"Round {round_number}: send {auth.lockout_threshold - 1} wrong passwords",
                  expect=f"each refused with {auth.login_failure_status}"):
            _fail_logins(api, account, auth.lockout_threshold - 1, auth.login_failure_status)
        with step(f"Round {round_number}: send the correct password", expect="200 with a token"):
            reply = api.login(account)
            status_is(reply, 200)
            api.dialect.read_token(reply)


def test_threshold_failures_lock_only_that_account_for_the_period(api, accounts, step, target):
    """N failures lock the account (correct password refused), not another account, and the lock lifts."""
    auth = target.profile.auth
    locked, bystander = accounts.disposable("lockout-locked"), accounts.disposable("lockout-bystander")
    with step(f"Send {auth.lockout_threshold} wrong passwords for one account",
              expect=f"each refused with {auth.login_failure_status}"):
        _fail_logins(api, locked, auth.lockout_threshold, auth.login_failure_status)
    with step("Send the correct password for that account",
              expect=f"no token; status {' or '.join(map(str, auth.locked_statuses))}"):
        reply = api.login(locked)
        no_token_in(reply)
        status_is(reply, *auth.locked_statuses)
        retry_after = reply.headers.get("Retry-After")
        step.note(f"Retry-After: {retry_after}" if retry_after else "no Retry-After header")
    with step("Log in to another account from the same client", expect="200: the lock is per account"):
        status_is(api.login(bystander), 200)
    wait = auth.lockout_seconds + auth.clock_skew_seconds
    if wait > auth.max_wait_seconds:
        raise Inconclusive(f"the lock period ({auth.lockout_seconds} s) exceeds the run's wait limit "
                           f"({auth.max_wait_seconds} s, auth.max_wait_seconds): the lift was not observed")
    with step(f"Wait out the lock period ({wait} s)", expect="the period has passed"):
        started = time.monotonic()
        time.sleep(wait)
        require("lock-period-waited", time.monotonic() - started >= auth.lockout_seconds,
                "the wait ended before the lock period", f"waited {time.monotonic() - started:.1f} s")
    with step("Send the correct password again", expect="200 with a token: the lock has lifted"):
        reply = api.login(locked)
        status_is(reply, 200)
        api.dialect.read_token(reply)
