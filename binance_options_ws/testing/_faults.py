"""The fake exchange's fault injection, and the broken frames it can send.

:class:`FaultInjection` holds the methods of
:class:`~binance_options_ws.testing.FakeExchange` that make trouble for a
client: odd or broken frames, dropped, closed and stalled connections, refused
handshakes, slow control replies and lost diff-depth events. Each is a plain,
thread-safe call, run on the exchange's event loop thread.

:func:`malformed_message` builds the broken frames, free of I/O, from the
samples of the connection's dialect
(:func:`binance_options_ws.testing.renderers.malformed_samples`).
"""

from __future__ import annotations

import json
import time
from typing import Optional, Union

from ._engine import REFUSAL_BODIES, Engine
from ._records import MarketFeed
from ._runtime import Runtime
from .renderers import MalformedSamples, malformed_samples

__all__ = ["CLOSE_CODES", "MALFORMED_KINDS", "FaultInjection", "check_seconds", "malformed_message"]

#: The kinds of broken frame :func:`malformed_message` can build.
MALFORMED_KINDS = ("not_json", "truncated_json", "unknown_event", "binary", "empty_array")
#: The close codes a close frame may carry.
CLOSE_CODES = frozenset((1000, 1001, 1002, 1003, *range(1007, 1015), *range(3000, 5000)))


def check_seconds(value: Optional[float], name: str) -> Optional[float]:
    """``value`` if it is None or a positive number of seconds.

    Raises:
        ValueError: Naming ``name``, if it is neither.
    """
    if value is not None and not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds or None, got {value!r}")
    return value


def _wrap(stream: str, data: str, combined: bool) -> str:
    return f'{{"stream":{json.dumps(stream)},"data":{data}}}' if combined else data


