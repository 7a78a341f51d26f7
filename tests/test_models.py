"""Tests of binance_options_ws.models: the events and parse_message."""

from __future__ import annotations

import ast
import copy
import doctest
import inspect
import json
import math
import pickle
import platform
import re
import typing

import attrs
import pytest

from binance_options_ws import MessageParseError, _constructors, models, parse_message
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

# The classes the nbstream endpoint (the default) produces.
EVENT_CLASSES = [IndexPrice, Kline, MarkPrice, NewSymbol, OpenInterest, BookDepth, Ticker, Trade]
# Every event class, with the two that only the fstream endpoint produces.
ALL_EVENT_CLASSES = [*EVENT_CLASSES, BookTicker, DepthUpdate]

# Fields that only the 2026 fstream endpoint fills, by wire key: nbstream never sends
# them, so an nbstream event leaves them None (tests/test_fstream.py fills them).
FSTREAM_ONLY = {
    MarkPrice: {
        "i": "index_price", "P": "estimated_settle_price", "bo": "best_bid_price",
        "ao": "best_ask_price", "bq": "best_bid_quantity", "aq": "best_ask_quantity",
        "b": "bid_iv", "a": "ask_iv", "hl": "max_buy_price", "ll": "min_sell_price",
        "vo": "mark_iv", "rf": "risk_free_rate", "d": "delta", "t": "theta", "g": "gamma",
        "v": "vega",
    },
    Ticker: {"w": "weighted_average_price", "O": "open_time", "C": "close_time"},
    Trade: {"S": "side", "m": "is_buyer_maker"},
    NewSymbol: {"ot": "onboard_time", "cs": "status"},
    BookDepth: {"U": "first_update_id"},
}  # fmt: skip


def _fstream_only_fields(cls: type) -> set:
    return set(FSTREAM_ONLY.get(cls, {}).values())


# --------------------------------------------------------------------------
# The spec's response examples, copied with the comments removed.
# --------------------------------------------------------------------------

NEW_SYMBOL_EXAMPLE = """
{
    "e":"OPTION_PAIR",
    "E":1668573571842,
    "u":"BTCUSDT",
    "qa":"USDT",
    "s":"BTC-221116-21000-C",
    "unit":1,
    "mq":"0.01",
    "d":"CALL",
    "sp":"21000",
    "ed":1668585600000
}
"""

OPEN_INTEREST_EXAMPLE = """
[
    {
      "e":"openInterest",
      "E":1668759300045,
      "s":"ETH-221125-2700-C",
      "o":"1580.87",
      "h":"1912992.178168204"
    }
]
"""

MARK_PRICE_EXAMPLE = """
[
    {
      "e":"markPrice",
      "E":1663684594227,
      "s":"ETH-220930-1500-C",
      "mp":"30.3"
    },
    {
      "e":"markPrice",
      "E":1663684594228,
      "s":"ETH-220923-1000-C",
      "mp":"341.5"
    }
]
"""

KLINE_EXAMPLE = """
{
    "e":"kline",
    "E":1638747660000,
    "s":"BTC-200630-9000-P",
    "k":{
        "t":1638747660000,
        "T":1638747719999,
        "s":"BTC-200630-9000-P",
        "i":"1m",
        "F":0,
        "L":0,
        "o":"1000",
        "c":"1000",
        "h":"1000",
        "l":"1000",
        "v":"0",
        "n":0,
        "x":false,
        "q":"0",
        "V":"0",
        "Q":"0"
    }
}
"""

TICKER_BY_EXPIRATION_EXAMPLE = """
[{
      "e":"24hrTicker",
      "E":1657706425200,
      "T":1657706425220,
      "s":"ETH-220930-1600-C",
      "o":"2000",
      "h":"2020",
      "l":"2000",
      "c":"2020",
      "V":"1.42",
      "A":"2841",
      "P":"0.01",
      "p":"20",
      "Q":"0.01",
      "F":"27",
      "L":"48",
      "n":22,
      "bo":"2012",
      "ao":"2020",
      "bq":"4.9",
      "aq":"0.03",
      "b":"0.1202",
      "a":"0.1318",
      "d":"0.98911",
      "t":"-0.16961",
      "g":"0.00004",
      "v":"2.66584",
      "vo":"0.10001",
      "mp":"2003.5102",
      "hl":"2023.511",
      "ll":"1983.511",
      "eep":"0"
    },
    {
      "e":"24hrTicker",
      "E":1663685112123,
      "s":"ETH-220930-1500-C",
      "o":"34.9",
      "h":"44.6",
      "l":"26.8",
      "c":"26.8",
      "V":"11.84",
      "A":"444.37",
      "P":"-0.232",
      "p":"-8.1",
      "Q":"0",
      "F":"91",
      "L":"129",
      "n":39,
      "bo":"26.8",
      "ao":"33.9",
      "bq":"0.65",
      "aq":"0.01",
      "b":"0.88790536",
      "a":"0.98729014",
      "d":"0.2621153",
      "t":"-3.44806807",
      "g":"0.00158298",
      "v":"0.7148147",
      "vo":"0.93759775",
      "mp":"30.3",
      "hl":"228.7",
      "ll":"0.1",
      "eep":"0"
    }
]
"""

INDEX_EXAMPLE = """
{
    "e":"index",
    "E":1661415480351,
    "s":"ETHUSDT",
    "p":"1707.89008607"
}
"""

TICKER_EXAMPLE = """
{
    "e":"24hrTicker",
    "E":1657706425200,
    "T":1657706425220,
    "s":"BTC-220930-18000-C",
    "o":"2000",
    "h":"2020",
    "l":"2000",
    "c":"2020",
    "V":"1.42",
    "A":"2841",
    "P":"0.01",
    "p":"20",
    "Q":"0.01",
    "F":"27",
    "L":"48",
    "n":22,
    "bo":"2012",
    "ao":"2020",
    "bq":"4.9",
    "aq":"0.03",
    "b":"0.1202",
    "a":"0.1318",
    "d":"0.98911",
    "t":"-0.16961",
    "g":"0.00004",
    "v":"2.66584",
    "vo":"0.10001",
    "mp":"2003.5102",
    "hl":"2023.511",
    "ll":"1983.511",
    "eep":"0"
}
"""

# The spec's example lacks the comma after "S":"-1"; it is added here.
TRADE_EXAMPLE = """
{
    "e":"trade",
    "E":1591677941092,
    "s":"BTC-200630-9000-P",
    "t":1,
    "p":"1000",
    "q":"-2",
    "b":4611781675939004417,
    "a":4611781675939004418,
    "T":1591677567872,
    "S":"-1",
    "X": "MARKET"
}
"""

# The spec's example has a trailing comma after "3"; it is removed here.
DEPTH_EXAMPLE = """
{
    "e":"depth",
    "E":1591695934010,
    "T":1591695934000,
    "s":"BTC-200630-9000-P",
    "u":162,
    "pu":162,
    "b":[
      [
          "200",
          "3"
      ],
      [
          "101",
          "1"
      ],
      [
          "100",
          "2"
      ]
    ],
    "a":[
        [
            "1000",
            "89"
        ]
    ]
}
"""

