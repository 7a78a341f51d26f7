"""A live option-chain table of the nearest expiry that refreshes in the terminal.

Calls on the left, puts on the right, one row per strike: bid, ask, mark price,
mark implied volatility and delta, the strike at the money marked with a *.
An OptionChain keeps every option of the expiry current (it subscribes to the
streams it needs, on either endpoint); the main loop redraws the table once a
second. (``binance-options-ws chain BTC --demo`` draws the same from the command line.)

    python examples/option_chain.py --demo
"""

import sys
import time

from _common import example

from binance_options_ws import OptionChain, StreamClient


def cell(value, fmt):
    return format(value, fmt) if value is not None else "-"


def side(quote, width=43):
    if quote is None:
        return " " * width
    text = (
        f"{cell(quote.bid, '>9.4g')} {cell(quote.ask, '>9.4g')} "
        f"{cell(quote.mark, '>9.4g')} {cell(quote.iv, '>6.1%')} {cell(quote.delta, '>+6.2f')}"
    )
    return f"{text:>{width}}"


def table(chain, title):
    head = f"{'bid':>9} {'ask':>9} {'mark':>9} {'iv':>6} {'delta':>6}"
    lines = [title, f"{'CALLS':^43} | {'strike':^9} | {'PUTS':^43}", f"{head} | {'':9} | {head}"]
    atm = chain.atm_strike
    for row in chain.rows():
        strike = f"{row.strike:g}" + ("*" if row.strike == atm else " ")
        lines.append(f"{side(row.call)} | {strike:^9} | {side(row.put)}")
    return "\n".join(lines)


with example(__doc__) as ex:
    redraw = sys.stdout.isatty()  # in a terminal, draw in place; in a pipe, print each table
    with StreamClient(ex.url, endpoint=ex.endpoint) as client:
        chain = OptionChain(client, ex.underlying, ex.expiration)
        chain.wait_ready(timeout=ex.seconds)
        deadline = time.monotonic() + ex.seconds
        while time.monotonic() < deadline:
            time.sleep(1)
            title = (
                f"{ex.underlying} options expiring {ex.expiration}  ({len(chain.quotes())} "
                f"options, index {chain.index_price}, {time.strftime('%H:%M:%S')})"
            )
            if redraw:
                print("\033[H\033[2J", end="")  # cursor home, clear the screen
            print(table(chain, title), flush=True)
            if not redraw:
                print()
