"""Tests of binance_options_ws.endpoints: the registry of dialects, and a third, toy one."""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Iterator, Optional, Union

import pytest

from binance_options_ws import IndexPrice, InvalidArgumentError, InvalidStreamError, StreamClient
from binance_options_ws._wire import read_float, read_int, read_str
from binance_options_ws.dialects import Dialect, StreamKind, StreamName, fstream, nbstream
from binance_options_ws.endpoints import (
    DEFAULT_ENDPOINT,
    ENDPOINTS,
    endpoints_with,
    get_endpoint,
    other_endpoint,
    parse_message,
    register,
    unregister,
)
from binance_options_ws.testing import FakeExchange

# --------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------


def test_the_built_in_endpoints() -> None:
    assert ENDPOINTS == {"nbstream": nbstream.DIALECT, "fstream": fstream.DIALECT}
    assert DEFAULT_ENDPOINT == "nbstream"
    assert get_endpoint("fstream") is fstream.DIALECT
    assert get_endpoint(fstream.DIALECT) is fstream.DIALECT


def test_an_endpoint_name_is_read_in_any_case() -> None:
    assert get_endpoint("FSTREAM") is fstream.DIALECT
    assert get_endpoint(" NBstream ") is nbstream.DIALECT


@pytest.mark.parametrize("bad", ["binance", "", None, 3, "f stream"])
def test_an_unknown_endpoint_names_the_choices(bad: object) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"endpoint must be one of 'nbstream', 'fstream'"
    ):
        get_endpoint(bad)


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        (StreamKind.TICKER, ["nbstream", "fstream"]),
        (StreamKind.BOOK_TICKER, ["fstream"]),
        (StreamKind.DIFF_DEPTH, ["fstream"]),
    ],
)
def test_endpoints_with_a_kind(kind: StreamKind, names: list) -> None:
    assert endpoints_with(kind) == names


def test_built_in_endpoints_cannot_be_replaced_or_removed() -> None:
    with pytest.raises(InvalidArgumentError, match="already registered"):
        register(nbstream.NbstreamDialect())
    with pytest.raises(InvalidArgumentError, match="built-in"):
        unregister("fstream")
    with pytest.raises(InvalidArgumentError, match="no endpoint named 'toy'"):
        unregister("toy")
    with pytest.raises(InvalidArgumentError, match="takes a Dialect"):
        register("toy")  # type: ignore[arg-type]


def test_parse_message_takes_an_endpoint_by_name_or_dialect() -> None:
    text = '{"e":"trade","E":2,"T":1,"s":"BTC-251219-89000-C","t":5,"p":"9","S":"BUY","q":"1"}'
    assert parse_message(text, endpoint="fstream") == parse_message(text, endpoint=fstream.DIALECT)
    assert parse_message(text)[0].side is None  # nbstream's S is a number: "BUY" is not one
    with pytest.raises(InvalidArgumentError, match="endpoint must be one of"):
        parse_message(text, endpoint="nope")


@pytest.mark.parametrize(
    ("text", "endpoint", "other", "name"),
    [
        ("BTC@trade", "fstream", "nbstream", "btcusdt@optionTrade"),
        ("BTCUSDT@index", "fstream", "nbstream", "!index@arr"),
        ("btcusdt@optionMarkPrice", "nbstream", "fstream", "BTC@markPrice"),
        ("!index@arr", "nbstream", "fstream", "BTCUSDT@index"),
        ("btc-261225-100000-c@bookTicker", "nbstream", "fstream", None),
    ],
)
def test_other_endpoint_names_the_same_stream_here(
    text: str, endpoint: str, other: str, name: Optional[str]
) -> None:
    found = other_endpoint(text, get_endpoint(endpoint))
    assert found is not None
    assert (found.endpoint, found.name) == (other, name)
    assert bool(found.problem) == (name is None)


def test_other_endpoint_of_a_name_of_no_endpoint() -> None:
    assert other_endpoint("nonsense", nbstream.DIALECT) is None


def test_a_parameter_only_one_endpoint_has_is_a_problem_not_a_name() -> None:
    found = other_endpoint("BTC-261225-100000-C@kline_8h", fstream.DIALECT)
    assert found is not None
    assert found.name is None
    assert "interval must be one of" in found.problem


def test_every_builder_of_a_dialect_matches_its_parse_stream() -> None:
    symbol = "BTC-261225-100000-C"
    for dialect in (nbstream.DIALECT, fstream.DIALECT):
        built = [
            dialect.index("BTCUSDT"),
            dialect.kline(symbol, "1m"),
            dialect.mark_price("BTC"),
            dialect.new_symbol_info(),
            dialect.open_interest("BTC", "261225"),
            dialect.depth(symbol, 10, "100ms"),
            dialect.ticker(symbol),
            dialect.ticker_by_expiration("BTC", "261225"),
            dialect.trade("BTC"),
        ]
        for name in built:
            assert dialect.parse_stream(name.name) == name
            assert dialect.route(name) in dialect.paths


def test_a_missing_kind_is_an_error_naming_the_endpoint() -> None:
    with pytest.raises(InvalidStreamError, match="the nbstream endpoint has no book_ticker stream"):
        nbstream.DIALECT.book_ticker("BTC-261225-100000-C")


# --------------------------------------------------------------------------
# A third dialect, registered from here: nothing else in the library changes
# --------------------------------------------------------------------------

_TOY_NAME = re.compile(r"([a-z]{2,10}usdt)@toyindex")


