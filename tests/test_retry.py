"""The retry policy: backoff delays, what is retryable, and Retry-After. Plain tables."""

from __future__ import annotations

import email.utils
import itertools
import random
import socket
import ssl
from typing import Dict, Optional

import pytest
import requests.structures

from binance_options_ws._connection import HandshakeRedirectError, HandshakeRefusedError
from binance_options_ws._retry import (
    MAX_RETRY_AFTER,
    RATE_LIMIT_STATUSES,
    backoff,
    is_retryable,
    parse_retry_after,
    retry_delay,
)
from binance_options_ws.exceptions import (
    BinanceAPIError,
    ConnectionFailedError,
    InvalidResponseError,
    ProxyError,
    RateLimitError,
    RestConnectionError,
    RestTimeoutError,
    UnknownOutcomeError,
)

NOW = 1_800_000_000.0  # a fixed wall-clock time for HTTP dates

# --------------------------------------------------------------------------- backoff


def test_backoff_grows_by_its_factor_up_to_its_cap_with_jitter_below_each_step() -> None:
    delays = list(itertools.islice(backoff(1.0, 2.0, 8.0, rng=random.Random(7)), 7))
    nominal = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    assert all(n / 2 <= d <= n for d, n in zip(delays, nominal)), delays


def test_backoff_spreads_clients_that_retry_together() -> None:
    firsts = {next(backoff(10.0, rng=random.Random(seed))) for seed in range(20)}
    assert len(firsts) == 20
    assert all(5.0 <= d <= 10.0 for d in firsts)


def test_backoff_with_the_same_seed_repeats_itself() -> None:
    one = list(itertools.islice(backoff(rng=random.Random(3)), 5))
    two = list(itertools.islice(backoff(rng=random.Random(3)), 5))
    assert one == two


def test_backoff_defaults_match_the_client_defaults() -> None:
    delays = list(itertools.islice(backoff(rng=random.Random(1)), 9))
    assert 0.25 <= delays[0] <= 0.5
    assert 15.0 <= delays[-1] <= 30.0  # 0.5 * 2**8 = 128, capped at 30


# --------------------------------------------------------------------------- is_retryable


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (101, True),  # not an error
        (200, True),
        (301, False),  # a redirect is never followed: it would be answered again
        (400, False),  # the request itself is wrong
        (401, False),
        (403, True),  # Binance's firewall limit: it is lifted
        (404, False),
        (410, False),
        (451, False),
        (408, True),  # request timeout
        (418, True),  # IP ban: it ends
        (429, True),  # rate limit
        (500, True),
        (502, True),
        (503, True),
        (504, True),
    ],
)
def test_statuses(status: int, retryable: bool) -> None:
    assert is_retryable(status) is retryable


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (HandshakeRefusedError("wss://x/stream", 429, 2.0), True),
        (HandshakeRefusedError("wss://x/stream", 503, None), True),
        (HandshakeRefusedError("wss://x/stream", 404, None), False),
        (BinanceAPIError(-1121, "Invalid symbol.", 400), False),
        (BinanceAPIError(None, "Not Found", 404), False),
        (BinanceAPIError(-1008, "overloaded", 503), True),
        (BinanceAPIError(-1000, "an error payload under HTTP 200", 200), True),
        (RateLimitError(-1003, "too many", 429, 30.0), True),
        (RateLimitError(-1003, "banned", 418, None), True),
        (UnknownOutcomeError(None, "Unknown error", 503), True),
        (RestTimeoutError("slow"), True),
        (RestConnectionError("refused"), True),
        (InvalidResponseError("not JSON"), True),
        (ConnectionFailedError("reset"), True),
        (TimeoutError(), True),
    ],
)
def test_exceptions(error: BaseException, retryable: bool) -> None:
    assert is_retryable(error) is retryable


def _caused_by(cause: BaseException) -> ConnectionFailedError:
    error = ConnectionFailedError("could not connect")
    error.__cause__ = cause
    return error


