"""The checks of ``StreamClient``'s options, and the settings its pool runs with.

Every option is checked where the user passes it, with an error that names the
value and what is allowed; :func:`pool_settings` turns the checked options into
the :class:`~binance_options_ws._pool.PoolSettings` of the client's connections.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from ._connection import MAX_BATCH_DELAY
from ._pool import PoolSettings
from ._proxy import check_proxy, check_ssl_context, check_url_text
from ._timing import positive, positive_or_none
from ._version import __version__
from .dialects import Dialect
from .exceptions import InvalidArgumentError, InvalidArgumentTypeError

__all__ = [
    "check_batch_delay",
    "check_ssl_context",
    "pool_settings",
    "positive",
    "positive_or_none",
]

_log = logging.getLogger("binance_options_ws")


def check_batch_delay(value: object) -> float:
    """``batch_delay`` checked: seconds from 0 to :data:`MAX_BATCH_DELAY`."""
    problem = (
        f"batch_delay must be a number of seconds from 0 to {MAX_BATCH_DELAY:g} "
        f"(0.0015 is 1.5 ms; 0 turns batching off), got {value!r}"
    )
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentTypeError(problem)
    if not 0 <= value <= MAX_BATCH_DELAY:
        raise InvalidArgumentError(problem)
    return float(value)


def pool_settings(
    dialect: Dialect,
    base_url: Optional[str],
    *,
    name: str,
    queue_size: object,
    on_error: Optional[Callable[[BaseException], Any]],
    on_state: Optional[Callable[[Any], Any]],
    request_timeout: float,
    connect_timeout: float,
    ping_interval: float,
    stale_timeout: float,
    reconnect: bool,
    max_connection_age: Optional[float],
    rollover_overlap: float,
    backoff_initial: float,
    backoff_factor: float,
    backoff_cap: float,
    max_streams_per_connection: Optional[int],
    max_messages_per_second: Optional[int],
    batch_delay: float,
    proxy: object = True,
    ssl_context: object = None,
) -> PoolSettings:
    """Check every option of ``StreamClient`` and return the settings of its connections.

    The arguments are ``StreamClient``'s (see its docstring); ``name`` prefixes its
    thread names.

    Raises:
        InvalidArgumentError: Naming the first bad option, its value and what is allowed.
    """
    if base_url is None:
        base_url = dialect.default_base_url
    if not isinstance(base_url, str) or not base_url.startswith(("ws://", "wss://")):
        error = InvalidArgumentError if isinstance(base_url, str) else InvalidArgumentTypeError
        raise error(
            f"base_url must start with ws:// or wss://, got {base_url!r} "
            f"(None means {dialect.default_base_url!r})"
        )
    check_url_text("base_url", base_url)
    paths = [f"/{path}" for path in dialect.paths if path]
    if any(base_url.rstrip("/").endswith(path) for path in paths):
        raise InvalidArgumentError(
            f"base_url must be the endpoint's root, such as "
            f"{dialect.default_base_url!r}, without {' or '.join(paths)}: the "
            f"client puts each stream on its own path; got {base_url!r}"
        )
    if isinstance(queue_size, bool) or not isinstance(queue_size, int):
        raise InvalidArgumentTypeError(
            f"queue_size must be a whole number >= 1, got {queue_size!r}"
        )
    if queue_size < 1:
        raise InvalidArgumentError(f"queue_size must be a whole number >= 1, got {queue_size!r}")
    for option, value in (("on_error", on_error), ("on_state", on_state)):
        if value is not None and not callable(value):
            raise InvalidArgumentTypeError(f"{option} must be callable or None, got {value!r}")
    limit = max_streams_per_connection
    if limit is None:
        limit = dialect.max_streams_per_connection
    if max_messages_per_second is None:
        max_messages_per_second = dialect.max_messages_per_second
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1024:
        raise InvalidArgumentError(
            f"max_streams_per_connection must be a whole number from 1 to 1024, got {limit!r}"
        )
    if positive("backoff_factor", backoff_factor, " (at least 1)") < 1:
        raise InvalidArgumentError(f"backoff_factor must be at least 1, got {backoff_factor!r}")
    pings, stale = (
        positive("ping_interval", ping_interval),
        positive("stale_timeout", stale_timeout),
    )
    if stale < 2 * pings:
        raise InvalidArgumentError(
            f"stale_timeout must be at least twice ping_interval ({pings:g} s), got "
            f"{stale_timeout!r}: a quiet, healthy connection hears only the pongs to its "
            f"pings, so a shorter stale_timeout would replace it again and again"
        )
    return PoolSettings(
        base_url=base_url.rstrip("/"),
        endpoint=dialect,
        connect_timeout=positive("connect_timeout", connect_timeout),
        request_timeout=positive("request_timeout", request_timeout),
        ping_interval=pings,
        stale_timeout=stale,
        max_connection_age=positive_or_none("max_connection_age", max_connection_age),
        rollover_overlap=positive("rollover_overlap", rollover_overlap),
        reconnect=bool(reconnect),
        backoff_initial=positive("backoff_initial", backoff_initial),
        backoff_factor=float(backoff_factor),
        backoff_cap=positive("backoff_cap", backoff_cap),
        max_streams_per_connection=limit,
        max_messages_per_second=positive("max_messages_per_second", max_messages_per_second, ""),
        max_request_bytes=4096,
        headers=(f"User-Agent: binance-options-ws/{__version__}",),
        name=name,
        batch_delay=check_batch_delay(batch_delay),
        proxy=check_proxy(proxy),
        ssl_context=check_ssl_context(ssl_context),
        failure_hint=(
            dialect.failure_hint
            if base_url.rstrip("/") == dialect.default_base_url.rstrip("/")
            else ""
        ),
    )
