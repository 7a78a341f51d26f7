"""Tests of binance_options_ws.streams: builders, parse_stream, OptionSymbol, URLs."""

from __future__ import annotations

import datetime as dt
import doctest
from decimal import Decimal

import attrs
import pytest

from binance_options_ws import InvalidStreamError, streams
from binance_options_ws.streams import (
    OptionSide,
    OptionSymbol,
    StreamKind,
    StreamName,
    parse_stream,
)

SYMBOL = "BTC-251226-100000-C"
XMAS = dt.date(2025, 12, 26)

# Characters that would break a URL path or query, or a JSON payload.
FORBIDDEN = ["/", "?", "&", "#", "%", " ", "\t", "\n", "\r", '"', "'", "\\", "\x00", "\x1b", "\x7f"]


def _is_safe(name: str) -> bool:
    return name.isascii() and name.isprintable() and not any(c in name for c in FORBIDDEN)


# --------------------------------------------------------------------------
# The endpoint's facts
# --------------------------------------------------------------------------


def test_intervals_are_the_spec_enum_in_order() -> None:
    assert streams.INTERVALS == (
        "1m", "3m", "5m", "15m", "30m",
        "1h", "2h", "4h", "6h", "8h", "12h",
        "1d", "3d", "1w", "1M",
    )  # fmt: skip


def test_depth_choices_and_limits_match_the_spec() -> None:
    assert streams.DEPTH_LEVELS == (10, 20, 50, 100)
    assert streams.DEPTH_SPEEDS == ("100ms", "500ms", "1000ms")
    assert streams.DEFAULT_DEPTH_SPEED == "500ms"
    assert streams.DEFAULT_BASE_URL == "wss://nbstream.binance.com/eoptions"
    assert streams.MAX_STREAMS_PER_CONNECTION == 200
    assert streams.MAX_MESSAGES_PER_SECOND == 10
    assert streams.CONNECTION_LIFETIME == 24 * 60 * 60
    assert streams.NEW_SYMBOL_INFO_STREAM == "option_pair"


# --------------------------------------------------------------------------
# Builders: one table, every builder
# --------------------------------------------------------------------------

