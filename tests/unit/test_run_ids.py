"""Run ids name the record folders: sorted by name, the folders stand in the order their runs began."""

from __future__ import annotations

import datetime as dt

from lhv.session.preflight import RUN_ID
from lhv.session.run import new_run_id


def test_ids_made_one_after_another_sort_in_that_order_though_made_within_a_second():
    ids = [new_run_id() for _ in range(200)]
    assert sorted(ids) == ids
    assert len(set(ids)) == len(ids)


def test_a_run_id_says_when_the_run_began_in_utc_and_is_a_valid_run_id():
    before = dt.datetime.now(dt.UTC)
    run_id = new_run_id()
    after = dt.datetime.now(dt.UTC) + dt.timedelta(milliseconds=1)  # ids made in one microsecond step ahead of it
    assert RUN_ID.fullmatch(run_id), run_id
    began = dt.datetime.strptime(run_id.split("Z-")[0], "%Y%m%dT%H%M%S.%f").replace(tzinfo=dt.UTC)
    assert before <= began <= after
