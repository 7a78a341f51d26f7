"""Bad arguments to the constructors: a library error at the call, a TypeError for a wrong type.

Every error the library raises is a BinanceOptionsWSError; an argument of the wrong type is
also a TypeError, of the wrong value a ValueError, as Python's own call-site errors are.
"""

from __future__ import annotations

import ssl
from typing import Any, Callable, Type

import pytest

from binance_options_ws import (
    BinanceOptionsWSError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    RestClient,
    StreamClient,
)

CASES = [
    (lambda: StreamClient(123), InvalidArgumentTypeError, "base_url"),  # type: ignore[arg-type]
    (lambda: StreamClient("http://x"), InvalidArgumentError, "ws:// or wss://"),
    (lambda: StreamClient(queue_size="10"), InvalidArgumentTypeError, "queue_size"),  # type: ignore[arg-type]
    (lambda: StreamClient(queue_size=0), InvalidArgumentError, "queue_size"),
    (lambda: StreamClient(on_error=5), InvalidArgumentTypeError, "on_error"),  # type: ignore[arg-type]
    (lambda: StreamClient(batch_delay="0"), InvalidArgumentTypeError, "batch_delay"),  # type: ignore[arg-type]
    (lambda: StreamClient(batch_delay=1.0), InvalidArgumentError, "batch_delay"),
    (lambda: StreamClient(ssl_context="x"), InvalidArgumentTypeError, "ssl_context"),  # type: ignore[arg-type]
    (lambda: RestClient("nonsense"), InvalidArgumentError, "https:// or http://"),
    (lambda: RestClient(123), InvalidArgumentTypeError, "base_url"),  # type: ignore[arg-type]
    (lambda: RestClient(timeout="5"), InvalidArgumentTypeError, "timeout"),  # type: ignore[arg-type]
    (lambda: RestClient(timeout=0), InvalidArgumentError, "timeout"),
    (lambda: RestClient(timeout=float("inf")), InvalidArgumentError, "timeout"),
    (lambda: RestClient(ssl_context=5), InvalidArgumentTypeError, "ssl_context"),  # type: ignore[arg-type]
    (lambda: RestClient(max_response_bytes="1"), InvalidArgumentTypeError, "max_response_bytes"),  # type: ignore[arg-type]
    (lambda: RestClient(max_response_bytes=0), InvalidArgumentError, "max_response_bytes"),
]


@pytest.mark.parametrize(("make", "error", "named"), CASES)
def test_a_bad_argument_fails_at_the_call_with_a_library_error(
    make: Callable[[], Any], error: Type[Exception], named: str
) -> None:
    with pytest.raises(error, match=named) as caught:
        make()
    assert isinstance(caught.value, BinanceOptionsWSError)
    if error is InvalidArgumentTypeError:
        assert isinstance(caught.value, TypeError)
    else:
        assert isinstance(caught.value, ValueError)
        assert not isinstance(caught.value, TypeError)


def test_a_context_that_does_not_verify_is_accepted_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    RestClient(ssl_context=context).close()
    assert "does not verify" in caplog.text
