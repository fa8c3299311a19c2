"""Each log source of the registry reads a real log: a file, a command's output, an HTTP endpoint."""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lhv.core.errors import ConfigError, NotApplicable, TargetError
from lhv.logs.sources import CommandLog, FileLog, HttpLog, json_records, log_source
from lhv.session.profile import LogsSection

LINES = ['{"event": "rate_limit_exceeded", "path": "/"}', '{"event": "login_failed"}']


def test_file_source_reads_lines_and_expands_placeholders(tmp_path):
    (tmp_path / "device.log").write_text("\n".join(LINES) + "\n")
    source = log_source(LogsSection(kind="file", path="{state}/device.log"), "p.toml",
                        expand=lambda text: text.replace("{state}", str(tmp_path)))
    assert isinstance(source, FileLog) and source.lines() == LINES
    assert FileLog(tmp_path / "absent.log").lines() == []


def test_command_source_runs_without_a_shell_and_reports_failures(tmp_path):
    (tmp_path / "log").write_text("\n".join(LINES))
    command = f"{sys.executable} -c \"print(open('{tmp_path}/log').read())\""
    source = log_source(LogsSection(kind="command", command=command), "p.toml")
    assert isinstance(source, CommandLog)
    assert json_records(source.lines())[0]["path"] == "/"
    with pytest.raises(TargetError, match="exited 3"):
        CommandLog(f"{sys.executable} -c 'import sys; sys.exit(3)'", 10).lines()
    with pytest.raises(TargetError, match="not found"):
        CommandLog("no-such-log-command-xyz", 10).lines()


@pytest.fixture
def log_server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            bodies = {"/lines": "\n".join(LINES), "/array": json.dumps([json.loads(line) for line in LINES])}
            body = bodies.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write((body or "").encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_http_source_reads_json_lines_or_an_array(log_server):
    for path in ("/lines", "/array"):
        source = log_source(LogsSection(kind="http", url=log_server + path), "p.toml")
        assert isinstance(source, HttpLog)
        assert [r["event"] for r in json_records(source.lines())] == ["rate_limit_exceeded", "login_failed"]
    with pytest.raises(TargetError, match="answered 404"):
        HttpLog(log_server + "/nothing", True, 5).lines()


def test_kind_none_is_not_applicable_and_an_incomplete_source_names_the_key():
    with pytest.raises(NotApplicable):
        log_source(LogsSection(), "p.toml")
    with pytest.raises(ConfigError, match="logs.command"):
        log_source(LogsSection(kind="command"), "p.toml")
