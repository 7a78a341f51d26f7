"""The command line: in-process with ``main([...])``, and as ``python -m``. Never the internet."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterator, List, Mapping, Sequence, Tuple, Union

import pytest
import responses

import binance_options_ws.testing
from binance_options_ws import __version__, cli, endpoints
from binance_options_ws.dialects import Dialect, StreamKind, StreamName
from binance_options_ws.exceptions import InvalidStreamError
from binance_options_ws.rest import DEFAULT_REST_URL
from binance_options_ws.testing import FakeExchange, SyntheticMarket

EXCHANGE_INFO = f"{DEFAULT_REST_URL}/eapi/v1/exchangeInfo"
FIXTURE = Path(__file__).parent / "data" / "exchange_info.json"

Captured = Tuple[int, str, str]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Captured:
    """``main(argv)`` in this process: (exit status, stdout, stderr)."""
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    # Any request that was not registered fails with ConnectionError: no internet.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def market_exchange() -> Iterator[Tuple[FakeExchange, SyntheticMarket]]:
    market = SyntheticMarket(seed=5, speed=5)
    with FakeExchange(market=market) as exchange:
        yield exchange, market


# --------------------------------------------------------------------------
# Help, version, the entry points
# --------------------------------------------------------------------------


def test_help_names_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--help")
    assert status == 0
    for command in ("stream", "demo", "symbols"):
        assert command in out


@pytest.mark.parametrize("command", ["stream", "demo"])
def test_stream_and_demo_take_an_endpoint(capsys: pytest.CaptureFixture[str], command: str) -> None:
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    assert "--endpoint {nbstream,fstream}" in out
    args = cli.build_parser().parse_args([command, *(["x"] if command == "stream" else [])])
    assert args.endpoint == "nbstream"  # the documented endpoint stays the default


def test_no_command_prints_the_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys)
    assert status == 2
    assert out == ""
    assert "demo" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--version")
    assert status == 0
    assert out.strip() == f"binance-options-ws {__version__}"


def test_the_console_script_is_declared() -> None:
    # The package's own entry points: metadata.entry_points() on Python 3.9 lists those of
    # every copy of the metadata on sys.path (an editable build's egg-info as well).
    scripts = metadata.distribution("binance-options-ws").entry_points
    [script] = [
        ep for ep in scripts if ep.group == "console_scripts" and ep.name == "binance-options-ws"
    ]
    assert script.value == "binance_options_ws.cli:main"


# --------------------------------------------------------------------------
# User mistakes: one line naming the bad value and the choices, status 2
# --------------------------------------------------------------------------

MISTAKES: List[Tuple[List[str], List[str]]] = [
    (["stream", "BTCUSDT@nonsense"], ["'BTCUSDT@nonsense'", "valid forms", "@markPrice"]),
    (["stream", "BTC-261225-100000-C@kline_2m"], ["'2m'", "1m, 3m, 5m"]),
    (["stream", "BTC-261225-100000-C@depth15"], ["'15'", "10, 20, 50, 100"]),
    (["stream", "BTC-261225-100000-C@depth10@250ms"], ["'250ms'", "100ms, 500ms, 1000ms"]),
    (["stream", "BTC@index"], ["'BTC'", "'BTCUSDT'"]),
    (["stream", "BTCUSDT@index,ETHUSDT@index"], ["'BTCUSDT@index,ETHUSDT@index'", "spaces"]),
    (["stream", "BTCUSDT@index", "--seconds", "-1"], ["'-1'", "positive"]),
    (["stream", "BTCUSDT@index", "--count", "0"], ["'0'", "at least 1"]),
    (["stream", "BTCUSDT@index", "--url", "http://x"], ["'http://x'", "ws://", "wss://"]),
    (["stream"], ["STREAM"]),
    (["stream", "BTCUSDT@index", "--endpoint", "bstream"], ["'bstream'", "nbstream", "fstream"]),
    (["demo", "--endpoint", "binance"], ["'binance'", "nbstream", "fstream"]),
    (
        ["stream", "--endpoint", "fstream", "btcusdt@nonsense"],
        ["'btcusdt@nonsense'", "unknown fstream stream", "@optionMarkPrice"],
    ),
    (
        ["stream", "--endpoint", "fstream", "btc-261225-100000-c@depth15@100ms"],
        ["'btc-261225-100000-c@depth15@100ms'", "5, 10, 20"],
    ),
    # A name of the other endpoint: which flag to add, and the name on this one.
    (
        ["stream", "--endpoint", "fstream", "BTC@trade"],
        ["'BTC@trade'", "nbstream endpoint", "--endpoint nbstream", "'btcusdt@optionTrade'"],
    ),
    (
        ["stream", "btcusdt@optionMarkPrice"],
        ["'btcusdt@optionMarkPrice'", "fstream endpoint", "--endpoint fstream", "'BTC@markPrice'"],
    ),
    (
        ["stream", "btc-261225-100000-c@bookTicker"],
        ["--endpoint fstream", "nbstream has no such stream"],
    ),
    (
        ["stream", "--endpoint", "fstream", "BTC-261225-100000-C@kline_8h"],
        ["--endpoint nbstream", "'8h'"],
    ),
    (["frob"], ["'frob'", "stream", "demo", "symbols"]),
    (["demo", "--speed", "0"], ["'0'", "positive"]),
    (["demo", "--seconds", "soon"], ["'soon'", "positive"]),
    (["symbols", "--side", "X"], ["'X'", "CALL, PUT"]),
    (["symbols", "--expiration", "2026-12-25"], ["'2026-12-25'", "YYMMDD", "nearest"]),
    (["symbols", "--url", "ftp://x"], ["'ftp://x'", "https://"]),
]


@pytest.mark.parametrize(("argv", "expected"), MISTAKES, ids=lambda v: " ".join(v)[:40])
def test_a_mistake_is_one_line_on_stderr_and_status_2(
    capsys: pytest.CaptureFixture[str], argv: List[str], expected: List[str]
) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert err.startswith("binance-options-ws")
    for text in expected:
        assert text in err


def test_demo_without_the_testing_extra_says_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if websockets were not installed: the fake exchange cannot be imported.
    for name in [n for n in sys.modules if n == "websockets" or n.startswith("websockets.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "websockets", None)
    monkeypatch.delitem(sys.modules, "binance_options_ws.testing.server", raising=False)
    monkeypatch.delattr(binance_options_ws.testing, "FakeExchange", raising=False)
    status, out, err = run(capsys, "demo", "--seconds", "1")
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert 'pip install "binance-options-ws[testing]"' in err


# --------------------------------------------------------------------------
# stream, against the fake exchange
# --------------------------------------------------------------------------


def test_stream_json_count(
    capsys: pytest.CaptureFixture[str], market_exchange: Tuple[FakeExchange, SyntheticMarket]
) -> None:
    exchange, market = market_exchange
    option = market.symbols("BTC")[0]
    status, out, err = run(
        capsys,
        "stream",
        "--url",
        exchange.url,
        "--json",
        "--count",
        "6",
        "btcusdt@index",
        f"{option.lower()}@ticker",
    )
    assert status == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) == 6
    streams = {event["stream"] for event in events}
    assert streams <= {"BTCUSDT@index", f"{option}@ticker"}  # names are normalised
    for event in events:
        if event["type"] == "IndexPrice":
            assert event["symbol"] == "BTCUSDT"
            assert event["price"] > 0
        else:
            assert (event["type"], event["symbol"]) == ("Ticker", option)
            assert {"delta", "mark_iv", "best_bid_price", "event_time"} <= set(event)
    assert "--count 6 reached" in err
    assert "6 events, 0 reconnects, 0 dropped" in err


def test_stream_prints_one_readable_line_per_event_of_every_stream(
    capsys: pytest.CaptureFixture[str], market_exchange: Tuple[FakeExchange, SyntheticMarket]
) -> None:
    exchange, market = market_exchange
    expiry = f"{market.expirations('BTC')[0]:%y%m%d}"
    option = next(s for s in market.symbols("BTC") if f"-{expiry}-" in s)
    wanted = {
        "BTCUSDT@index": "price ",
        f"{option}@kline_1m": "1m from",
        "BTC@markPrice": "mark ",
        f"BTC@openInterest@{expiry}": "open interest",
        f"{option}@depth10": "bid ",
        f"{option}@ticker": "iv ",
        f"BTC@ticker@{expiry}": "delta ",
        "BTC@trade": " @ ",
    }
    status, out, err = run(capsys, "stream", "--url", exchange.url, "--seconds", "2", *wanted)
    assert status == 0, err
    lines = out.splitlines()
    for stream, text in wanted.items():
        mine = [line for line in lines if line.split()[1] == stream]
        assert mine, f"no line for {stream}"
        assert all(text in line for line in mine), mine[0]
    assert "--seconds 2 reached" in err


def test_stream_on_fstream_prints_one_readable_line_per_event_of_every_stream(
    capsys: pytest.CaptureFixture[str], market_exchange: Tuple[FakeExchange, SyntheticMarket]
) -> None:
    exchange, market = market_exchange
    expiry = f"{market.expirations('BTC')[0]:%y%m%d}"
    option = next(s for s in market.symbols("BTC") if f"-{expiry}-" in s).lower()
    wanted = {
        "!index@arr": "price ",
        f"{option}@kline_1m": "1m from",
        "btcusdt@optionMarkPrice": "delta ",
        f"btcusdt@openInterest@{expiry}": "open interest",
        f"{option}@depth10@100ms": "bids, ",
        f"{option}@depth@100ms": "levels changed  update ",
        f"{option}@optionTicker": "weighted avg ",
        f"btcusdt@optionTicker@{expiry}": "weighted avg ",
        "btcusdt@optionTrade": " @ ",
        f"{option}@bookTicker": "spread ",
    }
    status, out, err = run(
        capsys, "stream", "--url", exchange.url, "--endpoint", "fstream", "--seconds", "2", *wanted
    )
    assert status == 0, err
    assert "None" not in out
    lines = out.splitlines()
    for stream, text in wanted.items():
        mine = [line for line in lines if line.split()[1] == stream]
        assert mine, f"no line for {stream}"
        assert all(text in line for line in mine), mine[0]
    trades = [line for line in lines if line.split()[1] == "btcusdt@optionTrade"]
    assert all(" BUY " in line or " SELL " in line for line in trades)
    assert "direction" not in out


def test_stream_names_valid_on_both_endpoints_take_the_chosen_ones_spelling() -> None:
    names = ["BTC-261225-100000-C@kline_1m", "BTC@openInterest@261225"]
    assert cli._stream_names(names) == names
    assert cli._stream_names(names, "fstream") == [
        "btc-261225-100000-c@kline_1m",
        "btcusdt@openInterest@261225",
    ]
    both = ["btcusdt@openInterest@261225", "btcusdt@optionOpenInterest@261225"]
    assert cli._stream_names(both, "fstream") == both  # the uncertain name: both spellings


@pytest.mark.parametrize(
    ("nbstream", "fstream"),
    [
        ("BTCUSDT@index", "!index@arr"),
        ("BTC@markPrice", "btcusdt@optionMarkPrice"),
        ("option_pair", "!optionSymbol"),
        ("BTC-261225-100000-C@ticker", "btc-261225-100000-c@optionTicker"),
        ("BTC@ticker@261225", "btcusdt@optionTicker@261225"),
        ("BTC@trade", "btcusdt@optionTrade"),
        ("BTC-261225-100000-C@trade", "btc-261225-100000-c@optionTrade"),
    ],
)
def test_a_name_of_the_other_endpoint_suggests_its_counterpart(nbstream: str, fstream: str) -> None:
    with pytest.raises(cli._UsageError, match="--endpoint nbstream") as on_fstream:
        cli._stream_names([nbstream], "fstream")
    assert repr(fstream) in str(on_fstream.value)
    with pytest.raises(cli._UsageError, match="--endpoint fstream") as on_nbstream:
        cli._stream_names([fstream], "nbstream")
    counterpart = "BTCUSDT@index" if fstream == "!index@arr" else nbstream
    assert repr(counterpart) in str(on_nbstream.value)


def test_stream_hints_when_nothing_arrives(
    capsys: pytest.CaptureFixture[str],
    market_exchange: Tuple[FakeExchange, SyntheticMarket],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exchange, _ = market_exchange
    monkeypatch.setattr(cli, "_NO_EVENT_HINT_AFTER", 0.2)
    unlisted = "BTC-200101-1000-C@ticker"
    status, out, err = run(capsys, "stream", "--url", exchange.url, "--seconds", "0.6", unlisted)
    assert status == 0
    assert out == ""
    assert "not listed stays silent" in err
    assert "symbols --underlying BTC" in err


def test_stream_that_cannot_connect_fails_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    exchange = FakeExchange().start()
    url = exchange.url
    exchange.stop()  # nothing listens there any more
    original = cli.StreamClient

    def quick(url: str, **kwargs: Any) -> Any:
        return original(url, request_timeout=0.5, connect_timeout=0.5, reconnect=False, **kwargs)

    monkeypatch.setattr(cli, "StreamClient", quick)
    status, out, err = run(capsys, "stream", "--url", url, "BTCUSDT@index")
    assert status == 1
    assert out == ""
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1
    assert url in lines[0]
    assert "Traceback" not in err


def interrupt_stream(exchange: FakeExchange, signals: int) -> Tuple[subprocess.Popen[str], str]:
    """Run ``stream`` in a child process, send it ``signals`` SIGINTs once it streams.

    Returns:
        The ended process and its stderr.
    """
    argv = [sys.executable, "-m", "binance_options_ws", "stream", "--url", exchange.url]
    proc = subprocess.Popen(
        [*argv, "BTCUSDT@index"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert "BTCUSDT@index" in proc.stdout.readline()  # wait for one event
        for _ in range(signals):
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc, err


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX-only")
def test_ctrl_c_ends_stream_cleanly_with_a_summary(
    market_exchange: Tuple[FakeExchange, SyntheticMarket],
) -> None:
    proc, err = interrupt_stream(market_exchange[0], signals=1)
    assert proc.returncode == 130, err  # 128 + SIGINT, the shells' convention
    assert "Traceback" not in err
    summary = err.strip().splitlines()[-1]
    assert summary.startswith("stopped after")
    for text in ("(interrupted)", "reconnects", "dropped"):
        assert text in summary


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX-only")
def test_a_second_ctrl_c_while_stopping_is_quiet(
    market_exchange: Tuple[FakeExchange, SyntheticMarket],
) -> None:
    proc, err = interrupt_stream(market_exchange[0], signals=3)  # an impatient user
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "KeyboardInterrupt" not in err


def test_a_connection_that_cannot_be_made_exits_1_with_one_line(
    market_exchange: Tuple[FakeExchange, SyntheticMarket],
) -> None:
    exchange, _ = market_exchange
    started = time.monotonic()
    argv = ["stream", "--url", exchange.url + "/gone", "BTCUSDT@index"]
    done = subprocess.run(
        [sys.executable, "-m", "binance_options_ws", *argv],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert time.monotonic() - started < 10  # a 404 is final: no waiting out the timeout
    errors = [line for line in done.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1
    assert "HTTP 404" in errors[0]
    assert "Traceback" not in done.stderr
    assert "WARNING" not in done.stderr  # one line for one problem


# --------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------


def test_python_m_demo_runs_offline_and_stops_by_itself() -> None:
    started = time.monotonic()
    env = {**os.environ, "NO_PROXY": "*"}
    done = subprocess.run(
        [sys.executable, "-m", "binance_options_ws", "demo", "--seconds", "3"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 20
    lines = done.stdout.splitlines()
    assert any("BTCUSDT@index  " in line and "price " in line for line in lines)
    assert any("@ticker  " in line and "iv " in line for line in lines)
    assert any("options; nearest the money" in line for line in lines)  # the chain
    assert "ws://127.0.0.1:" in done.stderr
    assert "demo finished after 3." in done.stderr
    assert "Traceback" not in done.stderr


def test_python_m_demo_on_fstream_shows_each_kind_of_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "binance_options_ws", "demo", "--endpoint", "fstream",
         "--seconds", "3"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "NO_PROXY": "*"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "on the fstream endpoint" in done.stderr
    lines = done.stdout.splitlines()
    kinds = {
        "index": r"!index@arr +BTCUSDT  price \d",
        "ticker": r"btc-\d{6}-\d+-c@optionTicker +last \S+  change \S+  volume .*weighted avg",
        "chain": r"btcusdt@optionMarkPrice +\d+ options; nearest the money \d+: "
        r"call mark \S+ iv \S+% delta \S+ \| put mark",
        "trade": r"btcusdt@optionTrade +BTC-\d{6}-\d+-[CP]  \S+ @ \S+  (BUY|SELL)  MARKET",
        "book ticker": r"btc-\d{6}-\d+-c@bookTicker +bid \S+ x \S+  ask \S+ x \S+",
    }
    for kind, pattern in kinds.items():
        assert any(re.search(pattern, line) for line in lines), f"no {kind} line"
    assert "None" not in done.stdout
    assert "demo finished after 3." in done.stderr
    assert "stream --endpoint fstream" in done.stderr  # what to try next


def test_demo_on_fstream_json_has_the_new_classes_and_greeks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(
        capsys, "demo", "--endpoint", "fstream", "--seconds", "1.5", "--json", "--speed", "4"
    )
    assert status == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert {"IndexPrice", "Ticker", "MarkPrice", "BookTicker"} <= {e["type"] for e in events}
    assert {e["symbol"] for e in events if e["type"] == "IndexPrice"} == {"BTCUSDT"}
    marks = [e for e in events if e["type"] == "MarkPrice"]
    assert all(e["delta"] is not None and e["mark_iv"] is not None for e in marks)
    tickers = [e for e in events if e["type"] == "Ticker"]
    assert all(e["delta"] is None and e["weighted_average_price"] is not None for e in tickers)


def test_demo_json_prints_every_event_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "demo", "--seconds", "1.5", "--json", "--speed", "4")
    assert status == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    types = {event["type"] for event in events}
    assert {"IndexPrice", "Ticker"} <= types
    chain = [e for e in events if e["stream"].startswith("BTC@ticker@")]
    assert len({e["symbol"] for e in chain}) > 4  # every option of the expiry


class _ToyDialect(Dialect):
    """An endpoint with one stream, ``<PAIR>@toy``, that no command was written for."""

    name = "toy"
    default_base_url = "ws://127.0.0.1:9"
    kinds = frozenset({StreamKind.INDEX})
    parsers: Mapping[str, Any] = MappingProxyType({})

    def parse_stream(self, name: Union[str, StreamName]) -> StreamName:
        text = str(name)
        if not text.endswith("@toy"):
            raise InvalidStreamError(f"toy streams end in @toy, got {text!r}")
        return StreamName(text, StreamKind.INDEX, symbol=text[: -len("@toy")])


@pytest.fixture
def toy_endpoint() -> Iterator[str]:
    endpoints.register(_ToyDialect())
    try:
        yield "toy"
    finally:
        endpoints.unregister("toy")


def test_a_registered_endpoint_is_a_choice_and_checks_its_own_names(
    capsys: pytest.CaptureFixture[str], toy_endpoint: str
) -> None:
    assert cli._stream_names(["BTCUSDT@toy"], toy_endpoint) == ["BTCUSDT@toy"]
    status, out, err = run(capsys, "stream", "--endpoint", toy_endpoint, "BTCUSDT@index")
    assert status == 2
    assert out == ""
    assert "that is a stream of the nbstream endpoint, not of toy" in err
    status, out, _ = run(capsys, "stream", "--help")
    assert "{nbstream,fstream,toy}" in out


def test_demo_on_an_endpoint_it_has_no_plan_for_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], toy_endpoint: str
) -> None:
    status, out, err = run(capsys, "demo", "--endpoint", toy_endpoint, "--seconds", "1")
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "the demo runs on nbstream, fstream, not on toy" in err


# --------------------------------------------------------------------------
# symbols, against a canned exchangeInfo
# --------------------------------------------------------------------------


def serve_exchange_info(rsps: responses.RequestsMock) -> None:
    rsps.get(EXCHANGE_INFO, body=FIXTURE.read_bytes(), content_type="application/json")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--underlying", "BTC", "--expiration", "260921"],
            [
                "BTC-260921-95000-C",
                "BTC-260921-95000-P",
                "BTC-260921-100000-C",
                "BTC-260921-100000-P",
                "BTC-260921-105000-C",
                "BTC-260921-105000-P",
            ],
        ),
        (
            ["--underlying", "btc", "--expiration", "260921", "--side", "put"],
            ["BTC-260921-95000-P", "BTC-260921-100000-P", "BTC-260921-105000-P"],
        ),
        (
            ["--underlying", "ETH", "--expiration", "nearest"],
            ["ETH-260925-4000-C", "ETH-260925-4000-P", "ETH-260925-4100-C"],
        ),
        (["--underlying", "DOGEUSDT"], ["DOGE-260925-0.25-C", "DOGE-260925-0.3-C"]),
    ],
)
def test_symbols_lists_one_symbol_per_line(
    capsys: pytest.CaptureFixture[str],
    rsps: responses.RequestsMock,
    argv: Sequence[str],
    expected: List[str],
) -> None:
    serve_exchange_info(rsps)
    status, out, err = run(capsys, "symbols", *argv)
    assert status == 0, err
    assert out.splitlines() == expected
    assert err.startswith(f"{len(expected)} symbols")


def test_symbols_without_filters_lists_everything(
    capsys: pytest.CaptureFixture[str], rsps: responses.RequestsMock
) -> None:
    serve_exchange_info(rsps)
    status, out, err = run(capsys, "symbols")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("BTC-")
    assert lines[-1].startswith("ETH-")
    for text in ("BTC ", "DOGE ", "--underlying"):
        assert text in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--underlying", "XRP"], ["'XRP'", "'BTC'", "'ETH'"]),
        (["--underlying", "BTC", "--expiration", "261231"], ["261231", "260921"]),
        (["--expiration", "nearest"], ["--underlying"]),
    ],
)
def test_symbols_mistakes_name_the_choices(
    capsys: pytest.CaptureFixture[str],
    rsps: responses.RequestsMock,
    argv: Sequence[str],
    expected: List[str],
) -> None:
    serve_exchange_info(rsps)
    status, out, err = run(capsys, "symbols", *argv)
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    for text in expected:
        assert text in err


def test_symbols_when_the_api_fails_is_one_line_and_status_1(
    capsys: pytest.CaptureFixture[str], rsps: responses.RequestsMock
) -> None:
    rsps.get(EXCHANGE_INFO, status=502, body="Bad Gateway")
    status, out, err = run(capsys, "symbols", "--underlying", "BTC")
    assert status == 1
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "HTTP 502" in err


def test_symbols_without_network_is_one_line_and_status_1(
    capsys: pytest.CaptureFixture[str], rsps: responses.RequestsMock
) -> None:
    # Nothing registered: responses refuses the connection, as a machine offline would.
    status, _, err = run(capsys, "symbols")
    assert status == 1
    assert len(err.splitlines()) == 1
    assert "could not connect" in err


# --------------------------------------------------------------------------
# --demo on stream and symbols: offline, from a fake exchange in this process
# --------------------------------------------------------------------------


def test_stream_demo_prints_events_of_the_fake_exchange(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "stream", "--demo", "BTCUSDT@index", "--count", "2")
    assert status == 0
    assert len(out.strip().splitlines()) == 2
    assert "BTCUSDT@index" in out
    assert "subscribing to BTCUSDT@index at ws://127.0.0.1:" in err


def test_symbols_demo_lists_the_fake_markets_symbols(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "symbols", "--demo", "--underlying", "BTC", "--side", "CALL")
    assert status == 0
    names = out.split()
    assert names
    assert all(name.startswith("BTC-") and name.endswith("-C") for name in names)
    assert f"{len(names)} symbol" in err


@pytest.mark.parametrize("command", ["stream", "symbols"])
def test_demo_and_url_together_are_a_usage_error(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    extra = ["BTCUSDT@index"] if command == "stream" else []
    status, _, err = run(capsys, command, "--demo", "--url", "ws://127.0.0.1:1", *extra)
    assert status == 2
    assert "--demo runs its own exchange: leave out --url" in err
