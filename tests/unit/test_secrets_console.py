"""pytest's console (progress, tracebacks, argument dumps, captured output) passes through redaction when installed."""

import subprocess
import sys
import textwrap

import pytest

from lhv.core.secrets import find_leaks

PASSWORD = "console \"pw\" <&> é+/-Zr81xq"
TOKEN = "opaque-console-token-77d0c2e1b9"

CONFTEST = f'''
import os

import pytest

from lhv.core.secrets import SECRETS, install_console_redaction

PASSWORD, TOKEN = {PASSWORD!r}, {TOKEN!r}
SECRETS.add(PASSWORD, "password")
SECRETS.add(TOKEN, "token")


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    if os.environ.get("LHV_TEST_REDACT") == "1":
        install_console_redaction(config)
'''

TESTS = '''
import base64
import sys

from conftest import PASSWORD, TOKEN


def login(username, password, token):
    raise RuntimeError(f"login refused for {password!r} with {token}")


def test_a_traceback_dumps_the_arguments():
    login("someone", PASSWORD, TOKEN)


def test_an_assertion_shows_both_sides():
    token = TOKEN
    assert token == PASSWORD


def test_printed_output_in_pieces():
    print("password", base64.b64encode(PASSWORD.encode()).decode())
    sys.stdout.write(TOKEN[:9])
    sys.stdout.flush()
    sys.stdout.write(TOKEN[9:] + "\\n")
    sys.stderr.write(f"stderr {PASSWORD}\\n")
    assert False, "show the captured output"
'''


def _pytest(tmp_path, *args: str, redact: bool) -> str:
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_console.py").write_text(textwrap.dedent(TESTS), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--tb=long", "-l", *args,
                           str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "LHV_TEST_REDACT": "1" if redact else "0",
                               "PYTHONPATH": str(tmp_path)})
    assert "3 failed" in done.stdout, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.mark.parametrize("capture", [[], ["-s"], ["--capture=sys"]], ids=["fd", "no capture", "sys"])
def test_the_console_shows_no_secret_once_redaction_is_installed(tmp_path, capture):
    output = _pytest(tmp_path, *capture, redact=True)
    assert find_leaks({"console": output}, [PASSWORD, TOKEN]) == []
    pieces = {secret[at:at + 10] for secret in (PASSWORD, TOKEN) for at in range(len(secret) - 9)}
    assert not [piece for piece in pieces if piece in output]  # not even cut short ('opaque-conso...e1b9')
    assert "[REDACTED password]" in output and "[REDACTED token]" in output
    assert "login refused for" in output and "def test_an_assertion_shows_both_sides" in output


def test_without_it_the_console_shows_them(tmp_path):
    output = _pytest(tmp_path, "-p", "no:lhv", redact=False)  # the lhv plugin installs it in every session
    assert len(find_leaks({"console": output}, [PASSWORD, TOKEN])) >= 3
