"""One shard of the pool: up to 200 streams and the connection(s) that serve them.

A :class:`Shard` belongs to one URL path of the endpoint and has at most two
connections: the *active* one, which delivers, and during a rollover a
*standby* that takes over once it has confirmed every stream. The pool's
supervisor calls :meth:`Shard.tick` on a clock; each round is a few named
steps (:meth:`Shard.tick` lists them). Connections report back through the
:class:`~binance_options_ws._connection.ConnectionListener` methods, on their
reader threads.

Nothing here opens a socket or reads a clock by itself: connections come from
the pool's factory and the time from the pool's clock (:class:`ShardContext`),
so a fake clock and fake connections drive every step in tests.
"""

from __future__ import annotations

import collections
import functools
import logging
import threading
from typing import Callable, Deque, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import attrs

from ._connection import ConnectionListener, Reply
from ._delivery import Batch
from ._pool_base import PoolConnection, PoolSettings, PoolStats
from ._retry import backoff, is_retryable, retry_delay
from ._timing import Clock, Deadline
from .exceptions import (
    ClientClosedError,
    ConnectionFailedError,
    RequestTimeoutError,
    ServerError,
)
from .models import ControlReply, ErrorReply, Message

__all__ = ["Shard", "ShardContext", "request_chunks"]

_log = logging.getLogger("binance_options_ws")

# A connection that stayed open this long "worked", even with nothing subscribed.
_LIVED = 10.0
# A storm: this many connections that worked but ended within the window. Past it,
# the backoff keeps growing even after connections that worked.
_STORM_RESETS = 5
_STORM_WINDOW = 60.0
# Seconds during which frames are still compared after a standby failed.
_DEDUP_AFTER_FAILED_STANDBY = 1.0
# The longest a subscriber sleeps before looking at the clock again.
_CONFIRM_POLL = 0.5


@attrs.frozen
class ShardContext:
    """What every shard of a pool shares: settings, clock, counters and the pool's hooks.

    Attributes:
        settings: The pool's settings.
        clock: The pool's clock.
        closing: Set once the pool closes: no new connection after that.
        stats: The pool's counters.
        connect: Makes (does not start) a connection to a URL path for a listener.
        deliver: Hands a frame's events on with the reader's batch (on a reader
            thread; must not block).
        report_state: ``(state, detail, path)`` of a connection change.
        report_problem: ``(connection number, what, detail)`` of a bad frame.
        wake: Asks the supervisor for a round now.
        tap: Called with ``(connection number, frame, events)`` for each frame just
            before its events are delivered, once per frame after deduplication (on
            a reader thread; must not block): the recorder's hook. None: no tap.
    """

    settings: PoolSettings
    clock: Clock
    closing: threading.Event
    stats: PoolStats
    connect: Callable[[str, ConnectionListener], PoolConnection]
    deliver: Callable[[List[Message], Optional[Batch]], None]
    report_state: Callable[[str, str, str], None]
    report_problem: Callable[[int, str, str], None]
    wake: Callable[[], None]
    tap: Optional[Callable[[int, bytes, List[Message]], None]] = None


def request_chunks(names: Sequence[str], max_bytes: int) -> Iterator[List[str]]:
    """Split names into lists whose JSON request stays under ``max_bytes``.

    Example:
        >>> list(request_chunks(["a" * 40, "b" * 40], 140))
        [['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'], ['bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb']]
    """
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


def _ignore_reply(reply: Reply) -> None:
    """The reply to a roll-back's UNSUBSCRIBE: nobody waits for it."""


