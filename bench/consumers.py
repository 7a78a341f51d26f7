"""The consumers of the benchmark, one per process, each printing one JSON line.

Usage::

    python bench/consumers.py KIND --port PORT [--count N | --paced] [options]

Kinds:

* ``frames``: websocket-client's plain ``WebSocket`` frame loop, no decoding at
  all: the limit of the transport the library is built on.
* ``json``: the same loop plus ``json.loads`` of every frame.
* ``queue``: ``StreamClient`` end to end, subscribed through the normal API,
  the main thread taking typed events from ``client.get()``.
* ``callback``: ``StreamClient`` end to end with a callback (run on the client's
  dispatcher thread).
* ``micro``: no network; the cost of ``parse_message`` for one 24hrTicker
  message against ``json.loads`` of the same bytes.
* ``sdk``: the official SDK, ``binance-sdk-derivatives-trading-options`` (asyncio,
  aiohttp), its raw dicts taken in a callback on the event loop;
* ``unicorn``: ``unicorn-binance-websocket-api``, its dicts taken from its buffer
  (``pop_stream_data_from_stream_buffer``) on the main thread.

The two peers are not dependencies of this project: ``run.py`` runs them with
``bench/.peers`` on the ``PYTHONPATH`` (``pip install --target bench/.peers -r
bench/requirements-peers.txt``); a peer that cannot be imported prints an error line
that says so, and the table shows it as skipped.

``--pure`` runs a ``StreamClient`` consumer as if the speed-ups extra were not
installed (msgspec cannot be imported), so both can be measured in one run.

Every consumer counts messages from the first one it holds to the last. CPU is
the whole process's user + system time (``resource.getrusage``) over that
window, so the reader, dispatcher and supervisor threads are all paid for. A
consumer stops by itself after ``--count`` messages, or when nothing arrived for
``--idle`` seconds, or at ``--timeout``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import sys
import tempfile
import threading
import time
import timeit
from array import array
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import websocket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blaster  # the payloads are shared with the server

__all__ = ["main"]

_E_KEY = b'"E":'


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _switches() -> int:
    """Context switches of the process so far (voluntary and not): thread wake-ups."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_nvcsw + usage.ru_nivcsw


def _max_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _rss_kib() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:
        return _max_rss_kib()


