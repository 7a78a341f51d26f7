"""The command line: in-process with ``main([...])``, and as ``python -m``. Never the internet."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator, List, Sequence, Tuple

import pytest
import responses

import binance_options_ws.testing
from binance_options_ws import (
    BookDepth,
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    Ticker,
    Trade,
    UnknownEvent,
    __version__,
    cli,
)
from binance_options_ws.models import Event
from binance_options_ws.rest import DEFAULT_REST_URL
from binance_options_ws.testing import FakeExchange, SyntheticMarket

EXCHANGE_INFO = f"{DEFAULT_REST_URL}/eapi/v1/exchangeInfo"
FIXTURE = Path(__file__).parent / "data" / "exchange_info.json"
TIME = 1_767_614_400_123  # 2026-01-05 12:00:00.123 UTC

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
    scripts = metadata.entry_points(group="console_scripts")  # type: ignore[call-arg]
    [script] = [ep for ep in scripts if ep.name == "binance-options-ws"]
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
# Formatting events
# --------------------------------------------------------------------------

SYMBOL = "BTC-260106-100000-C"
FORMATS: List[Tuple[Event, List[str]]] = [
    (IndexPrice("BTCUSDT", 100919.48851611, TIME, "BTCUSDT@index"), ["price 100919.49"]),
    (
        MarkPrice(SYMBOL, 3774.76, TIME, "BTC@markPrice"),
        [f"BTC@markPrice  {SYMBOL}  mark 3774.76"],
    ),
    (
        Kline(
            SYMBOL,
            "1m",
            TIME - 123,
            TIME + 59_876,
            4100.0,
            4110.0,
            3990.0,
            3990.0,
            0.84,
            trade_count=5,
            is_closed=False,
            event_time=TIME,
            stream=f"{SYMBOL}@kline_1m",
        ),
        ["1m from", "open 4100", "high 4110", "low 3990", "close 3990", "trades 5", "(open)"],
    ),
    (
        NewSymbol(
            SYMBOL, "BTCUSDT", "USDT", "CALL", 100000.0, 1767686400000, 1, 0.01, TIME, "option_pair"
        ),
        [SYMBOL, "listed: CALL strike 100000", "expires 2026-01-06 08:00 UTC"],
    ),
    (
        OpenInterest(SYMBOL, 2.82, 292548.06405948, TIME, "BTC@openInterest@260106"),
        [SYMBOL, "open interest 2.82 contracts (292548.06 USDT)"],
    ),
    (
        BookDepth(
            SYMBOL,
            ((4010.0, 1.08), (4000.0, 1.0)),
            ((4075.0, 0.09),),
            event_time=TIME,
            stream=f"{SYMBOL}@depth10",
        ),
        ["bid 4010 x 1.08", "ask 4075 x 0.09", "spread 65", "(2 bids, 1 asks)"],
    ),
    (
        BookDepth(SYMBOL, (), (), event_time=TIME, stream=f"{SYMBOL}@depth10"),
        ["bid -  ask -", "(0 bids, 0 asks)"],
    ),
    (
        Ticker(
            SYMBOL,
            last_price=3990.0,
            best_bid_price=4010.0,
            best_ask_price=4075.0,
            mark_price=4042.47,
            mark_iv=0.61149939,
            delta=0.84823777,
            volume=14.63,
            event_time=TIME,
            stream=f"{SYMBOL}@ticker",
        ),
        ["last 3990", "bid 4010", "ask 4075", "mark 4042.47", "iv 61.1%", "delta 0.848"],
    ),
    (
        Ticker(SYMBOL, event_time=TIME, stream="BTC@ticker@260106"),
        [SYMBOL, "last -", "iv -"],
    ),
    (
        Trade(SYMBOL, 106, 1280.0, 1.65, 1, "MARKET", event_time=TIME, stream="BTC@trade"),
        [SYMBOL, "1.65 @ 1280", "direction +1", "MARKET", "id 106"],
    ),
    (
        UnknownEvent("future", {"e": "future", "x": 1}, TIME, "BTCUSDT@index"),
        ["unknown event type 'future'", '"x":1'],
    ),
]


@pytest.mark.parametrize(("event", "expected"), FORMATS, ids=lambda v: type(v).__name__)
def test_format_event_shows_the_fields_that_matter(event: Event, expected: List[str]) -> None:
    line = cli.format_event(event)
    assert "\n" not in line
    assert line[2] == line[5] == ":"  # local HH:MM:SS.mmm
    assert line[8] == "."
    assert event.stream is not None
    assert line[14:].startswith(event.stream)
    for text in expected:
        assert text in line


def test_the_symbol_is_not_repeated_when_the_stream_names_it() -> None:
    line = cli.format_event(Ticker(SYMBOL, event_time=TIME, stream=f"{SYMBOL}@ticker"))
    assert line.count(SYMBOL) == 1


def test_stream_width_aligns_the_columns() -> None:
    short = cli.format_event(IndexPrice("BTCUSDT", 1.0, TIME, "BTCUSDT@index"), stream_width=20)
    long = cli.format_event(Trade(SYMBOL, 1, 2.0, 3.0, stream="BTC@trade"), stream_width=20)
    assert short.index("price") == long.index(SYMBOL) == 14 + 20 + 2


@pytest.mark.parametrize(("event", "expected"), FORMATS, ids=lambda v: type(v).__name__)
def test_event_to_dict_is_json_with_every_field(event: Event, expected: List[str]) -> None:
    data = json.loads(json.dumps(cli.event_to_dict(event)))
    assert data["type"] == type(event).__name__
    assert set(data) == {"type", *(f.name for f in type(event).__attrs_attrs__)}  # type: ignore[union-attr]


def test_event_to_dict_turns_non_finite_numbers_into_null() -> None:
    data = cli.event_to_dict(IndexPrice("BTCUSDT", float("nan"), TIME, "BTCUSDT@index"))
    assert json.dumps(data, allow_nan=False)
    assert data["price"] is None


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

    def quick(url: str) -> Any:
        return original(url, request_timeout=0.5, connect_timeout=0.5, reconnect=False)

    monkeypatch.setattr(cli, "StreamClient", quick)
    status, out, err = run(capsys, "stream", "--url", url, "BTCUSDT@index")
    assert status == 1
    assert out == ""
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1
    assert url in lines[0]
    assert "Traceback" not in err


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX-only")
def test_ctrl_c_ends_stream_cleanly_with_a_summary(
    market_exchange: Tuple[FakeExchange, SyntheticMarket],
) -> None:
    exchange, _ = market_exchange
    argv = [sys.executable, "-m", "binance_options_ws", "stream", "--url", exchange.url]
    proc = subprocess.Popen(
        [*argv, "BTCUSDT@index"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # wait for one event
        assert "BTCUSDT@index" in first
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    summary = err.strip().splitlines()[-1]
    assert summary.startswith("stopped after")
    for text in ("(interrupted)", "reconnects", "dropped"):
        assert text in summary


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


def test_demo_json_prints_every_event_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "demo", "--seconds", "1.5", "--json", "--speed", "4")
    assert status == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    types = {event["type"] for event in events}
    assert {"IndexPrice", "Ticker"} <= types
    chain = [e for e in events if e["stream"].startswith("BTC@ticker@")]
    assert len({e["symbol"] for e in chain}) > 4  # every option of the expiry


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
