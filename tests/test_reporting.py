"""How loud the client is: quiet by default, a warning per reconnect, callback errors summed up."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import textwrap
from typing import List

import pytest

from binance_options_ws import ConnectionFailedError, StreamClient
from binance_options_ws.testing import FakeExchange, wait_for

INDEX = {"e": "index", "E": 1, "s": "BTCUSDT", "p": "65000"}


def _refusing_port() -> int:
    """A port with nothing listening: every connect is refused (and retried)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_library_prints_nothing_unless_logging_is_configured() -> None:
    script = textwrap.dedent(
        f"""
        from binance_options_ws import ConnectionFailedError, StreamClient

        url = "ws://127.0.0.1:{_refusing_port()}"
        with StreamClient(url, proxy=None, backoff_initial=0.05) as client:
            try:
                client.subscribe_index("BTCUSDT", timeout=1)
            except ConnectionFailedError:
                print("failed")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.stdout == "failed\n"
    assert done.stderr == ""  # no "reconnecting" lines through Python's last resort


def test_one_warning_per_reconnect_attempt(caplog: pytest.LogCaptureFixture) -> None:
    url = f"ws://127.0.0.1:{_refusing_port()}"
    with (
        caplog.at_level(logging.INFO, logger="binance_options_ws"),
        StreamClient(url, proxy=None, backoff_initial=0.05, backoff_cap=0.1) as client,
    ):
        client.start()
        wait_for(lambda: client.stats.reconnects >= 3, timeout=5, what="three reconnects")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    attempts = [r for r in caplog.records if r.getMessage().startswith("connecting:")]
    assert 3 <= len(warnings) <= len(attempts)
    for warning in warnings:  # when, and why the connection before ended
        assert warning.startswith("reconnecting: reconnecting in "), warning
        assert " s after connection #" in warning
        assert "ConnectionRefusedError" in warning


def test_a_first_connection_that_fails_for_good_logs_no_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The caller gets the error: a warning would say it twice (the CLI prints both).
    with FakeExchange() as exchange, caplog.at_level(logging.INFO, logger="binance_options_ws"):
        client = StreamClient(exchange.url + "/gone", proxy=None)
        with client, pytest.raises(ConnectionFailedError, match="HTTP 404"):
            client.subscribe_index("BTCUSDT")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any("HTTP 404" in r.getMessage() for r in caplog.records)  # at INFO


def test_a_callback_that_always_raises_logs_one_traceback_then_summaries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    errors: List[BaseException] = []

    def broken(event: object) -> None:
        raise ValueError("my bug")

    exchange = FakeExchange()
    with (
        caplog.at_level(logging.INFO, logger="binance_options_ws"),
        exchange,
        StreamClient(exchange.url, proxy=None, on_error=errors.append) as client,
    ):
        client.subscribe_index("BTCUSDT", broken)
        for _ in range(200):
            exchange.publish("BTCUSDT@index", INDEX)
        wait_for(lambda: len(errors) == 200, timeout=10, what="200 errors handed to on_error")
        assert client.stats.callback_errors == 200
    about_callbacks = [r for r in caplog.records if "callback" in r.getMessage()]
    assert len(about_callbacks) == 1  # the first, with its traceback; the rest counted
    assert about_callbacks[0].exc_info is not None
    assert "my bug" in caplog.text


def test_a_callback_that_raises_is_never_silent_even_without_logging() -> None:
    # A typo in a callback must not look like "no data": with no on_error and no logging
    # configured, the first traceback goes to stderr (once), as for an uncaught thread error.
    script = textwrap.dedent(
        """
        from binance_options_ws import StreamClient
        from binance_options_ws.testing import FakeExchange, wait_for

        INDEX = {"e": "index", "E": 1, "s": "BTCUSDT", "p": "65000"}
        with FakeExchange() as exchange, StreamClient(exchange.url, proxy=None) as client:
            client.subscribe_index("BTCUSDT", lambda event: event.sybmol)
            for _ in range(5):
                exchange.publish("BTCUSDT@index", INDEX)
            wait_for(lambda: client.stats.callback_errors == 5, timeout=10)
        print("done")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout == "done\n"
    assert done.stderr.count("Traceback (most recent call last)") == 1
    assert "AttributeError" in done.stderr
    assert "sybmol" in done.stderr
    assert "stats.callback_errors" in done.stderr


def test_the_summary_line_counts_what_was_not_logged() -> None:
    from binance_options_ws._reporting import _LogLimit

    limit = _LogLimit(10.0)
    assert limit.due(0.0) == 0
    assert [limit.due(t) for t in (1.0, 2.0, 3.0)] == [None, None, None]
    assert limit.due(10.5) == 3


def test_a_working_client_that_gives_up_says_so_loudly(caplog: pytest.LogCaptureFixture) -> None:
    # No caller waits on a reconnect: a failure that will not mend is logged as an error.
    exchange = FakeExchange()
    with (
        exchange,
        caplog.at_level(logging.INFO, logger="binance_options_ws"),
        StreamClient(exchange.url, proxy=None, backoff_initial=0.05) as client,
    ):
        client.subscribe_index("BTCUSDT")
        exchange.redirect_handshakes("ws://127.0.0.1:9/stream")
        exchange.drop_connections()
        wait_for(
            lambda: any(r.levelno == logging.ERROR for r in caplog.records),
            timeout=5,
            what="the error that the shard gives up",
        )
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "gives up" in errors[0]
    assert "redirect" in errors[0]
    assert "1 streams are no longer served" in errors[0]