BUILDS = [
    # index: the underlying pair
    (streams.index, ("ETHUSDT",), {}, "ETHUSDT@index"),
    (streams.index, ("btcusdt",), {}, "BTCUSDT@index"),
    (streams.index, ("EthUsdc",), {}, "ETHUSDC@index"),
    # kline
    (streams.kline, (SYMBOL, "1m"), {}, f"{SYMBOL}@kline_1m"),
    (streams.kline, ("btc-251226-100000-c", "1M"), {}, f"{SYMBOL}@kline_1M"),
    (streams.kline, (OptionSymbol.parse(SYMBOL), "8h"), {}, f"{SYMBOL}@kline_8h"),
    (streams.kline, (), {"symbol": SYMBOL, "interval": "1w"}, f"{SYMBOL}@kline_1w"),
    # mark price: the base asset
    (streams.mark_price, ("ETH",), {}, "ETH@markPrice"),
    (streams.mark_price, ("eth",), {}, "ETH@markPrice"),
    (streams.mark_price, ("1000SHIB",), {}, "1000SHIB@markPrice"),
    # new symbol info
    (streams.new_symbol_info, (), {}, "option_pair"),
    # open interest: YYMMDD string, date or datetime
    (streams.open_interest, ("ETH", "221125"), {}, "ETH@openInterest@221125"),
    (streams.open_interest, ("eth", dt.date(2022, 11, 25)), {}, "ETH@openInterest@221125"),
    (
        streams.open_interest,
        ("ETH", dt.datetime(2022, 11, 25, 8, 0)),
        {},
        "ETH@openInterest@221125",
    ),
    (streams.open_interest, ("BTC", dt.date(2000, 1, 1)), {}, "BTC@openInterest@000101"),
    (streams.open_interest, ("BTC", dt.date(2099, 12, 31)), {}, "BTC@openInterest@991231"),
    # non-ASCII digits are read as digits but the name is written in ASCII
    (
        streams.open_interest,
        ("ETH", "\uff12\uff12\uff11\uff11\uff12\uff15"),
        {},
        "ETH@openInterest@221125",
    ),
    # depth: levels, speed (500ms is the default and has no suffix)
    (streams.depth, (SYMBOL,), {}, f"{SYMBOL}@depth10"),
    (streams.depth, (SYMBOL, 10), {}, f"{SYMBOL}@depth10"),
    (streams.depth, (SYMBOL, 20), {}, f"{SYMBOL}@depth20"),
    (streams.depth, (SYMBOL, 50), {}, f"{SYMBOL}@depth50"),
    (streams.depth, (SYMBOL, 100), {}, f"{SYMBOL}@depth100"),
    (streams.depth, (SYMBOL,), {"levels": "20"}, f"{SYMBOL}@depth20"),
    (streams.depth, (SYMBOL,), {"speed": None}, f"{SYMBOL}@depth10"),
    (streams.depth, (SYMBOL,), {"speed": "500ms"}, f"{SYMBOL}@depth10"),
    (streams.depth, (SYMBOL,), {"speed": 500}, f"{SYMBOL}@depth10"),
    (streams.depth, (SYMBOL,), {"speed": "100ms"}, f"{SYMBOL}@depth10@100ms"),
    (streams.depth, (SYMBOL,), {"speed": 100}, f"{SYMBOL}@depth10@100ms"),
    (streams.depth, (SYMBOL,), {"speed": "1000ms"}, f"{SYMBOL}@depth10@1000ms"),
    (streams.depth, (SYMBOL,), {"speed": 1000}, f"{SYMBOL}@depth10@1000ms"),
    (streams.depth, ("btc-251226-100000-c", 100, "100ms"), {}, f"{SYMBOL}@depth100@100ms"),
    # ticker: the example
    (streams.ticker, ("btc-251226-100000-c",), {}, "BTC-251226-100000-C@ticker"),
    (streams.ticker, ("BTC-210630-9000-P",), {}, "BTC-210630-9000-P@ticker"),
    (streams.ticker, ("xrp-250328-2.5-p",), {}, "XRP-250328-2.5-P@ticker"),
    (streams.ticker, (OptionSymbol("BTC", XMAS, 100000, "C"),), {}, f"{SYMBOL}@ticker"),
    # ticker by expiration
    (streams.ticker_by_expiration, ("ETH", "220930"), {}, "ETH@ticker@220930"),
    (streams.ticker_by_expiration, ("eth", dt.date(2022, 9, 30)), {}, "ETH@ticker@220930"),
    # trade: an option symbol or a base asset
    (streams.trade, (SYMBOL,), {}, f"{SYMBOL}@trade"),
    (streams.trade, ("btc-251226-100000-c",), {}, f"{SYMBOL}@trade"),
    (streams.trade, (OptionSymbol.parse(SYMBOL),), {}, f"{SYMBOL}@trade"),
    (streams.trade, ("eth",), {}, "ETH@trade"),
]


@pytest.mark.parametrize(("builder", "args", "kwargs", "expected"), BUILDS)
def test_builder_returns_the_exact_stream_name(builder, args, kwargs, expected) -> None:
    name = builder(*args, **kwargs)
    assert name == expected
    assert type(name) is str
    assert _is_safe(name)


@pytest.mark.parametrize(("builder", "args", "kwargs", "expected"), BUILDS)
def test_every_built_name_parses_back_to_itself(builder, args, kwargs, expected) -> None:
    parsed = parse_stream(builder(*args, **kwargs))
    assert parsed.name == expected
    assert str(parsed) == expected
    assert parse_stream(parsed.name) == parsed


@pytest.mark.parametrize("interval", streams.INTERVALS)
def test_kline_accepts_every_enum_interval(interval: str) -> None:
    name = streams.kline(SYMBOL, interval)
    assert name == f"{SYMBOL}@kline_{interval}"
    assert parse_stream(name).interval == interval


# The kinds that only the 2026 fstream endpoint has (tests/test_fstream.py builds them).
FSTREAM_ONLY_KINDS = {StreamKind.BOOK_TICKER, StreamKind.DIFF_DEPTH}


def test_module_builders_cover_every_stream_kind_of_the_endpoint() -> None:
    kinds = {parse_stream(builder(*args, **kwargs)).kind for builder, args, kwargs, _ in BUILDS}
    assert kinds == set(StreamKind) - FSTREAM_ONLY_KINDS
    assert len(kinds) == 9
    assert len(StreamKind) == 11


# --------------------------------------------------------------------------
# parse_stream: names back to kind and parameters
# --------------------------------------------------------------------------

