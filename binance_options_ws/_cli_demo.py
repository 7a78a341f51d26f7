"""The ``demo`` command: the real client against the fake exchange, in this process.

What the demo streams depends on the endpoint: each endpoint the demo knows has a
plan (the streams, what each is, and the command to try next), built with that
endpoint's own stream-name builders. The chain of the nearest expiry is not
printed event by event: :class:`ChainBoard` keeps it in the public
:class:`~binance_options_ws.chain.OptionChain` and prints one summary line a
second. Internal to :mod:`binance_options_ws.cli`.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from typing import Any, Callable, Dict, Optional, Tuple

import attrs

from ._cli_run import EXIT_INTERRUPTED, EXIT_OK, Printer, UsageError, print_events, summary
from ._extras import TESTING_EXTRA
from ._version import __version__
from .chain import OptionChain
from .client import StreamClient
from .dialects import Dialect, fstream, nbstream
from .endpoints import get_endpoint
from .format import format_number, format_percent, format_time
from .models import Event, IndexPrice
from .symbols import OptionSymbol

__all__ = ["DEMO_SECONDS", "ChainBoard", "DemoPlan", "demo_plan", "run_demo"]

#: How long the demo runs unless told otherwise.
DEMO_SECONDS = 10.0
_UNDERLYING, _PAIR = "BTC", "BTCUSDT"


class ChainBoard:
    """One summary line a second of the nearest expiry's :class:`OptionChain`.

    Attributes:
        stream: The chain's stream name, shown in the line.
        chain: The chain (subscribed by :meth:`start`).
        updates: How many times the chain changed, shown in the summary.
    """

    def __init__(self, stream: str, expiration: _dt.date) -> None:
        self.stream = stream
        self.expiration = expiration
        self.updates = 0
        self.chain: Optional[OptionChain] = None

    def start(self, client: StreamClient) -> None:
        """Subscribe the chain on ``client``."""
        self.chain = OptionChain(client, _UNDERLYING, self.expiration, on_change=self._changed)

    def _changed(self, _: OptionChain) -> None:
        self.updates += 1  # on the dispatcher thread only

    def line(self, width: int) -> Optional[str]:
        """One line: how many options, and the call and put at the money.

        Args:
            width: The width of the stream column.

        Returns:
            The line, or None before the chain has quotes and an index price.
        """
        chain = self.chain
        strike = chain.atm_strike if chain is not None else None
        if chain is None or strike is None:
            return None
        row = next(r for r in chain.rows() if r.strike == strike)
        sides = [
            f"{name} mark {format_number(q.mark)} iv {format_percent(q.iv)}"
            + ("" if q.delta is None else f" delta {format_number(q.delta, 3)}")
            for name, q in (("call", row.call), ("put", row.put))
            if q is not None and q.mark is not None
        ]
        return (
            f"{format_time(None)}  {self.stream:<{width}}  {len(chain.quotes())} options;"
            f" nearest the money {format_number(strike)}: {' | '.join(sides)}"
        )


@attrs.frozen
class DemoPlan:
    """What the demo subscribes to on one endpoint, and how to say it.

    Attributes:
        streams: ``(name, what it is)`` of each stream, in the order shown; the
            first is the index, subscribed with ``subscribe_index``.
        chain: The stream summarised by the board, one line a second.
        next_step: The command to try next on the real market.
    """

    streams: Tuple[Tuple[str, str], ...]
    chain: str
    next_step: str

    @property
    def width(self) -> int:
        """The width of the stream column: the longest name."""
        return max(len(name) for name, _ in self.streams)


def _nbstream_plan(dialect: Dialect, option: str, expiry: _dt.date) -> DemoPlan:
    chain = dialect.ticker_by_expiration(_UNDERLYING, expiry).name
    return DemoPlan(
        (
            (dialect.index(_PAIR).name, "the BTC index price, every second"),
            (
                dialect.ticker(option).name,
                "one option's ticker: prices, implied volatility, greeks",
            ),
            (chain, "every option of the nearest expiry: one summary line a second"),
            (dialect.trade(_UNDERLYING).name, "every trade on BTC options"),
        ),
        chain,
        "stream --endpoint fstream btcusdt@optionTrade",
    )


def _fstream_plan(dialect: Dialect, option: str, expiry: _dt.date) -> DemoPlan:
    chain = dialect.mark_price(_UNDERLYING).name  # every expiry: the board keeps the nearest
    return DemoPlan(
        (
            (
                dialect.index(_PAIR).name,
                "index prices of every underlying in one stream (BTCUSDT kept)",
            ),
            (dialect.ticker(option).name, "one option's 24-hour statistics (no greeks on fstream)"),
            (chain, "mark, IV and greeks of every BTC option: a summary line a second"),
            (dialect.trade(_UNDERLYING).name, "every trade on BTC options, with its side"),
            (dialect.book_ticker(option).name, "one option's best bid and ask, on every change"),
        ),
        chain,
        f"stream --endpoint {dialect.name} {chain}",
    )


_PlanMaker = Callable[[Dialect, str, _dt.date], DemoPlan]


def _plan_makers() -> Dict[Dialect, _PlanMaker]:
    """The demo's plan for each endpoint it has one for, by dialect.

    The plans differ in more than names (where the greeks of a chain come from, the
    extra streams an endpoint has), so each endpoint the demo shows has its own.
    """
    return {nbstream.DIALECT: _nbstream_plan, fstream.DIALECT: _fstream_plan}


def demo_plan(endpoint: str, option: str, expiry: _dt.date) -> DemoPlan:
    """The demo's plan on ``endpoint``, for an option of the nearest expiry.

    Raises:
        UsageError: If the demo has no plan for that endpoint.
    """
    dialect = get_endpoint(endpoint)
    makers = _plan_makers()
    maker = makers.get(dialect)
    if maker is None:
        shown = ", ".join(d.name for d in makers)
        raise UsageError(f"the demo runs on {shown}, not on {dialect.name}")
    return maker(dialect, option, expiry)


def _option_near_the_money(market: Any, expiry: _dt.date, spot: float) -> str:
    """The call of ``expiry`` whose strike is nearest ``spot``."""
    calls = [
        OptionSymbol.parse(name)
        for name in market.symbols(_UNDERLYING)
        if name.endswith("-C") and OptionSymbol.parse(name).expiration == expiry
    ]
    return min(calls, key=lambda s: abs(float(s.strike) - spot)).name


def _announce(args: argparse.Namespace, url: str, plan: DemoPlan) -> None:
    err = sys.stderr
    width = plan.width
    print(
        f"binance-options-ws {__version__} demo, no network needed.\n"
        f"A fake exchange with a synthetic market runs in this process at {url}\n"
        f"and the real StreamClient subscribes to it on the {args.endpoint} endpoint "
        "as it would to Binance:",
        file=err,
    )
    for name, what in plan.streams:
        print(f"  {name:<{width}}  {what}", file=err)
    print(f"Stops after {args.seconds:g} s (Ctrl+C stops sooner).", file=err)


class _Spot:
    """The latest index price seen, for the board's money line."""

    def __init__(self, price: Optional[float]) -> None:
        self.price = price

    def __call__(self, event: Event) -> None:
        if isinstance(event, IndexPrice) and event.price is not None:
            self.price = event.price


