"""The 24-hour ticker of one option: prices, implied volatility and greeks, every second.

Stream: <SYMBOL>@ticker (e.g. BTC-261225-100000-C@ticker). Events: Ticker.

    python examples/ticker.py --demo
"""

from _common import example

from binance_options_ws import StreamClient

with example(__doc__) as ex, StreamClient(ex.url) as client:
    client.subscribe_ticker(ex.option)
    for t in client.events(timeout=ex.seconds):
        print(
            f"{t.symbol}  last {t.last_price}  bid {t.best_bid_price}  ask {t.best_ask_price}"
            f"  mark {t.mark_price}  iv {t.mark_iv}  delta {t.delta}  gamma {t.gamma}"
            f"  theta {t.theta}  vega {t.vega}"
        )
