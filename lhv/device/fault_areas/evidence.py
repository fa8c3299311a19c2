"""Evidence faults: the device runs clean, and the harness is handed wrong evidence to read in its place.

Each fault writes the hostile input into a folder of the run (an attestation of MD5 storage, a scanner report
with a High finding, a probe store whose prober stopped before the judged month) and says which profile keys
point the plans at it. The plans must fail on it (or stay inconclusive, where it is missing data) by name.
"""

from __future__ import annotations

import datetime as dt
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lhv.device.faults import INCONCLUSIVE, EvidenceInput, Fault

# ---- PASS-STORE-05: an attestation of a storage that is not a salted slow hash ------------------------------------

ATTESTATION = """\
attested_by = "Sam Reyes (SR-114), database administrator"
date = {date}
examined = "users table of the pre-production database"
method = "psql as the read-only role; SELECT on users; the hashes inspected, not copied"
evidence = ["evidence/users-table-redacted.txt"]

[answers]
stored_format = "MD5 hex digest of the password, 32 hex characters, no salt"
password_not_stored = true
salted_slow_hash_at_owasp_minimums = false
distinct_hashes_for_one_password = false
"""
ATTESTATION_EVIDENCE = """\
users table, pre-production, read by SR-114 (values redacted to their first 4 characters)
email                      password_hash
qa-a@example.test          5f4d…  (32 hex characters)
qa-b@example.test          5f4d…  (32 hex characters, equal to qa-a's: both were given one password)
"""


def attestation_of_md5(folder: Path) -> EvidenceInput:
    """Writes a DBA's attestation that passwords are stored as unsalted MD5 digests, with its evidence file."""
    (folder / "evidence").mkdir(parents=True, exist_ok=True)
    (folder / "evidence" / "users-table-redacted.txt").write_text(ATTESTATION_EVIDENCE, encoding="utf-8")
    path = folder / "attestation.toml"
    path.write_text(ATTESTATION.format(date=dt.date.today().isoformat()), encoding="utf-8")
    return EvidenceInput(profile={"inspection": {"kind": "attestation", "attestation": str(path)}})


# ---- SEC-SCAN-01: an external scanner's report with a finding at the profile's threshold ------------------------

def _zap_alert(plugin: str, title: str, risk: int, cwe: int, uri: str, method: str, param: str, desc: str) -> dict:
    words = ("Informational", "Low", "Medium", "High")[risk]
    return {"pluginid": plugin, "alertRef": plugin, "alert": title, "name": title, "riskcode": str(risk),
            "confidence": "2", "riskdesc": f"{words} (Medium)", "desc": f"<p>{desc}</p>",
            "instances": [{"uri": uri, "method": method, "param": param, "attack": "", "evidence": ""}],
            "count": "1", "solution": "", "cweid": str(cwe), "wascid": "0", "sourceid": "1"}


def zap_report_with_a_high(folder: Path) -> EvidenceInput:
    """Writes a ZAP JSON report holding one High finding (at security.scanner_fail_at's default) and one Low."""
    site = "https://127.0.0.1"
    report = {"@programName": "ZAP", "@version": "2.15.0", "@generated": "Mon, 16 Nov 2026 09:12:44", "site": [{
        "@name": site, "@host": "127.0.0.1", "@port": "443", "@ssl": "true", "alerts": [
            _zap_alert("40024", "SQL Injection - SQLite", 3, 89, f"{site}/login", "POST", "username",
                       "SQL injection may be possible: the boolean conditions changed the answer."),
            _zap_alert("10096", "Timestamp Disclosure - Unix", 1, 497, f"{site}/device-information", "GET", "",
                       "A timestamp was disclosed by the application."),
        ]}]}
    path = folder / "zap-report.json"
    path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return EvidenceInput(scanner_report=path)


# ---- UP-05: a probe store whose prober stopped before the judged month --------------------------------------------

PROBER_ID = "eu-west-prober"
STORED_INTERVAL_S, STORED_TRANSACTION_INTERVAL_S = 60, 300
CRASHED_BEFORE = timedelta(days=2)  # the prober's last heartbeat, before the judged month began
RAN_FOR = timedelta(hours=6)  # how long it ran before that


def store_of_a_stopped_prober(folder: Path) -> EvidenceInput:
    """Writes a probe store whose only prober crashed two days before last month began (all its probes up), and
    points the profile's PLAN_018 at last month in that store."""
    from lhv.uptime.judgement import previous_month

    last_seen = previous_month(datetime.now(UTC)).start - CRASHED_BEFORE
    return _store_of_one_run(folder, last_seen - RAN_FOR, last_seen)


def _store_of_one_run(folder: Path, started: datetime, last_seen: datetime) -> EvidenceInput:
    """Writes a store of one prober run, every probe up, that crashed after last_seen (no orderly stop), and points
    the profile's PLAN_018 at last month in it, probed as a real profile would (health 60 s, transaction 300 s)."""
    from lhv.uptime.store import Probe, open_store

    path = folder / "uptime.sqlite3"
    steps = int((last_seen - started).total_seconds() // STORED_INTERVAL_S)
    every = STORED_TRANSACTION_INTERVAL_S // STORED_INTERVAL_S
    with open_store(f"sqlite:///{path}") as store:
        run = store.start_run(PROBER_ID, STORED_INTERVAL_S, at=started)
        store.add_probes(
            Probe(PROBER_ID, started + timedelta(seconds=n * STORED_INTERVAL_S + 1), url, kind, "up", latency, 200,
                  None, "1.1.0.0-reference" if kind == "transaction" else None)
            for n in range(steps)
            for kind, url, latency in (("health", "https://127.0.0.1/health", 3.0),
                                       ("transaction", "https://127.0.0.1/device-information", 40.0))
            if kind == "health" or n % every == 0)
        store.heartbeat(run, at=last_seen)
    return EvidenceInput(profile={"uptime": {
        "window": "previous-month", "store_url": f"sqlite:///{path}", "prober_id": PROBER_ID,
        "interval_seconds": STORED_INTERVAL_S, "max_gap_seconds": 0,
        "transaction": {"interval_seconds": STORED_TRANSACTION_INTERVAL_S}}})


FAULTS: tuple[Fault, ...] = (
    Fault("attestation-md5-unsalted", "no inspection hook: the profile's attestation is a DBA's statement that "
          "passwords are stored as unsalted MD5 digests (equal for one password)", ("PLAN_014",),
          evidence=attestation_of_md5),
    Fault("scanner-report-high-finding", "the external scanner report given to PLAN_019 (ZAP JSON) holds a High "
          "finding, SQL injection at POST /login, and a Low one", ("PLAN_019",), evidence=zap_report_with_a_high),
    Fault("prober-stopped-before-window", "the profile judges last month from its probe store, whose only prober "
          "crashed two days before that month began: no probe covers the window", ("PLAN_018",),
          evidence=store_of_a_stopped_prober, verdict=INCONCLUSIVE),
)
