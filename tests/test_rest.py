"""RestClient against canned HTTP answers (``responses``): never the internet."""

from __future__ import annotations

import email.utils
import json
import time
from pathlib import Path
from typing import Iterator, List

import pytest
import requests
import responses

from binance_options_ws._retry import MAX_RETRY_AFTER
from binance_options_ws._version import __version__
from binance_options_ws.exceptions import (
    BinanceAPIError,
    ClientClosedError,
    InvalidResponseError,
    RateLimitError,
    RestConnectionError,
    RestError,
    RestTimeoutError,
    UnknownOutcomeError,
)
from binance_options_ws.exchange_info import ExchangeInfo
from binance_options_ws.rest import DEFAULT_REST_URL, RestClient

BASE = DEFAULT_REST_URL
EXCHANGE_INFO = f"{BASE}/eapi/v1/exchangeInfo"
TIME = f"{BASE}/eapi/v1/time"
PING = f"{BASE}/eapi/v1/ping"
FIXTURE = Path(__file__).parent / "data" / "exchange_info.json"

UNKNOWN_503 = "Unknown error, please check your request or try again later."


class FakeClock:
    """Stands in for ``time.monotonic`` so Retry-After waits take no real time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    # Any request that was not registered fails with ConnectionError: no internet.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> Iterator[RestClient]:
    rest = RestClient(timeout=3.5)
    rest._clock = clock
    yield rest
    rest.close()


def _urls(mock: responses.RequestsMock) -> List[str]:
    return [call.request.url or "" for call in mock.calls]


# --------------------------------------------------------------------------
# Success
# --------------------------------------------------------------------------


def test_exchange_info_is_parsed(rsps: responses.RequestsMock, client: RestClient) -> None:
    rsps.get(EXCHANGE_INFO, body=FIXTURE.read_bytes(), content_type="application/json")
    info = client.exchange_info()
    assert isinstance(info, ExchangeInfo)
    assert info.underlyings() == ["BTC", "DOGE", "ETH"]
    assert len(info.option_symbols) == 17
    assert _urls(rsps) == [EXCHANGE_INFO]


def test_every_request_carries_the_timeout_and_user_agent(
    rsps: responses.RequestsMock, client: RestClient
) -> None:
    rsps.get(PING, json={})
    rsps.get(TIME, json={"serverTime": 1789905600000})
    rsps.get(EXCHANGE_INFO, json={})
    client.ping()
    client.server_time()
    client.exchange_info()
    assert len(rsps.calls) == 3
    for call in rsps.calls:
        assert call.request.method == "GET"
        assert call.request.req_kwargs["timeout"] == 3.5  # type: ignore[attr-defined]
        assert call.request.headers["User-Agent"] == f"binance-options-ws/{__version__}"


def test_server_time(rsps: responses.RequestsMock, client: RestClient) -> None:
    rsps.get(TIME, json={"serverTime": 1789905600000, "extra": "ignored"})
    assert client.server_time() == 1789905600000


def test_ping(rsps: responses.RequestsMock, client: RestClient) -> None:
    rsps.get(PING, json={})
    client.ping()
    assert _urls(rsps) == [PING]


def test_custom_base_url_with_trailing_slash(rsps: responses.RequestsMock) -> None:
    rsps.get("http://127.0.0.1:8080/eapi/v1/ping", json={})
    with RestClient("http://127.0.0.1:8080/") as rest:
        rest.ping()
    assert _urls(rsps) == ["http://127.0.0.1:8080/eapi/v1/ping"]


@pytest.mark.parametrize("base_url", ["eapi.binance.com", "ftp://eapi.binance.com", ""])
def test_bad_base_url(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        RestClient(base_url)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), True, "10"])
def test_bad_timeout(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout"):
        RestClient(timeout=timeout)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Binance error bodies
# --------------------------------------------------------------------------


def test_error_body_becomes_binance_api_error(
    rsps: responses.RequestsMock, client: RestClient
) -> None:
    rsps.get(EXCHANGE_INFO, status=400, json={"code": -1121, "msg": "Invalid symbol."})
    with pytest.raises(BinanceAPIError) as caught:
        client.exchange_info()
    error = caught.value
    assert (error.code, error.msg, error.status) == (-1121, "Invalid symbol.", 400)
    assert isinstance(error, RestError)
    assert not isinstance(error, (RateLimitError, UnknownOutcomeError))


def test_error_body_under_http_200_is_still_an_error(
    rsps: responses.RequestsMock, client: RestClient
) -> None:
    rsps.get(TIME, json={"code": "-1000", "msg": "An unknown error occurred."})
    with pytest.raises(BinanceAPIError) as caught:
        client.server_time()
    assert (caught.value.code, caught.value.status) == (-1000, 200)


def test_non_json_error_page_keeps_status_and_text(
    rsps: responses.RequestsMock, client: RestClient
) -> None:
    rsps.get(EXCHANGE_INFO, status=502, body="<html><h1>502 Bad Gateway</h1></html>")
    with pytest.raises(BinanceAPIError) as caught:
        client.exchange_info()
    assert caught.value.code is None
    assert caught.value.status == 502
    assert "502 Bad Gateway" in caught.value.msg


def test_waf_403(rsps: responses.RequestsMock, client: RestClient) -> None:
    rsps.get(PING, status=403, body="")
    with pytest.raises(BinanceAPIError) as caught:
        client.ping()
    assert caught.value.status == 403
    assert caught.value.msg == "Forbidden"


def test_server_errors_are_not_retried(rsps: responses.RequestsMock, client: RestClient) -> None:
    rsps.get(PING, status=500, json={"code": -1001, "msg": "Internal error."})
    with pytest.raises(BinanceAPIError):
        client.ping()
    assert len(rsps.calls) == 1


# --------------------------------------------------------------------------
# 503: outcome unknown versus plain failure
# --------------------------------------------------------------------------


def test_503_unknown_error_is_an_unknown_outcome(
    rsps: responses.RequestsMock, client: RestClient
) -> None:
    rsps.get(EXCHANGE_INFO, status=503, json={"code": -1000, "msg": UNKNOWN_503})
    with pytest.raises(UnknownOutcomeError) as caught:
        client.exchange_info()
    assert (caught.value.code, caught.value.msg, caught.value.status) == (-1000, UNKNOWN_503, 503)


def test_503_unknown_error_as_plain_text(rsps: responses.RequestsMock, client: RestClient) -> None:
    rsps.get(EXCHANGE_INFO, status=503, body=UNKNOWN_503)
    with pytest.raises(UnknownOutcomeError):
        client.exchange_info()


@pytest.mark.parametrize(
    "msg",
    ["Service Unavailable.", "Internal error; unable to process your request. Please try again."],
)
def test_other_503s_are_failures(
    rsps: responses.RequestsMock, client: RestClient, msg: str
) -> None:
    rsps.get(EXCHANGE_INFO, status=503, json={"code": -1001, "msg": msg})
    with pytest.raises(BinanceAPIError) as caught:
        client.exchange_info()
    assert not isinstance(caught.value, UnknownOutcomeError)
    assert (caught.value.status, caught.value.msg) == (503, msg)


# --------------------------------------------------------------------------
# 429 / 418 and Retry-After
# --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 418])
def test_rate_limit_carries_retry_after_and_blocks_until_then(
    rsps: responses.RequestsMock, client: RestClient, clock: FakeClock, status: int
) -> None:
    rsps.get(
        TIME,
        status=status,
        json={"code": -1003, "msg": "Too much request weight used."},
        headers={"Retry-After": "30"},
    )
    with pytest.raises(RateLimitError) as caught:
        client.server_time()
    error = caught.value
    assert (error.status, error.code, error.retry_after) == (status, -1003, 30.0)
    assert isinstance(error, BinanceAPIError)

    # 10 seconds later: refused without sending, saying how long is left.
    clock.now += 10
    with pytest.raises(RateLimitError) as early:
        client.server_time()
    assert early.value.retry_after == pytest.approx(20.0)
    assert early.value.status == status
    assert "20.0 seconds" in str(early.value)
    assert len(rsps.calls) == 1

    # Once the wait is over, requests go out again.
    clock.now += 20.5
    rsps.replace(responses.GET, TIME, json={"serverTime": 1})
    assert client.server_time() == 1
    assert len(rsps.calls) == 2


def test_429_without_retry_after_does_not_block(
    rsps: responses.RequestsMock, client: RestClient
) -> None:
    rsps.get(PING, status=429, json={"code": -1003, "msg": "Too many requests."})
    with pytest.raises(RateLimitError) as caught:
        client.ping()
    assert caught.value.retry_after is None
    with pytest.raises(RateLimitError):
        client.ping()
    assert len(rsps.calls) == 2  # both were really sent; there was nothing to wait for


def test_retry_after_as_http_date(rsps: responses.RequestsMock, client: RestClient) -> None:
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    rsps.get(PING, status=418, body="banned", headers={"Retry-After": when})
    with pytest.raises(RateLimitError) as caught:
        client.ping()
    assert caught.value.retry_after is not None
    assert 100 < caught.value.retry_after <= 121
    assert caught.value.code is None


def test_unreadable_retry_after(rsps: responses.RequestsMock, client: RestClient) -> None:
    rsps.get(PING, status=429, body="", headers={"Retry-After": "whenever"})
    with pytest.raises(RateLimitError) as caught:
        client.ping()
    assert caught.value.retry_after is None


def test_a_nonsensical_retry_after_blocks_no_longer_than_the_longest_ban(
    rsps: responses.RequestsMock, client: RestClient, clock: FakeClock
) -> None:
    rsps.get(PING, status=418, body="banned", headers={"Retry-After": "1e12"})
    with pytest.raises(RateLimitError) as caught:
        client.ping()
    assert caught.value.retry_after == MAX_RETRY_AFTER  # three days
    clock.now += MAX_RETRY_AFTER - 1
    with pytest.raises(RateLimitError, match=r"try again in 1\.0 seconds"):
        client.ping()
    clock.now += 1
    rsps.replace(responses.GET, PING, json={})
    client.ping()
    assert len(rsps.calls) == 2


def test_block_is_per_client(
    rsps: responses.RequestsMock, client: RestClient, clock: FakeClock
) -> None:
    rsps.get(
        PING, status=429, json={"code": -1003, "msg": "slow down"}, headers={"Retry-After": "60"}
    )
    with pytest.raises(RateLimitError):
        client.ping()
    with RestClient() as other, pytest.raises(RateLimitError):
        other.ping()
    assert len(rsps.calls) == 2


# --------------------------------------------------------------------------
# Transport failures and bad bodies
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc", [requests.ReadTimeout("read timed out"), requests.ConnectTimeout("connect timed out")]
)
def test_timeouts(
    rsps: responses.RequestsMock, client: RestClient, exc: requests.RequestException
) -> None:
    rsps.get(EXCHANGE_INFO, body=exc)
    with pytest.raises(RestTimeoutError) as caught:
        client.exchange_info()
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.__cause__ is exc
    assert "3.5 seconds" in str(caught.value)


def test_connection_error(rsps: responses.RequestsMock, client: RestClient) -> None:
    exc = requests.ConnectionError("Name or service not known")
    rsps.get(TIME, body=exc)
    with pytest.raises(RestConnectionError) as caught:
        client.server_time()
    assert isinstance(caught.value, ConnectionError)
    assert caught.value.__cause__ is exc


def test_malformed_json(rsps: responses.RequestsMock, client: RestClient) -> None:
    rsps.get(EXCHANGE_INFO, body='{"timezone": "UTC", "optionSymbols": [', status=200)
    with pytest.raises(InvalidResponseError) as caught:
        client.exchange_info()
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value.__cause__, ValueError)
    assert "not JSON" in str(caught.value)


def test_json_of_the_wrong_shape(rsps: responses.RequestsMock, client: RestClient) -> None:
    rsps.get(EXCHANGE_INFO, json=["BTC-260925-100000-C"])
    rsps.get(TIME, json={"serverTime": "1789905600000"})
    with pytest.raises(InvalidResponseError):
        client.exchange_info()
    with pytest.raises(InvalidResponseError, match="serverTime"):
        client.server_time()


def test_response_with_extra_and_missing_fields(
    rsps: responses.RequestsMock, client: RestClient
) -> None:
    body = {
        "serverTime": 1789905600000,
        "somethingNew": True,
        "optionSymbols": [
            {"symbol": "ETH-260925-4000-C", "strikePrice": "4000.000", "futureField": 1},
        ],
    }
    rsps.get(EXCHANGE_INFO, body=json.dumps(body))
    info = client.exchange_info()
    assert info.timezone is None
    assert info.option_contracts == ()
    (symbol,) = info.option_symbols
    assert symbol.underlying is None
    assert symbol.price_filter is None
    assert [str(s) for s in info.symbols("ETH")] == ["ETH-260925-4000-C"]


# --------------------------------------------------------------------------
# Lifetime
# --------------------------------------------------------------------------


def test_context_manager_closes_the_session(
    rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: List[requests.Session] = []
    monkeypatch.setattr(requests.Session, "close", lambda self: closed.append(self))
    rsps.get(PING, json={})
    with RestClient() as rest:
        rest.ping()
    assert rest.closed
    assert len(closed) == 1
    rest.close()  # idempotent
    assert len(closed) == 1
    with pytest.raises(ClientClosedError):
        rest.ping()
    assert len(rsps.calls) == 1


# --------------------------------------------------------------------------
# depth(): the order book snapshot behind OrderBook
# --------------------------------------------------------------------------

DEPTH = f"{BASE}/eapi/v1/depth"


def test_depth_returns_a_snapshot_tied_to_the_diff_stream(
    rsps: responses.RequestsMock, client: RestClient
) -> None:
    rsps.get(
        DEPTH,
        json={"bids": [["5100.0", "0.5"]], "asks": [["5200", "1E-1"]], "T": 17, "lastUpdateId": 9},
    )
    snap = client.depth("btc-261225-100000-c", limit=10)
    assert snap.symbol == "BTC-261225-100000-C"
    assert snap.bids == ((5100.0, 0.5),)
    assert snap.asks == ((5200.0, 0.1),)
    assert (snap.last_update_id, snap.transaction_time) == (9, 17)
    assert _urls(rsps) == [f"{DEPTH}?symbol=BTC-261225-100000-C&limit=10"]


def test_depth_reads_the_older_update_id_key(
    rsps: responses.RequestsMock, client: RestClient
) -> None:
    rsps.get(DEPTH, json={"bids": [], "asks": [], "u": "12"})
    assert client.depth("BTC-261225-100000-C").last_update_id == 12
    assert _urls(rsps)[0].endswith("limit=100")


@pytest.mark.parametrize("limit", [0, 15, 5000, True, "100"])
def test_depth_limit_must_be_allowed(client: RestClient, limit: object) -> None:
    with pytest.raises(ValueError, match="limit must be one of 10, 20, 50, 100, 500, 1000"):
        client.depth("BTC-261225-100000-C", limit=limit)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"bids": [], "asks": []},
        {"bids": "x", "asks": [], "lastUpdateId": 1},
        {"bids": [["1"]], "asks": [], "lastUpdateId": 1},
        {"bids": [], "asks": [["a", "1"]], "lastUpdateId": 1},
    ],
)
def test_depth_rejects_a_body_that_is_not_a_book(
    rsps: responses.RequestsMock, client: RestClient, body: object
) -> None:
    rsps.get(DEPTH, json=body)
    with pytest.raises(InvalidResponseError, match="BTC-261225-100000-C"):
        client.depth("BTC-261225-100000-C")


def test_depth_of_an_unknown_symbol_is_an_api_error(
    rsps: responses.RequestsMock, client: RestClient
) -> None:
    rsps.get(DEPTH, status=400, json={"code": -1121, "msg": "Invalid symbol."})
    with pytest.raises(BinanceAPIError) as caught:
        client.depth("BTC-261225-1-C")
    assert (caught.value.code, caught.value.status) == (-1121, 400)