EXPECTED_NEW_SYMBOL = NewSymbol(
    symbol="BTC-221116-21000-C",
    underlying="BTCUSDT",
    quote_asset="USDT",
    side="CALL",
    strike_price=21000.0,
    expiration_time=1668585600000,
    unit=1,
    min_quantity=0.01,
    event_time=1668573571842,
    stream="",
)
EXPECTED_OPEN_INTEREST = OpenInterest(
    symbol="ETH-221125-2700-C",
    open_interest=1580.87,
    open_interest_usdt=1912992.178168204,
    event_time=1668759300045,
    stream="",
)
EXPECTED_MARK_PRICES = [
    MarkPrice(symbol="ETH-220930-1500-C", mark_price=30.3, event_time=1663684594227, stream=""),
    MarkPrice(symbol="ETH-220923-1000-C", mark_price=341.5, event_time=1663684594228, stream=""),
]
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
    first_trade_id=0,
    last_trade_id=0,
    is_closed=False,
    event_time=1638747660000,
    stream="",
)
EXPECTED_TICKERS_BY_EXPIRATION = [
    Ticker(
        symbol="ETH-220930-1600-C",
        last_price=2020.0,
        open=2000.0,
        high=2020.0,
        low=2000.0,
        price_change=20.0,
        price_change_percent=0.01,
        volume=1.42,
        quote_volume=2841.0,
        last_quantity=0.01,
        first_trade_id=27,
        last_trade_id=48,
        trade_count=22,
        best_bid_price=2012.0,
        best_ask_price=2020.0,
        best_bid_quantity=4.9,
        best_ask_quantity=0.03,
        bid_iv=0.1202,
        ask_iv=0.1318,
        mark_iv=0.10001,
        mark_price=2003.5102,
        delta=0.98911,
        theta=-0.16961,
        gamma=0.00004,
        vega=2.66584,
        max_buy_price=2023.511,
        min_sell_price=1983.511,
        estimated_exercise_price=0.0,
        transaction_time=1657706425220,
        event_time=1657706425200,
        stream="",
    ),
    Ticker(
        symbol="ETH-220930-1500-C",
        last_price=26.8,
        open=34.9,
        high=44.6,
        low=26.8,
        price_change=-8.1,
        price_change_percent=-0.232,
        volume=11.84,
        quote_volume=444.37,
        last_quantity=0.0,
        first_trade_id=91,
        last_trade_id=129,
        trade_count=39,
        best_bid_price=26.8,
        best_ask_price=33.9,
        best_bid_quantity=0.65,
        best_ask_quantity=0.01,
        bid_iv=0.88790536,
        ask_iv=0.98729014,
        mark_iv=0.93759775,
        mark_price=30.3,
        delta=0.2621153,
        theta=-3.44806807,
        gamma=0.00158298,
        vega=0.7148147,
        max_buy_price=228.7,
        min_sell_price=0.1,
        estimated_exercise_price=0.0,
        transaction_time=None,  # the spec's second element has no "T"
        event_time=1663685112123,
        stream="",
    ),
]
EXPECTED_INDEX = IndexPrice(
    symbol="ETHUSDT", price=1707.89008607, event_time=1661415480351, stream=""
)
EXPECTED_TICKER = Ticker(
    symbol="BTC-220930-18000-C",
    last_price=2020.0,
    open=2000.0,
    high=2020.0,
    low=2000.0,
    price_change=20.0,
    price_change_percent=0.01,
    volume=1.42,
    quote_volume=2841.0,
    last_quantity=0.01,
    first_trade_id=27,
    last_trade_id=48,
    trade_count=22,
    best_bid_price=2012.0,
    best_ask_price=2020.0,
    best_bid_quantity=4.9,
    best_ask_quantity=0.03,
    bid_iv=0.1202,
    ask_iv=0.1318,
    mark_iv=0.10001,
    mark_price=2003.5102,
    delta=0.98911,
    theta=-0.16961,
    gamma=0.00004,
    vega=2.66584,
    max_buy_price=2023.511,
    min_sell_price=1983.511,
    estimated_exercise_price=0.0,
    transaction_time=1657706425220,
    event_time=1657706425200,
    stream="",
)
EXPECTED_TRADE = Trade(
    symbol="BTC-200630-9000-P",
    trade_id=1,
    price=1000.0,
    quantity=2.0,  # the documentation's "-2": the sign is the direction's
    direction=-1,
    trade_type="MARKET",
    buy_order_id=4611781675939004417,
    sell_order_id=4611781675939004418,
    trade_time=1591677567872,
    event_time=1591677941092,
    stream="",
)
EXPECTED_DEPTH = BookDepth(
    symbol="BTC-200630-9000-P",
    bids=((200.0, 3.0), (101.0, 1.0), (100.0, 2.0)),
    asks=((1000.0, 89.0),),
    update_id=162,
    previous_update_id=162,
    transaction_time=1591695934000,
    event_time=1591695934010,
    stream="",
)

# (example text, stream name it arrives on, expected events)
SPEC_EXAMPLES = [
    pytest.param(NEW_SYMBOL_EXAMPLE, "option_pair", [EXPECTED_NEW_SYMBOL], id="new_symbol"),
    pytest.param(
        OPEN_INTEREST_EXAMPLE, "ETH@openInterest@221125", [EXPECTED_OPEN_INTEREST], id="oi"
    ),
    pytest.param(MARK_PRICE_EXAMPLE, "ETH@markPrice", EXPECTED_MARK_PRICES, id="mark_price"),
    pytest.param(KLINE_EXAMPLE, "BTC-200630-9000-P@kline_1m", [EXPECTED_KLINE], id="kline"),
    pytest.param(
        TICKER_BY_EXPIRATION_EXAMPLE,
        "ETH@ticker@220930",
        EXPECTED_TICKERS_BY_EXPIRATION,
        id="ticker_by_expiration",
    ),
    pytest.param(INDEX_EXAMPLE, "ETHUSDT@index", [EXPECTED_INDEX], id="index"),
    pytest.param(TICKER_EXAMPLE, "BTC-220930-18000-C@ticker", [EXPECTED_TICKER], id="ticker"),
    pytest.param(TRADE_EXAMPLE, "BTC-200630-9000-P@trade", [EXPECTED_TRADE], id="trade"),
    pytest.param(DEPTH_EXAMPLE, "BTC-200630-9000-P@depth10", [EXPECTED_DEPTH], id="depth"),
]


def _with_stream(events: list, stream: str | None) -> list:
    return [attrs.evolve(event, stream=stream) for event in events]


def _envelope(text: str, stream: str) -> str:
    return f'{{"stream": {json.dumps(stream)}, "data": {text}}}'


@pytest.mark.parametrize(("text", "stream", "expected"), SPEC_EXAMPLES)
def test_spec_example_raw(text: str, stream: str, expected: list) -> None:
    assert parse_message(text) == expected


@pytest.mark.parametrize(("text", "stream", "expected"), SPEC_EXAMPLES)
def test_spec_example_in_combined_envelope(text: str, stream: str, expected: list) -> None:
    events = parse_message(_envelope(text, stream))
    assert events == _with_stream(expected, stream)
    assert all(event.stream == stream for event in events)


@pytest.mark.parametrize(("text", "stream", "expected"), SPEC_EXAMPLES)
def test_spec_example_as_bytes_and_as_decoded_json(text: str, stream: str, expected: list) -> None:
    assert parse_message(text.encode()) == expected
    assert parse_message(bytearray(text.encode())) == expected
    assert parse_message(json.loads(text)) == expected
    assert parse_message(json.loads(_envelope(text, stream))) == _with_stream(expected, stream)


@pytest.mark.parametrize(("text", "stream", "expected"), SPEC_EXAMPLES)
def test_the_default_endpoint_is_nbstream(text: str, stream: str, expected: list) -> None:
    assert parse_message(text, endpoint="nbstream") == expected
    assert parse_message(_envelope(text, stream), endpoint="nbstream") == _with_stream(
        expected, stream
    )


