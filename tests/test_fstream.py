"""Tests of binance_options_ws.fstream, and of parse_message(endpoint="fstream").

The facts come from /work/shared/spec/options-streams-2026.md: stream names and
routing from sections 1.2-1.4 and 2, payloads from the examples of sections
2.1-2.10 and the Tardis captures quoted there, the traps from section 3.
"""

from __future__ import annotations

import datetime as dt
import doctest
import inspect
import json
import re
import typing

import attrs
import pytest

from binance_options_ws import (
    InvalidArgumentError,
    InvalidStreamError,
    MessageParseError,
    fstream,
    parse_message,
)
from binance_options_ws.models import (
    BookDepth,
    BookTicker,
    ControlReply,
    DepthUpdate,
    ErrorReply,
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    Ticker,
    Trade,
    UnknownEvent,
)
from binance_options_ws.streams import OptionSymbol, StreamKind, StreamName

SYMBOL = "BTC-251219-89000-C"  # as in payloads
LOW = SYMBOL.lower()  # as in stream names
XMAS = dt.date(2025, 12, 26)


def _fparse(message: object) -> list:
    return parse_message(message, endpoint="fstream")


def _envelope(text: str, stream: str) -> str:
    return f'{{"stream": {json.dumps(stream)}, "data": {text}}}'


# --------------------------------------------------------------------------
# The endpoint's facts
# --------------------------------------------------------------------------


def test_constants_match_the_spec() -> None:
    assert fstream.BASE_URL == "wss://fstream.binance.com"
    assert (fstream.PUBLIC, fstream.MARKET) == ("public", "market")
    assert set(fstream.PATHS) == {"public", "market"}
    assert fstream.INTERVALS == (
        "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d", "3d", "1w",
    )  # fmt: skip
    assert fstream.DEPTH_LEVELS == (5, 10, 20)
    assert fstream.DEPTH_SPEEDS == ("100ms", "500ms")
    assert fstream.INDEX_STREAM == "!index@arr"
    assert fstream.NEW_SYMBOL_INFO_STREAM == "!optionSymbol"


# --------------------------------------------------------------------------
# Builders: one table, every builder
# --------------------------------------------------------------------------

BUILDS = [
    # trade: an option symbol, a pair or a base asset
    (fstream.trade, (SYMBOL,), {}, f"{LOW}@optionTrade"),
    (fstream.trade, (LOW,), {}, f"{LOW}@optionTrade"),
    (fstream.trade, (OptionSymbol.parse(SYMBOL),), {}, f"{LOW}@optionTrade"),
    (fstream.trade, ("btcusdt",), {}, "btcusdt@optionTrade"),
    (fstream.trade, ("BTCUSDT",), {}, "btcusdt@optionTrade"),
    (fstream.trade, ("BTC",), {}, "btcusdt@optionTrade"),
    (fstream.trade, ("eth",), {}, "ethusdt@optionTrade"),
    # ticker
    (fstream.ticker, (SYMBOL,), {}, f"{LOW}@optionTicker"),
    (fstream.ticker, ("Btc-251219-89000-c",), {}, f"{LOW}@optionTicker"),
    (fstream.ticker, ("xrp-250328-2.5-p",), {}, "xrp-250328-2.5-p@optionTicker"),
    (fstream.ticker, (OptionSymbol("BTC", XMAS, 100000, "C"),), {},
     "btc-251226-100000-c@optionTicker"),
    # ticker by expiration: the documented form, with "@" before the date
    (fstream.ticker_by_expiration, ("btcusdt", "251230"), {}, "btcusdt@optionTicker@251230"),
    (fstream.ticker_by_expiration, ("BTC", "251230"), {}, "btcusdt@optionTicker@251230"),
    (fstream.ticker_by_expiration, ("BTCUSDT", dt.date(2025, 12, 30)), {},
     "btcusdt@optionTicker@251230"),
    (fstream.ticker_by_expiration, ("eth", dt.datetime(2025, 12, 30, 8)), {},
     "ethusdt@optionTicker@251230"),
    # book ticker
    (fstream.book_ticker, (SYMBOL,), {}, f"{LOW}@bookTicker"),
    (fstream.book_ticker, (LOW,), {}, f"{LOW}@bookTicker"),
    # partial depth: levels 5, 10, 20; the speed is always written
    (fstream.depth, (SYMBOL,), {}, f"{LOW}@depth10@500ms"),
    (fstream.depth, (SYMBOL, 5), {}, f"{LOW}@depth5@500ms"),
    (fstream.depth, (SYMBOL, 10, "100ms"), {}, f"{LOW}@depth10@100ms"),
    (fstream.depth, (SYMBOL, 20, "500ms"), {}, f"{LOW}@depth20@500ms"),
    (fstream.depth, (LOW,), {"levels": "20", "speed": 100}, f"{LOW}@depth20@100ms"),
    (fstream.depth, (SYMBOL,), {"speed": None}, f"{LOW}@depth10@500ms"),
    (fstream.depth, (SYMBOL,), {"speed": 500}, f"{LOW}@depth10@500ms"),
    # diff depth
    (fstream.diff_depth, (SYMBOL,), {}, f"{LOW}@depth@500ms"),
    (fstream.diff_depth, (SYMBOL, "100ms"), {}, f"{LOW}@depth@100ms"),
    (fstream.diff_depth, (LOW,), {"speed": 500}, f"{LOW}@depth@500ms"),
    # index: one stream for every underlying
    (fstream.index, (), {}, "!index@arr"),
    # mark price: a pair or a base asset
    (fstream.mark_price, ("btcusdt",), {}, "btcusdt@optionMarkPrice"),
    (fstream.mark_price, ("BTC",), {}, "btcusdt@optionMarkPrice"),
    (fstream.mark_price, ("XrpUsdt",), {}, "xrpusdt@optionMarkPrice"),
    (fstream.mark_price, ("1000SHIB",), {}, "1000shibusdt@optionMarkPrice"),
    # kline
    (fstream.kline, (SYMBOL, "1m"), {}, f"{LOW}@kline_1m"),
    (fstream.kline, (LOW, "12h"), {}, f"{LOW}@kline_12h"),
    (fstream.kline, (), {"symbol": OptionSymbol.parse(SYMBOL), "interval": "1w"},
     f"{LOW}@kline_1w"),
    # open interest: the 2026-07 SDK name
    (fstream.open_interest, ("ethusdt", "221125"), {}, "ethusdt@openInterest@221125"),
    (fstream.open_interest, ("ETH", dt.date(2022, 11, 25)), {}, "ethusdt@openInterest@221125"),
    (fstream.open_interest, ("BTC", dt.date(2099, 12, 31)), {}, "btcusdt@openInterest@991231"),
    # new symbol info
    (fstream.new_symbol_info, (), {}, "!optionSymbol"),
]  # fmt: skip


def _is_safe(name: str) -> bool:
    return name.isascii() and name.isprintable() and not re.search(r"[/?&#%\s\"'\\]", name)


@pytest.mark.parametrize(("builder", "args", "kwargs", "expected"), BUILDS)
def test_builder_returns_the_exact_stream_name(builder, args, kwargs, expected) -> None:
    name = builder(*args, **kwargs)
    assert name == expected
    assert type(name) is str
    assert _is_safe(name)
    # symbols lowercase, the stream type in camel case: what the server accepts
    if not name.startswith("!"):
        symbol, _, _ = name.partition("@")
        assert symbol == symbol.lower()


@pytest.mark.parametrize(("builder", "args", "kwargs", "expected"), BUILDS)
def test_every_built_name_parses_back_to_itself(builder, args, kwargs, expected) -> None:
    parsed = fstream.parse_stream(builder(*args, **kwargs))
    assert parsed.name == expected
    assert str(parsed) == expected
    assert fstream.parse_stream(parsed.name) == parsed
    if not expected.startswith("!"):  # a symbol in any case reads the same
        symbol, _, rest = expected.partition("@")
        assert fstream.parse_stream(f"{symbol.upper()}@{rest}") == parsed


def test_builders_cover_every_stream_kind() -> None:
    kinds = {fstream.parse_stream(b(*args, **kwargs)).kind for b, args, kwargs, _ in BUILDS}
    assert kinds == set(StreamKind)


@pytest.mark.parametrize("interval", fstream.INTERVALS)
def test_kline_accepts_every_documented_interval(interval: str) -> None:
    name = fstream.kline(SYMBOL, interval)
    assert name == f"{LOW}@kline_{interval}"
    assert fstream.parse_stream(name).interval == interval


# --------------------------------------------------------------------------
# Builders: rejections name the bad value and the valid choices
# --------------------------------------------------------------------------

