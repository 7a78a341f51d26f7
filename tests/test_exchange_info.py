"""Parsing exchangeInfo and the helpers that answer "which symbols can I subscribe to?".

``tests/data/exchange_info.json`` is hand-written in the shape of a 2026 live
response (``status``, ``contractType``, ``underlyingType`` and ``nakedSell`` present,
``makerFeeRate``/``takerFeeRate`` gone, strikes as ``"100000.00000000"``, extra
``id`` keys). Its ``serverTime`` is 2026-09-20 12:00 UTC, so the BTC options
expiring 2026-09-20 08:00 UTC have already expired.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict

import pytest

from binance_options_ws import streams
from binance_options_ws.exceptions import InvalidResponseError, InvalidStreamError
from binance_options_ws.exchange_info import (
    ExchangeInfo,
    LotSize,
    OptionAsset,
    OptionContract,
    PriceFilter,
    RateLimit,
    parse_exchange_info,
)
from binance_options_ws.streams import OptionSide, OptionSymbol

FIXTURE = Path(__file__).parent / "data" / "exchange_info.json"


def _raw() -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def info() -> ExchangeInfo:
    return parse_exchange_info(_raw())


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


def test_top_level_fields(info: ExchangeInfo) -> None:
    assert info.timezone == "UTC"
    assert info.server_time == 1789905600000
    assert info.option_assets == (OptionAsset("USDT"),)
    assert info.option_contracts[0] == OptionContract("BTCUSDT", "BTC", "USDT", "USDT")
    assert info.rate_limits[0] == RateLimit("REQUEST_WEIGHT", "MINUTE", 1, 6000)
    assert len(info.rate_limits) == 3
    assert len(info.option_symbols) == 17


def test_symbol_fields_and_filters(info: ExchangeInfo) -> None:
    eth = next(s for s in info.option_symbols if s.symbol == "ETH-260925-4000-P")
    assert eth.option_symbol == OptionSymbol.parse("ETH-260925-4000-P")
    assert eth.underlying == "ETHUSDT"
    assert eth.side is OptionSide.PUT
    assert eth.strike_price == Decimal("4000")
    assert str(eth.strike_price) == "4000"  # "4000.00000000" loses its noise zeros
    assert eth.expiration_time == 1790323200000
    assert eth.unit == 1.0
    assert eth.quote_asset == "USDT"
    assert (eth.min_quantity, eth.max_quantity) == (0.01, 500.0)
    assert eth.initial_margin == 0.15
    assert eth.min_maintenance_margin == 0.05
    assert (eth.price_scale, eth.quantity_scale) == (1, 2)
    assert eth.status == "TRADING"
    assert eth.contract_type == "CRYPTO_OPTIONS"
    assert eth.underlying_type == "CRYPTO"
    assert eth.maker_fee_rate is None  # dropped from 2026 responses
    assert eth.price_filter == PriceFilter(min_price=0.1, max_price=1000.0, tick_size=0.1)
    assert eth.lot_size == LotSize(min_quantity=0.01, max_quantity=500.0, step_size=0.01)


def test_decimal_strikes_stay_exact(info: ExchangeInfo) -> None:
    doge = next(s for s in info.option_symbols if s.symbol == "DOGE-260925-0.3-C")
    assert doge.strike_price == Decimal("0.3")
    assert doge.option_symbol is not None
    assert doge.option_symbol.strike == Decimal("0.3")
    assert doge.option_symbol.name == "DOGE-260925-0.3-C"


def test_documentation_era_shape_with_numbers_extra_and_missing_fields() -> None:
    # The shape of the original documentation, with numbers where strings were
    # documented, keys the parser does not know, and keys left out.
    data = {
        "timezone": "UTC",
        "brandNewTopLevelKey": {"anything": [1, 2]},
        "optionContracts": [{"id": 1, "baseAsset": "BTC", "underlying": "BTCUSDT"}],
        "optionSymbols": [
            {
                "contractId": 1,
                "underlying": "BTCUSDT",
                "symbol": "BTC-220815-50000-C",
                "unit": 1,
                "minQty": 1,
                "side": "CALL",
                "leverage": 0,
                "strikePrice": 50000,
                "makerFeeRate": "0.0002",
                "takerFeeRate": 0.0003,
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": "0.02", "tickSize": "0.01"},
                    {"filterType": "PERCENT_PRICE", "multiplierUp": "5"},
                ],
            }
        ],
    }
    info = parse_exchange_info(data)
    assert info.server_time is None
    assert info.rate_limits == ()
    assert info.option_assets == ()
    (symbol,) = info.option_symbols
    assert symbol.strike_price == Decimal("50000")
    assert symbol.min_quantity == 1.0
    assert (symbol.maker_fee_rate, symbol.taker_fee_rate) == (0.0002, 0.0003)
    assert symbol.expiration_time is None
    assert symbol.status is None
    assert symbol.quote_asset is None
    assert symbol.price_filter == PriceFilter(min_price=0.02, max_price=None, tick_size=0.01)
    assert symbol.lot_size is None
    assert info.option_contracts == (OptionContract("BTCUSDT", "BTC", None, None),)


def test_unreadable_values_become_none() -> None:
    info = parse_exchange_info(
        {
            "serverTime": "soon",
            "optionSymbols": [
                {
                    "symbol": "BTC-260925-100000-C",
                    "side": "SIDEWAYS",
                    "strikePrice": "n/a",
                    "expiryDate": None,
                    "minQty": [],
                    "priceScale": True,
                    "filters": "none",
                }
            ],
        }
    )
    assert info.server_time is None
    (symbol,) = info.option_symbols
    assert symbol.side is None
    assert symbol.strike_price is None
    assert symbol.expiration_time is None
    assert symbol.min_quantity is None
    assert symbol.price_scale is None
    assert symbol.price_filter is None
    # The symbol text still parses, so the option is usable for streams.
    assert info.symbols() == [OptionSymbol.parse("BTC-260925-100000-C")]


def test_stray_entries_are_skipped() -> None:
    info = parse_exchange_info(
        {
            "optionSymbols": [
                "BTC-260925-100000-C",
                None,
                {"side": "CALL"},
                {"symbol": ""},
                {"symbol": "ETH-260925-4000-C"},
            ],
            "rateLimits": {"not": "a list"},
            "optionAssets": [42, {"name": "USDT"}],
        }
    )
    assert [s.symbol for s in info.option_symbols] == ["ETH-260925-4000-C"]
    assert info.rate_limits == ()
    assert info.option_assets == (OptionAsset("USDT"),)


def test_symbol_in_an_unknown_format_is_kept_but_not_offered() -> None:
    info = parse_exchange_info(
        {
            "optionSymbols": [
                {"symbol": "AAPLX-OPT-2026", "underlying": "AAPLUSDT"},
                {"symbol": "ETH-260925-4000-C", "underlying": "ETHUSDT"},
            ]
        }
    )
    odd = info.option_symbols[0]
    assert odd.symbol == "AAPLX-OPT-2026"
    assert odd.option_symbol is None
    assert info.underlyings() == ["ETH"]
    assert [str(s) for s in info.symbols()] == ["ETH-260925-4000-C"]


@pytest.mark.parametrize("body", [[], "exchangeInfo", None, 3])
def test_a_body_that_is_not_an_object_is_rejected(body: Any) -> None:
    with pytest.raises(InvalidResponseError, match="JSON object"):
        parse_exchange_info(body)


def test_repr_is_short_enough_for_a_notebook(info: ExchangeInfo) -> None:
    text = repr(info)
    assert "option_symbols=<17>" in text
    assert "['BTC', 'DOGE', 'ETH']" in text
    assert "PriceFilter" not in text


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def test_underlyings_are_base_assets(info: ExchangeInfo) -> None:
    assert info.underlyings() == ["BTC", "DOGE", "ETH"]


@pytest.mark.parametrize("name", ["BTC", "btc", "BTCUSDT", "btcusdt"])
def test_helpers_accept_base_asset_or_pair(info: ExchangeInfo, name: str) -> None:
    assert info.expirations(name) == [
        dt.date(2026, 9, 20),
        dt.date(2026, 9, 21),
        dt.date(2026, 9, 25),
        dt.date(2026, 12, 25),
    ]


def test_symbols_of_one_expiry_in_chain_order(info: ExchangeInfo) -> None:
    names = [str(s) for s in info.symbols("BTC", "260921")]
    assert names == [
        "BTC-260921-95000-C",
        "BTC-260921-95000-P",
        "BTC-260921-100000-C",
        "BTC-260921-100000-P",
        "BTC-260921-105000-C",
        "BTC-260921-105000-P",
    ]


@pytest.mark.parametrize("side", ["P", "put", "PUT", OptionSide.PUT])
def test_symbols_by_side(info: ExchangeInfo, side: Any) -> None:
    puts = info.symbols("BTC", dt.date(2026, 9, 21), side=side)
    assert len(puts) == 3
    assert all(symbol.is_put for symbol in puts)


def test_symbols_without_filters_lists_everything_sorted(info: ExchangeInfo) -> None:
    everything = info.symbols()
    assert len(everything) == 17
    assert everything == sorted(everything)
    assert {s.underlying for s in everything} == {"BTC", "DOGE", "ETH"}


def test_symbols_by_expiration_across_underlyings(info: ExchangeInfo) -> None:
    names = {str(s) for s in info.symbols(expiration="261225")}
    assert names == {"BTC-261225-120000-C"}


def test_symbols_feed_the_stream_builders(info: ExchangeInfo) -> None:
    symbol = info.symbols("ETH", "260925", side="C")[0]
    assert isinstance(symbol, OptionSymbol)
    assert streams.ticker(symbol) == "ETH-260925-4000-C@ticker"
    listed = {s.symbol for s in info.option_symbols}
    assert {str(s) for s in info.symbols()} == listed  # names match the exchange's exactly


def test_nearest_expiration_skips_what_expired_before_server_time(info: ExchangeInfo) -> None:
    # 260920 expired at 08:00 UTC; serverTime is 12:00 UTC the same day.
    assert info.nearest_expiration("BTC") == dt.date(2026, 9, 21)
    assert info.nearest_expiration("ethusdt") == dt.date(2026, 9, 25)


def test_nearest_expiration_without_server_time_is_the_earliest() -> None:
    data = _raw()
    del data["serverTime"]
    assert parse_exchange_info(data).nearest_expiration("BTC") == dt.date(2026, 9, 20)


def test_nearest_expiration_without_expiry_times_compares_dates() -> None:
    data = _raw()
    for symbol in data["optionSymbols"]:
        del symbol["expiryDate"]
    # Server date is 2026-09-20: an option expiring that day still counts.
    assert parse_exchange_info(data).nearest_expiration("BTC") == dt.date(2026, 9, 20)


def test_nearest_expiration_when_everything_expired() -> None:
    data = _raw()
    data["serverTime"] = 1900000000000  # 2030
    with pytest.raises(InvalidStreamError, match="already expired"):
        parse_exchange_info(data).nearest_expiration("BTC")


def test_strikes_near_a_price(info: ExchangeInfo) -> None:
    strikes = info.strikes_near("BTC", "260921", price=101_000, count=2)
    assert strikes == [Decimal("100000"), Decimal("105000")]
    at_strikes = [s for s in info.symbols("BTC", "260921") if s.strike in strikes]
    assert len(at_strikes) == 4


def test_strikes_near_breaks_ties_towards_the_lower_strike(info: ExchangeInfo) -> None:
    assert info.strikes_near("BTC", "260921", price=97_500, count=1) == [Decimal("95000")]


def test_strikes_near_returns_all_when_fewer_are_listed(info: ExchangeInfo) -> None:
    assert info.strikes_near("ETH", "260925", price=Decimal("3900"), count=10) == [
        Decimal("4000"),
        Decimal("4100"),
    ]


def test_strikes_near_with_decimal_strikes(info: ExchangeInfo) -> None:
    assert info.strikes_near("DOGE", "260925", price=0.29, count=1) == [Decimal("0.3")]


# --------------------------------------------------------------------------
# Bad arguments: the message names the value and the valid choices
# --------------------------------------------------------------------------


def test_unknown_underlying(info: ExchangeInfo) -> None:
    with pytest.raises(InvalidStreamError) as caught:
        info.symbols("XRP")
    message = str(caught.value)
    assert "'XRP'" in message
    assert "'BTC', 'DOGE', 'ETH'" in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("bad", [None, 5, ""])
def test_underlying_that_is_not_text(info: ExchangeInfo, bad: Any) -> None:
    with pytest.raises(InvalidStreamError, match="underlying must be"):
        info.expirations(bad)


def test_no_symbols_at_all() -> None:
    empty = parse_exchange_info({})
    assert empty.underlyings() == []
    assert empty.symbols() == []
    with pytest.raises(InvalidStreamError, match="lists no option symbols"):
        empty.nearest_expiration("BTC")


def test_bad_side(info: ExchangeInfo) -> None:
    with pytest.raises(InvalidStreamError, match=r"side must be one of 'CALL', 'PUT'.*got 'X'"):
        info.symbols("BTC", side="X")


def test_unlisted_expiration_names_the_listed_ones(info: ExchangeInfo) -> None:
    with pytest.raises(InvalidStreamError) as caught:
        info.symbols("ETH", "261225")
    assert "261225" in str(caught.value)
    assert "listed expirations: '260925'" in str(caught.value)


@pytest.mark.parametrize("bad", ["2026-09-25", "261399", 260925, "26925"])
def test_malformed_expiration(info: ExchangeInfo, bad: Any) -> None:
    with pytest.raises(InvalidStreamError, match="YYMMDD"):
        info.symbols("BTC", bad)


@pytest.mark.parametrize("count", [0, -1, 1.5, True, "3"])
def test_bad_count(info: ExchangeInfo, count: Any) -> None:
    with pytest.raises(InvalidStreamError, match=f"count must be .*got {count!r}"):
        info.strikes_near("BTC", "260921", price=100_000, count=count)


@pytest.mark.parametrize("price", [0, -5, float("nan"), float("inf"), "100000", None, True])
def test_bad_price(info: ExchangeInfo, price: Any) -> None:
    with pytest.raises(InvalidStreamError, match="price must be a positive number"):
        info.strikes_near("BTC", "260921", price=price, count=3)
