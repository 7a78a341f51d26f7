"""The connections behind a client: sharding, reconnecting, rolling over, keeping alive.

A :class:`Pool` spreads streams over *shards*, each at most 200 streams and each
served by one :class:`~binance_options_ws.connection.Connection` at a time. Every
shard belongs to one URL path of the endpoint (fstream has ``/public`` and
``/market``; a stream only ever goes to a shard of its own path). One
supervisor thread per pool does everything that runs on a clock:

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

Reader threads only parse and hand events to :meth:`Pool.deliver`; they never
wait on anything but short locks.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import threading
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set

import attrs

from .backoff import backoff
from .connection import Connection, HandshakeRefusedError, Reply, TokenBucket
from .endpoints import Endpoint
from .exceptions import (
    ConnectionFailedError,
    RequestTimeoutError,
    ServerError,
)
from .models import ControlReply, ErrorReply, Message

__all__ = ["Pool", "PoolSettings"]

_log = logging.getLogger("binance_options_ws")

# Request ids are unsigned integers; stay inside a signed 32-bit range too.
_MAX_ID = 2**31 - 1
# Seconds between supervisor rounds.
_TICK = 0.05


@attrs.frozen
class PoolSettings:
    """Everything the pool needs to know; the client builds it from its keyword options."""

    base_url: str
    endpoint: Endpoint
    connect_timeout: float
    request_timeout: float
    ping_interval: float
    stale_timeout: float
    max_connection_age: Optional[float]
    rollover_overlap: float
    reconnect: bool
    backoff_initial: float
    backoff_factor: float
    backoff_cap: float
    max_streams_per_connection: int
    max_messages_per_second: float
    max_request_bytes: int
    headers: Sequence[str]
    name: str
    batch_delay: float


class _Waiter:
    """A request's reply, waited for by one thread."""

    __slots__ = ("_done", "reply")

    def __init__(self) -> None:
        self._done = threading.Event()
        self.reply: Optional[Reply] = None

    def __call__(self, reply: Reply) -> None:
        self.reply = reply
        self._done.set()

    def wait(self, deadline: float) -> Optional[Reply]:
        self._done.wait(max(0.0, deadline - time.monotonic()))
        return self.reply


def _chunks(names: Sequence[str], max_bytes: int) -> Iterator[List[str]]:
    """Split names into lists whose JSON stays under ``max_bytes``."""
    chunk: List[str] = []
    size = 64  # the method, the id and the brackets
    for name in names:
        cost = len(name) + 3
        if chunk and size + cost > max_bytes:
            yield chunk
            chunk, size = [], 64
        chunk.append(name)
        size += cost
    if chunk:
        yield chunk