PARSES = [
    ("ETHUSDT@index", StreamName("ETHUSDT@index", StreamKind.INDEX, symbol="ETHUSDT")),
    (
        f"{SYMBOL}@kline_5m",
        StreamName(f"{SYMBOL}@kline_5m", StreamKind.KLINE, symbol=SYMBOL, interval="5m"),
    ),
    ("ETH@markPrice", StreamName("ETH@markPrice", StreamKind.MARK_PRICE, underlying="ETH")),
    ("option_pair", StreamName("option_pair", StreamKind.NEW_SYMBOL_INFO)),
    (
        "ETH@openInterest@221125",
        StreamName(
            "ETH@openInterest@221125",
            StreamKind.OPEN_INTEREST,
            underlying="ETH",
            expiration=dt.date(2022, 11, 25),
        ),
    ),
    (
        f"{SYMBOL}@depth20",
        StreamName(f"{SYMBOL}@depth20", StreamKind.DEPTH, symbol=SYMBOL, levels=20, speed="500ms"),
    ),
    (
        f"{SYMBOL}@depth50@100ms",
        StreamName(
            f"{SYMBOL}@depth50@100ms", StreamKind.DEPTH, symbol=SYMBOL, levels=50, speed="100ms"
        ),
    ),
    (
        f"{SYMBOL}@depth100@1000ms",
        StreamName(
            f"{SYMBOL}@depth100@1000ms",
            StreamKind.DEPTH,
            symbol=SYMBOL,
            levels=100,
            speed="1000ms",
        ),
    ),
    (f"{SYMBOL}@ticker", StreamName(f"{SYMBOL}@ticker", StreamKind.TICKER, symbol=SYMBOL)),
    (
        "ETH@ticker@220930",
        StreamName(
            "ETH@ticker@220930",
            StreamKind.TICKER_BY_EXPIRATION,
            underlying="ETH",
            expiration=dt.date(2022, 9, 30),
        ),
    ),
    (f"{SYMBOL}@trade", StreamName(f"{SYMBOL}@trade", StreamKind.TRADE, symbol=SYMBOL)),
    ("ETH@trade", StreamName("ETH@trade", StreamKind.TRADE, underlying="ETH")),
    # lowercase input is normalised to the exchange's uppercase
    (
        "btc-251226-100000-c@ticker",
        StreamName(f"{SYMBOL}@ticker", StreamKind.TICKER, symbol=SYMBOL),
    ),
    ("ethusdt@index", StreamName("ETHUSDT@index", StreamKind.INDEX, symbol="ETHUSDT")),
    ("eth@markprice", StreamName("ETH@markPrice", StreamKind.MARK_PRICE, underlying="ETH")),
    ("OPTION_PAIR", StreamName("option_pair", StreamKind.NEW_SYMBOL_INFO)),
    # the default speed written out is the name without a suffix
    (
        f"{SYMBOL}@depth10@500ms",
        StreamName(f"{SYMBOL}@depth10", StreamKind.DEPTH, symbol=SYMBOL, levels=10, speed="500ms"),
    ),
    # the spec's URL examples
    (
        "BTC-210630-9000-P@ticker",
        StreamName("BTC-210630-9000-P@ticker", StreamKind.TICKER, symbol="BTC-210630-9000-P"),
    ),
    (
        "BTC-210630-9000-P@trade",
        StreamName("BTC-210630-9000-P@trade", StreamKind.TRADE, symbol="BTC-210630-9000-P"),
    ),
]


@pytest.mark.parametrize(("name", "expected"), PARSES)
def test_parse_stream(name: str, expected: StreamName) -> None:
    parsed = parse_stream(name)
    assert parsed == expected
    assert _is_safe(parsed.name)


def test_parse_stream_returns_a_stream_name_unchanged() -> None:
    parsed = parse_stream("ETH@markPrice")
    assert parse_stream(parsed) is parsed


def test_stream_name_is_frozen() -> None:
    parsed = parse_stream("ETH@markPrice")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        parsed.name = "BTC@markPrice"  # type: ignore[misc]


def test_stream_kind_and_option_side_read_as_their_values() -> None:
    assert str(StreamKind.TICKER_BY_EXPIRATION) == "ticker_by_expiration"
    assert StreamKind("mark_price") is StreamKind.MARK_PRICE
    assert OptionSide.CALL == "CALL"
    assert str(OptionSide.PUT) == "PUT"


# --------------------------------------------------------------------------
# Rejections: one error type, naming the bad value and the valid choices
# --------------------------------------------------------------------------

INTERVAL_CHOICES = "1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w, 1M"
SYMBOL_FORM = "UNDERLYING-YYMMDD-STRIKE-C|P"

