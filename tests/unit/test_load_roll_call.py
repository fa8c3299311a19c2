"""A burst's master says who joined and who is missing; an outcome a worker sends is read field by field."""

from lhv.load.burst import Outcome, roll_call

LOCAL_1 = {"id": "vm_1", "name": "local-1", "host": "vm", "pid": 11}
FAR = {"id": "far_9", "name": "far", "host": "far.example", "pid": 99}


def test_missing_workers_started_here_are_named():
    said = roll_call(3, 3, [LOCAL_1], ("127.0.0.1", 5557))
    assert said.startswith("only 1 of 3 Locust worker(s) joined the master: joined: local-1 (host vm, id vm_1)")
    assert said.endswith("missing: local-2, local-3")


def test_missing_workers_elsewhere_are_counted_with_how_to_start_them():
    said = roll_call(3, 1, [LOCAL_1], ("0.0.0.0", 5557))
    assert "missing: 2 to be started elsewhere (python -m lhv.load.worker --master 0.0.0.0:5557)" in said
    said = roll_call(3, 1, [LOCAL_1, FAR], ("0.0.0.0", 5557))
    assert "only 2 of 3" in said and "far (host far.example, id far_9)" in said and "missing: 1 to be started" in said


def test_nobody_joined_and_everybody_joined_say_so():
    assert "joined: none; missing: local-1, local-2" in roll_call(2, 2, [], ("127.0.0.1", 1))
    assert roll_call(1, 0, [FAR], ("127.0.0.1", 1)).startswith("all 1 Locust worker(s) joined (far (host")


def test_an_outcome_from_a_worker_keeps_only_known_fields():
    outcome = Outcome.from_message({"seq": 3, "lane": "user", "sent": 1.0, "received": 1.5, "status": 429,
                                    "retry_after": "2", "extra": "ignored"})
    assert outcome == Outcome(3, "user", 1.0, 1.5, 429, "2", None)
