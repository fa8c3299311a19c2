"""The route map: named layouts, a profile's [routes] over a dialect's defaults, its validation, the OpenAPI
document's paths and the device's translation follow it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from lhv.contract.dialects import dialect_named
from lhv.contract.dialects.base import LAYOUTS, moved_paths, parse_route
from lhv.core.errors import ConfigError
from lhv.session.profile import parse_profile

MINIMAL = ('[target]\nname = "t"\nembedded = true\ndialect = "{dialect}"\n'
           '[credentials]\nuser = {{ username_env = "U", password_env = "P" }}\n')
LAYOUT = "release-1.1.0.0"


def _profile(routes: str, dialect: str = "plan"):
    return parse_profile((MINIMAL.format(dialect=dialect) + routes).encode(), "p.toml")


def _refusal(routes: str, dialect: str = "plan") -> str:
    with pytest.raises(ConfigError) as caught:
        _profile(routes, dialect)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(("text", "expected"), [("POST /auth/login", ("POST", "/auth/login")),
                                                ("get  /device/about", ("GET", "/device/about")),
                                                ("GET /", ("GET", "/"))])
def test_a_route_is_read_as_method_and_path(text, expected):
    assert parse_route(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("FETCH /x", "not an HTTP method"), ("POST x", 'does not start with "/"'), ("/x", 'is not "METHOD /path"'),
    ("POST /x extra", "METHOD /path"), ("GET /x?y=1", "not a plain path"), ("GET //x", "not a plain path")])
def test_a_malformed_route_says_what_is_wrong(text, problem):
    with pytest.raises(ValueError, match=problem.replace("?", r"\?")):
        parse_route(text)


def test_without_a_routes_section_every_route_is_the_dialects_default():
    for dialect in ("plan", "v2"):
        profile = _profile("", dialect)
        assert profile.routes.resolved() == {}
        assert dialect_named(dialect).remapped(profile.routes.resolved()).routes == dialect_named(dialect).routes
        assert dialect_named(dialect).moved() == {}


@pytest.mark.parametrize("dialect", ["plan", "v2"])
def test_the_release_layout_moves_its_five_routes_and_keeps_the_others(dialect):
    default = dialect_named(dialect)
    routed = default.remapped(_profile(f'[routes]\nlayout = "{LAYOUT}"\n', dialect).routes.resolved())
    assert {intent: f"{r.method} {r.path}" for intent, r in routed.routes.items() if intent in LAYOUTS[LAYOUT]} \
        == LAYOUTS[LAYOUT]
    assert routed.route("login").path == "/auth/login" and routed.route("health").path == "/device/health"
    assert routed.route("assess_severity").path == "/clinical/severity-assessment"
    for intent in set(default.routes) - set(LAYOUTS[LAYOUT]):
        assert routed.route(intent) == default.route(intent)
    for intent, route in routed.routes.items():  # the map moves a route; whether it needs a token stays
        assert route.needs_token == default.route(intent).needs_token
    assert routed.moved()[("POST", default.route("assess_severity").path)] == ("POST", "/clinical/severity-assessment")
    assert len(routed.moved()) == 5


def test_the_profiles_map_goes_over_the_layout():
    profile = _profile(f'[routes]\nlayout = "{LAYOUT}"\n[routes.map]\ndiagnose = "POST /v9/diagnose"\n'
                       'register = "PUT /accounts"\n')
    routed = dialect_named("plan").remapped(profile.routes.resolved())
    assert routed.route("diagnose").path == "/v9/diagnose" and routed.route("login").path == "/auth/login"
    assert (routed.route("register").method, routed.route("register").path) == ("PUT", "/accounts")


@pytest.mark.parametrize(("routes", "key", "problem"), [
    ('[routes.map]\nbrew_coffee = "POST /coffee"\n', "routes.map.brew_coffee", "not an intent of the plan dialect"),
    ('[routes.map]\nlogin = "FETCH /auth/login"\n', "routes.map.login", "'FETCH' is not an HTTP method"),
    ('[routes.map]\nlogin = "POST auth/login"\n', "routes.map.login", 'does not start with "/"'),
    ('[routes.map]\nlogin = "POST"\n', "routes.map.login", "METHOD /path"),
    ('[routes]\nlayout = "release-9"\n', "routes.layout", "not a named route layout (release-1.1.0.0)"),
    ('[routes.map]\nlogin = "POST /users"\n', "routes.map.login", "POST /users would serve both login and register"),
    ('[routes]\nprefix = "/v1"\n', "routes.prefix", "unknown key"),
])
def test_a_wrong_routes_key_is_one_line_naming_it(routes, key, problem):
    message = _refusal(routes)
    assert f"p.toml: {key}: " in message and problem in message, message


def test_an_intent_only_another_dialect_has_is_refused_naming_the_dialect():
    v2_only = set(dialect_named("v2").routes) - set(dialect_named("plan").routes)
    for intent in v2_only:  # the questionnaire-only route, once v2 has it
        assert "not an intent of the plan dialect" in _refusal(f'[routes.map]\n{intent} = "POST /m"\n')
        assert _profile(f'[routes.map]\n{intent} = "POST /m"\n', "v2").routes.map == {intent: "POST /m"}


def test_the_openapi_paths_move_with_the_map_and_keep_the_rest():
    paths = {"/login": {"post": {"operationId": "login"}, "parameters": [{"name": "x"}]},
             "/health": {"get": {"operationId": "health"}}, "/users": {"post": {"operationId": "register"}}}
    moved = moved_paths(paths, {("POST", "/login"): ("POST", "/auth/login"),
                                ("GET", "/health"): ("GET", "/device/health")})
    assert moved == {"/auth/login": {"post": {"operationId": "login"}, "parameters": [{"name": "x"}]},
                     "/device/health": {"get": {"operationId": "health"}},
                     "/users": {"post": {"operationId": "register"}}}


@pytest.mark.parametrize("dialect", ["plan", "v2"])
def test_the_fuzzing_document_names_the_profiles_routes(dialect):
    from lhv.fuzz.document import document_for, operations

    plain = {(method.upper(), path) for path, method, _ in operations(document_for(_profile("", dialect))[0])}
    routed_profile = _profile(f'[routes]\nlayout = "{LAYOUT}"\n', dialect)
    routed = {(method.upper(), path) for path, method, _ in operations(document_for(routed_profile)[0])}
    moves = dialect_named(dialect).remapped(routed_profile.routes.resolved()).moved()
    assert set(moves) <= plain and not set(moves) & routed
    assert routed == (plain - set(moves)) | set(moves.values())


def _device(tmp_path, routes):
    from lhv.device.app import create_app
    from lhv.device.context import DeviceContext
    from lhv.device.settings import DeviceSettings

    ctx = DeviceContext(DeviceSettings(state_dir=str(tmp_path), routes=routes))
    return TestClient(create_app(ctx), base_url="https://testserver"), ctx


def test_the_device_serves_the_layout_and_not_the_routes_it_moves(tmp_path):
    client, _ = _device(tmp_path, dict(LAYOUTS[LAYOUT]))
    assert client.get("/device/health").json() == {"status": "ok"}
    assert client.get("/health").status_code == 404 and client.post("/login").status_code == 404
    assert client.post("/auth/login").status_code == 422  # the login route, without its form
    assert client.get("/auth/login").status_code == 405  # a mapped path asked with another method
    assert client.get("/device/about").status_code == 401 and client.get("/").status_code == 200
    assert client.post("/users").status_code not in (404, 405)  # not moved: served where it was
    paths = client.app.openapi()["paths"]
    assert {"/auth/login", "/device/about", "/device/health", "/clinical/diagnosis-support"} <= set(paths)
    assert not {"/login", "/health", "/device-information", "/diagnosis-support"} & set(paths)


def test_the_device_without_a_map_serves_its_defaults(tmp_path):
    client, _ = _device(tmp_path, {})
    assert client.get("/health").status_code == 200 and client.get("/device/health").status_code == 404


def test_the_devices_log_names_the_path_the_client_sent(tmp_path):
    import json

    _, ctx = _device(tmp_path, dict(LAYOUTS[LAYOUT]))
    ctx.log.write("rate_limit_exceeded", method="GET", path="/device-information")
    ctx.log.write("server_error", path="/users")
    lines = [json.loads(line) for line in (tmp_path / "device.log").read_text().splitlines()]
    assert [line["path"] for line in lines[-2:]] == ["/device/about", "/users"]
