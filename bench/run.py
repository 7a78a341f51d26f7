"""Run the whole benchmark and print one table: ``python bench/run.py [--quick]``.

Each measurement starts a fresh blaster (``blaster.py``) and a fresh consumer
(``consumers.py``), each in its own process, so that the CPU time and memory
reported are the consumer's alone. Everything listens on 127.0.0.1, port 0, and
every process has a time limit.

Absolute numbers move with the machine's load; the ratios against the plain
websocket-client frame loop, measured in the same round, are what to compare.
See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = ["main"]

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = sys.executable

#: Where the peers (the other libraries, for comparison) are installed, apart from
#: the project's environment: ``pip install --target bench/.peers -r
#: bench/requirements-peers.txt``. Only the peer consumers see it (``--peers``).
PEERS = {"dir": os.path.join(HERE, ".peers")}

#: Consumers that are another consumer with options: how to start them.
CONSUMER_ARGS = {
    "queue-unbatched": ["queue", "--batch-delay", "0"],
    "queue-recording": ["queue", "--record", "gzip"],
    "queue-recording-plain": ["queue", "--record", "plain"],
    "queue-pure-recording": ["queue", "--pure", "--record", "gzip"],
    "queue-pure-recording-plain": ["queue", "--pure", "--record", "plain"],
    "queue-pure": ["queue", "--pure"],
    "callback-pure": ["callback", "--pure"],
}
#: The consumers that are other libraries (run with the peers on the PYTHONPATH).
PEER_KINDS = ("sdk", "unicorn")
#: The consumers of the recording rounds: the queue without and with ``record_to``, with
#: the speed-ups extra and without it (pure Python, the base install).
RECORDING_KINDS = (
    "queue",
    "queue-recording",
    "queue-recording-plain",
    "queue-pure",
    "queue-pure-recording",
    "queue-pure-recording-plain",
)
#: What each recording consumer is compared with.
RECORDING_BASE = {
    "queue-recording": "queue",
    "queue-recording-plain": "queue",
    "queue-pure-recording": "queue-pure",
    "queue-pure-recording-plain": "queue-pure",
}
#: The consumers in the saturation rounds, the limit first.
SATURATION_KINDS = (
    "frames",
    "json",
    "sdk",
    "unicorn",
    "queue-pure",
    "callback-pure",
    "queue",
    "callback",
)
PACED_KINDS = (
    "frames",
    "sdk",
    "unicorn",
    "queue-pure",
    "callback-pure",
    "queue",
    "callback",
    "queue-unbatched",
)
#: StreamClient without the speed-ups extra (msgspec hidden from it).
PURE_KINDS = ("queue-pure", "callback-pure")
#: StreamClient as installed: with the extra, when it is.
EXTRA_KINDS = ("queue", "callback")
LABELS = {
    "frames": "websocket-client frame loop (bytes)",
    "json": "frame loop + json.loads (dicts)",
    "sdk": "official SDK, aiohttp (dicts)",
    "unicorn": "unicorn-binance-websocket-api (dicts)",
    "queue-pure": "StreamClient, queue, pure Python",
    "callback-pure": "StreamClient, callback, pure Python",
    "queue": "StreamClient, queue, speed-ups extra",
    "callback": "StreamClient, callback, speed-ups extra",
    "queue-unbatched": "the same, batch_delay=0",
    "queue-recording": "the same, record_to=a directory",
    "queue-recording-plain": "the same, uncompressed (compress=False)",
    "queue-pure-recording": "pure Python, record_to=a directory",
    "queue-pure-recording-plain": "pure Python, uncompressed (compress=False)",
}

# Targets from the issue (18). Ratios are to the frame loop of the same round.
TARGET_PURE_RATIO = 1.0  # pure Python, typed events to the queue, at saturation
TARGET_STRETCH_RATIO = 2.0  # with the extra (the first target: the official SDK's ratio)
TARGET_P99_AT_2000_MS = 1.0  # and CPU at 2,000 msg/s no more than the frame loop's
TARGET_P99_AT_10000_MS = 2.0
TARGET_RSS_GROWTH_MIB = 10.0
TARGET_QUEUED_BYTES = 1024  # a queued ticker event, by tracemalloc
DEFAULT_QUEUE_SIZE = 10_000  # StreamClient(queue_size=...)'s default
TARGET_RECORDING_LOSS = 0.15


class Settings:
    """How much to measure (the full run, or ``--quick``)."""

    def __init__(self, quick: bool, runs: Optional[int], count: Optional[int]) -> None:
        self.quick = quick
        self.runs = runs or (3 if quick else 5)
        self.count = count or (40_000 if quick else 200_000)
        self.paced_runs = 1 if quick else 3
        self.paced_seconds = {2000: 2.5 if quick else 5.0, 10000: 2.0 if quick else 4.0}
        self.rss_count = 300_000 if quick else 1_000_000
        self.micro_number = 5_000 if quick else 10_000
        self.micro_runs = 1 if quick else 3


# ---------------------------------------------------------------------- running one pair


def _run_pair(
    kind: str, blaster_args: List[str], consumer_args: List[str], limit: float
) -> Dict[str, Any]:
    """Start a blaster and a consumer against it; returns the consumer's JSON line."""
    server = subprocess.Popen(
        [PYTHON, os.path.join(HERE, "blaster.py"), "--timeout", str(limit), *blaster_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    consumer: Optional[subprocess.Popen[str]] = None
    env = None
    if kind in PEER_KINDS:  # the peers' packages, for the peers only
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (PEERS["dir"], os.environ.get("PYTHONPATH", "")) if p
        )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        if not first:
            problem = server.stderr.read() if server.stderr is not None else ""
            return {"kind": kind, "error": "the blaster did not start: " + problem}
        port = json.loads(first)["port"]
        consumer = subprocess.Popen(
            [
                PYTHON,
                os.path.join(HERE, "consumers.py"),
                *CONSUMER_ARGS.get(kind, [kind]),
                "--port",
                str(port),
                "--timeout",
                str(limit),
                *consumer_args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        out, err = consumer.communicate(timeout=limit + 15)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if consumer.returncode != 0 or not lines:
            return {"kind": kind, "error": (err.strip().splitlines() or ["no output"])[-1]}
        result: Dict[str, Any] = json.loads(lines[-1])
        if "error" in result:  # a peer that is not installed: nothing to wait for
            return result
        server_out, _ = server.communicate(timeout=20)
        summary = [line for line in server_out.splitlines() if line.startswith("{")]
        if summary:
            result["blaster"] = json.loads(summary[-1])
        return result
    except subprocess.TimeoutExpired:
        return {"kind": kind, "error": "timed out"}
    finally:
        for process in (consumer, server):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


def _micro(settings: Settings, pure: bool = False) -> Dict[str, Any]:
    """The micro benchmark in ``micro_runs`` fresh processes; the run with the median ratio."""
    runs: List[Dict[str, Any]] = []
    for _ in range(settings.micro_runs):
        completed = subprocess.run(
            [
                PYTHON,
                os.path.join(HERE, "consumers.py"),
                "micro",
                "--number",
                str(settings.micro_number),
                *(["--pure"] if pure else []),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
        if completed.returncode != 0 or not lines:
            return {"error": completed.stderr.strip()[-300:]}
        runs.append(json.loads(lines[-1]))
    runs.sort(key=lambda run: float(run["ticker"]["ratio"]))
    result = runs[len(runs) // 2]
    result["ticker_ratios"] = [run["ticker"]["ratio"] for run in runs]
    return result


def _saturated_rounds(
    kinds: Sequence[str], what: str, settings: Settings, log: Any
) -> Dict[str, List[Dict[str, Any]]]:
    """Saturated runs of ``kinds``, interleaved round by round so drift hits all alike."""
    results: Dict[str, List[Dict[str, Any]]] = {kind: [] for kind in kinds}
    for round_number in range(settings.runs):
        for kind in kinds:
            result = _run_pair(
                kind,
                ["--mode", "saturate", "--count", str(settings.count)],
                ["--count", str(settings.count)],
                limit=120.0,
            )
            result["round"] = round_number
            results[kind].append(result)
            log(f"{what} {kind:<16} round {round_number + 1}: {_brief(result)}")
    return results


def _saturation(settings: Settings, log: Any) -> Dict[str, List[Dict[str, Any]]]:
    return _saturated_rounds(SATURATION_KINDS, "saturate", settings, log)


def _recording(settings: Settings, log: Any) -> Dict[str, List[Dict[str, Any]]]:
    """Saturated queue consumers without and with recording, alternated round by round."""
    return _saturated_rounds(RECORDING_KINDS, "recording", settings, log)


def _paced(settings: Settings, log: Any) -> Dict[str, Dict[str, List[Dict[str, Any]]]]:
    results: Dict[str, Dict[str, List[Dict[str, Any]]]] = {}
    for rate, seconds in settings.paced_seconds.items():
        per_kind: Dict[str, List[Dict[str, Any]]] = {kind: [] for kind in PACED_KINDS}
        count = int(rate * seconds)
        for _ in range(settings.paced_runs):
            for kind in PACED_KINDS:
                result = _run_pair(
                    kind,
                    ["--mode", "paced", "--rate", str(rate), "--seconds", str(seconds)],
                    ["--paced", "--count", str(count), "--idle", "2"],
                    limit=seconds + 60.0,
                )
                per_kind[kind].append(result)
                log(f"paced {rate}/s {kind:<8}: {_brief(result)}")
        results[str(rate)] = per_kind
    return results


def _memory(settings: Settings, log: Any) -> Dict[str, Any]:
    count = settings.rss_count
    result: Dict[str, Any] = {}
    for kind in ("queue-pure", "queue"):
        result[kind] = _run_pair(
            kind,
            ["--mode", "saturate", "--count", str(count)],
            ["--count", str(count), "--rss-marks", f"100000,{count}"],
            limit=300.0,
        )
        log(f"memory {kind} {count}: {_brief(result[kind])}")
    queued = 20_000
    for kind, extra in (("queued-pure", ["--pure"]), ("queued", [])):
        result[kind] = _run_pair(
            "queued",
            ["--mode", "saturate", "--count", str(queued)],
            ["--count", str(queued), *extra],
            limit=120.0,
        )
        log(f"memory {kind}: {result[kind]}")
    return result


def _brief(result: Dict[str, Any]) -> str:
    if "error" in result:
        return "ERROR " + str(result["error"])
    if "rate" not in result:
        return json.dumps(result)
    text = f"{result['rate']:,.0f}/s, {result['cpu_per_100k']:.2f} CPU s/100k"
    if "latency_ms" in result:
        lat = result["latency_ms"]
        text += f", p50 {lat['p50']:.2f} ms, p99 {lat['p99']:.2f} ms"
    if result.get("dropped"):
        text += f", dropped {result['dropped']}"
    return text


# ---------------------------------------------------------------------- the table


def _ok(results: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [r for r in results if "error" not in r]


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _round_ratios(saturation: Dict[str, List[Dict[str, Any]]], kind: str) -> List[float]:
    """The kind's rate over the frame loop's, round by round."""
    limits = {r["round"]: r["rate"] for r in _ok(saturation["frames"])}
    return [r["rate"] / limits[r["round"]] for r in _ok(saturation[kind]) if limits.get(r["round"])]


def render(report: Dict[str, Any]) -> str:
    """The table printed at the end (also stored in the JSON report)."""
    lines: List[str] = []
    meta = report["meta"]
    lines.append(
        f"binance-options-ws benchmark: Python {meta['python']}, websocket-client "
        f"{meta['websocket_client']}, {meta['cpus']} CPUs, {meta['mode']} "
        f"({meta['seconds']:.0f} s)"
    )
    if any(report["saturation"].values()):
        _render_saturation(report, lines)
    if report["paced"]:
        _render_paced(report, lines)
    if report["memory"].get("error") != "skipped":
        _render_memory(report, lines)
    if report["micro"].get("error") != "skipped":
        _render_micro(report, lines)
    if report.get("recording"):
        _render_recording(report, lines)
    return "\n".join(lines)


def _thread_cpu(result: Dict[str, Any], suffix: str) -> float:
    """CPU seconds of the consumer's threads whose name ends with ``suffix``."""
    threads = result.get("thread_cpu_seconds", {})
    return float(sum(cpu for name, cpu in threads.items() if name.endswith(suffix)))


def _render_recording(report: Dict[str, Any], lines: List[str]) -> None:
    recording = report["recording"]
    count = report["settings"]["count"]
    lines.append("")
    lines.append(f"Recording: saturated queue consumer, {count:,} messages")
    for kind in RECORDING_KINDS:
        ok = _ok(recording.get(kind, []))
        if not ok:
            lines.append(f"  {LABELS[kind]:<40} error")
            continue
        rates = [r["rate"] for r in ok]
        cpu = _median([r["cpu_per_100k"] for r in ok])
        reader = _median([_thread_cpu(r, "-reader") for r in ok]) * 100_000 / count
        writer = _median([_thread_cpu(r, "-recorder") for r in ok]) * 100_000 / count
        lines.append(
            f"  {LABELS[kind]:<40} {_median(rates):>9,.0f}/s "
            f"{f'[{min(rates):,.0f} - {max(rates):,.0f}]':>19} {cpu:>6.2f} CPU s/100k "
            f"(reader {reader:.2f}"
            + (f", recorder {writer:.2f})" if kind in RECORDING_BASE else ")")
        )
    for kind, base in RECORDING_BASE.items():
        plain = {r["round"]: r["rate"] for r in _ok(recording.get(base, []))}
        recorded = _ok(recording.get(kind, []))
        losses = [1 - r["rate"] / plain[r["round"]] for r in recorded if plain.get(r["round"])]
        if not losses:
            continue
        loss = _median(losses)
        frames = _median([r.get("recorded_frames", 0) for r in recorded])
        size = _median([r.get("recorded_bytes", 0) for r in recorded])
        per_frame = size / frames if frames else float("nan")
        lines.append(
            f"  {kind}: events/s lost to recording, median {loss:.1%} [{min(losses):.1%} - "
            f"{max(losses):.1%}]  {_verdict(loss <= TARGET_RECORDING_LOSS)} (<= 15 %); "
            f"{per_frame:.0f} bytes a frame on disk"
        )


def _skipped(results: Sequence[Dict[str, Any]]) -> str:
    """Why a consumer has no figures: its first error, shortened."""
    errors = [str(r["error"]) for r in results if "error" in r]
    return (errors[0] if errors else "no results")[:110]


def _ratio_of(saturation: Dict[str, List[Dict[str, Any]]], kind: str) -> float:
    return 1.0 if kind == "frames" else _median(_round_ratios(saturation, kind))


def _extra_note(results: Sequence[Dict[str, Any]]) -> str:
    ok = _ok(results)
    return " (extra NOT installed)" if ok and not all(r.get("speedups") for r in ok) else ""


def _render_saturation(report: Dict[str, Any], lines: List[str]) -> None:
    saturation = report["saturation"]
    runs = report["settings"]["runs"]
    count = report["settings"]["count"]
    lines.append("")
    sizes = report["micro"].get("bytes")
    shape = f" (tickers of {sizes['ticker']} B, books of {sizes['depth']} B)" if sizes else ""
    lines.append(f"Saturation: {count:,} messages{shape}, {runs} rounds")
    lines.append(
        f"  {'consumer':<40} {'events/s median':>15} {'[min - max]':>19} "
        f"{'vs limit':>9} {'[min - max]':>13} {'CPU s/100k':>11} {'switches/1k':>12}"
    )
    sdk_ratio = _ratio_of(saturation, "sdk") if _ok(saturation.get("sdk", [])) else None
    for kind in SATURATION_KINDS:
        results = saturation.get(kind, [])
        ok = _ok(results)
        if not ok:
            lines.append(f"  {LABELS[kind]:<40} {_skipped(results)}")
            continue
        rates = [r["rate"] for r in ok]
        cpu = _median([r["cpu_per_100k"] for r in ok])
        switches = _median([r.get("switches_per_1000", float("nan")) for r in ok])
        ratios = _round_ratios(saturation, kind) if kind != "frames" else [1.0]
        ratio = _median(ratios)
        mark = ""
        if kind in PURE_KINDS:
            mark = f"  {_verdict(ratio >= TARGET_PURE_RATIO)} (>= 1.0)"
        elif kind in EXTRA_KINDS:
            if sdk_ratio is not None:
                mark = f"  {_verdict(ratio >= sdk_ratio)} (>= the SDK's {sdk_ratio:.2f})"
            mark += f", stretch {_verdict(ratio >= TARGET_STRETCH_RATIO)} (>= 2.0)"
            mark += _extra_note(results)
        spread = f"[{min(ratios):.2f} - {max(ratios):.2f}]"
        lines.append(
            f"  {LABELS[kind]:<40} {_median(rates):>15,.0f} "
            f"{f'[{min(rates):,.0f} - {max(rates):,.0f}]':>19} {ratio:>9.2f} {spread:>13} "
            f"{cpu:>11.2f} {switches:>12.0f}{mark}"
        )


def _render_paced(report: Dict[str, Any], lines: List[str]) -> None:
    lines.append("")
    lines.append("Paced: latency from the server's send to the consumer holding the event")
    lines.append(
        f"  {'msg/s':>7}  {'consumer':<40} {'CPU % core':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8}"
    )
    for rate, per_kind in report["paced"].items():
        frames = _ok(per_kind.get("frames", []))
        limit_cpu = _median([r["cpu_core_fraction"] for r in frames]) if frames else None
        for kind in PACED_KINDS:
            results = per_kind.get(kind, [])
            ok = _ok(results)
            if not ok:
                lines.append(f"  {int(rate):>7,}  {LABELS[kind]:<40} {_skipped(results)}")
                continue
            cpu = _median([r["cpu_core_fraction"] for r in ok])
            p50 = _median([r["latency_ms"]["p50"] for r in ok if "latency_ms" in r])
            p99 = _median([r["latency_ms"]["p99"] for r in ok if "latency_ms" in r])
            worst = max(r["latency_ms"]["max"] for r in ok if "latency_ms" in r)
            mark = ""
            if kind in PURE_KINDS + EXTRA_KINDS:
                if rate == "2000":
                    cpu_ok = limit_cpu is not None and cpu <= limit_cpu
                    mark = (
                        f"  CPU {_verdict(cpu_ok)} (<= the frame loop's),"
                        f" p99 {_verdict(p99 <= TARGET_P99_AT_2000_MS)} (<= 1 ms)"
                    )
                elif rate == "10000":
                    mark = f"  p99 {_verdict(p99 <= TARGET_P99_AT_10000_MS)} (<= 2 ms)"
            lines.append(
                f"  {int(rate):>7,}  {LABELS[kind]:<40} {cpu:>10.1%} {p50:>8.3f} "
                f"{p99:>8.3f} {worst:>8.3f}{mark}"
            )


def _render_memory(report: Dict[str, Any], lines: List[str]) -> None:
    memory = report["memory"]
    lines.append("")
    last = str(report["settings"]["rss_count"])
    for kind in ("queue-pure", "queue"):
        result = memory.get(kind, {})
        label = "pure Python" if kind == "queue-pure" else "speed-ups extra"
        if "error" in result or "rss_kib" not in result:
            lines.append(f"Memory ({label}): error {result.get('error', 'no marks')}")
            continue
        marks = result["rss_kib"]
        first_peak = marks["100000"] / 1024
        last_peak = marks[last] / 1024
        growth = last_peak - first_peak
        lines.append(
            f"Memory (StreamClient queue, saturated, {label}): peak RSS {first_peak:.1f} MiB "
            f"at 100,000 messages, {last_peak:.1f} MiB at {int(last):,}: +{growth:.1f} MiB  "
            f"{_verdict(growth <= TARGET_RSS_GROWTH_MIB)} (<= 10 MiB)"
        )
        if result.get("dropped"):
            lines.append(f"  (the queue dropped {result['dropped']:,} events: drop-oldest)")
    for kind in ("queued-pure", "queued"):
        result = memory.get(kind, {})
        label = "pure Python" if kind == "queued-pure" else "speed-ups extra"
        size = result.get("bytes_per_event")
        if size is None:
            lines.append(f"Queued event ({label}): error {result.get('error', 'no figure')}")
            continue
        full = size * DEFAULT_QUEUE_SIZE / 2**20
        lines.append(
            f"A queued {result.get('event_type')} event ({label}, tracemalloc, "
            f"{result['events']:,} queued): {size:,.0f} bytes  "
            f"{_verdict(size <= TARGET_QUEUED_BYTES)} (<= 1 KB); a full default queue "
            f"({DEFAULT_QUEUE_SIZE:,}) of them: {full:.1f} MiB"
        )


def _render_micro(report: Dict[str, Any], lines: List[str]) -> None:
    lines.append("")
    for key, label in (("micro_pure", "pure Python"), ("micro", "speed-ups extra")):
        micro = report.get(key, {"error": "skipped"})
        if micro.get("error") == "skipped":
            continue
        if "error" in micro:
            lines.append(f"Micro ({label}): error {micro['error']}")
            continue
        ticker = micro["ticker"]
        runs = micro.get("ticker_ratios", [])
        spread = f" (median of {', '.join(f'{r:.2f}' for r in runs)})" if len(runs) > 1 else ""
        lines.append(
            f"Micro ({label}): parse_message(24hrTicker, {micro['bytes']['ticker']} B) "
            f"{ticker['parse_message_us']:.2f} us vs json.loads {ticker['json_loads_us']:.2f} us:"
            f" {ticker['ratio']:.2f}x{spread}"
        )
        depth = micro["depth"]
        lines.append(
            f"       parse_message(depth20, {micro['bytes']['depth']} B) "
            f"{depth['parse_message_us']:.2f} us vs json.loads {depth['json_loads_us']:.2f} us:"
            f" {depth['ratio']:.2f}x"
        )


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Benchmark binance-options-ws on loopback.")
    parser.add_argument("--quick", action="store_true", help="a smaller run, a few minutes")
    parser.add_argument("--runs", type=int, help="saturation rounds (default 5, quick 3)")
    parser.add_argument("--count", type=int, help="messages per saturation run")
    parser.add_argument(
        "--only",
        default="micro,saturation,paced,memory,recording",
        help="comma-separated parts: micro, saturation, paced, memory, recording",
    )
    parser.add_argument("--json", help="also write the full results to this file")
    parser.add_argument(
        "--peers",
        default=PEERS["dir"],
        help="where the peer libraries are installed (default bench/.peers)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    settings = Settings(args.quick, args.runs, args.count)
    PEERS["dir"] = os.path.abspath(args.peers)
    parts = set(args.only.split(","))

    def log(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    started = time.monotonic()
    import websocket

    report: Dict[str, Any] = {
        "settings": {
            "runs": settings.runs,
            "count": settings.count,
            "paced_runs": settings.paced_runs,
            "paced_seconds": settings.paced_seconds,
            "rss_count": settings.rss_count,
        },
        "micro": {"error": "skipped"},
        "saturation": {kind: [] for kind in SATURATION_KINDS},
        "paced": {},
        "memory": {"error": "skipped"},
        "recording": {},
    }
    if "micro" in parts:
        report["micro_pure"] = _micro(settings, pure=True)
        log(f"micro, pure Python: {json.dumps(report['micro_pure'])}")
        report["micro"] = _micro(settings)
        log(f"micro: {json.dumps(report['micro'])}")
    if "saturation" in parts:
        report["saturation"] = _saturation(settings, log)
    if "paced" in parts:
        report["paced"] = _paced(settings, log)
    if "memory" in parts:
        report["memory"] = _memory(settings, log)
    if "recording" in parts:
        report["recording"] = _recording(settings, log)
    report["meta"] = {
        "python": platform.python_version(),
        "websocket_client": websocket.__version__,
        "cpus": os.cpu_count(),
        "mode": "quick" if settings.quick else "full",
        "seconds": time.monotonic() - started,
        "load_average": _load_average(),
    }
    table = render(report)
    report["table"] = table
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=1)
    print(table)
    return 0


def _load_average() -> Optional[Tuple[float, float, float]]:
    try:
        return os.getloadavg()
    except OSError:
        return None


if __name__ == "__main__":
    sys.exit(main())