_CERTIFICATE = ssl.SSLCertVerificationError(1, "certificate verify failed")
_DNS = socket.gaierror(-2, "Name or service not known")
_TLS = ssl.SSLError(1, "handshake failure")


@pytest.mark.parametrize(
    ("error", "first", "later"),
    [
        # A certificate that does not verify never mends: final, first or later.
        (_caused_by(_CERTIFICATE), False, False),
        # What waiting will not mend on a first connection, but may once one worked.
        (_caused_by(_DNS), False, True),
        (_caused_by(_TLS), False, True),
        (ProxyError("proxy http://p:1 refused", "http://p:1"), False, True),
        # A proxy's 407 is a status: final either way.
        (ProxyError("proxy asks for credentials", "http://p:1", 407), False, False),
        # A redirect is a status too: never followed, so final.
        (HandshakeRedirectError("wss://x/stream", 302, "ws://y/stream"), False, False),
        # Temporary on any attempt.
        (_caused_by(ConnectionRefusedError()), True, True),
        (_caused_by(socket.timeout("timed out")), True, True),
    ],
)
def test_what_ends_the_first_attempt_and_what_ends_later_ones(
    error: BaseException, first: bool, later: bool
) -> None:
    assert is_retryable(error, first_attempt=True) is first
    assert is_retryable(error) is later


def test_a_refused_handshake_says_whether_it_is_retryable() -> None:
    assert HandshakeRefusedError("wss://x/stream", 418, None).retryable
    assert not HandshakeRefusedError("wss://x/stream", 400, None).retryable


def test_rate_limit_statuses() -> None:
    assert sorted(RATE_LIMIT_STATUSES) == [418, 429]


# --------------------------------------------------------------------------- Retry-After


def _date(offset: float) -> str:
    return email.utils.formatdate(NOW + offset, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (None, None),
        ({}, None),
        ({"Content-Type": "application/json"}, None),
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "7"}, 7.0),  # websocket-client lowercases header names
        ({"RETRY-AFTER": " 12 "}, 12.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "-5"}, 0.0),  # never negative
        ({"Retry-After": _date(120)}, 120.0),
        ({"Retry-After": _date(-60)}, 0.0),  # a date in the past: go now
        ({"Retry-After": email.utils.formatdate(NOW + 90)}, 90.0),  # "-0000": read as UTC
        ({"Retry-After": "whenever"}, None),
        ({"Retry-After": ""}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"Retry-After": "86400"}, 86400.0),  # a day-long ban is honoured
        ({"Retry-After": "1e9"}, MAX_RETRY_AFTER),  # nonsense is capped
        ({"Retry-After": _date(10 * 365 * 86400)}, MAX_RETRY_AFTER),
    ],
)
def test_retry_after(headers: Optional[Dict[str, str]], expected: Optional[float]) -> None:
    assert parse_retry_after(headers, now=NOW) == pytest.approx(expected)


def test_retry_after_reads_requests_headers_in_any_case() -> None:
    headers = requests.structures.CaseInsensitiveDict({"Retry-After": "30"})
    assert parse_retry_after(headers) == 30.0


def test_retry_after_cap_covers_the_longest_binance_ban() -> None:
    assert MAX_RETRY_AFTER == 3 * 24 * 3600


# --------------------------------------------------------------------------- retry_delay


class _RefusedError(Exception):
    def __init__(self, retry_after: object) -> None:
        super().__init__("refused")
        self.retry_after = retry_after


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (None, 2.0),  # nothing said: the backoff's delay
        (ValueError("x"), 2.0),
        (_RefusedError(None), 2.0),
        (_RefusedError(1.0), 2.0),  # shorter than the backoff: the backoff wins
        (_RefusedError(30.0), 30.0),  # the exchange asked for longer: it wins
        (_RefusedError(True), 2.0),  # not a number of seconds
        (_RefusedError("30"), 2.0),
    ],
)
def test_retry_delay_is_the_longer_of_backoff_and_retry_after(
    failure: object, expected: float
) -> None:
    assert retry_delay(failure, iter([2.0])) == expected  # type: ignore[arg-type]
