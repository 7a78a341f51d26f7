"""Streams of options or expiries that have expired are refused at the call, not left silent."""

from __future__ import annotations

import datetime as dt
from typing import Tuple

import pytest

from binance_options_ws import InvalidStreamError, StreamClient
from binance_options_ws.symbols import check_not_expired

TODAY = dt.datetime.now(dt.timezone.utc).date().isoformat()
NEXT_YEAR = (dt.date.today() + dt.timedelta(days=365)).strftime("%y%m%d")


@pytest.mark.parametrize("endpoint", ["nbstream", "fstream"])
@pytest.mark.parametrize(
    ("method", "args", "named"),
    [
        ("subscribe_open_interest", ("BTC", "200101"), "expiry of"),
        ("subscribe_ticker_by_expiration", ("ETH", dt.date(2021, 3, 26)), "expiry of"),
        ("subscribe_ticker", ("BTC-200101-100000-C",), "option 'BTC-200101-100000-C'"),
        ("subscribe_kline", ("btc-200101-100000-p", "1m"), "option 'BTC-200101-100000-P'"),
        ("subscribe_depth", ("BTC-200101-100000-C",), "option 'BTC-200101-100000-C'"),
    ],
)
def test_an_expired_stream_is_refused_naming_the_date_and_today(
    endpoint: str, method: str, args: Tuple[object, ...], named: str
) -> None:
    # Nothing listens at this URL: the refusal comes before any connection.
    client = StreamClient("ws://127.0.0.1:9", endpoint=endpoint, proxy=None)
    with client, pytest.raises(InvalidStreamError) as caught:
        getattr(client, method)(*args)
    message = str(caught.value)
    assert named in message
    assert "expired on 20" in message
    assert f"today is {TODAY} (UTC)" in message


def test_a_live_expiry_is_accepted() -> None:
    client = StreamClient("ws://127.0.0.1:9", proxy=None)
    name = client.dialect.open_interest("BTC", NEXT_YEAR)
    assert name.name == f"BTC@openInterest@{NEXT_YEAR}"
    client.close()


def test_an_expiry_ends_at_eight_utc_on_its_day() -> None:
    day = dt.date(2026, 3, 27)
    before = dt.datetime(2026, 3, 27, 7, 59, tzinfo=dt.timezone.utc)
    after = dt.datetime(2026, 3, 27, 8, 0, tzinfo=dt.timezone.utc)
    assert check_not_expired(day, "x", now=before) == day
    with pytest.raises(InvalidStreamError, match="expired on 2026-03-27 at 08:00 UTC"):
        check_not_expired(day, "x", now=after)
