"""Every error the library raises, under one root.

Catch :class:`BinanceOptionsWSError` to catch them all. Where the meaning
overlaps with a built-in, the error is also that built-in (a bad stream name is
a ``ValueError``, a reply that never came is a ``TimeoutError``), so code that
already catches the built-ins keeps working::

    BinanceOptionsWSError
    ├── InvalidArgumentError (ValueError)    a bad argument or option value
    │   ├── InvalidArgumentTypeError (TypeError)  an argument of the wrong type
    │   └── InvalidStreamError               a bad stream name, symbol or parameter
    │       └── InvalidStreamTypeError (TypeError)  ... of the wrong type
    ├── MessageParseError (ValueError)       a message that is not JSON, or lacks a field
    ├── ClientClosedError (RuntimeError)     a method called on a closed client
    │   └── SubscriptionEndedError           reading a subscription that has ended
    ├── ServerError                          the exchange answered a request with an error
    ├── RequestTimeoutError (TimeoutError)   the exchange did not answer in time
    ├── ConnectionFailedError (ConnectionError)  could not open or keep a connection
    │   └── ProxyError                       the proxy refused, failed or was unreachable
    ├── RecordingError (OSError)             a recording could not be written
    ├── RecordingDamagedError (ValueError)   a recording is damaged (read up to the damage)
    ├── MissingExtraError (ImportError)      an optional library (pandas, pyarrow) is missing
    └── RestError                            a REST look-up failed
        ├── BinanceAPIError                  the API answered {"code": ..., "msg": ...}
        │   ├── RateLimitError               HTTP 429 (slow down) or 418 (IP banned)
        │   └── UnknownOutcomeError          HTTP 503 "unknown error": outcome unknown
        ├── RestTimeoutError (TimeoutError)  the HTTP request timed out
        ├── RestConnectionError (ConnectionError)  no HTTP connection could be made
        └── InvalidResponseError (ValueError)  the body was not the JSON expected

Example:
    >>> from binance_options_ws import streams, InvalidStreamError
    >>> try:
    ...     streams.depth("BTC-260925-100000-C", levels=15)
    ... except InvalidStreamError as exc:
    ...     print(exc)
    levels must be one of 10, 20, 50, 100, got 15
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "BinanceAPIError",
    "BinanceOptionsWSError",
    "ClientClosedError",
    "ConnectionFailedError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "InvalidResponseError",
    "InvalidStreamError",
    "InvalidStreamTypeError",
    "MessageParseError",
    "MissingExtraError",
    "ProxyError",
    "RateLimitError",
    "RecordingDamagedError",
    "RecordingError",
    "RequestTimeoutError",
    "RestConnectionError",
    "RestError",
    "RestTimeoutError",
    "ServerError",
    "SubscriptionEndedError",
    "UnknownOutcomeError",
]


class BinanceOptionsWSError(Exception):
    """The root of every error this library raises."""


class InvalidArgumentError(BinanceOptionsWSError, ValueError):
    """An argument or option has a value the library cannot use.

    Raised at the call site. The message names the bad value and the valid choices.
    """


class InvalidArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument has the wrong type (a number where a name belongs, say).

    Also a ``TypeError``, as Python's own call-site errors are, and an
    :class:`InvalidArgumentError`. The message names the bad value and what the
    argument takes.
    """


class InvalidStreamError(InvalidArgumentError):
    """A stream name, symbol or stream parameter is not valid.

    Raised at the call site, before anything is sent. The message names the bad
    value and the valid choices.
    """


class InvalidStreamTypeError(InvalidStreamError, TypeError):
    """A stream name, symbol or stream parameter has the wrong type.

    ``subscribe_index(123)``, for one: an :class:`InvalidStreamError` and a
    ``TypeError``.
    """


class MessageParseError(BinanceOptionsWSError, ValueError):
    """A WebSocket message could not be decoded as JSON, or an event in it lacks a
    field the exchange always sends (its symbol, say): see the README's field rule.

    Attributes:
        text: The first 200 characters of the offending message.
    """

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message)
        self.text = text


class ClientClosedError(BinanceOptionsWSError, RuntimeError):
    """A method was called on a client that has been closed.

    Create a new client (or use ``with StreamClient() as client:``) instead.
    """


