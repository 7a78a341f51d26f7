"""The speed-ups extra gives the same events as the pure-Python code, message for message.

The messages: the documentation's examples of both endpoints (from test_models.py and
test_fstream.py), the fake market's payloads on both endpoints, and a seeded fuzz of
those with values, keys and bytes mutated. The reference is a process that cannot
import msgspec; this process parses with it. Events are compared with ``==`` and by
their ``repr`` (which tells ``-0.0`` from ``0.0`` and ``1`` from ``1.0``), errors by
their type and text.

The comparison needs msgspec (``pip install '.[speedups]'``): CI runs the suite a
second time with the extra installed, and there this module runs in full.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import pickle
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from binance_options_ws import _parse, _speedups
from binance_options_ws.endpoints import get_endpoint
from binance_options_ws.testing import SyntheticMarket

HERE = Path(__file__).parent
ENDPOINTS = ("nbstream", "fstream")
START = dt.datetime(2026, 3, 2, 9, 30)

Case = Tuple[str, bytes]  # (endpoint, the message)


# ---------------------------------------------------------------------- the messages


def _examples(test_module: str) -> List[str]:
    """The ``*_EXAMPLE`` texts of another test module (read, not run)."""
    spec = importlib.util.spec_from_file_location(f"_examples_{test_module}", HERE / test_module)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [
        value
        for name, value in sorted(vars(module).items())
        if name.endswith("_EXAMPLE") and isinstance(value, str)
    ]


def _market_messages() -> List[Case]:
    """What the fake market publishes on both endpoints for a minute, in the envelope."""
    market = SyntheticMarket(seed=11, start=START, speed=5)
    expiry = market.expirations("BTC")[0].strftime("%y%m%d")
    options = [s for s in market.symbols("BTC") if s.split("-")[1] == expiry][:4]
    nbstream = [
        *(f"{s}@ticker" for s in options),
        *(f"{s}@depth20" for s in options),
        f"{options[0]}@depth10@100ms",
        f"{options[0]}@trade",
        f"{options[0]}@kline_1m",
        "BTC@markPrice",
        "BTCUSDT@index",
        f"BTC@ticker@{expiry}",
        f"BTC@openInterest@{expiry}",
        "option_pair",
    ]
    low = [s.lower() for s in options]
    fstream = [
        *(f"{s}@optionTicker" for s in low),
        *(f"{s}@depth20@100ms" for s in low),
        f"{low[0]}@depth@100ms",
        f"{low[0]}@bookTicker",
        f"{low[0]}@optionTrade",
        f"{low[0]}@kline_1m",
        "btcusdt@optionTrade",
        "btcusdt@optionMarkPrice",
        f"btcusdt@optionTicker@{expiry}",
        f"btcusdt@optionOpenInterest@{expiry}",
        "!index@arr",
        "!optionSymbol",
    ]
    cases: List[Case] = []
    start = market.now_ms
    for now in range(start, start + 60_000, 250):
        for endpoint, names in (("nbstream", nbstream), ("fstream", fstream)):
            for name, payload in market.poll(now, names):
                cases.append((endpoint, _enveloped(name, payload)))
    return cases


def _enveloped(stream: str, payload: Any) -> bytes:
    return json.dumps({"stream": stream, "data": payload}, separators=(",", ":")).encode()


#: Values a mutation puts in place of a field's: every kind of junk the readers
#: tell apart (non-finite, negative zero, not whole, booleans, nulls, huge, escaped).
JUNK: List[Any] = [
    None,
    True,
    False,
    0,
    -0.0,
    "-0",
    "-0.0",
    "0",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1e400",
    "1e308",
    "27",
    "27.0",
    "2.7E1",
    "27.9",
    27.0,
    27.5,
    " 5",
    "5 ",
    "+5",
    "1_000",
    ".5",
    "5.",
    "",
    "x",
    "٣",
    "\ud800",
    10**20,
    -(10**30),
    "123456789012345678901234567890",
    1e300,
    [],
    {},
    ["1", "2"],
    [["1", "2", "3"]],
    [["1", True]],
    [["nan", "1"]],
    [["1"]],
    [[1, 2], [3, 4]],
]


def _mutate_value(value: Any, rng: random.Random) -> Any:
    """``value`` with one field (or one book level) somewhere in it replaced or removed."""
    if isinstance(value, dict) and value:
        out = dict(value)
        key = rng.choice(sorted(out))
        roll = rng.random()
        if roll < 0.15:
            del out[key]
        elif roll < 0.2:
            out["zz_new_key"] = rng.choice(JUNK)
        elif roll < 0.55 and isinstance(out[key], (dict, list)):
            out[key] = _mutate_value(out[key], rng)
        else:
            out[key] = rng.choice(JUNK)
        return out
    if isinstance(value, list) and value:
        out_list = list(value)
        index = rng.randrange(len(out_list))
        if rng.random() < 0.5:
            out_list[index] = _mutate_value(out_list[index], rng)
        else:
            out_list[index] = rng.choice(JUNK)
        return out_list
    return rng.choice(JUNK)


def _mutate(message: bytes, rng: random.Random) -> bytes:
    """One mutation: of a value (the usual case), or of the text or bytes themselves."""
    roll = rng.random()
    try:
        data = json.loads(message)
    except ValueError:  # mutated before into something that is not JSON
        roll = max(roll, 0.7)
    if roll < 0.7:
        if isinstance(data, dict) and "data" in data and rng.random() < 0.9:
            data = dict(data, data=_mutate_value(data["data"], rng))
        else:
            data = _mutate_value(data, rng)
        return json.dumps(data, separators=(",", ":"), ensure_ascii=rng.random() < 0.5).encode(
            "utf-8", "surrogatepass"
        )
    text = message
    if roll < 0.75:  # a duplicated key: the last one counts
        at = text.find(b'"data":{') + len(b'"data":{')
        if at >= len(b'"data":{'):
            return text[:at] + b'"c":"1.5","s":"X",' + text[at:]
    if roll < 0.8:  # a number written as an escaped string
        return text.replace(b'"0', b'"\\u0030', 1)
    if roll < 0.85:  # whitespace around and inside
        return b" " + text.replace(b":", b": ", 3) + b"\n"
    if roll < 0.9:  # cut short
        return text[: rng.randrange(len(text))]
    if roll < 0.95:  # a byte that is not UTF-8, or an encoded surrogate
        at = rng.randrange(len(text))
        return text[:at] + rng.choice([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80"]) + text[at:]
    return text.replace(b'"stream"', b'"STREAM"', 1)  # no envelope any more


def _corpus() -> List[Case]:
    cases: List[Case] = []
    for endpoint, module in (("nbstream", "test_models.py"), ("fstream", "test_fstream.py")):
        for text in _examples(module):
            raw = text.strip().encode()
            data = json.loads(raw)
            cases.append((endpoint, raw))
            cases.append((endpoint, _enveloped("BTC-200630-9000-P@ticker", data)))
    market = _market_messages()
    cases.extend(market)
    rng = random.Random(2026)
    base = cases[:]
    for _ in range(6000):
        endpoint, message = rng.choice(base)
        mutated = _mutate(message, rng)
        if rng.random() < 0.2:
            mutated = _mutate(mutated, rng)
        cases.append((endpoint, mutated))
    # Every message also as the other endpoint's (some keys mean other things there).
    cases.extend(("fstream" if e == "nbstream" else "nbstream", m) for e, m in cases[:400])
    return cases


# ---------------------------------------------------------------------- the comparison

_REFERENCE = textwrap.dedent(
    """
    import pickle, sys
    sys.modules["msgspec"] = None  # the pure-Python code only
    from binance_options_ws import _speedups
    from binance_options_ws.endpoints import get_endpoint
    from binance_options_ws.exceptions import MessageParseError
    assert not _speedups.AVAILABLE
    with open(sys.argv[1], "rb") as f:
        cases = pickle.load(f)
    parsers = {name: get_endpoint(name).frame_parser() for name in ("nbstream", "fstream")}
    out = []
    for endpoint, message in cases:
        try:
            events = parsers[endpoint](message)
            out.append(("ok", events, repr(events)))
        except MessageParseError as exc:
            out.append(("error", type(exc).__name__, str(exc)))
    with open(sys.argv[2], "wb") as f:
        pickle.dump(out, f)
    """
)


def _reference(cases: List[Case], tmp_path: Path) -> List[Tuple[Any, ...]]:
    source, result = tmp_path / "cases.pickle", tmp_path / "reference.pickle"
    source.write_bytes(pickle.dumps(cases))
    env = dict(os.environ)
    subprocess.run(
        [sys.executable, "-c", _REFERENCE, str(source), str(result)],
        check=True,
        timeout=300,
        env=env,
    )
    reference: List[Tuple[Any, ...]] = pickle.loads(result.read_bytes())
    return reference


def _accelerated(cases: List[Case]) -> List[Tuple[Any, ...]]:
    from binance_options_ws.exceptions import MessageParseError

    parsers = {name: get_endpoint(name).frame_parser() for name in ENDPOINTS}
    out: List[Tuple[Any, ...]] = []
    for endpoint, message in cases:
        try:
            events = parsers[endpoint](message)
            out.append(("ok", events, repr(events)))
        except MessageParseError as exc:
            out.append(("error", type(exc).__name__, str(exc)))
    return out


def test_the_extra_is_installed_for_this_module() -> None:
    pytest.importorskip("msgspec", reason="the speed-ups extra is not installed")
    assert _speedups.AVAILABLE
    assert _parse._fast_decode is not None


def test_events_are_the_same_with_and_without_the_extra(tmp_path: Path) -> None:
    pytest.importorskip("msgspec", reason="the speed-ups extra is not installed")
    cases = _corpus()
    assert len(cases) > 7000
    expected = _reference(cases, tmp_path)
    got = _accelerated(cases)
    assert len(got) == len(expected)
    mismatches = [
        (endpoint, message, want, have)
        for (endpoint, message), want, have in zip(cases, expected, got)
        if want[0] != have[0] or want[2] != have[2] or (want[0] == "ok" and want[1] != have[1])
    ]
    assert not mismatches, f"{len(mismatches)} differ; the first: {mismatches[0]}"
    # The corpus reaches the errors and the fallbacks, not only the usual messages.
    kinds: Dict[str, int] = {}
    for outcome in expected:
        kinds[outcome[0]] = kinds.get(outcome[0], 0) + 1
    assert kinds.get("error", 0) > 100
    assert kinds["ok"] > 5000


def test_the_busy_payloads_take_the_typed_path() -> None:
    """The market's tickers and books are read without a dict (else the extra buys little)."""
    pytest.importorskip("msgspec", reason="the speed-ups extra is not installed")
    nbstream = get_endpoint("nbstream")
    decode = _speedups.envelope_decoder(
        {
            event_type: _parse._TYPED[parser].fields
            for event_type, parser in nbstream.parsers.items()
            if parser in _parse._TYPED
        }
    )
    assert decode is not None
    busy = [
        message
        for endpoint, message in _market_messages()
        if endpoint == "nbstream"
        and isinstance(json.loads(message)["data"], dict)  # not a ticker by expiration
        and json.loads(message)["data"].get("e") in ("24hrTicker", "depth")
    ]
    assert len(busy) > 100
    for message in busy:
        stream, event_type, _ = decode(message)
        assert event_type in ("24hrTicker", "depth")
        assert stream