REJECTIONS = [
    # depth levels
    (streams.depth, (SYMBOL,), {"levels": 15}, ["levels must be one of 10, 20, 50, 100, got 15"]),
    (streams.depth, (SYMBOL,), {"levels": 0}, ["got 0", "10, 20, 50, 100"]),
    (streams.depth, (SYMBOL,), {"levels": 5}, ["got 5", "10, 20, 50, 100"]),
    (streams.depth, (SYMBOL,), {"levels": "15"}, ["got '15'", "10, 20, 50, 100"]),
    (streams.depth, (SYMBOL,), {"levels": True}, ["got True", "10, 20, 50, 100"]),
    (streams.depth, (SYMBOL,), {"levels": None}, ["got None", "10, 20, 50, 100"]),
    # depth speed
    (streams.depth, (SYMBOL,), {"speed": "250ms"}, ["got '250ms'", "100ms, 500ms, 1000ms"]),
    (streams.depth, (SYMBOL,), {"speed": 250}, ["got 250", "100ms, 500ms, 1000ms"]),
    (streams.depth, (SYMBOL,), {"speed": "100"}, ["got '100'", "100ms, 500ms, 1000ms"]),
    (streams.depth, (SYMBOL,), {"speed": "100MS"}, ["got '100MS'", "100ms, 500ms, 1000ms"]),
    (streams.depth, (SYMBOL,), {"speed": True}, ["got True", "100ms, 500ms, 1000ms"]),
    # kline interval
    (streams.kline, (SYMBOL, "2m"), {}, ["got '2m'", INTERVAL_CHOICES]),
    (streams.kline, (SYMBOL, "1H"), {}, ["got '1H'", INTERVAL_CHOICES]),
    (streams.kline, (SYMBOL, "1s"), {}, ["got '1s'", INTERVAL_CHOICES]),
    (streams.kline, (SYMBOL, ""), {}, ["got ''", INTERVAL_CHOICES]),
    (streams.kline, (SYMBOL, 1), {}, ["got 1", INTERVAL_CHOICES]),
    # option symbols
    (streams.ticker, ("BTC-251226-100000",), {}, ["'BTC-251226-100000'", SYMBOL_FORM]),
    (streams.ticker, ("BTC-251226-100000-X",), {}, ["'BTC-251226-100000-X'", SYMBOL_FORM]),
    (streams.ticker, ("BTC-2512-100000-C",), {}, ["'BTC-2512-100000-C'", SYMBOL_FORM]),
    (streams.ticker, ("BTC-251226--C",), {}, ["'BTC-251226--C'", SYMBOL_FORM]),
    (streams.ticker, ("BTC-251226-1e5-C",), {}, ["'BTC-251226-1e5-C'", SYMBOL_FORM]),
    (streams.ticker, ("BTCUSDT",), {}, ["'BTCUSDT'", SYMBOL_FORM]),
    (streams.ticker, ("BTC-251226-100000-C@ticker",), {}, ["@ticker'", SYMBOL_FORM]),
    (streams.kline, ("ETH", "1m"), {}, ["'ETH'", SYMBOL_FORM]),
    (streams.depth, ("ETHUSDT",), {}, ["'ETHUSDT'", SYMBOL_FORM]),
    (streams.ticker, ("BTC-251326-100000-C",), {}, ["'251326'", "real calendar date", "YYMMDD"]),
    (streams.ticker, ("BTC-250230-100000-C",), {}, ["'250230'", "real calendar date", "YYMMDD"]),
    (streams.ticker, ("BTC-251226-0-C",), {}, ["got Decimal('0')", "positive number"]),
    (streams.ticker, ("",), {}, ["symbol must not be empty", "got ''"]),
    (streams.ticker, (None,), {}, ["got None", "must be a string"]),
    (streams.ticker, (123,), {}, ["got 123", "must be a string"]),
    # base assets
    (streams.mark_price, ("ETHUSDT",), {}, ["'ETHUSDT'", "base asset", "did you mean 'ETH'"]),
    (streams.mark_price, ("btcusdc",), {}, ["'btcusdc'", "base asset", "did you mean 'BTC'"]),
    (streams.mark_price, (SYMBOL,), {}, [repr(SYMBOL), "base asset", "did you mean 'BTC'"]),
    (streams.mark_price, ("E",), {}, ["got 'E'", "such as 'ETH'"]),
    (streams.mark_price, ("ETH_",), {}, ["got 'ETH_'", "such as 'ETH'"]),
    (streams.trade, ("ETHUSDT",), {}, ["'ETHUSDT'", "did you mean 'ETH'"]),
    (streams.trade, ("ETH-",), {}, ["'ETH-'", SYMBOL_FORM]),
    (streams.open_interest, ("ETHUSDT", "221125"), {}, ["'ETHUSDT'", "did you mean 'ETH'"]),
    (streams.ticker_by_expiration, ("", "220930"), {}, ["underlying must not be empty", "''"]),
    # index pairs
    (streams.index, ("ETH",), {}, ["got 'ETH'", "ending in USDT or USDC", "'ETHUSDT'"]),
    (streams.index, ("ETH-USDT",), {}, ["got 'ETH-USDT'", "such as 'ETHUSDT'", "mean 'ETHUSDT'"]),
    (streams.index, ("BTCUSD",), {}, ["got 'BTCUSD'", "did you mean 'BTCUSDT'?"]),
    (streams.index, (SYMBOL,), {}, [repr(SYMBOL), "such as 'ETHUSDT'", "did you mean 'BTCUSDT'"]),
    # expirations
    (streams.open_interest, ("ETH", "2211"), {}, ["got '2211'", "YYMMDD", "datetime.date"]),
    (streams.open_interest, ("ETH", "20221125"), {}, ["got '20221125'", "YYMMDD"]),
    (streams.open_interest, ("ETH", "22-11-25"), {}, ["got '22-11-25'", "YYMMDD"]),
    (streams.open_interest, ("ETH", "221131"), {}, ["got '221131'", "real calendar date"]),
    (streams.open_interest, ("ETH", "221325"), {}, ["got '221325'", "real calendar date"]),
    (streams.open_interest, ("ETH", 221125), {}, ["got 221125", "must be a string"]),
    (streams.open_interest, ("ETH", None), {}, ["got None", "must be a string"]),
    (streams.ticker_by_expiration, ("ETH", "220931"), {}, ["got '220931'", "real calendar"]),
    (
        streams.ticker_by_expiration,
        ("ETH", dt.date(1999, 12, 31)),
        {},
        ["got '1999-12-31'", "2000-01-01 to 2099-12-31"],
    ),
    (
        streams.open_interest,
        ("ETH", dt.date(2100, 1, 1)),
        {},
        ["got '2100-01-01'", "2000-01-01 to 2099-12-31"],
    ),
]

