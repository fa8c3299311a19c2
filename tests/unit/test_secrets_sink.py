"""The sink redacts every file of a record as last written, keeps JSON and XML valid, and withholds a binary secret."""

import base64
import html
import json
from pathlib import Path
from xml.etree import ElementTree as ET

from lhv.core.secrets import SecretBook, find_leaks
from lhv.record.sink import WITHHELD, redact_folder

PASSWORD = "pa\"ss <w&rd>\n'x' /y\\z+é-Kq7"
TOKEN = "opaque-token-4e1c9b7f2a"
CHART = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 2


def _record(folder: Path) -> None:
    """A record folder as the writer and the plans leave it, with secrets echoed in every kind of file."""
    (folder / "markdown").mkdir(parents=True)
    (folder / "attachments" / "PLAN_X").mkdir(parents=True)
    blob = base64.b64encode(b"{" + PASSWORD.encode() + b"}").decode()
    (folder / "results.json").write_text(json.dumps(
        {"a": PASSWORD, PASSWORD: [TOKEN], "nested": {"body": f"echo {blob}"}, "n": 1.5}, indent=2, ensure_ascii=False),
        encoding="utf-8")
    chart = base64.b64encode(CHART).decode()
    (folder / "record.html").write_text(
        f"<pre>{html.escape(json.dumps({'password': PASSWORD}, ensure_ascii=False))}</pre>\n"
        f'<img src="data:image/png;base64,{chart}">\n', encoding="utf-8")
    (folder / "markdown" / "PLAN_X.md").write_text(f"| step | {PASSWORD} | {TOKEN} |\n", encoding="utf-8")
    suites = ET.Element("testsuites")
    ET.SubElement(suites, "testcase", name="login", message=f"failed: {PASSWORD}").text = TOKEN
    ET.ElementTree(suites).write(folder / "junit.xml", encoding="utf-8", xml_declaration=True)
    attachments = folder / "attachments" / "PLAN_X"
    (attachments / "locust_failures.csv").write_text(f'"POST","/login","{PASSWORD.replace(chr(34), 2 * chr(34))}"\n',
                                                     encoding="utf-8")
    (attachments / "outcomes.jsonl").write_text(json.dumps({"token": TOKEN}) + "\n" + json.dumps({TOKEN: 1}) + "\n",
                                                encoding="utf-8")
    (attachments / "locust.log").write_text(f"Authorization: Bearer {TOKEN}\n", encoding="utf-8")
    (attachments / "chart.png").write_bytes(CHART)
    (attachments / "capture.bin").write_bytes(b"\x00\x01" + TOKEN.encode() + b"\xff\x00")


def _texts(folder: Path) -> dict[str, str]:
    return {str(p): p.read_bytes().decode("utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()}


def _book() -> SecretBook:
    book = SecretBook()
    book.add(PASSWORD, "password")
    book.add(TOKEN, "token")
    return book


def test_every_file_of_a_record_is_redacted_and_stays_readable(tmp_path):
    _record(tmp_path)
    assert len(find_leaks(_texts(tmp_path), [PASSWORD, TOKEN])) >= 9  # the scan sees the secrets before
    changed = redact_folder(tmp_path, _book())
    assert len(changed) == 8
    assert find_leaks(_texts(tmp_path), [PASSWORD, TOKEN]) == []
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results == {"a": "[REDACTED password]", "[REDACTED password]": ["[REDACTED token]"],
                       "nested": {"body": results["nested"]["body"]}, "n": 1.5}
    assert "[REDACTED password]" in results["nested"]["body"]
    ET.parse(tmp_path / "junit.xml")
    lines = (tmp_path / "attachments" / "PLAN_X" / "outcomes.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [{"token": "[REDACTED token]"}, {"[REDACTED token]": 1}]
    assert f"data:image/png;base64,{base64.b64encode(CHART).decode()}" in (tmp_path / "record.html").read_text()
    assert (tmp_path / "attachments" / "PLAN_X" / "chart.png").read_bytes() == CHART


def test_a_binary_that_carries_a_secret_is_withheld_with_a_note(tmp_path):
    _record(tmp_path)
    redact_folder(tmp_path, _book())
    attachments = tmp_path / "attachments" / "PLAN_X"
    assert not (attachments / "capture.bin").exists()
    note = (attachments / f"capture.bin{WITHHELD}").read_text(encoding="utf-8")
    assert "withheld" in note and "raw" in note and TOKEN not in note


def test_redacting_a_record_twice_changes_nothing(tmp_path):
    _record(tmp_path)
    book = _book()
    redact_folder(tmp_path, book)
    before = {path: Path(path).read_bytes() for path in _texts(tmp_path)}
    assert redact_folder(tmp_path, book) == []
    assert {path: Path(path).read_bytes() for path in _texts(tmp_path)} == before


def test_a_clean_record_is_left_byte_for_byte(tmp_path):
    (tmp_path / "results.json").write_text('{"a":   1,\n "b": "text"}', encoding="utf-8")
    (tmp_path / "record.html").write_text("<p>Bearer | nothing</p>", encoding="utf-8")
    assert redact_folder(tmp_path, _book()) == []
    assert (tmp_path / "results.json").read_text(encoding="utf-8") == '{"a":   1,\n "b": "text"}'