@pytest.mark.parametrize(("text", "stream", "expected"), SPEC_EXAMPLES)
def test_spec_example_fills_every_field_with_the_documented_type(
    text: str, stream: str, expected: list
) -> None:
    # Every field nbstream sends is filled; the fstream-only ones stay None, so that
    # an nbstream key never leaks into them (the trade's "S" is the direction, not the side).
    for event in parse_message(_envelope(text, stream)):
        cls = type(event)
        hints = typing.get_type_hints(cls)
        for field in attrs.fields(cls):
            value = getattr(event, field.name)
            if field.name in _fstream_only_fields(cls):
                assert value is None, field.name
                continue
            if value is None:
                # Only the second ticker-by-expiration element lacks a key ("T").
                assert (cls, field.name) == (Ticker, "transaction_time")
                continue
            wanted = typing.get_args(hints[field.name]) or (hints[field.name],)
            assert type(value) in wanted or type(value) is tuple, (field.name, value)


# --------------------------------------------------------------------------
# Every documented wire key lands in the right field (distinct values).
# --------------------------------------------------------------------------

# Wire key -> field, from the spec's comments. "k.x" is key "x" inside "k".
WIRE_KEYS = {
    IndexPrice: ("index", {"E": "event_time", "s": "symbol", "p": "price"}),
    MarkPrice: ("markPrice", {"E": "event_time", "s": "symbol", "mp": "mark_price"}),
    NewSymbol: (
        "OPTION_PAIR",
        {
            "E": "event_time", "u": "underlying", "qa": "quote_asset", "s": "symbol",
            "unit": "unit", "mq": "min_quantity", "d": "side", "sp": "strike_price",
            "ed": "expiration_time",
        },
    ),
    OpenInterest: (
        "openInterest",
        {"E": "event_time", "s": "symbol", "o": "open_interest", "h": "open_interest_usdt"},
    ),
    Kline: (
        "kline",
        {
            "E": "event_time", "s": "symbol", "k.t": "start_time", "k.T": "end_time",
            "k.i": "interval", "k.F": "first_trade_id", "k.L": "last_trade_id",
            "k.o": "open", "k.c": "close", "k.h": "high", "k.l": "low", "k.v": "volume",
            "k.n": "trade_count", "k.x": "is_closed", "k.q": "quote_volume",
            "k.V": "taker_volume", "k.Q": "taker_quote_volume",
        },
    ),
    Ticker: (
        "24hrTicker",
        {
            "E": "event_time", "T": "transaction_time", "s": "symbol", "o": "open",
            "h": "high", "l": "low", "c": "last_price", "V": "volume", "A": "quote_volume",
            "P": "price_change_percent", "p": "price_change", "Q": "last_quantity",
            "F": "first_trade_id", "L": "last_trade_id", "n": "trade_count",
            "bo": "best_bid_price", "ao": "best_ask_price", "bq": "best_bid_quantity",
            "aq": "best_ask_quantity", "b": "bid_iv", "a": "ask_iv", "d": "delta",
            "t": "theta", "g": "gamma", "v": "vega", "vo": "mark_iv", "mp": "mark_price",
            "hl": "max_buy_price", "ll": "min_sell_price", "eep": "estimated_exercise_price",
        },
    ),
    Trade: (
        "trade",
        {
            "E": "event_time", "s": "symbol", "t": "trade_id", "p": "price", "q": "quantity",
            "b": "buy_order_id", "a": "sell_order_id", "T": "trade_time", "S": "direction",
            "X": "trade_type",
        },
    ),
    BookDepth: (
        "depth",
        {
            "E": "event_time", "T": "transaction_time", "s": "symbol", "u": "update_id",
            "pu": "previous_update_id", "b": "bids", "a": "asks",
        },
    ),
}  # fmt: skip


def _base_type(hint: object) -> object:
    """``int`` for ``Optional[int]`` and for ``int``."""
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return args[0] if typing.get_origin(hint) is typing.Union else hint


def _distinct_payload(cls: type) -> tuple[dict, dict]:
    """A payload whose every key has its own value, and the field values it must give."""
    event_type, keys = WIRE_KEYS[cls]
    hints = typing.get_type_hints(cls)
    payload: dict = {"e": event_type}
    expected: dict = {}
    for number, (key, field) in enumerate(sorted(keys.items()), start=1):
        kind = _base_type(hints[field])
        if field in ("bids", "asks"):
            wire: object = [[str(number), str(number + 0.5)]]
            value: object = ((float(number), number + 0.5),)
        elif kind is str:
            wire = value = f"text{number}"
        elif kind is bool:
            wire = value = True
        elif kind is int:
            wire, value = str(number), number
        else:
            wire, value = f"{number}.25", number + 0.25
        target = payload
        if key.startswith("k."):
            target = payload.setdefault("k", {})
            key = key[2:]
        target[key] = wire
        expected[field] = value
    return payload, expected


@pytest.mark.parametrize("cls", EVENT_CLASSES)
def test_every_documented_key_lands_in_its_field(cls: type) -> None:
    payload, expected = _distinct_payload(cls)
    [event] = parse_message(json.dumps(payload))
    assert type(event) is cls
    for field, value in expected.items():
        assert getattr(event, field) == value, field
    # every field but the stream and the fstream-only ones comes from a documented key
    fstream_only = _fstream_only_fields(cls)
    assert set(expected) == {f.name for f in attrs.fields(cls)} - {"stream"} - fstream_only
    assert all(getattr(event, field) is None for field in fstream_only)


_DOC_KEY = re.compile(r"^\s+(\w+): ``([\w.]+)``", re.MULTILINE)


@pytest.mark.parametrize("cls", EVENT_CLASSES)
def test_class_docstring_names_the_wire_key_of_each_field(cls: type) -> None:
    # The first key named for each field is nbstream's, or fstream's for a field that
    # only fstream fills (tests/test_fstream.py checks that fstream's keys are named too).
    documented = dict(_DOC_KEY.findall(cls.__doc__ or ""))
    _, keys = WIRE_KEYS[cls]
    fstream_keys = FSTREAM_ONLY.get(cls, {})
    assert documented == {
        **{field: key for key, field in keys.items()},
        **{field: key for key, field in fstream_keys.items()},
    }


# --------------------------------------------------------------------------
# The event classes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL_EVENT_CLASSES)
def test_events_are_frozen_slotted_and_have_time_and_stream(cls: type) -> None:
    names = [field.name for field in attrs.fields(cls)]
    assert names[-2:] == ["event_time", "stream"]
    hints = typing.get_type_hints(cls)
    # Some depth frames come without "E" (live, and the fake exchange's realistic market).
    depth = cls in (BookDepth, DepthUpdate)
    assert hints["event_time"] == (typing.Optional[int] if depth else int)
    assert hints["stream"] is str
    assert "__slots__" in vars(cls)
    event = cls()
    assert not hasattr(event, "__dict__")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.stream = "x"  # type: ignore[misc]
    assert hash(event) == hash(cls())
    assert all(name == name.lower() and name.isidentifier() for name in names)


_TEXT_FIELDS = {
    "symbol", "stream", "interval", "underlying", "quote_asset", "side", "trade_type", "status",
}  # fmt: skip


# The fields the exchange always sends (the README's field rule): what identifies an
# event, and what every documented payload of the class carries on both endpoints.
ALWAYS_SENT = {
    IndexPrice: {"symbol", "price", "event_time"},
    MarkPrice: {"symbol", "mark_price", "event_time"},
    Kline: {
        "symbol", "interval", "start_time", "end_time", "open", "high", "low", "close",
        "volume", "is_closed", "event_time",
    },
    NewSymbol: {"symbol", "underlying", "side", "strike_price", "expiration_time", "event_time"},
    OpenInterest: {"symbol", "open_interest", "open_interest_usdt", "event_time"},
    BookDepth: {"symbol"},
    DepthUpdate: {"symbol", "first_update_id", "update_id", "previous_update_id"},
    BookTicker: {
        "symbol", "best_bid_price", "best_bid_quantity", "best_ask_price", "best_ask_quantity",
        "update_id", "event_time",
    },
    Ticker: {
        "symbol", "last_price", "open", "high", "low", "price_change", "price_change_percent",
        "volume", "quote_volume", "last_quantity", "first_trade_id", "last_trade_id",
        "trade_count", "event_time",
    },
    Trade: {"symbol", "trade_id", "price", "quantity", "trade_time", "event_time"},
}  # fmt: skip