def _stream_demo(
    client: StreamClient, args: argparse.Namespace, plan: DemoPlan, board: ChainBoard, spot: _Spot
) -> Tuple[str, bool]:
    """Subscribe to the plan's streams, print until the end.

    Returns:
        The summary line, and whether Ctrl+C ended the demo.
    """
    width = plan.width
    printer = Printer(sys.stdout, args.json, width)
    client.subscribe_index(_PAIR)  # one stream for every pair on some endpoints: keep BTCUSDT
    client.subscribe([name for name, _ in plan.streams[1:] if name != plan.chain])
    every_second: Optional[Callable[[], None]] = None
    if args.json:
        client.subscribe(plan.chain)  # every quote of the chain, one JSON line each
    else:
        board.start(client)  # the public OptionChain keeps the chain

        def print_line() -> None:
            line = board.line(width)
            if line is not None:
                printer.line(line)

        every_second = print_line

    run = print_events(
        client, printer, seconds=args.seconds, count=None, every_second=every_second, observe=spot
    )
    run.printed += board.updates
    return summary(run, client, "demo finished"), run.reason == "interrupted"


def run_demo(args: argparse.Namespace) -> int:
    """The ``demo`` command (arguments as :func:`binance_options_ws.cli.build_parser` reads them).

    Raises:
        UsageError: Without the testing extra, or for a bad ``--speed`` or endpoint.
    """
    try:  # the fake exchange needs websockets, from the testing extra
        from .testing import FakeExchange, SyntheticMarket
    except ImportError:
        raise UsageError(f"the demo needs the testing extra: {TESTING_EXTRA}") from None
    try:
        market = SyntheticMarket(seed=args.seed, speed=args.speed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    expiry = market.expirations(_UNDERLYING)[0]
    spot = market.index_price(_PAIR)
    plan = demo_plan(args.endpoint, _option_near_the_money(market, expiry, spot), expiry)
    board = ChainBoard(plan.chain, expiry)
    with FakeExchange(market=market) as exchange:
        _announce(args, exchange.url, plan)
        with StreamClient(exchange.url, endpoint=args.endpoint) as client:
            line, interrupted = _stream_demo(client, args, plan, board, _Spot(spot))
            print(line, file=sys.stderr)
    if interrupted:
        return EXIT_INTERRUPTED
    print(
        f"Next: '{args.base_prog} {plan.next_step}' streams the real market; "
        "README.md and examples/ show the code.",
        file=sys.stderr,
    )
    return EXIT_OK