INTERVAL_CHOICES = "1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d, 3d, 1w"
LEVEL_CHOICES = "levels must be one of 5, 10, 20"
SPEED_CHOICES = "speed must be one of 100ms, 500ms"
SYMBOL_FORM = "UNDERLYING-YYMMDD-STRIKE-C|P"
NOT_AN_OPTION = ["not an option symbol", repr(SYMBOL), "did you mean 'btc'"]

REJECTIONS = [
    # depth levels: nbstream's 50 and 100 are gone, 5 is new
    (fstream.depth, (SYMBOL, 15), {}, [LEVEL_CHOICES, "got 15"]),
    (fstream.depth, (SYMBOL, 50), {}, [LEVEL_CHOICES, "got 50"]),
    (fstream.depth, (SYMBOL, 100), {}, [LEVEL_CHOICES, "got 100"]),
    (fstream.depth, (SYMBOL, 0), {}, [LEVEL_CHOICES, "got 0"]),
    (fstream.depth, (SYMBOL, "50"), {}, [LEVEL_CHOICES, "got '50'"]),
    (fstream.depth, (SYMBOL, True), {}, [LEVEL_CHOICES, "got True"]),
    (fstream.depth, (SYMBOL, None), {}, [LEVEL_CHOICES, "got None"]),
    # depth speeds: nbstream's 1000ms is gone
    (fstream.depth, (SYMBOL, 10, "1000ms"), {}, [SPEED_CHOICES, "got '1000ms'"]),
    (fstream.depth, (SYMBOL, 10, 1000), {}, [SPEED_CHOICES, "got 1000"]),
    (fstream.depth, (SYMBOL, 10, "250ms"), {}, [SPEED_CHOICES, "got '250ms'"]),
    (fstream.depth, (SYMBOL, 10, "100"), {}, [SPEED_CHOICES, "got '100'"]),
    (fstream.depth, (SYMBOL, 10, "100MS"), {}, [SPEED_CHOICES, "got '100MS'"]),
    (fstream.depth, (SYMBOL, 10, True), {}, [SPEED_CHOICES, "got True"]),
    (fstream.diff_depth, (SYMBOL, "1000ms"), {}, [SPEED_CHOICES, "got '1000ms'"]),
    (fstream.diff_depth, (SYMBOL, 250), {}, [SPEED_CHOICES, "got 250"]),
    # kline intervals: nbstream's 8h and 1M are gone
    (fstream.kline, (SYMBOL, "8h"), {}, [INTERVAL_CHOICES, "got '8h'"]),
    (fstream.kline, (SYMBOL, "1M"), {}, [INTERVAL_CHOICES, "got '1M'"]),
    (fstream.kline, (SYMBOL, "1H"), {}, [INTERVAL_CHOICES, "got '1H'"]),
    (fstream.kline, (SYMBOL, "1s"), {}, [INTERVAL_CHOICES, "got '1s'"]),
    (fstream.kline, (SYMBOL, ""), {}, [INTERVAL_CHOICES, "got ''"]),
    (fstream.kline, (SYMBOL, 1), {}, [INTERVAL_CHOICES, "got 1"]),
    # an option symbol where an underlying is expected: the hint names the pair's asset
    (fstream.mark_price, (SYMBOL,), {}, NOT_AN_OPTION),
    (fstream.ticker_by_expiration, (SYMBOL, "251230"), {}, NOT_AN_OPTION),
    (fstream.open_interest, (SYMBOL, "251230"), {}, NOT_AN_OPTION),
    # an underlying where an option symbol is expected
    (fstream.ticker, ("btcusdt",), {}, ["got 'btcusdt'", SYMBOL_FORM]),
    (fstream.book_ticker, ("BTC",), {}, ["got 'BTC'", SYMBOL_FORM]),
    (fstream.depth, ("ethusdt",), {}, ["got 'ethusdt'", SYMBOL_FORM]),
    (fstream.diff_depth, ("ethusdt",), {}, ["got 'ethusdt'", SYMBOL_FORM]),
    (fstream.kline, ("ETH", "1m"), {}, ["got 'ETH'", SYMBOL_FORM]),
    # malformed values
    (fstream.trade, ("ETH-",), {}, ["'ETH-'", SYMBOL_FORM]),
    (fstream.trade, ("",), {}, ["must not be empty", "got ''"]),
    (fstream.trade, (None,), {}, ["must be a string", "got None"]),
    (fstream.mark_price, ("E",), {}, ["got 'E'", "such as 'btcusdt'"]),
    (fstream.mark_price, ("eth_usdt",), {}, ["got 'eth_usdt'", "such as 'btcusdt'"]),
    (fstream.mark_price, ("eth/usdt",), {}, ["'eth/usdt'", "contains '/'"]),
    (fstream.ticker, ("BTC-251326-89000-C",), {}, ["'251326'", "real calendar date"]),
    # expirations: YYMMDD text or a date
    (fstream.open_interest, ("ETH", "2211"), {}, ["got '2211'", "YYMMDD", "datetime.date"]),
    (fstream.open_interest, ("ETH", "20221125"), {}, ["got '20221125'", "YYMMDD"]),
    (fstream.open_interest, ("ETH", "032226"), {}, ["got '032226'", "real calendar date"]),
    (fstream.open_interest, ("ETH", 221125), {}, ["got 221125", "must be a string"]),
    (fstream.ticker_by_expiration, ("BTC", "251231x"), {}, ["got '251231x'", "YYMMDD"]),
    (fstream.ticker_by_expiration, ("BTC", "250230"), {}, ["got '250230'", "real calendar"]),
    (
        fstream.ticker_by_expiration,
        ("BTC", dt.date(2100, 1, 1)),
        {},
        ["got '2100-01-01'", "2000-01-01 to 2099-12-31"],
    ),
]


