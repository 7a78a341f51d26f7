"""The command line: ``binance-options-ws`` (or ``python -m binance_options_ws``).

Three commands::

    binance-options-ws demo                          # offline: a fake exchange in this process
    binance-options-ws stream BTCUSDT@index BTC@trade --seconds 30
    binance-options-ws stream --endpoint fstream btcusdt@optionMarkPrice
    binance-options-ws symbols --underlying BTC --expiration 261225

``stream`` prints one readable line per event (``--json`` for JSON lines with
every field), ``demo`` runs the real client against the fake exchange and its
synthetic market, and ``symbols`` lists tradable options through the REST API.
``stream`` and ``demo`` take ``--endpoint nbstream`` (the default, the documented
endpoint) or ``--endpoint fstream`` (where Binance moved the streams in 2026);
each endpoint has its own stream names, and a name of the other one is refused
with the right flag and the equivalent name.

A user mistake (a bad stream name, an unknown interval, a bad option) prints
one line naming the bad value and the valid choices and exits with status 2.
A network failure prints one line and exits with status 1. Ctrl+C (or SIGTERM)
stops a command cleanly with status 130; a second Ctrl+C meanwhile is ignored.

This module reads the arguments and runs ``stream`` and ``symbols``; the
``demo`` lives in ``_cli_demo``, the print loop the commands share in
``_cli_run``, and the lines themselves come from :mod:`binance_options_ws.format`
(``format_event`` and ``event_to_dict`` stay importable from here too). What
differs between endpoints is asked of their dialects in
:mod:`binance_options_ws.endpoints`.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from typing import Callable, Dict, List, NoReturn, Optional, Sequence

from ._cli_data import COMMANDS as DATA_COMMANDS
from ._cli_data import add_parsers as add_data_parsers
from ._cli_data import demo_exchange
from ._cli_demo import DEMO_SECONDS, run_demo
from ._cli_run import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    NO_EVENT_HINT_AFTER,
    Printer,
    UsageError,
    library_logging,
    print_events,
    summary,
    terminate_as_interrupt,
)
from ._version import __version__
from .client import StreamClient
from .dialects import Dialect, StreamKind
from .endpoints import DEFAULT_ENDPOINT, ENDPOINTS, get_endpoint, other_endpoint
from .exceptions import BinanceOptionsWSError, InvalidArgumentError, InvalidStreamError, RestError
from .format import event_to_dict, format_count, format_event
from .rest import DEFAULT_REST_URL, RestClient
from .symbols import OptionSymbol, parse_yymmdd, read_side

__all__ = ["build_parser", "event_to_dict", "format_event", "main"]

_PROG = "binance-options-ws"
_NO_EVENT_HINT_AFTER = NO_EVENT_HINT_AFTER  # seconds without any event before a hint is printed
_MAX_STREAM_COLUMN = 36
#: A mistake on the command line (the name the tests and the README's checks use).
_UsageError = UsageError


class _ArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line, with no usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


# --------------------------------------------------------------------------
# stream
# --------------------------------------------------------------------------


def _wrong_endpoint_hint(text: str, endpoint: Dialect) -> str:
    """If ``text`` is a stream of another endpoint: which flag to add, and the name here."""
    found = other_endpoint(text, endpoint)
    if found is None:
        return ""
    if found.name is None:
        instead = f" ({found.problem})"
    else:
        here = endpoint.parse_stream(found.name)
        per_pair = ""
        if here.kind is StreamKind.INDEX:  # a pair's own stream, or one for every pair
            every = here.symbol is None
            per_pair = " (every underlying in one stream)" if every else " (one stream per pair)"
        instead = f", or use {found.name!r}{per_pair} on {endpoint.name}"
    return (
        f"that is a stream of the {found.endpoint} endpoint, not of {endpoint.name}: "
        f"add --endpoint {found.endpoint}{instead}"
    )


def _stream_names(raw: Sequence[str], endpoint: str = DEFAULT_ENDPOINT) -> List[str]:
    """Check every name against the endpoint's parser; a mistake is a :class:`UsageError`."""
    chosen = get_endpoint(endpoint)
    names: List[str] = []
    for text in raw:
        try:
            name = chosen.parse_stream(text).name
        except BinanceOptionsWSError as exc:
            hint = _wrong_endpoint_hint(text, chosen)
            if hint:
                raise UsageError(f"bad stream {text!r}: {hint}") from None
            tip = " (separate streams with spaces, not commas)" if "," in text else ""
            raise UsageError(f"bad stream {text!r}{tip}: {exc}") from None
        if name not in names:
            names.append(name)
    return names


def _new_client(url: Optional[str], endpoint: str) -> StreamClient:
    try:
        return StreamClient(url, endpoint=endpoint)
    except InvalidArgumentError as exc:
        raise UsageError(f"bad --url: {exc}") from None


