"""A live option-chain table of the nearest expiry that refreshes in the terminal.

Calls on the left, puts on the right, one row per strike: bid, ask, mark price,
mark implied volatility and delta. A callback stores the latest Ticker of every
option; the main loop redraws the table once a second.

    python examples/option_chain.py --demo
"""

import sys
import threading
import time

from _common import example

from binance_options_ws import OptionSymbol, StreamClient

latest = {}  # option symbol -> its latest Ticker
lock = threading.Lock()  # the callback writes `latest` while the main loop reads it


def on_ticker(ticker):
    """Runs on the client's callback thread for every Ticker of the chain."""
    with lock:
        latest[ticker.symbol] = ticker


def cell(value, fmt):
    return format(value, fmt) if value is not None else "-"


def side(t, width=43):
    if t is None:
        return " " * width
    text = (
        f"{cell(t.best_bid_price, '>9.4g')} {cell(t.best_ask_price, '>9.4g')} "
        f"{cell(t.mark_price, '>9.4g')} {cell(t.mark_iv, '>6.1%')} {cell(t.delta, '>+6.2f')}"
    )
    return f"{text:>{width}}"


def table(title):
    with lock:
        tickers = dict(latest)
    rows = {}  # strike -> {"CALL": Ticker, "PUT": Ticker}
    for symbol, ticker in tickers.items():
        option = OptionSymbol.parse(symbol)
        rows.setdefault(option.strike, {})[option.side.value] = ticker
    head = f"{'bid':>9} {'ask':>9} {'mark':>9} {'iv':>6} {'delta':>6}"
    lines = [title, f"{'CALLS':^43} | {'strike':^9} | {'PUTS':^43}", f"{head} | {'':9} | {head}"]
    for strike in sorted(rows):
        calls, puts = rows[strike].get("CALL"), rows[strike].get("PUT")
        lines.append(f"{side(calls)} | {strike:^9} | {side(puts)}")
    return "\n".join(lines)


with example(__doc__) as ex:
    redraw = sys.stdout.isatty()  # in a terminal, draw in place; in a pipe, print each table
    with StreamClient(ex.url) as client:
        client.subscribe_ticker_by_expiration(ex.underlying, ex.expiration, on_ticker)
        deadline = time.monotonic() + ex.seconds
        while time.monotonic() < deadline:
            time.sleep(1)
            title = (
                f"{ex.underlying} options expiring {ex.expiration}  ({len(latest)} options, "
                f"{time.strftime('%H:%M:%S')}, {client.stats.events} events so far)"
            )
            if redraw:
                print("\033[H\033[2J", end="")  # cursor home, clear the screen
            print(table(title), flush=True)
            if not redraw:
                print()