def _check_rejection(exc: pytest.ExceptionInfo[InvalidStreamError], fragments: list) -> None:
    assert isinstance(exc.value, ValueError)
    message = str(exc.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize(("builder", "args", "kwargs", "fragments"), REJECTIONS)
def test_builder_rejects_bad_values(builder, args, kwargs, fragments) -> None:
    with pytest.raises(InvalidStreamError) as exc:
        builder(*args, **kwargs)
    _check_rejection(exc, fragments)


@pytest.mark.parametrize(
    ("builder", "args"),
    [
        (fstream.mark_price, ("ethusdc",)),
        (fstream.trade, ("BTCUSDC",)),
        (fstream.open_interest, ("usdt", "251230")),
    ],
)
def test_an_underlying_that_is_not_a_usdt_pair_is_not_silently_extended(builder, args) -> None:
    # Options underlyings are USDT pairs (spec 1.4). "ethusdc" must not become the
    # stream "ethusdcusdt@...", which opens and then delivers nothing.
    with pytest.raises(InvalidStreamError) as exc:
        builder(*args)
    assert repr(args[0]) in str(exc.value)


def test_depth_messages_say_they_are_about_fstream() -> None:
    # A user coming from nbstream (levels 10-100, speeds up to 1000ms) learns why.
    with pytest.raises(InvalidStreamError, match="on the fstream endpoint"):
        fstream.depth(SYMBOL, 50)
    with pytest.raises(InvalidStreamError, match="on the fstream endpoint"):
        fstream.diff_depth(SYMBOL, "1000ms")


# --------------------------------------------------------------------------
# parse_stream
# --------------------------------------------------------------------------

PARSES = [
    (f"{LOW}@optionTrade", StreamName(f"{LOW}@optionTrade", StreamKind.TRADE, symbol=SYMBOL)),
    (
        "btcusdt@optionTrade",
        StreamName("btcusdt@optionTrade", StreamKind.TRADE, underlying="BTCUSDT"),
    ),
    (f"{LOW}@optionTicker", StreamName(f"{LOW}@optionTicker", StreamKind.TICKER, symbol=SYMBOL)),
    (
        "btcusdt@optionTicker@251230",
        StreamName(
            "btcusdt@optionTicker@251230",
            StreamKind.TICKER_BY_EXPIRATION,
            underlying="BTCUSDT",
            expiration=dt.date(2025, 12, 30),
        ),
    ),
    # the SDK template's form, without the second "@", is accepted and kept as given
    (
        "btcusdt@optionTicker251230",
        StreamName(
            "btcusdt@optionTicker251230",
            StreamKind.TICKER_BY_EXPIRATION,
            underlying="BTCUSDT",
            expiration=dt.date(2025, 12, 30),
        ),
    ),
    (
        f"{LOW}@bookTicker",
        StreamName(f"{LOW}@bookTicker", StreamKind.BOOK_TICKER, symbol=SYMBOL),
    ),
    (
        "eth-251219-3100-c@depth20@100ms",  # the Tardis capture's stream
        StreamName(
            "eth-251219-3100-c@depth20@100ms",
            StreamKind.DEPTH,
            symbol="ETH-251219-3100-C",
            levels=20,
            speed="100ms",
        ),
    ),
    (
        f"{LOW}@depth5@500ms",
        StreamName(f"{LOW}@depth5@500ms", StreamKind.DEPTH, symbol=SYMBOL, levels=5, speed="500ms"),
    ),
    (
        f"{LOW}@depth@100ms",
        StreamName(f"{LOW}@depth@100ms", StreamKind.DIFF_DEPTH, symbol=SYMBOL, speed="100ms"),
    ),
    ("!index@arr", StreamName("!index@arr", StreamKind.INDEX)),
    (
        "xrpusdt@optionMarkPrice",  # the Tardis capture's stream
        StreamName("xrpusdt@optionMarkPrice", StreamKind.MARK_PRICE, underlying="XRPUSDT"),
    ),
    (
        f"{LOW}@kline_5m",
        StreamName(f"{LOW}@kline_5m", StreamKind.KLINE, symbol=SYMBOL, interval="5m"),
    ),
    (
        "ethusdt@openInterest@221125",
        StreamName(
            "ethusdt@openInterest@221125",
            StreamKind.OPEN_INTEREST,
            underlying="ETHUSDT",
            expiration=dt.date(2022, 11, 25),
        ),
    ),
    # the January 2026 name is accepted and kept as given
    (
        "btcusdt@optionOpenInterest@251219",
        StreamName(
            "btcusdt@optionOpenInterest@251219",
            StreamKind.OPEN_INTEREST,
            underlying="BTCUSDT",
            expiration=dt.date(2025, 12, 19),
        ),
    ),
    ("!optionSymbol", StreamName("!optionSymbol", StreamKind.NEW_SYMBOL_INFO)),
    # any case reads as the exact name to subscribe to
    (
        f"{SYMBOL}@OPTIONTRADE",
        StreamName(f"{LOW}@optionTrade", StreamKind.TRADE, symbol=SYMBOL),
    ),
    (
        "BTCUSDT@optionmarkprice",
        StreamName("btcusdt@optionMarkPrice", StreamKind.MARK_PRICE, underlying="BTCUSDT"),
    ),
    ("!INDEX@ARR", StreamName("!index@arr", StreamKind.INDEX)),
    ("!optionsymbol", StreamName("!optionSymbol", StreamKind.NEW_SYMBOL_INFO)),
    (
        "BTCUSDT@OPTIONOPENINTEREST@251219",
        StreamName(
            "btcusdt@optionOpenInterest@251219",
            StreamKind.OPEN_INTEREST,
            underlying="BTCUSDT",
            expiration=dt.date(2025, 12, 19),
        ),
    ),
    # a base asset is read as its USDT pair, as the builders read it
    ("eth@optionMarkPrice", StreamName("ethusdt@optionMarkPrice", StreamKind.MARK_PRICE,
                                       underlying="ETHUSDT")),
]  # fmt: skip


@pytest.mark.parametrize(("name", "expected"), PARSES)
def test_parse_stream(name: str, expected: StreamName) -> None:
    parsed = fstream.parse_stream(name)
    assert parsed == expected
    assert _is_safe(parsed.name)


def test_parse_stream_covers_every_kind() -> None:
    assert {expected.kind for _, expected in PARSES} == set(StreamKind)


def test_parse_stream_returns_a_stream_name_unchanged() -> None:
    parsed = fstream.parse_stream("btcusdt@optionMarkPrice")
    assert fstream.parse_stream(parsed) is parsed


@pytest.mark.parametrize(
    "name",
    [
        # the documented nbstream endpoint's names, in its own examples
        "ETH@ticker",
        "BTCUSDT@index",
        "option_pair",
        "OPTION_PAIR",
        "ETHUSDT@index",
        "ETH@markPrice",
        "ETH@trade",
        "ETH@ticker@220930",
        "BTC-210630-9000-P@ticker",
        "BTC-200630-9000-P@trade",
    ],
)
def test_parse_stream_rejects_legacy_names_with_a_hint(name: str) -> None:
    with pytest.raises(InvalidStreamError) as exc:
        fstream.parse_stream(name)
    message = str(exc.value)
    assert repr(name) in message
    assert "nbstream" in message
    for form in ("@optionTrade", "@optionTicker@", "!index@arr", "@optionMarkPrice", "@depth"):
        assert form in message


PARSE_REJECTIONS = [
    "",
    "btcusdt",
    "btcusdt@",
    "@optionTrade",
    "btcusdt@@optionTrade",
    "foo@bar",
    "index@arr",
    "!index",
    "!index@arr@x",
    "!optionSymbol@x",
    "btcusdt@optionTrade@x",
    "btcusdt@optionIndexPrice",  # Tardis lists it; no official source does
    "btcusdt@bookTicker",
    f"{LOW}@depth",
    f"{LOW}@depth20",  # the speed is required
    f"{LOW}@depth15@100ms",
    f"{LOW}@depth50@100ms",
    f"{LOW}@depth10@1000ms",
    f"{LOW}@depth@1000ms",
    f"{LOW}@depth@100ms@x",
    f"{LOW}@kline_",
    f"{LOW}@kline_1M",
    f"{LOW}@kline",
    "btcusdt@kline_1m",
    "btcusdt@optionTicker@2512",
    "btcusdt@optionTicker25123",
    "btcusdt@optionTicker@251231@x",
    "btcusdt@optionTicker@251331",
    "btcusdt@openInterest",
    "btcusdt@openInterest@032226",
    f"{LOW}@openInterest@251230",
    f"{LOW}@optionMarkPrice",
    f"{LOW}@optionTrade?x=1",
    f"{LOW}@optionTrade/btcusdt@optionTrade",
    f"{LOW}@optionTrade\n",
    f" {LOW}@optionTrade",
    f'{LOW}@optionTrade"',
]


@pytest.mark.parametrize("name", PARSE_REJECTIONS)
def test_parse_stream_rejects_anything_else(name: str) -> None:
    with pytest.raises(InvalidStreamError) as exc:
        fstream.parse_stream(name)
    message = str(exc.value)
    assert isinstance(exc.value, ValueError)
    # Every rejection names the bad value (or the bad part of it).
    assert "got" in message or "unknown fstream stream" in message or "contains" in message


@pytest.mark.parametrize("bad", [None, 42, b"btcusdt@optionTrade", ["btcusdt@optionTrade"]])
def test_parse_stream_rejects_non_strings(bad: object) -> None:
    with pytest.raises(InvalidStreamError) as exc:
        fstream.parse_stream(bad)  # type: ignore[arg-type]
    assert repr(bad) in str(exc.value)
    assert "must be a string" in str(exc.value)


# --------------------------------------------------------------------------
# route and combined_url
# --------------------------------------------------------------------------

# One stream of every kind, and the path that serves it (spec section 1.2).
ROUTES = {
    StreamKind.TRADE: (f"{LOW}@optionTrade", "public"),
    StreamKind.TICKER: (f"{LOW}@optionTicker", "public"),
    StreamKind.TICKER_BY_EXPIRATION: ("btcusdt@optionTicker@251230", "public"),
    StreamKind.BOOK_TICKER: (f"{LOW}@bookTicker", "public"),
    StreamKind.DEPTH: (f"{LOW}@depth20@100ms", "public"),
    StreamKind.DIFF_DEPTH: (f"{LOW}@depth@500ms", "public"),
    StreamKind.INDEX: ("!index@arr", "market"),
    StreamKind.MARK_PRICE: ("btcusdt@optionMarkPrice", "market"),
    StreamKind.KLINE: (f"{LOW}@kline_1m", "market"),
    StreamKind.OPEN_INTEREST: ("btcusdt@openInterest@251230", "market"),
    StreamKind.NEW_SYMBOL_INFO: ("!optionSymbol", "market"),
}
# The other spellings of the same streams go to the same paths.
ROUTE_CASES = [
    *ROUTES.values(),
    ("btcusdt@optionTrade", "public"),
    ("btcusdt@optionTicker251230", "public"),
    (f"{LOW}@depth5@500ms", "public"),
    ("btcusdt@optionOpenInterest@251230", "market"),
    ("BTC-251219-89000-C@KLINE_1m", "market"),
]
OTHER_PATH = {"public": "market", "market": "public"}


def test_route_table_covers_every_stream_kind() -> None:
    assert set(ROUTES) == set(StreamKind)
    for kind, (name, _) in ROUTES.items():
        assert fstream.parse_stream(name).kind is kind


@pytest.mark.parametrize(("name", "path"), ROUTE_CASES)
def test_route(name: str, path: str) -> None:
    assert fstream.route(name) == path
    assert fstream.route(fstream.parse_stream(name)) == path


@pytest.mark.parametrize("name", ["ETH@ticker", "option_pair", "junk"])
def test_route_rejects_names_it_cannot_read(name: str) -> None:
    with pytest.raises(InvalidStreamError):
        fstream.route(name)


@pytest.mark.parametrize(
    ("base", "path", "names", "expected"),
    [
        # the Mark Price page's own example link
        (
            fstream.BASE_URL,
            "market",
            ["btcusdt@optionMarkPrice"],
            "wss://fstream.binance.com/market/stream?streams=btcusdt@optionMarkPrice",
        ),
        (
            fstream.BASE_URL + "/",
            "public",
            [SYMBOL + "@optionTrade", f"{LOW}@depth20@100ms"],
            f"wss://fstream.binance.com/public/stream?streams={LOW}@optionTrade/{LOW}@depth20@100ms",
        ),
        # one name as a plain string is one stream, not one per character
        (
            fstream.BASE_URL,
            "market",
            "!index@arr",
            "wss://fstream.binance.com/market/stream?streams=!index@arr",
        ),
        (fstream.BASE_URL, "public", [], "wss://fstream.binance.com/public/stream"),
        (fstream.BASE_URL, "market", (), "wss://fstream.binance.com/market/stream"),
        ("ws://127.0.0.1:9000", "market", iter(["!optionSymbol"]),
         "ws://127.0.0.1:9000/market/stream?streams=!optionSymbol"),
    ],
)  # fmt: skip
def test_combined_url(base: str, path: str, names: object, expected: str) -> None:
    assert fstream.combined_url(base, path, names) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "path"), ROUTE_CASES)