def _cmd_stream(args: argparse.Namespace) -> int:
    names = _stream_names(args.streams, args.endpoint)
    width = min(max(len(name) for name in names), _MAX_STREAM_COLUMN)
    printer = Printer(sys.stdout, args.json, width)
    hint = (
        f"{args.prog}: no events after {_NO_EVENT_HINT_AFTER:g} s; a stream of a symbol that "
        f"is not listed stays silent: check with '{args.base_prog} symbols --underlying BTC'"
    )
    with demo_exchange(args) as (given, _), _new_client(given, args.endpoint) as client:
        url = given or get_endpoint(args.endpoint).default_base_url
        print(f"subscribing to {', '.join(names)} at {url}", file=sys.stderr)
        try:
            client.subscribe(names)
        except KeyboardInterrupt:
            print("interrupted while subscribing", file=sys.stderr)
            return EXIT_INTERRUPTED
        run = print_events(
            client,
            printer,
            seconds=args.seconds,
            count=args.count,
            hint=hint,
            hint_after=_NO_EVENT_HINT_AFTER,
        )
        print(summary(run, client), file=sys.stderr)
    return EXIT_INTERRUPTED if run.reason == "interrupted" else EXIT_OK


# --------------------------------------------------------------------------
# symbols
# --------------------------------------------------------------------------


def _symbols_summary(found: Sequence[OptionSymbol], filtered: bool) -> str:
    """``N symbols (BTC n, ETH m) over k expirations``, with a tip when nothing narrowed it."""
    counts: Dict[str, int] = {}
    for symbol in found:
        counts[symbol.underlying] = counts.get(symbol.underlying, 0) + 1
    per = ", ".join(f"{asset} {n}" for asset, n in sorted(counts.items()))
    expiries = sorted({symbol.expiration for symbol in found})
    detail = f" ({per}) over {format_count(len(expiries), 'expiration')}" if found else ""
    tip = "" if filtered else "; narrow down with --underlying BTC --expiration nearest"
    return f"{format_count(len(found), 'symbol')}{detail}{tip}"


def _cmd_symbols(args: argparse.Namespace) -> int:
    with demo_exchange(args, rest=True) as (url, _):
        try:
            rest = RestClient(url or DEFAULT_REST_URL, timeout=args.timeout)
        except ValueError as exc:
            raise UsageError(f"bad --url: {exc}") from None
        with rest:
            info = rest.exchange_info()
    expiration = args.expiration
    try:
        if expiration == "nearest":
            if args.underlying is None:
                raise UsageError("--expiration nearest needs --underlying, e.g. --underlying BTC")
            expiration = info.nearest_expiration(args.underlying)
        found = info.symbols(args.underlying, expiration, side=args.side)
    except InvalidArgumentError as exc:
        raise UsageError(str(exc)) from None
    for symbol in found:
        print(symbol.name)
    print(_symbols_summary(found, bool(args.underlying)), file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------
# The parser and main()
# --------------------------------------------------------------------------


def _positive_number(text: str, unit: str = "") -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number{unit}, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    return _positive_number(text, " of seconds")


def _yymmdd_or_nearest(text: str) -> str:
    if text.lower() == "nearest":
        return "nearest"
    try:
        parse_yymmdd(text)
    except InvalidStreamError:
        raise argparse.ArgumentTypeError(
            f"must be a date as YYMMDD (e.g. 261225) or 'nearest', got {text!r}"
        ) from None
    return text


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def _side(text: str) -> str:
    if read_side(text) is None:
        raise argparse.ArgumentTypeError(f"must be one of CALL, PUT (or C, P), got {text!r}")
    return text.upper()


def _add_endpoint_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint",
        choices=list(ENDPOINTS),
        default=DEFAULT_ENDPOINT,
        help="nbstream (the default: the original endpoint, documented by Binance until "
        "2025) or fstream (where Binance moved the options streams in 2026; its own "
        "stream names)",
    )


