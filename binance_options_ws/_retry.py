"""The retry policy: what is worth retrying, how long to wait, and Retry-After.

One copy of each decision, used by the connection (a refused handshake), the
pool (reconnecting), the order book (a failed snapshot) and the REST client (a
rate limit):

* :func:`is_retryable`: whether waiting can mend a failure, from its HTTP status
  when it has one, and from its kind: a certificate that does not verify never
  mends, and on a first connection neither do a name that does not resolve, a
  refused TLS handshake or a proxy that fails;
* :func:`backoff`: jittered exponential delays, a fresh generator after a
  connection that lived;
* :func:`parse_retry_after`: the Retry-After header, in seconds or as an HTTP date,
  never negative and at most :data:`MAX_RETRY_AFTER`.

Pure: no sockets, threads or clocks (an HTTP date is compared with the time
passed in, :func:`time.time` by default).

Example:
    >>> import random
    >>> delays = backoff(initial=0.5, factor=2.0, cap=30.0, rng=random.Random(1))
    >>> [round(next(delays), 2) for _ in range(4)]
    [0.28, 0.92, 1.76, 2.51]
    >>> is_retryable(429), is_retryable(404)
    (True, False)
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import math
import random
import socket
import ssl
import time
from typing import Iterator, Mapping, Optional, Union

from .exceptions import ProxyError

__all__ = [
    "MAX_RETRY_AFTER",
    "RATE_LIMIT_STATUSES",
    "backoff",
    "is_retryable",
    "parse_retry_after",
    "retry_delay",
]

#: HTTP statuses of a rate limit: 429 (too many requests) and 418 (Binance's IP ban).
RATE_LIMIT_STATUSES = frozenset({418, 429})

#: The longest wait a Retry-After header can ask for, in seconds: three days,
#: Binance's longest IP ban. A shorter cap would send the next request into the
#: ban and lengthen it; the cap only guards against a nonsensical header.
MAX_RETRY_AFTER = 3 * 24 * 3600.0

# The client errors (4xx) that waiting can mend: a request timeout and the rate
# limits. Every other 4xx says the request itself is wrong (a bad URL, an unknown
# symbol) and will be refused again.
# 403: Binance's web application firewall limit, lifted after a while (REST docs).
_TEMPORARY_CLIENT_ERRORS = RATE_LIMIT_STATUSES | {403, 408}


def backoff(
    initial: float = 0.5,
    factor: float = 2.0,
    cap: float = 30.0,
    *,
    rng: Optional[random.Random] = None,
) -> Iterator[float]:
    """Yield retry delays forever: ``initial``, growing by ``factor`` up to ``cap``, with jitter.

    Each delay is drawn uniformly between half and all of the nominal value, so
    many clients that lost the same server do not come back in lockstep. Start a
    new generator to start small again (after a connection that lived, say).

    Args:
        initial: The first nominal delay, in seconds.
        factor: How much the nominal delay grows after each failure.
        cap: The largest nominal delay.
        rng: A random source (tests pass a seeded one).

    Yields:
        Delays in seconds.

    Example:
        >>> next(backoff(initial=1.0, rng=random.Random(0))) <= 1.0
        True
    """
    draw = (rng or random.Random()).uniform
    nominal = initial
    while True:
        yield draw(nominal / 2.0, nominal)
        nominal = min(cap, nominal * factor)


def is_retryable(failure: Union[int, BaseException], *, first_attempt: bool = False) -> bool:
    """Whether trying again later can succeed where this failure happened.

    An HTTP status decides by itself: 403 (Binance's firewall limit), 408, 418,
    429 and every 5xx are temporary, and so is anything that is not an error
    status at all, except a redirect (3xx), which is never followed and would be
    answered again; any other 4xx (a wrong URL, an unknown symbol) will be refused
    again. An exception that carries an HTTP ``status`` (a refused WebSocket
    handshake, a REST error answer, a rate limit, a proxy's 407) is decided by
    that status. Otherwise its causes decide (``__cause__`` and ``__context__``):

    * a TLS certificate that does not verify is final: retrying in the background
      would only hide it;
    * on the first attempt (``first_attempt``: nothing has connected yet), a host
      name that does not resolve, a TLS handshake the server refuses and a proxy
      that fails are final too: they are mistakes in the address or the setup, or
      no network at all, and the caller had better hear it at once. Later, when a
      connection that worked drops, they are temporary (a network that comes back);
    * anything else (a timeout, a lost or refused TCP connection, a body that is
      not JSON) is temporary.

    Args:
        failure: An HTTP status, or the exception that ended the attempt.
        first_attempt: True when nothing has connected yet.

    Returns:
        True when a retry can help, False when it cannot.

    Example:
        >>> is_retryable(503), is_retryable(400), is_retryable(TimeoutError())
        (True, False, True)
        >>> is_retryable(socket.gaierror(-2, "Name or service not known"), first_attempt=True)
        False
    """
    status = failure if isinstance(failure, int) else getattr(failure, "status", None)
    if isinstance(status, int) and not isinstance(status, bool):
        if 300 <= status < 400:
            return False
        return not 400 <= status < 500 or status in _TEMPORARY_CLIENT_ERRORS
    if isinstance(failure, int):
        return True
    causes = list(_causes(failure))
    if any(isinstance(cause, ssl.SSLCertVerificationError) for cause in causes):
        return False
    if first_attempt:
        final = (socket.gaierror, ssl.SSLError, ProxyError)
        return not any(isinstance(cause, final) for cause in causes)
    return True


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and what caused it, each once."""
    seen = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def retry_delay(failure: Optional[BaseException], delays: Iterator[float]) -> float:
    """Seconds to wait before the next attempt: the next backoff delay, or longer if the
    failure carries a Retry-After (``retry_after``, as refused handshakes and rate limits do).

    Args:
        failure: What ended the attempt, if anything.
        delays: The caller's :func:`backoff` generator.

    Example:
        >>> class Banned(Exception):
        ...     retry_after = 60.0
        >>> retry_delay(Banned(), iter([0.5]))
        60.0
    """
    delay = next(delays)
    wait = getattr(failure, "retry_after", None)
    if isinstance(wait, (int, float)) and not isinstance(wait, bool) and wait > delay:
        return float(wait)
    return delay


def parse_retry_after(
    headers: Optional[Mapping[str, str]], *, now: Optional[float] = None
) -> Optional[float]:
    """Seconds to wait from a Retry-After header: ``"120"`` or an HTTP date.

    The header's name is matched in any case. A date in the past gives 0; a wait
    longer than :data:`MAX_RETRY_AFTER` gives that.

    Args:
        headers: The response headers, if any.
        now: The current wall-clock time, to which an HTTP date is compared
            (:func:`time.time` by default).

    Returns:
        Seconds, between 0 and :data:`MAX_RETRY_AFTER`; None when the header is
        absent or unreadable.

    Example:
        >>> parse_retry_after({"Retry-After": "7"})
        7.0
        >>> parse_retry_after({"retry-after": "Thu, 01 Jan 1970 00:02:00 GMT"}, now=60.0)
        60.0
    """
    if not headers:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if not isinstance(value, str):
        return None
    seconds = _seconds(value.strip(), time.time() if now is None else now)
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _seconds(text: str, now: float) -> Optional[float]:
    """A Retry-After value as seconds from ``now`` (unbounded), or None if unreadable."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, with no claim about the sender's zone
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when.timestamp() - now
