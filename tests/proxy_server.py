"""A real proxy server on 127.0.0.1 for the tests: pproxy, run in a thread of its own.

pproxy (a proxy server on PyPI, pure Python, asyncio) serves HTTP CONNECT and SOCKS5
on one port, with or without a user name and password, and binds port 0. It logs
each tunnel it opens, which tells a test that a connection really went through it.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Any, List, Optional, Type

import pproxy


class ProxyServer:
    """An HTTP CONNECT and SOCKS5 proxy on 127.0.0.1, started by ``with``.

    Args:
        credentials: ``"user:password"`` to require, or None for an open proxy.

    Attributes:
        port: The port it listens on.
        tunnels: One line per tunnel opened, ``"http 127.0.0.1:x -> host:port"``.
    """

    def __init__(self, credentials: Optional[str] = None) -> None:
        self._uri = "http+socks5://127.0.0.1:0" + (f"#{credentials}" if credentials else "")
        self._loop = asyncio.new_event_loop()
        self._server: Any = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="test-proxy")
        self.port = 0
        self.tunnels: List[str] = []

    def __enter__(self) -> ProxyServer:
        server = pproxy.Server(self._uri)
        # authtime 0: ask every connection for the credentials (pproxy's default
        # trusts an address that authenticated once, for 30 days).
        args = {"rserver": [], "verbose": self._log, "authtime": 0}
        self._server = self._loop.run_until_complete(server.start_server(args))
        self.port = self._server.sockets[0].getsockname()[1]
        self._thread.start()
        return self

    def _log(self, line: str) -> None:
        if "->" in line:
            self.tunnels.append(line)

    def url(self, scheme: str = "http", credentials: Optional[str] = None) -> str:
        """The proxy's URL for a client, e.g. ``http://user:pw@127.0.0.1:port``."""
        user = f"{credentials}@" if credentials else ""
        return f"{scheme}://{user}127.0.0.1:{self.port}"

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        async def shut_down() -> None:
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shut_down(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