def _field_category(cls: type, name: str) -> object:
    if name in ("bids", "asks"):
        return typing.Tuple[typing.Tuple[float, float], ...]
    if name == "stream":
        return str
    kind: type = float
    if name.endswith(("_time", "_id", "_count")) or name == "direction":
        kind = int
    elif name.startswith("is_"):
        kind = bool
    elif name in _TEXT_FIELDS:
        kind = str
    return kind if name in ALWAYS_SENT[cls] else typing.Optional[kind]


@pytest.mark.parametrize("cls", ALL_EVENT_CLASSES)
def test_field_types_follow_the_rules(cls: type) -> None:
    # prices, quantities, greeks, volatilities, amounts: float; ids, counts, times: int;
    # flags: bool; depth levels: tuples of (price, quantity) floats; Optional unless the
    # exchange always sends the field
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        assert hints[field.name] == _field_category(cls, field.name), field.name


def test_book_depth_best_bid_and_ask() -> None:
    [book] = parse_message(DEPTH_EXAMPLE)
    assert isinstance(book, BookDepth)
    assert book.best_bid == (200.0, 3.0)
    assert book.best_ask == (1000.0, 89.0)
    empty = BookDepth()
    assert empty.best_bid is None
    assert empty.best_ask is None


# --------------------------------------------------------------------------
# Events built by the parsers' fast constructors (_constructors.fast_constructor)
# --------------------------------------------------------------------------

# One message per parser that builds its events with a fast constructor, on each
# endpoint: (message, endpoint).
FAST_BUILT_MESSAGES = [
    pytest.param(TICKER_EXAMPLE, "nbstream", id="ticker"),
    pytest.param(TICKER_BY_EXPIRATION_EXAMPLE, "nbstream", id="ticker_by_expiration"),
    pytest.param(INDEX_EXAMPLE, "nbstream", id="index"),
    pytest.param(MARK_PRICE_EXAMPLE, "nbstream", id="mark_price"),
    pytest.param(KLINE_EXAMPLE, "nbstream", id="kline"),
    pytest.param(OPEN_INTEREST_EXAMPLE, "nbstream", id="open_interest"),
    pytest.param(DEPTH_EXAMPLE, "nbstream", id="depth"),
    pytest.param(TRADE_EXAMPLE, "nbstream", id="trade"),
    pytest.param(
        '{"e":"24hrTicker","E":5,"s":"ETH-251226-3000-C","p":"0.0","P":"0.00","w":"199.5",'
        '"c":"200.0","Q":"1.0","o":"200.0","h":"200.0","l":"200.0","v":"9.0","q":"1800.0",'
        '"O":1,"C":2,"F":1,"L":22,"n":9}',
        "fstream",
        id="fstream_ticker",
    ),
    pytest.param(
        '{"e":"markPrice","E":5,"s":"BTC-251120-126000-C","mp":"770.5","b":"-1.0","a":"0.98",'
        '"d":"0.11","rf":"0.0"}',
        "fstream",
        id="fstream_mark_price",
    ),
    pytest.param(
        '{"stream":"btc-251123-126000-c@depth10@100ms","data":{"e":"depthUpdate","E":5,'
        '"s":"BTC-251123-126000-C","U":4,"u":5,"pu":3,"b":[["1100","0.6"]],"a":[]}}',
        "fstream",
        id="fstream_book_depth",
    ),
    pytest.param(
        '{"stream":"btc-251123-126000-c@depth@100ms","data":{"e":"depthUpdate","E":5,'
        '"s":"BTC-251123-126000-C","U":4,"u":5,"pu":3,"b":[["1100","0.6"]],"a":[]}}',
        "fstream",
        id="fstream_depth_update",
    ),
    pytest.param(
        '{"e":"bookTicker","E":5,"T":4,"u":2472,"s":"BTC-251226-110000-C","b":"5000",'
        '"B":"0.2","a":"5100","A":"0.1"}',
        "fstream",
        id="fstream_book_ticker",
    ),
    pytest.param(
        '{"e":"trade","E":5,"T":4,"s":"BTC-251123-126000-C","t":4,"p":"1300","q":"0.1",'
        '"X":"MARKET","S":"BUY","m":false}',
        "fstream",
        id="fstream_trade",
    ),
]  # fmt: skip


def _built_by_the_class(event: object) -> object:
    """The same event, built the ordinary way: by calling its class."""
    cls = type(event)
    return cls(**{f.name: getattr(event, f.name) for f in attrs.fields(cls)})


@pytest.mark.parametrize(("message", "endpoint"), FAST_BUILT_MESSAGES)
def test_parsed_events_are_ordinary_instances_of_their_class(message: str, endpoint: str) -> None:
    events = parse_message(message, endpoint=endpoint)
    assert events
    for event in events:
        ordinary = _built_by_the_class(event)
        assert type(event) is type(ordinary)
        assert type(event) in ALL_EVENT_CLASSES
        assert event == ordinary
        assert ordinary == event
        assert hash(event) == hash(ordinary)
        assert len({event, ordinary}) == 1
        assert repr(event) == repr(ordinary)
        assert repr(event).startswith(f"{type(event).__name__}(symbol=")
        assert attrs.asdict(event) == attrs.asdict(ordinary)
        assert not hasattr(event, "__dict__")


@pytest.mark.parametrize(("message", "endpoint"), FAST_BUILT_MESSAGES)
def test_parsed_events_are_immutable(message: str, endpoint: str) -> None:
    for event in parse_message(message, endpoint=endpoint):
        before = repr(event)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            event.symbol = "changed"  # type: ignore[misc]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            event.stream = "changed"  # type: ignore[misc]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            del event.symbol  # type: ignore[misc]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            event.__class__ = type(event)
        assert repr(event) == before


@pytest.mark.parametrize(("message", "endpoint"), FAST_BUILT_MESSAGES)
def test_parsed_events_pickle_copy_and_evolve(message: str, endpoint: str) -> None:
    for event in parse_message(message, endpoint=endpoint):
        cls = type(event)
        copies = [pickle.loads(pickle.dumps(event, p)) for p in range(pickle.HIGHEST_PROTOCOL + 1)]
        copies += [copy.copy(event), copy.deepcopy(event)]
        for copied in copies:
            assert type(copied) is cls
            assert copied == event
            assert hash(copied) == hash(event)
        evolved = attrs.evolve(event, stream="other")
        assert type(evolved) is cls
        assert evolved.stream == "other"
        assert evolved == attrs.evolve(_built_by_the_class(event), stream="other")
        assert event.stream != "other"


def test_the_ticker_fast_path_gives_what_the_tolerant_path_gives() -> None:
    # The spec's ticker is read by the strict fast path; a symbol that is not a
    # string, or a field the strict reads refuse, leaves the rest exactly as it was.
    data = json.loads(TICKER_EXAMPLE)
    assert parse_message(data) == [EXPECTED_TICKER]
    assert parse_message(dict(data, s=123)) == [attrs.evolve(EXPECTED_TICKER, symbol="123")]
    assert parse_message(dict(data, n="22.0")) == [EXPECTED_TICKER]
    assert parse_message(dict(data, eep=None)) == [
        attrs.evolve(EXPECTED_TICKER, estimated_exercise_price=None)
    ]
    for event in parse_message(dict(data, s=123)) + parse_message(dict(data, eep=None)):
        assert type(event) is Ticker
        assert type(event.symbol) is str
    # a field the exchange always sends, missing: the message is malformed
    with pytest.raises(MessageParseError, match="Ticker event without symbol"):
        parse_message(dict(data, s=None))
    with pytest.raises(MessageParseError, match="without last_price"):
        parse_message(dict(data, c="abc"))


