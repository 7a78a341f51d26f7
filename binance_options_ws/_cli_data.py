"""The ``record``, ``convert`` and ``chain`` commands: keep streams, tables, a live chain.

Internal to :mod:`binance_options_ws.cli`, which registers them with
:func:`add_parsers` and runs them through :data:`COMMANDS`:

* ``record --out DIR STREAM...`` records streams with ``StreamClient(record_to=DIR)``
  until ``--seconds`` or Ctrl+C, printing its progress once a second;
* ``convert RECORDING --to OUT`` writes a recording as Parquet, one file per event type;
* ``chain BTC [--expiration YYMMDD|nearest]`` draws an
  :class:`~binance_options_ws.chain.OptionChain` as a table, redrawn once a second
  (in a pipe, printed once a second).

Each takes ``--demo`` (record and chain) to run against the fake exchange, offline.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import os
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from ._cli_run import EXIT_OK, UsageError
from ._extras import TESTING_EXTRA
from .chain import ChainQuote, OptionChain
from .client import StreamClient
from .endpoints import DEFAULT_ENDPOINT, ENDPOINTS, get_endpoint
from .exceptions import BinanceOptionsWSError, InvalidArgumentError
from .format import format_number, format_percent
from .recording import RecordingError
from .rest import RestClient
from .symbols import parse_yymmdd
from .tables import recording_to_parquet

__all__ = ["COMMANDS", "add_parsers", "chain_table"]

#: Seconds between two progress lines or two tables.
_EVERY = 1.0
_DEMO_PAIR = "BTCUSDT"


#: Seconds without a quote after which the chain command says so, once.
_NO_QUOTES_HINT = 5.0


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _expiration(text: str) -> str:
    if text.lower() == "nearest":
        return "nearest"
    try:
        parse_yymmdd(text)
    except BinanceOptionsWSError:
        raise argparse.ArgumentTypeError(
            f"must be a date as YYMMDD (e.g. 261225) or 'nearest', got {text!r}"
        ) from None
    return text


def _common(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--endpoint",
        choices=list(ENDPOINTS),
        default=DEFAULT_ENDPOINT,
        help="nbstream (the default) or fstream",
    )
    parser.add_argument("--url", help="where to connect (default: the endpoint's own)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help=f"{what} from a fake exchange with a synthetic market in this process (offline)",
    )
    parser.add_argument(
        "--seconds", type=_positive, metavar="N", help="stop after N seconds (default: Ctrl+C)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log connections and subscriptions"
    )


def add_parsers(commands: Any) -> None:
    """Add ``record``, ``convert`` and ``chain`` to the CLI's subparsers."""
    record = commands.add_parser(
        "record",
        help="record streams to a directory, to replay or convert later",
        description="Subscribe to streams and record every frame received, with its receive "
        "time, to gzip JSON lines in --out (the format is in the README), until --seconds "
        "or Ctrl+C. Play it back with binance_options_ws.replay(DIR), or convert it with "
        "the convert command.",
    )
    record.add_argument("streams", nargs="+", metavar="STREAM", help="a stream name")
    record.add_argument("--out", required=True, metavar="DIR", help="the directory to record to")
    _common(record, "record")

    convert = commands.add_parser(
        "convert",
        help="convert a recording to Parquet (one file per event type)",
        description="Read a recording (a directory made by record, or one of its files) and "
        "write its events to --to, a directory with one Parquet file per event type "
        "(IndexPrice.parquet, Ticker.parquet, ...). Needs pyarrow: "
        'pip install "binance-options-ws[parquet]".',
    )
    convert.add_argument("recording", metavar="RECORDING", help="a recording's directory or file")
    convert.add_argument(
        "--to", required=True, metavar="OUT", help="the directory to write, e.g. market.parquet"
    )

    chain = commands.add_parser(
        "chain",
        help="a live table of one expiry's calls and puts",
        description="Draw every strike of one expiry, calls on the left and puts on the "
        "right (bid, ask, mark, implied volatility, delta, open interest), redrawn once a "
        "second, the at-the-money strike marked.",
    )
    chain.add_argument("underlying", metavar="UNDERLYING", help="e.g. BTC or ETH")
    chain.add_argument(
        "--expiration",
        type=_expiration,
        default="nearest",
        metavar="YYMMDD",
        help="e.g. 261225, or 'nearest' (the default)",
    )
    _common(chain, "stream")