class _Shard:
    """Up to 200 streams and the connection(s) that serve them.

    ``cond`` protects every attribute below it; reader threads, the supervisor and
    user threads all take it, each for a short time.
    """

    def __init__(self, pool: Pool, number: int, path: str) -> None:
        self.pool = pool
        self.number = number
        self.path = path  # the endpoint's URL path this shard's streams live on
        self.cond = threading.Condition()
        self.desired: Dict[str, None] = {}  # streams wanted, in subscribe order
        self.confirmed: Set[str] = set()  # acknowledged on the active connection
        self.standby_confirmed: Set[str] = set()
        self.failed: Dict[str, BaseException] = {}
        self.active: Optional[Connection] = None
        self.standby: Optional[Connection] = None
        self.standby_ready_at: Optional[float] = None
        self.retry_at: Optional[float] = None
        self.delays = pool.new_backoff()
        self.attempts = 0
        self.ever_connected = False
        self.last_error: Optional[BaseException] = None
        self.fatal: Optional[BaseException] = None
        # Rollover: frames seen on either connection while two may deliver.
        self.seen: Optional[Set[bytes]] = None
        self.dedup_until: Optional[float] = None
        self.rollover_not_before = 0.0

    # ------------------------------------------------------------ connection events

    def on_open(self, conn: Connection) -> None:
        with self.cond:
            if conn is self.active:
                self.confirmed.clear()
                self.ever_connected = True
                self.last_error = None
            elif conn is not self.standby:
                return
            names = list(self.desired)
        role = "replacement " if conn is not self.active else ""
        detail = f"{role}connection #{conn.number} open to {conn.url}"
        self.pool.state("connected", detail, self.path)
        if names:
            self.send_subscribe(conn, names)
        elif conn is self.standby:
            with self.cond:
                self.standby_ready_at = time.monotonic()

    def on_events(self, conn: Connection, frame: bytes, messages: List[Message]) -> None:
        if self.seen is None:
            if conn is self.active:
                self.pool.deliver(messages)
            return
        with self.cond:
            # A replaced connection may still read for a moment: it must not mark
            # a frame as seen, or the copy on the new connection would be dropped.
            if conn is not self.active and conn is not self.standby:
                return
            seen = self.seen
            if seen is not None:
                if frame in seen:
                    return
                seen.add(frame)
            self.pool.deliver(messages)

    def on_problem(self, conn: Connection, what: str, detail: str) -> None:
        self.pool.problem(conn, what, detail)

    def on_close(self, conn: Connection, reason: str, error: Optional[BaseException]) -> None:
        promoted = False
        with self.cond:
            if conn is self.standby:
                self.standby = None
                self.standby_ready_at = None
                self.standby_confirmed.clear()
                self.rollover_not_before = time.monotonic() + next(self.delays)
                self.dedup_until = time.monotonic() + 1.0
                self.cond.notify_all()
                self.pool.retire(conn)
                if self.active is not None:
                    _log.warning("replacement connection #%d failed: %s", conn.number, reason)
                    return
            if conn is not self.active:
                return
            self.pool.retire(conn)
            self.active = None
            self.confirmed.clear()
            if self.standby is not None:  # the old connection died during a rollover
                self.active, self.standby = self.standby, None
                self.confirmed, self.standby_confirmed = self.standby_confirmed, set()
                promoted = True
            elif self.pool.closing:
                self.cond.notify_all()
                return
            else:
                self._schedule_retry(conn, error)
            self.cond.notify_all()
            delay = None if self.retry_at is None else max(0.0, self.retry_at - time.monotonic())
        self.pool.state("disconnected", f"connection #{conn.number}: {reason}", self.path)
        if promoted:
            self.pool.state(
                "rolled_over", f"replacement connection took over for #{conn.number}", self.path
            )
        elif delay is not None:
            self.pool.state("reconnecting", f"reconnecting in {delay:.1f} s", self.path)

    def _schedule_retry(self, conn: Connection, error: Optional[BaseException]) -> None:
        """Decide when to reconnect (called with ``cond`` held)."""
        if error is not None:
            self.last_error = error
        if conn.opened_at is not None and time.monotonic() - conn.opened_at > 10.0:
            self.delays = self.pool.new_backoff()  # it lived: start small again
        if isinstance(error, HandshakeRefusedError) and not error.retryable:
            self.fatal = error
            self.retry_at = None
            return
        if not self.pool.settings.reconnect and self.ever_connected:
            self.retry_at = None
            return
        delay = next(self.delays)
        if isinstance(error, HandshakeRefusedError) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        self.retry_at = time.monotonic() + delay

    # ------------------------------------------------------------ subscribing

    def send_subscribe(self, conn: Connection, names: Sequence[str]) -> None:
        for chunk in _chunks(names, self.pool.settings.max_request_bytes):
            try:
                conn.request("SUBSCRIBE", chunk, functools.partial(self._subscribed, conn, chunk))
            except ConnectionFailedError as exc:  # the next connection will resend
                _log.debug("SUBSCRIBE not sent on #%d: %s", conn.number, exc)
                return

    def _subscribed(self, conn: Connection, names: List[str], reply: Reply) -> None:
        """Record a SUBSCRIBE reply (on the reader thread of ``conn``)."""
        with self.cond:
            if isinstance(reply, ControlReply):
                if conn is self.active:
                    self.confirmed.update(names)
                elif conn is self.standby:
                    self.standby_confirmed.update(names)
                    ready = self.standby_confirmed >= set(self.desired)
                    if ready and self.standby_ready_at is None:
                        self.standby_ready_at = time.monotonic()
            elif isinstance(reply, ErrorReply):
                error = ServerError(reply.code, reply.msg, {"method": "SUBSCRIBE", "params": names})
                for name in names:
                    if name in self.desired:
                        del self.desired[name]
                        self.failed[name] = error
                _log.error("SUBSCRIBE %s failed: %s", names, error)
            self.cond.notify_all()

    def add(self, names: Sequence[str]) -> None:
        with self.cond:
            for name in names:
                self.desired[name] = None
                self.failed.pop(name, None)
            conn = self.active if self.active is not None and self.active.is_open else None
            standby = self.standby if self.standby is not None and self.standby.is_open else None
            needs_connection = self.active is None and self.retry_at is None and self.fatal is None
            if needs_connection:
                self.retry_at = time.monotonic()
        if needs_connection:
            self.pool.wake()
        for target in (conn, standby):
            if target is not None:
                self.send_subscribe(target, names)

    def wait_confirmed(self, names: Sequence[str], deadline: float) -> None:
        """Block until every name is acknowledged, or raise the reason it is not."""
        wanted = set(names)
        with self.cond:
            while True:
                errors = [self.failed[name] for name in names if name in self.failed]
                if errors:
                    raise errors[0]
                if self.fatal is not None:
                    raise self.fatal
                if wanted <= self.confirmed:
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._timeout_error(sorted(wanted - self.confirmed))
                self.cond.wait(min(remaining, 0.5))

    def _timeout_error(self, missing: List[str]) -> BaseException:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        if self.active is None or not self.active.is_open:
            detail = f": {self.last_error}" if self.last_error is not None else ""
            return ConnectionFailedError(
                f"could not connect to {self.pool.settings.base_url} in time to subscribe "
                f"{shown}{detail}"
            )
        return RequestTimeoutError(
            f"the exchange did not confirm the subscription to {shown} within "
            f"{self.pool.settings.request_timeout:g} s"
        )

    def remove(self, names: Sequence[str]) -> Optional[Connection]:
        with self.cond:
            for name in names:
                self.desired.pop(name, None)
                self.confirmed.discard(name)
                self.standby_confirmed.discard(name)
            return self.active if self.active is not None and self.active.is_open else None

    # ------------------------------------------------------------ the clock

    def tick(self, now: float) -> None:
        settings = self.pool.settings
        start_conn = start_standby = switch = False
        with self.cond:
            active, standby = self.active, self.standby
            if active is None and self.retry_at is not None and now >= self.retry_at:
                self.retry_at = None
                start_conn = True
            elif (
                active is not None
                and active.is_open
                and standby is None
                and settings.max_connection_age is not None
                and active.age >= settings.max_connection_age
                and now >= self.rollover_not_before
            ):
                start_standby = True
            if (
                standby is not None
                and self.standby_ready_at is not None
                and now - self.standby_ready_at >= settings.rollover_overlap
            ):
                switch = True
            dedup_over = self.dedup_until is not None and now >= self.dedup_until
            if self.seen is not None and self.standby is None and dedup_over:
                self.seen = self.dedup_until = None
        if start_conn:
            self._connect(replacement=False)
        if start_standby:
            self._connect(replacement=True)
        if switch:
            self._switch()
        for conn in (active, standby):
            if conn is None or not conn.is_open:
                continue
            if now - conn.last_ping_sent >= settings.ping_interval:
                conn.ping()
            silent = now - conn.last_received
            if silent > settings.stale_timeout:
                _log.warning(
                    "connection #%d delivered nothing (no data, no pong) for %.1f s: "
                    "treating it as dead",
                    conn.number,
                    silent,
                )
                conn.abort(f"stalled: nothing received for {silent:.1f} s")
        if standby is not None and not standby.is_open:
            waited = now - standby.created_at
            if waited > settings.connect_timeout + settings.request_timeout:
                standby.abort("replacement took too long")

    def _connect(self, replacement: bool) -> None:
        conn = self.pool.new_connection(self)
        with self.cond:
            if self.pool.closing:
                return
            if replacement:
                self.standby = conn
                self.standby_ready_at = None
                self.standby_confirmed = set()
                self.seen = set()
                self.dedup_until = None
            else:
                self.active = conn
                self.attempts += 1
                if self.attempts > 1:
                    self.pool.reconnects += 1
        what = "opening a replacement" if replacement else "connecting"
        self.pool.state("connecting", f"{what} (connection #{conn.number})", self.path)
        conn.start()

    def _switch(self) -> None:
        with self.cond:
            old, new = self.active, self.standby
            if new is None or not new.is_open:
                return
            self.active, self.standby = new, None
            self.confirmed, self.standby_confirmed = self.standby_confirmed, set()
            self.standby_ready_at = None
            self.dedup_until = time.monotonic() + max(1.0, self.pool.settings.rollover_overlap)
            self.pool.rollovers += 1
        if old is not None:
            self.pool.retire(old)
            old.close(f"rolled over to connection #{new.number}")
        self.pool.state(
            "rolled_over",
            f"connection #{new.number} replaced #{old.number if old else '?'} before its age limit",
            self.path,
        )

    def connections(self) -> List[Connection]:
        with self.cond:
            return [c for c in (self.active, self.standby) if c is not None]


