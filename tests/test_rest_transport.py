"""RestClient over real local sockets: proxies, TLS, bodies that stall or never end.

``tests/test_rest.py`` covers the answers themselves with canned responses; here a
real server (the fake exchange, or a raw socket that misbehaves) and a real proxy
(pproxy, see ``proxy_server.py``) run on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
import time
from typing import Callable, Iterator, List

import pytest
import trustme
from proxy_server import ProxyServer

from binance_options_ws import InvalidArgumentError
from binance_options_ws.exceptions import (
    InvalidResponseError,
    RestConnectionError,
    RestTimeoutError,
)
from binance_options_ws.rest import RestClient
from binance_options_ws.testing import FakeExchange, SyntheticMarket


@pytest.fixture(autouse=True)
def no_proxy_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return SyntheticMarket(seed=3)


@pytest.fixture(scope="module")
def exchange(market: SyntheticMarket) -> Iterator[FakeExchange]:
    with FakeExchange(market=market) as fake:
        yield fake


def _raw_server(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """A one-connection HTTP server on 127.0.0.1 that answers with ``answer(conn)``."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    done = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)  # the request
            answer(conn)
            done.wait(10)  # hold the connection open: stalled

    thread = threading.Thread(target=serve, name="test-raw-http", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    done.set()
    thread.join(5)
    server.close()


@pytest.fixture
def stalling_server() -> Iterator[str]:
    def answer(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        conn.sendall(b'Content-Length: 1000\r\n\r\n{"serverTime":')  # then nothing

    yield from _raw_server(answer)


@pytest.fixture
def bomb_server() -> Iterator[str]:
    body = gzip.compress(b" " * (8 * 1024 * 1024))  # 8 MiB of spaces in about 8 KiB

    def answer(conn: socket.socket) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        conn.sendall(head.encode() + body)

    yield from _raw_server(answer)


def test_a_body_that_stalls_after_the_headers_is_reported_as_such(stalling_server: str) -> None:
    with RestClient(stalling_server, timeout=0.5) as rest:
        started = time.monotonic()
        with pytest.raises(RestTimeoutError, match="answered HTTP 200, then stalled") as caught:
            rest.server_time()
        assert time.monotonic() - started < 2
    assert "could not connect" not in str(caught.value)


def test_the_decompressed_body_is_capped(bomb_server: str) -> None:
    rest = RestClient(bomb_server, max_response_bytes=1024 * 1024)
    with rest, pytest.raises(InvalidResponseError, match="body larger than 1,048,576 bytes"):
        rest.server_time()


def test_max_response_bytes_is_checked() -> None:
    with pytest.raises(ValueError, match="max_response_bytes must be a whole number"):
        RestClient(max_response_bytes=0)


def test_depth_through_a_proxy(exchange: FakeExchange, market: SyntheticMarket) -> None:
    symbol = market.symbols("BTC")[0]
    with ProxyServer("me:pw") as proxy:
        with RestClient(exchange.rest_url, proxy=proxy.url("http", "me:pw")) as rest:
            assert rest.depth(symbol, limit=10).last_update_id > 0
        assert any(f"127.0.0.1:{exchange.port}" in line for line in proxy.tunnels)


def test_the_environment_names_the_proxy_unless_proxy_is_none(
    exchange: FakeExchange, market: SyntheticMarket, monkeypatch: pytest.MonkeyPatch
) -> None:
    symbol = market.symbols("BTC")[0]
    with ProxyServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url())
        # Set, NO_PROXY alone decides (unset, this machine would go direct).
        monkeypatch.setenv("NO_PROXY", "example.invalid")
        with RestClient(exchange.rest_url) as rest:
            rest.depth(symbol, limit=10)
        seen: List[str] = list(proxy.tunnels)
        assert seen
        with RestClient(exchange.rest_url, proxy=None) as rest:
            rest.depth(symbol, limit=10)
        assert proxy.tunnels == seen


def test_this_machine_goes_direct_while_no_proxy_is_unset(
    exchange: FakeExchange, market: SyntheticMarket, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ProxyServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url())
        with RestClient(exchange.rest_url) as rest:
            rest.depth(market.symbols("BTC")[0], limit=10)
        assert proxy.tunnels == []


def test_a_proxy_that_refuses_is_a_connection_error(exchange: FakeExchange) -> None:
    with ProxyServer("me:pw") as proxy:
        rest = RestClient(exchange.rest_url, proxy=proxy.url("http"), timeout=5)
        with rest, pytest.raises(RestConnectionError):
            rest.ping()


def test_a_private_ca_through_ssl_context(market: SyntheticMarket) -> None:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    symbol = market.symbols("BTC")[0]
    with FakeExchange(market=market, ssl_context=server) as tls:
        assert tls.rest_url.startswith("https://")
        rest = RestClient(tls.rest_url, proxy=None)
        with rest, pytest.raises(RestConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            rest.depth(symbol, limit=10)
        context = ssl.create_default_context()
        ca.configure_trust(context)
        with RestClient(tls.rest_url, proxy=None, ssl_context=context) as rest:
            assert rest.depth(symbol, limit=10).bids


def test_a_tunnel_the_proxy_refuses_names_the_proxy_without_its_password(
    market: SyntheticMarket,
) -> None:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with FakeExchange(market=market, ssl_context=server) as tls, ProxyServer("me:pw") as proxy:
        url = proxy.url("http", "me:Xyzzy42")  # https:// goes through a CONNECT tunnel
        rest = RestClient(tls.rest_url, proxy=url, ssl_context=context, timeout=5)
        with rest, pytest.raises(RestConnectionError) as caught:
            rest.ping()
    message = str(caught.value)
    assert f"the proxy http://me@127.0.0.1:{proxy.port} failed" in message
    assert "407" in message
    assert "Xyzzy42" not in message


@pytest.mark.parametrize("value", ["ftp://x:1", "http://h:1\r\n", 8080])
def test_bad_proxy_values_are_refused(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="proxy"):
        RestClient(proxy=value)  # type: ignore[arg-type]