PARSE_REJECTIONS = [
    "",
    "ETH",
    "ETH@",
    "@trade",
    "ETH@@trade",
    "foo@bar",
    "ETH@index",
    "BTCUSDT@markPrice",
    "ETH@openInterest",
    "ETH@openInterest@2211",
    "ETH@openInterest@221131",
    f"{SYMBOL}@openInterest@221125",
    "ETH@ticker@",
    "ETH@ticker@220931",
    f"{SYMBOL}@depth",
    f"{SYMBOL}@depth15",
    f"{SYMBOL}@depth10@250ms",
    f"{SYMBOL}@depth10@100ms@x",
    f"{SYMBOL}@kline_",
    f"{SYMBOL}@kline_2m",
    f"{SYMBOL}@kline",
    "ETHUSDT@kline_1m",
    "ETH@trade@x",
    "option_pair@x",
    "option_pairs",
    "ETHUSDT@trade",
    f"{SYMBOL}@ticker?x=1",
    f"{SYMBOL}@ticker/ETH@trade",
    f"{SYMBOL}@ticker\n",
    f" {SYMBOL}@ticker",
    f"{SYMBOL}@ticker#",
    f'{SYMBOL}@ticker"',
    # fstream names are not names of this endpoint
    f"{SYMBOL.lower()}@bookTicker",
    f"{SYMBOL.lower()}@depth@100ms",
    f"{SYMBOL.lower()}@optionTicker",
    "btcusdt@optionTrade",
    "btcusdt@optionMarkPrice",
    "!index@arr",
    "!optionSymbol",
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


def test_levels_message_is_exactly_the_documented_one() -> None:
    with pytest.raises(InvalidStreamError) as exc:
        streams.depth(SYMBOL, levels=15)
    assert str(exc.value) == "levels must be one of 10, 20, 50, 100, got 15"


@pytest.mark.parametrize("name", PARSE_REJECTIONS)
def test_parse_stream_rejects_anything_else(name: str) -> None:
    with pytest.raises(InvalidStreamError) as exc:
        parse_stream(name)
    # Every rejection names the bad value (or the bad part of it).
    message = str(exc.value)
    assert isinstance(exc.value, ValueError)
    assert "got" in message or "unknown stream" in message or "contains" in message


@pytest.mark.parametrize(
    "name", ["foo@bar", "ETH@trade@x", "option_pair@x", f"{SYMBOL}@kline", "ETH"]
)
def test_unknown_stream_message_lists_the_valid_forms(name: str) -> None:
    with pytest.raises(InvalidStreamError) as exc:
        parse_stream(name)
    message = str(exc.value)
    assert repr(name) in message
    for form in ("@index", "@kline_<interval>", "@markPrice", "option_pair", "@openInterest@",
                 "@depth<levels>", "@ticker", "@ticker@<YYMMDD>", "@trade"):  # fmt: skip
        assert form in message


@pytest.mark.parametrize("bad", [None, 42, b"ETH@markPrice", ["ETH@markPrice"]])
def test_parse_stream_rejects_non_strings(bad: object) -> None:
    with pytest.raises(InvalidStreamError) as exc:
        parse_stream(bad)  # type: ignore[arg-type]
    assert repr(bad) in str(exc.value)
    assert "must be a string" in str(exc.value)


TEXT_BUILDERS = [
    ("index", lambda text: streams.index(f"ETH{text}USDT")),
    ("kline", lambda text: streams.kline(f"{SYMBOL}{text}", "1m")),
    ("mark_price", lambda text: streams.mark_price(f"ETH{text}")),
    ("open_interest", lambda text: streams.open_interest(f"ETH{text}", "221125")),
    ("open_interest_date", lambda text: streams.open_interest("ETH", f"2211{text}25")),
    ("depth", lambda text: streams.depth(f"{text}{SYMBOL}")),
    ("ticker", lambda text: streams.ticker(f"BTC-251226{text}-100000-C")),
    ("ticker_by_expiration", lambda text: streams.ticker_by_expiration(f"{text}ETH", "220930")),
    ("trade_symbol", lambda text: streams.trade(f"{SYMBOL}{text}")),
    ("trade_asset", lambda text: streams.trade(f"ETH{text}")),
    ("parse_stream", lambda text: parse_stream(f"ETH@markPrice{text}")),
    ("option_symbol", lambda text: OptionSymbol.parse(f"{SYMBOL}{text}")),
]


@pytest.mark.parametrize("char", FORBIDDEN)
@pytest.mark.parametrize(("builder_name", "build"), TEXT_BUILDERS)
def test_characters_that_break_urls_or_json_are_rejected(builder_name, build, char) -> None:
    with pytest.raises(InvalidStreamError) as exc:
        build(char)
    message = str(exc.value)
    # The message names the bad character (the rule) or the whole bad value.
    assert repr(char) in message or "got" in message, message


def test_forbidden_character_message_names_the_value_and_the_rule() -> None:
    with pytest.raises(InvalidStreamError) as exc:
        streams.ticker(f"{SYMBOL}/x")
    message = str(exc.value)
    assert f"'{SYMBOL}/x'" in message
    assert "contains '/'" in message
    assert "/ ? & # %" in message


def test_invalid_stream_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="got 15"):
        streams.depth(SYMBOL, levels=15)


