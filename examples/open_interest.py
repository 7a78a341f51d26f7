"""Open interest of every option of one underlying and expiry, every 60 seconds.

Stream: <ASSET>@openInterest@<YYMMDD> (e.g. BTC@openInterest@261225). Events: OpenInterest.

    python examples/open_interest.py --demo
"""

from _common import example

from binance_options_ws import StreamClient

with example(__doc__, live_seconds=130) as ex, StreamClient(ex.url) as client:
    # The expiration is a datetime.date or "YYMMDD".
    client.subscribe_open_interest(ex.underlying, ex.expiration)
    for event in client.events(timeout=ex.seconds):
        print(
            f"{event.symbol:<22} open interest {event.open_interest} contracts "
            f"= {event.open_interest_usdt} USDT"
        )
