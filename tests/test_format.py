"""Events as text and as JSON-ready data (:mod:`binance_options_ws.format`): tables, no server."""

from __future__ import annotations

import ast
import datetime as dt
import json
import math
import typing
from pathlib import Path
from typing import List, Optional, Tuple

import pytest

import binance_options_ws.format as format_module
from binance_options_ws import (
    BookDepth,
    BookTicker,
    DepthUpdate,
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    Ticker,
    Trade,
    UnknownEvent,
    cli,
    models,
)
from binance_options_ws.format import (
    event_to_dict,
    event_to_json,
    format_count,
    format_event,
    format_number,
    format_percent,
    format_time,
)
from binance_options_ws.models import Event

TIME = 1_767_614_400_123  # 2026-01-05 12:00:00.123 UTC

# --------------------------------------------------------------------------
# One readable line per event, every event class
# --------------------------------------------------------------------------


SYMBOL = "BTC-260106-100000-C"
FORMATS: List[Tuple[Event, List[str]]] = [
    (IndexPrice("BTCUSDT", 100919.48851611, TIME, "BTCUSDT@index"), ["price 100919.49"]),
    (
        MarkPrice(SYMBOL, 3774.76, event_time=TIME, stream="BTC@markPrice"),
        [f"BTC@markPrice  {SYMBOL}  mark 3774.76"],
    ),
    (
        Kline(
            SYMBOL,
            "1m",
            TIME - 123,
            TIME + 59_876,
            4100.0,
            4110.0,
            3990.0,
            3990.0,
            0.84,
            trade_count=5,
            is_closed=False,
            event_time=TIME,
            stream=f"{SYMBOL}@kline_1m",
        ),
        ["1m from", "open 4100", "high 4110", "low 3990", "close 3990", "trades 5", "(open)"],
    ),
    (
        NewSymbol(
            SYMBOL,
            "BTCUSDT",
            "USDT",
            "CALL",
            100000.0,
            1767686400000,
            1,
            0.01,
            event_time=TIME,
            stream="option_pair",
        ),
        [SYMBOL, "listed: CALL strike 100000", "expires 2026-01-06 08:00 UTC"],
    ),
    (
        OpenInterest(SYMBOL, 2.82, 292548.06405948, TIME, "BTC@openInterest@260106"),
        [SYMBOL, "open interest 2.82 contracts (292548.06 USDT)"],
    ),
    (
        BookDepth(
            SYMBOL,
            ((4010.0, 1.08), (4000.0, 1.0)),
            ((4075.0, 0.09),),
            event_time=TIME,
            stream=f"{SYMBOL}@depth10",
        ),
        ["bid 4010 x 1.08", "ask 4075 x 0.09", "spread 65", "(2 bids, 1 asks)"],
    ),
    (
        BookDepth(SYMBOL, (), (), event_time=TIME, stream=f"{SYMBOL}@depth10"),
        ["bid -  ask -", "(0 bids, 0 asks)"],
    ),
    (
        Ticker(
            SYMBOL,
            last_price=3990.0,
            best_bid_price=4010.0,
            best_ask_price=4075.0,
            mark_price=4042.47,
            mark_iv=0.61149939,
            delta=0.84823777,
            volume=14.63,
            event_time=TIME,
            stream=f"{SYMBOL}@ticker",
        ),
        ["last 3990", "bid 4010", "ask 4075", "mark 4042.47", "iv 61.1%", "delta 0.848"],
    ),
    (
        Ticker(SYMBOL, last_price=3990.0, event_time=TIME, stream="BTC@ticker@260106"),
        [SYMBOL, "last 3990", "iv -"],  # fstream's ticker has no implied volatility
    ),
    (
        Trade(
            SYMBOL,
            106,
            1280.0,
            1.65,
            direction=1,
            trade_type="MARKET",
            event_time=TIME,
            stream="BTC@trade",
        ),
        [SYMBOL, "1.65 @ 1280", "direction +1", "MARKET", "id 106"],
    ),
    (
        UnknownEvent("future", {"e": "future", "x": 1}, TIME, "BTCUSDT@index"),
        ["unknown event type 'future'", '"x":1'],
    ),
    # The fstream flavour: shared classes with other fields set, and two new classes.
    (
        IndexPrice("BTCUSDT", 100919.48851611, TIME, "!index@arr"),
        ["!index@arr  BTCUSDT  price 100919.49"],
    ),
    (
        Ticker(
            SYMBOL,
            last_price=200.0,
            price_change=-12.5,
            weighted_average_price=205.25,
            volume=9.0,
            quote_volume=1800.0,
            trade_count=9,
            open_time=TIME - 86_400_000,
            close_time=TIME,
            event_time=TIME,
            stream=f"{SYMBOL.lower()}@optionTicker",
        ),
        ["last 200", "change -12.5", "volume 9", "weighted avg 205.25", "trades 9"],
    ),
    (
        MarkPrice(
            SYMBOL,
            5050.0,
            index_price=100000.5,
            best_bid_price=5000.0,
            best_ask_price=5100.0,
            mark_iv=0.55,
            delta=0.4512,
            event_time=TIME,
            stream="btcusdt@optionMarkPrice",
        ),
        [f"{SYMBOL}  mark 5050", "bid 5000", "ask 5100", "iv 55.0%", "delta 0.451", "index"],
    ),
    (
        Trade(
            SYMBOL,
            200,
            1420.0,
            1.54,
            side="SELL",
            is_buyer_maker=True,
            trade_type="MARKET",
            event_time=TIME,
            stream="btcusdt@optionTrade",
        ),
        [SYMBOL, "1.54 @ 1420  SELL  MARKET  id 200"],
    ),
    (
        BookTicker(
            SYMBOL, 5000.0, 0.2, 5100.0, 0.1, 2472, TIME, TIME, f"{SYMBOL.lower()}@bookTicker"
        ),
        ["bid 5000 x 0.2", "ask 5100 x 0.1", "spread 100"],
    ),
    (
        DepthUpdate(
            SYMBOL,
            ((5000.0, 1.0), (4900.0, 0.0)),
            ((5100.0, 2.0),),
            100,
            105,
            99,
            TIME,
            TIME,
            f"{SYMBOL.lower()}@depth@100ms",
        ),
        ["2 bid and 1 ask levels changed", "update 100..105", "pu 99"],
    ),
    (
        BookDepth(
            SYMBOL,
            ((5000.0, 1.0),),
            ((5100.0, 2.0),),
            100,
            105,
            99,
            TIME,
            TIME,
            f"{SYMBOL.lower()}@depth10@100ms",
        ),
        ["bid 5000 x 1", "ask 5100 x 2", "(1 bids, 1 asks)"],
    ),
    (
        NewSymbol(
            SYMBOL,
            "BTCUSDT",
            "USDT",
            "CALL",
            100000.0,
            1767686400000,
            1.0,
            onboard_time=TIME,
            status="TRADING",
            event_time=TIME,
            stream="!optionSymbol",
        ),
        [SYMBOL, "listed: CALL strike 100000", "on BTCUSDT", "status TRADING"],
    ),
]


