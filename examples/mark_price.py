"""Mark prices of every option on an underlying: one MarkPrice per option, every second.

Stream: <ASSET>@markPrice (e.g. BTC@markPrice). Events: MarkPrice.
The stream covers every expiry; this example prints only the nearest one.

    python examples/mark_price.py --demo
"""

from _common import example

from binance_options_ws import StreamClient

with example(__doc__) as ex, StreamClient(ex.url) as client:
    client.subscribe_mark_price(ex.underlying)  # "BTC": the asset, not the pair
    for event in client.events(timeout=ex.seconds):
        if event.symbol in ex.chain:  # the nearest expiry only
            print(f"{event.symbol:<22} mark {event.mark_price}")
