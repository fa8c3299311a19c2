"""PLAN_004 Enforcing HTTPS protocol for API communications.

Purpose: every route of the dialect sent over plain HTTP as a valid request (a POST /login with valid
credentials, bearer routes with a valid token, POST routes with a valid body), is redirected (301/302/307/308)
to the same host and path over HTTPS, or refused (no connection, or a 4xx without a token); it never returns
data or a token. Every route's HTTPS answers, valid or refused for want of a token, carry Strict-Transport-Security with
max-age of at least 180 days.
The test user's password and token cross plain HTTP on purpose: that is what this plan proves harmless.
"""

import re

from lhv.checks.outcomes import require
from lhv.checks.replies import header_present, no_token_in
from lhv.harness.transport_steps import (
    REDIRECTS,
    plain_route,
    require_https_redirect_or_refusal,
    send_plain,
    valid_request,
)

PLAN_ID = "PLAN_004"
MIN_HSTS_MAX_AGE = 15552000  # 180 days (CONTRACT.md §1)


def test_plain_http_never_serves_data(target, api, accounts, clinic, step):
    """Every route of the dialect sent over plain HTTP, as a valid request, is redirected to the same path over
    HTTPS or refused."""
    token = api.fresh_token(accounts.user)  # fresh: the routes must be judged with a token they would accept
    for intent in api.dialect.routes:
        route, kwargs = valid_request(api, clinic, accounts, intent, token)
        plain = plain_route(target, route)
        with step(f"Send {route.method} {route.path} over plain HTTP ({plain.url})"
                  + (" with valid credentials" if "form" in kwargs else " with a valid token" if "token" in kwargs
                     else "") + (" and a valid body" if kwargs.get("json_body") else ""),
                  expect=f"{'/'.join(map(str, REDIRECTS))} to {plain.https_target}, or refused; "
                         "no data and no token", carry_on=True):
            reply = send_plain(api, route, plain, "https-redirect-or-refusal", **kwargs)
            if reply is None:
                continue
            no_token_in(reply)
            require_https_redirect_or_refusal(reply, plain, "https-redirect-or-refusal")


def test_https_responses_carry_hsts(target, api, accounts, clinic, step):
    """Every route's HTTPS answers, to a valid request and to one without its token, carry Strict-Transport-Security
    with max-age of at least 180 days."""
    token = api.fresh_token(accounts.user)
    for intent in api.dialect.routes:
        route, kwargs = valid_request(api, clinic, accounts, intent, token)
        for valid in (True, False) if route.needs_token else (True,):
            sent = kwargs if valid else {key: value for key, value in kwargs.items() if key != "token"}
            with step(f"Send {route.method} {route.path} over HTTPS as a valid request" if valid else
                      f"Send {route.method} {route.path} over HTTPS without a token",
                      expect=f"Strict-Transport-Security with max-age ≥ {MIN_HSTS_MAX_AGE}"
                             + ("" if valid else ", on the error too"), carry_on=True):
                reply = api.client.request(route.method, route.path, **sent)
                value = header_present(reply, "Strict-Transport-Security")
                found = re.search(r"(?i)max-age\s*=\s*\"?(\d+)", value)
                age = int(found.group(1)) if found else None
                require("hsts-max-age", age is not None and age >= MIN_HSTS_MAX_AGE,
                        f"max-age is {age} (at least {MIN_HSTS_MAX_AGE} required)", f"max-age={age}")
