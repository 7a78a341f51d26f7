"""The tickers of a whole chain: every option of one underlying and expiry, every second.

Stream: <ASSET>@ticker@<YYMMDD> (e.g. BTC@ticker@261225). Events: Ticker, one per option.

    python examples/ticker_by_expiration.py --demo
"""

from _common import example

from binance_options_ws import StreamClient

with example(__doc__) as ex, StreamClient(ex.url) as client:
    client.subscribe_ticker_by_expiration(ex.underlying, ex.expiration)
    for t in client.events(timeout=ex.seconds):
        print(
            f"{t.symbol:<22} bid {t.best_bid_price}  ask {t.best_ask_price}"
            f"  mark {t.mark_price}  iv {t.mark_iv}  delta {t.delta}"
        )
