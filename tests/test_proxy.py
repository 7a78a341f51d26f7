"""Proxies: StreamClient through a real HTTP CONNECT and SOCKS5 proxy on 127.0.0.1.

The proxy is pproxy (see ``proxy_server.py``); the exchange is the fake one, over
``ws://`` and ``wss://`` (a certificate made by trustme in the test).
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from typing import Iterator

import pytest
import trustme
from proxy_server import ProxyServer

from binance_options_ws import ConnectionFailedError, InvalidArgumentError, StreamClient
from binance_options_ws._proxy import Proxy, check_proxy, proxy_for
from binance_options_ws.exceptions import ProxyError
from binance_options_ws.testing import FakeExchange

INDEX = {"e": "index", "E": 1, "s": "BTCUSDT", "p": "65000"}


@pytest.fixture(scope="module")
def exchange() -> Iterator[FakeExchange]:
    with FakeExchange() as fake:
        yield fake


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_exchange(ca: trustme.CA) -> Iterator[FakeExchange]:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    with FakeExchange(ssl_context=server) as fake:
        yield fake


@pytest.fixture
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture(autouse=True)
def no_proxy_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _stream_one(client: StreamClient, exchange: FakeExchange) -> None:
    """Subscribe through the client, publish one index event and read it back."""
    client.subscribe_index("BTCUSDT", timeout=5)
    exchange.publish("BTCUSDT@index", INDEX)
    assert client.get(timeout=5).price == 65000.0


@pytest.mark.parametrize("scheme", ["http", "socks5", "socks5h"])
def test_streams_through_a_proxy_with_credentials(exchange: FakeExchange, scheme: str) -> None:
    with ProxyServer("user:s3cret") as proxy:
        url = proxy.url(scheme, "user:s3cret")
        with StreamClient(exchange.url, proxy=url) as client:
            _stream_one(client, exchange)
        assert any(f"127.0.0.1:{exchange.port}" in line for line in proxy.tunnels)


@pytest.mark.parametrize("scheme", ["http", "socks5h"])
def test_wss_through_a_proxy(
    tls_exchange: FakeExchange, client_tls: ssl.SSLContext, scheme: str
) -> None:
    with ProxyServer() as proxy:
        with StreamClient(
            tls_exchange.url, proxy=proxy.url(scheme), ssl_context=client_tls
        ) as client:
            _stream_one(client, tls_exchange)
        assert any(f"127.0.0.1:{tls_exchange.port}" in line for line in proxy.tunnels)


def test_the_environment_names_the_proxy_by_default(
    exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ProxyServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url())
        # Once NO_PROXY is set, it alone says what goes direct, this machine included.
        monkeypatch.setenv("NO_PROXY", "example.invalid")
        with StreamClient(exchange.url) as client:
            _stream_one(client, exchange)
        assert len(proxy.tunnels) == 1
        # proxy=None: direct, whatever the environment says.
        with StreamClient(exchange.url, proxy=None) as client:
            _stream_one(client, exchange)
        # NO_PROXY lists the host: direct too.
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with StreamClient(exchange.url) as client:
            _stream_one(client, exchange)
        assert len(proxy.tunnels) == 1


def test_a_proxy_in_the_environment_that_cannot_be_used_fails_at_once(
    exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "https://user:Xyzzy42@10.0.0.1:3128")  # TLS to a proxy
    monkeypatch.setenv("NO_PROXY", "example.invalid")
    with StreamClient(exchange.url) as client:
        started = time.monotonic()
        with pytest.raises(ProxyError, match="must start with http://") as caught:
            client.subscribe_index("BTCUSDT", timeout=10)
        assert time.monotonic() - started < 2
    assert "Xyzzy42" not in str(caught.value)


def test_proxy_for_reads_the_environment_as_requests_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
    monkeypatch.setenv("ALL_PROXY", "socks5h://10.0.0.2")
    assert proxy_for("wss://x.example/stream", True) == Proxy("http", "10.0.0.1", 3128)
    assert proxy_for("ws://x.example/stream", True) == Proxy("socks5h", "10.0.0.2", 1080)
    # This machine goes direct while NO_PROXY is not set: a local server, such as
    # the fake exchange, is not asked of a company proxy.
    assert proxy_for("ws://127.0.0.1:9000/stream", True) is None
    assert proxy_for("ws://localhost:9000/stream", True) is None
    assert proxy_for("ws://[::1]:9000/stream", True) is None
    # An explicit proxy is used for every host.
    assert proxy_for("ws://127.0.0.1:9000/stream", Proxy("http", "h", 1)) == Proxy("http", "h", 1)
    monkeypatch.setenv("NO_PROXY", ".example")
    assert proxy_for("wss://x.example/stream", True) is None
    assert proxy_for("wss://x.example/stream", None) is None
    assert proxy_for("ws://127.0.0.1:9000/stream", True) == Proxy("socks5h", "10.0.0.2", 1080)


def test_wrong_credentials_fail_at_once_naming_the_proxy_without_the_password(
    exchange: FakeExchange,
) -> None:
    with ProxyServer("user:s3cret") as proxy:
        for url in (proxy.url("http"), proxy.url("http", "user:Xyzzy42")):
            with StreamClient(exchange.url, proxy=url) as client:
                started = time.monotonic()
                with pytest.raises(ProxyError, match="407") as caught:
                    client.subscribe_index("BTCUSDT", timeout=10)
                assert time.monotonic() - started < 2
            assert (
                caught.value.proxy
                == f"http://{'user@' if 'user' in url else ''}127.0.0.1:{proxy.port}"
            )
            assert "Xyzzy42" not in str(caught.value)
            assert str(proxy.port) in str(caught.value)
        with StreamClient(exchange.url, proxy=proxy.url("socks5", "user:Xyzzy42")) as client:
            with pytest.raises(ProxyError, match="refused the user name or password") as caught:
                client.subscribe_index("BTCUSDT", timeout=10)
            assert "Xyzzy42" not in str(caught.value)


def test_a_proxy_that_is_not_there_fails_at_once(exchange: FakeExchange) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, not listening: connections are refused
        with StreamClient(exchange.url, proxy=f"http://u:hidden@127.0.0.1:{port}") as client:
            started = time.monotonic()
            with pytest.raises(
                ProxyError, match=f"could not reach proxy http://u@127.0.0.1:{port}"
            ):
                client.subscribe_index("BTCUSDT", timeout=10)
            assert time.monotonic() - started < 2


def test_close_cuts_short_a_proxy_that_never_answers(exchange: FakeExchange) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)  # accepts (the kernel does), never answers CONNECT
        client = StreamClient(exchange.url, proxy=f"http://127.0.0.1:{silent.getsockname()[1]}")
        errors = []

        def subscribe() -> None:
            try:
                client.subscribe_index("BTCUSDT", timeout=30)
            except Exception as exc:
                errors.append(exc)

        caller = threading.Thread(target=subscribe)
        caller.start()
        time.sleep(0.3)  # let the connect reach the proxy; nothing to wait on: it is silent
        started = time.monotonic()
        client.close()
        caller.join(2)
        assert not caller.is_alive()
        assert time.monotonic() - started < 1.5
        assert errors


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ftp://10.0.0.1:21", "must start with http://, socks5://, socks5h://"),
        ("10.0.0.1:3128", "must be a URL"),
        ("http://10.0.0.1:3128\r\nX: y", "control characters"),
        ("http://user:pw@10.0.0.1:3128\n", "control characters"),
        ("http://user:pw@10.0.0.1:99999", "scheme://"),
        (3128, "proxy must be a URL"),
    ],
)
def test_bad_proxy_values_are_refused_at_the_call(value: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message) as caught:
        StreamClient(proxy=value)  # type: ignore[arg-type]
    assert "pw@" not in str(caught.value)


def test_the_proxy_option_keeps_the_password_out_of_repr() -> None:
    proxy = check_proxy("http://me:s3cret@10.0.0.1:3128")
    assert isinstance(proxy, Proxy)
    assert "s3cret" not in repr(proxy)
    assert proxy.display == "http://me@10.0.0.1:3128"
    assert proxy.password == "s3cret"


def test_a_connection_error_through_the_proxy_is_a_connection_failed_error() -> None:
    assert issubclass(ProxyError, ConnectionFailedError)