def _thread_stats() -> Dict[str, Dict[str, float]]:
    """Per live thread, by name: CPU seconds (user + system) and context switches.

    Linux only (``/proc/self/task``); empty elsewhere.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    cpu: Dict[str, float] = {}
    switches: Dict[str, float] = {}
    for thread in threading.enumerate():
        name = thread.name.rsplit("-", 1)[0] if thread.name[-1:].isdigit() else thread.name
        task = f"/proc/self/task/{thread.native_id}"
        try:
            with open(f"{task}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
            with open(f"{task}/status") as status:
                counts = [
                    int(line.split()[1])
                    for line in status
                    if line.startswith(("voluntary_ctxt", "nonvoluntary_ctxt"))
                ]
        except (OSError, TypeError):
            continue
        cpu[name] = cpu.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
        switches[name] = switches.get(name, 0.0) + sum(counts)
    return {"cpu": cpu, "switches": switches}


def _percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


class _Meter:
    """Counts messages, and records CPU, latency and memory at the right moments.

    ``hit`` is called by the consumer for every message it holds, with the
    message's send stamp (microseconds) in paced runs, or None.
    """

    def __init__(self, count: int, rss_marks: Sequence[int]) -> None:
        self.count = count
        self.received = 0
        self.first_at = 0.0
        self.last_at = 0.0
        self.cpu_first = 0.0
        self.cpu_last = 0.0
        self.switches_first = 0
        self.switches_last = 0
        self.threads_first: Dict[str, Dict[str, float]] = {}
        self.threads_last: Dict[str, Dict[str, float]] = {}
        self.latencies = array("d")
        self.rss_marks = sorted(rss_marks)
        self.rss: Dict[str, int] = {}
        self.done = threading.Event()

    def hit(self, stamp_us: Optional[int]) -> None:
        now = time.time()
        self.received += 1
        if stamp_us is not None:
            self.latencies.append(now - stamp_us * 1e-6)
        received = self.received
        if received == 1:
            self.first_at = time.perf_counter()
            self.cpu_first = _cpu()
            self.switches_first = _switches()
            self.threads_first = _thread_stats()
        if self.rss_marks and received == self.rss_marks[0]:
            self.rss_marks.pop(0)
            self.rss[str(received)] = _max_rss_kib()
            self.rss[f"{received}_current"] = _rss_kib()
        if received >= self.count:
            self.finish()

    def finish(self) -> None:
        if not self.done.is_set():
            self.last_at = time.perf_counter()
            self.cpu_last = _cpu()
            self.switches_last = _switches()
            self.threads_last = _thread_stats()
            self.done.set()

    def result(self, kind: str) -> Dict[str, Any]:
        elapsed = self.last_at - self.first_at
        cpu = self.cpu_last - self.cpu_first
        out: Dict[str, Any] = {
            "kind": kind,
            "received": self.received,
            "seconds": round(elapsed, 4),
            "rate": round((self.received - 1) / elapsed, 1) if elapsed > 0 else 0.0,
            "cpu_seconds": round(cpu, 4),
            "cpu_per_100k": round(cpu * 100_000 / self.received, 4) if self.received else None,
            "cpu_core_fraction": round(cpu / elapsed, 4) if elapsed > 0 else None,
            "max_rss_kib": _max_rss_kib(),
            "switches_per_1000": (
                round((self.switches_last - self.switches_first) * 1000 / self.received, 1)
                if self.received
                else None
            ),
        }
        if self.threads_last and self.threads_first:
            first, last = self.threads_first, self.threads_last
            out["thread_cpu_seconds"] = {
                name: round(seconds - first["cpu"].get(name, 0.0), 3)
                for name, seconds in last["cpu"].items()
            }
            out["thread_switches"] = {
                name: int(count - first["switches"].get(name, 0.0))
                for name, count in last["switches"].items()
            }
        if self.rss:
            out["rss_kib"] = self.rss
        if self.latencies:
            ms = sorted(x * 1000.0 for x in self.latencies)
            out["latency_ms"] = {
                "p50": round(_percentile(ms, 0.50), 4),
                "p99": round(_percentile(ms, 0.99), 4),
                "max": round(ms[-1], 4),
                "n": len(ms),
            }
        return out


def _stamp_from_bytes(data: bytes) -> int:
    start = data.index(_E_KEY) + 4
    return int(data[start : start + 16])


# ---------------------------------------------------------------------- websocket-client alone


def _plain(args: argparse.Namespace, meter: _Meter, decode: bool) -> Dict[str, Any]:
    ws: Any = websocket.WebSocket(skip_utf8_validation=True)
    ws.connect(f"ws://127.0.0.1:{args.port}/stream", timeout=10)
    ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ws.settimeout(args.idle)
    ws.send(json.dumps({"method": "SUBSCRIBE", "params": list(blaster.DEFAULT_STREAMS), "id": 1}))
    ws.recv()  # the reply
    paced, loads, hit = args.paced, json.loads, meter.hit
    text = websocket.ABNF.OPCODE_TEXT
    deadline = time.monotonic() + args.timeout
    try:
        while not meter.done.is_set():
            opcode, frame = ws.recv_data_frame(True)
            if opcode != text:
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                continue
            data = frame.data
            if decode:
                message = loads(data)
                hit(message["data"]["E"] if paced else None)
            else:
                hit(_stamp_from_bytes(data) if paced else None)
            if meter.received & 0x3FF == 0 and time.monotonic() > deadline:
                break
    except (websocket.WebSocketTimeoutException, websocket.WebSocketConnectionClosedException):
        pass
    meter.finish()
    result = meter.result("json" if decode else "frames")
    ws.close(timeout=1)
    return result


# ---------------------------------------------------------------------- StreamClient


def _client(args: argparse.Namespace, meter: _Meter, use_callback: bool) -> Dict[str, Any]:
    from binance_options_ws import StreamClient

    paced, hit = args.paced, meter.hit
    last_seen = [time.monotonic()]

    def on_event(event: Any) -> None:
        hit(event.event_time if paced else None)

    options: Dict[str, Any] = {}
    if args.batch_delay is not None:
        options["batch_delay"] = args.batch_delay
    recording = tempfile.mkdtemp(prefix="bench-recording-") if args.record else None
    if recording is not None:
        from binance_options_ws.recording import RecordingOptions

        options["record_to"] = RecordingOptions(recording, compress=args.record == "gzip")
    client = StreamClient(f"ws://127.0.0.1:{args.port}", reconnect=False, **options)
    deadline = time.monotonic() + args.timeout
    try:
        if use_callback:
            client.subscribe(list(blaster.DEFAULT_STREAMS), on_event)
            seen = 0
            while not meter.done.wait(0.05):
                now = time.monotonic()
                if meter.received != seen:
                    seen, last_seen[0] = meter.received, now
                elif now - last_seen[0] > args.idle or now > deadline:
                    break
        else:
            client.subscribe(list(blaster.DEFAULT_STREAMS))
            get = client.get
            while not meter.done.is_set():
                try:
                    event = get(timeout=args.idle)
                except Exception:  # queue.Empty, or the client closed
                    break
                hit(event.event_time if paced else None)
                if meter.received & 0x3FF == 0 and time.monotonic() > deadline:
                    break
        meter.finish()
        result = meter.result("callback" if use_callback else "queue")
        result["speedups"] = _speedups_on()
        stats = client.stats
        result["dropped"] = stats.dropped_events
        result["parse_errors"] = stats.parse_errors
    finally:
        client.close()
        if recording is not None:
            recorder = client.recorder
            assert recorder is not None
            result["recorded_frames"] = recorder.frames
            result["recorded_dropped"] = recorder.dropped
            result["recorded_bytes"] = sum(os.path.getsize(f) for f in recorder.files)
            shutil.rmtree(recording, ignore_errors=True)
    return result


# ---------------------------------------------------------------------- one queued event


def _queued(args: argparse.Namespace) -> Dict[str, Any]:
    """Bytes per queued ticker event, by tracemalloc: tickers only, nobody consuming.

    The client subscribes to the four ticker streams with a queue of ``--count``
    events, the blaster sends that many, and the memory allocated while they wait in
    the queue (less what was allocated before the first arrived) is divided by their
    number. The frames themselves are gone by then: only the events remain.
    """
    import gc
    import tracemalloc

    from binance_options_ws import StreamClient

    count = args.count
    tickers = [s for s in blaster.DEFAULT_STREAMS if s.endswith("@ticker")]
    client = StreamClient(f"ws://127.0.0.1:{args.port}", reconnect=False, queue_size=count + 1000)
    try:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        client.subscribe(tickers)
        deadline = time.monotonic() + args.timeout
        while client.queue.qsize() < count and time.monotonic() < deadline:
            time.sleep(0.05)
        queued = client.queue.qsize()
        time.sleep(0.2)  # the reader's last batch and buffers settle
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        sample = client.get(timeout=1)
    finally:
        client.close()
    return {
        "kind": "queued",
        "events": queued,
        "event_type": type(sample).__name__,
        "bytes_per_event": round((after - before) / queued, 1) if queued else None,
        "speedups": _speedups_on(),
    }


def _speedups_on() -> bool:
    from binance_options_ws import _speedups

    return bool(_speedups.AVAILABLE)


# ---------------------------------------------------------------------- the peers


def _peer_missing(kind: str, exc: ImportError) -> Dict[str, Any]:
    return {
        "kind": kind,
        "error": f"skipped: {exc.name or exc} is not installed (pip install --target "
        "bench/.peers -r bench/requirements-peers.txt)",
    }


def _sdk(args: argparse.Namespace, meter: _Meter) -> Dict[str, Any]:
    """The official SDK's stream connection, a callback per stream, raw dicts."""
    try:
        import asyncio
        import logging

        from binance_common.configuration import ConfigurationWebSocketStreams
        from binance_sdk_derivatives_trading_options.derivatives_trading_options import (
            DerivativesTradingOptions,
        )
    except ImportError as exc:
        return _peer_missing("sdk", exc)
    logging.getLogger().setLevel(logging.WARNING)  # it logs every message at INFO
    paced, hit = args.paced, meter.hit
    streams = list(blaster.DEFAULT_STREAMS)

    def on_message(message: Any) -> None:
        hit(message["data"]["E"] if paced else None)

    async def run() -> Dict[str, Any]:
        config = ConfigurationWebSocketStreams(
            stream_url=f"ws://127.0.0.1:{args.port}", reconnect_attempts=1
        )
        client = DerivativesTradingOptions(config_ws_streams=config)
        connection = await client.websocket_streams.create_connection()
        try:
            await connection.subscribe(streams, stream_url="public")
            for stream in streams:
                connection.on("message", on_message, stream)
            await _wait_async(meter, args)
        finally:
            meter.finish()
            await connection.close_connection(close_session=True)
        return meter.result("sdk")

    return asyncio.run(asyncio.wait_for(run(), args.timeout + 10))


