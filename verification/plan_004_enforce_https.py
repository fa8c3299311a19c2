"""PLAN_004 Enforcing HTTPS protocol for API communications.

Purpose: every route of the dialect sent over plain HTTP as a valid request (a POST /login with valid
credentials, bearer routes with a valid token, POST routes with a valid body), is redirected (301/302/307/308) to the same host
and path over HTTPS, or refused (no connection, or a 4xx without a token); it never returns data or a
token. Every HTTPS response carries Strict-Transport-Security with max-age of at least 180 days.
The test user's password and token cross plain HTTP on purpose: that is what this plan proves harmless.
"""

import re

from lhv.checks import header_present, no_token_in, require
from lhv.harness.transport_steps import REDIRECTS, plain_route, require_https_redirect_or_refusal, send_plain

PLAN_ID = "PLAN_004"
MIN_HSTS_MAX_AGE = 15552000  # 180 days (CONTRACT.md §1)
HTTPS_SAMPLES = (("root", False), ("health", False), ("device_information", True), ("device_information", False))


def _request_for(api, clinic, accounts, intent, token):
    """Returns (route, keyword arguments) that exercise an intent as a legitimate client would: real credentials,
    a real token and a valid body, so that a 4xx can only mean the route refused plain HTTP."""
    route = api.dialect.route(intent)
    if intent == "login":
        return route, {"form": api.dialect.login_form(accounts.user.username, accounts.user.password)}
    kwargs = {"token": token} if route.needs_token else {}
    if intent == "register":
        identity = accounts.new_identity("plain-http")
        kwargs["json_body"] = api.dialect.registration_body(identity.username, identity.password, None)
    elif route.method in ("POST", "PUT", "PATCH"):
        valid = clinic.payloads(intent, valid=True)
        kwargs["json_body"] = valid[0].resolved(clinic.images_dir) if valid else {}
    return route, kwargs


def test_plain_http_never_serves_data(target, api, accounts, clinic, step):
    """Every route of the dialect sent over plain HTTP, as a valid request, is redirected to the same path over
    HTTPS or refused."""
    token = api.fresh_token(accounts.user)  # fresh: the routes must be judged with a token they would accept
    for intent in api.dialect.routes:
        route, kwargs = _request_for(api, clinic, accounts, intent, token)
        plain = plain_route(target, route)
        with step(f"Send {route.method} {route.path} over plain HTTP ({plain.url})"
                  + (" with valid credentials" if "form" in kwargs else " with a valid token" if "token" in kwargs
                     else "") + (" and a valid body" if kwargs.get("json_body") else ""),
                  expect=f"{'/'.join(map(str, REDIRECTS))} to {plain.https_target}, or refused; "
                         "no data and no token"):
            reply = send_plain(api, route, plain, "https-redirect-or-refusal", **kwargs)
            if reply is None:
                continue
            no_token_in(reply)
            require_https_redirect_or_refusal(reply, plain, "https-redirect-or-refusal")


def test_https_responses_carry_hsts(target, api, accounts, step):
    """HTTPS responses carry Strict-Transport-Security with max-age of at least 180 days."""
    for intent, with_token in HTTPS_SAMPLES:
        route = api.dialect.route(intent)
        with step(f"Send {route.method} {route.path} over HTTPS"
                  + (" with a valid token" if with_token else " without a token" if route.needs_token else ""),
                  expect=f"Strict-Transport-Security with max-age ≥ {MIN_HSTS_MAX_AGE}, on errors too"):
            token = api.fresh_token(accounts.user) if with_token else None
            reply = api.client.request(route.method, route.path, token=token)
            value = header_present(reply, "Strict-Transport-Security")
            found = re.search(r"(?i)max-age\s*=\s*\"?(\d+)", value)
            age = int(found.group(1)) if found else None
            require("hsts-max-age", age is not None and age >= MIN_HSTS_MAX_AGE,
                    f"max-age is {age} (at least {MIN_HSTS_MAX_AGE} required)", f"max-age={age}")
