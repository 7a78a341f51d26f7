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
A network failure prints one line and exits with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import logging
import math
import os
import queue
import signal
import sys
import threading
import time
from typing import (
    IO,
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    NoReturn,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import attrs

from . import fstream
from ._version import __version__
from .client import StreamClient
from .endpoints import ENDPOINTS, Endpoint, get_endpoint, other_endpoint
from .exceptions import BinanceOptionsWSError, InvalidArgumentError, RestError
from .models import (
    BookDepth,
    BookTicker,
    DepthUpdate,
    Event,
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    Ticker,
    Trade,
)
from .rest import DEFAULT_REST_URL, RestClient
from .streams import OptionSymbol, StreamKind

__all__ = ["build_parser", "event_to_dict", "format_event", "main"]

_PROG = "binance-options-ws"
#: Exit statuses: success, a failure outside the user's control, a usage mistake.
_EXIT_OK, _EXIT_FAILURE, _EXIT_USAGE = 0, 1, 2
_TESTING_EXTRA = 'pip install "binance-options-ws[testing]"'
_DEMO_SECONDS = 10.0
_NO_EVENT_HINT_AFTER = 10.0  # seconds without any event before a hint is printed
_WAIT_SLICE = 0.25  # longest single wait of the print loop, so Ctrl+C and deadlines are prompt
_MAX_STREAM_COLUMN = 36


class _UsageError(Exception):
    """A mistake on the command line: printed as one line, exit status 2."""


class _ArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line, with no usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(_EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


# --------------------------------------------------------------------------
# Formatting events
# --------------------------------------------------------------------------


def _num(value: Optional[float], digits: int = 8) -> str:
    """A number with at most ``digits`` significant digits, no exponent, no trailing zeros."""
    if value is None or not math.isfinite(value):
        return "-"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    text = f"{value:.{max(0, digits - 1 - magnitude)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pct(value: Optional[float]) -> str:
    """An implied volatility given as a fraction (0.611) as a percentage (61.1%)."""
    return "-" if value is None or not math.isfinite(value) else f"{value * 100:.1f}%"


def _clock(ms: Optional[int]) -> str:
    """Milliseconds since the epoch as local ``HH:MM:SS.mmm`` (now, if None)."""
    moment = _dt.datetime.now() if ms is None else _dt.datetime.fromtimestamp(ms / 1000)
    return f"{moment:%H:%M:%S}.{moment.microsecond // 1000:03d}"


def _utc(ms: Optional[int]) -> str:
    if ms is None:
        return "-"
    return f"{_dt.datetime.fromtimestamp(ms / 1000, _dt.timezone.utc):%Y-%m-%d %H:%M} UTC"


def _level(level: Any) -> str:
    return "-" if level is None else f"{_num(level[0])} x {_num(level[1])}"


def _present(*parts: Tuple[str, Any, Callable[[Any], str]]) -> str:
    """``label value`` for each part whose value is not None, two spaces apart.

    Each endpoint leaves some fields of a shared event class as None (fstream's
    ticker has no greeks, nbstream's mark price has nothing but the mark): those
    are left out rather than printed as noise.
    """
    return "  ".join(f"{label} {show(value)}" for label, value, show in parts if value is not None)


def _spread(bid: Optional[float], ask: Optional[float]) -> str:
    return "" if bid is None or ask is None else f"  spread {_num(ask - bid)}"


def _is_fstream_ticker(event: Ticker) -> bool:
    """True for fstream's 24-hour statistics ticker (no book, no greeks)."""
    return (
        event.weighted_average_price is not None
        or event.open_time is not None
        or event.close_time is not None
        or "@optionticker" in (event.stream or "").lower()
    )


def _describe_ticker(event: Ticker) -> str:
    if not _is_fstream_ticker(event):  # nbstream: the book top and greeks, always the same columns
        return (
            f"last {_num(event.last_price)}  bid {_num(event.best_bid_price)}"
            f"  ask {_num(event.best_ask_price)}  mark {_num(event.mark_price)}"
            f"  iv {_pct(event.mark_iv)}  delta {_num(event.delta, 3)}"
            f"  volume {_num(event.volume)}"
        )
    change = "-" if event.price_change is None else f"{event.price_change:+g}"
    return "  ".join(
        part
        for part in (
            f"last {_num(event.last_price)}  change {change}",
            _present(
                ("volume", event.volume, _num),
                ("weighted avg", event.weighted_average_price, _num),
                ("trades", event.trade_count, str),
                # fstream sends greeks in MarkPrice; show them only if a ticker ever has them
                ("mark", event.mark_price, _num),
                ("iv", event.mark_iv, _pct),
                ("delta", event.delta, lambda v: _num(v, 3)),
            ),
        )
        if part
    )


def _describe_mark_price(event: MarkPrice) -> str:
    # nbstream sends the mark only; fstream adds the book top, IVs and greeks.
    return "  ".join(
        part
        for part in (
            f"mark {_num(event.mark_price)}",
            _present(
                ("bid", event.best_bid_price, _num),
                ("ask", event.best_ask_price, _num),
                ("iv", event.mark_iv, _pct),
                ("delta", event.delta, lambda v: _num(v, 3)),
                ("index", event.index_price, lambda v: _num(v)),
            ),
        )
        if part
    )


def _describe_trade(event: Trade) -> str:
    if event.side is not None:  # fstream: "BUY" or "SELL"
        how = f"  {event.side}"
    elif event.direction is not None:  # nbstream: 1 or -1
        how = f"  direction {event.direction:+d}"
    else:
        how = ""
    return (
        f"{_num(event.quantity)} @ {_num(event.price)}{how}"
        f"  {event.trade_type or '-'}  id {event.trade_id}"
    )


def _describe_update_ids(first: Optional[int], last: Optional[int], previous: Optional[int]) -> str:
    ids = f"update {'-' if first is None else first}..{'-' if last is None else last}"
    return ids if previous is None else f"{ids}  pu {previous}"


def _describe(event: Event) -> str:
    """The fields that matter for one event, as readable text (without the symbol)."""
    if isinstance(event, IndexPrice):
        return f"price {_num(event.price)}"
    if isinstance(event, MarkPrice):
        return _describe_mark_price(event)
    if isinstance(event, Ticker):
        return _describe_ticker(event)
    if isinstance(event, Trade):
        return _describe_trade(event)
    if isinstance(event, BookDepth):
        bid, ask = event.best_bid, event.best_ask
        return (
            f"bid {_level(bid)}  ask {_level(ask)}"
            f"{_spread(None if bid is None else bid[0], None if ask is None else ask[0])}"
            f"  ({len(event.bids)} bids, {len(event.asks)} asks)"
        )
    if isinstance(event, BookTicker):
        return (
            f"bid {_num(event.best_bid_price)} x {_num(event.best_bid_quantity)}"
            f"  ask {_num(event.best_ask_price)} x {_num(event.best_ask_quantity)}"
            f"{_spread(event.best_bid_price, event.best_ask_price)}"
        )
    if isinstance(event, DepthUpdate):
        return (
            f"{len(event.bids)} bid and {len(event.asks)} ask levels changed  "
            + _describe_update_ids(event.first_update_id, event.update_id, event.previous_update_id)
        )
    if isinstance(event, Kline):
        state = "closed" if event.is_closed else "open"
        return (
            f"{event.interval or '?'} from {_clock(event.start_time)[:8]}"
            f"  open {_num(event.open)}  high {_num(event.high)}  low {_num(event.low)}"
            f"  close {_num(event.close)}  volume {_num(event.volume)}"
            f"  trades {event.trade_count}  ({state})"
        )
    if isinstance(event, OpenInterest):
        return (
            f"open interest {_num(event.open_interest)} contracts"
            f" ({_num(event.open_interest_usdt)} USDT)"
        )
    if isinstance(event, NewSymbol):
        status = "" if event.status is None else f"  status {event.status}"
        return (
            f"listed: {event.side or '?'} strike {_num(event.strike_price)}"
            f"  expires {_utc(event.expiration_time)}  on {event.underlying or '?'}{status}"
        )
    # What is left is an UnknownEvent: a message the library does not know.
    data = json.dumps(event.data, separators=(",", ":"), default=str)
    return f"unknown event type {event.event_type!r}: {data[:200]}"


def format_event(event: Event, *, stream_width: int = 0) -> str:
    """One readable line for an event: local time, stream, the fields that matter.

    The option symbol is shown when the stream carries many options (mark price,
    open interest, a chain, trades of an underlying, new listings).

    Args:
        event: Any event from :class:`~binance_options_ws.StreamClient`.
        stream_width: Pad the stream name to this many characters, to align columns.

    Returns:
        The line, without a newline.

    Example:
        >>> from binance_options_ws import IndexPrice
        >>> format_event(IndexPrice("BTCUSDT", 100919.4885, 1767614400000, "BTCUSDT@index"))[12:]
        '  BTCUSDT@index  price 100919.49'
    """
    stream = event.stream or "-"
    symbol = getattr(event, "symbol", None)
    text = _describe(event)
    # fstream names carry the symbol in lowercase: compare without case.
    if symbol and not stream.lower().startswith(f"{symbol.lower()}@"):
        text = f"{symbol}  {text}"
    return f"{_clock(event.event_time)}  {stream:<{stream_width}}  {text}"


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    return value


def event_to_dict(event: Event) -> Dict[str, Any]:
    """Every field of an event as JSON-ready data, with its class name under ``"type"``.

    Args:
        event: Any event.

    Returns:
        ``{"type": "IndexPrice", "symbol": ..., ...}``; book levels become lists and
        non-finite numbers become None.

    Example:
        >>> from binance_options_ws import IndexPrice
        >>> event_to_dict(IndexPrice("BTCUSDT", 100919.5, 1767614400000, "BTCUSDT@index"))
        {'type': 'IndexPrice', 'symbol': 'BTCUSDT', 'price': 100919.5, \
'event_time': 1767614400000, 'stream': 'BTCUSDT@index'}
    """
    fields = attrs.asdict(event, recurse=False)
    return {"type": type(event).__name__, **_json_ready(fields)}


# --------------------------------------------------------------------------
# Printing a client's events
# --------------------------------------------------------------------------


class _Printer:
    """Writes events to a stream, flushing whenever the client's queue runs dry."""

    def __init__(self, out: IO[str], as_json: bool, stream_width: int) -> None:
        self.out = out
        self.as_json = as_json
        self.stream_width = stream_width
        self.count = 0

    def line(self, text: str) -> None:
        self.out.write(text + "\n")

    def event(self, event: Event) -> None:
        if self.as_json:
            self.line(json.dumps(event_to_dict(event), default=str))
        else:
            self.line(format_event(event, stream_width=self.stream_width))
        self.count += 1


@attrs.define
class _Run:
    """How one print loop ended: events printed, seconds taken, why it stopped."""

    printed: int = 0
    seconds: float = 0.0
    reason: str = "done"


def _print_events(
    client: StreamClient,
    printer: _Printer,
    *,
    seconds: Optional[float],
    count: Optional[int],
    every_second: Optional[Callable[[], None]] = None,
    observe: Optional[Callable[[Event], None]] = None,
    hint: Optional[str] = None,
) -> _Run:
    """Print queued events until ``seconds`` pass, ``count`` are printed or Ctrl+C."""
    started = time.monotonic()
    deadline = None if seconds is None else started + seconds
    next_tick = started + 1.0
    hint_at: Optional[float] = started + _NO_EVENT_HINT_AFTER if hint else None
    run = _Run()
    try:
        while count is None or printer.count < count:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                run.reason = f"--seconds {seconds:g} reached" if seconds else "done"
                break
            if every_second is not None and now >= next_tick:
                next_tick += 1.0
                every_second()
            if hint_at is not None and now >= hint_at:
                hint_at = None
                if printer.count == 0:
                    print(hint, file=sys.stderr)
            wait = _WAIT_SLICE if deadline is None else min(_WAIT_SLICE, deadline - now)
            try:
                event = client.get(timeout=max(wait, 0.0))
            except queue.Empty:
                printer.out.flush()
                continue
            except BinanceOptionsWSError:  # ClientClosedError: closed from elsewhere
                run.reason = "the client closed"
                break
            if observe is not None:
                observe(event)
            printer.event(event)
            if client.queue.empty():
                printer.out.flush()
        else:
            run.reason = f"--count {count} reached"
        printer.out.flush()
    except KeyboardInterrupt:
        run.reason = "interrupted"
    run.printed = printer.count
    run.seconds = time.monotonic() - started
    return run


def _summary(run: _Run, client: StreamClient, what: str = "stopped") -> str:
    stats = client.stats
    return (
        f"{what} after {run.seconds:.1f} s ({run.reason}): {run.printed} events, "
        f"{stats.reconnects} reconnects, {stats.dropped_events} dropped"
    )


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl+C (a clean stop with a summary) while the block runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _library_logging(verbose: bool) -> Iterator[None]:
    """Show the library's log (reconnects, drops) on stderr with a time stamp."""
    logger = logging.getLogger("binance_options_ws")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


# --------------------------------------------------------------------------
# stream
# --------------------------------------------------------------------------


def _wrong_endpoint_hint(text: str, endpoint: Endpoint) -> str:
    """If ``text`` is a stream of the other endpoint: which flag to add, and the name here."""
    found = other_endpoint(text, endpoint)
    if found is None:
        return ""
    if found.name is None:
        instead = f" ({found.problem})"
    else:
        per_pair = ""
        if endpoint.parse_stream(found.name).kind is StreamKind.INDEX:
            per_pair = (
                " (one stream per pair)"
                if endpoint.name == "nbstream"
                else " (every underlying in one stream)"
            )
        instead = f", or use {found.name!r}{per_pair} on {endpoint.name}"
    return (
        f"that is a stream of the {found.endpoint} endpoint, not of {endpoint.name}: "
        f"add --endpoint {found.endpoint}{instead}"
    )


def _stream_names(raw: Sequence[str], endpoint: str = "nbstream") -> List[str]:
    """Check every name against the endpoint's parser; a mistake is a :class:`_UsageError`."""
    chosen = get_endpoint(endpoint)
    names: List[str] = []
    for text in raw:
        try:
            name = chosen.parse_stream(text).name
        except BinanceOptionsWSError as exc:
            hint = _wrong_endpoint_hint(text, chosen)
            if hint:
                raise _UsageError(f"bad stream {text!r}: {hint}") from None
            tip = " (separate streams with spaces, not commas)" if "," in text else ""
            raise _UsageError(f"bad stream {text!r}{tip}: {exc}") from None
        if name not in names:
            names.append(name)
    return names


def _new_client(url: Optional[str], endpoint: str) -> StreamClient:
    try:
        return StreamClient(url, endpoint=endpoint)
    except InvalidArgumentError as exc:
        raise _UsageError(f"bad --url: {exc}") from None


def _cmd_stream(args: argparse.Namespace) -> int:
    names = _stream_names(args.streams, args.endpoint)
    width = min(max(len(name) for name in names), _MAX_STREAM_COLUMN)
    printer = _Printer(sys.stdout, args.json, width)
    hint = (
        f"{args.prog}: no events after {_NO_EVENT_HINT_AFTER:g} s; a stream of a symbol that "
        f"is not listed stays silent: check with '{args.base_prog} symbols --underlying BTC'"
    )
    with _new_client(args.url, args.endpoint) as client:
        url = args.url or get_endpoint(args.endpoint).default_base_url
        print(f"subscribing to {', '.join(names)} at {url}", file=sys.stderr)
        try:
            client.subscribe(names)
        except KeyboardInterrupt:
            print("interrupted while subscribing", file=sys.stderr)
            return _EXIT_OK
        run = _print_events(client, printer, seconds=args.seconds, count=args.count, hint=hint)
        print(_summary(run, client), file=sys.stderr)
    return _EXIT_OK


# --------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------


_Quote = Union[Ticker, MarkPrice]


class _ChainBoard:
    """Keeps the latest quote of every option of one expiry (fed by a client callback).

    The quotes are nbstream tickers (``BTC@ticker@<YYMMDD>``) or fstream mark
    prices (``btcusdt@optionMarkPrice``, every expiry: the others are skipped);
    both carry the mark, the implied volatility and the greeks.
    """

    def __init__(self, stream: str, expiration: _dt.date) -> None:
        self.stream = stream
        self.expiration = expiration
        self.updates = 0
        self._latest: Dict[OptionSymbol, _Quote] = {}
        self._lock = threading.Lock()  # protects _latest between the callback and the printer

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.updates += 1  # every event the stream delivered, shown or not
        if not isinstance(event, (Ticker, MarkPrice)) or not event.symbol:
            return
        try:
            option = OptionSymbol.parse(event.symbol)
        except BinanceOptionsWSError:
            return
        if option.expiration == self.expiration:
            with self._lock:
                self._latest[option] = event

    def line(self, spot: Optional[float], width: int) -> Optional[str]:
        """One line: how many options, and the call and put nearest the money."""
        with self._lock:
            latest = list(self._latest.items())
        if not latest:
            return None
        by_strike: Dict[Any, Dict[str, _Quote]] = {}
        for option, quote in latest:
            by_strike.setdefault(option.strike, {})[option.side.value] = quote
        reference = spot if spot is not None else float(sorted(by_strike)[len(by_strike) // 2])
        strike = min(by_strike, key=lambda k: abs(float(k) - reference))
        sides = [
            f"{side.lower()} mark {_num(q.mark_price)} iv {_pct(q.mark_iv)}"
            + ("" if q.delta is None else f" delta {_num(q.delta, 3)}")
            for side, q in sorted(by_strike[strike].items())
        ]
        return (
            f"{_clock(None)}  {self.stream:<{width}}  {len(latest)} options;"
            f" nearest the money {_num(float(strike))}: {' | '.join(sides)}"
        )


@attrs.frozen
class _DemoPlan:
    """What the demo subscribes to on one endpoint, and how to say it."""

    streams: Tuple[Tuple[str, str], ...]  # (name, what it is), in the order shown
    chain: str  # the stream summarised by the board, one line a second
    next_step: str  # the command to try next on the real market


def _demo_plan(endpoint: str, option: str, expiry: _dt.date) -> _DemoPlan:
    if endpoint == "fstream":
        chain = fstream.mark_price("BTC")
        return _DemoPlan(
            (
                (fstream.index(), "index prices of every underlying in one stream (BTCUSDT kept)"),
                (fstream.ticker(option), "one option's 24-hour statistics (no greeks on fstream)"),
                (chain, "mark, IV and greeks of every BTC option: a summary line a second"),
                (fstream.trade("BTC"), "every trade on BTC options, with its side"),
                (fstream.book_ticker(option), "one option's best bid and ask, on every change"),
            ),
            chain,
            f"stream --endpoint fstream {chain}",
        )
    chain = f"BTC@ticker@{expiry:%y%m%d}"
    return _DemoPlan(
        (
            ("BTCUSDT@index", "the BTC index price, every second"),
            (f"{option}@ticker", "one option's ticker: prices, implied volatility, greeks"),
            (chain, "every option of the nearest expiry: one summary line a second"),
            ("BTC@trade", "every trade on BTC options"),
        ),
        chain,
        "stream --endpoint fstream btcusdt@optionTrade",
    )


def _cmd_demo(args: argparse.Namespace) -> int:
    try:  # the fake exchange needs websockets, from the testing extra
        from .testing import FakeExchange, SyntheticMarket
    except ImportError:
        raise _UsageError(f"the demo needs the testing extra: {_TESTING_EXTRA}") from None
    try:
        market = SyntheticMarket(seed=args.seed, speed=args.speed)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    err = sys.stderr
    underlying, pair = "BTC", "BTCUSDT"
    expiry = market.expirations(underlying)[0]
    spot = market.index_price(pair)
    calls = [
        OptionSymbol.parse(name)
        for name in market.symbols(underlying)
        if name.endswith("-C") and OptionSymbol.parse(name).expiration == expiry
    ]
    option = min(calls, key=lambda s: abs(float(s.strike) - spot)).name
    plan = _demo_plan(args.endpoint, option, expiry)
    width = max(len(name) for name, _ in plan.streams)
    printer = _Printer(sys.stdout, args.json, width)
    board = _ChainBoard(plan.chain, expiry)
    latest_spot: List[Optional[float]] = [spot]

    def print_chain() -> None:
        line = board.line(latest_spot[0], width)
        if line is not None:
            printer.line(line)

    with FakeExchange(market=market) as exchange:
        print(
            f"binance-options-ws {__version__} demo, no network needed.\n"
            f"A fake exchange with a synthetic market runs in this process at {exchange.url}\n"
            f"and the real StreamClient subscribes to it on the {args.endpoint} endpoint "
            "as it would to Binance:",
            file=err,
        )
        for name, what in plan.streams:
            print(f"  {name:<{width}}  {what}", file=err)
        print(f"Stops after {args.seconds:g} s (Ctrl+C stops sooner).", file=err)
        with StreamClient(exchange.url, endpoint=args.endpoint) as client:
            others = [name for name, _ in plan.streams if name != plan.chain]
            if args.endpoint == "fstream":  # one index stream for all: keep BTCUSDT only
                others.remove(fstream.index())
                client.subscribe_index(pair)
            client.subscribe(others)
            if args.json:
                client.subscribe(plan.chain)  # every quote of the chain, one JSON line each
                every_second = None
            else:
                client.subscribe(plan.chain, board)  # a callback collects the chain
                every_second = print_chain

            def remember_spot(event: Event) -> None:
                if isinstance(event, IndexPrice) and event.price is not None:
                    latest_spot[0] = event.price

            run = _print_events(
                client,
                printer,
                seconds=args.seconds,
                count=None,
                every_second=every_second,
                observe=remember_spot,
            )
            run.printed += board.updates
            print(_summary(run, client, "demo finished"), file=err)
    print(
        f"Next: '{args.base_prog} {plan.next_step}' streams the real market; "
        "README.md and examples/ show the code.",
        file=err,
    )
    return _EXIT_OK


# --------------------------------------------------------------------------
# symbols
# --------------------------------------------------------------------------


def _cmd_symbols(args: argparse.Namespace) -> int:
    try:
        rest = RestClient(args.url, timeout=args.timeout)
    except ValueError as exc:
        raise _UsageError(f"bad --url: {exc}") from None
    with rest:
        info = rest.exchange_info()
    expiration = args.expiration
    try:
        if expiration == "nearest":
            if args.underlying is None:
                raise _UsageError("--expiration nearest needs --underlying, e.g. --underlying BTC")
            expiration = info.nearest_expiration(args.underlying)
        found = info.symbols(args.underlying, expiration, side=args.side)
    except InvalidArgumentError as exc:
        raise _UsageError(str(exc)) from None
    for symbol in found:
        print(symbol.name)
    counts: Dict[str, int] = {}
    for symbol in found:
        counts[symbol.underlying] = counts.get(symbol.underlying, 0) + 1
    per = ", ".join(f"{asset} {n}" for asset, n in sorted(counts.items()))
    expiries = sorted({symbol.expiration for symbol in found})
    detail = f" ({per}) over {len(expiries)} expirations" if found else ""
    tip = "" if args.underlying else "; narrow down with --underlying BTC --expiration nearest"
    print(f"{len(found)} symbols{detail}{tip}", file=sys.stderr)
    return _EXIT_OK


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
        _dt.datetime.strptime(text, "%y%m%d")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a date as YYMMDD (e.g. 261225) or 'nearest', got {text!r}"
        ) from None
    return text


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def _side(text: str) -> str:
    if text.upper() not in ("C", "CALL", "P", "PUT"):
        raise argparse.ArgumentTypeError(f"must be one of CALL, PUT (or C, P), got {text!r}")
    return text.upper()


def _add_endpoint_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint",
        choices=list(ENDPOINTS),
        default="nbstream",
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
        default=_DEMO_SECONDS,
        metavar="N",
        help=f"stop after N seconds (default: {_DEMO_SECONDS:g})",
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
    symbols.add_argument(
        "--url",
        default=DEFAULT_REST_URL,
        help=f"the REST API (default: {DEFAULT_REST_URL})",
    )
    symbols.add_argument(
        "--timeout", type=_positive_float, default=10.0, metavar="N", help="seconds (default: 10)"
    )
    return parser


_COMMANDS: Dict[str, Callable[[argparse.Namespace], int]] = {
    "stream": _cmd_stream,
    "demo": _cmd_demo,
    "symbols": _cmd_symbols,
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
        0 on success, 1 when the network or the exchange failed, 2 for a usage mistake.

    Example:
        >>> main(["stream", "BTCUSDT@nonsense"])  # doctest: +SKIP
        2
    """
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else _EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return _EXIT_USAGE
    args.base_prog = prog
    args.prog = f"{prog} {args.command}"
    try:
        with _library_logging(getattr(args, "verbose", False)), _terminate_as_interrupt():
            return _COMMANDS[args.command](args)
    except _UsageError as exc:
        print(f"{args.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return _EXIT_USAGE
    except RestError as exc:
        print(f"{args.prog}: error: the REST request failed: {_one_line(exc)}", file=sys.stderr)
        return _EXIT_FAILURE
    except BinanceOptionsWSError as exc:
        print(f"{args.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return _EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{args.prog}: interrupted", file=sys.stderr)
        return _EXIT_OK
    except BrokenPipeError:
        _stdout_gone()
        return _EXIT_OK
