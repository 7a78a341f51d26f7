"""TLS: wss:// to a local fake exchange whose certificate a test-made CA signed (trustme)."""

from __future__ import annotations

import logging
import ssl
import time
from typing import Iterator

import pytest
import trustme

from binance_options_ws import ConnectionFailedError, InvalidArgumentError, StreamClient
from binance_options_ws.testing import FakeExchange

INDEX = {"e": "index", "E": 1, "s": "BTCUSDT", "p": "65000"}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_exchange(ca: trustme.CA) -> Iterator[FakeExchange]:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    with FakeExchange(ssl_context=server) as fake:
        yield fake


def test_a_private_ca_through_ssl_context(tls_exchange: FakeExchange, ca: trustme.CA) -> None:
    assert tls_exchange.url.startswith("wss://127.0.0.1:")
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with StreamClient(tls_exchange.url, ssl_context=context, proxy=None) as client:
        client.subscribe_index("BTCUSDT", timeout=5)
        tls_exchange.publish("BTCUSDT@index", INDEX)
        assert client.get(timeout=5).price == 65000.0


def test_a_certificate_error_is_final_at_once_with_a_clear_message(
    tls_exchange: FakeExchange,
) -> None:
    # Verification is on by default: the system's authorities do not know the test CA.
    with StreamClient(tls_exchange.url, proxy=None, reconnect=True) as client:
        started = time.monotonic()
        with pytest.raises(ConnectionFailedError) as caught:
            client.subscribe_index("BTCUSDT", timeout=10)
        assert time.monotonic() - started < 2
        message = str(caught.value)
        assert "TLS certificate of 127.0.0.1 could not be verified" in message
        assert "ssl_context=" in message
        assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
        # Final: the client does not go on retrying in the background.
        before = len(tls_exchange.connections)
        time.sleep(0.3)  # nothing to wait on: no attempt must happen
        assert client.stats.reconnects == 0
        assert len(tls_exchange.connections) == before


def test_a_context_that_does_not_verify_is_never_silent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with caplog.at_level(logging.WARNING, logger="binance_options_ws"):
        StreamClient(ssl_context=context).close()
    assert "does not verify the server's certificate" in caplog.text


def test_ssl_context_must_be_a_context() -> None:
    with pytest.raises(InvalidArgumentError, match=r"ssl_context must be an ssl\.SSLContext"):
        StreamClient(ssl_context="/etc/ssl/ca.pem")  # type: ignore[arg-type]


def test_a_tls_handshake_the_server_refuses_is_final_on_the_first_connection(
    ca: trustme.CA,
) -> None:
    # A plain ws:// exchange asked for wss://: the TLS handshake fails.
    with FakeExchange() as plain:
        url = "wss" + plain.url[len("ws") :]
        context = ssl.create_default_context()
        ca.configure_trust(context)
        with StreamClient(url, ssl_context=context, proxy=None) as client:
            started = time.monotonic()
            failed = r"TLS handshake with 127\.0\.0\.1 failed"
            with pytest.raises(ConnectionFailedError, match=failed):
                client.subscribe_index("BTCUSDT", timeout=10)
            assert time.monotonic() - started < 2