# --------------------------------------------------------------------------
# OptionSymbol
# --------------------------------------------------------------------------

OPTION_SYMBOLS = [
    # text, underlying, expiration, strike, side, canonical name
    (SYMBOL, "BTC", XMAS, Decimal("100000"), OptionSide.CALL, SYMBOL),
    ("eth-261225-3500-p", "ETH", dt.date(2026, 12, 25), Decimal("3500"), OptionSide.PUT,
     "ETH-261225-3500-P"),
    ("BTC-210630-9000-P", "BTC", dt.date(2021, 6, 30), Decimal("9000"), OptionSide.PUT,
     "BTC-210630-9000-P"),
    ("XRP-250328-2.5-C", "XRP", dt.date(2025, 3, 28), Decimal("2.5"), OptionSide.CALL,
     "XRP-250328-2.5-C"),
    ("DOGE-250328-0.155-P", "DOGE", dt.date(2025, 3, 28), Decimal("0.155"), OptionSide.PUT,
     "DOGE-250328-0.155-P"),
    ("BNB-240229-400-C", "BNB", dt.date(2024, 2, 29), Decimal("400"), OptionSide.CALL,
     "BNB-240229-400-C"),
    # a strike with trailing zeros is the same strike, named as the exchange names it
    ("BTC-251226-100000.0-C", "BTC", XMAS, Decimal("100000"), OptionSide.CALL, SYMBOL),
    ("BTC-251226-0100000-C", "BTC", XMAS, Decimal("100000"), OptionSide.CALL, SYMBOL),
    ("XRP-250328-2.50-C", "XRP", dt.date(2025, 3, 28), Decimal("2.5"), OptionSide.CALL,
     "XRP-250328-2.5-C"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "underlying", "expiration", "strike", "side", "name"), OPTION_SYMBOLS
)
def test_option_symbol_parse(text, underlying, expiration, strike, side, name) -> None:
    symbol = OptionSymbol.parse(text)
    assert symbol.underlying == underlying
    assert symbol.expiration == expiration
    assert type(symbol.expiration) is dt.date
    assert symbol.strike == strike
    assert str(symbol.strike) == str(strike)  # exact, no float rounding or exponent
    assert symbol.side is side
    assert symbol.is_call is (side is OptionSide.CALL)
    assert symbol.is_put is (side is OptionSide.PUT)
    assert symbol.name == name
    assert str(symbol) == name


