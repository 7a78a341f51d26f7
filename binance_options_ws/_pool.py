"""The connections behind a client: sharding, reconnecting, rolling over, keeping alive.

A :class:`Pool` spreads streams over *shards* (:mod:`._shard`), each at most 200
streams and each served by one connection at a time. Every shard belongs to one
URL path of the endpoint (fstream has ``/public`` and ``/market``; a stream only
ever goes to a shard of its own path). One supervisor thread per pool does
everything that runs on a clock:

* sends a ping on every connection every ``ping_interval`` seconds and treats a
  connection that delivered nothing at all (no data, no pong) for
  ``stale_timeout`` seconds as dead;
* reconnects a shard after its connection dropped, with jittered exponential
  backoff (honouring Retry-After), and restores its streams in batched SUBSCRIBE
  messages;
* rolls a connection over before it reaches ``max_connection_age``: it opens a
  replacement, subscribes it, lets both run for ``rollover_overlap`` seconds,
  then closes the old one. While both run, each frame is delivered the first time
  it arrives on either connection and never again, so the events have no gap and
  no duplicate, in order.

Reader threads only parse and hand events on; they never wait on anything but
short locks.

The pool takes its connections from a factory and its time from a clock, both
:class:`~binance_options_ws._connection.Connection` and :func:`time.monotonic`
unless told otherwise. With fake connections, a fake clock and
``supervise=False``, a test drives every step by calling :meth:`Pool.tick`,
without sockets or sleeps (``tests/test_pool.py``).
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set

from ._connection import Connection, ConnectionListener, Reply, TokenBucket
from ._delivery import Batch
from ._pool_base import ConnectionFactory, PoolConnection, PoolSettings, PoolStats
from ._shard import Shard, ShardContext, request_chunks
from ._timing import Clock, Deadline, monotonic
from .exceptions import (
    ClientClosedError,
    ConnectionFailedError,
    InvalidArgumentError,
    RequestTimeoutError,
    ServerError,
)
from .models import ErrorReply, Message

__all__ = ["ConnectionFactory", "Pool", "PoolConnection", "PoolSettings"]

_log = logging.getLogger("binance_options_ws")

# Request ids are unsigned integers; stay inside a signed 32-bit range too.
_MAX_ID = 2**31 - 1
# Seconds between supervisor rounds.
_TICK = 0.05


class _Waiter:
    """A request's reply, waited for by one thread."""

    __slots__ = ("_done", "reply")

    def __init__(self) -> None:
        self._done = threading.Event()
        self.reply: Optional[Reply] = None

    def __call__(self, reply: Reply) -> None:
        self.reply = reply
        self._done.set()

    def wait(self, deadline: Deadline) -> Optional[Reply]:
        self._done.wait(deadline.timeout())
        return self.reply

    def cancel(self) -> None:
        """Wake the waiting thread with no reply (the pool is closing)."""
        self._done.set()


