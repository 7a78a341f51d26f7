"""The best bid and ask of one option, on every change (the fstream endpoint only).

Stream: <symbol>@bookTicker (e.g. btc-261225-100000-c@bookTicker). Events: BookTicker.
It is the quickest view of the top of the book: one event per change, no depth.

    python examples/book_ticker.py --demo
"""

from _common import example

from binance_options_ws import StreamClient

with example(__doc__, endpoint="fstream") as ex, StreamClient(ex.url, endpoint="fstream") as client:
    client.subscribe_book_ticker(ex.option)
    for quote in client.events(timeout=ex.seconds):
        # Any field may be None when the exchange leaves it out (an empty side, say).
        bid, ask = quote.best_bid_price, quote.best_ask_price
        spread = f"{ask - bid:.4g}" if bid is not None and ask is not None else "-"
        print(
            f"{quote.symbol}  bid {bid} x {quote.best_bid_quantity}"
            f"  ask {ask} x {quote.best_ask_quantity}  spread {spread}  update {quote.update_id}"
        )