def test_combined_url_refuses_a_stream_on_the_wrong_path(name: str, path: str) -> None:
    wrong = OTHER_PATH[path]
    with pytest.raises(InvalidStreamError) as exc:
        fstream.combined_url(fstream.BASE_URL, wrong, [name])
    message = str(exc.value)
    assert f"/{path}" in message
    assert f"/{wrong}" in message
    # also when the stray stream is among right ones
    right = ROUTES[StreamKind.TRADE if wrong == "public" else StreamKind.INDEX][0]
    with pytest.raises(InvalidStreamError):
        fstream.combined_url(fstream.BASE_URL, wrong, [right, name])


@pytest.mark.parametrize("path", ["", "ws", "stream", "private", "Public", "/public"])
def test_combined_url_rejects_an_unknown_path(path: str) -> None:
    with pytest.raises(InvalidStreamError) as exc:
        fstream.combined_url(fstream.BASE_URL, path, [])
    assert repr(path) in str(exc.value)
    assert "public, market" in str(exc.value)


def test_combined_url_rejects_an_invalid_name() -> None:
    with pytest.raises(InvalidStreamError):
        fstream.combined_url(fstream.BASE_URL, "market", ["ETH@markPrice"])


# --------------------------------------------------------------------------
# The spec's payloads (sections 2.1-2.10), and the Tardis captures it quotes
# --------------------------------------------------------------------------

TRADE_EXAMPLE = """
{ "e": "trade", "E": 1762856064204, "T": 1762856064203, "s": "BTC-251123-126000-C", "t": 4,
  "p": "1300.000", "q": "0.1000", "X": "MARKET", "S": "BUY", "m": false }
"""
TICKER_EXAMPLE = """
{ "e": "24hrTicker", "E": 1764080707933, "s": "ETH-251226-3000-C", "p": "0.0000", "P": "0.00",
  "w": "200.0000", "c": "200.0000", "Q": "1.0000", "o": "200.0000", "h": "200.0000",
  "l": "200.0000", "v": "9.0000", "q": "1800.0000", "O": 1764051060000, "C": 1764080707933,
  "F": 1, "L": 22, "n": 9 }
"""
BOOK_TICKER_EXAMPLE = """
{ "e": "bookTicker", "u": 2472, "s": "BTC-251226-110000-C", "b": "5000.000", "B": "0.2000",
  "a": "5100.000", "A": "0.1000", "T": 1763041762942, "E": 1763041762942 }
"""
DEPTH_EXAMPLE = """
{ "e": "depthUpdate", "E": 1762866729459, "T": 1762866729358, "s": "BTC-251123-126000-C",
  "U": 465, "u": 465, "pu": 464, "b": [["1100.000","0.6000"]], "a": [["1300.000","0.6000"]] }
"""
INDEX_EXAMPLE = """
[ { "e": "indexPrice", "E": 1763092572229, "s": "ETHUSDT", "p": "3224.51976744" },
  { "e": "indexPrice", "E": 1763092572229, "s": "BTCUSDT", "p": "99102.32326087" } ]
"""
MARK_PRICE_EXAMPLE = """
[ { "s": "BTC-251120-126000-C", "mp": "770.543", "E": 1762867543321, "e": "markPrice",
    "i": "104334.60217391", "P": "0.000", "bo": "0.000", "ao": "900.000", "bq": "0.0000",
    "aq": "0.2000", "b": "-1.0", "a": "0.98161161", "hl": "924.652", "ll": "616.435",
    "vo": "0.9408058", "rf": "0.0", "d": "0.11111964", "t": "-164.26702615",
    "g": "0.00001245", "v": "30.63855919" } ]
"""
KLINE_EXAMPLE = """
{ "e":"kline", "E":1638747660000, "s":"BTC-200630-9000-P",
  "k":{ "t":1638747660000, "T":1638747719999, "s":"BTC-200630-9000-P", "i":"1m", "f":0, "L":0,
        "o":"1000", "c":"1000", "h":"1000", "l":"1000", "v":"0", "n":0, "x":false,
        "q":"0", "V":"0", "Q":"0" } }
"""
OPEN_INTEREST_EXAMPLE = """
[ { "e":"openInterest", "E":1668759300045, "s":"ETH-221125-2700-C", "o":"1580.87",
      "h":"1912992.178168204" } ]
"""
NEW_SYMBOL_EXAMPLE = """
{ "e":"optionSymbol", "E":1669356423908, "s":"BTC-250926-140000-C", "ps":"BTCUSDT", "qa":"USDT",
  "d":"CALL", "sp":"21000", "dt":4133404800000, "u":1, "ot":1569398400000, "cs":"TRADING" }
"""
# Tardis, 2025-12-17, quoted whole in section 2.1 (its envelope is part of the capture).
TARDIS_TRADE_STREAM = "btc-251219-89000-c@optionTrade"
TARDIS_TRADE_CAPTURE = (
    '{"stream":"btc-251219-89000-c@optionTrade","data":{"e":"trade","E":1765983420778,'
    '"T":1765983420778,"s":"BTC-251219-89000-C","t":200,"p":"1420.000","q":"1.54",'
    '"X":"MARKET","S":"BUY","m":false}}'
)