class Shard:
    """Up to 200 streams of one URL path and the connection(s) that serve them.

    Args:
        context: What the pool's shards share.
        number: The shard's number, for logs.
        path: The endpoint's URL path of its streams.
    """

    def __init__(self, context: ShardContext, number: int, path: str) -> None:
        self._ctx = context
        self.number = number
        self.path = path
        # Guards every attribute below; reader threads, the supervisor and user
        # threads take it, each for a short time. Lock order: the pool's lock,
        # then this, then PoolStats'.
        self._cond = threading.Condition()
        self._desired: Dict[str, None] = {}  # streams wanted, in subscribe order
        self._confirmed: Set[str] = set()  # acknowledged on the active connection
        self._standby_confirmed: Set[str] = set()
        self._failed: Dict[str, BaseException] = {}
        self._active: Optional[PoolConnection] = None
        self._standby: Optional[PoolConnection] = None
        self._standby_ready_at: Optional[float] = None
        self._retry_at: Optional[float] = None
        self._delays = self._new_backoff()
        self._attempts = 0
        self._ever_connected = False
        self._last_error: Optional[BaseException] = None
        self._fatal: Optional[BaseException] = None
        # Rollover: frames seen on either connection while two may deliver.
        self._seen: Optional[Set[bytes]] = None
        self._dedup_until: Optional[float] = None
        self._rollover_not_before = 0.0
        # When the backoff last started afresh after a connection that worked.
        self._resets: Deque[float] = collections.deque()
        # Roll-backs of failed subscribe calls, still to UNSUBSCRIBE, per connection.
        self._unwanted: List[Tuple[PoolConnection, List[str]]] = []

    def __repr__(self) -> str:
        return f"<Shard #{self.number} {self.path or '/'} {self.stream_count()} streams>"

    def _dedup_period(self) -> float:
        """How long frames are still compared once one connection delivers alone.

        The old connection may still hold frames the new one already delivered.
        """
        return max(1.0, self._ctx.settings.rollover_overlap)

    def _new_backoff(self) -> Iterator[float]:
        s = self._ctx.settings
        return backoff(s.backoff_initial, s.backoff_factor, s.backoff_cap)

    # ------------------------------------------------------------ what the pool reads

    def stream_count(self) -> int:
        """How many streams this shard serves or is about to."""
        with self._cond:
            return len(self._desired)

    def connections(self) -> List[PoolConnection]:
        """The active connection and the standby, those that exist."""
        with self._cond:
            return [c for c in (self._active, self._standby) if c is not None]

    def open_connection(self) -> Optional[PoolConnection]:
        """The active connection if it is open, else None."""
        with self._cond:
            active = self._active
        return active if active is not None and active.is_open else None

    def stop(self) -> None:
        """No more reconnects (the pool is closing); wakes every subscriber."""
        with self._cond:
            self._retry_at = None
            self._cond.notify_all()

    # ------------------------------------------------------------ connection events

    def on_open(self, conn: PoolConnection) -> None:
        """The handshake of ``conn`` succeeded: subscribe it to every stream."""
        with self._cond:
            if conn is self._active:
                self._confirmed.clear()
                self._ever_connected = True
                self._last_error = None
            elif conn is not self._standby:
                return
            names = list(self._desired)
        role = "replacement " if conn is not self._active else ""
        detail = f"{role}connection #{conn.number} open to {conn.url}"
        self._ctx.report_state("connected", detail, self.path)
        if names:
            self.send_subscribe(conn, names)
        elif conn is self._standby:
            with self._cond:
                self._standby_ready_at = self._ctx.clock()

    def on_events(
        self,
        conn: PoolConnection,
        frame: bytes,
        messages: List[Message],
        batch: Optional[Batch] = None,
    ) -> None:
        """A frame's events: delivered once, even when both connections carry it.

        ``batch`` is the reader's :class:`~binance_options_ws._delivery.Batch`,
        handed on with the events.
        """
        if self._seen is None:  # no rollover: the fast path, without the lock
            if conn is self._active:
                tap = self._ctx.tap
                if tap is not None:
                    tap(conn.number, frame, messages)
                self._ctx.deliver(messages, batch)
            return
        with self._cond:
            # A replaced connection may still read for a moment: it must not mark
            # a frame as seen, or the copy on the new connection would be dropped.
            if conn is not self._active and conn is not self._standby:
                return
            seen = self._seen
            if seen is not None:
                if frame in seen:
                    return
                seen.add(frame)
            tap = self._ctx.tap
            if tap is not None:
                tap(conn.number, frame, messages)
            self._ctx.deliver(messages, batch)

    def on_problem(self, conn: PoolConnection, what: str, detail: str) -> None:
        """A malformed frame or an unsolicited error reply on ``conn``."""
        self._ctx.report_problem(conn.number, what, detail)

    def on_close(self, conn: PoolConnection, reason: str, error: Optional[BaseException]) -> None:
        """``conn`` ended: promote the standby, or schedule a reconnect."""
        promoted = False
        with self._cond:
            if conn is self._standby and self._standby_failed(conn, reason):
                return
            if conn is not self._active:
                return
            self._ctx.stats.retire(conn)
            worked = self._worked(conn)
            self._active = None
            self._confirmed.clear()
            if self._standby is not None:  # the old connection died during a rollover
                self._active, self._standby = self._standby, None
                self._confirmed, self._standby_confirmed = self._standby_confirmed, set()
                self._standby_ready_at = None
                self._dedup_until = self._ctx.clock() + self._dedup_period()
                promoted = True
            elif self._ctx.closing.is_set():
                self._cond.notify_all()
                return
            else:
                self._schedule_retry(conn, error, worked)
            self._cond.notify_all()
            retry_at = self._retry_at
            delay = None if retry_at is None else max(0.0, retry_at - self._ctx.clock())
        self._ctx.report_state("disconnected", f"connection #{conn.number}: {reason}", self.path)
        if promoted:
            detail = f"replacement connection took over for #{conn.number}"
            self._ctx.report_state("rolled_over", detail, self.path)
        elif delay is not None:
            # Why, too: the one line the log shows at WARNING per reconnect (_reporting).
            detail = f"reconnecting in {delay:.1f} s after connection #{conn.number}: {reason}"
            self._ctx.report_state("reconnecting", detail, self.path)

    def _standby_failed(self, conn: PoolConnection, reason: str) -> bool:
        """Drop a failed standby (``cond`` held); True when there is nothing more to do."""
        now = self._ctx.clock()
        self._standby = None
        self._standby_ready_at = None
        self._standby_confirmed.clear()
        self._rollover_not_before = now + next(self._delays)
        self._dedup_until = now + _DEDUP_AFTER_FAILED_STANDBY
        self._cond.notify_all()
        self._ctx.stats.retire(conn)
        if self._active is None:
            return False
        _log.warning("replacement connection #%d failed: %s", conn.number, reason)
        return True

    def _worked(self, conn: PoolConnection) -> bool:
        """Whether the active ``conn``, now ending, did its job (``cond`` held).

        It worked if the exchange confirmed every stream it was asked for and it
        delivered an event, or if it stayed open ``_LIVED`` seconds (a connection
        with nothing subscribed delivers nothing).
        """
        opened_at = conn.opened_at
        if opened_at is None:
            return False
        if self._ctx.clock() - opened_at >= _LIVED:
            return True
        return bool(self._desired) and conn.events > 0 and self._confirmed >= set(self._desired)

    def _schedule_retry(
        self, conn: PoolConnection, error: Optional[BaseException], worked: bool = False
    ) -> None:
        """Decide when to reconnect (``cond`` held).

        After a connection that worked, the backoff starts small again, unless
        that happened ``_STORM_RESETS`` times within ``_STORM_WINDOW`` seconds:
        connections that keep dropping soon after they open do not hammer the
        exchange.
        """
        now = self._ctx.clock()
        if error is not None:
            self._last_error = error
        if worked:
            resets = self._resets
            while resets and resets[0] <= now - _STORM_WINDOW:
                resets.popleft()
            if len(resets) < _STORM_RESETS:
                resets.append(now)
                self._delays = self._new_backoff()  # it worked: start small again
            elif len(resets) == _STORM_RESETS:
                resets.append(now)  # warned once per storm
                _log.warning(
                    "connections keep dropping soon after they open (%d in %.0f s): "
                    "waiting longer between attempts",
                    len(resets),
                    now - resets[0],
                )
        if error is not None and not is_retryable(error, first_attempt=not self._ever_connected):
            self._fatal = error
            self._retry_at = None
            if self._ever_connected:  # no caller waits to hear it: say it here, loudly
                _log.error(
                    "shard %d gives up: %s; its %d streams are no longer served",
                    self.number,
                    error,
                    len(self._desired),
                )
            return
        if not self._ctx.settings.reconnect and self._ever_connected:
            self._retry_at = None
            _log.warning(
                "connection #%d ended and reconnect=False: its %d streams are no longer served",
                conn.number,
                len(self._desired),
            )
            return
        self._retry_at = now + retry_delay(error, self._delays)

    # ------------------------------------------------------------ subscribing

    def send_subscribe(
        self, conn: PoolConnection, names: Sequence[str], deadline: Optional[float] = None
    ) -> None:
        """SUBSCRIBE ``names`` on ``conn``, in requests of the allowed size.

        Args:
            conn: The connection to send on.
            names: Stream names.
            deadline: When to stop waiting for the rate limit's allowance (on the
                pool's clock; None: no limit). A subscriber's own deadline, so that
                a burst of pongs cannot hold its call past its timeout.
        """
        for chunk in request_chunks(names, self._ctx.settings.max_request_bytes):
            on_reply = functools.partial(self._subscribed, conn, chunk)
            try:
                conn.request("SUBSCRIBE", chunk, on_reply, deadline)
            except ConnectionFailedError as exc:  # the next connection will resend
                _log.debug("SUBSCRIBE not sent on #%d: %s", conn.number, exc)
                return

    def _subscribed(self, conn: PoolConnection, names: List[str], reply: Reply) -> None:
        """Record a SUBSCRIBE reply (on the reader thread of ``conn``)."""
        with self._cond:
            if isinstance(reply, ControlReply):
                if conn is self._active:
                    self._confirmed.update(names)
                elif conn is self._standby:
                    self._standby_confirmed.update(names)
                    ready = self._standby_confirmed >= set(self._desired)
                    if ready and self._standby_ready_at is None:
                        self._standby_ready_at = self._ctx.clock()
            elif isinstance(reply, ErrorReply):
                error = ServerError(reply.code, reply.msg, {"method": "SUBSCRIBE", "params": names})
                for name in names:
                    if name in self._desired:
                        del self._desired[name]
                        self._failed[name] = error
                _log.error("SUBSCRIBE %s failed: %s", names, error)
            self._cond.notify_all()

    def add(self, names: Sequence[str], deadline: Optional[float] = None) -> None:
        """Serve ``names`` too: subscribe them now, or connect first.

        ``deadline`` (on the pool's clock) bounds the wait for the rate limit's
        allowance to send the SUBSCRIBE.
        """
        with self._cond:
            for name in names:
                self._desired[name] = None
                self._failed.pop(name, None)
            targets = [c for c in (self._active, self._standby) if c is not None and c.is_open]
            needs_connection = (
                self._active is None and self._retry_at is None and self._fatal is None
            )
            if needs_connection:
                self._retry_at = self._ctx.clock()
        if needs_connection:
            self._ctx.wake()
        for target in targets:
            self.send_subscribe(target, names, deadline)

    def wait_confirmed(self, names: Sequence[str], deadline: Deadline) -> None:
        """Block until every name is acknowledged, or raise the reason it is not.

        Raises:
            ServerError: If the exchange refused one of them.
            ConnectionFailedError: If no connection could be made in time, or a
                refused handshake will not be retried.
            RequestTimeoutError: If the exchange did not confirm in time.
            ClientClosedError: If the client closed meanwhile.
        """
        wanted = set(names)
        with self._cond:
            while True:
                if self._ctx.closing.is_set():
                    raise ClientClosedError(
                        f"the client was closed while waiting for the subscription to "
                        f"{', '.join(names[:5])}{' ...' if len(names) > 5 else ''}"
                    )
                errors = [self._failed[name] for name in names if name in self._failed]
                if errors:
                    raise errors[0]
                if self._fatal is not None:
                    raise self._fatal
                if wanted <= self._confirmed:
                    return
                left = deadline.timeout()
                if left is not None and left <= 0:
                    raise self._timeout_error(sorted(wanted - self._confirmed), deadline)
                self._cond.wait(_CONFIRM_POLL if left is None else min(left, _CONFIRM_POLL))

    def _timeout_error(self, missing: List[str], deadline: Deadline) -> BaseException:
        settings = self._ctx.settings
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        if self._active is None or not self._active.is_open:
            if self._last_error is not None:  # it says where it could not connect
                return ConnectionFailedError(
                    f"could not subscribe {shown} {deadline.within()}: {self._last_error}"
                )
            return ConnectionFailedError(
                f"could not connect to {settings.base_url} {deadline.within()} to subscribe {shown}"
            )
        return RequestTimeoutError(
            f"the exchange did not confirm the subscription to {shown} {deadline.within()}"
        )

    def remove(self, names: Sequence[str]) -> Optional[PoolConnection]:
        """Stop serving ``names``; returns the open connection to unsubscribe them on."""
        with self._cond:
            for name in names:
                self._desired.pop(name, None)
                self._confirmed.discard(name)
                self._standby_confirmed.discard(name)
            active = self._active
        return active if active is not None and active.is_open else None

    def roll_back(self, names: Sequence[str]) -> None:
        """Stop serving ``names`` of a subscribe call that failed, without waiting.

        The UNSUBSCRIBE goes out from the supervisor's rounds, when the rate limit
        allows, on each connection that may have subscribed them; nobody waits for
        its reply, so the failed call returns within its own timeout.
        """
        self.remove(names)
        with self._cond:
            for conn in (self._active, self._standby):
                if conn is not None and conn.is_open:
                    self._unwanted.append((conn, list(names)))
        self._ctx.wake()

    def _send_unwanted(self, now: float) -> None:
        """Send the roll-backs' UNSUBSCRIBE requests that the rate limit allows now."""
        with self._cond:
            unwanted, self._unwanted = self._unwanted, []
        left: List[Tuple[PoolConnection, List[str]]] = []
        for conn, names in unwanted:
            if not conn.is_open:
                continue  # its streams ended with it
            chunks = list(request_chunks(names, self._ctx.settings.max_request_bytes))
            for index, chunk in enumerate(chunks):
                try:
                    conn.request("UNSUBSCRIBE", chunk, _ignore_reply, now)
                except ConnectionFailedError:  # no allowance now: the next round
                    left.append((conn, [n for c in chunks[index:] for n in c]))
                    break
        if left:
            with self._cond:
                self._unwanted[:0] = left

    # ------------------------------------------------------------ the clock

    def tick(self, now: float) -> None:
        """One supervisor round, in named steps.

        Under the lock, decide: is a reconnect due (:meth:`_retry_due`), a
        rollover (:meth:`_rollover_due`), the switch to the standby
        (:meth:`_switch_due`), the age limit (:meth:`_age_limit_reached`), the end
        of deduplication (:meth:`_expire_dedup`). Then act: connect, start the
        standby, switch (or end the old connection at its age limit,
        :meth:`_end_old_connection`); and on each connection send
        a ping when due (:meth:`_ping_if_due`), abort it when it fell silent
        (:meth:`_abort_if_stale`), abort a standby that takes too long
        (:meth:`_abort_slow_standby`).
        """
        with self._cond:
            active, standby = self._active, self._standby
            connect = self._retry_due(now)
            start_standby = self._rollover_due(now)
            switch = self._switch_due(now)
            too_old = not switch and self._age_limit_reached(now)
            self._expire_dedup(now)
        if connect:
            self._connect(replacement=False)
        if start_standby:
            self._connect(replacement=True)
        if switch:
            self._switch()
        elif too_old:
            self._end_old_connection()
        for conn in (active, standby):
            if conn is not None and conn.is_open:
                self._ping_if_due(conn, now)
                self._abort_if_stale(conn, now)
        if standby is not None:
            self._abort_slow_standby(standby, now)
        if self._unwanted:
            self._send_unwanted(now)

    def _retry_due(self, now: float) -> bool:
        """Whether to connect now: no connection, and its retry time has come (``cond`` held)."""
        if self._active is not None or self._retry_at is None or now < self._retry_at:
            return False
        self._retry_at = None
        return True

    def rollover_lead(self) -> float:
        """How long before ``max_connection_age`` the replacement starts, in seconds.

        Enough for it to connect (``connect_timeout``), have its streams confirmed
        (``request_timeout``) and overlap (``rollover_overlap``), so that the old
        connection is closed by its age limit; at most half the age, so that a
        short age still lives a while.
        """
        s = self._ctx.settings
        max_age = s.max_connection_age or 0.0
        return min(max_age / 2, s.connect_timeout + s.request_timeout + s.rollover_overlap)

    def _rollover_due(self, now: float) -> bool:
        """Whether the open active connection is old enough to replace (``cond`` held)."""
        max_age = self._ctx.settings.max_connection_age
        active = self._active
        if max_age is None or active is None or self._standby is not None:
            return False
        opened_at = active.opened_at
        return (
            active.is_open
            and opened_at is not None
            and now - opened_at >= max_age - self.rollover_lead()
            and now >= self._rollover_not_before
        )

    def _age_limit_reached(self, now: float) -> bool:
        """Whether the active connection has reached ``max_connection_age`` (``cond`` held)."""
        max_age = self._ctx.settings.max_connection_age
        active = self._active
        if max_age is None or active is None or not active.is_open:
            return False
        opened_at = active.opened_at
        return opened_at is not None and now - opened_at >= max_age

    def _end_old_connection(self) -> None:
        """Keep the promise of ``max_connection_age``: the active connection ends now.

        The replacement takes over if it is open (even before it confirmed every
        stream: the rest follow as their confirmations come); otherwise the old
        connection is closed and the replacement, or a new connection, follows.
        """
        with self._cond:
            old, new = self._active, self._standby
        if new is not None and new.is_open:
            self._switch()
        elif old is not None:
            age = self._ctx.settings.max_connection_age
            old.close(f"reached max_connection_age ({age:g} s) before its replacement opened")

    def _switch_due(self, now: float) -> bool:
        """Whether the standby has confirmed everything for long enough (``cond`` held)."""
        ready_at = self._standby_ready_at
        return (
            self._standby is not None
            and ready_at is not None
            and now - ready_at >= self._ctx.settings.rollover_overlap
        )

    def _expire_dedup(self, now: float) -> None:
        """Stop comparing frames once one connection delivers again (``cond`` held)."""
        over = self._dedup_until is not None and now >= self._dedup_until
        if self._seen is not None and self._standby is None and over:
            self._seen = self._dedup_until = None

    def _ping_if_due(self, conn: PoolConnection, now: float) -> None:
        if now - conn.last_ping_sent >= self._ctx.settings.ping_interval:
            conn.ping()

    def _abort_if_stale(self, conn: PoolConnection, now: float) -> None:
        silent = now - conn.last_received
        if silent > self._ctx.settings.stale_timeout:
            # INFO: the drop that follows is the one warning, with this reason.
            _log.info(
                "connection #%d delivered nothing (no data, no pong) for %.1f s: "
                "treating it as dead",
                conn.number,
                silent,
            )
            conn.abort(f"stalled: nothing received for {silent:.1f} s")

    def _abort_slow_standby(self, standby: PoolConnection, now: float) -> None:
        settings = self._ctx.settings
        if standby.is_open:
            return
        if now - standby.created_at > settings.connect_timeout + settings.request_timeout:
            standby.abort("replacement took too long")

    def _connect(self, replacement: bool) -> None:
        conn = self._ctx.connect(self.path, self)
        with self._cond:
            if self._ctx.closing.is_set():
                return
            if replacement:
                self._standby = conn
                self._standby_ready_at = None
                self._standby_confirmed = set()
                self._seen = set()
                self._dedup_until = None
            else:
                self._active = conn
                self._attempts += 1
                if self._attempts > 1:
                    self._ctx.stats.count_reconnect()
        what = "opening a replacement" if replacement else "connecting"
        self._ctx.report_state("connecting", f"{what} (connection #{conn.number})", self.path)
        conn.start()

    def _switch(self) -> None:
        with self._cond:
            old, new = self._active, self._standby
            if new is None or not new.is_open:
                return
            self._active, self._standby = new, None
            self._confirmed, self._standby_confirmed = self._standby_confirmed, set()
            self._standby_ready_at = None
            self._dedup_until = self._ctx.clock() + self._dedup_period()
            self._ctx.stats.count_rollover()
        if old is not None:
            self._ctx.stats.retire(old)
            old.close(f"rolled over to connection #{new.number}")
        self._ctx.report_state(
            "rolled_over",
            f"connection #{new.number} replaced #{old.number if old else '?'} before its age limit",
            self.path,
        )