def malformed_message(
    kind: str, combined: bool, now_ms: int, samples: MalformedSamples
) -> Union[str, bytes]:
    """A frame the endpoint should never send, for testing how a client copes.

    Kinds (stream names as on nbstream; fstream connections get the fstream
    counterparts in brackets, from ``samples``):

    * ``"not_json"``: the text ``<html><body>502 Bad Gateway</body></html>``.
    * ``"truncated_json"``: the first half of an ``index`` event (fstream: of an
      ``!index@arr`` array), wrapped on a combined connection.
    * ``"unknown_event"``: valid JSON with event type ``"futureEvent"`` (wrapped on
      a combined connection as stream ``BTCUSDT@futureEvent``
      [``btcusdt@futureEvent``]).
    * ``"binary"``: a binary frame, ``b"\\x00\\xffnot text"``; the endpoint only
      sends text.
    * ``"empty_array"``: ``[]`` (``{"stream":"BTC@markPrice","data":[]}``
      [``btcusdt@optionMarkPrice``] on a combined connection).

    Args:
        kind: One of :data:`MALFORMED_KINDS`.
        combined: Whether the connection receives combined payloads.
        now_ms: The event time to write, in milliseconds.
        samples: The samples of the connection's dialect.

    Returns:
        A ``str`` for a text frame or ``bytes`` for a binary frame.

    Raises:
        ValueError: If ``kind`` is not one of :data:`MALFORMED_KINDS`.

    Example:
        >>> from binance_options_ws.testing.renderers import Renderer
        >>> malformed_message("empty_array", False, 0, Renderer.samples)
        '[]'
    """
    if kind == "not_json":
        return "<html><body>502 Bad Gateway</body></html>"
    if kind == "truncated_json":
        whole = _wrap(samples.index_stream, samples.index_event % now_ms, combined)
        return whole[: len(whole) // 2]
    if kind == "unknown_event":
        event = f'{{"e":"futureEvent","E":{now_ms},"s":"BTCUSDT","x":"1"}}'
        return _wrap(samples.unknown_stream, event, combined)
    if kind == "binary":
        return b"\x00\xffnot text"
    if kind == "empty_array":
        return _wrap(samples.array_stream, "[]", combined)
    valid = ", ".join(MALFORMED_KINDS)
    raise ValueError(f"unknown malformed kind {kind!r}; valid kinds are {valid}")


class FaultInjection:
    """The fault-injection methods of :class:`~binance_options_ws.testing.FakeExchange`.

    A mixin: the exchange provides its engine, its market and its running
    :class:`~binance_options_ws.testing._runtime.Runtime`.
    """

    _engine: Engine
    _market: Optional[MarketFeed]

    def _require_runtime(self) -> Runtime:
        raise NotImplementedError  # pragma: no cover - FakeExchange defines it

    def send_raw(self, data: Union[str, bytes], connection_id: Optional[int] = None) -> int:
        """Send a frame as is: ``str`` as a text frame, ``bytes`` as a binary frame.

        On a stalled connection the frame waits for :meth:`resume`.

        Args:
            data: The frame's content.
            connection_id: One connection's id, or None for every open connection.

        Returns:
            How many connections it was sent to.

        Raises:
            TypeError: If ``data`` is neither ``str`` nor ``bytes``.
            ValueError: If no open connection has ``connection_id``.

        Example:
            >>> exchange.send_raw('{"e":"index","s":"BTCUSDT","p":"oops"}')  # doctest: +SKIP
            1
        """
        if not isinstance(data, (str, bytes, bytearray)):
            raise TypeError(f"data must be str or bytes, got {type(data).__name__}")
        frame: Union[str, bytes] = data if isinstance(data, str) else bytes(data)
        runtime = self._require_runtime()
        return runtime.call(self._engine.send_each, connection_id, lambda _: frame)

    def send_malformed(self, kind: str, connection_id: Optional[int] = None) -> int:
        """Send a frame the real endpoint never sends, to test how a client copes.

        Kinds: ``"not_json"`` (an HTML error page's text), ``"truncated_json"`` (the
        first half of an index event), ``"unknown_event"`` (valid JSON with event
        type ``"futureEvent"``), ``"binary"`` (a binary frame; the endpoint only
        sends text) and ``"empty_array"`` (``[]``). The JSON ones are wrapped on
        combined connections, with stream names of the connection's endpoint.

        Args:
            kind: One of the kinds above.
            connection_id: One connection's id, or None for every open connection.

        Returns:
            How many connections it was sent to.

        Raises:
            ValueError: If ``kind`` is unknown (the message lists the valid kinds) or
                no open connection has ``connection_id``.

        Example:
            >>> exchange.send_malformed("truncated_json")  # doctest: +SKIP
            1
        """
        if kind not in MALFORMED_KINDS:
            raise ValueError(
                f"unknown malformed kind {kind!r}; valid kinds are {', '.join(MALFORMED_KINDS)}"
            )
        now_ms = int(time.time() * 1000)
        runtime = self._require_runtime()
        return runtime.call(
            self._engine.send_each,
            connection_id,
            lambda session: malformed_message(
                kind, session.state.combined, now_ms, malformed_samples(session.dialect)
            ),
        )

    # ------------------------------------------------------------------
    # Faults
    # ------------------------------------------------------------------

    def drop_connections(self) -> None:
        """Abort every TCP connection at once, without a close frame.

        Connections still in their opening handshake are aborted too.

        Example:
            >>> exchange.drop_connections()  # doctest: +SKIP
        """
        runtime = self._require_runtime()
        runtime.call(self._engine.drop, runtime.connections)

    def close_connections(self, code: int = 1001, reason: str = "going away") -> None:
        """Start the closing handshake on every open connection, stalled ones included.

        Returns once the close frames are written; the handshakes finish in the
        background (a client that does not answer is aborted after a second).

        Args:
            code: The close code, e.g. 1001 (going away) or 1012 (service restart).
            reason: The close reason, at most 123 bytes of UTF-8.

        Raises:
            ValueError: If ``code`` cannot be sent in a close frame or ``reason`` is too long.

        Example:
            >>> exchange.close_connections(1012, "service restart")  # doctest: +SKIP
        """
        if code not in CLOSE_CODES:
            raise ValueError(f"close code must be 1000-1003, 1007-1014 or 3000-4999, got {code!r}")
        if len(reason.encode()) > 123:
            raise ValueError("the close reason must be at most 123 bytes of UTF-8")
        runtime = self._require_runtime()
        if runtime.on_thread():
            self._engine.close_all(code, reason)
            return
        runtime.wait_on_loop(self._engine.close_all_written(code, reason))

    def stall(self, seconds: Optional[float] = None, *, pongs: bool = False) -> None:
        """Go silent on every open connection, with the sockets left open.

        A stalled connection gets nothing (no data, pings, control replies or pongs)
        and nothing it sends is read, so its pings go unanswered, until
        :meth:`resume`. Data published meanwhile is lost for it, as with a frozen
        server; replies owed from before are sent on resume, and its pong deadline
        starts afresh. Connections opened during a stall are served normally, as a
        reconnect would reach a healthy server. What a client sent during the stall
        is read on resume and does not count towards the rate limit.

        With ``pongs=True`` the stall is a *silent* one, the hardest to notice: the
        connection still answers the client's pings with pongs, but sends no data
        and no control replies (its requests are answered on resume).

        Args:
            seconds: Resume by itself after this many seconds; None waits for
                :meth:`resume`.
            pongs: Keep answering pings during the stall.

        Raises:
            ValueError: If ``seconds`` is not positive.

        Example:
            >>> exchange.stall(2.0)  # doctest: +SKIP
        """
        check_seconds(seconds, "seconds")
        runtime = self._require_runtime()
        runtime.call(runtime.stall, seconds, pongs)

    def resume(self) -> None:
        """End a :meth:`stall`: read and send again. Does nothing if not stalled.

        Example:
            >>> exchange.resume()  # doctest: +SKIP
        """
        runtime = self._require_runtime()
        runtime.call(runtime.resume)

    def refuse_connections(
        self, seconds: float, status: int = 429, retry_after: Optional[float] = None
    ) -> None:
        """Answer new handshakes with an HTTP error for ``seconds`` seconds.

        Open connections are not touched. The body is a JSON error shaped like
        Binance's REST errors. ``seconds <= 0`` stops refusing. It can be set
        before :meth:`start`.

        Args:
            seconds: How long to refuse.
            status: 429 (too many requests), 418 (IP banned) or 503 (unavailable).
            retry_after: Value of the ``Retry-After`` header, or None for no header.
                Whole numbers are written as integers (as Binance does); fractions
                as decimals (``"0.5"``), which strict HTTP parsers may reject.

        Raises:
            ValueError: If ``status`` is not 429, 418 or 503, or ``retry_after`` < 0.

        Example:
            >>> exchange.refuse_connections(5.0, status=429, retry_after=1)  # doctest: +SKIP
        """
        if status not in REFUSAL_BODIES:
            raise ValueError(f"status must be 429, 418 or 503, got {status!r}")
        if retry_after is not None and not retry_after >= 0:
            raise ValueError(f"retry_after must be >= 0 or None, got {retry_after!r}")
        with self._engine.lock:
            if seconds > 0:
                self._engine.refusal = (time.monotonic() + seconds, status, retry_after)
            else:
                self._engine.refusal = None

    def redirect_handshakes(self, location: Optional[str], status: int = 302) -> None:
        """Answer every new handshake with a redirect to ``location``; None stops.

        A client should refuse it (never follow a ``wss://`` server to plain
        ``ws://``, nor leave its proxy and TLS settings behind). The REST route is
        not redirected. It can be set before :meth:`start`.

        Args:
            location: The ``Location`` header, e.g. ``"ws://127.0.0.1:9/stream"``,
                or None to answer handshakes normally again.
            status: 301, 302, 303, 307 or 308.

        Raises:
            ValueError: If ``status`` is not a redirect status.

        Example:
            >>> exchange.redirect_handshakes("ws://127.0.0.1:9/stream")  # doctest: +SKIP
        """
        if status not in (301, 302, 303, 307, 308):
            raise ValueError(f"status must be 301, 302, 303, 307 or 308, got {status!r}")
        with self._engine.lock:
            self._engine.redirect = None if location is None else (status, location)

    def send_pings(self, count: int, connection_id: Optional[int] = None) -> int:
        """Send ``count`` ping frames at once, each with its own payload: a ping flood.

        A client answers with pongs; RFC 6455 lets it answer a burst with one pong,
        for the last ping. Pings are control frames: they pass a stalled
        connection's queue of data.

        Args:
            count: How many pings each connection gets, at least 1.
            connection_id: One connection's id, or None for every open connection.

        Returns:
            How many connections they were sent to.

        Raises:
            ValueError: If ``count`` is not a positive integer or no open connection
                has ``connection_id``.

        Example:
            >>> exchange.send_pings(100)  # doctest: +SKIP
            1
        """
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be a positive integer, got {count!r}")
        runtime = self._require_runtime()
        return runtime.call(self._engine.ping_each, connection_id, count)

    def delay_handshakes(self, seconds: float) -> None:
        """Answer each later WebSocket handshake only after ``seconds``; 0 turns it off.

        The TCP connection is accepted at once; the HTTP 101 answer waits, as from
        an overloaded server. Open connections are not touched. It can be set
        before :meth:`start`.

        Raises:
            ValueError: If ``seconds`` is negative.

        Example:
            >>> exchange.delay_handshakes(2.0)  # doctest: +SKIP
        """
        if not seconds >= 0:
            raise ValueError(f"seconds must be >= 0, got {seconds!r}")
        with self._engine.lock:
            self._engine.handshake_delay = float(seconds)

    def delay_control_replies(self, seconds: float) -> None:
        """Hold every later control reply for ``seconds`` before sending it; 0 turns it off.

        Data keeps flowing meanwhile, so a client may see data of a new
        subscription before the reply to its SUBSCRIBE.

        Raises:
            ValueError: If ``seconds`` is negative.

        Example:
            >>> exchange.delay_control_replies(0.5)  # doctest: +SKIP
        """
        if not seconds >= 0:
            raise ValueError(f"seconds must be >= 0, got {seconds!r}")
        with self._engine.lock:
            self._engine.reply_delay = float(seconds)

    def skip_depth_updates(self, symbol: str, count: int = 1) -> None:
        """Lose the next ``count`` diff-depth events of ``symbol``: a gap in the stream.

        The market computes those ``<symbol>@depth@<speed>`` events but does not
        send them, so the next event a client sees has a ``pu`` that is not the
        ``u`` of the last one it got, as after a lost message. The count is shared
        by the symbol's diff streams and waits for one if none is subscribed yet.

        Args:
            symbol: The option symbol, any case, e.g. ``"BTC-261225-100000-C"``.
            count: How many events to lose.

        Raises:
            RuntimeError: If the exchange is not running, or its market cannot skip
                (it has no ``skip_depth_updates`` method).
            ValueError: If the market does not list ``symbol`` or ``count`` is not
                a positive integer.

        Example:
            >>> exchange.skip_depth_updates("BTC-261225-100000-C")  # doctest: +SKIP
        """
        skip = getattr(self._market, "skip_depth_updates", None)
        if skip is None:
            raise RuntimeError("skip_depth_updates needs a market that can skip (SyntheticMarket)")
        runtime = self._require_runtime()
        runtime.call(skip, symbol, count)