EXPECTED_TRADE = Trade(
    symbol="BTC-251123-126000-C",
    trade_id=4,
    price=1300.0,
    quantity=0.1,
    side="BUY",
    is_buyer_maker=False,
    trade_type="MARKET",
    trade_time=1762856064203,
    event_time=1762856064204,
)
EXPECTED_TICKER = Ticker(
    symbol="ETH-251226-3000-C",
    last_price=200.0,
    open=200.0,
    high=200.0,
    low=200.0,
    price_change=0.0,
    price_change_percent=0.0,
    weighted_average_price=200.0,
    volume=9.0,  # "v": the volume here, not the vega as on nbstream
    quote_volume=1800.0,
    last_quantity=1.0,
    first_trade_id=1,
    last_trade_id=22,
    trade_count=9,
    open_time=1764051060000,
    close_time=1764080707933,
    event_time=1764080707933,
)
EXPECTED_BOOK_TICKER = BookTicker(
    symbol="BTC-251226-110000-C",
    best_bid_price=5000.0,
    best_bid_quantity=0.2,
    best_ask_price=5100.0,
    best_ask_quantity=0.1,
    update_id=2472,
    transaction_time=1763041762942,
    event_time=1763041762942,
)
EXPECTED_DEPTH_UPDATE = DepthUpdate(
    symbol="BTC-251123-126000-C",
    bids=((1100.0, 0.6),),
    asks=((1300.0, 0.6),),
    first_update_id=465,
    update_id=465,
    previous_update_id=464,
    transaction_time=1762866729358,
    event_time=1762866729459,
)
EXPECTED_BOOK_DEPTH = BookDepth(**attrs.asdict(EXPECTED_DEPTH_UPDATE, recurse=False))
EXPECTED_INDEX = [
    IndexPrice(symbol="ETHUSDT", price=3224.51976744, event_time=1763092572229),
    IndexPrice(symbol="BTCUSDT", price=99102.32326087, event_time=1763092572229),
]
EXPECTED_MARK_PRICE = MarkPrice(
    symbol="BTC-251120-126000-C",
    mark_price=770.543,
    index_price=104334.60217391,
    estimated_settle_price=0.0,
    best_bid_price=0.0,
    best_ask_price=900.0,
    best_bid_quantity=0.0,
    best_ask_quantity=0.2,
    bid_iv=None,  # "-1.0": no bid
    ask_iv=0.98161161,
    max_buy_price=924.652,
    min_sell_price=616.435,
    mark_iv=0.9408058,
    risk_free_rate=0.0,
    delta=0.11111964,
    theta=-164.26702615,
    gamma=0.00001245,
    vega=30.63855919,
    event_time=1762867543321,
)
EXPECTED_KLINE = Kline(
    symbol="BTC-200630-9000-P",
    interval="1m",
    start_time=1638747660000,
    end_time=1638747719999,
    open=1000.0,
    high=1000.0,
    low=1000.0,
    close=1000.0,
    volume=0.0,
    quote_volume=0.0,
    taker_volume=0.0,
    taker_quote_volume=0.0,
    trade_count=0,
    first_trade_id=0,  # "k.f" (nbstream: "k.F")
    last_trade_id=0,
    is_closed=False,
    event_time=1638747660000,
)
EXPECTED_OPEN_INTEREST = OpenInterest(
    symbol="ETH-221125-2700-C",
    open_interest=1580.87,
    open_interest_usdt=1912992.178168204,
    event_time=1668759300045,
)
EXPECTED_NEW_SYMBOL = NewSymbol(
    symbol="BTC-250926-140000-C",
    underlying="BTCUSDT",
    quote_asset="USDT",
    side="CALL",
    strike_price=21000.0,  # as the example says, though the symbol's strike is 140000
    expiration_time=4133404800000,
    unit=1.0,
    onboard_time=1569398400000,
    status="TRADING",
    event_time=1669356423908,
)
EXPECTED_TARDIS_TRADE = Trade(
    symbol="BTC-251219-89000-C",
    trade_id=200,
    price=1420.0,
    quantity=1.54,
    side="BUY",
    is_buyer_maker=False,
    trade_type="MARKET",
    trade_time=1765983420778,
    event_time=1765983420778,
    stream=TARDIS_TRADE_STREAM,
)

# (example text, a stream it arrives on, the events it gives without the stream)
SPEC_PAYLOADS = [
    pytest.param(TRADE_EXAMPLE, f"{LOW}@optionTrade", [EXPECTED_TRADE], id="trade"),
    pytest.param(TRADE_EXAMPLE, "btcusdt@optionTrade", [EXPECTED_TRADE], id="trade_underlying"),
    pytest.param(TICKER_EXAMPLE, "eth-251226-3000-c@optionTicker", [EXPECTED_TICKER], id="ticker"),
    pytest.param(
        TICKER_EXAMPLE, "ethusdt@optionTicker@251226", [EXPECTED_TICKER], id="ticker_by_exp"
    ),
    pytest.param(
        f"[{TICKER_EXAMPLE}]", "ethusdt@optionTicker251226", [EXPECTED_TICKER], id="ticker_array"
    ),
    pytest.param(
        BOOK_TICKER_EXAMPLE,
        "btc-251226-110000-c@bookTicker",
        [EXPECTED_BOOK_TICKER],
        id="book_ticker",
    ),
    pytest.param(
        DEPTH_EXAMPLE, "btc-251123-126000-c@depth@100ms", [EXPECTED_DEPTH_UPDATE], id="diff_depth"
    ),
    pytest.param(
        DEPTH_EXAMPLE, "btc-251123-126000-c@depth5@500ms", [EXPECTED_BOOK_DEPTH], id="depth"
    ),
    pytest.param(INDEX_EXAMPLE, "!index@arr", EXPECTED_INDEX, id="index"),
    pytest.param(
        MARK_PRICE_EXAMPLE, "btcusdt@optionMarkPrice", [EXPECTED_MARK_PRICE], id="mark_price"
    ),
    pytest.param(KLINE_EXAMPLE, "btc-200630-9000-p@kline_1m", [EXPECTED_KLINE], id="kline"),
    pytest.param(
        OPEN_INTEREST_EXAMPLE,
        "ethusdt@openInterest@221125",
        [EXPECTED_OPEN_INTEREST],
        id="open_interest",
    ),
    pytest.param(
        OPEN_INTEREST_EXAMPLE,
        "ethusdt@optionOpenInterest@221125",
        [EXPECTED_OPEN_INTEREST],
        id="option_open_interest",
    ),
    pytest.param(NEW_SYMBOL_EXAMPLE, "!optionSymbol", [EXPECTED_NEW_SYMBOL], id="new_symbol"),
]


def _with_stream(events: list, stream: str | None) -> list:
    return [attrs.evolve(event, stream=stream) for event in events]


@pytest.mark.parametrize(("text", "stream", "expected"), SPEC_PAYLOADS)
def test_spec_payload_in_combined_envelope(text: str, stream: str, expected: list) -> None:
    events = _fparse(_envelope(text, stream))
    assert events == _with_stream(expected, stream)
    assert [type(event) for event in events] == [type(event) for event in expected]


@pytest.mark.parametrize(("text", "stream", "expected"), SPEC_PAYLOADS)
def test_spec_payload_raw(text: str, stream: str, expected: list) -> None:
    # A raw message has no stream name: a depthUpdate is then a DepthUpdate.
    if expected == [EXPECTED_BOOK_DEPTH]:
        expected = [EXPECTED_DEPTH_UPDATE]
    assert _fparse(text) == expected
    assert _fparse(text.encode()) == expected
    assert _fparse(json.loads(text)) == expected


def test_tardis_trade_capture() -> None:
    assert _fparse(TARDIS_TRADE_CAPTURE) == [EXPECTED_TARDIS_TRADE]
    assert _fparse(json.loads(TARDIS_TRADE_CAPTURE)) == [EXPECTED_TARDIS_TRADE]


# The other captures are quoted in parts only (section 2.2, 2.4, 2.7): each case is
# the doc example with the quoted parts of the capture put in.
def test_tardis_ticker_capture_parts() -> None:
    data = dict(json.loads(TICKER_EXAMPLE), s="BTC-251219-89000-C", F=94, L=200, n=107)
    [ticker] = _fparse({"stream": "btc-251219-89000-c@optionTicker", "data": data})
    assert isinstance(ticker, Ticker)
    assert (ticker.first_trade_id, ticker.last_trade_id, ticker.trade_count) == (94, 200, 107)
    assert ticker.stream == "btc-251219-89000-c@optionTicker"


def test_tardis_partial_depth_capture_parts() -> None:
    data = dict(
        json.loads(DEPTH_EXAMPLE),
        s="ETH-251219-3100-C",
        U=121508743,
        u=121509455,
        pu=121508733,
        b=[["100.0", "1.5"], ["99.5", "2"]],
        a=[["101.0", "0.5"], ["102", "3"]],
    )
    [book] = _fparse({"stream": "eth-251219-3100-c@depth20@100ms", "data": data})
    assert type(book) is BookDepth
    assert (book.first_update_id, book.update_id, book.previous_update_id) == (
        121508743,
        121509455,
        121508733,
    )
    assert book.bids == ((100.0, 1.5), (99.5, 2.0))
    assert book.asks == ((101.0, 0.5), (102.0, 3.0))
    assert book.best_bid == (100.0, 1.5)


def test_tardis_mark_price_capture_parts() -> None:
    element = dict(json.loads(MARK_PRICE_EXAMPLE)[0], s="XRP-251219-2-C", b="-1.0", a="-1.0")
    [mark] = _fparse({"stream": "xrpusdt@optionMarkPrice", "data": [element]})
    assert isinstance(mark, MarkPrice)
    assert (mark.bid_iv, mark.ask_iv) == (None, None)
    assert mark.mark_iv == 0.9408058
    assert mark.stream == "xrpusdt@optionMarkPrice"