@contextlib.contextmanager
def demo_exchange(
    args: argparse.Namespace, rest: bool = False
) -> Iterator[Tuple[Optional[str], Any]]:
    """The URL to connect to (None: the default) and the demo's market, if any.

    With ``--demo``, a fake exchange with a synthetic market runs meanwhile, and the
    URL is its WebSocket URL, or its REST URL if ``rest``.
    """
    if not args.demo:
        yield args.url, None
        return
    if args.url:
        raise UsageError("--demo runs its own exchange: leave out --url")
    try:
        from .testing import FakeExchange, SyntheticMarket
    except ImportError:
        raise UsageError(f"--demo needs the testing extra: {TESTING_EXTRA}") from None
    market = SyntheticMarket(speed=5.0)
    with FakeExchange(market=market) as exchange:
        yield (exchange.rest_url if rest else exchange.url), market


def _client(url: Optional[str], endpoint: str, **options: Any) -> StreamClient:
    try:
        return StreamClient(url, endpoint=endpoint, **options)
    except RecordingError:
        raise
    except InvalidArgumentError as exc:
        raise UsageError(str(exc)) from None


def _wait(seconds: Optional[float], every: Callable[[], None], closed: Callable[[], bool]) -> None:
    """Call ``every`` once a second until ``seconds`` pass (or forever); Ctrl+C propagates."""
    stop = threading.Event()
    began = time.monotonic()
    while not closed():
        left = None if seconds is None else seconds - (time.monotonic() - began)
        if left is not None and left <= 0:
            return
        stop.wait(_EVERY if left is None else min(_EVERY, left))
        every()


# ---------------------------------------------------------------------- record


def _cmd_record(args: argparse.Namespace) -> int:
    dialect = get_endpoint(args.endpoint)
    names: List[str] = []
    for text in args.streams:
        try:
            name = dialect.parse_stream(text).name
        except BinanceOptionsWSError as exc:
            raise UsageError(f"bad stream {text!r}: {exc}") from None
        if name not in names:
            names.append(name)
    with demo_exchange(args) as (url, _):
        client = _client(url, args.endpoint, record_to=args.out)
        recorder = client.recorder
        assert recorder is not None
        err = sys.stderr
        began = time.monotonic()

        def progress() -> None:
            size = sum(_size(path) for path in recorder.files)
            print(
                f"recorded {recorder.frames} frames ({size / 1e3:,.1f} kB) to {args.out}",
                file=err,
                flush=True,
            )

        with client:
            print(f"recording {', '.join(names)} to {args.out}", file=err)
            try:
                client.subscribe(names, _ignore)
                _wait(args.seconds, progress, lambda: client.closed)
            finally:
                client.close()
                files = len(recorder.files)
                print(
                    f"recorded {recorder.frames} frames in {files} file{'s' * (files != 1)} "
                    f"to {args.out} in {time.monotonic() - began:.1f} s"
                    + (f"; {recorder.dropped} frames lost" if recorder.dropped else ""),
                    file=err,
                )
    return EXIT_OK


def _ignore(_: Any) -> None:
    """The events of a recording are on disk; nothing to do with them here."""


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


# ---------------------------------------------------------------------- convert


def _cmd_convert(args: argparse.Namespace) -> int:
    try:
        written = recording_to_parquet(args.recording, args.to)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    for name, path in sorted(written.items()):
        print(f"{name}: {path}")
    print(f"wrote {len(written)} Parquet files to {args.to}", file=sys.stderr)
    return EXIT_OK


# ---------------------------------------------------------------------- chain


def _side(quote: Optional[ChainQuote]) -> List[str]:
    if quote is None:
        return ["-"] * 6
    return [
        format_number(quote.bid, 6) if quote.bid is not None else "-",
        format_number(quote.ask, 6) if quote.ask is not None else "-",
        format_number(quote.mark, 6) if quote.mark is not None else "-",
        format_percent(quote.iv) if quote.iv is not None else "-",
        f"{quote.delta:+.2f}" if quote.delta is not None else "-",
        format_number(quote.open_interest, 6) if quote.open_interest is not None else "-",
    ]


