"""README.md is correct against the real API: its code runs, its names exist, its commands parse.

A python block preceded by ``<!-- readme-test: MODE -->`` is executed:

* ``run``: as a script against a fake exchange, with only the URL swapped in
  (``StreamClient(`` becomes ``StreamClient("ws://127.0.0.1:PORT", ``);
* ``as-is``: as a script, unchanged (it starts its own fake exchange);
* ``rest``: in this process, against the fake exchange's REST routes (its synthetic
  market's exchangeInfo), with only the URL swapped in (``RestClient()`` becomes
  ``RestClient("http://127.0.0.1:PORT")``);
* ``pytest``: written to a test file and run by pytest, with the package's fixtures.

Every other python block must compile, import only names that exist, and call
only methods that exist. Never the internet.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

import binance_options_ws
from binance_options_ws import ExchangeInfo, OrderBook, RestClient, StreamClient, cli
from binance_options_ws.testing import FakeExchange, SyntheticMarket

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEMO_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[testing]' "
    "--config-settings editable_mode=compat && "
    ".venv/bin/python -m binance_options_ws demo"
)
TEST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' "
    "--config-settings editable_mode=compat && .venv/bin/python -m pytest -q"
)

_BLOCK = re.compile(
    r"(?:<!-- readme-test: (?P<mode>[\w-]+) -->\n)?```(?P<lang>\w*)\n(?P<code>.*?)```", re.S
)


def blocks(lang: str) -> List[Tuple[str, str]]:
    """``(mode, code)`` of every fenced block in ``lang``; mode is "" when unmarked."""
    return [
        (m.group("mode") or "", m.group("code"))
        for m in _BLOCK.finditer(README)
        if m.group("lang") == lang
    ]


PYTHON = blocks("python")


# --------------------------------------------------------------------------
# The two fresh-machine commands
# --------------------------------------------------------------------------


def test_the_two_fresh_machine_commands_are_at_the_top() -> None:
    top = README[: README.index("## ")]
    assert DEMO_COMMAND in top
    assert TEST_COMMAND in top


def test_ci_runs_the_readmes_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest -q" in ci
    assert TEST_COMMAND.endswith("python -m pytest -q")


def test_every_marked_block_has_a_known_mode() -> None:
    assert {mode for mode, _ in PYTHON} <= {"", "run", "as-is", "rest", "pytest"}
    assert len([mode for mode, _ in PYTHON if mode == "run"]) >= 3


# --------------------------------------------------------------------------
# Names and methods
# --------------------------------------------------------------------------

# Variables the README uses for instances, and their classes.
_RECEIVERS: Dict[str, object] = {
    "client": StreamClient,
    "book": OrderBook,
    "rest": RestClient,
    "info": ExchangeInfo,
    "market": SyntheticMarket,
    "exchange": FakeExchange,
    "fake_exchange": FakeExchange,
    "fake_market_exchange": FakeExchange,
    "streams": binance_options_ws.streams,
    "fstream": binance_options_ws.fstream,
}


@pytest.mark.parametrize("code", [code for _, code in PYTHON], ids=lambda c: c.split("\n")[0][:40])
def test_python_block_compiles_and_uses_only_real_names(code: str) -> None:
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "binance_options_ws"
        ):
            module = __import__(node.module or "", fromlist=["_"])
            for alias in node.names:
                assert hasattr(module, alias.name), f"{node.module} has no {alias.name}"
            if node.module == "binance_options_ws":
                for alias in node.names:
                    assert alias.name in binance_options_ws.__all__, alias.name
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = _RECEIVERS.get(node.value.id)
            if owner is not None:
                assert hasattr(owner, node.attr), f"{node.value.id}.{node.attr} does not exist"


def test_every_subscribe_method_is_documented() -> None:
    methods = [name for name in dir(StreamClient) if name.startswith("subscribe_")]
    assert len(methods) == 11
    for name in methods:
        assert f"{name}(" in README, name


def test_every_event_field_is_documented() -> None:
    from binance_options_ws import models

    for name in ("IndexPrice", "Kline", "MarkPrice", "NewSymbol", "OpenInterest",
                 "BookDepth", "Ticker", "Trade", "BookTicker", "DepthUpdate"):  # fmt: skip
        cls = getattr(models, name)
        section = README[README.index(f"`{name}`") :]
        for field in cls.__attrs_attrs__:
            if field.name not in ("event_time", "stream"):
                assert f"`{field.name}`" in section, f"{name}.{field.name}"


# --------------------------------------------------------------------------
# Running the blocks
# --------------------------------------------------------------------------


Ran = Dict[int, subprocess.CompletedProcess[str]]
RUNNABLE = [number for number, (mode, _) in enumerate(PYTHON) if mode in ("run", "as-is")]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """Every ``run`` and ``as-is`` block as a script, all at once, against a fake exchange."""
    work = tmp_path_factory.mktemp("readme")
    with FakeExchange(market=True) as exchange:
        scripts: Dict[int, List[str]] = {}
        for number in RUNNABLE:
            mode, code = PYTHON[number]
            if mode == "run":  # swap only the URL
                code = code.replace("StreamClient(", f"StreamClient({exchange.url!r}, ")
            path = work / f"block_{number}.py"
            path.write_text(code)
            scripts[number] = [sys.executable, str(path)]
        with ThreadPoolExecutor(max_workers=len(scripts)) as pool:
            futures = {
                number: pool.submit(
                    subprocess.run, argv, cwd=work, capture_output=True, text=True, timeout=40
                )
                for number, argv in scripts.items()
            }
            return {number: future.result() for number, future in futures.items()}


@pytest.mark.parametrize("number", RUNNABLE)
def test_runnable_block_runs_and_prints(ran: Ran, number: int) -> None:
    done = ran[number]
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert done.stdout.strip(), "the block printed nothing"


def test_quick_start_prints_index_prices(ran: Ran) -> None:
    mode, quick = PYTHON[0]
    assert mode == "run"
    assert len(quick.strip().splitlines()) <= 6  # the five lines (and the blank one)
    lines = ran[0].stdout.splitlines()
    assert len(lines) >= 5
    for line in lines:
        symbol, price = line.split()
        assert symbol == "BTCUSDT"
        assert float(price) > 0


def _block_numbered(needle: str) -> int:
    [number] = [n for n in RUNNABLE if needle in PYTHON[n][1]]
    return number


def test_the_fstream_block_prints_greeks_from_the_mark_price(ran: Ran) -> None:
    lines = ran[_block_numbered('StreamClient(endpoint="fstream") as client')].stdout.splitlines()
    assert lines
    for line in lines:
        symbol, mark, iv, delta = line.split()
        assert symbol.startswith("BTC-")
        assert float(mark) > 0
        assert float(iv) > 0
        assert -1 <= float(delta) <= 1  # on fstream the mark price has the greeks


def test_the_order_book_block_prints_a_synced_book(ran: Ran) -> None:
    best, levels = ran[_block_numbered("OrderBook(client")].stdout.splitlines()
    bid, ask = ast.literal_eval(best.replace(") (", "), ("))
    assert 0 < bid[0] < ask[0]
    bids, update_id = levels.rsplit(" ", 1)
    assert len(ast.literal_eval(bids)) == 5
    assert int(update_id) > 0


def _endpoint_table() -> List[Tuple[str, str, str]]:
    """``(method, nbstream name, fstream name)`` of each row of the endpoint table."""
    start = README.index("| Method | nbstream | fstream |")
    rows = README[start:].split("\n\n", 1)[0].splitlines()[2:]
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    return [(method, nb, fs) for method, nb, fs in cells]


def test_the_endpoint_table_shows_what_each_endpoint_takes() -> None:
    from binance_options_ws import fstream, streams

    table = _endpoint_table()
    assert len(table) == 11
    methods = {name for name in dir(StreamClient) if name.startswith("subscribe_")}
    assert {method.strip("`").split("(")[0] for method, _, _ in table} == methods
    for method, nb, fs in table:
        if nb != "(none)":
            name = nb.strip("`")
            assert streams.parse_stream(name).name == name, method
        name = fs.split(",")[0].strip("`")
        assert fstream.parse_stream(name).name == name, method


@pytest.mark.parametrize("code", [code for mode, code in PYTHON if mode == "rest"])
def test_rest_block_runs_offline_against_the_fake_exchange(code: str) -> None:
    market = SyntheticMarket(seed=0)
    printed = io.StringIO()
    with FakeExchange(market=market) as exchange:
        swapped = code.replace("RestClient()", f"RestClient({exchange.rest_url!r})")
        assert swapped != code, "the block makes no RestClient() to point at the fake exchange"
        with contextlib.redirect_stdout(printed):
            exec(compile(swapped, "README.md", "exec"), {"__name__": "__readme__"})
    lines = printed.getvalue().splitlines()
    assert lines[0] == str(sorted({name.split("-")[0] for name in market.symbols()}))
    assert lines[1].split()[0] in market.symbols("BTC")  # a symbol the streams publish


@pytest.mark.parametrize("code", [code for mode, code in PYTHON if mode == "pytest"])
def test_pytest_block_passes_with_the_packages_fixtures(tmp_path: Path, code: str) -> None:
    (tmp_path / "test_from_readme.py").write_text(code)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_from_readme.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout


# --------------------------------------------------------------------------
# The command lines it shows
# --------------------------------------------------------------------------


def _shown_commands() -> List[Tuple[List[str], bool]]:
    """``(argv, fails)`` of every ``$ binance-options-ws ...`` line in a text block."""
    shown = []
    for _, text in blocks("text"):
        lines = text.splitlines()
        for number, line in enumerate(lines):
            if line.startswith("$ binance-options-ws "):
                after = lines[number + 1] if number + 1 < len(lines) else ""
                shown.append((shlex.split(line[2:])[1:], ": error:" in after))
    return shown


@pytest.mark.parametrize(("argv", "fails"), _shown_commands(), ids=lambda v: str(v)[:40])
def test_shown_command_parses_as_shown(argv: List[str], fails: bool) -> None:
    args = cli.build_parser().parse_args(argv)
    if args.command == "stream":
        if fails:
            with pytest.raises(cli._UsageError):
                cli._stream_names(args.streams, args.endpoint)
        else:
            cli._stream_names(args.streams, args.endpoint)
    else:
        assert not fails


def test_the_example_files_it_names_exist() -> None:
    for name in re.findall(r"`(\w+\.(?:py|ipynb))`", README):
        assert (ROOT / "examples" / name).exists(), name
