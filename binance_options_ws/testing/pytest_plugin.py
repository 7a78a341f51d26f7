"""pytest fixtures for testing code against the fake exchange.

Installed as a pytest plugin (entry point ``pytest11``), so with the package
installed the fixtures are available in every test without an import:

* ``fake_exchange``: a started :class:`~binance_options_ws.testing.FakeExchange`
  with no market (data only from ``publish()``), stopped after the test.
* ``fake_market_exchange``: the same with ``market=True`` (a
  ``SyntheticMarket(seed=0)`` publishing on every subscribed stream).

Both serve every registered endpoint at once (``url + "/ws"`` for nbstream,
``url + "/public/ws"`` and ``url + "/market/ws"`` for fstream) and the REST depth
route at ``rest_url``, so one test can run against either endpoint.

The ``websockets`` library (the ``testing`` extra) is imported only when a
fixture is used, so the plugin never breaks a test run that does not need it.

Example:
    >>> def test_index(fake_exchange):  # doctest: +SKIP
    ...     ws = websocket.create_connection(fake_exchange.url + "/ws/BTCUSDT@index")
    ...     fake_exchange.wait_until(lambda: fake_exchange.connection_count == 1)
    ...     assert fake_exchange.publish("BTCUSDT@index", {"e": "index", "p": "1"}) == 1
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import pytest

from .._extras import TESTING_EXTRA

if TYPE_CHECKING:
    from .server import FakeExchange

__all__ = ["fake_exchange", "fake_market_exchange"]


def _started(**options: Any) -> FakeExchange:
    try:
        from .server import FakeExchange
    except ImportError as exc:
        raise ImportError(
            f"the fake exchange fixtures need the 'testing' extra: {TESTING_EXTRA}"
        ) from exc
    return FakeExchange(**options).start()


@pytest.fixture
def fake_exchange() -> Iterator[FakeExchange]:
    """A running fake exchange with no market, stopped after the test.

    Example:
        >>> def test_connects(fake_exchange):  # doctest: +SKIP
        ...     websocket.create_connection(fake_exchange.url + "/stream").close()
    """
    exchange = _started()
    try:
        yield exchange
    finally:
        exchange.stop()


@pytest.fixture
def fake_market_exchange() -> Iterator[FakeExchange]:
    """A running fake exchange publishing ``SyntheticMarket(seed=0)`` data.

    Example:
        >>> def test_ticks(fake_market_exchange):  # doctest: +SKIP
        ...     url = fake_market_exchange.url + "/ws/BTCUSDT@index"
        ...     assert json.loads(websocket.create_connection(url).recv())["e"] == "index"
    """
    exchange = _started(market=True)
    try:
        yield exchange
    finally:
        exchange.stop()