class Pool:
    """All connections of one client, and the supervisor thread that keeps them alive.

    Args:
        settings: The connection settings.
        deliver: Called on a reader thread with each frame's events (must not block).
        on_state: Called with ``(state, detail, path)`` on every state change of a
            connection of the URL path ``path`` (must not block).
        on_problem: Called with ``(connection_number, what, detail)`` for a malformed
            frame or an unsolicited error reply (must not block).
    """

    def __init__(
        self,
        settings: PoolSettings,
        deliver: Callable[[List[Message]], None],
        on_state: Callable[[str, str, str], None],
        on_problem: Callable[[int, str, str], None],
    ) -> None:
        self.settings = settings
        self.deliver = deliver
        self._on_state = on_state
        self._on_problem = on_problem
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()  # protects _shards and _shard_of
        self._shards: List[_Shard] = []
        self._shard_of: Dict[str, _Shard] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.closing = False
        self.reconnects = 0
        self.rollovers = 0
        # Counters of connections that have ended, so stats survive reconnects.
        self._ended = {"messages": 0, "events": 0, "parse_errors": 0}
        self._retired: List[Connection] = []
        self._thread = threading.Thread(
            target=self._supervise, name=f"{settings.name}-supervisor", daemon=True
        )
        self._thread.start()

    # ------------------------------------------------------------ plumbing

    def next_id(self) -> int:
        return (next(self._ids) - 1) % _MAX_ID + 1

    def new_backoff(self) -> Iterator[float]:
        s = self.settings
        return backoff(s.backoff_initial, s.backoff_factor, s.backoff_cap)

    def new_connection(self, shard: _Shard) -> Connection:
        number = next(self._numbers)
        rate = max(1.0, (self.settings.max_messages_per_second - 2.0) / 2.0)
        endpoint = self.settings.endpoint
        return Connection(
            endpoint.url(self.settings.base_url, shard.path),
            number=number,
            listener=shard,
            next_id=self.next_id,
            bucket=TokenBucket(rate=rate, capacity=rate),
            connect_timeout=self.settings.connect_timeout,
            thread_name=f"{self.settings.name}-reader-{number}",
            headers=self.settings.headers,
            parse=endpoint.parse_message,
            batch_delay=self.settings.batch_delay,
        )

    def state(self, state: str, detail: str, path: str) -> None:
        self._on_state(state, detail, path)

    def problem(self, conn: Connection, what: str, detail: str) -> None:
        self._on_problem(conn.number, what, detail)

    def wake(self) -> None:
        self._wake.set()

    # ------------------------------------------------------------ public operations

    def _deadline(self, timeout: Optional[float]) -> float:
        return time.monotonic() + (self.settings.request_timeout if timeout is None else timeout)

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

    def _new_shard(self, path: str) -> _Shard:
        shard = _Shard(self, len(self._shards) + 1, path)
        self._shards.append(shard)
        return shard

    def _path_of(self, name: str) -> str:
        endpoint = self.settings.endpoint
        return endpoint.route(endpoint.parse_stream(name))

    def subscribe(self, names: Sequence[str], timeout: Optional[float]) -> None:
        """Subscribe streams not subscribed yet; blocks until the exchange confirms them."""
        deadline = self._deadline(timeout)
        added: Dict[_Shard, List[str]] = {}
        waits: Dict[_Shard, List[str]] = {}
        limit = self.settings.max_streams_per_connection
        paths = {name: self._path_of(name) for name in names}
        with self._lock:
            for name in names:
                shard = self._shard_of.get(name)
                if shard is None:
                    path = paths[name]
                    shard = next(
                        (
                            s
                            for s in self._shards
                            if s.path == path and len(s.desired) + len(added.get(s, ())) < limit
                        ),
                        None,
                    ) or self._new_shard(path)
                    self._shard_of[name] = shard
                    added.setdefault(shard, []).append(name)
                waits.setdefault(shard, []).append(name)
        for shard, shard_names in added.items():
            shard.add(shard_names)
        try:
            for shard, shard_names in waits.items():
                shard.wait_confirmed(shard_names, deadline)
        except BaseException:
            new = [name for shard_names in added.values() for name in shard_names]
            self.unsubscribe(new, timeout=1.0, quiet=True)
            raise

    def unsubscribe(
        self, names: Iterable[str], timeout: Optional[float], quiet: bool = False
    ) -> None:
        """Unsubscribe streams; blocks until the exchange confirms (unless ``quiet``)."""
        deadline = self._deadline(timeout)
        plan: Dict[_Shard, List[str]] = {}
        with self._lock:
            for name in names:
                shard = self._shard_of.pop(name, None)
                if shard is not None:
                    plan.setdefault(shard, []).append(name)
        for shard, shard_names in plan.items():
            conn = shard.remove(shard_names)
            if conn is None:
                continue
            for chunk in _chunks(shard_names, self.settings.max_request_bytes):
                self._call(conn, "UNSUBSCRIBE", chunk, deadline, quiet)

    def list_subscriptions(self, timeout: Optional[float]) -> List[str]:
        """Ask every open connection which streams it is subscribed to."""
        deadline = self._deadline(timeout)
        names: List[str] = []
        for shard in self.shards():
            with shard.cond:
                conn = shard.active
            if conn is not None and conn.is_open:
                result = self._call(conn, "LIST_SUBSCRIPTIONS", None, deadline)
                if isinstance(result, list):
                    names.extend(str(name) for name in result)
        return names

    def call_all(self, method: str, params: List[Any], timeout: Optional[float]) -> List[Any]:
        """Send a request on every open connection and return their results."""
        deadline = self._deadline(timeout)
        results = []
        for conn in self.open_connections():
            results.append(self._call(conn, method, params, deadline))
        return results

    def _call(
        self,
        conn: Connection,
        method: str,
        params: Optional[List[Any]],
        deadline: float,
        quiet: bool = False,
    ) -> Any:
        waiter = _Waiter()
        try:
            conn.request(method, params, waiter, deadline)
        except ConnectionFailedError:
            if quiet:
                return None
            raise
        reply = waiter.wait(deadline)
        if quiet:
            return None
        request = {"method": method, "params": params} if params is not None else {"method": method}
        if reply is None:
            raise RequestTimeoutError(
                f"the exchange did not answer {json.dumps(request)} within "
                f"{self.settings.request_timeout:g} s"
            )
        if isinstance(reply, ErrorReply):
            raise ServerError(reply.code, reply.msg, request)
        if isinstance(reply, BaseException):
            raise reply
        return reply.result

    def shards(self) -> List[_Shard]:
        with self._lock:
            return list(self._shards)

    def open_connections(self) -> List[Connection]:
        conns = []
        for shard in self.shards():
            with shard.cond:
                if shard.active is not None and shard.active.is_open:
                    conns.append(shard.active)
        return conns

    def counters(self) -> Dict[str, int]:
        """Messages, events and parse errors over every connection this pool had."""
        totals = dict(self._ended)
        for shard in self.shards():
            for conn in shard.connections():
                totals["messages"] += conn.messages
                totals["events"] += conn.events
                totals["parse_errors"] += conn.parse_errors
        with self._lock:
            for conn in self._retired:
                totals["messages"] += conn.messages
                totals["events"] += conn.events
                totals["parse_errors"] += conn.parse_errors
        return totals

    def retire(self, conn: Connection) -> None:
        """Keep a connection's counters after its shard lets go of it (exactly once)."""
        with self._lock:
            self._retired.append(conn)
            if len(self._retired) > 16:
                old = self._retired.pop(0)
                self._ended["messages"] += old.messages
                self._ended["events"] += old.events
                self._ended["parse_errors"] += old.parse_errors

    # ------------------------------------------------------------ supervisor

    def _supervise(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(_TICK)
            self._wake.clear()
            if self._stop.is_set():
                break
            now = time.monotonic()
            for shard in self.shards():
                try:
                    shard.tick(now)
                except Exception:  # never let the supervisor die
                    _log.exception("supervisor error on shard %d", shard.number)

    def close(self, deadline: float) -> List[threading.Thread]:
        """Close every connection and stop the supervisor.

        Returns:
            The threads that were still alive at ``deadline`` (normally none).
        """
        self.closing = True
        self._stop.set()
        self._wake.set()
        conns: List[Connection] = []
        for shard in self.shards():
            with shard.cond:
                shard.retry_at = None
                shard.cond.notify_all()
            conns.extend(shard.connections())
        for conn in conns:
            conn.close()
        alive = []
        current = threading.current_thread()
        if self._thread is not current:
            self._thread.join(max(0.0, deadline - time.monotonic()))
        for conn in conns:
            conn.join(max(0.0, deadline - time.monotonic()))
        for thread in [self._thread] + [c.thread for c in conns]:
            if thread.is_alive() and thread is not current:
                alive.append(thread)
        return alive