@pytest.mark.parametrize(("text", "stream", "expected"), SPEC_PAYLOADS)
def test_spec_payload_fills_every_fstream_field_with_its_type(
    text: str, stream: str, expected: list
) -> None:
    for event in _fparse(_envelope(text, stream)):
        cls = type(event)
        hints = typing.get_type_hints(cls)
        filled = set(FSTREAM_WIRE_KEYS[cls][2].values()) | {"stream"}
        for field in attrs.fields(cls):
            value = getattr(event, field.name)
            if field.name not in filled:
                # a field fstream does not send stays empty: no nbstream meaning leaks in
                assert value is None, field.name
            elif (cls, field.name) == (MarkPrice, "bid_iv"):
                assert value is None  # the example's "-1.0"
            else:
                wanted = typing.get_args(hints[field.name]) or (hints[field.name],)
                assert type(value) in (*wanted, tuple), (field.name, value)
                assert value is not None, field.name


# --------------------------------------------------------------------------
# Every documented wire key lands in the right field (distinct values)
# --------------------------------------------------------------------------

# Wire key -> field, from the tables of spec section 2. "k.x" is key "x" inside "k".
FSTREAM_WIRE_KEYS = {
    Trade: ("trade", f"{LOW}@optionTrade", {
        "E": "event_time", "T": "trade_time", "s": "symbol", "t": "trade_id", "p": "price",
        "q": "quantity", "X": "trade_type", "S": "side", "m": "is_buyer_maker",
    }),
    Ticker: ("24hrTicker", f"{LOW}@optionTicker", {
        "E": "event_time", "s": "symbol", "p": "price_change", "P": "price_change_percent",
        "w": "weighted_average_price", "c": "last_price", "Q": "last_quantity", "o": "open",
        "h": "high", "l": "low", "v": "volume", "q": "quote_volume", "O": "open_time",
        "C": "close_time", "F": "first_trade_id", "L": "last_trade_id", "n": "trade_count",
    }),
    BookTicker: ("bookTicker", f"{LOW}@bookTicker", {
        "u": "update_id", "s": "symbol", "b": "best_bid_price", "B": "best_bid_quantity",
        "a": "best_ask_price", "A": "best_ask_quantity", "T": "transaction_time",
        "E": "event_time",
    }),
    BookDepth: ("depthUpdate", f"{LOW}@depth10@100ms", {
        "E": "event_time", "T": "transaction_time", "s": "symbol", "U": "first_update_id",
        "u": "update_id", "pu": "previous_update_id", "b": "bids", "a": "asks",
    }),
    DepthUpdate: ("depthUpdate", f"{LOW}@depth@100ms", {
        "E": "event_time", "T": "transaction_time", "s": "symbol", "U": "first_update_id",
        "u": "update_id", "pu": "previous_update_id", "b": "bids", "a": "asks",
    }),
    IndexPrice: ("indexPrice", "!index@arr", {"E": "event_time", "s": "symbol", "p": "price"}),
    MarkPrice: ("markPrice", "btcusdt@optionMarkPrice", {
        "s": "symbol", "mp": "mark_price", "E": "event_time", "i": "index_price",
        "P": "estimated_settle_price", "bo": "best_bid_price", "ao": "best_ask_price",
        "bq": "best_bid_quantity", "aq": "best_ask_quantity", "b": "bid_iv", "a": "ask_iv",
        "hl": "max_buy_price", "ll": "min_sell_price", "vo": "mark_iv", "rf": "risk_free_rate",
        "d": "delta", "t": "theta", "g": "gamma", "v": "vega",
    }),
    Kline: ("kline", f"{LOW}@kline_1m", {
        "E": "event_time", "s": "symbol", "k.t": "start_time", "k.T": "end_time",
        "k.i": "interval", "k.f": "first_trade_id", "k.L": "last_trade_id", "k.o": "open",
        "k.c": "close", "k.h": "high", "k.l": "low", "k.v": "volume", "k.n": "trade_count",
        "k.x": "is_closed", "k.q": "quote_volume", "k.V": "taker_volume",
        "k.Q": "taker_quote_volume",
    }),
    OpenInterest: ("openInterest", "btcusdt@openInterest@251230", {
        "E": "event_time", "s": "symbol", "o": "open_interest", "h": "open_interest_usdt",
    }),
    NewSymbol: ("optionSymbol", "!optionSymbol", {
        "E": "event_time", "s": "symbol", "ps": "underlying", "qa": "quote_asset", "d": "side",
        "sp": "strike_price", "dt": "expiration_time", "u": "unit", "ot": "onboard_time",
        "cs": "status",
    }),
}  # fmt: skip
FSTREAM_CLASSES = list(FSTREAM_WIRE_KEYS)
# What the nbstream endpoint alone sends: these stay None on fstream.
NBSTREAM_ONLY = {
    Ticker: {
        "best_bid_price", "best_ask_price", "best_bid_quantity", "best_ask_quantity", "bid_iv",
        "ask_iv", "mark_iv", "mark_price", "delta", "theta", "gamma", "vega", "max_buy_price",
        "min_sell_price", "estimated_exercise_price", "transaction_time",
    },
    Trade: {"direction", "buy_order_id", "sell_order_id"},
    NewSymbol: {"min_quantity"},
}  # fmt: skip


def _base_type(hint: object) -> object:
    """``int`` for ``Optional[int]`` and for ``int``."""
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return args[0] if typing.get_origin(hint) is typing.Union else hint


def _always_sent(cls: type) -> set:
    """The fields the exchange always sends: those typed without Optional."""
    hints = typing.get_type_hints(cls)
    return {
        name
        for name, hint in hints.items()
        if typing.get_origin(hint) is not typing.Union and name not in ("stream", "bids", "asks")
    }


def _distinct_payload(cls: type) -> tuple[dict, dict]:
    """A payload whose every key has its own value, and the field values it must give."""
    event_type, _, keys = FSTREAM_WIRE_KEYS[cls]
    hints = typing.get_type_hints(cls)
    payload: dict = {"e": event_type}
    expected: dict = {}
    for number, (key, field) in enumerate(sorted(keys.items()), start=1):
        kind = _base_type(hints[field])
        if field in ("bids", "asks"):
            wire: object = [[str(number), str(number + 0.5)]]
            value: object = ((float(number), number + 0.5),)
        elif field == "side" and cls is Trade:
            wire = value = "SELL"
        elif kind is str:
            wire = value = f"text{number}"
        elif kind is bool:
            wire = value = True
        elif kind is int:
            wire, value = number, number
        else:
            wire, value = f"{number}.25", number + 0.25
        target = payload
        if key.startswith("k."):
            target = payload.setdefault("k", {})
            key = key[2:]
        target[key] = wire
        expected[field] = value
    return payload, expected


@pytest.mark.parametrize("cls", FSTREAM_CLASSES)
def test_every_documented_key_lands_in_its_field(cls: type) -> None:
    payload, expected = _distinct_payload(cls)
    _, stream, _ = FSTREAM_WIRE_KEYS[cls]
    [event] = _fparse({"stream": stream, "data": payload})
    assert type(event) is cls
    for field, value in expected.items():
        assert getattr(event, field) == value, field
        assert type(getattr(event, field)) is type(value), field
    # every field but the stream and the nbstream-only ones comes from a documented key
    fields = {f.name for f in attrs.fields(cls)}
    assert set(expected) == fields - {"stream"} - NBSTREAM_ONLY.get(cls, set())
    assert all(getattr(event, field) is None for field in NBSTREAM_ONLY.get(cls, ()))


def _attribute_texts(cls: type) -> dict:
    """Each field's description in the class docstring's Attributes section."""
    texts: dict = {}
    field = None
    # Python 3.13 strips a docstring's common indentation when compiling, older ones keep
    # it: cleandoc gives the same text on every version (fields at 4 spaces, wraps at 8).
    for line in inspect.cleandoc(cls.__doc__ or "").splitlines():
        match = re.match(r"^\s{4}(\w+): (.*)", line)
        if match:
            field = match.group(1)
            texts[field] = match.group(2)
        elif field and line.startswith(" " * 8):
            texts[field] += " " + line.strip()
    return texts


@pytest.mark.parametrize("cls", FSTREAM_CLASSES)
def test_class_docstring_names_the_fstream_key_of_each_field(cls: type) -> None:
    texts = _attribute_texts(cls)
    _, _, keys = FSTREAM_WIRE_KEYS[cls]
    for key, field in keys.items():
        assert f"``{key}``" in texts[field], (field, key)


# --------------------------------------------------------------------------
# The traps: keys whose meaning changed between the endpoints (spec section 3)
# --------------------------------------------------------------------------


def test_ticker_v_is_the_volume_not_the_vega() -> None:
    [ticker] = _fparse(TICKER_EXAMPLE)
    assert ticker.volume == 9.0
    assert ticker.quote_volume == 1800.0
    assert ticker.vega is None
    assert ticker.transaction_time is None  # nbstream's "T"; fstream has "O"/"C" instead


