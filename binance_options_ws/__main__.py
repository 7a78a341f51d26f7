"""``python -m binance_options_ws``: the command line (see :mod:`binance_options_ws.cli`)."""

from __future__ import annotations

from .cli import main

__all__: list[str] = []

if __name__ == "__main__":
    raise SystemExit(main(prog="python -m binance_options_ws"))