_TRADE = {"E": 5, "s": "X", "t": 1, "p": "1", "q": "2", "T": 4}
_PARSED_TRADE = Trade(symbol="X", trade_id=1, price=1.0, quantity=2.0, trade_time=4, event_time=5)


@pytest.mark.parametrize(
    ("data", "raw", "enveloped"),
    [
        (dict(_TRADE, e="trade"), _PARSED_TRADE, attrs.evolve(_PARSED_TRADE, stream="ETH@trade")),
        # a null type: the stream names it, if there is one
        (
            dict(_TRADE, e=None),
            UnknownEvent(event_time=5),
            attrs.evolve(_PARSED_TRADE, stream="ETH@trade"),
        ),
        ({"e": 5, "p": "1"}, UnknownEvent("5"), UnknownEvent("5", stream="ETH@trade")),
        (
            {"e": ["trade"]},
            UnknownEvent("['trade']"),
            UnknownEvent("['trade']", stream="ETH@trade"),
        ),
        ({"e": "newType"}, UnknownEvent("newType"), UnknownEvent("newType", stream="ETH@trade")),
    ],
)
def test_the_event_type_picks_the_parser_raw_and_in_the_envelope(
    data: dict, raw: object, enveloped: object
) -> None:
    if isinstance(raw, UnknownEvent):
        raw = attrs.evolve(raw, data=data)
    if isinstance(enveloped, UnknownEvent):
        enveloped = attrs.evolve(enveloped, data=data)
    assert parse_message(json.dumps(data)) == [raw]
    assert parse_message(json.dumps({"stream": "ETH@trade", "data": data})) == [enveloped]


#: The parsers' checked constructors, by the class each builds.
WIRE_CONSTRUCTORS = {
    IndexPrice: _constructors.new_index_price,
    MarkPrice: _constructors.new_mark_price,
    Kline: _constructors.new_kline,
    NewSymbol: _constructors.new_new_symbol,
    OpenInterest: _constructors.new_open_interest,
    BookDepth: _constructors.new_book_depth,
    DepthUpdate: _constructors.new_depth_update,
    BookTicker: _constructors.new_book_ticker,
    Ticker: _constructors.new_ticker,
    Trade: _constructors.new_trade,
}


def _typed_signatures() -> dict:
    """The signatures the type checkers see for the constructors (the TYPE_CHECKING stubs)."""
    source = inspect.getsource(_constructors)
    [stubs] = [
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.If)
        and ast.unparse(node.test) == "TYPE_CHECKING"
        and any(isinstance(item, ast.FunctionDef) for item in node.body)
    ]
    return {
        node.name: (
            [(arg.arg, ast.unparse(arg.annotation)) for arg in node.args.args],
            ast.unparse(node.returns),
        )
        for node in stubs.body
        if isinstance(node, ast.FunctionDef)
    }


@pytest.mark.parametrize("cls", ALL_EVENT_CLASSES)
def test_each_constructor_takes_its_class_fields_in_order(cls: type) -> None:
    # mypy checks every parser's call against the typed signature; here, that the
    # signature follows the class (names, order, types), so that two fields of one
    # type cannot trade places unseen, and that the constructor takes those names.
    new = WIRE_CONSTRUCTORS[cls]
    names = [field.name for field in attrs.fields(cls)]
    assert list(inspect.signature(new).parameters) == names
    name = "new_" + re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()
    assert getattr(_constructors, name) is new
    parameters, returns = _typed_signatures()[name]
    assert returns == cls.__name__
    assert [parameter for parameter, _ in parameters] == names
    hints = typing.get_type_hints(cls)
    for (parameter, annotation), field in zip(parameters, attrs.fields(cls)):
        wanted = hints[field.name]
        if field.name in ("bids", "asks"):
            assert annotation == "Tuple[PriceLevel, ...]"
        else:  # what a tolerant reader gives: the type, or None
            assert annotation == f"Optional[{_base_type(wanted).__name__}]", parameter


@pytest.mark.parametrize("cls", ALL_EVENT_CLASSES)
def test_a_constructor_refuses_none_where_the_exchange_always_sends_a_value(
    cls: type,
) -> None:
    new = WIRE_CONSTRUCTORS[cls]
    complete = {name: _sample(cls, name) for name in ALWAYS_SENT[cls]}
    event = new(**complete, stream="s")
    assert type(event) is cls
    assert event == cls(**complete, stream="s")
    assert new(**complete).stream == ""  # a payload without its envelope
    for name in ALWAYS_SENT[cls]:
        with pytest.raises(MessageParseError, match=f"{cls.__name__} event on 's' without {name}"):
            new(**dict(complete, **{name: None}), stream="s")


def _sample(cls: type, name: str) -> object:
    kind = _base_type(typing.get_type_hints(cls)[name])
    return {str: "x", int: 7, float: 1.5, bool: True}[kind]


@pytest.mark.skipif(
    platform.python_implementation() != "CPython" or _constructors.FREE_THREADED,
    reason="the class swap is used on CPython with the GIL",
)
@pytest.mark.parametrize("cls", list(WIRE_CONSTRUCTORS))
def test_the_fast_constructors_are_in_use(cls: type) -> None:
    # A __weakref__ slot (attrs' default) would silently turn them back into the
    # classes, and every parse would be a fifth slower.
    assert "__weakref__" not in cls.__slots__
    new = WIRE_CONSTRUCTORS[cls]
    assert new is not cls
    fields = attrs.fields(cls)
    values = [f"v{i}" for i in range(len(fields))]
    assert type(new(*values)) is cls
    assert new(*values) == cls(*values)
    required = {name: f"r{name}" for name in ALWAYS_SENT[cls]}
    assert new(**required, stream="s") == cls(**required, stream="s")
    # Bad arguments raise what the class raises, word for word.
    for args, kwargs in [((*values, "one too many"), {}), ((), {"no_such_field": 1})]:
        with pytest.raises(TypeError) as by_class:
            cls(*args, **kwargs)
        with pytest.raises(TypeError) as by_new:
            new(*args, **kwargs)
        assert str(by_new.value) == str(by_class.value)


@attrs.frozen(weakref_slot=False)
class _Point:
    x: int
    y: typing.Optional[int] = None
    tags: list = attrs.field(factory=list)


@pytest.mark.skipif(
    platform.python_implementation() != "CPython" or _constructors.FREE_THREADED,
    reason="the class swap is used on CPython with the GIL",
)
def test_fast_constructor_builds_the_class_with_its_defaults() -> None:
    new = _constructors.fast_constructor(_Point)
    assert new is not _Point
    point = new(1)
    assert type(point) is _Point
    assert point == _Point(1)
    assert repr(point) == "_Point(x=1, y=None, tags=[])"
    assert new(1, tags=["a"]) == _Point(1, None, ["a"])
    assert new(1).tags is not new(1).tags  # a fresh default each time, as the class gives
    with pytest.raises(TypeError):
        new()  # x is required
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        point.x = 2  # type: ignore[misc]


@attrs.frozen  # with a __weakref__ slot, after the fields
class _WithWeakrefSlot:
    x: int = 0


@attrs.frozen(weakref_slot=False, slots=False)  # a __dict__ rather than slots
class _WithoutSlots:
    x: int = 0


@attrs.frozen(weakref_slot=False)
class _WithValidator:  # the twin would skip the validator
    x: int = attrs.field(default=0, validator=attrs.validators.instance_of(int))


