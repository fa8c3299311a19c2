"""`lhv device add-user` registers a user as the device would, taking the password only from stdin or env."""

import io
import sqlite3

import pytest

from lhv.app.cli import main
from lhv.checks.hashes import recognise
from lhv.device.settings import DeviceSettings

PASSWORD = "a long enough password"


@pytest.fixture
def state_dir(tmp_path):
    return tmp_path


def _add(monkeypatch, state_dir, *args, stdin="", env=None):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    monkeypatch.delenv("LHV_NEW_PASSWORD", raising=False)
    if env is not None:
        monkeypatch.setenv("LHV_NEW_PASSWORD", env)
    return main(["device", "add-user", "--state-dir", str(state_dir), *args])


def _stored(state_dir, email):
    db = sqlite3.connect(state_dir / "users.sqlite3")
    return db.execute("SELECT password_hash, role FROM users WHERE email = ?", (email,)).fetchone()


def test_password_from_stdin_is_stored_as_argon2id(monkeypatch, capsys, state_dir):
    assert _add(monkeypatch, state_dir, "new@example.org", stdin=PASSWORD + "\n") == 0
    stored, role = _stored(state_dir, "new@example.org")
    assert recognise(stored, PASSWORD).scheme == "argon2id" and role == "user"
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err and stored not in out.out + out.err


def test_password_from_environment_and_role(monkeypatch, state_dir):
    assert _add(monkeypatch, state_dir, "boss@example.org", "--role", "admin", env=PASSWORD) == 0
    assert _stored(state_dir, "boss@example.org")[1] == "admin"


def test_a_password_with_trailing_spaces_is_kept_whole(monkeypatch, state_dir):
    from lhv.device.users import PasswordScheme

    assert _add(monkeypatch, state_dir, "spaces@example.org", stdin=PASSWORD + "  \n") == 0
    stored = _stored(state_dir, "spaces@example.org")[0]
    assert PasswordScheme([]).verify(stored, PASSWORD + "  ") and not PasswordScheme([]).verify(stored, PASSWORD)


def test_the_device_faults_in_the_state_dir_decide_the_hashing(monkeypatch, state_dir):
    DeviceSettings(state_dir=str(state_dir), faults=["unsalted-fast-hash"]).save(state_dir / "settings.json")
    assert _add(monkeypatch, state_dir, "weak@example.org", stdin=PASSWORD) == 0
    assert recognise(_stored(state_dir, "weak@example.org")[0], PASSWORD).scheme == "sha256_hex"


@pytest.mark.parametrize(("args", "stdin", "code", "message"), [
    (["short@example.org"], "too short", 1, "at least 12 characters"),
    (["not-an-email"], PASSWORD, 1, "email"),
    (["nopass@example.org"], "", 2, "no password"),
])
def test_refusals_say_why_without_the_password(monkeypatch, capsys, state_dir, args, stdin, code, message):
    assert _add(monkeypatch, state_dir, *args, stdin=stdin) == code
    err = capsys.readouterr().err
    assert message in err and (not stdin or stdin not in err)


def test_a_duplicate_is_refused_and_changes_nothing(monkeypatch, capsys, state_dir):
    assert _add(monkeypatch, state_dir, "dup@example.org", stdin=PASSWORD) == 0
    before = _stored(state_dir, "dup@example.org")
    assert _add(monkeypatch, state_dir, "dup@example.org", stdin="another long password") == 1
    assert "already exists" in capsys.readouterr().err and _stored(state_dir, "dup@example.org") == before


def test_a_missing_state_dir_is_refused(monkeypatch, capsys, tmp_path):
    assert _add(monkeypatch, tmp_path / "absent", "x@example.org", stdin=PASSWORD) == 1
    assert "not a device state directory" in capsys.readouterr().err


def test_the_password_cannot_be_given_as_an_argument(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["device", "add-user", "--state-dir", "x", "--password", PASSWORD, "x@example.org"])
    assert caught.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err
