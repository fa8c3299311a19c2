"""Inspection hooks read one user's stored credential, read-only, and the harness never shows it."""

import sqlite3
import sys
import textwrap

import pytest

from lhv.checks.credentials import reveals_no_credential
from lhv.core.errors import CheckFailed, ConfigError, TargetError
from lhv.core.secrets import SECRETS, SecretBook, hide_long_words
from lhv.device.users import PasswordScheme
from lhv.inspection.hooks import CommandHook, SqlHook

QUERY = "SELECT password_hash FROM users WHERE email = :username"


@pytest.fixture
def users_db(tmp_path):
    """A SQLite users table with one argon2id row and one plaintext row, as the device stores them."""
    path = tmp_path / "users.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users (email TEXT UNIQUE, password_hash TEXT)")
    db.execute("INSERT INTO users VALUES (?, ?)", ("a@example.org", PasswordScheme([]).hash("correct horse battery")))
    db.execute("INSERT INTO users VALUES (?, ?)", ("b@example.org", "plain password kept"))
    db.commit()
    db.close()
    return path


def test_sql_hook_reads_one_users_credential_and_registers_it_as_a_secret(users_db):
    hook = SqlHook(f"sqlite:///{users_db}", QUERY)
    stored = hook.stored_credential("a@example.org")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert stored in SECRETS.values()
    assert str(users_db) in hook.description and stored not in hook.description


def test_sql_hook_binds_the_username_as_a_parameter(users_db):
    hook = SqlHook(f"sqlite:///{users_db}", QUERY)
    with pytest.raises(TargetError, match="found nothing"):
        hook.stored_credential("x' OR '1'='1")


def test_sql_hook_is_read_only(users_db):
    hook = SqlHook(f"sqlite:///{users_db}", "DELETE FROM users WHERE email = :username RETURNING password_hash")
    with pytest.raises(TargetError, match="readonly|read-only|query_only"):
        hook.stored_credential("b@example.org")
    assert sqlite3.connect(users_db).execute("SELECT count(*) FROM users").fetchone() == (2,)


def test_sql_hook_refuses_ambiguous_queries_and_missing_databases(users_db, tmp_path):
    with pytest.raises(TargetError, match="2 values"):
        SqlHook(f"sqlite:///{users_db}", "SELECT password_hash FROM users WHERE :username = :username") \
            .stored_credential("a@example.org")
    with pytest.raises(TargetError, match="does not exist"):
        SqlHook(f"sqlite:///{tmp_path}/absent.sqlite3", QUERY).stored_credential("a@example.org")


@pytest.mark.parametrize(("url", "query", "key", "problem"), [
    ("sqlite:///x.db", "SELECT password_hash FROM users", "inspection.query", ":username"),
    ("sqlite:///x.db", "SELECT h FROM u WHERE e = ::username", "inspection.query", ":username"),
    ("mysql://db/users", QUERY, "inspection.database_url", "unsupported database"),
    ("sqlite://x.db", QUERY, "inspection.database_url", "sqlite:///"),
    ("postgresql://reader:s3cret@db/legit", QUERY, "inspection.database_url", "PGPASSWORD"),
])
def test_sql_hook_configuration_errors_name_the_profile_key(url, query, key, problem):
    with pytest.raises(ConfigError) as caught:
        SqlHook(url, query, source="pre.toml")
    assert caught.value.source == "pre.toml" and caught.value.field == key and problem in str(caught.value)


def _script(tmp_path, body: str) -> str:
    path = tmp_path / "hook.py"
    path.write_text(textwrap.dedent(body))
    return f"{sys.executable} {path}"


def test_command_hook_prints_the_credential_of_username(tmp_path):
    hook = CommandHook(_script(tmp_path, """
        import sys
        print({"a@example.org": "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"}[sys.argv[1]])
    """) + " {username}")
    stored = hook.stored_credential("a@example.org")
    assert stored == "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"
    assert stored in SECRETS.values()


def test_command_hook_passes_a_username_as_one_argument(tmp_path):
    hook = CommandHook(_script(tmp_path, "import sys; print(len(sys.argv) - 1, sys.argv[1])") + " {username}")
    assert hook.stored_credential("a b; rm -rf x") == "1 a b; rm -rf x"


def test_command_hook_failures_are_errors_that_hide_long_values(tmp_path):
    failing = CommandHook(_script(tmp_path, """
        import sys
        sys.exit("no such user; last value $argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$ZGlnZXN0ZGlnZXN0")
    """) + " {username}")
    with pytest.raises(TargetError) as caught:
        failing.stored_credential("a@example.org")
    assert "exited 1" in str(caught.value) and "c2FsdHNhbHQ" not in str(caught.value)
    silent = CommandHook(_script(tmp_path, "pass") + " {username}")
    with pytest.raises(TargetError, match="found nothing"):
        silent.stored_credential("a@example.org")


@pytest.mark.parametrize(("template", "problem"), [
    ("print-hash --user someone", "{username}"),
    ("no-such-command-for-lhv {username}", "command not found"),
])
def test_command_hook_configuration_errors_name_the_profile_key(template, problem):
    with pytest.raises(ConfigError) as caught:
        CommandHook(template, source="pre.toml").stored_credential("a@example.org")
    assert caught.value.field == "inspection.command" and problem in str(caught.value)


def test_hide_long_words_hides_what_may_be_a_credential():
    assert hide_long_words("user a@b.c has ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "user a@b.c has [long value hidden]"


@pytest.mark.parametrize("stored", [
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
    "pbkdf2_sha256$600000$saltsalt$aGFzaGhhc2hoYXNoaGFzaGhhc2g=",
    "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
    "scrypt:32768:8:1$saltsalt$0123456789abcdef",
])
def test_password_hashes_are_redacted_on_sight(stored):
    assert stored not in SecretBook().redact(f'{{"password_hash": "{stored}"}}')


def test_a_reply_that_echoes_a_hash_of_the_password_is_caught():
    import hashlib

    password = "correct horse battery"
    with pytest.raises(CheckFailed, match="sha256_hex"):
        reveals_no_credential(f'{{"id": 3, "digest": "{hashlib.sha256(password.encode()).hexdigest()}"}}',
                              "the reply", password)
    with pytest.raises(CheckFailed, match="argon2id"):
        reveals_no_credential(f'{{"hash": "{PasswordScheme([]).hash(password)}"}}', "the reply", password)
    with pytest.raises(CheckFailed, match="the password"):
        reveals_no_credential(f"added {password}", "the output", password)
    reveals_no_credential('{"id": 3, "email": "a@example.org", "role": "user"}', "the reply", password)


@pytest.mark.parametrize(("sections", "key"), [
    ('[inspection]\nkind = "sql"\nquery = "SELECT 1 WHERE :username"\n', "inspection.database_url"),
    ('[inspection]\nkind = "command"\n', "inspection.command"),
    ('[inspection]\nkind = "attestation"\n', "inspection.attestation"),
    ('[accounts]\nregistration = "command"\n', "accounts.command"),
])
def test_a_chosen_hook_without_its_settings_stops_at_profile_load(sections, key):
    from lhv.session.profile import parse_profile

    raw = ('[target]\nname = "pre"\nbase_url = "https://api.example.org"\n'
           '[credentials]\nuser = { username_env = "U", password_env = "P" }\n' + sections).encode()
    with pytest.raises(ConfigError) as caught:
        parse_profile(raw, "pre.toml")
    assert caught.value.source == "pre.toml" and caught.value.field == key and "required when" in str(caught.value)