@attrs.frozen(weakref_slot=False, init=False)
class _WithItsOwnInit:  # the twin would skip the __init__
    x: int = 0

    def __init__(self, x: int = 0) -> None:
        self.__attrs_init__(x * 2)


def test_fast_constructor_is_the_class_itself_without_the_gil(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without the GIL, a __class__ assignment stops every other thread: the class
    # builds its events itself, and they are the same.
    monkeypatch.setattr(_constructors, "FREE_THREADED", True)
    new = _constructors.fast_constructor(_Point)
    assert new is _Point
    assert new(1) == _Point(1)


@pytest.mark.parametrize("cls", [_WithWeakrefSlot, _WithoutSlots, _WithValidator, _WithItsOwnInit])
def test_fast_constructor_falls_back_to_the_class(cls: type) -> None:
    # Where the interpreter refuses the class swap (the layouts differ), or the twin
    # would not do what the class does, the constructor is the class itself.
    new = _constructors.fast_constructor(cls)
    assert new is cls
    assert new(1) == cls(1)
    assert type(new(1)) is cls


# --------------------------------------------------------------------------
# Messier messages: numbers as numbers or strings, exponents, ids as strings
# --------------------------------------------------------------------------


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


#: A key that ``_complete`` removes from the base payload.
_DROP = object()
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
        "24hrTicker": TICKER_EXAMPLE, "trade": TRADE_EXAMPLE, "depth": DEPTH_EXAMPLE,
        "kline": KLINE_EXAMPLE, "index": INDEX_EXAMPLE, "markPrice": MARK_PRICE_EXAMPLE,
        "OPTION_PAIR": NEW_SYMBOL_EXAMPLE, "openInterest": OPEN_INTEREST_EXAMPLE,
    }[payload["e"]]  # fmt: skip
    data = dict(_single(base))
    for key, value in payload.items():
        if value is _DROP:
            del data[key]
        elif key == "k" and isinstance(value, dict):
            data["k"] = dict(data["k"], **value)
        else:
            data[key] = value
    return data


SINGLE_EXAMPLES = [
    (NEW_SYMBOL_EXAMPLE, EXPECTED_NEW_SYMBOL),
    (KLINE_EXAMPLE, EXPECTED_KLINE),
    (INDEX_EXAMPLE, EXPECTED_INDEX),
    (TICKER_EXAMPLE, EXPECTED_TICKER),
    (TRADE_EXAMPLE, EXPECTED_TRADE),
    (DEPTH_EXAMPLE, EXPECTED_DEPTH),
    (OPEN_INTEREST_EXAMPLE, EXPECTED_OPEN_INTEREST),
]
SINGLE_IDS = ["new_symbol", "kline", "index", "ticker", "trade", "depth", "open_interest"]


def _single(text: str) -> dict:
    data = json.loads(text)
    return data[0] if isinstance(data, list) else data


@pytest.mark.parametrize(("text", "expected"), SINGLE_EXAMPLES, ids=SINGLE_IDS)
def test_numbers_as_json_numbers_parse_the_same(text: str, expected: object) -> None:
    data = _numbers_as_json_numbers(_single(text))
    assert parse_message(json.dumps(data)) == [expected]


@pytest.mark.parametrize(("text", "expected"), SINGLE_EXAMPLES, ids=SINGLE_IDS)
def test_numbers_as_json_strings_parse_the_same(text: str, expected: object) -> None:
    data = _numbers_as_strings(_single(text))
    assert parse_message(json.dumps(data)) == [expected]


@pytest.mark.parametrize(
    ("payload", "field", "expected"),
    [
        # exponent form, as strings and as numbers
        ({"e": "24hrTicker", "A": "1.6711317692476314E7"}, "quote_volume", 16711317.692476314),
        ({"e": "24hrTicker", "A": 1.6711317692476314e7}, "quote_volume", 16711317.692476314),
        ({"e": "24hrTicker", "g": "4.0E-5"}, "gamma", 0.00004),
        ({"e": "24hrTicker", "g": "4e-05"}, "gamma", 0.00004),
        ({"e": "24hrTicker", "E": "1.6577064252E12"}, "event_time", 1657706425200),
        ({"e": "24hrTicker", "E": 1.6577064252e12}, "event_time", 1657706425200),
        ({"e": "24hrTicker", "F": "2.7E1"}, "first_trade_id", 27),
        ({"e": "24hrTicker", "n": "22"}, "trade_count", 22),
        # zeros
        ({"e": "24hrTicker", "eep": "0.0"}, "estimated_exercise_price", 0.0),
        ({"e": "24hrTicker", "eep": "0"}, "estimated_exercise_price", 0.0),
        ({"e": "24hrTicker", "eep": 0}, "estimated_exercise_price", 0.0),
        ({"e": "24hrTicker", "n": "0.0"}, "trade_count", 0),
        ({"e": "24hrTicker", "n": 22.0}, "trade_count", 22),
        ({"e": "24hrTicker", "t": "-0.0"}, "theta", 0.0),
        # ids as strings, exact even beyond float precision
        ({"e": "trade", "t": "1"}, "trade_id", 1),
        ({"e": "trade", "b": "4611781675939004417"}, "buy_order_id", 4611781675939004417),
        ({"e": "trade", "a": 4611781675939004418}, "sell_order_id", 4611781675939004418),
        ({"e": "depth", "u": "162"}, "update_id", 162),
        # direction, signed
        ({"e": "trade", "S": "-1"}, "direction", -1),
        ({"e": "trade", "S": 1}, "direction", 1),
        ({"e": "trade", "S": "1"}, "direction", 1),
        # flags
        ({"e": "kline", "k": {"x": True}}, "is_closed", True),
        ({"e": "kline", "k": {"x": "true"}}, "is_closed", True),
        ({"e": "kline", "k": {"x": "false"}}, "is_closed", False),
        ({"e": "kline", "k": {"x": 0}}, "is_closed", False),
        ({"e": "kline", "k": {"x": 1}}, "is_closed", True),
        # the kline's symbol from "s", or from "k.s" when "s" is missing
        (
            {"e": "kline", "s": _DROP, "k": {"s": "BTC-200630-9000-P"}},
            "symbol",
            "BTC-200630-9000-P",
        ),
        ({"e": "kline", "s": "A", "k": {"s": "B"}}, "symbol", "A"),
        # unreadable values become None where a field may be None ...
        ({"e": "24hrTicker", "eep": "abc"}, "estimated_exercise_price", None),
        ({"e": "24hrTicker", "eep": ""}, "estimated_exercise_price", None),
        ({"e": "24hrTicker", "eep": None}, "estimated_exercise_price", None),
        ({"e": "24hrTicker", "eep": {"x": 1}}, "estimated_exercise_price", None),
        ({"e": "24hrTicker", "eep": [1]}, "estimated_exercise_price", None),
        ({"e": "trade", "b": "x"}, "buy_order_id", None),
        ({"e": "trade", "b": 1e999}, "buy_order_id", None),
        ({"e": "kline", "k": {"F": "1e999"}}, "first_trade_id", None),
        # ... and make the message malformed where the exchange always sends it
        ({"e": "24hrTicker", "c": "abc"}, "last_price", MALFORMED),
        ({"e": "24hrTicker", "c": ""}, "last_price", MALFORMED),
        ({"e": "24hrTicker", "c": None}, "last_price", MALFORMED),
        ({"e": "24hrTicker", "c": {"x": 1}}, "last_price", MALFORMED),
        ({"e": "24hrTicker", "c": [1]}, "last_price", MALFORMED),
        ({"e": "trade", "t": "x"}, "trade_id", MALFORMED),
        ({"e": "trade", "t": 1e999}, "trade_id", MALFORMED),
        ({"e": "trade", "t": "1e999"}, "trade_id", MALFORMED),
        ({"e": "trade", "p": 10**400}, "price", MALFORMED),
        ({"e": "kline", "k": {"x": "maybe"}}, "is_closed", MALFORMED),
        ({"e": "kline", "k": "not a dict"}, "open", MALFORMED),
        # strings stay strings, other scalars are written as text
        ({"e": "index", "s": 123}, "symbol", "123"),
    ],
)
def test_messy_values(payload: dict, field: str, expected: object) -> None:
    if expected is MALFORMED:  # a field the exchange always sends, unreadable
        with pytest.raises(MessageParseError, match=f"without .*{field}"):
            parse_message(json.dumps(_complete(payload)))
        return
    [event] = parse_message(json.dumps(_complete(payload)))
    value = getattr(event, field)
    assert value == expected
    if expected is not None:
        assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([["1.5", "2"], [1, 3]], ((1.5, 2.0), (1.0, 3.0))),
        ([["1.0E3", "8.9E1"]], ((1000.0, 89.0),)),
        ([["1", "2", "extra"]], ((1.0, 2.0),)),
        # one bad level does not spoil the book
        ([["x", "1"], ["2", "3"]], ((2.0, 3.0),)),
        ([["1"], None, 5, {}, ["2", "3"]], ((2.0, 3.0),)),
        ([[10**400, "1"], ["2", "3"]], ((2.0, 3.0),)),
        ([], ()),
        ("not a list", ()),
        (None, ()),
    ],
)
def test_depth_levels(levels: object, expected: tuple) -> None:
    [book] = parse_message(json.dumps(_complete({"e": "depth", "b": levels, "a": levels})))
    assert isinstance(book, BookDepth)
    assert book.bids == expected
    assert book.asks == expected
    assert type(book.bids) is tuple


