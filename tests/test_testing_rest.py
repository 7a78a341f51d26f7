"""The fake exchange's REST routes: the look-ups the library makes, offline.

exchangeInfo lists exactly what the streams publish, so symbol discovery works
against the fake exchange as it does live; the book comes at fstream's fixed
decimals, the exchangeInfo's ``priceScale``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Iterator

import pytest
import requests

from binance_options_ws import RestClient, StreamClient, cli
from binance_options_ws.testing import FakeExchange, SyntheticMarket
from binance_options_ws.testing._rest import answer


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return SyntheticMarket(seed=5, start=datetime.datetime(2026, 3, 2, 9, 30))


@pytest.fixture(scope="module")
def exchange(market: SyntheticMarket) -> Iterator[FakeExchange]:
    with FakeExchange(market=market) as fake:
        yield fake


def test_exchange_info_lists_what_the_streams_publish(
    exchange: FakeExchange, market: SyntheticMarket
) -> None:
    with RestClient(exchange.rest_url, proxy=None) as rest:
        info = rest.exchange_info()
    assert info.underlyings() == ["BTC", "ETH"]
    assert [s.name for s in info.symbols()] == sorted(market.symbols(), key=_chain_order)
    for underlying in ("BTC", "ETH"):
        assert info.expirations(underlying) == market.expirations(underlying)
    expiry = info.nearest_expiration("BTC")
    near = info.strikes_near("BTC", expiry, price=market.index_price("BTCUSDT"), count=3)
    assert len(near) == 3
    assert all(isinstance(strike, Decimal) for strike in near)
    # A symbol found through the REST API streams on the WebSocket.
    symbol = info.symbols("BTC", expiry, side="CALL")[0]
    with StreamClient(exchange.url, proxy=None) as client:
        client.subscribe_ticker(symbol)
        assert client.get(timeout=5).symbol == symbol.name


def _chain_order(name: str) -> object:
    asset, expiry, strike, side = name.split("-")
    return (asset, expiry, Decimal(strike), side)


def test_each_option_has_the_filters_and_scales_of_its_underlying(
    exchange: FakeExchange,
) -> None:
    body = requests.get(exchange.rest_url + "/eapi/v1/exchangeInfo", timeout=5).json()
    btc = next(s for s in body["optionSymbols"] if s["symbol"].startswith("BTC-"))
    eth = next(s for s in body["optionSymbols"] if s["symbol"].startswith("ETH-"))
    assert (btc["priceScale"], btc["quantityScale"], btc["underlying"]) == (3, 2, "BTCUSDT")
    assert btc["filters"][0]["tickSize"] == "5.000"
    assert eth["priceScale"] == 4
    assert eth["filters"][0]["tickSize"] == "0.1000"
    assert [c["baseAsset"] for c in body["optionContracts"]] == ["BTC", "ETH"]


def test_depth_prices_at_the_fixed_decimals_of_price_scale(
    exchange: FakeExchange, market: SyntheticMarket
) -> None:
    symbol = market.symbols("ETH")[0]
    body = requests.get(
        exchange.rest_url + "/eapi/v1/depth", params={"symbol": symbol, "limit": 10}, timeout=5
    ).json()
    for price, quantity in body["bids"] + body["asks"]:
        assert len(price.split(".")[1]) == 4  # ETH's priceScale
        assert len(quantity.split(".")[1]) == 2  # quantityScale


def test_time_and_ping(exchange: FakeExchange) -> None:
    with RestClient(exchange.rest_url, proxy=None) as rest:
        rest.ping()
        assert abs(rest.server_time() / 1000 - datetime.datetime.now().timestamp()) < 60


def test_exchange_info_without_a_market_lists_nothing() -> None:
    status, body = answer("/eapi/v1/exchangeInfo", None, 7)
    assert status == 200
    assert body["serverTime"] == 7
    assert body["optionSymbols"] == []


def test_an_unknown_route_names_those_served() -> None:
    status, body = answer("/eapi/v1/ticker", None, 0)
    assert status == 404
    assert "/eapi/v1/exchangeInfo" in body["msg"]


def test_the_symbols_command_works_offline(
    exchange: FakeExchange, market: SyntheticMarket, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["symbols", "--url", exchange.rest_url, "--underlying", "BTC", "--expiration"]
    assert cli.main([*argv, "nearest"]) == 0
    out = capsys.readouterr().out.split()
    nearest = market.expirations("BTC")[0].strftime("%y%m%d")
    assert out == [s for s in market.symbols("BTC") if f"-{nearest}-" in s]
