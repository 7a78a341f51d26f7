"""What every example shares: the real market by default, an offline one with ``--demo``.

Each example connects to Binance's real endpoint and looks up real symbols. With
``--demo`` it starts the library's fake exchange, with a synthetic market, in the
same process instead: nothing touches the internet. ``--seconds N`` ends it after
N seconds (default: 10 with ``--demo``, more on the real market).

    python examples/ticker.py                  # the real market
    python examples/ticker.py --demo           # offline
    python examples/ticker.py --demo --seconds 3

Most examples use the documented endpoint (``nbstream``); the ones for streams
that only the 2026 endpoint has (``book_ticker.py``, ``order_book.py``) ask for
``endpoint="fstream"``, and ``ex.url`` then points there (the fake exchange
serves both).

You do not need this file in your own code: the interesting part of each example
is what it does with ``ex.url`` and the symbols below.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Collection, Iterator, List, Optional, Sequence

from binance_options_ws import (
    ConnectionFailedError,
    OptionSymbol,
    RequestTimeoutError,
    RestClient,
    RestError,
    StreamClient,
    fstream,
    streams,
)
from binance_options_ws.rest import DEFAULT_REST_URL

__all__ = ["Setup", "example", "start"]

DEMO_SECONDS = 10.0
_OFFLINE_HINT = "No network, or Binance unreachable from here? Add --demo to run offline."


@dataclass
class Setup:
    """Where to connect and which symbols to use.

    Attributes:
        url: The WebSocket URL to give ``StreamClient``.
        endpoint: ``"nbstream"`` or ``"fstream"``, to give ``StreamClient`` too.
        rest_url: The REST API (Binance's, or the fake exchange's for ``--demo``).
        seconds: How long the example should run.
        demo: True when ``url`` is the in-process fake exchange.
        underlying: The base asset, ``"BTC"``.
        pair: Its index pair, ``"BTCUSDT"``.
        expiration: The nearest expiry date.
        chain: Every option symbol of that expiry, in chain order.
        options: A few calls nearest the money on that expiry, by strike.
        option: The call nearest the money.
        args: The parsed command line, for examples with options of their own.
    """

    url: str
    endpoint: str
    rest_url: str
    seconds: float
    demo: bool
    underlying: str
    pair: str
    expiration: dt.date
    chain: List[str]
    options: List[str]
    option: str
    args: argparse.Namespace = field(default_factory=argparse.Namespace)
    _exchange: Any = None

    def close(self) -> None:
        """Stop the fake exchange, if one was started."""
        if self._exchange is not None:
            self._exchange.stop()
            self._exchange = None


def _near_the_money(chain: Sequence[str], price: float, count: int) -> List[str]:
    calls = [OptionSymbol.parse(name) for name in chain if name.endswith("-C")]
    calls.sort(key=lambda symbol: abs(symbol.strike - Decimal(str(price))))
    return [symbol.name for symbol in sorted(calls[:count])]


def _demo_market(seed: int, speed: float) -> Any:
    """A synthetic market that also lists a new expiry every few seconds.

    On the real exchange new options appear about once a day; here the
    ``option_pair`` stream gets something to announce while an example runs.
    """
    from binance_options_ws.testing import SyntheticMarket

    class DemoMarket(SyntheticMarket):
        next_listing: Optional[int] = None

        def poll(self, now_ms: int, subscribed: Collection[str]) -> Any:
            if streams.new_symbol_info() in subscribed:
                if self.next_listing is None:
                    self.next_listing = now_ms + 1000
                elif now_ms >= self.next_listing:
                    self.next_listing = now_ms + 4000
                    last = self.expirations("BTC")[-1]
                    self.list_new_expiry("BTC", last + dt.timedelta(days=7), now_ms)
            return super().poll(now_ms, subscribed)

    return DemoMarket(seed=seed, speed=speed)


def _index_price(url: str, endpoint: str, pair: str) -> Optional[float]:
    """Read one index price from the stream, or None if none came within 5 seconds."""
    with StreamClient(url, endpoint=endpoint) as client:
        client.subscribe_index(pair)
        for event in client.events(timeout=5):
            return float(event.price) if event.price is not None else None
    return None


def start(
    *,
    demo: bool,
    seconds: Optional[float] = None,
    live_seconds: float = 60.0,
    seed: int = 0,
    endpoint: str = "nbstream",
) -> Setup:
    """Start the fake exchange (``demo=True``) or look up the real market's symbols.

    Args:
        demo: Use an in-process fake exchange instead of the real market.
        seconds: How long the example runs; None for the default of its mode.
        live_seconds: The default on the real market.
        seed: The seed of the synthetic market.
        endpoint: ``"nbstream"`` or ``"fstream"``: which endpoint ``url`` is for.

    Example:
        >>> ex = start(demo=True)        # doctest: +SKIP
        >>> ex.url, ex.option            # doctest: +SKIP
        ('ws://127.0.0.1:40135', 'BTC-261122-101000-C')
    """
    underlying, pair = "BTC", "BTCUSDT"
    if demo:
        try:
            from binance_options_ws.testing import FakeExchange
        except ImportError:
            sys.exit(
                '--demo needs the testing extra: pip install "binance-options-ws[testing]" '
                '(in a clone of the project: pip install -e ".[testing]")'
            )
        market = _demo_market(seed, speed=1.0)
        exchange = FakeExchange(market=market).start()
        expiration = market.expirations(underlying)[0]
        chain = [s for s in market.symbols(underlying) if f"-{expiration:%y%m%d}-" in s]
        price: Optional[float] = market.index_price(pair)
        url, rest_url = exchange.url, exchange.rest_url
        print(f"[demo] a fake exchange with a synthetic market runs at {url}", file=sys.stderr)
    else:
        exchange = None
        url = fstream.BASE_URL if endpoint == "fstream" else streams.DEFAULT_BASE_URL
        rest_url = DEFAULT_REST_URL
        try:
            with RestClient() as rest:
                info = rest.exchange_info()
        except RestError as exc:
            sys.exit(f"could not look up the symbols on Binance: {exc}\n{_OFFLINE_HINT}")
        expiration = info.nearest_expiration(underlying)
        chain = [symbol.name for symbol in info.symbols(underlying, expiration)]
        try:
            price = _index_price(url, endpoint, pair)
        except (ConnectionFailedError, RequestTimeoutError) as exc:
            sys.exit(f"{exc}\n{_OFFLINE_HINT}")
    if price is None:  # no index price: the middle strike of the chain is near the money
        strikes = sorted(OptionSymbol.parse(name).strike for name in chain)
        price = float(strikes[len(strikes) // 2])
    options = _near_the_money(chain, price, count=5)
    return Setup(
        url=url,
        endpoint=endpoint,
        rest_url=rest_url,
        seconds=seconds if seconds is not None else (DEMO_SECONDS if demo else live_seconds),
        demo=demo,
        underlying=underlying,
        pair=pair,
        expiration=expiration,
        chain=chain,
        options=options,
        option=_near_the_money(chain, price, count=1)[0],
        _exchange=exchange,
    )


@contextlib.contextmanager
def example(
    doc: Optional[str],
    *,
    live_seconds: float = 60.0,
    endpoint: str = "nbstream",
    add_arguments: Optional[Callable[[argparse.ArgumentParser], None]] = None,
    argv: Optional[Sequence[str]] = None,
) -> Iterator[Setup]:
    """Parse ``--demo`` and ``--seconds``, set up, and clean up after the example.

    ``endpoint="fstream"`` is for the examples of streams only that endpoint has.
    Ctrl+C ends the example quietly.

    Example:
        >>> with example(__doc__) as ex:             # doctest: +SKIP
        ...     client = StreamClient(ex.url)
    """
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--demo", action="store_true", help="use an in-process fake exchange (no network)"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        metavar="N",
        help=f"stop after N seconds (default: {DEMO_SECONDS:g} with --demo, "
        f"{live_seconds:g} otherwise)",
    )
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    setup = start(
        demo=args.demo, seconds=args.seconds, live_seconds=live_seconds, endpoint=endpoint
    )
    setup.args = args
    try:
        yield setup
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    except (ConnectionFailedError, RequestTimeoutError) as exc:
        sys.exit(f"{exc}\n{_OFFLINE_HINT}")
    finally:
        setup.close()
