"""Trades of every option on an underlying (or of one option).

Stream: <ASSET>@trade or <SYMBOL>@trade (e.g. BTC@trade). Events: Trade.

    python examples/trade.py --demo
"""

from _common import example

from binance_options_ws import StreamClient

with example(__doc__) as ex, StreamClient(ex.url) as client:
    client.subscribe_trade(ex.underlying)  # or one option: client.subscribe_trade(ex.option)
    for trade in client.events(timeout=ex.seconds):
        print(
            f"{trade.symbol:<22} {trade.quantity} @ {trade.price}"
            f"  direction {trade.direction}  {trade.trade_type}  id {trade.trade_id}"
        )