def chain_table(chain: OptionChain) -> str:
    """The chain as text: calls on the left, the strike, puts on the right; ``*`` at the money.

    Example:
        >>> print(chain_table(chain))   # doctest: +SKIP
    """
    head = ["bid", "ask", "mark", "iv", "delta", "oi"]
    rows = chain.rows()
    atm = chain.atm_strike
    cells = [[*head, "strike", *head]]
    for row in rows:
        mark = "*" if row.strike == atm else " "
        cells.append([*_side(row.call), f"{format_number(row.strike)}{mark}", *_side(row.put)])
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    index = chain.index_price
    title = (
        f"{chain.underlying} options expiring {chain.expiration.isoformat()}: {len(rows)} strikes, "
        f"index {format_number(index) if index is not None else '-'}, "
        f"{time.strftime('%H:%M:%S')}  (* at the money)"
    )
    calls = sum(widths[:6]) + 5 * 2
    lines = [title, f"{'CALLS':^{calls}} | {'':^{widths[6]}} | PUTS"]
    for line in cells:
        left = "  ".join(f"{c:>{w}}" for c, w in zip(line[:6], widths[:6]))
        right = "  ".join(f"{c:>{w}}" for c, w in zip(line[7:], widths[7:]))
        lines.append(f"{left} | {line[6]:>{widths[6]}} | {right}")
    return "\n".join(lines)


def _demo_expirations(market: Any, underlying: str) -> List[_dt.date]:
    """The demo market's expiries of ``underlying``; a usage error if it has none."""
    try:
        expirations: List[_dt.date] = market.expirations(underlying.upper())
    except ValueError as exc:  # not an underlying of the demo market
        raise UsageError(str(exc)) from None
    if not expirations:
        raise UsageError(f"the demo market lists no options on {underlying!r}")
    return expirations


def _nearest(args: argparse.Namespace, market: Any) -> _dt.date:
    if market is not None:
        return _demo_expirations(market, args.underlying)[0]
    with RestClient() as rest:
        try:
            return rest.exchange_info().nearest_expiration(args.underlying)
        except InvalidArgumentError as exc:
            raise UsageError(str(exc)) from None


def _cmd_chain(args: argparse.Namespace) -> int:
    out = sys.stdout
    redraw = out.isatty()
    with demo_exchange(args) as (url, market):
        expiration: Any = args.expiration
        if expiration == "nearest":
            expiration = _nearest(args, market)
        elif market is not None:
            listed = _demo_expirations(market, args.underlying)
            if parse_yymmdd(expiration) not in listed:
                shown = ", ".join(day.strftime("%y%m%d") for day in listed)
                raise UsageError(
                    f"the demo market lists no {args.underlying.upper()} options expiring "
                    f"{expiration}; its expiries are {shown} (or use --expiration nearest)"
                )
        with _client(url, args.endpoint) as client:
            try:
                chain = OptionChain(client, args.underlying, expiration)
            except BinanceOptionsWSError as exc:
                if isinstance(exc, ValueError):
                    raise UsageError(str(exc)) from None
                raise

            started = time.monotonic()
            hinted: List[bool] = []

            def draw() -> None:
                if not chain.quotes():
                    if not hinted and time.monotonic() - started > _NO_QUOTES_HINT:
                        hinted.append(True)
                        print(
                            f"no quotes yet for {args.underlying} options expiring "
                            f"{args.expiration}: is that expiry listed? "
                            "(binance-options-ws symbols lists them)",
                            file=sys.stderr,
                            flush=True,
                        )
                    return
                if redraw:
                    print("\033[H\033[2J", end="", file=out)  # cursor home, clear the screen
                print(chain_table(chain), file=out, flush=True)
                if not redraw:
                    print(file=out)

            _wait(args.seconds, draw, lambda: client.closed)
    return EXIT_OK


#: The handler of each command this module adds.
COMMANDS: Dict[str, Callable[[argparse.Namespace], int]] = {
    "record": _cmd_record,
    "convert": _cmd_convert,
    "chain": _cmd_chain,
}
