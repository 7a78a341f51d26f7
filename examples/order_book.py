"""A local order book of one option: a REST snapshot plus the diff-depth stream (fstream).

OrderBook fetches the book once (GET /eapi/v1/depth), then applies every change
from <symbol>@depth@100ms (DepthUpdate events) in order. If a change was missed
it fetches a fresh snapshot by itself (book.resyncs counts them). The book holds
every level of the snapshot (up to 1000 a side on Binance; the fake exchange's
book has 20), not just the top levels that the partial depth stream sends.

    python examples/order_book.py --demo
"""

import sys
import time

from _common import example

from binance_options_ws import OrderBook, RestClient, StreamClient

with example(__doc__, endpoint="fstream") as ex:
    client = StreamClient(ex.url, endpoint="fstream")
    rest = RestClient(ex.rest_url)  # Binance's REST API, or the fake exchange's with --demo
    with client, rest, OrderBook(client, ex.option, rest=rest, speed="100ms") as book:
        if not book.wait_synced(timeout=10):
            sys.exit(f"the book did not sync within 10 s: {book.last_error}")
        print(f"{book.symbol}: in sync at update {book.update_id}")
        deadline = time.monotonic() + ex.seconds
        while time.monotonic() < deadline:
            bids, asks = book.bids(3), book.asks(3)  # (price, quantity), best first
            print(
                f"{book.symbol}  update {book.update_id}"
                f"  bids {' '.join(f'{p:g}x{q:g}' for p, q in bids)}"
                f"  asks {' '.join(f'{p:g}x{q:g}' for p, q in asks)}"
                f"  ({len(book.bids())} bid, {len(book.asks())} ask levels; {book.resyncs} resyncs)"
            )
            time.sleep(1)  # print once a second; the book updates in the background
