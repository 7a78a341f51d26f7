"""Shared fixtures: every test must leave no client thread running."""

from __future__ import annotations

import threading
import time
from typing import Iterator, List

import pytest

_PREFIX = "binance-options-ws-"
_FAKE = "binance-options-ws-fake"


def _client_threads() -> List[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith(_PREFIX) and not t.name.startswith(_FAKE) and t.is_alive()
    ]


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves a thread of a client running (one second of grace)."""
    before = set(_client_threads())
    yield
    deadline = time.monotonic() + 1.0
    leaked = [t for t in _client_threads() if t not in before]
    while leaked and time.monotonic() < deadline:
        time.sleep(0.02)
        leaked = [t for t in _client_threads() if t not in before]
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"
