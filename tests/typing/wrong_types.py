"""Mistakes both type checkers must refuse: each line marked ``# error`` is one.

``tests/typing/check.py`` expects an error on every marked line and nowhere else.
"""

from __future__ import annotations

from binance_options_ws import IndexPrice, StreamClient, Trade


def on_index(index: IndexPrice) -> None:
    print(index.price)


def on_trade(trade: Trade) -> None:
    print(trade.price)


client = StreamClient(endpoint="fstream")
client.subscribe_trade("BTC", on_index)  # error: a callback of another event
client.subscribe_index("BTCUSDT", on_trade)  # error
client.subscribe_book_ticker("BTC-261225-100000-C", on_trade)  # error
trade: Trade = client.subscribe_index("BTCUSDT").get(timeout=1)  # error: an IndexPrice
price: float = client.get(timeout=1).price  # error: the union has events without a price
client.subscribe_index(123)  # error: a symbol is a string
for index in client.subscribe_index("BTCUSDT").events(timeout="5"):  # error: seconds
    print(index.symbol)
Trade("BTC", None, 1.0)  # error: a trade's id is never None