def _toy_index(data: dict, stream: Optional[str]) -> IndexPrice:
    return IndexPrice(
        read_str(data.get("sym")), read_float(data.get("px")), read_int(data.get("ts")), stream
    )


class ToyDialect(Dialect):
    """An endpoint with one stream kind, its own path, names and payload keys."""

    name = "toy"
    default_base_url = "wss://toy.invalid"
    paths = ("toy",)
    max_streams_per_connection = 5
    parsers = MappingProxyType({"toyIndex": _toy_index})

    def parse_stream(self, name: Union[str, StreamName]) -> StreamName:
        if isinstance(name, StreamName):
            return name
        match = _TOY_NAME.fullmatch(str(name).lower())
        if match is None:
            raise InvalidStreamError(f"unknown toy stream {name!r}; valid: <pair>@toyIndex")
        return StreamName(match.group(0), StreamKind.INDEX, symbol=match.group(1).upper())

    def __init__(self) -> None:
        self.makers = {StreamKind.INDEX: lambda pair: self.parse_stream(f"{pair}@toyIndex")}
        super().__init__()

    def event_type(self, stream: Optional[str]) -> Optional[str]:
        return "toyIndex"


@pytest.fixture
def toy() -> Iterator[ToyDialect]:
    dialect = ToyDialect()
    register(dialect)
    try:
        yield dialect
    finally:
        unregister(dialect.name)


def test_a_registered_dialect_is_an_endpoint(toy: ToyDialect) -> None:
    assert get_endpoint("toy") is toy
    assert endpoints_with(StreamKind.INDEX) == ["nbstream", "fstream", "toy"]
    [event] = parse_message('{"e":"toyIndex","sym":"ETHUSDT","px":"2.5","ts":7}', endpoint="toy")
    assert event == IndexPrice("ETHUSDT", 2.5, 7, "")
    enveloped = {"stream": "ethusdt@toyindex", "data": {"sym": "ETHUSDT", "px": "3"}}  # no "e"
    assert parse_message(enveloped, endpoint="toy") == [
        IndexPrice("ETHUSDT", 3.0, None, "ethusdt@toyindex")
    ]
    client = StreamClient(endpoint="toy")
    try:
        assert client.dialect is toy
        with pytest.raises(InvalidArgumentError, match="the toy endpoint has no trade stream"):
            client.subscribe_trade("BTC")
    finally:
        client.close()


def test_a_toy_dialect_streams_end_to_end_through_the_fake_exchange(toy: ToyDialect) -> None:
    with FakeExchange() as exchange, StreamClient(exchange.url, endpoint="toy") as client:
        subscription = client.subscribe_index("ethusdt")
        assert subscription.streams == ("ethusdt@toyindex",)
        [info] = exchange.connections
        assert (info.endpoint, info.url_path) == ("toy", "toy")
        assert info.subscriptions == ("ethusdt@toyindex",)
        payload = {"e": "toyIndex", "sym": "ETHUSDT", "px": "2"}
        assert exchange.publish("ethusdt@toyindex", payload) == 1
        assert client.get(timeout=5) == IndexPrice("ETHUSDT", 2.0, None, "ethusdt@toyindex")
        # A name of another endpoint gets its counterpart here, with no code for the toy.
        with pytest.raises(InvalidStreamError, match=r"on toy it is 'btcusdt@toyindex'"):
            client.subscribe("BTCUSDT@index")


def test_a_dialect_that_parses_its_own_frames_is_used_for_every_frame(toy: ToyDialect) -> None:
    class Framed(ToyDialect):
        name = "framed"

        def parse_message(self, message: object) -> list:
            return [IndexPrice("FRAMEDUSDT", 1.0, None, None)]

    framed = Framed()
    assert framed.frame_parser()(b"anything") == [IndexPrice("FRAMEDUSDT", 1.0, None, None)]
    # Without an override, the frame parser is the generic one bound to the tables.
    assert toy.frame_parser()('{"e":"toyIndex","sym":"A","px":"1"}') == [
        IndexPrice("A", 1.0, None, "")  # type: ignore[arg-type]
    ]


def test_a_parsed_name_of_another_endpoint_is_checked_again_at_subscribe() -> None:
    # A StreamName built by nbstream's grammar must not reach fstream, which would
    # accept the SUBSCRIBE and stay silent.
    client = StreamClient(endpoint="fstream")
    try:
        with pytest.raises(InvalidStreamError, match="on fstream it is 'btcusdt@optionTrade'"):
            client.subscribe(nbstream.parse_stream("BTC@trade"))
    finally:
        client.close()


@pytest.mark.parametrize("bad", [5, None, 1.5])
def test_unsubscribe_of_something_that_is_not_a_name_says_what_it_takes(bad: object) -> None:
    client = StreamClient()
    try:
        with pytest.raises(
            InvalidStreamError, match="a stream name, a list of them or a Subscription"
        ):
            client.unsubscribe(bad)  # type: ignore[arg-type]
    finally:
        client.close()


@pytest.mark.parametrize(("ping", "stale"), [(20.0, 5.0), (20.0, 20.0), (10.0, 19.9)])
def test_a_stale_timeout_shorter_than_two_pings_is_refused(ping: float, stale: float) -> None:
    # A quiet, healthy connection hears only pongs: it would be replaced every few seconds.
    with pytest.raises(InvalidArgumentError, match="stale_timeout must be at least twice"):
        StreamClient(ping_interval=ping, stale_timeout=stale)
