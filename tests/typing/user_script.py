"""A user's script, written as a new user would: checked by mypy --strict and pyright (strict).

``tests/typing/check.py`` (run by ``.ci/run``) type-checks it from a folder outside
the checkout, against the installed package, with no error allowed: every subscribe
method of both endpoints, callbacks and the queues, arithmetic on the fields, and no
``cast`` or ``isinstance`` anywhere. ``tests/test_typing.py`` runs it against the fake
exchange, so that what it says is also what happens.
"""

from __future__ import annotations

import datetime
import sys
from typing import List, Optional

from binance_options_ws import (
    BookDepth,
    BookTicker,
    DepthUpdate,
    Event,
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    StreamClient,
    Subscription,
    Ticker,
    Trade,
)

notional: List[float] = []


def on_trade(trade: Trade) -> None:
    notional.append(trade.price * trade.quantity)


def on_index(index: IndexPrice) -> None:
    print(index.symbol.lower(), index.price / 1000, index.event_time // 1000)


def on_kline(kline: Kline) -> None:
    body = kline.close - kline.open
    print(kline.interval, body / (kline.high - kline.low or 1.0), kline.end_time - kline.start_time)


def on_mark(mark: MarkPrice) -> None:
    iv: Optional[float] = mark.mark_iv  # fstream only: Optional
    print(mark.symbol, mark.mark_price * 2, iv * 100 if iv is not None else "-")


def on_new_symbol(listing: NewSymbol) -> None:
    print(listing.symbol, listing.strike_price + 1, listing.side.lower(), listing.expiration_time)


def on_open_interest(oi: OpenInterest) -> None:
    print(oi.symbol, oi.open_interest * 2, oi.open_interest_usdt / 1e6)


def on_depth(book: BookDepth) -> None:
    best = book.best_bid
    print(book.symbol, sum(quantity for _, quantity in book.bids), best[0] if best else None)


def on_ticker(ticker: Ticker) -> None:
    print(ticker.symbol, ticker.last_price - ticker.open, ticker.volume * ticker.last_price)


def on_book_ticker(top: BookTicker) -> None:
    print(top.symbol, top.best_ask_price - top.best_bid_price, top.update_id + 1)


def on_diff(update: DepthUpdate) -> None:
    print(update.update_id - update.first_update_id, update.previous_update_id, len(update.asks))


def any_event(event: Event) -> None:
    print(type(event).__name__, event.stream, event.event_time)


def nbstream(url: Optional[str], symbol: str, expiry: datetime.date, seconds: float) -> float:
    """Every nbstream subscribe method, with callbacks and read on their own."""
    with StreamClient(url) as client:
        client.subscribe_trade("BTC", on_trade)
        client.subscribe_index("BTCUSDT", on_index)
        client.subscribe_kline(symbol, "1m", on_kline)
        client.subscribe_mark_price("BTC", on_mark)
        client.subscribe_new_symbols(on_new_symbol)
        client.subscribe_open_interest("BTC", expiry, on_open_interest)
        client.subscribe_depth(symbol, levels=10, callback=on_depth)
        client.subscribe_ticker(symbol, on_ticker)
        client.subscribe_ticker_by_expiration("BTC", expiry.strftime("%y%m%d"), on_ticker)
        client.subscribe(["ETHUSDT@index"], any_event)

        trades: Subscription[Trade] = client.subscribe_trade("BTC")
        total = 0.0
        for trade in trades.events(timeout=seconds):
            total += trade.price * trade.quantity
        tickers = client.subscribe_ticker_by_expiration("BTC", expiry)
        ticker = tickers.get(timeout=seconds)
        spread = (ticker.best_ask_price or 0.0) - (ticker.best_bid_price or 0.0)
        print(ticker.symbol, ticker.high - ticker.low, spread)
        index = client.subscribe_index("ETHUSDT").get(timeout=seconds)
        return total + index.price


def fstream(url: Optional[str], symbol: str, expiry: datetime.date, seconds: float) -> float:
    """Every fstream subscribe method, the fstream-only ones included."""
    with StreamClient(url, endpoint="fstream") as client:
        client.subscribe_index(callback=on_index)
        client.subscribe_diff_depth(symbol, "100ms", on_diff)
        client.subscribe_depth(symbol, 5, "100ms", on_depth)
        client.subscribe_kline(symbol, "1m", on_kline)
        client.subscribe_new_symbols(on_new_symbol)
        client.subscribe_open_interest("BTC", expiry, on_open_interest)
        client.subscribe_ticker(symbol, on_ticker)
        client.subscribe_ticker_by_expiration("BTC", expiry, on_ticker)
        client.subscribe_trade("BTC", on_trade)

        marks = client.subscribe_mark_price("BTC")
        mark = marks.get(timeout=seconds)
        delta = mark.delta if mark.delta is not None else 0.0
        books = client.subscribe_book_ticker(symbol)
        mids = [(top.best_bid_price + top.best_ask_price) / 2 for top in books.events(seconds)]
        # the client's shared queue: every event no subscription reads on its own, typed
        # as the union Event, whose common fields need no narrowing
        client.subscribe_index("ETHUSDT")
        for event in client.events(timeout=seconds):
            print(event.stream, event.event_time)
        return mark.mark_price * delta + sum(mids)


if __name__ == "__main__":
    # python user_script.py SYMBOL YYYY-MM-DD [URL]: a listed option and its expiry
    option, day = sys.argv[1], datetime.date.fromisoformat(sys.argv[2])
    given = sys.argv[3] if len(sys.argv) > 3 else None
    print(nbstream(given, option, day, 5.0), fstream(given, option, day, 5.0), sum(notional))