@pytest.mark.parametrize(("wire", "side"), [("BUY", "BUY"), ("SELL", "SELL"), ("sell", "SELL")])
def test_trade_side_is_buy_or_sell_and_the_quantity_positive(wire: str, side: str) -> None:
    data = dict(json.loads(TRADE_EXAMPLE), S=wire)
    [trade] = _fparse(data)
    assert trade.side == side
    assert trade.direction is None
    assert trade.quantity == 0.1
    assert trade.quantity > 0


@pytest.mark.parametrize("flag", [True, False])
def test_trade_m_is_whether_the_buyer_was_the_maker(flag: bool) -> None:
    [trade] = _fparse(dict(json.loads(TRADE_EXAMPLE), m=flag))
    assert trade.is_buyer_maker is flag


@pytest.mark.parametrize(
    ("bid", "ask", "bid_iv", "ask_iv"),
    [
        ("-1.0", "0.98161161", None, 0.98161161),
        ("0.5", "-1.0", 0.5, None),
        ("-1", -1, None, None),
        (-1.0, "-1.00", None, None),
        ("0.0", "0", 0.0, 0.0),  # zero is a value, not "none"
    ],
)
def test_mark_price_iv_of_minus_one_means_none(bid, ask, bid_iv, ask_iv) -> None:
    element = dict(json.loads(MARK_PRICE_EXAMPLE)[0], b=bid, a=ask)
    [mark] = _fparse([element])
    assert (mark.bid_iv, mark.ask_iv) == (bid_iv, ask_iv)


def test_mark_price_zero_book_is_zero_not_none() -> None:
    [mark] = _fparse(MARK_PRICE_EXAMPLE)
    assert mark.best_bid_price == 0.0
    assert mark.best_bid_quantity == 0.0
    assert mark.risk_free_rate == 0.0


def test_kline_reads_k_f_as_the_first_trade_id() -> None:
    data = json.loads(KLINE_EXAMPLE)
    data["k"]["f"] = 123
    [kline] = _fparse(data)
    assert kline.first_trade_id == 123


@pytest.mark.parametrize(
    ("stream", "cls"),
    [
        (f"{LOW}@depth@100ms", DepthUpdate),
        (f"{LOW}@depth@500ms", DepthUpdate),
        (f"{LOW}@depth20@100ms", BookDepth),
        (f"{LOW}@depth10@500ms", BookDepth),
        (f"{LOW}@depth5@100ms", BookDepth),
        (None, DepthUpdate),  # raw: nothing says it is a snapshot
    ],
)
def test_depth_update_class_follows_the_stream(stream: str | None, cls: type) -> None:
    message = DEPTH_EXAMPLE if stream is None else _envelope(DEPTH_EXAMPLE, stream)
    [event] = _fparse(message)
    assert type(event) is cls
    assert event.stream == (stream or "")
    assert event.first_update_id == 465
    assert event.bids == ((1100.0, 0.6),)


def test_index_array_gives_one_event_per_underlying_each_with_the_stream() -> None:
    events = _fparse(_envelope(INDEX_EXAMPLE, "!index@arr"))
    assert [type(event) for event in events] == [IndexPrice, IndexPrice]
    assert [event.symbol for event in events] == ["ETHUSDT", "BTCUSDT"]
    assert [event.price for event in events] == [3224.51976744, 99102.32326087]
    assert {event.stream for event in events} == {"!index@arr"}


def test_a_whole_chain_of_mark_prices_keeps_its_order() -> None:
    element = json.loads(MARK_PRICE_EXAMPLE)[0]
    items = [dict(element, s=f"BTC-251219-{80000 + i * 1000}-C", mp=str(i)) for i in range(40)]
    events = _fparse({"stream": "btcusdt@optionMarkPrice", "data": items})
    assert [event.symbol for event in events] == [item["s"] for item in items]
    assert [event.mark_price for event in events] == [float(i) for i in range(40)]


# --------------------------------------------------------------------------
# Messy real data
# --------------------------------------------------------------------------

# One single-object example per class.
SINGLES = [
    pytest.param(TRADE_EXAMPLE, EXPECTED_TRADE, id="trade"),
    pytest.param(TICKER_EXAMPLE, EXPECTED_TICKER, id="ticker"),
    pytest.param(BOOK_TICKER_EXAMPLE, EXPECTED_BOOK_TICKER, id="book_ticker"),
    pytest.param(DEPTH_EXAMPLE, EXPECTED_DEPTH_UPDATE, id="depth"),
    pytest.param(INDEX_EXAMPLE, EXPECTED_INDEX[0], id="index"),
    pytest.param(MARK_PRICE_EXAMPLE, EXPECTED_MARK_PRICE, id="mark_price"),
    pytest.param(KLINE_EXAMPLE, EXPECTED_KLINE, id="kline"),
    pytest.param(OPEN_INTEREST_EXAMPLE, EXPECTED_OPEN_INTEREST, id="open_interest"),
    pytest.param(NEW_SYMBOL_EXAMPLE, EXPECTED_NEW_SYMBOL, id="new_symbol"),
]


def _single(text: str) -> dict:
    data = json.loads(text)
    return data[0] if isinstance(data, list) else data


#: ``test_messy_values``: the message is malformed (a field the exchange always sends).
MALFORMED = object()


def _untyped(text: str) -> dict:
    """The first payload of an example, without its event type."""
    data = dict(_single(text))
    del data["e"]
    return data


def _complete(payload: dict) -> dict:
    """``payload`` over the spec's example of its event type, so that it lacks nothing."""
    base = {
        "trade": TRADE_EXAMPLE, "24hrTicker": TICKER_EXAMPLE, "bookTicker": BOOK_TICKER_EXAMPLE,
        "depthUpdate": DEPTH_EXAMPLE, "indexPrice": INDEX_EXAMPLE, "markPrice": MARK_PRICE_EXAMPLE,
        "kline": KLINE_EXAMPLE, "openInterest": OPEN_INTEREST_EXAMPLE,
        "optionSymbol": NEW_SYMBOL_EXAMPLE,
    }[payload["e"]]  # fmt: skip
    data = dict(_single(base))
    for key, value in payload.items():
        if key == "k" and isinstance(value, dict):
            data["k"] = dict(data["k"], **value)
        else:
            data[key] = value
    return data


def _numbers_as_strings(data: dict) -> dict:
    out: dict = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out[key] = _numbers_as_strings(value)
        elif isinstance(value, list):
            out[key] = [[str(x) for x in level] for level in value]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def _numbers_as_json_numbers(data: dict) -> dict:
    out: dict = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out[key] = _numbers_as_json_numbers(value)
        elif isinstance(value, list):
            out[key] = [[float(x) for x in level] for level in value]
        elif isinstance(value, str) and re.fullmatch(r"-?[\d.]+", value):
            out[key] = float(value) if "." in value else int(value)
        else:
            out[key] = value
    return out


def _numbers_in_exponent_form(data: dict) -> dict:
    out: dict = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out[key] = _numbers_in_exponent_form(value)
        elif isinstance(value, str) and re.fullmatch(r"-?[\d.]+", value):
            out[key] = f"{float(value):E}" if float(value) else value
        else:
            out[key] = value
    return out


@pytest.mark.parametrize(("text", "expected"), SINGLES)
def test_numbers_and_ids_as_strings_parse_the_same(text: str, expected: object) -> None:
    assert _fparse(json.dumps(_numbers_as_strings(_single(text)))) == [expected]


@pytest.mark.parametrize(("text", "expected"), SINGLES)
def test_numbers_as_json_numbers_parse_the_same(text: str, expected: object) -> None:
    assert _fparse(json.dumps(_numbers_as_json_numbers(_single(text)))) == [expected]


@pytest.mark.parametrize(("text", "expected"), SINGLES)
def test_numbers_in_exponent_form_parse_to_the_same_values(text: str, expected: object) -> None:
    [event] = _fparse(json.dumps(_numbers_in_exponent_form(_single(text))))
    for field in attrs.fields(type(event)):
        got, want = getattr(event, field.name), getattr(expected, field.name)
        if isinstance(want, float):
            assert got == pytest.approx(want, rel=1e-6), field.name
        else:
            assert got == want, field.name


