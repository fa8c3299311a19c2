"""The injection and contract-document faults of the reference device, in its real application (in-process): each
defect shows with its fault on and never on the clean device, in both dialects where the route exists."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lhv.contract.dialects import dialect_named
from lhv.contract.intents import Image
from lhv.device.app import create_app
from lhv.device.context import DeviceContext
from lhv.device.settings import DeviceSettings

PASSWORD = "a long enough password"
FIRST, SECOND = "first@example.org", "second@example.org"
IMAGE = Image.from_file(Path(__file__).resolve().parents[2] / "fixtures" / "images" / "acne.jpg")
SPLIT = "lhv\r\nX-Lhv-Injected: yes"
TRAVERSAL = "/static/..%2f..%2f..%2fetc%2fpasswd"


def _device(tmp_path: Path, *faults: str, dialect: str = "plan") -> TestClient:
    tmp_path.mkdir(parents=True, exist_ok=True)
    ctx = DeviceContext(DeviceSettings(state_dir=str(tmp_path), dialect=dialect, faults=list(faults)))
    ctx.users.add(FIRST, PASSWORD)
    ctx.users.add(SECOND, PASSWORD)
    return TestClient(create_app(ctx), base_url="https://testserver")


def _bearer(client: TestClient) -> dict[str, str]:
    token = client.post("/login", data={"username": SECOND, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _diagnose(client: TestClient, dialect: str, *, subject: str = "patient-1", content_type: str | None = None,
              path: str | None = None):
    image = IMAGE if content_type is None else Image(content_type, IMAGE.data, IMAGE.source)
    chosen = dialect_named(dialect)
    return client.post(path or chosen.route("diagnose").path, json=chosen.diagnosis_body([image], subject),
                       headers=_bearer(client))


@pytest.mark.parametrize("dialect", ["plan", "v2"])
def test_operator_shaped_login_keys_log_in_as_the_first_account_only_with_the_fault(tmp_path, dialect):
    form = {"username[$ne]": "lhv-nobody", "password[$ne]": "lhv-nobody"}
    assert _device(tmp_path / "clean", dialect=dialect).post("/login", data=form).status_code == 422
    client = _device(tmp_path / "faulty", "nosql-operator-login", dialect=dialect)
    reply = client.post("/login", data=form)
    assert reply.status_code == 200 and reply.json()["token_type"] == "bearer"
    me = client.get("/device-information", headers={"Authorization": f"Bearer {reply.json()['access_token']}"})
    assert me.status_code == 200
    # the ordinary login is untouched, and a plain wrong password under an operator name still gets nothing
    assert client.post("/login", data={"username": FIRST, "password": PASSWORD}).status_code == 200
    assert client.post("/login", data={"username[$ne]": "x", "password": "wrong password!"}).status_code == 422


def test_template_expressions_in_an_echoed_input_are_evaluated_only_with_the_fault(tmp_path):
    body = {"email": "{{7*7}} {{__import__('os')}}", "password": PASSWORD}
    clean = _device(tmp_path / "clean")
    faulty = _device(tmp_path / "faulty", "template-evaluated-errors")
    assert "{{7*7}}" in clean.post("/users", json=body, headers=_bearer(clean)).text
    reply = faulty.post("/users", json=body, headers=_bearer(faulty))
    assert reply.status_code == 422 and "49 {{__import__('os')}}" in reply.text  # arithmetic only, nothing else


def test_a_relative_static_path_serves_the_sandboxs_stand_in_passwd_only_with_the_fault(tmp_path):
    assert _device(tmp_path / "clean").get(TRAVERSAL).status_code == 404
    client = _device(tmp_path / "faulty", "static-path-traversal")
    reply = client.get(TRAVERSAL)
    assert reply.status_code == 200 and reply.text.startswith("root:x:0:0:")
    assert "lhv:x:1000:1000" in reply.text  # the sandbox's stand-in, never the host's file
    assert (tmp_path / "faulty" / "static-sandbox" / "etc" / "passwd").read_text() == reply.text
    assert client.get("/static/..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd").text == reply.text  # stops at /
    assert client.get("/static/index.txt").status_code == 200
    assert client.get("/static/..%2f..%2f..%2fetc%2fshadow").status_code == 404


@pytest.mark.parametrize("dialect", ["plan", "v2"])
def test_a_cr_lf_in_the_subject_becomes_a_header_only_with_the_fault(tmp_path, dialect):
    clean = _diagnose(_device(tmp_path / "clean", dialect=dialect), dialect, subject=SPLIT)
    assert clean.status_code == 200 and "x-lhv-injected" not in clean.headers
    reply = _diagnose(_device(tmp_path / "faulty", "header-splitting", dialect=dialect), dialect, subject=SPLIT)
    assert reply.status_code == 200
    assert reply.headers["x-lhv-injected"] == "yes" and reply.headers["x-subject-reference"] == "lhv"
    assert int(reply.headers["content-length"]) == len(reply.content)


@pytest.mark.parametrize("dialect", ["plan", "v2"])
def test_shell_syntax_in_the_content_type_brings_back_simulated_output_only_with_the_fault(tmp_path, dialect):
    injected = "image/jpeg$(id)"
    clean = _diagnose(_device(tmp_path / "clean", dialect=dialect), dialect, content_type=injected)
    assert clean.status_code == 422 and "uid=" not in clean.text
    client = _device(tmp_path / "faulty", "shell-in-image-check", dialect=dialect)
    reply = _diagnose(client, dialect, content_type=injected)
    assert reply.status_code == 422 and "uid=1000(lhv) gid=1000(lhv)" in reply.text
    assert _diagnose(client, dialect, content_type="image/gif").text.count("uid=") == 0  # no shell syntax, no output


def test_the_login_refuses_with_oauth2_400s_only_with_the_fault(tmp_path):
    clean = _device(tmp_path / "clean")
    assert clean.post("/login", data={"username": FIRST, "password": "wrong password!"}).status_code == 401
    client = _device(tmp_path / "faulty", "login-invalid-grant")
    wrong = client.post("/login", data={"username": FIRST, "password": "wrong password!"})
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert "www-authenticate" not in wrong.headers
    missing = client.post("/login", data={"username": FIRST})
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    assert client.post("/login", data={"username": FIRST, "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize("dialect", ["plan", "v2"])
def test_unparsable_clinical_bodies_get_200_while_image_errors_keep_422_only_with_the_fault(tmp_path, dialect):
    path = dialect_named(dialect).route("diagnose").path
    clean = _device(tmp_path / "clean", dialect=dialect)
    assert clean.post(path, json=["not", "an", "object"], headers=_bearer(clean)).status_code == 422
    client = _device(tmp_path / "faulty", "parse-errors-answered-200", dialect=dialect)
    reply = client.post(path, json=["not", "an", "object"], headers=_bearer(client))
    assert reply.status_code == 200 and reply.json()["resourceType"] == "OperationOutcome"
    assert _diagnose(client, dialect, content_type="image/gif").status_code == 422  # an image error: still refused


@pytest.mark.parametrize("dialect", ["plan", "v2"])
def test_diagnosis_answers_at_another_path_only_with_the_fault(tmp_path, dialect):
    assert _diagnose(_device(tmp_path / "clean", dialect=dialect), dialect).status_code == 200
    client = _device(tmp_path / "faulty", "diagnosis-route-moved", dialect=dialect)
    assert _diagnose(client, dialect).status_code == 404
    assert _diagnose(client, dialect, path="/diagnosis").status_code == 200
