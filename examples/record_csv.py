"""Record events to a CSV file: every trade on an underlying, one row per Trade.

Each column is a field of the Trade class, so the file opens as-is in a
spreadsheet or pandas (pandas.read_csv("examples/output/trades.csv")).

    python examples/record_csv.py --demo
    python examples/record_csv.py --demo --output my_trades.csv

The file goes to examples/output/ by default, a folder git ignores.
"""

import csv
from pathlib import Path

import attrs
from _common import example

from binance_options_ws import StreamClient, Trade

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "output" / "trades.csv"


def add_output(parser):
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the CSV file to write")


with example(__doc__, add_arguments=add_output) as ex:
    columns = [f.name for f in attrs.fields(Trade)]  # symbol, trade_id, price, ...
    ex.args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(ex.args.output, "w", newline="") as file, StreamClient(ex.url) as client:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        client.subscribe_trade(ex.underlying)
        rows = 0
        for trade in client.events(timeout=ex.seconds):
            writer.writerow(attrs.asdict(trade))  # every event is an attrs class
            rows += 1
            print(f"row {rows}: {trade.symbol} {trade.quantity} @ {trade.price}")
            file.flush()  # keep the file complete if the script is stopped
    print(f"wrote {rows} trades to {ex.args.output}")