@pytest.mark.parametrize(
    ("payload", "field", "expected"),
    [
        ({"e": "trade", "t": "200"}, "trade_id", 200),
        ({"e": "trade", "t": "9007199254740993"}, "trade_id", 9007199254740993),
        ({"e": "trade", "E": "1.765983420778E12"}, "event_time", 1765983420778),
        ({"e": "trade", "q": "1.54E0"}, "quantity", 1.54),
        ({"e": "trade", "m": "false"}, "is_buyer_maker", False),
        ({"e": "trade", "m": "true"}, "is_buyer_maker", True),
        ({"e": "24hrTicker", "F": "94"}, "first_trade_id", 94),
        ({"e": "24hrTicker", "O": 1.76405106e12}, "open_time", 1764051060000),
        ({"e": "24hrTicker", "q": "1.8E3"}, "quote_volume", 1800.0),
        ({"e": "bookTicker", "u": "2472"}, "update_id", 2472),
        ({"e": "depthUpdate", "U": "121508743"}, "first_update_id", 121508743),
        ({"e": "depthUpdate", "pu": 1.21508733e8}, "previous_update_id", 121508733),
        ({"e": "markPrice", "g": "1.245E-5"}, "gamma", 0.00001245),
        ({"e": "markPrice", "b": "-1.0E0"}, "bid_iv", None),
        ({"e": "kline", "k": {"f": "7"}}, "first_trade_id", 7),
        ({"e": "optionSymbol", "u": "1"}, "unit", 1.0),
        ({"e": "optionSymbol", "dt": "4.1334048E12"}, "expiration_time", 4133404800000),
        ({"e": "indexPrice", "p": 99102}, "price", 99102.0),
        # unreadable values become None where a field may be None ...
        ({"e": "markPrice", "vo": "abc"}, "mark_iv", None),
        ({"e": "24hrTicker", "w": [1]}, "weighted_average_price", None),
        # ... and make the message malformed where the exchange always sends it
        ({"e": "trade", "p": "abc"}, "price", MALFORMED),
        ({"e": "trade", "t": None}, "trade_id", MALFORMED),
        ({"e": "markPrice", "mp": ""}, "mark_price", MALFORMED),
        ({"e": "bookTicker", "b": [1]}, "best_bid_price", MALFORMED),
    ],
)
def test_messy_values(payload: dict, field: str, expected: object) -> None:
    payload = _complete(payload)
    if expected is MALFORMED:  # a field the exchange always sends, unreadable
        with pytest.raises(MessageParseError, match=f"without .*{field}"):
            _fparse(json.dumps(payload))
        return
    [event] = _fparse(json.dumps(payload))
    value = getattr(event, field)
    assert value == expected
    if expected is not None:
        assert type(value) is type(expected)


@pytest.mark.parametrize(("text", "expected"), SINGLES)
def test_extra_keys_are_ignored(text: str, expected: object) -> None:
    data = dict(_single(text), zz="1", newKey={"nested": [1, 2]}, E2=5, ts=1)
    if "k" in data:
        data["k"] = dict(data["k"], zz="2")
    assert _fparse(json.dumps(data)) == [expected]


@pytest.mark.parametrize(("text", "expected"), SINGLES)
def test_a_missing_key_leaves_only_its_field_empty_or_the_message_malformed(
    text: str, expected: object
) -> None:
    cls = DepthUpdate if type(expected) is DepthUpdate else type(expected)
    _, _, keys = FSTREAM_WIRE_KEYS[cls]
    for key, field in keys.items():
        data = _single(text)
        if key.startswith("k."):
            del data["k"][key[2:]]
        else:
            del data[key]
        if (cls, key) == (Kline, "s"):
            want = expected  # the kline's own "k.s" names the symbol too
        elif field in _always_sent(cls):
            with pytest.raises(MessageParseError, match=f"{cls.__name__} event without {field}"):
                _fparse(json.dumps(data))
            continue
        else:
            want = attrs.evolve(expected, **{field: () if field in ("bids", "asks") else None})
        assert _fparse(json.dumps(data)) == [want], key


# Every stream of section 2, and a payload without "e" that arrives on it.
GUESSES = [
    (f"{LOW}@optionTrade", _untyped(TRADE_EXAMPLE), Trade),
    ("btcusdt@optionTrade", _untyped(TRADE_EXAMPLE), Trade),
    (f"{LOW}@optionTicker", _untyped(TICKER_EXAMPLE), Ticker),
    ("btcusdt@optionTicker@251230", [_untyped(TICKER_EXAMPLE)], Ticker),
    ("btcusdt@optionTicker251230", [_untyped(TICKER_EXAMPLE)], Ticker),
    (f"{LOW}@bookTicker", _untyped(BOOK_TICKER_EXAMPLE), BookTicker),
    (f"{LOW}@depth20@100ms", _untyped(DEPTH_EXAMPLE), BookDepth),
    (f"{LOW}@depth@100ms", _untyped(DEPTH_EXAMPLE), DepthUpdate),
    ("!index@arr", [_untyped(INDEX_EXAMPLE)], IndexPrice),
    ("btcusdt@optionMarkPrice", [_untyped(MARK_PRICE_EXAMPLE)], MarkPrice),
    (f"{LOW}@kline_1m", _untyped(KLINE_EXAMPLE), Kline),
    ("btcusdt@openInterest@251230", [_untyped(OPEN_INTEREST_EXAMPLE)], OpenInterest),
    ("btcusdt@optionOpenInterest@251230", [_untyped(OPEN_INTEREST_EXAMPLE)], OpenInterest),
    ("!optionSymbol", _untyped(NEW_SYMBOL_EXAMPLE), NewSymbol),
]


def test_guess_table_covers_every_stream_kind() -> None:
    assert {fstream.parse_stream(stream).kind for stream, _, _ in GUESSES} == set(StreamKind)


@pytest.mark.parametrize(("stream", "data", "cls"), GUESSES)
def test_payload_without_event_type_is_read_by_its_stream(
    stream: str, data: object, cls: type
) -> None:
    [event] = _fparse({"stream": stream, "data": data})
    assert type(event) is cls
    assert event.stream == stream


def test_ticker_without_event_type_still_reads_v_as_the_volume() -> None:
    data = {k: v for k, v in json.loads(TICKER_EXAMPLE).items() if k != "e"}
    [ticker] = _fparse({"stream": "eth-251226-3000-c@optionTicker", "data": data})
    assert ticker == attrs.evolve(EXPECTED_TICKER, stream="eth-251226-3000-c@optionTicker")


@pytest.mark.parametrize(
    "stream", ["btcusdt@optionIndexPrice", "btcusdt@somethingNew", "nonsense", "ETHUSDT@index"]
)
def test_payload_without_event_type_on_an_unknown_stream_is_kept(stream: str) -> None:
    data = {"s": "BTCUSDT", "p": "1"}
    assert _fparse({"stream": stream, "data": data}) == [UnknownEvent(None, data, None, stream)]


def test_unknown_event_type_is_kept_whole() -> None:
    data = {"e": "optionGreeks", "E": 1765983420778, "x": [1, 2]}
    assert _fparse(json.dumps(data)) == [UnknownEvent("optionGreeks", data, 1765983420778, "")]
    [wrapped] = _fparse({"stream": "btcusdt@optionGreeks", "data": data})
    assert wrapped == UnknownEvent("optionGreeks", data, 1765983420778, "btcusdt@optionGreeks")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('{"result":null,"id":1}', ControlReply(1, None)),
        ('{"result":["btcusdt@optionTrade"],"id":3}', ControlReply(3, ["btcusdt@optionTrade"])),
        (
            '{"code":2,"msg":"Invalid request: request ID must be an unsigned integer"}',
            ErrorReply(2, "Invalid request: request ID must be an unsigned integer", None),
        ),
    ],
)
def test_control_and_error_replies_parse_on_fstream_too(message: str, expected: object) -> None:
    assert _fparse(message) == [expected]


@pytest.mark.parametrize("endpoint", ["bogus", "", "f-stream", "nb stream", None, 1])
def test_an_unknown_endpoint_is_refused_naming_the_choices(endpoint: object) -> None:
    with pytest.raises(InvalidArgumentError) as exc:
        parse_message(TRADE_EXAMPLE, endpoint=endpoint)  # type: ignore[arg-type]
    message = str(exc.value)
    assert "'nbstream'" in message
    assert "'fstream'" in message
    assert repr(endpoint) in message
    assert isinstance(exc.value, ValueError)


def test_the_endpoint_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        parse_message(TRADE_EXAMPLE, "fstream")  # type: ignore[misc]


# --------------------------------------------------------------------------
# Docstring examples
# --------------------------------------------------------------------------


def test_docstring_examples_run() -> None:
    from binance_options_ws.dialects import fstream as dialect

    results = [doctest.testmod(fstream), doctest.testmod(dialect)]
    result = doctest.TestResults(sum(r.failed for r in results), sum(r.attempted for r in results))
    assert result.attempted >= 12
    assert result.failed == 0