@pytest.mark.parametrize(("text", "expected"), SINGLE_EXAMPLES, ids=SINGLE_IDS)
def test_extra_keys_are_ignored(text: str, expected: object) -> None:
    data = _single(text)
    extra = dict(data, zz="1", newKey={"nested": [1, 2]}, E2=5)
    if "k" in extra:
        extra["k"] = dict(extra["k"], zz="2")
    assert parse_message(json.dumps(extra)) == [expected]


@pytest.mark.parametrize(("text", "expected"), SINGLE_EXAMPLES, ids=SINGLE_IDS)
def test_a_missing_key_leaves_only_its_field_empty_or_the_message_malformed(
    text: str, expected: object
) -> None:
    cls = type(expected)
    _, keys = WIRE_KEYS[cls]
    for key, field in keys.items():
        data = _single(text)
        if key.startswith("k."):
            del data["k"][key[2:]]
        else:
            del data[key]
        if (cls, key) == (Kline, "s"):
            want = expected  # the kline's own "k.s" names the symbol too
        elif field in ALWAYS_SENT[cls]:
            with pytest.raises(MessageParseError, match=f"{cls.__name__} event without {field}"):
                parse_message(json.dumps(data))
            continue
        else:
            want = attrs.evolve(expected, **{field: () if field in ("bids", "asks") else None})
        assert parse_message(json.dumps(data)) == [want], key


@pytest.mark.parametrize("cls", EVENT_CLASSES)
def test_only_the_event_type_is_a_malformed_message_naming_what_it_lacks(cls: type) -> None:
    event_type, _ = WIRE_KEYS[cls]
    for message in (json.dumps({"e": event_type}), _envelope(json.dumps({"e": event_type}), "X")):
        with pytest.raises(MessageParseError) as info:
            parse_message(message)
        assert isinstance(info.value, ValueError)
        assert "malformed" in str(info.value)
        assert all(name in str(info.value) for name in ALWAYS_SENT[cls])


# --------------------------------------------------------------------------
# Envelopes and arrays
# --------------------------------------------------------------------------


def test_array_payload_gives_one_event_per_element_in_order() -> None:
    items = [
        {"e": "markPrice", "E": i, "s": f"ETH-220930-{1000 + i}-C", "mp": str(i)} for i in range(50)
    ]
    events = parse_message({"stream": "ETH@markPrice", "data": items})
    assert [event.symbol for event in events] == [item["s"] for item in items]  # type: ignore[union-attr]
    assert all(isinstance(event, MarkPrice) for event in events)
    assert {event.stream for event in events} == {"ETH@markPrice"}


@pytest.mark.parametrize("message", ["[]", '{"stream":"ETH@markPrice","data":[]}'])
def test_empty_array_gives_no_events(message: str) -> None:
    assert parse_message(message) == []


def test_raw_array_events_have_no_stream() -> None:
    events = parse_message(MARK_PRICE_EXAMPLE)
    assert [event.stream for event in events] == ["", ""]


@pytest.mark.parametrize(
    ("stream", "data", "cls"),
    [
        ("ETHUSDT@index", _untyped(INDEX_EXAMPLE), IndexPrice),
        ("ETH@markPrice", [_untyped(MARK_PRICE_EXAMPLE)], MarkPrice),
        ("option_pair", _untyped(NEW_SYMBOL_EXAMPLE), NewSymbol),
        ("ETH@openInterest@221125", [_untyped(OPEN_INTEREST_EXAMPLE)], OpenInterest),
        ("BTC-200630-9000-P@kline_1m", _untyped(KLINE_EXAMPLE), Kline),
        ("BTC-200630-9000-P@depth10@100ms", _untyped(DEPTH_EXAMPLE), BookDepth),
        ("BTC-200630-9000-P@ticker", _untyped(TICKER_EXAMPLE), Ticker),
        ("ETH@ticker@220930", [_untyped(TICKER_EXAMPLE)], Ticker),
        ("BTC-200630-9000-P@trade", _untyped(TRADE_EXAMPLE), Trade),
        ("ETH@trade", _untyped(TRADE_EXAMPLE), Trade),
    ],
)
def test_payload_without_event_type_is_read_by_its_stream(
    stream: str, data: object, cls: type
) -> None:
    [event] = parse_message({"stream": stream, "data": data})
    assert type(event) is cls
    assert event.stream == stream


def test_stream_that_is_not_a_string_is_dropped() -> None:
    [event] = parse_message({"stream": 5, "data": json.loads(INDEX_EXAMPLE)})
    assert event == EXPECTED_INDEX


# --------------------------------------------------------------------------
# Control and error replies
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # the spec's replies
        ('{  "result": null,  "id": 1}', ControlReply(id=1, result=None)),
        ('{  "result": null,  "id": 312}', ControlReply(id=312, result=None)),
        (
            '{  "result": [    "BTC-210630-9000-P@ticker"  ],  "id": 3}',
            ControlReply(id=3, result=["BTC-210630-9000-P@ticker"]),
        ),
        ('{  "result": null,  "id": 5}', ControlReply(id=5, result=None)),
        ('{  "result": true,  "id": 2}', ControlReply(id=2, result=True)),
        # ids as strings
        ('{"result": null, "id": "7"}', ControlReply(id=7, result=None)),
        ('{"result": false, "id": 8, "extra": 1}', ControlReply(id=8, result=False)),
    ],
)
def test_control_replies(message: str, expected: ControlReply) -> None:
    assert parse_message(message) == [expected]


def test_control_replies_with_different_results_differ() -> None:
    assert ControlReply(1, ["A@trade"]) != ControlReply(1, ["B@trade"])
    assert ControlReply(1, True) != ControlReply(1, None)
    assert hash(ControlReply(1, ["A@trade"])) == hash(ControlReply(1, ["A@trade"]))


