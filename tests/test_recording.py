"""Recording: StreamClient(record_to=...) keeps every delivered frame, once, and nothing is lost."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from binance_options_ws import InvalidArgumentError, StreamClient, Trade, parse_message
from binance_options_ws.recording import (
    FORMAT_NAME,
    FORMAT_VERSION,
    RecordedFrame,
    Recorder,
    RecordingDamagedError,
    RecordingError,
    RecordingOptions,
    read_header,
    read_recording,
    recording_files,
)
from binance_options_ws.testing import FakeExchange
from binance_options_ws.testing.waiting import wait_for

SYMBOL = "BTC-261225-100000-C"
TRADE = f"{SYMBOL}@trade"


def trade(trade_id: int) -> Dict[str, Any]:
    return {
        "e": "trade",
        "E": 1_700_000_000_000 + trade_id,
        "s": SYMBOL,
        "t": trade_id,
        "p": "1000",
        "q": "1",
        "b": 1,
        "a": 2,
        "T": 1_700_000_000_000 + trade_id,
        "S": "1",
        "X": "MARKET",
    }


def recorded_trade_ids(path: Path) -> List[int]:
    ids = []
    for frame in read_recording(path):
        for event in parse_message(frame.frame):
            assert isinstance(event, Trade)
            assert event.trade_id is not None
            ids.append(event.trade_id)
    return ids


def test_every_frame_is_written_as_received_with_time_connection_and_stream(
    tmp_path: Path,
) -> None:
    before = time.time()
    with FakeExchange() as exchange, StreamClient(exchange.url, record_to=tmp_path) as client:
        client.subscribe(TRADE)
        for trade_id in range(1, 4):
            exchange.publish(TRADE, trade(trade_id))
        events = [client.get(timeout=5) for _ in range(3)]
    [path] = recording_files(tmp_path)
    assert os.path.basename(path).startswith("nbstream-")
    assert path.endswith(".jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        header, *rows = [json.loads(line) for line in lines]
    assert header["format"] == FORMAT_NAME
    assert header["version"] == FORMAT_VERSION
    assert header["endpoint"] == "nbstream"
    assert header["url"] == exchange.url
    assert [row["raw"] for row in rows] == [{"stream": TRADE, "data": trade(i)} for i in (1, 2, 3)]
    assert {row["stream"] for row in rows} == {TRADE}
    assert {row["conn"] for row in rows} == {1}
    assert before <= rows[0]["t"] <= rows[-1]["t"] <= time.time()
    frames = list(read_recording(tmp_path))
    assert [event for f in frames for event in parse_message(f.frame)] == events
    assert read_header(tmp_path)["endpoint"] == "nbstream"


def test_close_writes_everything_and_ends_the_file_cleanly(tmp_path: Path) -> None:
    with FakeExchange() as exchange:
        client = StreamClient(exchange.url, record_to=tmp_path)
        client.subscribe(TRADE)
        for trade_id in range(1, 501):
            exchange.publish(TRADE, trade(trade_id))
        wait_for(lambda: client.queue.qsize() == 500, timeout=10, what="500 trades")
        client.close()  # right away: well within the recorder's flush interval
    assert recorded_trade_ids(tmp_path) == list(range(1, 501))
    assert client.recorder is not None
    assert client.recorder.frames == 500


def test_a_frame_is_recorded_once_across_rollovers(tmp_path: Path) -> None:
    with (
        FakeExchange() as exchange,
        StreamClient(
            exchange.url, record_to=tmp_path, max_connection_age=0.5, rollover_overlap=0.3
        ) as client,
    ):
        seen: List[int] = []
        client.subscribe(TRADE, lambda event: seen.append(event.trade_id))
        stop = time.monotonic() + 2.0
        trade_id = 0
        while time.monotonic() < stop:
            trade_id += 1
            exchange.publish(TRADE, trade(trade_id))
            time.sleep(0.004)  # pace the publisher, not a wait for the client
        wait_for(lambda: len(seen) >= trade_id, timeout=5, what="every trade")
        assert client.stats.rollovers >= 2
    recorded = recorded_trade_ids(tmp_path)
    # Once each, the frames that were delivered. (While two connections overlap, each frame
    # comes from whichever read it first, so the order across them is not promised.)
    assert len(recorded) == len(set(recorded))
    assert sorted(recorded) == sorted(seen) == list(range(1, trade_id + 1))
    conns = {frame.connection for frame in read_recording(tmp_path)}
    assert len(conns) >= 3  # the frames came on several connections


def test_a_reconnect_loses_nothing_that_was_delivered(tmp_path: Path) -> None:
    with (
        FakeExchange() as exchange,
        StreamClient(exchange.url, record_to=tmp_path, backoff_initial=0.05) as client,
    ):
        client.subscribe(TRADE)
        exchange.publish(TRADE, trade(1))
        assert client.get(timeout=5).trade_id == 1  # type: ignore[union-attr]
        exchange.drop_connections()
        wait_for(lambda: client.stats.reconnects >= 1, timeout=10, what="the reconnect")
        exchange.wait_until(lambda: TRADE in exchange.subscriptions, 10, "resubscribed")
        exchange.publish(TRADE, trade(2))
        assert client.get(timeout=5).trade_id == 2  # type: ignore[union-attr]
    assert recorded_trade_ids(tmp_path) == [1, 2]


def test_an_unwritable_directory_is_a_clear_error_at_start(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(RecordingError, match=r"cannot record to .*a-file"):
        StreamClient("ws://127.0.0.1:9", record_to=blocker / "recordings")


def test_a_write_failure_later_is_reported_and_the_stream_goes_on(tmp_path: Path) -> None:
    errors: List[BaseException] = []
    directory = tmp_path / "recordings"
    with (
        FakeExchange() as exchange,
        StreamClient(exchange.url, record_to=directory, on_error=errors.append) as client,
    ):
        recorder = client.recorder
        assert recorder is not None
        client.subscribe(TRADE)
        shutil.rmtree(directory)  # the next file cannot be opened
        recorder.rotate()
        exchange.publish(TRADE, trade(1))
        assert client.get(timeout=5).trade_id == 1  # type: ignore[union-attr]
        wait_for(lambda: recorder.error is not None, timeout=5, what="the write failure")
        wait_for(lambda: bool(errors), timeout=5, what="on_error")
        assert isinstance(errors[0], RecordingError)
        exchange.publish(TRADE, trade(2))
        assert client.get(timeout=5).trade_id == 2  # type: ignore[union-attr]


def test_files_rotate_by_size_and_read_back_in_order(tmp_path: Path) -> None:
    options = RecordingOptions(tmp_path, max_file_bytes=1024)
    recorder = Recorder(options, endpoint="nbstream", url="ws://x")
    for number in range(300):
        frame = json.dumps({"stream": TRADE, "data": trade(number)}).encode()
        recorder.add(1, frame, parse_message(frame))
        if number % 50 == 49:
            recorder.flush()
    assert recorder.close(1.0)
    assert len(recording_files(tmp_path)) >= 3
    assert recorded_trade_ids(tmp_path) == list(range(300))


def test_a_frame_with_a_line_break_is_kept_as_text(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path, endpoint="nbstream", url="ws://x")
    frame = b'{"stream": "%s",\n "data": %s}' % (TRADE.encode(), json.dumps(trade(5)).encode())
    plain = [json.dumps({"stream": TRADE, "data": trade(i)}).encode() for i in (4, 6)]
    for conn, each in ((1, plain[0]), (2, frame), (1, plain[1])):  # one batch, three frames
        recorder.add(conn, each, parse_message(each))
    recorder.close(1.0)
    before, recorded, after = list(read_recording(tmp_path))
    assert (before.frame, after.frame) == tuple(plain)
    assert recorded.frame == frame
    assert recorded.connection == 2
    assert recorded.stream == TRADE


def _write(path: Path, lines: List[bytes]) -> None:
    with gzip.open(path, "wb") as out:
        out.writelines(lines)


def _header() -> bytes:
    header = {"format": FORMAT_NAME, "version": 1, "endpoint": "nbstream", "url": "ws://x"}
    return json.dumps(header).encode() + b"\n"


def _line(trade_id: int) -> bytes:
    raw = json.dumps({"stream": TRADE, "data": trade(trade_id)}).encode()
    return b'{"t":1.5,"conn":1,"stream":"%s","raw":%s}\n' % (TRADE.encode(), raw)


def test_a_line_cut_in_the_middle_stops_reading_there(tmp_path: Path) -> None:
    path = tmp_path / "nbstream-1.jsonl.gz"
    _write(path, [_header(), _line(1), _line(2), _line(3)[:40]])
    read: List[RecordedFrame] = []
    with pytest.raises(RecordingDamagedError) as info:
        read.extend(read_recording(path))
    assert len(read) == 2
    assert info.value.line == 4
    assert info.value.frames == 2
    assert info.value.path == str(path)


def test_a_bad_gzip_tail_stops_reading_after_the_good_part(tmp_path: Path) -> None:
    path = tmp_path / "nbstream-1.jsonl.gz"
    _write(path, [_header()] + [_line(i) for i in range(2000)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 200])
    read: List[RecordedFrame] = []
    with pytest.raises(RecordingDamagedError, match="damaged at line"):
        read.extend(read_recording(path))
    assert 0 < len(read) < 2000
    assert [parse_message(f.frame)[0].trade_id for f in read] == list(range(len(read)))  # type: ignore[union-attr]


def test_an_unknown_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nbstream-1.jsonl.gz"
    header = {"format": FORMAT_NAME, "version": 99, "endpoint": "nbstream"}
    _write(path, [json.dumps(header).encode() + b"\n", _line(1)])
    with pytest.raises(RecordingDamagedError, match="version 99"):
        list(read_recording(path))


def test_no_recording_at_a_path_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no recording"):
        recording_files(tmp_path)
    with pytest.raises(FileNotFoundError, match="no recording"):
        recording_files(tmp_path / "missing.jsonl.gz")


def test_the_record_command_records_the_demo_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from binance_options_ws.cli import main

    out = tmp_path / "recording"
    status = main(
        ["record", "--demo", "--seconds", "1.5", "--out", str(out), "BTCUSDT@index", "BTC@trade"]
    )
    err = capsys.readouterr().err
    assert status == 0, err
    frames = list(read_recording(out))
    assert frames
    assert {f.stream for f in frames} <= {"BTCUSDT@index", "BTC@trade"}
    assert f"recorded {len(frames)} frames in 1 file to {out}" in err


def test_the_record_command_refuses_a_bad_stream_and_an_unwritable_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from binance_options_ws.cli import main

    assert main(["record", "--demo", "--out", str(tmp_path), "BTCUSDT@nonsense"]) == 2
    assert "bad stream 'BTCUSDT@nonsense'" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["record", "--demo", "--out", str(blocker / "x"), "BTCUSDT@index"]) == 1
    assert "cannot record to" in capsys.readouterr().err


def test_a_new_file_begins_at_each_full_hour(tmp_path: Path) -> None:
    now = [1_800_000_000.0 - 1.0]  # one second before a full hour (UTC)
    recorder = Recorder(tmp_path, endpoint="nbstream", url="ws://x", clock=lambda: now[0])
    for number in range(4):
        frame = json.dumps({"stream": TRADE, "data": trade(number)}).encode()
        recorder.add(1, frame, parse_message(frame))
        recorder.flush()
        now[0] += 0.7  # frames 0 and 1 before the hour, 2 and 3 after it
    recorder.close(1.0)
    first, second = recording_files(tmp_path)
    assert "T075959Z" in first
    assert "T080000Z" in second
    assert [f.line for f in read_recording(first)] == [2, 3]
    assert [parse_message(f.frame)[0].trade_id for f in read_recording(second)] == [2, 3]  # type: ignore[union-attr]


def test_ctrl_c_in_the_record_command_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "recording"
    process = subprocess.Popen(
        [sys.executable, "-m", "binance_options_ws", "record", "--demo", "--out", str(out),
         "BTCUSDT@index", "BTC@trade"],
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        for line in process.stderr:  # a progress line a second
            if re.match(r"recorded [1-9]\d* frames", line):
                break
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    final = re.search(r"recorded (\d+) frames in 1 file", err)
    assert final, err
    assert len(list(read_recording(out))) == int(final.group(1)) > 0  # whole, no damage


def test_a_nearly_full_disk_is_a_clear_error_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = shutil.disk_usage(tmp_path)
    full = type(usage)(usage.total, usage.total - 1000, 1000)  # what a full disk reports
    monkeypatch.setattr(shutil, "disk_usage", lambda path: full)
    with pytest.raises(RecordingError, match="only 1000 bytes free"):
        StreamClient("ws://127.0.0.1:9", record_to=tmp_path)


def test_uncompressed_recordings_are_plain_json_lines_and_read_back(tmp_path: Path) -> None:
    with (
        FakeExchange() as exchange,
        StreamClient(exchange.url, record_to=RecordingOptions(tmp_path, compress=False)) as client,
    ):
        client.subscribe(TRADE)
        for trade_id in range(1, 4):
            exchange.publish(TRADE, trade(trade_id))
        events = [client.get(timeout=5) for _ in range(3)]
    [path] = recording_files(tmp_path)
    assert path.endswith(".jsonl")
    assert not path.endswith(".gz")
    with open(path, encoding="utf-8") as lines:
        header, *rows = [json.loads(line) for line in lines]
    assert header["format"] == FORMAT_NAME
    assert [row["raw"]["data"]["t"] for row in rows] == [1, 2, 3]
    assert [e for f in read_recording(tmp_path) for e in parse_message(f.frame)] == events


@pytest.mark.parametrize(
    ("options", "match"),
    [
        (RecordingOptions("x", max_file_bytes=10), "max_file_bytes must be"),
        (RecordingOptions("x", compress="yes"), "compress must be"),  # type: ignore[arg-type]
        (RecordingOptions(5), "record_to must be a directory"),  # type: ignore[arg-type]
    ],
)
def test_bad_recording_options_are_refused_at_the_call(
    options: RecordingOptions, match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        StreamClient("ws://127.0.0.1:9", record_to=options)
