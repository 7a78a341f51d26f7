"""The top of one option's order book: 10, 20, 50 or 100 levels a side.

Stream: <SYMBOL>@depth<levels>[@<speed>] (e.g. BTC-261225-100000-C@depth10@100ms).
Events: BookDepth. Speeds: 100ms, 500ms (the default) or 1000ms.

    python examples/depth.py --demo
"""

from _common import example

from binance_options_ws import StreamClient

with example(__doc__) as ex, StreamClient(ex.url) as client:
    client.subscribe_depth(ex.option, levels=10, speed="500ms")
    for book in client.events(timeout=ex.seconds):
        # bids and asks are tuples of (price, quantity), best first.
        if book.best_bid and book.best_ask:
            (bid, bid_qty), (ask, ask_qty) = book.best_bid, book.best_ask
            print(
                f"{book.symbol}  bid {bid} x {bid_qty}  ask {ask} x {ask_qty}  "
                f"spread {ask - bid:.4g}  ({len(book.bids)} bid levels)"
            )
        else:
            print(f"{book.symbol}  one side of the book is empty")