class Pool:
    """All connections of one client, and the supervisor thread that keeps them alive.

    Args:
        settings: The connection settings.
        deliver: Called on a reader thread with each frame's events and the reader's
            :class:`~binance_options_ws._delivery.Batch` (must not block).
        on_state: Called with ``(state, detail, path)`` on every state change of a
            connection of the URL path ``path`` (must not block).
        on_problem: Called with ``(connection_number, what, detail)`` for a malformed
            frame or an unsolicited error reply (must not block).
        connection_factory: Makes each connection; by default a
            :class:`~binance_options_ws._connection.Connection` built from ``settings``.
            Its connections must keep time on ``clock``.
        clock: The clock every schedule and timeout of the pool runs on
            (:func:`time.monotonic` by default).
        supervise: Run the supervisor thread (the default). Without it nothing
            happens by itself: a round runs when :meth:`tick` is called, and when a
            subscription needs a connection, at once, on the subscribing thread.
        tap: Called on a reader thread with ``(connection number, frame, events)``
            for every frame delivered, once even when a rollover brings it twice,
            just before its events are delivered (must not block): how a recording
            sees the frames.

    Example:
        >>> pool = Pool(settings, deliver, on_state, on_problem)  # doctest: +SKIP
        >>> pool.subscribe(["BTCUSDT@index"], timeout=None)  # doctest: +SKIP
    """

    def __init__(
        self,
        settings: PoolSettings,
        deliver: Callable[[List[Message], Optional[Batch]], None],
        on_state: Callable[[str, str, str], None],
        on_problem: Callable[[int, str, str], None],
        *,
        connection_factory: Optional[ConnectionFactory] = None,
        clock: Optional[Clock] = None,
        supervise: bool = True,
        tap: Optional[Callable[[int, bytes, List[Message]], None]] = None,
    ) -> None:
        if clock is not None and connection_factory is None:
            raise InvalidArgumentError(
                "a Pool given a clock needs a connection_factory whose connections keep "
                "time on that clock: the socket connections run on time.monotonic"
            )
        self.settings = settings
        self._factory: ConnectionFactory = connection_factory or self._socket_connection
        self._clock: Clock = clock or monotonic
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)
        # Guards _shards, _shard_of and _waiters. Lock order: this, then a shard's
        # lock, then PoolStats'.
        self._lock = threading.Lock()
        self._shards: List[Shard] = []
        self._shard_of: Dict[str, Shard] = {}
        self._waiters: Set[_Waiter] = set()  # requests waiting for a reply
        self._closing = threading.Event()  # set once, by close()
        self._wake = threading.Event()
        self._stats = PoolStats()
        self._context = ShardContext(
            settings=settings,
            clock=self._clock,
            closing=self._closing,
            stats=self._stats,
            connect=self._connect,
            deliver=deliver,
            report_state=on_state,
            report_problem=on_problem,
            wake=self._wake_supervisor if supervise else self.tick,
            tap=tap,
        )
        self._thread: Optional[threading.Thread] = None
        if supervise:
            self._thread = threading.Thread(
                target=self._supervise, name=f"{settings.name}-supervisor", daemon=True
            )
            self._thread.start()

    # ------------------------------------------------------------ state

    @property
    def closing(self) -> bool:
        """True once :meth:`close` has begun."""
        return self._closing.is_set()

    @property
    def reconnects(self) -> int:
        """Connections opened to replace one that dropped."""
        return self._stats.reconnects

    @property
    def rollovers(self) -> int:
        """Connections replaced before their age limit."""
        return self._stats.rollovers

    def shards(self) -> List[Shard]:
        """Every shard, in the order they were made."""
        with self._lock:
            return list(self._shards)

    def open_connections(self) -> List[PoolConnection]:
        """The open active connection of every shard."""
        conns = []
        for shard in self.shards():
            conn = shard.open_connection()
            if conn is not None:
                conns.append(conn)
        return conns

    def counters(self) -> Dict[str, int]:
        """Messages, events and parse errors over every connection this pool had."""
        live = [conn for shard in self.shards() for conn in shard.connections()]
        return self._stats.totals(live)

    # ------------------------------------------------------------ connections

    def _next_id(self) -> int:
        return (next(self._ids) - 1) % _MAX_ID + 1

    def _connect(self, path: str, listener: ConnectionListener) -> PoolConnection:
        """A new connection to ``path`` from the factory (not started)."""
        url = self.settings.endpoint.url(self.settings.base_url, path)
        return self._factory(url, number=next(self._numbers), listener=listener)

    def _socket_connection(
        self, url: str, *, number: int, listener: ConnectionListener
    ) -> Connection:
        """The default factory: a real connection, paced under the exchange's limit."""
        settings = self.settings
        rate = max(1.0, (settings.max_messages_per_second - 2.0) / 2.0)
        return Connection(
            url,
            number=number,
            listener=listener,
            next_id=self._next_id,
            bucket=TokenBucket(rate=rate, capacity=rate),
            connect_timeout=settings.connect_timeout,
            thread_name=f"{settings.name}-reader-{number}",
            headers=settings.headers,
            parse=settings.endpoint.frame_parser(),
            batch_delay=settings.batch_delay,
            proxy=settings.proxy,
            ssl_context=settings.ssl_context,
            failure_hint=settings.failure_hint,
        )

    # ------------------------------------------------------------ public operations

    def _deadline(self, timeout: Optional[float]) -> Deadline:
        limit = self.settings.request_timeout if timeout is None else timeout
        return Deadline(limit, clock=self._clock)

    def start(self) -> None:
        """Open the first connection even with nothing subscribed yet.

        An endpoint with several paths opens a path's connection only when one of
        its streams is subscribed, so there this does nothing.
        """
        paths = self.settings.endpoint.paths
        if len(paths) != 1:
            return
        with self._lock:
            shard = self._shards[0] if self._shards else self._new_shard(paths[0])
        shard.add([])

    def _new_shard(self, path: str) -> Shard:
        """A new, empty shard of ``path`` (``_lock`` held)."""
        shard = Shard(self._context, len(self._shards) + 1, path)
        self._shards.append(shard)
        return shard

    def _path_of(self, name: str) -> str:
        endpoint = self.settings.endpoint
        return endpoint.route(endpoint.parse_stream(name))

    def _place(self, paths: Dict[str, str]) -> Dict[Shard, List[str]]:
        """Give each new name a shard of its path with room (``_lock`` held).

        Args:
            paths: The URL path of each name.

        Returns:
            The names added to each shard.
        """
        added: Dict[Shard, List[str]] = {}
        limit = self.settings.max_streams_per_connection
        for name in paths:
            if name in self._shard_of:
                continue
            path = paths[name]
            shard = next(
                (
                    s
                    for s in self._shards
                    if s.path == path and s.stream_count() + len(added.get(s, ())) < limit
                ),
                None,
            ) or self._new_shard(path)
            self._shard_of[name] = shard
            added.setdefault(shard, []).append(name)
        return added

    def subscribe(self, names: Sequence[str], timeout: Optional[float]) -> None:
        """Subscribe streams not subscribed yet; blocks until the exchange confirms them.

        Args:
            names: Stream names.
            timeout: Seconds to wait for the confirmation (``request_timeout`` if None).

        Raises:
            ServerError: If the exchange refused a stream.
            ConnectionFailedError: If no connection could be made in time.
            RequestTimeoutError: If the exchange did not confirm in time.
        """
        deadline = self._deadline(timeout)
        paths = {name: self._path_of(name) for name in names}  # may raise: nothing changed yet
        waits: Dict[Shard, List[str]] = {}
        with self._lock:
            added = self._place(paths)
            for name in names:
                waits.setdefault(self._shard_of[name], []).append(name)
        try:
            for shard, shard_names in added.items():
                shard.add(shard_names, deadline.when)
            for shard, shard_names in waits.items():
                shard.wait_confirmed(shard_names, deadline)
        except BaseException:
            self._roll_back(added)
            raise

    def _roll_back(self, added: Dict[Shard, List[str]]) -> None:
        """Forget the streams a failed subscribe call added; never waits."""
        with self._lock:
            for shard_names in added.values():
                for name in shard_names:
                    self._shard_of.pop(name, None)
        for shard, shard_names in added.items():
            shard.roll_back(shard_names)

    def unsubscribe(self, names: Iterable[str], timeout: Optional[float]) -> None:
        """Unsubscribe streams; blocks until the exchange confirms."""
        deadline = self._deadline(timeout)
        plan: Dict[Shard, List[str]] = {}
        with self._lock:
            for name in names:
                shard = self._shard_of.pop(name, None)
                if shard is not None:
                    plan.setdefault(shard, []).append(name)
        for shard, shard_names in plan.items():
            conn = shard.remove(shard_names)
            if conn is None:
                continue
            for chunk in request_chunks(shard_names, self.settings.max_request_bytes):
                self._call(conn, "UNSUBSCRIBE", chunk, deadline)

    def list_subscriptions(self, timeout: Optional[float]) -> List[str]:
        """Ask every open connection which streams it is subscribed to."""
        deadline = self._deadline(timeout)
        names: List[str] = []
        for conn in self.open_connections():
            result = self._call(conn, "LIST_SUBSCRIPTIONS", None, deadline)
            if isinstance(result, list):
                names.extend(str(name) for name in result)
        return names

    def call_all(self, method: str, params: List[Any], timeout: Optional[float]) -> List[Any]:
        """Send a request on every open connection and return their results."""
        deadline = self._deadline(timeout)
        return [self._call(conn, method, params, deadline) for conn in self.open_connections()]

    def _call(
        self,
        conn: PoolConnection,
        method: str,
        params: Optional[List[Any]],
        deadline: Deadline,
    ) -> Any:
        """Send one request and wait for its reply until ``deadline``.

        Raises:
            ClientClosedError: If the pool closes first (at once: :meth:`close`
                wakes every waiter).
            ServerError: If the exchange answered with an error.
            RequestTimeoutError: If it did not answer in time.
            ConnectionFailedError: If the connection ended first, or the rate
                limit gave no room for the request in time.
        """
        request = {"method": method, "params": params} if params is not None else {"method": method}
        waiter = _Waiter()
        with self._lock:
            self._waiters.add(waiter)
        try:
            self._check_open(request)
            conn.request(method, params, waiter, deadline.when)
            reply = waiter.wait(deadline)
            self._check_open(request)
        except ConnectionFailedError:
            self._check_open(request)
            raise
        finally:
            with self._lock:
                self._waiters.discard(waiter)
        if reply is None:
            raise RequestTimeoutError(
                f"the exchange did not answer {json.dumps(request)} {deadline.within()}"
            )
        if isinstance(reply, ErrorReply):
            raise ServerError(reply.code, reply.msg, request)
        if isinstance(reply, BaseException):
            raise reply
        return reply.result

    def _check_open(self, request: Dict[str, Any]) -> None:
        if self._closing.is_set():
            raise ClientClosedError(f"the client was closed while sending {json.dumps(request)}")

    # ------------------------------------------------------------ supervisor

    def tick(self) -> None:
        """Run one supervisor round now: every shard's :meth:`Shard.tick`.

        The supervisor thread does this every 50 ms; a pool made with
        ``supervise=False`` does it only when asked.
        """
        now = self._clock()
        for shard in self.shards():
            try:
                shard.tick(now)
            except Exception:  # never let the supervisor die
                _log.exception("supervisor error on shard %d", shard.number)

    def _wake_supervisor(self) -> None:
        self._wake.set()

    def _supervise(self) -> None:
        while not self._closing.is_set():
            self._wake.wait(_TICK)
            self._wake.clear()
            if self._closing.is_set():
                break
            self.tick()

    def close(self, deadline: float) -> List[threading.Thread]:
        """Close every connection and stop the supervisor.

        Args:
            deadline: When to stop waiting for the threads, on the pool's clock.

        Returns:
            The threads that were still alive at ``deadline`` (normally none).
        """
        self._closing.set()
        self._wake.set()
        with self._lock:
            waiters = list(self._waiters)
        for waiter in waiters:
            waiter.cancel()
        conns: List[PoolConnection] = []
        for shard in self.shards():
            shard.stop()
            conns.extend(shard.connections())
        for conn in conns:
            conn.close()
        until = Deadline.at(deadline, clock=self._clock)
        current = threading.current_thread()
        threads = [conn.thread for conn in conns]
        if self._thread is not None:
            threads.insert(0, self._thread)
            if self._thread is not current:
                self._thread.join(until.timeout())
        for conn in conns:
            conn.join(until.timeout())
        return [thread for thread in threads if thread.is_alive() and thread is not current]