async def _wait_async(meter: _Meter, args: argparse.Namespace) -> None:
    """Until the count is reached, nothing came for ``--idle`` seconds, or ``--timeout``."""
    import asyncio

    deadline = time.monotonic() + args.timeout
    seen, last_seen = 0, time.monotonic()
    while not meter.done.is_set():
        await asyncio.sleep(0.05)
        now = time.monotonic()
        if meter.received != seen:
            seen, last_seen = meter.received, now
        elif now - last_seen > args.idle or now > deadline:
            break


def _unicorn(args: argparse.Namespace, meter: _Meter) -> Dict[str, Any]:
    """unicorn-binance-websocket-api's stream buffer, dicts, read on the main thread."""
    try:
        import logging

        from unicorn_binance_websocket_api import BinanceWebSocketApiManager
    except ImportError as exc:
        return _peer_missing("unicorn", exc)
    logging.getLogger().setLevel(logging.WARNING)
    paced, hit = args.paced, meter.hit
    markets = sorted({s.partition("@")[0] for s in blaster.DEFAULT_STREAMS})
    manager = BinanceWebSocketApiManager(
        exchange="binance.com-vanilla-options",
        websocket_base_uri=f"ws://127.0.0.1:{args.port}/",
        output_default="dict",
        disable_colorama=True,
        warn_on_update=False,
    )
    try:
        manager.create_stream(["ticker", "depth20"], markets, output="dict")
        pop = manager.pop_stream_data_from_stream_buffer
        deadline = time.monotonic() + args.timeout
        last_seen = time.monotonic()
        while not meter.done.is_set():
            message = pop()
            if message is False or message is None:
                now = time.monotonic()
                if now - last_seen > args.idle or now > deadline:
                    break
                time.sleep(0.0005)
                continue
            data = message.get("data") if isinstance(message, dict) else None
            if not isinstance(data, dict):
                continue  # a reply
            last_seen = time.monotonic()
            hit(data["E"] if paced else None)
        meter.finish()
        return meter.result("unicorn")
    finally:
        manager.stop_manager()