SPEC_ERRORS = [
    (0, "Unknown property"),
    (1, "Invalid value type: expected Boolean"),
    (2, "Invalid request: property name must be a string"),
    (2, "Invalid request: request ID must be an unsigned integer"),
    (
        2,
        "Invalid request: unknown variant %s, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, "
        "`LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 column 28",
    ),
    (2, "Invalid request: too many parameters"),
    (2, "Invalid request: missing field `method` at line 1 column 73"),
    (3, "Invalid JSON: expected value at line %s column %s"),
]


@pytest.mark.parametrize(("code", "msg"), SPEC_ERRORS)
def test_spec_error_replies_without_and_with_id(code: int, msg: str) -> None:
    text = json.dumps({"code": code, "msg": msg})
    assert parse_message(text) == [ErrorReply(code=code, msg=msg, id=None)]
    with_id = json.dumps({"code": code, "msg": msg, "id": 9})
    assert parse_message(with_id) == [ErrorReply(code=code, msg=msg, id=9)]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('{"code":3,"msg":"Invalid JSON"}', ErrorReply(3, "Invalid JSON", None)),
        ('{"code":"2","msg":"bad","id":"4"}', ErrorReply(2, "bad", 4)),
        ('{"code":2,"msg":"bad","id":null}', ErrorReply(2, "bad", None)),
        # a code alone is an error too, never a successful reply
        ('{"code":2,"id":6}', ErrorReply(2, "", 6)),
        ('{"code":2}', ErrorReply(2, "", None)),
        # the nested form is an error too, never a successful reply
        (
            '{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":2}',
            ErrorReply(2, "Invalid request: invalid stream", 2),
        ),
        ('{"error":{"code":3,"msg":"Invalid JSON"}}', ErrorReply(3, "Invalid JSON", None)),
        ('{"error":"Invalid request","id":7}', ErrorReply(None, "Invalid request", 7)),
    ],
)
def test_error_reply_variants(message: str, expected: ErrorReply) -> None:
    assert parse_message(message) == [expected]


# --------------------------------------------------------------------------
# Unknown messages: kept, never an exception
# --------------------------------------------------------------------------


def test_unknown_event_type_is_kept_whole() -> None:
    data = {"e": "brandNewEvent", "E": 1700000000000, "x": [1, 2]}
    assert parse_message(json.dumps(data)) == [
        UnknownEvent(event_type="brandNewEvent", data=data, event_time=1700000000000, stream="")
    ]
    [wrapped] = parse_message({"stream": "ETH@brandNew", "data": data})
    assert wrapped == UnknownEvent("brandNewEvent", data, 1700000000000, "ETH@brandNew")


def test_unknown_events_with_different_data_differ() -> None:
    assert UnknownEvent("x", {"a": 1}) != UnknownEvent("x", {"a": 2})
    assert hash(UnknownEvent("x", {"a": 1})) == hash(UnknownEvent("x", {"a": 1}))


@pytest.mark.parametrize(
    "message",
    [
        "null",
        "true",
        "42",
        '"text"',
        "[1, [2], null]",
        "{}",
        '{"E": 5}',
        '{"e": 5}',
        '{"e": null}',
        '{"e": ["trade"]}',
        '{"stream": null, "data": null}',
        '{"stream": "ETH@markPrice", "data": [1, "x", null]}',
        '{"stream": "nonsense", "data": {"x": 1}}',
        '{"data": {"e": "trade"}}',
        '{"result": null}',
        '{"code": 2}',
        '{"error": "text", "id": 1}',
        "NaN",
    ],
)
def test_odd_json_never_raises(message: str) -> None:
    events = parse_message(message)
    assert isinstance(events, list)
    for event in events:
        assert isinstance(event, (*EVENT_CLASSES, UnknownEvent, ControlReply, ErrorReply))


@pytest.mark.parametrize(
    "message",
    [
        '{"e": "kline", "k": [1]}',
        '{"e": "depth", "b": "x", "a": [["1"]]}',
        '{"stream": "ETH@markPrice", "data": [1, "x", null, {"e": "markPrice"}]}',
        '{"e": "trade", "p": NaN, "q": Infinity, "t": -Infinity}',
    ],
)
def test_an_event_without_what_the_exchange_always_sends_raises_message_parse_error(
    message: str,
) -> None:
    with pytest.raises(MessageParseError, match="malformed"):
        parse_message(message)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("42", [UnknownEvent(None, 42)]),
        ("{}", [UnknownEvent(None, {})]),
        ('{"E": 5}', [UnknownEvent(None, {"E": 5}, event_time=5)]),
        ('{"e": 5}', [UnknownEvent("5", {"e": 5})]),
        ('[1, {"e": "x"}]', [UnknownEvent(None, 1), UnknownEvent("x", {"e": "x"})]),
    ],
)
def test_unknown_messages(message: str, expected: list) -> None:
    assert parse_message(message) == expected


# --------------------------------------------------------------------------
# Text that is not JSON
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "not json",
        "{",
        INDEX_EXAMPLE[:40],  # truncated
        '{"e":"trade",}',
        "{'e': 'trade'}",
        b"",
        b'{"e":"trade","s":"\xff\xfe"}',  # invalid UTF-8
        b"\xc3\x28",
        bytearray(b"{"),
        "[" * 100_000 + "]" * 100_000,  # nested beyond what the decoder can follow
    ],
    ids=[
        "empty",
        "blank",
        "words",
        "brace",
        "truncated",
        "trailing_comma",
        "single_quotes",
        "empty_bytes",
        "invalid_utf8",
        "invalid_utf8_2",
        "bytearray",
        "too_deep",
    ],
)
def test_text_that_is_not_json_raises_message_parse_error(message: object) -> None:
    with pytest.raises(MessageParseError) as exc:
        parse_message(message)
    assert isinstance(exc.value, ValueError)
    # Bytes that are not UTF-8 are said to be so: a text frame is UTF-8 by definition.
    utf8 = isinstance(exc.value.__cause__, UnicodeDecodeError)
    assert ("not UTF-8" if utf8 else "not JSON") in str(exc.value)
    # a bounded excerpt, for logs: the first 200 characters (bytes are shown as a repr)
    if isinstance(message, str):
        assert exc.value.text == message[:200]
    else:
        assert exc.value.text == repr(bytes(message[:200]))  # type: ignore[index]
    assert exc.value.__cause__ is not None


def test_message_parse_error_keeps_an_excerpt_of_the_text() -> None:
    with pytest.raises(MessageParseError) as exc:
        parse_message('{"e":"trade", oops')
    assert exc.value.text == '{"e":"trade", oops'
    with pytest.raises(MessageParseError) as exc:
        parse_message(b"\xff" * 500)
    assert exc.value.text.startswith("b'\\xff")


# --------------------------------------------------------------------------
# Docstring examples
# --------------------------------------------------------------------------


def test_docstring_examples_run() -> None:
    from binance_options_ws import endpoints

    results = [doctest.testmod(models), doctest.testmod(endpoints)]
    assert sum(result.attempted for result in results) >= 3
    assert sum(result.failed for result in results) == 0


@pytest.mark.parametrize(
    ("payload", "quantity", "direction"),
    [
        ({"q": "-2", "S": "-1"}, 2.0, -1),  # the documentation's example
        ({"q": "0.01", "S": "1"}, 0.01, 1),  # live: positive, direction in S
        ({"q": "0.01", "S": "-1"}, 0.01, -1),
        ({"q": "-3"}, 3.0, None),  # no S: no direction, and still a positive quantity
        ({"q": "-0.0", "S": "1"}, 0.0, 1),
    ],
)
def test_a_trade_quantity_is_never_negative(
    payload: dict, quantity: object, direction: object
) -> None:
    [trade] = parse_message(dict(_TRADE, e="trade", **payload))
    assert trade.quantity == quantity
    assert math.copysign(1.0, trade.quantity) == 1.0
    assert trade.direction == direction