def build_parser(prog: str = _PROG) -> argparse.ArgumentParser:
    """The argument parser of the command line (see the module docstring).

    Example:
        >>> build_parser().parse_args(["stream", "BTCUSDT@index", "--count", "3"]).count
        3
    """
    parser = _ArgumentParser(
        prog=prog,
        description="Stream Binance options market data to your terminal.",
        epilog=f"Start with '{prog} demo' (no network needed). "
        f"'{prog} COMMAND --help' shows a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_ArgumentParser
    )

    stream = commands.add_parser(
        "stream",
        help="print live events of one or more streams",
        description="Subscribe to streams and print one line per event until --seconds, "
        "--count or Ctrl+C. A one-line summary goes to stderr at the end.",
        epilog="Stream names on nbstream (the default): BTCUSDT@index, "
        "BTC-261225-100000-C@kline_1m, BTC@markPrice, option_pair, BTC@openInterest@261225, "
        "BTC-261225-100000-C@depth10[@100ms], BTC-261225-100000-C@ticker, BTC@ticker@261225, "
        "BTC@trade or BTC-261225-100000-C@trade. "
        "On --endpoint fstream: !index@arr, btc-261225-100000-c@kline_1m, "
        "btcusdt@optionMarkPrice, !optionSymbol, btcusdt@openInterest@261225, "
        "btc-261225-100000-c@depth10@100ms, btc-261225-100000-c@depth@100ms, "
        "btc-261225-100000-c@bookTicker, btc-261225-100000-c@optionTicker, "
        "btcusdt@optionTicker@261225, btcusdt@optionTrade or btc-261225-100000-c@optionTrade. "
        f"List symbols with '{prog} symbols'.",
    )
    stream.add_argument("streams", nargs="+", metavar="STREAM", help="a stream name")
    stream.add_argument("--json", action="store_true", help="print JSON lines with every field")
    stream.add_argument("--seconds", type=_positive_float, metavar="N", help="stop after N seconds")
    stream.add_argument("--count", type=_positive_int, metavar="N", help="stop after N events")
    _add_endpoint_argument(stream)
    stream.add_argument(
        "--url",
        help="where to connect (default: the endpoint's own, "
        + ", ".join(f"{e.default_base_url} for {e.name}" for e in ENDPOINTS.values())
        + ")",
    )
    stream.add_argument(
        "--demo",
        action="store_true",
        help="stream from a fake exchange with a synthetic market in this process (offline)",
    )
    stream.add_argument(
        "-v", "--verbose", action="store_true", help="log connections and subscriptions"
    )

    demo = commands.add_parser(
        "demo",
        help="offline: stream from a fake exchange running in this process",
        description="Start the fake exchange with a synthetic market in this process and "
        "stream an index, one option's ticker, the nearest expiry's chain and trades "
        "through the real client (with --endpoint fstream: the chain from mark prices, and "
        "a book ticker). No network needed.",
    )
    demo.add_argument(
        "--seconds",
        type=_positive_float,
        default=DEMO_SECONDS,
        metavar="N",
        help=f"stop after N seconds (default: {DEMO_SECONDS:g})",
    )
    demo.add_argument("--json", action="store_true", help="print JSON lines with every field")
    _add_endpoint_argument(demo)
    demo.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of the synthetic market (default: 0)"
    )
    demo.add_argument(
        "--speed",
        type=_positive_number,
        default=1.0,
        metavar="X",
        help="update rate multiplier of the synthetic market (default: 1)",
    )
    demo.add_argument(
        "-v", "--verbose", action="store_true", help="log connections and subscriptions"
    )

    symbols = commands.add_parser(
        "symbols",
        help="list tradable option symbols (REST API)",
        description="List the tradable option symbols, one per line, in chain order (expiry, "
        "strike, call before put). A summary goes to stderr.",
    )
    symbols.add_argument("--underlying", metavar="ASSET", help="e.g. BTC or ETH")
    symbols.add_argument(
        "--expiration",
        type=_yymmdd_or_nearest,
        metavar="YYMMDD",
        help="e.g. 261225, or 'nearest' (needs --underlying)",
    )
    symbols.add_argument("--side", type=_side, metavar="CALL|PUT", help="only calls or puts")
    symbols.add_argument("--url", help=f"the REST API (default: {DEFAULT_REST_URL})")
    symbols.add_argument(
        "--demo",
        action="store_true",
        help="list the symbols of a fake exchange with a synthetic market in this process "
        "(offline)",
    )
    symbols.add_argument(
        "--timeout", type=_positive_float, default=10.0, metavar="N", help="seconds (default: 10)"
    )
    add_data_parsers(commands)  # record, convert, chain (in _cli_data)
    return parser


_COMMANDS: Dict[str, Callable[[argparse.Namespace], int]] = {
    "stream": _cmd_stream,
    "demo": run_demo,
    "symbols": _cmd_symbols,
    **DATA_COMMANDS,
}


def _stdout_gone() -> None:
    """stdout was closed by the reader (``| head``): silence the final flush."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _one_line(error: BaseException) -> str:
    """An error's message on one line, however many lines it had."""
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())


def main(argv: Optional[Sequence[str]] = None, prog: str = _PROG) -> int:
    """Run the command line and return the exit status.

    Args:
        argv: The arguments without the program name; None reads ``sys.argv``.
        prog: The program name shown in help and errors.

    Returns:
        0 on success, 1 when the network or the exchange failed, 2 for a usage mistake,
        130 after Ctrl+C.

    Example:
        >>> main(["stream", "BTCUSDT@nonsense"])  # doctest: +SKIP
        2
    """
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    args.base_prog = prog
    args.prog = f"{prog} {args.command}"
    try:
        with library_logging(getattr(args, "verbose", False)), terminate_as_interrupt():
            return _COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"{args.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except RestError as exc:
        print(f"{args.prog}: error: the REST request failed: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except BinanceOptionsWSError as exc:
        print(f"{args.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{args.prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _stdout_gone()
        return EXIT_OK
