"""The few REST look-ups a streaming user needs, over one ``requests.Session``.

Which symbols can I subscribe to? Ask the exchange::

    >>> from binance_options_ws.rest import RestClient
    >>> with RestClient() as rest:
    ...     info = rest.exchange_info()
    >>> info.symbols("BTC", info.nearest_expiration("BTC"))[:2]
    [OptionSymbol(...), OptionSymbol(...)]

Every call has a timeout, sends a ``User-Agent: binance-options-ws/<version>``
header and is made once: nothing is retried. Failures become the library's own
errors (see :mod:`binance_options_ws.exceptions`):

- an error body ``{"code": ..., "msg": ...}`` or any other non-2xx answer:
  :class:`BinanceAPIError` with ``code``, ``msg`` and the HTTP ``status``;
- HTTP 429 (rate limit) and 418 (IP banned): :class:`RateLimitError` with
  ``retry_after`` from the Retry-After header (seconds or an HTTP date). Until
  that time has passed the client refuses to send, raising
  :class:`RateLimitError` at once, so a loop cannot walk into a longer ban;
- HTTP 503 "Unknown error, please check your request or try again later.":
  :class:`UnknownOutcomeError`; Binance says the request may have succeeded;
- a timeout: :class:`RestTimeoutError` (which says whether the server never
  answered, or sent its headers and then stalled in the body); no connection:
  :class:`RestConnectionError`; a body that is not the JSON expected, or larger
  than ``max_response_bytes`` once decompressed: :class:`InvalidResponseError`.

Proxies: by default the standard environment variables (``HTTPS_PROXY``,
``ALL_PROXY``, ``NO_PROXY``, ...), as requests reads them; ``proxy="http://..."``
names one, ``proxy=None`` turns them off. ``socks5://`` proxies need PySocks, the
``socks`` extra (``pip install -e ".[socks]"``).
"""

from __future__ import annotations

import json
import logging
import math
import ssl
import threading
import time
from types import TracebackType
from typing import Any, Dict, List, NoReturn, Optional, Tuple, Type, Union
from urllib.parse import urlsplit

import requests
import requests.adapters

from ._proxy import Proxy, check_proxy, check_ssl_context, check_url_text, local_goes_direct
from ._retry import RATE_LIMIT_STATUSES, parse_retry_after
from ._timing import Clock, Deadline, positive
from ._version import __version__
from .exceptions import (
    BinanceAPIError,
    ClientClosedError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    InvalidResponseError,
    RateLimitError,
    RestConnectionError,
    RestError,
    RestTimeoutError,
    UnknownOutcomeError,
)
from .exchange_info import (
    DEPTH_LIMITS,
    DepthSnapshot,
    ExchangeInfo,
    parse_depth_snapshot,
    parse_exchange_info,
)
from .symbols import OptionSymbol

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "DEFAULT_REST_URL", "USER_AGENT", "RestClient"]

logger: logging.Logger = logging.getLogger(__name__)

#: Binance's options REST API.
DEFAULT_REST_URL = "https://eapi.binance.com"
#: Sent with every request, so Binance can tell this library's traffic apart.
USER_AGENT = f"binance-options-ws/{__version__}"

_PING = "/eapi/v1/ping"
_TIME = "/eapi/v1/time"
_EXCHANGE_INFO = "/eapi/v1/exchangeInfo"
_DEPTH = "/eapi/v1/depth"

# The 503 message that, per the documentation, means "sent, outcome unknown".
_UNKNOWN_OUTCOME_MARKER = "unknown error"
_SNIPPET = 200  # characters of a bad body quoted in an error message
#: The largest answer read by default, in bytes once decompressed: 64 MiB, some
#: twenty times Binance's whole options exchangeInfo.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
_CHUNK = 65536
# What turns requests' proxy lookup in the environment off, key by key.
_NO_PROXIES: Dict[str, Any] = {"http": None, "https": None, "all": None}