@pytest.mark.parametrize(("event", "expected"), FORMATS, ids=lambda v: type(v).__name__)
def test_format_event_shows_the_fields_that_matter(event: Event, expected: List[str]) -> None:
    line = format_event(event)
    assert "\n" not in line
    assert line[2] == line[5] == ":"  # local HH:MM:SS.mmm
    assert line[8] == "."
    assert event.stream is not None
    assert line[14:].startswith(event.stream)
    for text in expected:
        assert text in line


@pytest.mark.parametrize(("event", "expected"), FORMATS, ids=lambda v: type(v).__name__)
def test_format_event_never_prints_none(event: Event, expected: List[str]) -> None:
    # Fields one endpoint does not send are None: left out or "-", never "None".
    assert "None" not in format_event(event)


@pytest.mark.parametrize("stream", [f"{SYMBOL}@ticker", f"{SYMBOL.lower()}@optionTicker"])
def test_the_symbol_is_not_repeated_when_the_stream_names_it(stream: str) -> None:
    line = format_event(Ticker(SYMBOL, event_time=TIME, stream=stream))
    assert line.upper().count(SYMBOL) == 1


def test_an_fstream_ticker_leaves_out_the_greeks_it_does_not_have() -> None:
    line = format_event(
        Ticker(SYMBOL, last_price=200.0, weighted_average_price=205.0, stream="x@optionTicker")
    )
    for absent in ("bid", "ask", "mark", "iv", "delta"):
        assert f" {absent} " not in line


def test_an_nbstream_trade_shows_its_direction_and_an_fstream_trade_its_side() -> None:
    nb = format_event(Trade(SYMBOL, 1, 2.0, -3.0, direction=-1, stream="BTC@trade"))
    fs = format_event(Trade(SYMBOL, 1, 2.0, 3.0, side="BUY", stream="btcusdt@optionTrade"))
    assert "direction -1" in nb
    assert "  BUY  " in fs
    assert "direction" not in fs


