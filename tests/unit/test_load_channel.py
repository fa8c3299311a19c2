"""The harness's socket to Locust's master carries JSON lines, however the bytes arrive, and every read is bounded."""

import json
import time

import pytest

from lhv.load.burst import _Channel


@pytest.fixture
def channel():
    made = _Channel()
    yield made
    made.close()


def test_lines_split_across_writes_and_joined_in_one_arrive_whole(channel):
    data = json.dumps({"outcomes": [{"seq": i} for i in range(3000)]}).encode() + b"\n" + b'{"end": {}}\n'
    channel.theirs.sendall(data[:10])
    channel.theirs.sendall(data[10:70000])
    channel.theirs.sendall(data[70000:])
    deadline = time.monotonic() + 10
    assert len(channel.receive(deadline)["outcomes"]) == 3000
    assert channel.receive(deadline) == {"end": {}}


def test_a_silent_master_gives_none_once_the_deadline_passes(channel):
    started = time.monotonic()
    assert channel.receive(started + 0.3) is None
    assert time.monotonic() - started < 5


def test_a_closed_master_or_an_ended_process_is_eof(channel):
    channel.theirs.sendall(b'{"progress": {}}')  # half a line, then the master is gone
    channel.theirs.close()
    with pytest.raises(EOFError):
        channel.receive(time.monotonic() + 10)
    other = _Channel()
    try:
        with pytest.raises(EOFError):
            other.receive(time.monotonic() + 10, alive=lambda: False)
    finally:
        other.close()


def test_what_the_harness_sends_reaches_the_master_as_one_line(channel):
    channel.send({"go": {"user": "t"}}, 5)
    assert channel.theirs.recv(100) == b'{"go": {"user": "t"}}\n'