class _ContextAdapter(requests.adapters.HTTPAdapter):
    """An HTTP adapter whose TLS connections, direct or through a proxy, use one SSLContext."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self._context
        return super().proxy_manager_for(proxy, **kwargs)


class RestClient:
    """A small client for Binance's public options REST API.

    Args:
        base_url: Where the API lives, ``https://eapi.binance.com`` by default.
        timeout: Seconds to wait for the server on every request (connecting and
            each read), 10 by default; reading a body takes at most this long too.
        proxy: A proxy URL (``"http://user:password@host:3128"``, ``"socks5h://..."``),
            True (the default) to read ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY``
            from the environment as requests does, or None for no proxy.
        ssl_context: The TLS settings (a private certificate authority, a company
            proxy that inspects TLS); None uses requests' defaults. Verification
            stays on unless the context turns it off.
        max_response_bytes: The largest answer read, once decompressed; a larger
            one raises :class:`InvalidResponseError` without being read further.

    Raises:
        ValueError: If ``base_url`` is not an http(s) URL, ``timeout`` or
            ``max_response_bytes`` is not a positive number, or ``proxy`` is not a
            proxy URL, True or None (an ``InvalidArgumentError`` then).

    Example:
        >>> with RestClient(timeout=5) as rest:
        ...     print(rest.exchange_info().underlyings())
        ['BTC', 'ETH']
    """

    def __init__(
        self,
        base_url: str = DEFAULT_REST_URL,
        *,
        timeout: float = 10.0,
        proxy: Union[str, bool, None] = True,
        ssl_context: Optional[ssl.SSLContext] = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            error = InvalidArgumentError if isinstance(base_url, str) else InvalidArgumentTypeError
            raise error(f"base_url must start with https:// or http://, got {base_url!r}")
        check_url_text("base_url", base_url)
        if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int):
            raise InvalidArgumentTypeError(
                "max_response_bytes must be a whole number of bytes >= 1, "
                f"got {max_response_bytes!r}"
            )
        if max_response_bytes < 1:
            raise InvalidArgumentError(
                "max_response_bytes must be a whole number of bytes >= 1, "
                f"got {max_response_bytes!r}"
            )
        ssl_context = check_ssl_context(ssl_context)
        proxies = _proxies(proxy, base_url)
        checked = check_proxy(proxy)
        self._proxy_shown = f" {checked.display}" if isinstance(checked, Proxy) else ""
        if isinstance(timeout, float) and not math.isfinite(timeout):
            raise InvalidArgumentError(
                f"timeout must be a positive number of seconds, got {timeout!r}"
            )
        positive("timeout", timeout)
        self._base_url = base_url.rstrip("/")
        self._timeout = float(timeout)
        self._max_bytes = max_response_bytes
        self._proxies = proxies
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        if ssl_context is not None:
            self._session.mount("https://", _ContextAdapter(ssl_context))
        self._clock: Clock = time.monotonic
        # Protects _closed, _blocked and _blocked_status. The HTTP request itself
        # runs outside the lock.
        self._lock = threading.Lock()
        self._closed = False
        self._blocked: Optional[Deadline] = None  # no request before this, on _clock
        self._blocked_status = 0

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._base_url

    @property
    def timeout(self) -> float:
        """Seconds allowed for each request."""
        return self._timeout

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closed

    # ----------------------------------------------------------------------
    # The look-ups
    # ----------------------------------------------------------------------

    def ping(self) -> None:
        """Check that the REST API answers (``GET /eapi/v1/ping``).

        Raises:
            RestError: A subclass saying what went wrong.
            ClientClosedError: If the client has been closed.

        Example:
            >>> with RestClient() as rest:
            ...     rest.ping()  # returns None, or raises a RestError
        """
        self._get(_PING, json_body=False)

    def server_time(self) -> int:
        """The exchange's clock (``GET /eapi/v1/time``).

        Returns:
            Milliseconds since the epoch.

        Raises:
            InvalidResponseError: If the answer has no whole-number ``serverTime``.
            RestError: Another subclass for any other failure.
            ClientClosedError: If the client has been closed.

        Example:
            >>> RestClient().server_time()
            1789905600000
        """
        body = self._get(_TIME)
        server_time = body.get("serverTime") if isinstance(body, dict) else None
        if isinstance(server_time, bool) or not isinstance(server_time, int):
            raise InvalidResponseError(
                f"GET {_TIME} answered without a whole-number serverTime: "
                f"{_snippet(json.dumps(body))}"
            )
        return server_time

    def exchange_info(self) -> ExchangeInfo:
        """Every listed option with its filters (``GET /eapi/v1/exchangeInfo``).

        Returns:
            The parsed :class:`ExchangeInfo`; see its helpers ``underlyings()``,
            ``expirations()``, ``symbols()``, ``nearest_expiration()`` and
            ``strikes_near()``.

        Raises:
            InvalidResponseError: If the body is not a JSON object.
            RestError: Another subclass for any other failure.
            ClientClosedError: If the client has been closed.

        Example:
            >>> RestClient().exchange_info().underlyings()
            ['BTC', 'ETH']
        """
        return parse_exchange_info(self._get(_EXCHANGE_INFO))

    def depth(self, symbol: Union[str, OptionSymbol], limit: int = 100) -> DepthSnapshot:
        """An option's order book now (``GET /eapi/v1/depth``).

        Args:
            symbol: The option symbol, e.g. ``"BTC-261225-100000-C"`` (any case).
            limit: Levels per side: one of 10, 20, 50, 100, 500, 1000.

        Returns:
            The :class:`DepthSnapshot`, whose ``last_update_id`` ties it to the
            diff-depth stream (see :class:`~binance_options_ws.OrderBook`).

        Raises:
            InvalidStreamError: If ``symbol`` is not an option symbol.
            ValueError: If ``limit`` is not one of the allowed values.
            RestError: A subclass for any failure of the request.

        Example:
            >>> RestClient().depth("BTC-261225-100000-C", limit=10).bids[0]
            (5100.0, 0.5)
        """
        name = OptionSymbol.parse(symbol).name
        if isinstance(limit, bool) or limit not in DEPTH_LIMITS:
            raise InvalidArgumentError(
                f"limit must be one of {', '.join(map(str, DEPTH_LIMITS))}, got {limit!r}"
            )
        body = self._get(_DEPTH, params={"symbol": name, "limit": limit})
        return parse_depth_snapshot(name, body)

    # ----------------------------------------------------------------------
    # Lifetime
    # ----------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP session. Safe to call more than once.

        Example:
            >>> rest = RestClient()
            >>> rest.close()
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._session.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"RestClient(base_url={self._base_url!r}, timeout={self._timeout!r}) [{state}]"

    # ----------------------------------------------------------------------
    # One request, and the translation of everything that can go wrong
    # ----------------------------------------------------------------------

    def _get(
        self, path: str, *, json_body: bool = True, params: Optional[Dict[str, Any]] = None
    ) -> Any:
        self._before_request()
        url = self._base_url + path
        try:
            response = self._session.get(
                url, params=params, timeout=self._timeout, proxies=self._proxies, stream=True
            )
        except requests.Timeout as exc:  # ConnectTimeout too, though it is also a ConnectionError
            raise RestTimeoutError(
                f"GET {url} did not complete within {self._timeout:g} seconds: no answer"
            ) from exc
        except requests.exceptions.InvalidSchema as exc:  # socks5:// without PySocks
            raise RestConnectionError(
                f"GET {url} failed: {exc}; a socks5:// proxy needs the socks extra "
                '(pip install -e ".[socks]", or pip install PySocks)'
            ) from exc
        except requests.exceptions.ProxyError as exc:
            raise RestConnectionError(
                f"GET {url} failed: the proxy{self._proxy_shown} failed: {exc}"
            ) from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise RestConnectionError(f"GET {url} failed: could not connect: {exc}") from exc
        except requests.RequestException as exc:
            raise RestError(f"GET {url} failed: {exc}") from exc
        with response:
            content = self._read_body(url, response)
        status = response.status_code
        if not 200 <= status < 300:
            self._raise_for_error(response, content)
        if not json_body:
            return None
        try:
            body = json.loads(content)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
            raise InvalidResponseError(
                f"GET {url} answered HTTP {status} with a body that is not JSON: "
                f"{_snippet(_text(content))}"
            ) from exc
        error = _error_fields(body)
        if error is not None and error[0] is not None and error[0] < 0:
            # An error payload under a 2xx status: still an error.
            raise BinanceAPIError(error[0], error[1], status)
        return body

    def _read_body(self, url: str, response: requests.Response) -> bytes:
        """The whole body, decompressed, within ``timeout`` and ``max_response_bytes``.

        Raises:
            InvalidResponseError: If it is larger than ``max_response_bytes``.
            RestTimeoutError: If the server stalled after its headers, or took longer
                than ``timeout`` to send the body.
            RestConnectionError: If the connection broke in the middle of the body.
        """
        status = response.status_code
        limit = self._max_bytes
        too_big = (
            f"GET {url} answered HTTP {status} with a body larger than {limit:,} bytes "
            "(max_response_bytes): not read"
        )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise InvalidResponseError(too_big)
        deadline = Deadline(self._timeout, clock=self._clock)
        chunks: List[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise InvalidResponseError(too_big)
                chunks.append(chunk)
                if deadline.expired:
                    raise RestTimeoutError(
                        f"GET {url} answered HTTP {status}, then sent its body too slowly: "
                        f"{size:,} bytes in {self._timeout:g} s"
                    )
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            if _is_read_timeout(exc):
                raise RestTimeoutError(
                    f"GET {url} answered HTTP {status}, then stalled: no byte of the body "
                    f"for {self._timeout:g} s (after {size:,} bytes)"
                ) from exc
            raise RestConnectionError(
                f"GET {url} answered HTTP {status}, then the connection broke in the body "
                f"(after {size:,} bytes): {exc}"
            ) from exc
        except requests.RequestException as exc:
            raise RestError(f"GET {url} failed while reading the body: {exc}") from exc
        return b"".join(chunks)

    def _before_request(self) -> None:
        with self._lock:
            if self._closed:
                raise ClientClosedError(
                    "this RestClient is closed; create a new one "
                    "(or use `with RestClient() as rest:`)"
                )
            blocked = self._blocked
            if blocked is None:
                return
            if blocked.expired:
                self._blocked = None
                return
            wait = blocked.timeout()
            status = self._blocked_status
        reason = "the IP is banned" if status == 418 else "the request rate limit was broken"
        raise RateLimitError(
            None,
            f"request not sent: {reason} (HTTP {status}) and Binance asked to wait; "
            f"try again in {wait:.1f} seconds",
            status,
            wait,
        )

    def _raise_for_error(self, response: requests.Response, content: bytes) -> NoReturn:
        status = response.status_code
        fields = _error_fields(_json_or_none(content))
        if fields is None:
            code: Optional[int] = None
            body = _snippet(_text(content))
            msg = f"{response.reason or 'error'}: {body}" if body else (response.reason or "error")
        else:
            code, msg = fields
        if status == 407:  # from a proxy: plain http:// goes through it without a tunnel
            raise RestConnectionError(
                f"GET {response.url} failed: the proxy{self._proxy_shown} asked for credentials "
                "(HTTP 407): put them in the proxy URL, http://user:password@host:port"
            )
        if status in RATE_LIMIT_STATUSES:
            retry_after = parse_retry_after(response.headers)
            if retry_after is not None and retry_after > 0:
                with self._lock:
                    self._blocked = Deadline(retry_after, clock=self._clock)
                    self._blocked_status = status
            logger.warning(
                "Binance answered HTTP %s (%s); Retry-After: %s seconds",
                status,
                "IP banned" if status == 418 else "rate limit",
                retry_after,
            )
            raise RateLimitError(code, msg, status, retry_after)
        if status == 503 and _UNKNOWN_OUTCOME_MARKER in msg.lower():
            raise UnknownOutcomeError(code, msg, status)
        raise BinanceAPIError(code, msg, status)


# --------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------


def _proxies(proxy: object, base_url: str) -> Optional[Dict[str, Any]]:
    """requests' ``proxies`` for the ``proxy`` option (None: requests reads the environment).

    As for the streams (:func:`~binance_options_ws._proxy.proxy_for`), a local
    ``base_url`` goes direct while ``NO_PROXY`` is not set.

    Raises:
        InvalidArgumentError: If ``proxy`` is not a proxy URL, True or None.
    """
    checked = check_proxy(proxy)
    if checked is True:
        if local_goes_direct(urlsplit(base_url).hostname or ""):
            return dict(_NO_PROXIES)
        return None
    if checked is None:
        return dict(_NO_PROXIES)  # None for every key: requests then uses none
    assert isinstance(proxy, str)
    return {"http": proxy, "https": proxy}


def _is_read_timeout(error: BaseException) -> bool:
    """Whether requests' error wraps a read timeout (urllib3 wraps it in ConnectionError)."""
    current: Optional[BaseException] = error
    while current is not None:
        if (
            isinstance(current, (requests.Timeout, TimeoutError))
            or "ReadTimeout" in type(current).__name__
        ):
            return True
        args = getattr(current, "args", ())
        nested = args[0] if args and isinstance(args[0], BaseException) else None
        current = nested or current.__cause__ or current.__context__
    return False


def _text(content: bytes) -> str:
    return content.decode("utf-8", errors="replace")


def _snippet(text: str) -> str:
    text = text.strip()
    return text[:_SNIPPET] + ("..." if len(text) > _SNIPPET else "")


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def _error_fields(body: Any) -> Optional[Tuple[Optional[int], str]]:
    """``(code, msg)`` of a Binance error payload ``{"code": -1121, "msg": "..."}``, else None."""
    if not isinstance(body, dict) or "msg" not in body or "code" not in body:
        return None
    raw_code = body.get("code")
    code: Optional[int] = None
    if isinstance(raw_code, (int, str)) and not isinstance(raw_code, bool):
        try:  # -1121, or "-1121" as some endpoints now send it
            code = int(raw_code)
        except ValueError:
            code = None
    msg = body.get("msg")
    return code, msg if isinstance(msg, str) else str(msg)
