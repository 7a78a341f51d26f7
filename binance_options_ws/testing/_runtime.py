"""One run of the fake exchange, from start() to stop(): its thread, event loop and server.

Internal to :mod:`binance_options_ws.testing.server`. :meth:`Runtime.start` runs
a private asyncio event loop in one daemon thread and serves the engine's
handlers on it; :meth:`Runtime.call` and :meth:`Runtime.post` hand work to that
thread from any other (and run it at once on the thread itself).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import ssl
import threading
from typing import Any, Callable, Coroutine, Optional, Set, TypeVar

import attrs
from websockets.asyncio.server import serve

from ._engine import Engine
from ._records import MarketFeed
from ._session import FakeConnection, connection_class

__all__ = ["Runtime"]

_log = logging.getLogger("binance_options_ws.testing")
_T = TypeVar("_T")

_THREAD_NAME = "binance-options-ws-fake-exchange"
_CLOSE_TIMEOUT = 1.0  # how long a close handshake may take before the socket is aborted
_CALL_TIMEOUT = 5.0  # how long a public method waits for the event loop
_STOP_TIMEOUT = 5.0  # how long stop() waits for the thread


@attrs.define
class Runtime:
    """One run of the server: its thread, loop and server, and what it serves.

    Attributes:
        engine: The engine whose handlers serve the connections.
        host: The interface to listen on.
        port: The port asked for (0: any), then the one bound.
        market: The market to poll, or None.
        thread: The server thread.
        ready: Set once the port is bound (or the start failed).
        loop: The thread's event loop.
        stop_event: Set (on the loop) to stop serving.
        error: Why the start failed, re-raised by :meth:`start`.
        connections: Every live TCP connection, those in their handshake included.
        resume_handle: The timer of ``stall(seconds)``, if one is pending.
    """

    engine: Engine
    host: str
    port: int
    market: Optional[MarketFeed]
    thread: Optional[threading.Thread] = None
    ready: threading.Event = attrs.Factory(threading.Event)
    loop: Optional[asyncio.AbstractEventLoop] = None
    stop_event: Optional[asyncio.Event] = None
    error: Optional[BaseException] = None
    connections: Set[FakeConnection] = attrs.Factory(set)
    resume_handle: Optional[asyncio.TimerHandle] = None
    ssl_context: Optional[ssl.SSLContext] = None

    # ------------------------------------------------------------------
    # From other threads
    # ------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread and return once the port is bound.

        Raises:
            OSError: If the port cannot be bound (whatever the start raised).
        """
        thread = threading.Thread(target=self._run, name=_THREAD_NAME, daemon=True)
        self.thread = thread
        thread.start()
        self.ready.wait()
        if self.error is not None:
            thread.join()
            raise self.error

    def stop(self) -> None:
        """Ask the thread to finish, and wait for it unless this is that thread."""
        assert self.loop is not None
        assert self.stop_event is not None
        with contextlib.suppress(RuntimeError):  # the loop already ended
            self.loop.call_soon_threadsafe(self.stop_event.set)
        if self.thread is not None and not self.on_thread():
            self.thread.join(timeout=_STOP_TIMEOUT)

    def on_thread(self) -> bool:
        """Whether the caller runs on the server thread."""
        return threading.current_thread() is self.thread

    def call(self, func: Callable[..., _T], *args: Any) -> _T:
        """Run ``func(*args)`` on the loop thread and return (or raise) what it does."""
        if self.on_thread():
            return func(*args)
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def call() -> None:
            try:
                future.set_result(func(*args))
            except BaseException as exc:  # handed to the calling thread
                future.set_exception(exc)

        self.post(call)
        return future.result(timeout=_CALL_TIMEOUT)

    def post(self, func: Callable[..., None], *args: Any) -> None:
        """Schedule ``func(*args)`` on the loop thread (run it now if this is that thread).

        Raises:
            RuntimeError: If the loop is closed (stop() ran meanwhile).
        """
        assert self.loop is not None
        if self.on_thread():
            func(*args)
            return
        try:
            self.loop.call_soon_threadsafe(func, *args)
        except RuntimeError:  # the loop is closed: stop() ran meanwhile
            raise RuntimeError("the exchange is not running: call start() first") from None

    def wait_on_loop(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine on the loop and wait for it (from another thread)."""
        assert self.loop is not None
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=_CALL_TIMEOUT)

    # ------------------------------------------------------------------
    # On the loop thread
    # ------------------------------------------------------------------

    def stall(self, seconds: Optional[float], pongs: bool = False) -> None:
        """Stall every open connection; resume by itself after ``seconds`` unless None.

        ``pongs``: keep reading, so that pings are still answered (a silent stall).
        """
        assert self.loop is not None
        if self.resume_handle is not None:
            self.resume_handle.cancel()
            self.resume_handle = None
        self.engine.pause(pongs)
        if seconds is not None:
            self.resume_handle = self.loop.call_later(seconds, self.resume)

    def resume(self) -> None:
        """End a stall (nothing if there is none)."""
        if self.resume_handle is not None:
            self.resume_handle.cancel()
            self.resume_handle = None
        self.engine.unpause()

    def _run(self) -> None:
        """The thread's body: run the event loop until stop(), then tidy it away."""
        loop = asyncio.new_event_loop()
        self.loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:
            if self.ready.is_set():
                _log.error("the fake exchange's event loop failed", exc_info=True)
            else:  # start() re-raises it
                self.error = exc
        finally:
            try:
                tasks = asyncio.all_tasks(loop)
                for task in tasks:
                    task.cancel()
                if tasks:
                    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()
                self.ready.set()

    async def _main(self) -> None:
        self.stop_event = asyncio.Event()
        engine = self.engine
        server = await serve(
            engine.handle,
            self.host,
            self.port,
            ssl=self.ssl_context,
            process_request=engine.accept,
            create_connection=connection_class(self.connections),
            compression=None,
            ping_interval=None,  # the engine pings by itself, see Engine._watch()
            ping_timeout=None,
            close_timeout=_CLOSE_TIMEOUT,
            logger=_log,
        )
        self.port = server.sockets[0].getsockname()[1]
        feed = None
        if self.market is not None:
            feed = asyncio.ensure_future(engine.feed(self.market))
        self.ready.set()
        try:
            await self.stop_event.wait()
        finally:
            if feed is not None:
                feed.cancel()
            await engine.shut_down(server, self.connections)
