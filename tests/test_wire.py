"""Tests of binance_options_ws._wire: the one copy of the tolerant JSON value readers."""

from __future__ import annotations

import doctest
import math
from decimal import Decimal
from typing import Any, Callable, Dict

import attrs
import pytest
from spec_examples import SPEC_EXAMPLES

from binance_options_ws import MessageParseError, _wire, parse_message
from binance_options_ws._wire import (
    read_bool,
    read_decimal,
    read_float,
    read_int,
    read_levels,
    read_objects,
    read_size,
    read_str,
)

HUGE_DIGITS = "9" * 100_000
#: Values a hostile or broken peer may send where any field belongs.
JUNK: list = [
    None,
    True,
    False,
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308 * 10,
    10**400,
    "1e999",
    "-1e999",
    "1e999999999",
    "-1e-999999999",
    "NaN",
    "Infinity",
    "",
    " ",
    "abc",
    "0x1A",
    HUGE_DIGITS,
    "x" * 1_000_000,
    {},
    {"a": 1},
    [],
    [1, 2],
    [[["deep"]]],
    object(),
    b"12",
    Decimal("NaN"),
]

READERS: list = [read_float, read_int, read_size, read_str, read_bool, read_decimal, read_levels]


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
@pytest.mark.parametrize("value", JUNK, ids=lambda v: repr(v)[:20])
def test_no_reader_raises_on_junk(reader: Callable[[Any], Any], value: Any) -> None:
    reader(value)  # must not raise, whatever the value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.5", 1.5),
        (2, 2.0),
        ("1.6711317692476314E7", 16711317.692476314),
        ("0.0", 0.0),
        ("-2", -2.0),
        (True, None),  # a boolean is not a number
        (None, None),
        ("", None),
        ("abc", None),
        ({"a": 1}, None),
        ([1], None),
        (10**400, None),  # beyond a float
    ],
)
def test_read_float(value: Any, expected: Any) -> None:
    assert read_float(value) == expected


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-Infinity", "1e999", math.nan, -math.inf])
def test_a_number_that_is_not_finite_is_not_a_number(value: object) -> None:
    # A non-finite price is not a price: a missing value, not NaN passed on as data.
    assert read_float(value) is None
    assert read_size(value) is None
    assert read_int(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("27", 27),
        (27, 27),
        ("27.0", 27),
        (27.9, None),  # not the id 27
        ("27.9", None),
        ("1e-8", None),  # not the count 0
        ("2.7E1", 27),
        (1e3, 1000),
        ("1.6711317692476314E7", None),
        ("4647850284614262784", 4647850284614262784),  # a live order id, exact
        (True, None),
        (1e999, None),
        (float("nan"), None),
        ("1e999", None),
        (HUGE_DIGITS, None),
        ([27], None),
        (None, None),
    ],
)
def test_read_int(value: Any, expected: Any) -> None:
    assert read_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("BTC", "BTC"), (None, None), (5, "5"), (1.5, "1.5"), (["x"], "['x']")],
)
def test_read_str(value: Any, expected: Any) -> None:
    assert read_str(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("FALSE", False),
        ("yes", True),
        ("0", False),
        (1, True),
        (0.0, False),
        ("maybe", None),
        (None, None),
        ([True], None),
    ],
)
def test_read_bool(value: Any, expected: Any) -> None:
    assert read_bool(value) == expected


def test_read_levels_skips_bad_levels_only() -> None:
    levels = [["1", "2"], ["x", "1"], [3], "junk", None, {"0": 1}, [4, "5.5"], ["1e999", "1"]]
    levels += [[True, "1"], ["1", False], ["NaN", "1"], ["1", "-inf"], ["6", "7"]]
    assert read_levels(levels) == ((1.0, 2.0), (4.0, 5.5), (6.0, 7.0))
    assert read_levels("not a list") == ()
    assert read_levels(None) == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4000.0000", Decimal(4000)),
        ("1E+5", Decimal(100000)),
        (0.5, Decimal("0.5")),
        (" 12 ", Decimal(12)),
        ("NaN", None),
        ("1e999", None),  # more digits than a Decimal context holds
        (10**400, None),
        ("Infinity", None),
        (True, None),
        ([1], None),
        ("abc", None),
    ],
)
def test_read_decimal(value: Any, expected: Any) -> None:
    assert read_decimal(value) == expected


def test_read_objects_keeps_only_objects() -> None:
    assert list(read_objects([{"a": 1}, 2, None, [], {"b": 2}])) == [{"a": 1}, {"b": 2}]
    assert list(read_objects({"a": 1})) == []


def test_docstring_examples_run() -> None:
    result = doctest.testmod(_wire)
    assert result.attempted >= 1
    assert result.failed == 0


@pytest.mark.parametrize(
    ("value", "expected"), [("-2", 2.0), ("0.01", 0.01), (-0.0, 0.0), (True, None), ("x", None)]
)
def test_read_size_is_never_negative(value: Any, expected: Any) -> None:
    size = read_size(value)
    assert size == expected
    assert size is None or math.copysign(1.0, size) == 1.0


# ---------------------------------------------------------------- junk in real payloads

# The documentation's ticker example.
TICKER: Dict[str, Any] = SPEC_EXAMPLES["24hrTicker"]


@pytest.mark.parametrize(
    ("key", "junk", "field"),
    [
        ("mp", "NaN", "mark_price"),
        ("mp", "Infinity", "mark_price"),
        ("bo", "inf", "best_bid_price"),
        ("d", "-inf", "delta"),
        ("vo", 1e999, "mark_iv"),
    ],
)
def test_a_ticker_number_that_is_not_finite_is_missing(key: str, junk: object, field: str) -> None:
    # The busiest payload has a fast path of its own: it must read what the readers read.
    [ticker] = parse_message({"stream": "x@ticker", "data": {**TICKER, key: junk}})
    assert getattr(ticker, field) is None
    assert ticker.last_price == 2020.0  # the rest of the event is kept


@pytest.mark.parametrize(
    ("key", "junk"),
    [
        ("c", "NaN"),  # a last price that is not a price
        ("F", 27.9),  # an id that is not whole is not the id 27
        ("L", "27.9"),
        ("n", True),  # true is not the count 1
        ("n", "1e-8"),  # nor 0
        ("E", 1.5),
    ],
)
def test_junk_in_a_ticker_field_it_always_has_makes_the_message_malformed(
    key: str, junk: object
) -> None:
    with pytest.raises(MessageParseError):
        parse_message({"stream": "x@ticker", "data": {**TICKER, key: junk}})


def test_the_ticker_fast_path_and_the_readers_agree_on_a_clean_message() -> None:
    [fast] = parse_message({"stream": "x@ticker", "data": TICKER})
    # Without "eep" the fast path gives up and the tolerant readers read the rest.
    without = {k: v for k, v in TICKER.items() if k != "eep"}
    [slow] = parse_message({"stream": "x@ticker", "data": without})
    assert slow.estimated_exercise_price is None
    assert attrs.evolve(slow, estimated_exercise_price=0.0) == fast
    assert (fast.first_trade_id, fast.trade_count, fast.mark_price) == (27, 22, 2003.5102)