@pytest.mark.parametrize("name", sorted({row[-1] for row in OPTION_SYMBOLS}))
def test_option_symbol_round_trips(name: str) -> None:
    symbol = OptionSymbol.parse(name)
    assert symbol.name == name
    assert OptionSymbol.parse(str(symbol)) == symbol
    assert OptionSymbol(symbol.underlying, symbol.expiration, symbol.strike, symbol.side) == symbol


def test_option_symbol_strike_is_exact() -> None:
    symbol = OptionSymbol.parse("DOGE-250328-0.1-C")
    assert symbol.strike == Decimal("0.1")
    assert symbol.strike * 3 == Decimal("0.3")  # would fail with a float strike


CONSTRUCTED = [
    (("btc", XMAS, 100000, "c"), SYMBOL),
    (("BTC", XMAS, 100000.0, "CALL"), SYMBOL),
    (("BTC", XMAS, "100000", OptionSide.CALL), SYMBOL),
    (("BTC", XMAS, Decimal("1E+5"), "C"), SYMBOL),
    (("BTC", "251226", 100000, "call"), SYMBOL),
    (("BTC", dt.datetime(2025, 12, 26, 8), 100000, "C"), SYMBOL),
    (("DOGE", dt.date(2025, 3, 28), 0.1, "put"), "DOGE-250328-0.1-P"),
    (("ETH", dt.date(2026, 12, 25), Decimal("3500.50"), "P"), "ETH-261225-3500.5-P"),
]


@pytest.mark.parametrize(("args", "name"), CONSTRUCTED)
def test_option_symbol_from_parts(args: tuple, name: str) -> None:
    symbol = OptionSymbol(*args)
    assert symbol.name == name
    assert type(symbol.expiration) is dt.date
    assert OptionSymbol.parse(name) == symbol


OPTION_SYMBOL_REJECTIONS = [
    (("BTC", XMAS, 0, "C"), ["got 0", "positive number"]),
    (("BTC", XMAS, -100, "C"), ["got -100", "positive number"]),
    (("BTC", XMAS, "abc", "C"), ["got 'abc'", "positive number"]),
    (("BTC", XMAS, float("nan"), "C"), ["got nan", "positive number"]),
    (("BTC", XMAS, float("inf"), "C"), ["got inf", "positive number"]),
    (("BTC", XMAS, True, "C"), ["got True", "positive number"]),
    (("BTC", XMAS, None, "C"), ["got None", "positive number"]),
    (("BTC", XMAS, 100000, "X"), ["got 'X'", "'CALL', 'PUT'"]),
    (("BTC", XMAS, 100000, None), ["got None", "'CALL', 'PUT'"]),
    (("BTCUSDT", XMAS, 100000, "C"), ["'BTCUSDT'", "did you mean 'BTC'"]),
    (("", XMAS, 100000, "C"), ["underlying must not be empty", "''"]),
    (("BTC", "2512", 100000, "C"), ["got '2512'", "YYMMDD"]),
    (("BTC", dt.date(1999, 12, 31), 100000, "C"), ["'1999-12-31'", "2000-01-01 to 2099-12-31"]),
]


