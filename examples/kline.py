"""Klines (candlesticks) of one option, updated every second.

Stream: <SYMBOL>@kline_<interval> (e.g. BTC-261225-100000-C@kline_1m). Events: Kline.
Intervals: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M.

    python examples/kline.py --demo --interval 5m
"""

import datetime as dt

from _common import example

from binance_options_ws import StreamClient, streams


def add_interval(parser):
    parser.add_argument("--interval", default="1m", choices=streams.INTERVALS)


with example(__doc__, add_arguments=add_interval) as ex, StreamClient(ex.url) as client:
    client.subscribe_kline(ex.option, ex.args.interval)
    for k in client.events(timeout=ex.seconds):
        start = dt.datetime.fromtimestamp(k.start_time / 1000)
        state = "closed" if k.is_closed else "still open"
        print(
            f"{k.symbol} {k.interval} candle from {start:%H:%M}: "
            f"open {k.open} high {k.high} low {k.low} close {k.close} "
            f"volume {k.volume} trades {k.trade_count} ({state})"
        )