class SubscriptionEndedError(ClientClosedError):
    """A subscription's ``get()`` found no event left after the subscription ended.

    Raised once ``unsubscribe()`` (or ``client.unsubscribe``) ended it and its
    events were all read; when the client was closed, the error is the
    :class:`ClientClosedError` itself.
    """


class ServerError(BinanceOptionsWSError):
    """The exchange answered a SUBSCRIBE or other request with an error.

    Attributes:
        code: The error code from the reply (``{"code": 2, "msg": ...}``).
        msg: The exchange's message.
        request: The request that was answered with the error, if known.
    """

    def __init__(self, code: Optional[int], msg: str, request: object = None) -> None:
        detail = f"the exchange answered with error {code}: {msg}"
        if request is not None:
            detail += f" (request: {request})"
        super().__init__(detail)
        self.code = code
        self.msg = msg
        self.request = request


class RequestTimeoutError(BinanceOptionsWSError, TimeoutError):
    """The exchange did not answer a request within the timeout."""


class ConnectionFailedError(BinanceOptionsWSError, ConnectionError):
    """A WebSocket connection could not be opened or was lost."""


class ProxyError(ConnectionFailedError):
    """The proxy could not be reached, refused the tunnel, or asked for credentials.

    The message and :attr:`proxy` name the proxy without its password.

    Attributes:
        proxy: The proxy's URL without the password, e.g. ``"http://user@10.0.0.1:3128"``.
        status: The proxy's HTTP status (407: wrong or missing credentials), or None.
    """

    def __init__(self, message: str, proxy: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.proxy = proxy
        self.status = status


class RestError(BinanceOptionsWSError):
    """A REST look-up failed. The subclasses say how."""


class BinanceAPIError(RestError):
    """The REST API answered with an error body ``{"code": ..., "msg": ...}``.

    Attributes:
        code: Binance's error code, e.g. -1121 for an invalid symbol (None if absent).
        msg: Binance's message.
        status: The HTTP status code.
    """

    def __init__(self, code: Optional[int], msg: str, status: int) -> None:
        code_text = f", Binance error {code}" if code is not None else ""
        super().__init__(f"HTTP {status}{code_text}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status


class RateLimitError(BinanceAPIError):
    """HTTP 429 (request rate limit broken) or 418 (IP auto-banned).

    The client never retries into a ban: wait ``retry_after`` seconds before the
    next request.

    Attributes:
        retry_after: Seconds to wait, from the Retry-After header (None if absent).
    """

    def __init__(
        self, code: Optional[int], msg: str, status: int, retry_after: Optional[float]
    ) -> None:
        super().__init__(code, msg, status)
        self.retry_after = retry_after


class UnknownOutcomeError(BinanceAPIError):
    """HTTP 503 with "Unknown error": the request was sent but its outcome is unknown.

    Binance's documentation says not to treat this as a failure: the request may
    have succeeded.
    """


class RestTimeoutError(RestError, TimeoutError):
    """The HTTP request did not complete within its timeout."""


class RestConnectionError(RestError, ConnectionError):
    """No HTTP connection could be made (DNS, refused, TLS, reset)."""


class InvalidResponseError(RestError, ValueError):
    """The HTTP response body was not the JSON the API documents."""


class RecordingError(BinanceOptionsWSError, OSError):
    """A recording could not be written: an unwritable directory, a full disk.

    Raised by ``StreamClient(record_to=...)`` at the start; later, writing stops
    with a logged error, the error goes to ``on_error``, and the stream goes on.
    """


class RecordingDamagedError(BinanceOptionsWSError, ValueError):
    """A recording ends in damage (cut mid-line, a bad gzip tail, a garbled line).

    Everything before the damage was read. The attributes say where it is.

    Attributes:
        path: The damaged file.
        line: The number of its first line that could not be read (1 = the header).
        frames: How many frames were read from the recording before it.
    """

    def __init__(self, path: str, line: int, frames: int, detail: str) -> None:
        super().__init__(
            f"recording {path} is damaged at line {line} ({detail}); "
            f"the {frames} frames before it were read"
        )
        self.path = path
        self.line = line
        self.frames = frames


class MissingExtraError(BinanceOptionsWSError, ImportError):
    """An optional library is missing; the message names the extra that installs it.

    Example:
        >>> issubclass(MissingExtraError, ImportError)
        True
    """
