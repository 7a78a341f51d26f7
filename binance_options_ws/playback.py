"""Play a recording back through a client: the same subscribe methods, queue and callbacks.

:func:`replay` returns a :class:`ReplayClient`, a
:class:`~binance_options_ws.StreamClient` whose connections read a recording
(made with ``StreamClient(record_to=...)``) instead of a socket. Everything else
is the client's own code: subscribing, parsing each frame, routing its events to
the queue or the callbacks, ``Subscription`` handles, ``close()``. So code
written against a live client runs unchanged, and receives the recorded events
of the streams it subscribes, in recorded order, equal to the ones the live
client delivered.

When does playback start? At the first :meth:`~ReplayClient.get`,
:meth:`~ReplayClient.events` or :meth:`~ReplayClient.run_forever`, or
``start_after`` seconds (0.5) after the last subscribe, whichever comes first:
subscribe to everything before reading, as you would on a live client. At the
end of the recording, once every callback has run, the client closes itself:
``events()`` and ``run_forever()`` return, and the queue keeps what was not read.

A damaged recording (cut mid-line, a bad gzip tail) plays up to the damage; then
the error is logged, handed to ``on_error`` as a
:class:`~binance_options_ws.recording.RecordingDamagedError` (its ``path`` and
``line`` say where), kept in :attr:`ReplayClient.replay_status`, and the client
closes as at the end.

Example:
    >>> from binance_options_ws import replay
    >>> with replay("recordings/") as client:   # doctest: +SKIP
    ...     client.subscribe_index("BTCUSDT")
    ...     for event in client.events():
    ...         print(event.price)
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional

import attrs

from ._connection import ConnectionListener, Reply
from ._delivery import Batch, EventQueue
from ._pool_base import ConnectionFactory, PoolConnection
from .client import StreamClient
from .dialects import Dialect
from .exceptions import InvalidArgumentError, InvalidStreamError, MessageParseError
from .models import ControlReply, Event
from .recording import PathLike, RecordingDamagedError, read_header, read_recording
from .status import StateChange

__all__ = ["ReplayClient", "ReplayStatus", "replay"]

_log = logging.getLogger("binance_options_ws")
_numbers = itertools.count(1)
#: The base URL a replay client shows (nothing connects to it).
REPLAY_URL = "ws://replay.invalid"
# How long the player sleeps while it waits for room in the queue, or for the start.
_POLL = 0.002


@attrs.frozen
class ReplayStatus:
    """How far a replay has come.

    Attributes:
        frames: Frames read from the recording so far (subscribed or not).
        delivered: Frames whose events were delivered (those of subscribed streams).
        finished: True once the player stopped: at the end, at damage, or on close.
        error: What stopped it before the end (a damaged recording), or None.
    """

    frames: int
    delivered: int
    finished: bool
    error: Optional[RecordingDamagedError]


class _ReplayConnection:
    """A pool connection whose frames come from the player, not from a socket."""

    def __init__(self, player: _Player, url: str, number: int, listener: ConnectionListener):
        self._player = player
        self.url = url
        self.number = number
        self.listener = listener
        self.created_at = time.monotonic()
        self.opened_at: Optional[float] = None
        self.last_ping_sent = self.created_at
        self.messages = 0
        self.events = 0
        self.parse_errors = 0
        self._open = False
        self._ids = itertools.count(1)

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def last_received(self) -> float:
        return time.monotonic()  # a recording never goes stale

    @property
    def thread(self) -> threading.Thread:
        return self._player.thread

    def start(self) -> None:
        self._player.attach(self)
        self.opened_at = time.monotonic()
        self._open = True
        self.listener.on_open(self)  # type: ignore[arg-type]

    def request(
        self,
        method: str,
        params: Optional[List[Any]],
        on_reply: Callable[[Reply], None],
        deadline: Optional[float] = None,
    ) -> int:
        number = next(self._ids)
        names = [str(name) for name in params or ()]
        result: Any = None
        if method == "SUBSCRIBE":
            self._player.subscribe(self, names)
        elif method == "UNSUBSCRIBE":
            self._player.unsubscribe(self, names)
        elif method == "LIST_SUBSCRIPTIONS":
            result = self._player.streams_of(self)
        elif method == "GET_PROPERTY":
            result = True
        on_reply(ControlReply(id=number, result=result))
        return number

    def ping(self) -> bool:
        self.last_ping_sent = time.monotonic()
        return True

    def close(self, reason: str = "closed by the client") -> None:
        if not self._open:
            return
        self._open = False
        self._player.detach(self)
        self.listener.on_close(self, reason, None)  # type: ignore[arg-type]

    def abort(self, reason: str) -> None:
        self.close(reason)

    def join(self, timeout: Optional[float]) -> bool:
        thread = self._player.thread
        if thread.ident is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return not thread.is_alive()


class _Player:
    """Reads the recording on one thread and hands each frame to the connection of its stream.

    Args:
        path: The recording.
        dialect: The client's endpoint (to read stream names and parse frames).
        speed: None (as fast as the consumer takes events) or a pace factor.
        start_after: Seconds after the last subscribe after which playback starts
            even if nobody reads.
        queues: The client's queues: its own and those of the subscriptions read on
            their own (none filled beyond its size while speed is None).
        call_soon: The client's ``call_soon``: a fence behind the queued callbacks.
        finish: Closes the client at the end.
        on_error: The user's ``on_error``.
    """

    def __init__(
        self,
        path: PathLike,
        dialect: Dialect,
        speed: Optional[float],
        start_after: float,
        queues: Callable[[], List[EventQueue[Any]]],
        call_soon: Callable[[Callable[[Any], Any], Any], None],
        finish: Callable[[], None],
        on_error: Optional[Callable[[BaseException], Any]],
    ) -> None:
        self._path = path
        self._dialect = dialect
        self._parse = dialect.frame_parser()
        self._speed = speed
        self._start_after = start_after
        self._queues = queues
        self._call_soon = call_soon
        self._finish = finish
        self._on_error = on_error
        self._lock = threading.Lock()  # guards _conns, _route and _last_subscribe
        self._conns: List[_ReplayConnection] = []
        self._route: Dict[str, _ReplayConnection] = {}  # subscribed stream -> its connection
        self._last_subscribe: Optional[float] = None
        self._canonical: Dict[Optional[str], Optional[str]] = {}
        self._go = threading.Event()
        self._stop = threading.Event()
        self.frames = 0
        self.delivered = 0
        self.finished = False
        self.error: Optional[RecordingDamagedError] = None
        self.thread = threading.Thread(
            target=self._run, name=f"binance-options-ws-replay-{next(_numbers)}", daemon=True
        )

    # ------------------------------------------------------------ connections

    def connection(self, url: str, *, number: int, listener: ConnectionListener) -> PoolConnection:
        return _ReplayConnection(self, url, number, listener)

    def attach(self, conn: _ReplayConnection) -> None:
        with self._lock:
            self._conns.append(conn)
            if self.thread.ident is None and not self._stop.is_set():
                self.thread.start()

    def detach(self, conn: _ReplayConnection) -> None:
        with self._lock:
            if conn in self._conns:
                self._conns.remove(conn)
            self._route = {k: v for k, v in self._route.items() if v is not conn}
            if not self._conns:
                self._stop.set()

    def subscribe(self, conn: _ReplayConnection, names: List[str]) -> None:
        with self._lock:
            route = dict(self._route)
            route.update((name, conn) for name in names)
            self._route = route
            self._last_subscribe = time.monotonic()

    def unsubscribe(self, conn: _ReplayConnection, names: List[str]) -> None:
        with self._lock:
            self._route = {k: v for k, v in self._route.items() if k not in names or v is not conn}

    def streams_of(self, conn: _ReplayConnection) -> List[str]:
        return [name for name, owner in self._route.items() if owner is conn]

    def go(self) -> None:
        """Start playing (a consumer is reading)."""
        self._go.set()

    def stop(self) -> None:
        self._stop.set()

    # ------------------------------------------------------------ playing

    def _started(self) -> bool:
        """Wait for the start; False if stopped first."""
        while not self._stop.is_set():
            if self._go.is_set():
                return True
            last = self._last_subscribe
            if last is not None and time.monotonic() - last >= self._start_after:
                return True
            self._stop.wait(0.01)
        return False

    def _stream_of(self, stream: Optional[str]) -> Optional[str]:
        """The subscribed spelling of a recorded stream name (cached)."""
        if stream in self._canonical:
            return self._canonical[stream]
        try:
            name: Optional[str] = (
                self._dialect.parse_stream(stream).name if stream is not None else None
            )
        except InvalidStreamError:
            name = None
        self._canonical[stream] = name
        return name

    def _wait_until(self, when: float) -> bool:
        while True:
            left = when - time.monotonic()
            if left <= 0:
                return True
            if self._stop.wait(min(left, 0.5)):
                return False

    def _fence(self) -> bool:
        """Wait until the callbacks queued so far have run; False if stopped."""
        done = threading.Event()
        self._call_soon(lambda _: done.set(), None)
        while not done.wait(0.05):
            if self._stop.is_set():
                return False
        return True

    def _room(self, count: int) -> bool:
        """Wait until every queue has room for ``count`` events; False if stopped."""
        for queue in self._queues():
            limit = queue.maxsize - count
            while queue.qsize() > limit and limit >= 0 and not queue.closed:
                if self._stop.wait(_POLL):
                    return False
        return True

    def _run(self) -> None:
        try:
            if self._started():
                self._play()
        except RecordingDamagedError as exc:
            self.error = exc
            _log.error("replay stopped: %s", exc)
            if self._on_error is not None:
                self._call_soon(self._on_error, exc)
        except Exception as exc:  # a bug must not leave the client open forever
            _log.exception("replay stopped: %s", exc)
        finally:
            self.finished = True
        if not self._stop.is_set() and self._fence():
            self._finish()

    def _play(self) -> None:
        speed = self._speed
        batch = Batch()
        first: Optional[float] = None
        began = time.monotonic()
        unfenced = 0
        half = max(1, self._queues()[0].maxsize // 2)
        for recorded in read_recording(self._path):
            if self._stop.is_set():
                return
            self.frames += 1
            name = self._stream_of(recorded.stream)
            conn = self._route.get(name) if name is not None else None
            if conn is None:
                continue
            if speed is not None:
                if first is None:
                    first = recorded.time
                when = began + (recorded.time - first) / speed
                if when > time.monotonic():
                    batch.end()
                    if not self._wait_until(when):
                        return
            conn.messages += 1
            try:
                messages = self._parse(recorded.frame)
            except MessageParseError as exc:
                conn.parse_errors += 1
                conn.listener.on_problem(conn, "malformed frame", f"{exc}")  # type: ignore[arg-type]
                continue
            if speed is None:
                if not self._room(len(messages)):
                    return
                unfenced += len(messages)
                if unfenced >= half:
                    batch.end()
                    if not self._fence():
                        return
                    unfenced = 0
            conn.events += len(messages)
            batch.more = True
            conn.listener.on_events(conn, recorded.frame, messages, batch)  # type: ignore[arg-type]
            self.delivered += 1
            if self.delivered % 64 == 0:
                batch.end()
        batch.end()


class ReplayClient(StreamClient):
    """A :class:`~binance_options_ws.StreamClient` that plays a recording instead of connecting.

    Made by :func:`replay`; see the module documentation for when playback
    starts and ends. The arguments are :func:`replay`'s.

    Example:
        >>> client = ReplayClient("recordings/", speed=1.0)   # doctest: +SKIP
    """

    def __init__(
        self,
        path: PathLike,
        *,
        speed: Optional[float] = None,
        queue_size: int = 10_000,
        on_error: Optional[Callable[[BaseException], Any]] = None,
        on_state: Optional[Callable[[StateChange], Any]] = None,
        start_after: float = 0.5,
    ) -> None:
        if speed is not None and (
            isinstance(speed, bool) or not isinstance(speed, (int, float)) or not speed > 0
        ):
            raise InvalidArgumentError(
                f"speed must be None (as fast as you read) or a positive number "
                f"(1.0: the recorded pace, 10: ten times faster), got {speed!r}"
            )
        if (
            isinstance(start_after, bool)
            or not isinstance(start_after, (int, float))
            or start_after < 0
        ):
            raise InvalidArgumentError(
                f"start_after must be a number of seconds >= 0, got {start_after!r}"
            )
        endpoint = read_header(path)["endpoint"]
        super().__init__(
            REPLAY_URL,
            endpoint=endpoint,
            queue_size=queue_size,
            on_error=on_error,
            on_state=on_state,
            max_connection_age=None,
            reconnect=False,
        )
        self._player = _Player(
            path,
            self.dialect,
            None if speed is None else float(speed),
            float(start_after),
            self._queues,
            self.call_soon,
            self.close,
            on_error,
        )

    def _connection_factory(self) -> Optional[ConnectionFactory]:
        return self._player.connection

    @property
    def replay_status(self) -> ReplayStatus:
        """How far the replay has come, and what stopped it if it was damage.

        Example:
            >>> client.replay_status.error   # doctest: +SKIP
        """
        player = self._player
        return ReplayStatus(player.frames, player.delivered, player.finished, player.error)

    def play(self) -> None:
        """Start playing now, without waiting for a read or for ``start_after``.

        Example:
            >>> client.play()   # doctest: +SKIP
        """
        self._player.go()

    def get(self, timeout: Optional[float] = None) -> Event:
        """The next event, as :meth:`StreamClient.get` (starts the playback).

        Example:
            >>> event = client.get(timeout=5)   # doctest: +SKIP
        """
        self._player.go()
        return super().get(timeout)

    def events(self, timeout: Optional[float] = None) -> Iterator[Event]:
        """Iterate over the events, as :meth:`StreamClient.events` (starts the playback).

        Ends at the end of the recording.

        Example:
            >>> events = list(client.events())   # doctest: +SKIP
        """
        self._player.go()
        return super().events(timeout)

    def run_forever(self) -> None:
        """Block until the end of the recording (or close, or Ctrl+C); starts the playback.

        Example:
            >>> client.run_forever()   # doctest: +SKIP
        """
        self._player.go()
        super().run_forever()

    def close(self) -> None:
        """Stop playing and close, as :meth:`StreamClient.close`.

        Example:
            >>> client.close()   # doctest: +SKIP
        """
        self._player.stop()
        super().close()


def replay(
    path: PathLike,
    speed: Optional[float] = None,
    *,
    queue_size: int = 10_000,
    on_error: Optional[Callable[[BaseException], Any]] = None,
    on_state: Optional[Callable[[StateChange], Any]] = None,
    start_after: float = 0.5,
) -> ReplayClient:
    """A client that plays a recording back (see :mod:`binance_options_ws.playback`).

    Args:
        path: A recording's directory (the client's ``record_to``) or one of its files.
        speed: None plays as fast as you take the events (the queue never
            overflows: the player waits for room); 1.0 at the recorded pace; 10 ten
            times faster.
        queue_size: As for :class:`~binance_options_ws.StreamClient`.
        on_error: As for ``StreamClient``; also hears a damaged recording.
        on_state: As for ``StreamClient``.
        start_after: Seconds after the last subscribe at which playback starts if
            nothing has read yet (reading starts it at once).

    Returns:
        A :class:`ReplayClient`: use it like a ``StreamClient``.

    Raises:
        FileNotFoundError: If there is no recording at ``path``.
        RecordingDamagedError: If its first line is not a recording header.
        InvalidArgumentError: For a bad ``speed`` or ``start_after``.

    Example:
        >>> client = replay("recordings/", speed=10)   # doctest: +SKIP
        >>> client.subscribe_trade("BTC", print)       # doctest: +SKIP
        >>> client.run_forever()                       # doctest: +SKIP
    """
    return ReplayClient(
        path,
        speed=speed,
        queue_size=queue_size,
        on_error=on_error,
        on_state=on_state,
        start_after=start_after,
    )
