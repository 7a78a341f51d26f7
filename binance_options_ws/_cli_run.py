"""What every command of the command line shares while it runs.

The print loop that takes a client's events to the terminal (:func:`print_events`)
and its one-line summary, the error a user's mistake raises (:class:`UsageError`),
the exit statuses, and two context managers: SIGTERM as Ctrl+C, and the library's
log on stderr. Internal to :mod:`binance_options_ws.cli`.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import sys
import threading
import time
from typing import IO, Callable, Iterator, Optional

import attrs

from .client import StreamClient
from .exceptions import BinanceOptionsWSError
from .format import event_to_json, format_event
from .models import Event

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "NO_EVENT_HINT_AFTER",
    "Printer",
    "Run",
    "UsageError",
    "library_logging",
    "print_events",
    "summary",
    "terminate_as_interrupt",
]

#: Exit statuses: success, a failure outside the user's control, a usage mistake.
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
#: The exit status after Ctrl+C (or SIGTERM): 128 + SIGINT, as shells report it.
EXIT_INTERRUPTED = 130
#: Seconds without any event before the print loop prints its hint.
NO_EVENT_HINT_AFTER = 10.0
#: The longest single wait of the print loop, so that Ctrl+C and deadlines are prompt.
_WAIT_SLICE = 0.25


class UsageError(Exception):
    """A mistake on the command line: printed as one line, exit status 2."""


class Printer:
    """Writes events to a text stream, one line each: readable, or JSON with every field.

    Attributes:
        out: Where the lines go.
        as_json: JSON lines (:func:`~binance_options_ws.format.event_to_json`) instead
            of readable ones (:func:`~binance_options_ws.format.format_event`).
        stream_width: The width of the stream column of readable lines.
        count: How many events were written.
    """

    def __init__(self, out: IO[str], as_json: bool, stream_width: int) -> None:
        self.out = out
        self.as_json = as_json
        self.stream_width = stream_width
        self.count = 0

    def line(self, text: str) -> None:
        """Write one line of text."""
        self.out.write(text + "\n")

    def event(self, event: Event) -> None:
        """Write one event and count it."""
        if self.as_json:
            self.line(event_to_json(event))
        else:
            self.line(format_event(event, stream_width=self.stream_width))
        self.count += 1


@attrs.define
class Run:
    """How one print loop ended: events printed, seconds taken, why it stopped."""

    printed: int = 0
    seconds: float = 0.0
    reason: str = "done"


class _PrintLoop:
    """One run of :func:`print_events`: its deadlines, and one method per thing it does."""

    def __init__(
        self,
        client: StreamClient,
        printer: Printer,
        seconds: Optional[float],
        count: Optional[int],
        every_second: Optional[Callable[[], None]],
        observe: Optional[Callable[[Event], None]],
        hint: Optional[str],
        hint_after: float,
    ) -> None:
        self.client = client
        self.printer = printer
        self.seconds = seconds
        self.count = count
        self.every_second = every_second
        self.observe = observe
        self.hint = hint
        self.started = time.monotonic()
        self.deadline = None if seconds is None else self.started + seconds
        self.next_tick = self.started + 1.0
        self.hint_at: Optional[float] = self.started + hint_after if hint else None

    def run(self) -> Run:
        result = Run()
        try:
            result.reason = self._loop()
            self.printer.out.flush()
        except KeyboardInterrupt:
            result.reason = "interrupted"
        result.printed = self.printer.count
        result.seconds = time.monotonic() - self.started
        return result

    def _loop(self) -> str:
        """Print until a reason to stop; return the reason."""
        while self.count is None or self.printer.count < self.count:
            now = time.monotonic()
            if self.deadline is not None and now >= self.deadline:
                return f"--seconds {self.seconds:g} reached" if self.seconds else "done"
            self._on_time(now)
            wait = _WAIT_SLICE if self.deadline is None else min(_WAIT_SLICE, self.deadline - now)
            try:
                event = self.client.get(timeout=max(wait, 0.0))
            except queue.Empty:
                self.printer.out.flush()
                continue
            except BinanceOptionsWSError:  # ClientClosedError: closed from elsewhere
                return "the client closed"
            self._show(event)
        return f"--count {self.count} reached"

    def _on_time(self, now: float) -> None:
        """The once-a-second callback, and the hint when nothing came for a while."""
        if self.every_second is not None and now >= self.next_tick:
            self.next_tick += 1.0
            self.every_second()
        if self.hint_at is not None and now >= self.hint_at:
            self.hint_at = None
            if self.printer.count == 0:
                print(self.hint, file=sys.stderr)

    def _show(self, event: Event) -> None:
        if self.observe is not None:
            self.observe(event)
        self.printer.event(event)
        if self.client.queue.empty():
            self.printer.out.flush()


def print_events(
    client: StreamClient,
    printer: Printer,
    *,
    seconds: Optional[float],
    count: Optional[int],
    every_second: Optional[Callable[[], None]] = None,
    observe: Optional[Callable[[Event], None]] = None,
    hint: Optional[str] = None,
    hint_after: float = NO_EVENT_HINT_AFTER,
) -> Run:
    """Print queued events until ``seconds`` pass, ``count`` are printed or Ctrl+C.

    Output is flushed whenever the client's queue runs dry, so a pipe sees events
    as they come without a flush per line when they come fast.

    Args:
        client: The client whose queue to read.
        printer: Where the events go.
        seconds: Stop after this many seconds (None: no limit).
        count: Stop after this many events (None: no limit).
        every_second: Called about once a second, between events.
        observe: Called with each event before it is printed.
        hint: Printed to stderr if no event came within ``hint_after`` seconds.
        hint_after: See ``hint``.

    Returns:
        How the loop ended; Ctrl+C ends it with the reason ``"interrupted"``.
    """
    loop = _PrintLoop(client, printer, seconds, count, every_second, observe, hint, hint_after)
    return loop.run()


def summary(run: Run, client: StreamClient, what: str = "stopped") -> str:
    """The one line that ends a command: how long, why, and the client's counters.

    Example:
        ``stopped after 3.0 s (--count 6 reached): 6 events, 0 reconnects, 0 dropped``
    """
    stats = client.stats
    return (
        f"{what} after {run.seconds:.1f} s ({run.reason}): {run.printed} events, "
        f"{stats.reconnects} reconnects, {stats.dropped_events} dropped"
    )


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Ctrl+C and SIGTERM stop the command once, cleanly, while the block runs.

    The first raises :class:`KeyboardInterrupt` (a clean stop with a summary); any
    that follow it are ignored, so that a second Ctrl+C while the client closes
    (within a second) prints no traceback.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in _STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def library_logging(verbose: bool) -> Iterator[None]:
    """Show the library's log (reconnects, drops) on stderr with a time stamp.

    Args:
        verbose: Show connections and subscriptions too (INFO), not only warnings.
    """
    logger = logging.getLogger("binance_options_ws")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
