"""The index price of an underlying, every second.

Stream: <PAIR>@index (e.g. BTCUSDT@index). Events: IndexPrice.

    python examples/index.py            # the real market
    python examples/index.py --demo     # offline, against a fake exchange
"""

from _common import example

from binance_options_ws import StreamClient

with example(__doc__) as ex, StreamClient(ex.url) as client:
    client.subscribe_index(ex.pair)  # "BTCUSDT": the pair, not the asset
    # events() yields events from the client's queue until the timeout.
    for event in client.events(timeout=ex.seconds):
        print(f"{event.symbol}  index {event.price}  (event time {event.event_time} ms)")
