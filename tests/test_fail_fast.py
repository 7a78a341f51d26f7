"""Opening a connection: what fails at once, what is retried, and close() during a connect."""

from __future__ import annotations

import socket
import threading
import time
from typing import Iterator, List

import pytest

from binance_options_ws import (
    ClientClosedError,
    ConnectionFailedError,
    InvalidArgumentError,
    StreamClient,
)
from binance_options_ws._connection import HandshakeRedirectError, HandshakeRefusedError
from binance_options_ws.dialects.nbstream import NbstreamDialect
from binance_options_ws.testing import FakeExchange, wait_for


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """A port whose connects hang: a listener that never accepts, its backlog full."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers: List[socket.socket] = []
    for _ in range(4):  # fill the accept queue; later SYNs are dropped
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    probe = socket.socket()
    probe.settimeout(0.3)
    try:
        probe.connect(("127.0.0.1", port))
        pytest.skip("this system accepts connects beyond a full backlog")  # not Linux
    except socket.timeout:
        pass
    finally:
        probe.close()
    yield port
    for filler in fillers:
        filler.close()
    server.close()


def test_close_during_a_hanging_tcp_connect_ends_the_threads_within_a_second(
    hanging_port: int,
) -> None:
    client = StreamClient(f"ws://127.0.0.1:{hanging_port}", proxy=None, connect_timeout=30)
    errors: List[BaseException] = []

    def subscribe() -> None:
        try:
            client.subscribe_index("BTCUSDT", timeout=30)
        except BaseException as exc:
            errors.append(exc)

    caller = threading.Thread(target=subscribe)
    caller.start()
    wait_for(
        lambda: any(t.name.startswith(f"{client._name}-reader") for t in threading.enumerate()),
        timeout=5,
        what="the reader thread connecting",
    )
    readers = [t for t in threading.enumerate() if t.name.startswith(f"{client._name}-reader")]
    started = time.monotonic()
    client.close()
    caller.join(1.0)
    for reader in readers:
        reader.join(max(0.0, 1.0 - (time.monotonic() - started)))
    assert time.monotonic() - started < 1.0
    assert not any(reader.is_alive() for reader in readers)
    assert not caller.is_alive()
    assert isinstance(errors[0], ClientClosedError)


def test_a_connect_that_hangs_names_the_step_and_the_timeout(hanging_port: int) -> None:
    with (
        StreamClient(
            f"ws://127.0.0.1:{hanging_port}", proxy=None, connect_timeout=0.5, reconnect=False
        ) as client,
        pytest.raises(ConnectionFailedError) as caught,
    ):
        client.subscribe_index("BTCUSDT", timeout=3)
    assert f"no answer to the TCP connect to 127.0.0.1:{hanging_port}" in str(caught.value)
    assert "connect_timeout=0.5 s" in str(caught.value)


def test_a_server_that_never_answers_the_handshake_is_named() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)  # accepted by the kernel; nothing is ever answered
        port = silent.getsockname()[1]
        client = StreamClient(f"ws://127.0.0.1:{port}", proxy=None, connect_timeout=0.5)
        with (
            client,
            pytest.raises(ConnectionFailedError, match="no answer to the WebSocket handshake"),
        ):
            client.subscribe_index("BTCUSDT", timeout=2)


def test_a_name_that_does_not_resolve_fails_at_once() -> None:
    with StreamClient("ws://no-such-host.invalid", proxy=None) as client:
        started = time.monotonic()
        with pytest.raises(ConnectionFailedError, match=r"could not resolve no-such-host\.invalid"):
            client.subscribe_index("BTCUSDT", timeout=10)
        assert time.monotonic() - started < 2


def test_a_redirect_is_refused_and_final() -> None:
    with FakeExchange() as exchange, FakeExchange() as elsewhere:
        exchange.redirect_handshakes(elsewhere.url + "/stream", status=301)
        with StreamClient(exchange.url, proxy=None) as client:
            started = time.monotonic()
            with pytest.raises(HandshakeRedirectError) as caught:
                client.subscribe_index("BTCUSDT", timeout=10)
            assert time.monotonic() - started < 2
        assert caught.value.status == 301
        assert caught.value.location == elsewhere.url + "/stream"
        assert "redirects are not followed" in str(caught.value)
        assert elsewhere.connection_count == 0  # never followed


def test_a_handshake_status_that_will_not_change_fails_at_once() -> None:
    with FakeExchange() as exchange, StreamClient(exchange.url + "/gone", proxy=None) as client:
        started = time.monotonic()
        with pytest.raises(HandshakeRefusedError, match="HTTP 404"):
            client.subscribe_index("BTCUSDT", timeout=10)
        assert time.monotonic() - started < 2


def test_nbstream_failures_say_where_binance_moved_the_streams(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeExchange() as exchange:
        # The default endpoint, played by a fake one that answers 404 like a gone service.
        monkeypatch.setattr(NbstreamDialect, "default_base_url", exchange.url + "/eoptions")
        with StreamClient(proxy=None) as client, pytest.raises(HandshakeRefusedError) as caught:
            client.subscribe_index("BTCUSDT", timeout=10)
        message = str(caught.value)
        assert "HTTP 404" in message
        assert "moved its options streams to fstream" in message
        assert 'StreamClient(endpoint="fstream")' in message
        # A URL of the user's own gets no such hint.
        client = StreamClient(exchange.url + "/elsewhere", proxy=None)
        with client, pytest.raises(HandshakeRefusedError) as caught:
            client.subscribe_index("BTCUSDT", timeout=10)
        assert "fstream" not in str(caught.value)


def test_a_drop_of_a_working_connection_is_retried() -> None:
    exchange = FakeExchange()
    with exchange, StreamClient(exchange.url, proxy=None, backoff_initial=0.05) as client:
        client.subscribe_index("BTCUSDT", timeout=5)
        exchange.stop()  # the exchange goes away: refused connects from now on
        wait_for(lambda: client.stats.reconnects >= 2, timeout=5, what="two reconnects")
        exchange.start()  # and comes back on the same port
        wait_for(
            lambda: "BTCUSDT@index" in exchange.subscriptions,
            timeout=10,
            what="the subscription restored",
        )


@pytest.mark.parametrize("url", ["ws://127.0.0.1:1/\r\nX-Evil: 1", "wss://host name", "ws://a\tb"])
def test_control_characters_in_base_url_are_refused(url: str) -> None:
    with pytest.raises(InvalidArgumentError, match="base_url must not contain"):
        StreamClient(url)
