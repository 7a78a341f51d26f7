"""Proxies: which one a URL goes through, and the tunnel through it.

A user names a proxy (``StreamClient(proxy="http://user:pass@host:3128")``), or lets
the standard environment variables name one (``HTTPS_PROXY``, ``HTTP_PROXY``,
``ALL_PROXY`` and ``NO_PROXY``, read the way requests reads them), or turns proxies
off (``proxy=None``). :func:`check_proxy` checks the option where the user passes
it; :func:`proxy_for` picks the proxy of one URL.

Two kinds of tunnel, both spoken here on a socket already connected to the proxy,
so that the connection's own connect (which ``close()`` cuts short) and timeout
apply to the proxy too:

* ``http://``: an HTTP ``CONNECT host:port`` (RFC 9110, 9.3.6), with Basic
  credentials when the URL has them;
* ``socks5://`` and ``socks5h://``: SOCKS5 (RFC 1928), with a user name and
  password when the URL has them (RFC 1929). ``socks5h`` lets the proxy resolve
  the exchange's name, ``socks5`` resolves it here first, as curl and requests do.

Every error is a :class:`~binance_options_ws.exceptions.ProxyError` that names the
proxy without its password (:attr:`Proxy.display`).
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import os
import socket
import ssl
import struct
from typing import Callable, Optional, Union
from urllib.parse import unquote, urlsplit

import attrs
import requests.utils

from .exceptions import InvalidArgumentError, InvalidArgumentTypeError, ProxyError

__all__ = [
    "PROXY_SCHEMES",
    "Proxy",
    "ProxyOption",
    "check_proxy",
    "check_ssl_context",
    "check_url_text",
    "is_loopback",
    "local_goes_direct",
    "proxy_for",
    "tunnel",
]

_log = logging.getLogger("binance_options_ws")

#: The proxy URL schemes the WebSocket connections can tunnel through.
PROXY_SCHEMES = ("http", "socks5", "socks5h")
# The longest proxy answer read before giving up on it.
_MAX_PROXY_REPLY = 16384
_DEFAULT_PORTS = {"http": 80, "socks5": 1080, "socks5h": 1080}

_SOCKS_REPLIES = {
    1: "general SOCKS server failure",
    2: "connection not allowed by ruleset",
    3: "network unreachable",
    4: "host unreachable",
    5: "connection refused",
    6: "TTL expired",
    7: "command not supported",
    8: "address type not supported",
}


@attrs.frozen(repr=False)
class Proxy:
    """A proxy server, from a URL such as ``http://user:pass@10.0.0.1:3128``.

    Attributes:
        scheme: ``"http"``, ``"socks5"`` or ``"socks5h"``.
        host: The proxy's host name or address.
        port: Its port.
        username: The user name, or None.
        password: The password, or None (never shown: see :attr:`display`).
    """

    scheme: str
    host: str
    port: int
    username: Optional[str] = None
    password: Optional[str] = None

    @property
    def display(self) -> str:
        """The URL without the password, for messages and logs."""
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{user}{host}:{self.port}"

    def __repr__(self) -> str:
        return f"Proxy({self.display!r})"


#: What the ``proxy`` option takes: a URL, True (from the environment), None (none).
ProxyOption = Union[str, bool, None]


def check_url_text(option: str, value: str) -> None:
    """Refuse control characters and spaces in a URL given as ``option``.

    Raises:
        InvalidArgumentError: Naming the option, the value (without a password) and
            the character.
    """
    bad = next((ch for ch in value if ord(ch) < 0x21 or ord(ch) == 0x7F), None)
    if bad is not None:
        raise InvalidArgumentError(
            f"{option} must not contain spaces or control characters, found {bad!r} "
            f"in {_redact(value)!r}"
        )


def parse_proxy(url: str, option: str = "proxy") -> Proxy:
    """A :class:`Proxy` from its URL; an error naming the bad part otherwise.

    Raises:
        InvalidArgumentError: If the URL is not a proxy URL this library can use.
    """
    check_url_text(option, url)
    shown = _redact(url)
    if "://" not in url:
        raise InvalidArgumentError(
            f"{option} must be a URL such as 'http://host:3128' or 'socks5://host:1080', "
            f"got {shown!r}"
        )
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in PROXY_SCHEMES:
        raise InvalidArgumentError(
            f"{option} must start with {', '.join(s + '://' for s in PROXY_SCHEMES)}, got {shown!r}"
        )
    try:
        port = parts.port
    except ValueError:
        port = -1
    if not parts.hostname or port == -1 or (parts.path not in ("", "/")):
        raise InvalidArgumentError(
            f"{option} must be scheme://[user:password@]host[:port], got {shown!r}"
        )
    return Proxy(
        scheme=scheme,
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def check_proxy(value: object) -> Union[Proxy, bool, None]:
    """Check ``StreamClient``'s ``proxy`` option.

    Returns:
        A :class:`Proxy` for a URL, True to read the environment, None for no proxy.

    Raises:
        InvalidArgumentError: Naming the value and what ``proxy`` takes.
    """
    if value is None or value is False:
        return None
    if value is True:
        return True
    if isinstance(value, str):
        return parse_proxy(value)
    raise InvalidArgumentError(
        "proxy must be a URL such as 'http://user:password@host:3128', True (the "
        f"default: from HTTPS_PROXY, ALL_PROXY and NO_PROXY) or None (no proxy), got {value!r}"
    )


def proxy_for(url: str, setting: Union[Proxy, bool, None]) -> Optional[Proxy]:
    """The proxy that ``url`` (``ws://`` or ``wss://``) goes through, if any.

    With ``setting`` True, the environment decides the way requests reads it: a
    ``wss://`` URL takes ``HTTPS_PROXY``, a ``ws://`` URL ``HTTP_PROXY``, either
    falls back on ``ALL_PROXY``, and a host listed in ``NO_PROXY`` goes direct.
    One addition: while ``NO_PROXY`` is not set at all, this machine's own
    addresses (``localhost``, ``127.x.x.x``, ``::1``) go direct, so that a local
    server (the fake exchange) is not asked of a company proxy that cannot reach it.

    Raises:
        InvalidArgumentError: If the environment names a proxy that cannot be used.
    """
    if setting is None or setting is False:
        return None
    if isinstance(setting, Proxy):
        return setting
    parts = urlsplit(url)
    if local_goes_direct(parts.hostname or ""):
        return None
    scheme = "https" if parts.scheme == "wss" else "http"
    as_http = f"{scheme}://{parts.netloc}{parts.path}"
    found = requests.utils.get_environ_proxies(as_http)
    value = found.get(scheme) or found.get("all")
    if not value:
        return None
    if "://" not in value:  # HTTPS_PROXY=host:3128, which curl and requests read as http
        value = f"http://{value}"
    return parse_proxy(value, option=f"the proxy from the environment for {scheme}")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: ``localhost``, ``127.x.x.x`` or ``::1``.

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("10.0.0.1")
        (True, True, False)
    """
    if host.lower().rstrip(".") in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def local_goes_direct(host: str) -> bool:
    """Whether ``host`` skips the environment's proxy: this machine, while NO_PROXY is unset."""
    return is_loopback(host) and not any(name in os.environ for name in ("NO_PROXY", "no_proxy"))


# ---------------------------------------------------------------------- tunnels


def tunnel(
    sock: socket.socket,
    proxy: Proxy,
    host: str,
    port: int,
    timeout: Callable[[], Optional[float]],
) -> None:
    """Ask the proxy, on ``sock`` (connected to it), for a tunnel to ``host:port``.

    Args:
        sock: The socket connected to the proxy.
        proxy: The proxy.
        host: Where the tunnel goes.
        port: Its port.
        timeout: The seconds left for the whole connect (None: no limit), asked
            before each read.

    Raises:
        ProxyError: If the proxy refused, failed or did not answer in time.
    """
    try:
        if proxy.scheme == "http":
            _http_connect(sock, proxy, host, port, timeout)
        else:
            _socks5_connect(sock, proxy, host, port, timeout)
    except ProxyError:
        raise
    except socket.timeout as exc:
        raise ProxyError(f"proxy {proxy.display} did not answer in time", proxy.display) from exc
    except OSError as exc:
        raise ProxyError(f"proxy {proxy.display} failed: {exc}", proxy.display) from exc


def _recv(sock: socket.socket, size: int, timeout: Callable[[], Optional[float]]) -> bytes:
    left = timeout()
    if left is not None and left <= 0:
        raise socket.timeout("timed out")
    sock.settimeout(left)
    return sock.recv(size)


def _recv_exactly(
    sock: socket.socket, size: int, proxy: Proxy, timeout: Callable[[], Optional[float]]
) -> bytes:
    data = b""
    while len(data) < size:
        chunk = _recv(sock, size - len(data), timeout)
        if not chunk:
            raise ProxyError(
                f"proxy {proxy.display} closed the connection during the SOCKS5 handshake",
                proxy.display,
            )
        data += chunk
    return data


def _http_connect(
    sock: socket.socket,
    proxy: Proxy,
    host: str,
    port: int,
    timeout: Callable[[], Optional[float]],
) -> None:
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if proxy.username is not None:
        secret = f"{proxy.username}:{proxy.password or ''}".encode()
        lines.append(f"Proxy-Authorization: Basic {base64.b64encode(secret).decode()}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    # Read the answer's head one byte at a time: what follows it is the exchange's.
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        byte = _recv(sock, 1, timeout)
        if not byte:
            raise ProxyError(
                f"proxy {proxy.display} closed the connection instead of answering CONNECT",
                proxy.display,
            )
        head += byte
        if len(head) > _MAX_PROXY_REPLY:
            raise ProxyError(f"proxy {proxy.display} sent an endless answer", proxy.display)
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    fields = status_line.split(" ", 2)
    try:
        status = int(fields[1])
    except (IndexError, ValueError):
        raise ProxyError(
            f"proxy {proxy.display} answered CONNECT with {status_line!r}", proxy.display
        ) from None
    if 200 <= status < 300:
        return
    reason = fields[2] if len(fields) > 2 else ""
    hint = ""
    if status == 407:
        hint = (
            ": wrong or missing credentials; put them in the proxy URL, "
            "http://user:password@host:port"
            if proxy.username is None
            else ": the proxy refused the user name or password"
        )
    raise ProxyError(
        f"proxy {proxy.display} refused the tunnel to {target} with HTTP {status} "
        f"{reason}{hint}".replace("  ", " "),
        proxy.display,
        status,
    )


def _socks5_connect(
    sock: socket.socket,
    proxy: Proxy,
    host: str,
    port: int,
    timeout: Callable[[], Optional[float]],
) -> None:
    methods = b"\x00\x02" if proxy.username is not None else b"\x00"
    sock.sendall(b"\x05" + bytes([len(methods)]) + methods)
    version, method = _recv_exactly(sock, 2, proxy, timeout)
    if version != 5:
        raise ProxyError(f"{proxy.display} does not speak SOCKS5", proxy.display)
    if method == 2:
        user = (proxy.username or "").encode()
        password = (proxy.password or "").encode()
        if len(user) > 255 or len(password) > 255:
            raise ProxyError(
                f"the user name and password of proxy {proxy.display} must be at most "
                "255 bytes each",
                proxy.display,
            )
        sock.sendall(b"\x01" + bytes([len(user)]) + user + bytes([len(password)]) + password)
        answer = _recv(sock, 2, timeout)  # some proxies just hang up on a wrong password
        status = answer[1] if len(answer) == 2 else 0xFF
        if status != 0:
            raise ProxyError(
                f"proxy {proxy.display} refused the user name or password", proxy.display, 407
            )
    elif method != 0:
        wanted = "a user name and password" if method == 0xFF else f"method {method}"
        raise ProxyError(
            f"proxy {proxy.display} wants {wanted}: put them in the proxy URL, "
            "socks5://user:password@host:port",
            proxy.display,
            407,
        )
    sock.sendall(b"\x05\x01\x00" + _socks_address(host, proxy) + struct.pack("!H", port))
    _, reply, _, kind = _recv_exactly(sock, 4, proxy, timeout)
    if reply != 0:
        why = _SOCKS_REPLIES.get(reply, f"reply {reply}")
        raise ProxyError(
            f"proxy {proxy.display} could not reach {host}:{port}: {why}", proxy.display
        )
    # The address the proxy bound: read and forget, so the stream starts clean.
    if kind == 1:
        _recv_exactly(sock, 4 + 2, proxy, timeout)
    elif kind == 4:
        _recv_exactly(sock, 16 + 2, proxy, timeout)
    elif kind == 3:
        (length,) = _recv_exactly(sock, 1, proxy, timeout)
        _recv_exactly(sock, length + 2, proxy, timeout)
    else:
        raise ProxyError(f"proxy {proxy.display} sent an unknown address type", proxy.display)


def _socks_address(host: str, proxy: Proxy) -> bytes:
    """The SOCKS5 address of ``host``: an IP as is; a name resolved here unless socks5h."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if proxy.scheme == "socks5h":
            name = host.encode("idna")
            return b"\x03" + bytes([len(name)]) + name
        ip = ipaddress.ip_address(socket.getaddrinfo(host, None)[0][4][0])
    return (b"\x01" if ip.version == 4 else b"\x04") + ip.packed


def _redact(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if password is None:
        return url
    return url.replace(f":{password}@", ":***@", 1)


def check_ssl_context(value: object) -> Optional[ssl.SSLContext]:
    """``ssl_context`` checked: an :class:`ssl.SSLContext` or None.

    A context that does not verify certificates is accepted, never silently: it is
    logged as a warning, since anyone on the way could then read and change the data.
    """
    if value is None:
        return None
    if not isinstance(value, ssl.SSLContext):
        raise InvalidArgumentTypeError(
            "ssl_context must be an ssl.SSLContext, such as "
            f"ssl.create_default_context(cafile='company-ca.pem'), or None, got {value!r}"
        )
    if value.verify_mode == ssl.CERT_NONE or not value.check_hostname:
        _log.warning(
            "ssl_context does not verify the server's certificate and host name: anyone "
            "between you and the exchange can read and change the data"
        )
    return value
