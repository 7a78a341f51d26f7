"""Tables: events to pandas, recordings to Parquet that pandas and DuckDB read back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, List

import attrs
import pytest

from binance_options_ws import (
    BookDepth,
    Event,
    IndexPrice,
    InvalidArgumentError,
    StreamClient,
    Ticker,
    Trade,
    parse_message,
)
from binance_options_ws.recording import read_recording
from binance_options_ws.tables import MissingExtraError, recording_to_parquet, to_frame
from binance_options_ws.testing import FakeExchange, SyntheticMarket
from binance_options_ws.testing.waiting import wait_for

pandas = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A recording of index, trades, a chain of tickers and a book; the events delivered."""
    directory = tmp_path_factory.mktemp("recording")
    market = SyntheticMarket(seed=2, speed=20)
    expiry = market.expirations("BTC")[0]
    option = next(s for s in market.symbols("BTC") if s.endswith("-C"))
    events: List[Event] = []
    with (
        FakeExchange(market=market) as exchange,
        StreamClient(exchange.url, record_to=directory) as client,
    ):
        client.subscribe_index("BTCUSDT", events.append)
        client.subscribe_trade("BTC", events.append)
        client.subscribe_ticker_by_expiration("BTC", expiry, events.append)
        client.subscribe_depth(option, 10, callback=events.append)
        kinds = (IndexPrice, Trade, Ticker, BookDepth)
        wait_for(
            lambda: all(any(isinstance(e, k) for e in events) for k in kinds),
            timeout=15,
            what="every kind of event",
        )
    return directory, events


def test_to_frame_has_a_column_per_field_and_a_utc_time_from_event_time() -> None:
    events = [
        IndexPrice("BTCUSDT", 100.0 + i, 1_700_000_000_000 + i, "BTCUSDT@index") for i in range(3)
    ]
    frame = to_frame(events)
    assert list(frame.columns) == ["time", *(f.name for f in attrs.fields(IndexPrice))]
    assert list(frame["price"]) == [100.0, 101.0, 102.0]
    assert str(frame["time"].dt.tz) == "UTC"
    assert frame["time"][1] == pandas.Timestamp(1_700_000_000_001, unit="ms", tz="UTC")


def test_to_frame_of_a_live_stream_matches_the_events(recorded: Any) -> None:
    _, events = recorded
    tickers = [e for e in events if isinstance(e, Ticker)]
    frame = to_frame(iter(tickers))
    assert len(frame) == len(tickers)
    assert list(frame["symbol"]) == [t.symbol for t in tickers]
    assert list(frame["mark_iv"]) == pytest.approx([t.mark_iv for t in tickers], nan_ok=True)


def test_events_of_several_types_get_an_event_type_column(recorded: Any) -> None:
    _, events = recorded
    frame = to_frame(events)
    assert list(frame.columns[:2]) == ["time", "event_type"]
    assert list(frame["event_type"]) == [type(e).__name__ for e in events]
    books = frame[frame["event_type"] == "BookDepth"]
    first = next(e for e in events if isinstance(e, BookDepth))
    assert books.iloc[0]["bids"] == first.bids  # levels stay (price, quantity) tuples


def test_to_frame_of_nothing_is_an_empty_frame_with_time() -> None:
    assert list(to_frame([]).columns) == ["time"]


def test_to_frame_refuses_what_is_not_an_event() -> None:
    with pytest.raises(InvalidArgumentError, match="to_frame takes events"):
        to_frame([{"price": 1}])


def test_without_pandas_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now fails
    with pytest.raises(MissingExtraError, match=r"binance-options-ws\[pandas\]") as info:
        to_frame([])
    assert isinstance(info.value, ImportError)


def test_without_pyarrow_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtraError, match=r"binance-options-ws\[parquet\]"):
        recording_to_parquet(tmp_path, tmp_path / "out.parquet")


def _recorded_events(directory: Path) -> List[Event]:
    return [event for frame in read_recording(directory) for event in parse_message(frame.frame)]


def test_a_recording_converts_to_one_parquet_file_per_event_type(
    recorded: Any, tmp_path: Path
) -> None:
    pytest.importorskip("pyarrow")
    directory, _ = recorded
    written = recording_to_parquet(directory, tmp_path / "market.parquet")
    events = _recorded_events(directory)
    assert set(written) == {type(e).__name__ for e in events}
    for name, path in written.items():
        assert Path(path) == tmp_path / "market.parquet" / f"{name}.parquet"
        table = pandas.read_parquet(path)
        expected = to_frame([e for e in events if type(e).__name__ == name])
        assert list(table.columns) == list(expected.columns)
        assert len(table) == len(expected)
        assert list(table["symbol"]) == list(expected["symbol"])
        assert list(table["time"]) == list(expected["time"])
    trades = pandas.read_parquet(written["Trade"])
    assert list(trades["trade_id"]) == [e.trade_id for e in events if isinstance(e, Trade)]


def test_duckdb_reads_the_parquet_files(recorded: Any, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    duckdb = pytest.importorskip("duckdb")
    directory, _ = recorded
    written = recording_to_parquet(directory, tmp_path / "market.parquet")
    events = _recorded_events(directory)
    tickers = [e for e in events if isinstance(e, Ticker)]
    database = duckdb.connect()
    rows = database.execute(
        f"SELECT symbol, count(*) AS n, max(mark_iv) AS iv FROM '{written['Ticker']}' "
        "GROUP BY symbol ORDER BY symbol"
    ).fetchall()
    symbols = sorted({t.symbol for t in tickers})
    assert [row[0] for row in rows] == symbols
    assert sum(row[1] for row in rows) == len(tickers)
    [(price,)] = database.execute(
        f"SELECT bids[1][1] FROM '{written['BookDepth']}' LIMIT 1"
    ).fetchall()
    database.close()
    assert price == next(e for e in events if isinstance(e, BookDepth)).bids[0][0]


def test_the_convert_command_writes_parquet_files(
    recorded: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    from binance_options_ws.cli import main

    directory, _ = recorded
    out = tmp_path / "market.parquet"
    assert main(["convert", str(directory), "--to", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert f"Trade: {out / 'Trade.parquet'}" in printed
    assert len(pandas.read_parquet(out / "Trade.parquet")) > 0
    assert main(["convert", str(tmp_path / "nothing"), "--to", str(out)]) == 2
    assert "no recording" in capsys.readouterr().err
