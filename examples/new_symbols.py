"""Newly listed options, as the exchange announces them.

Stream: option_pair. Events: NewSymbol.
On the real market listings come about once a day, so this may print nothing for
a while; with --demo the fake exchange lists a new expiry every few seconds.

    python examples/new_symbols.py --demo
"""

import datetime as dt

from _common import example

from binance_options_ws import StreamClient

with example(__doc__, live_seconds=600) as ex, StreamClient(ex.url) as client:
    client.subscribe_new_symbols()
    for event in client.events(timeout=ex.seconds):
        expires = dt.datetime.fromtimestamp(event.expiration_time / 1000, dt.timezone.utc)
        print(
            f"new: {event.symbol:<22} {event.side} strike {event.strike_price} "
            f"expires {expires:%Y-%m-%d %H:%M} UTC (underlying {event.underlying})"
        )