# ---------------------------------------------------------------------- micro


def _best_pair(
    first: Callable[[], Any], second: Callable[[], Any], number: int, repeat: int
) -> Tuple[float, float]:
    """Seconds per call of each, the best of ``repeat`` batches, the batches alternated.

    Alternating keeps a change in the machine's load from favouring either side.
    """
    best_first = best_second = float("inf")
    for _ in range(repeat):
        best_first = min(best_first, timeit.timeit(first, number=number))
        best_second = min(best_second, timeit.timeit(second, number=number))
    return best_first / number, best_second / number


def _micro(args: argparse.Namespace) -> Dict[str, Any]:
    from binance_options_ws import parse_message

    rng = random.Random(3)
    stream = blaster.DEFAULT_STREAMS[0]
    symbol = stream.partition("@")[0]
    raw = blaster.ticker_payload(symbol, rng, "1766620800123").encode()
    enveloped = blaster.envelope(stream, raw.decode()).encode()
    book = blaster.envelope(
        blaster.DEFAULT_STREAMS[1], blaster.depth_payload(symbol, rng, "1766620800123")
    ).encode()
    number, repeat = args.number, args.repeat
    out: Dict[str, Any] = {"kind": "micro", "bytes": {"ticker": len(enveloped), "depth": len(book)}}
    for name, text in (("ticker", enveloped), ("ticker_raw", raw), ("depth", book)):
        loads_s, parse_s = _best_pair(
            lambda text=text: json.loads(text),  # type: ignore[misc]
            lambda text=text: parse_message(text),  # type: ignore[misc]
            number,
            repeat,
        )
        out[name] = {
            "json_loads_us": round(loads_s * 1e6, 3),
            "parse_message_us": round(parse_s * 1e6, 3),
            "ratio": round(parse_s / loads_s, 3),
        }
    return out


# ---------------------------------------------------------------------- main


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point: run one consumer and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "kind",
        choices=("frames", "json", "queue", "callback", "micro", "sdk", "unicorn", "queued"),
    )
    parser.add_argument(
        "--pure", action="store_true", help="StreamClient without the speed-ups extra"
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--count", type=int, default=100_000, help="stop after N messages")
    parser.add_argument("--paced", action="store_true", help="read send stamps (latency)")
    parser.add_argument("--rss-marks", default="", help="comma-separated message counts")
    parser.add_argument(
        "--batch-delay", type=float, help="queue, callback: StreamClient's batch_delay"
    )
    parser.add_argument(
        "--record",
        choices=("gzip", "plain"),
        help="queue, callback: record to a temporary directory, gzip or plain JSON lines",
    )
    parser.add_argument("--idle", type=float, default=3.0, help="stop after this long silent")
    parser.add_argument("--timeout", type=float, default=120.0, help="hard limit, seconds")
    parser.add_argument("--number", type=int, default=20_000, help="micro: calls per repeat")
    parser.add_argument("--repeat", type=int, default=15, help="micro: batches (best is kept)")
    args = parser.parse_args(argv)
    if args.pure:
        sys.modules["msgspec"] = None  # type: ignore[assignment]  # as if not installed
    if args.kind == "micro":
        result = _micro(args)
    elif args.kind == "queued":
        result = _queued(args)
    else:
        marks: List[int] = [int(m) for m in args.rss_marks.split(",") if m]
        meter = _Meter(args.count, marks)
        if args.kind in ("frames", "json"):
            result = _plain(args, meter, decode=args.kind == "json")
        elif args.kind == "sdk":
            result = _sdk(args, meter)
        elif args.kind == "unicorn":
            result = _unicorn(args, meter)
        else:
            result = _client(args, meter, use_callback=args.kind == "callback")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