def test_stream_width_aligns_the_columns() -> None:
    short = format_event(IndexPrice("BTCUSDT", 1.0, TIME, "BTCUSDT@index"), stream_width=20)
    long = format_event(Trade(SYMBOL, 1, 2.0, 3.0, stream="BTC@trade"), stream_width=20)
    assert short.index("price") == long.index(SYMBOL) == 14 + 20 + 2


@pytest.mark.parametrize(("event", "expected"), FORMATS, ids=lambda v: type(v).__name__)
def test_event_to_dict_is_json_with_every_field(event: Event, expected: List[str]) -> None:
    data = json.loads(json.dumps(event_to_dict(event)))
    assert data["type"] == type(event).__name__
    assert set(data) == {"type", *(f.name for f in type(event).__attrs_attrs__)}  # type: ignore[union-attr]


def test_event_to_dict_turns_non_finite_numbers_into_null() -> None:
    data = event_to_dict(IndexPrice("BTCUSDT", float("nan"), TIME, "BTCUSDT@index"))
    assert json.dumps(data, allow_nan=False)
    assert data["price"] is None


def test_every_event_class_has_a_row_in_the_table() -> None:
    shown = {type(event) for event, _ in FORMATS}
    assert shown == set(typing.get_args(models.Event))


@pytest.mark.parametrize(("event", "expected"), FORMATS, ids=lambda v: type(v).__name__)
def test_event_to_json_is_one_line_of_event_to_dict(event: Event, expected: List[str]) -> None:
    line = event_to_json(event)
    assert "\n" not in line
    assert json.loads(line) == json.loads(json.dumps(event_to_dict(event)))


def test_event_to_json_is_strict_json_even_for_non_finite_numbers() -> None:
    line = event_to_json(Ticker("X", mark_iv=float("inf"), delta=float("-inf"), stream="X@ticker"))
    data = json.loads(line, parse_constant=lambda name: pytest.fail(f"{name} in {line}"))
    assert data["mark_iv"] is None
    assert data["delta"] is None


# --------------------------------------------------------------------------
# The values a line is made of
# --------------------------------------------------------------------------

NUMBERS: List[Tuple[Optional[float], int, str]] = [
    (100919.48851611, 8, "100919.49"),
    (0.84823777, 3, "0.848"),
    (-12.5, 8, "-12.5"),
    (4000.0, 8, "4000"),
    (123456789012.0, 8, "123456789012"),  # more digits than asked: no exponent
    (0.00001234, 8, "0.00001234"),
    (0.0, 8, "0"),
    (None, 8, "-"),
    (math.nan, 8, "-"),
    (math.inf, 8, "-"),
]


@pytest.mark.parametrize(("value", "digits", "expected"), NUMBERS)
def test_format_number(value: Optional[float], digits: int, expected: str) -> None:
    assert format_number(value, digits) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.61149939, "61.1%"), (0.55, "55.0%"), (1.5, "150.0%"), (None, "-"), (math.nan, "-")],
)
def test_format_percent(fraction: Optional[float], expected: str) -> None:
    assert format_percent(fraction) == expected


def test_format_time_is_the_local_time_of_day_with_milliseconds() -> None:
    local = dt.datetime.fromtimestamp(TIME / 1000)
    assert format_time(TIME) == f"{local:%H:%M:%S}.123"
    now = format_time()
    assert len(now) == 12
    assert now[2] == now[5] == ":"
    assert now[8] == "."


# --------------------------------------------------------------------------
# Where the functions live
# --------------------------------------------------------------------------


def test_the_command_line_keeps_its_names_for_the_same_functions() -> None:
    assert cli.format_event is format_event
    assert cli.event_to_dict is event_to_dict


def test_the_module_is_pure_it_imports_only_the_models_and_the_standard_library() -> None:
    tree = ast.parse(Path(format_module.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    ours = {name for name in imported if name.startswith(".")}
    others = {name.split(".")[0] for name in imported if not name.startswith(".")}
    assert ours == {".models"}  # not the client, the connection or the command line
    assert others <= {"__future__", "datetime", "json", "math", "typing", "attrs"}


def test_a_trade_without_a_type_prints_none() -> None:
    # Live nbstream trades carry no "X": the line leaves the type out rather than print "-".
    line = format_event(Trade(symbol=SYMBOL, trade_id=7, price=5.0, quantity=0.5, direction=-1))
    assert line.endswith("0.5 @ 5  direction -1  id 7")


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "0 files"), (1, "1 file"), (2, "2 files"), (1000, "1000 files")]
)
def test_format_count(count: int, expected: str) -> None:
    assert format_count(count, "file") == expected
