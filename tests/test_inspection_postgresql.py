"""The SQL inspection hook and PLAN_014's checks against a real PostgreSQL server started for the test."""

import psycopg
import pytest

from lhv.checks.credentials import hashes_differ, is_salted_slow_hash, meets_minimums, stored_is_not_password
from lhv.checks.hashes import load_minimums, recognise
from lhv.core.errors import CheckFailed, TargetError
from lhv.core.secrets import SECRETS
from lhv.device.users import PasswordScheme
from lhv.inspection.hooks import SqlHook
from tests.pg import postgres_server

PASSWORD = "one password for two users"
QUERY = "SELECT password_hash FROM accounts.users WHERE lower(email) = lower(:username)::text"


@pytest.fixture(scope="module")
def database():
    """A PostgreSQL users table with rows hashed as the device does: clean, and with storage faults."""
    with postgres_server() as url:
        rows = [("first@example.org", PasswordScheme([]).hash(PASSWORD)),
                ("second@example.org", PasswordScheme([]).hash(PASSWORD)),
                ("plain@example.org", PasswordScheme(["plaintext-passwords"]).hash(PASSWORD)),
                ("sha@example.org", PasswordScheme(["unsalted-fast-hash"]).hash(PASSWORD))]
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("CREATE SCHEMA accounts")
            db.execute("CREATE TABLE accounts.users (email text UNIQUE NOT NULL, password_hash text NOT NULL)")
            for row in rows:
                db.execute("INSERT INTO accounts.users VALUES (%s, %s)", row)
        yield url


def test_the_hook_reads_argon2id_that_meets_the_owasp_minimums(database):
    stored = SqlHook(database, QUERY).stored_credential("First@Example.org")
    assert stored in SECRETS.values()
    credential = recognise(stored, PASSWORD)
    stored_is_not_password(credential)
    is_salted_slow_hash(credential)
    meets_minimums(credential, load_minimums())
    assert credential.summary() == "argon2id v=19 m=19456 t=2 p=1 (phc format)"


def test_one_password_gives_two_different_hashes(database):
    hook = SqlHook(database, QUERY)
    first, second = hook.stored_credential("first@example.org"), hook.stored_credential("second@example.org")
    hashes_differ(recognise(first), recognise(second), first == second)


@pytest.mark.parametrize(("user", "check"), [("plain@example.org", stored_is_not_password),
                                              ("sha@example.org", is_salted_slow_hash)])
def test_faulty_storage_fails_plan_014s_checks(database, user, check):
    credential = recognise(SqlHook(database, QUERY).stored_credential(user), PASSWORD)
    with pytest.raises(CheckFailed):
        check(credential)


def test_the_username_is_bound_and_the_percent_sign_is_literal(database):
    hook = SqlHook(database, "SELECT password_hash FROM accounts.users WHERE email LIKE '%' || :username")
    assert hook.stored_credential("sha@example.org") == PasswordScheme(["unsalted-fast-hash"]).hash(PASSWORD)
    with pytest.raises(TargetError, match="found nothing"):
        SqlHook(database, QUERY).stored_credential("x' OR '1'='1")


def test_the_hook_cannot_write(database):
    hook = SqlHook(database, "DELETE FROM accounts.users WHERE email = :username RETURNING password_hash")
    with pytest.raises(TargetError, match="read-only"):
        hook.stored_credential("plain@example.org")
    with psycopg.connect(database) as db:
        assert db.execute("SELECT count(*) FROM accounts.users").fetchone() == (4,)


def test_a_server_that_does_not_answer_is_an_error_naming_the_database():
    with pytest.raises(TargetError, match="postgresql://nobody@127.0.0.1:9/none"):
        SqlHook("postgresql://nobody@127.0.0.1:9/none", QUERY).stored_credential("first@example.org")