@pytest.mark.parametrize(("args", "fragments"), OPTION_SYMBOL_REJECTIONS)
def test_option_symbol_rejects_bad_parts(args: tuple, fragments: list) -> None:
    with pytest.raises(InvalidStreamError) as exc:
        OptionSymbol(*args)
    _check_rejection(exc, fragments)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("BTC-251226-100000", ["got 'BTC-251226-100000'", SYMBOL_FORM]),
        ("BTC-251226-100000-C-X", ["got 'BTC-251226-100000-C-X'", SYMBOL_FORM]),
        ("B-251226-100000-C", ["got 'B-251226-100000-C'", SYMBOL_FORM]),
        ("BTC-250230-100000-C", ["'BTC-250230-100000-C'", "got '250230'", "real calendar date"]),
        ("BTC-251226-0-C", ["got Decimal('0')", "positive number"]),
        ("", ["symbol must not be empty", "got ''"]),
        (None, ["got None", "must be a string"]),
    ],
)
def test_option_symbol_parse_rejects(text: object, fragments: list) -> None:
    with pytest.raises(InvalidStreamError) as exc:
        OptionSymbol.parse(text)  # type: ignore[arg-type]
    _check_rejection(exc, fragments)


def test_option_symbol_parse_returns_an_option_symbol_unchanged() -> None:
    symbol = OptionSymbol.parse(SYMBOL)
    assert OptionSymbol.parse(symbol) is symbol


def test_option_symbols_sort_as_a_chain() -> None:
    names = [
        "ETH-251226-3000-C",
        "BTC-251226-100000-P",
        "BTC-251226-9000-C",
        "BTC-251226-100000-C",
        "BTC-250926-120000-C",
    ]
    ordered = [str(symbol) for symbol in sorted(OptionSymbol.parse(name) for name in names)]
    assert ordered == [
        "BTC-250926-120000-C",  # earlier expiry first
        "BTC-251226-9000-C",  # strikes compare as numbers, not text
        "BTC-251226-100000-C",  # calls before puts
        "BTC-251226-100000-P",
        "ETH-251226-3000-C",
    ]


def test_option_symbol_is_frozen_and_hashable() -> None:
    symbol = OptionSymbol.parse(SYMBOL)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        symbol.strike = Decimal(1)  # type: ignore[misc]
    assert {symbol, OptionSymbol.parse(SYMBOL.lower())} == {symbol}


# --------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------

BASE = streams.DEFAULT_BASE_URL


@pytest.mark.parametrize(
    ("base", "name", "expected"),
    [
        # the spec's example
        (BASE, "BTC-210630-9000-P@ticker", f"{BASE}/ws/BTC-210630-9000-P@ticker"),
        (BASE + "/", "ETHUSDT@index", f"{BASE}/ws/ETHUSDT@index"),
        (BASE, "btc-210630-9000-p@ticker", f"{BASE}/ws/BTC-210630-9000-P@ticker"),
        ("ws://127.0.0.1:9000", "option_pair", "ws://127.0.0.1:9000/ws/option_pair"),
    ],
)
def test_raw_url(base: str, name: str, expected: str) -> None:
    assert streams.raw_url(base, name) == expected


@pytest.mark.parametrize(
    ("base", "names", "expected"),
    [
        # the spec's example
        (
            BASE,
            ["BTC-210630-9000-P@trade", "BTC-210630-9000-P@ticker"],
            f"{BASE}/stream?streams=BTC-210630-9000-P@trade/BTC-210630-9000-P@ticker",
        ),
        (BASE, [], f"{BASE}/stream"),
        (BASE + "/", (), f"{BASE}/stream"),
        (BASE, ["eth@markprice"], f"{BASE}/stream?streams=ETH@markPrice"),
        # one name as a plain string is one stream, not one per character
        (BASE, "ETHUSDT@index", f"{BASE}/stream?streams=ETHUSDT@index"),
        (BASE, iter(["ETH@trade", "option_pair"]), f"{BASE}/stream?streams=ETH@trade/option_pair"),
    ],
)
def test_combined_url(base: str, names: object, expected: str) -> None:
    assert streams.combined_url(base, names) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "call",
    [
        lambda: streams.raw_url(BASE, "ETH@nope"),
        lambda: streams.raw_url(BASE, "ETH@markPrice/BTC@markPrice"),
        lambda: streams.combined_url(BASE, ["ETH@markPrice", "ETH@nope"]),
        lambda: streams.combined_url(BASE, ["ETH@markPrice?x"]),
    ],
)
def test_urls_reject_invalid_names(call) -> None:
    with pytest.raises(InvalidStreamError):
        call()


# --------------------------------------------------------------------------
# Docstring examples
# --------------------------------------------------------------------------


def test_docstring_examples_run() -> None:
    from binance_options_ws import symbols
    from binance_options_ws.dialects import base, nbstream

    results = [
        doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        for module in (streams, nbstream, base, symbols)
    ]
    result = doctest.TestResults(sum(r.failed for r in results), sum(r.attempted for r in results))
    assert result.attempted >= 10
    assert result.failed == 0
