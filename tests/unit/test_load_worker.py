"""`lhv load-worker` reads the master's address or says in one line what is wrong; between two bursts it waits for
the old master to close, within a bound."""

import argparse
import socket
import time

import pytest

from lhv.load.worker import master_address, run, wait_until_closed


@pytest.mark.parametrize("text, address", [("10.0.0.5:5557", ("10.0.0.5", 5557)), ("[::1]:5557", ("::1", 5557)),
                                           (" load-1.lan:6000 ", ("load-1.lan", 6000))])
def test_the_master_address_is_read(text, address):
    assert master_address(text) == address


@pytest.mark.parametrize("text", ["10.0.0.5", ":5557", "host:port", "host:0", "host:70000", ""])
def test_a_bad_master_address_is_one_clear_line_and_exit_2(text, capsys):
    with pytest.raises(ValueError, match="--master: expected HOST:PORT"):
        master_address(text)
    assert run(argparse.Namespace(master=text, name=None, once=True)) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_closed_master_is_seen_at_once_and_an_open_one_is_waited_for_within_the_bound():
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        address = listening.getsockname()
        started = time.monotonic()
        assert wait_until_closed(address, 0.5) is False
        assert 0.5 <= time.monotonic() - started < 10
    started = time.monotonic()
    assert wait_until_closed(address, 10) is True
    assert time.monotonic() - started < 5
