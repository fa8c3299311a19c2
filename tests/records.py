"""Records for the record tests that need no device: a run state written by the real writer, with no case run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lhv.record.roles import RecordSection
from lhv.record.writer import write_record
from lhv.session.profile import embedded_profile
from lhv.session.run import RunState

RUN_STARTED = dt.datetime(2026, 12, 6, 7, 0, 0, tzinfo=dt.UTC)


def offline_record(reports: Path, *, run_id: str = "20261206T070000Z-test", record: RecordSection | None = None,
                   plans: tuple[str, ...] = ("PLAN_001",), tester: str = "Jane Doe (JD-017)") -> Path:
    """Writes the record of a run that selected plans and ran none (no device); returns its folder.

    record: the profile's [record] table (set as lhv/session/profile.py will carry it, without validation).
    """
    profile = embedded_profile()
    if record is not None:
        profile = profile.model_copy(update={"record": record})
    state = RunState(run_id=run_id, profile=profile, reports_dir=reports, tester=tester, faults=(),
                     started=RUN_STARTED, command="lhv verify (offline record for a test)")
    state.selected_plans = list(plans)
    state.finished = RUN_STARTED + dt.timedelta(minutes=1)
    return write_record(state)
