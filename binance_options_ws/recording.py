"""Recordings: every frame a client received, kept on disk to be played back later.

``StreamClient(record_to="some/dir")`` writes each frame it delivers, as it
arrived, with the time it arrived, the connection and the stream, to gzip files
of JSON lines in that directory; :func:`binance_options_ws.replay` plays them
back through the same parser and the same subscribe methods, and
:func:`read_recording` reads them frame by frame.

The format (version 1) is open and meant to be read by anything that reads
gzip and JSON:

* A recording is one or more files named
  ``<endpoint>-<YYYYmmddTHHMMSS>Z-<n>.jsonl.gz`` (the UTC time the file was
  opened); sorted by name, the files of a directory are in recorded order.
* Each file is one gzip stream of UTF-8 lines. The first is a header::

    {"format": "binance-options-ws recording", "version": 1, "library": "0.1.0",
     "endpoint": "nbstream", "url": "wss://nbstream.binance.com/eoptions",
     "created": 1764691200.25}

* Every other line is one frame::

    {"t":1764691200.251234,"conn":1,"stream":"BTCUSDT@index","raw":{"stream":...}}

  ``t`` is the receive time (seconds since the epoch, UTC), ``conn`` the
  client's connection number, ``stream`` the stream of its events, and ``raw``
  the frame exactly as received (the exchange's JSON, byte for byte, last on the
  line). A frame containing a line break is kept as a JSON string in ``"text"``
  instead of ``"raw"``.

A file is rotated (closed, and a new one opened) when it passes
``max_file_bytes`` compressed bytes, and at each full hour (UTC). Frames are
written by a thread of the recorder, never by the thread that reads the socket,
and flushed to disk every half second: a recording cut short (a crash, a power
loss) keeps everything up to its last flush, and :func:`read_recording` reads
it up to the damage. ``close()`` (and Ctrl+C in ``run_forever``/``events``, and
the end of the interpreter) writes everything received and ends each file
properly. Frames are recorded after deduplication: a frame that a rollover
brought on two connections is recorded once, as it is delivered once.

Example:
    >>> from binance_options_ws.recording import read_recording
    >>> for frame in read_recording("recordings/"):   # doctest: +SKIP
    ...     print(frame.time, frame.stream, len(frame.frame))
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import datetime as _dt
import gzip
import io
import json
import logging
import os
import shutil
import threading
import time
import weakref
import zlib
from typing import Any, BinaryIO, Callable, Deque, Dict, Iterator, List, Optional, Tuple, Union

import attrs

from ._version import __version__
from .exceptions import InvalidArgumentError, RecordingDamagedError, RecordingError
from .format import format_count

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "PathLike",
    "PLAIN_SUFFIX",
    "RecordedFrame",
    "Recorder",
    "RecordingOptions",
    "RecordingDamagedError",
    "RecordingError",
    "read_header",
    "read_recording",
    "recording_files",
]

_log = logging.getLogger("binance_options_ws")

#: The ``format`` of a recording's header line.
FORMAT_NAME = "binance-options-ws recording"
#: The version of the format this library writes and reads.
FORMAT_VERSION = 1
#: The suffix of a recording's files (gzip-compressed JSON lines).
SUFFIX = ".jsonl.gz"
#: The suffix of an uncompressed recording's files (``RecordingOptions(compress=False)``).
PLAIN_SUFFIX = ".jsonl"
#: Seconds between two writes (and flushes) of what the readers handed over.
FLUSH_INTERVAL = 0.1
#: The default size (compressed bytes) past which a file is rotated.
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024
#: Free bytes a recording's directory must have to start.
MIN_FREE_BYTES = 16 * 1024 * 1024
# Frames waiting for the writer beyond which new ones are dropped (and counted): about
# 70 MB of frames, a minute of the whole options market.
_MAX_PENDING = 100_000
_RAW = b',"raw":'
# One frame's line, for a batch formatted at once: the time, the prefix, the frame.
_LINE = b'{"t":%.6f%b%b}\n'
_TEXT = b',"text":'

#: A file or directory path: a ``str`` or a ``pathlib.Path``.
PathLike = Union[str, "os.PathLike[str]"]


@attrs.frozen
class RecordingOptions:
    """Where and how a client records: give it to ``StreamClient(record_to=...)``.

    ``record_to="dir"`` is ``record_to=RecordingOptions("dir")``.

    Attributes:
        directory: Where to write (created if missing).
        compress: gzip the files (``.jsonl.gz``, about a third of the size); False
            writes plain ``.jsonl``, which costs the client less CPU (see the README).
        max_file_bytes: Begin a new file past this many bytes on disk.

    Example:
        >>> RecordingOptions("recordings", compress=False).compress
        False
    """

    directory: PathLike
    compress: bool = True
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES


@attrs.frozen
class RecordedFrame:
    """One frame of a recording.

    Attributes:
        time: When it was received (seconds since the epoch, UTC).
        connection: The number of the client's connection it arrived on.
        stream: The stream of its events (None if they had none).
        frame: The frame exactly as received: the exchange's JSON, as bytes.
        endpoint: The endpoint of the client that recorded it (``"nbstream"``...).
        path: The file it was read from.
        line: Its line in that file.
    """

    time: float
    connection: int
    stream: Optional[str]
    frame: bytes
    endpoint: str
    path: str = attrs.field(eq=False)
    line: int = attrs.field(eq=False)


def recording_files(path: PathLike) -> List[str]:
    """The files of a recording: ``path`` itself, or a directory's files in recorded order.

    Args:
        path: A recording's file, or the directory a client recorded to.

    Returns:
        The file paths, oldest first.

    Raises:
        FileNotFoundError: If ``path`` does not exist, or the directory holds no
            recording.

    Example:
        >>> recording_files("recordings/")   # doctest: +SKIP
        ['recordings/nbstream-20261202T160000Z-0001.jsonl.gz']
    """
    text = os.fspath(path)
    if os.path.isdir(text):
        names = sorted(n for n in os.listdir(text) if n.endswith((SUFFIX, PLAIN_SUFFIX)))
        if not names:
            raise FileNotFoundError(f"no recording (*{SUFFIX} or *{PLAIN_SUFFIX} files) in {text}")
        return [os.path.join(text, name) for name in names]
    if not os.path.exists(text):
        raise FileNotFoundError(f"no recording at {text}")
    return [text]


def read_header(path: PathLike) -> Dict[str, Any]:
    """The header line of a recording's first file: format, version, library, endpoint, url.

    Args:
        path: A recording's file or directory.

    Raises:
        FileNotFoundError: If there is no recording at ``path``.
        RecordingDamagedError: If the first line is not a header this library reads.

    Example:
        >>> read_header("recordings/")["endpoint"]   # doctest: +SKIP
        'nbstream'
    """
    name = recording_files(path)[0]
    try:
        with _open_for_reading(name) as lines:
            line = lines.readline()
    except (EOFError, OSError, zlib.error) as exc:
        raise RecordingDamagedError(name, 1, 0, f"{type(exc).__name__}: {exc}") from exc
    _header(name, line, 0)
    header: Dict[str, Any] = json.loads(line)
    return header


def read_recording(path: PathLike) -> Iterator[RecordedFrame]:
    """Every frame of a recording (a file, or a directory of them), in recorded order.

    Reads lazily, one line at a time. A damaged recording yields every frame
    before the damage, then raises.

    Args:
        path: A recording's file or directory.

    Yields:
        :class:`RecordedFrame` objects.

    Raises:
        FileNotFoundError: If there is no recording at ``path``.
        RecordingDamagedError: At the first line that cannot be read (cut mid-line,
            a bad gzip tail, an unknown format version), after the frames before it.

    Example:
        >>> frames = list(read_recording("recordings/"))   # doctest: +SKIP
    """
    count = 0
    for name in recording_files(path):
        for frame in _read_file(name, count):
            count += 1
            yield frame


def _open_for_reading(path: str) -> BinaryIO:
    """A recording's file, decompressed on the fly if it is gzip."""
    if path.endswith(PLAIN_SUFFIX):
        return open(path, "rb")
    return gzip.open(path, "rb")  # type: ignore[return-value]


def _read_file(path: str, before: int) -> Iterator[RecordedFrame]:
    number = 0
    endpoint = ""
    read = before
    try:
        with _open_for_reading(path) as lines:
            for number, line in enumerate(lines, 1):
                if number == 1:
                    endpoint = _header(path, line, before)
                    continue
                frame = _frame(path, number, line, endpoint)
                if frame is None:
                    raise RecordingDamagedError(path, number, read, "a cut or garbled line")
                read += 1
                yield frame
    except (EOFError, OSError, zlib.error) as exc:
        raise RecordingDamagedError(path, number + 1, read, f"{type(exc).__name__}: {exc}") from exc
    if number == 0:
        raise RecordingDamagedError(path, 1, read, "no header line")


def _header(path: str, line: bytes, before: int) -> str:
    try:
        header = json.loads(line)
        name, version, endpoint = header["format"], header["version"], header["endpoint"]
    except (ValueError, TypeError, KeyError) as exc:
        raise RecordingDamagedError(path, 1, before, f"not a recording header: {exc}") from None
    if name != FORMAT_NAME or version != FORMAT_VERSION or not isinstance(endpoint, str):
        raise RecordingDamagedError(
            path,
            1,
            before,
            f"format {name!r} version {version!r}: this library reads "
            f"{FORMAT_NAME!r} version {FORMAT_VERSION}",
        )
    return endpoint


def _frame(path: str, number: int, line: bytes, endpoint: str) -> Optional[RecordedFrame]:
    """The frame on one line, or None if the line is cut or garbled."""
    if not line.endswith(b"}\n"):
        return None
    cut = line.find(_RAW)
    text = cut < 0
    if text:
        cut = line.find(_TEXT)
        if cut < 0:
            return None
    try:
        head = json.loads(line[:cut] + b"}")
        moment, conn, stream = float(head["t"]), int(head["conn"]), head["stream"]
        body = line[cut + len(_TEXT if text else _RAW) : -2]
        frame = json.loads(body).encode() if text else body
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if not frame or (stream is not None and not isinstance(stream, str)):
        return None
    return RecordedFrame(moment, conn, stream, frame, endpoint, path, number)


# --------------------------------------------------------------------------- writing


_Pending = Tuple[float, int, bytes, Optional[str]]
_live_recorders: weakref.WeakSet[Recorder] = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    """Finish the files of recorders still open when the interpreter ends."""
    for recorder in list(_live_recorders):
        recorder.close(1.0)


class Recorder:
    """Writes the frames a client hands it to a recording directory, on its own thread.

    ``StreamClient(record_to=...)`` makes one; you rarely need to. :meth:`add`
    only appends to a list (it runs on the reader thread); the recorder's thread
    writes and flushes every half second, and :meth:`close`
    writes what is left and ends the file.

    Args:
        where: The directory to write to (created if missing), or
            :class:`RecordingOptions` (the directory, compression, file size).
        endpoint: The client's endpoint name, for the header and the file names.
        url: The client's base URL, for the header.
        name: The prefix of the thread's name.
        on_error: Called (on the recorder's thread) with a :class:`RecordingError`
            if writing fails later (the recording stops; the stream goes on).
        clock: The receive time of each frame, in seconds since the epoch
            (:func:`time.time`; a test passes its own to cross an hour).

    Raises:
        RecordingError: If the directory cannot be created or written, or has less
            than 16 MiB free.
        InvalidArgumentError: For options of the wrong kind.

    Example:
        >>> recorder = Recorder("rec", endpoint="nbstream", url="wss://x")  # doctest: +SKIP
        >>> recorder.close(1.0)   # doctest: +SKIP
    """

    def __init__(
        self,
        where: Union[PathLike, RecordingOptions],
        *,
        endpoint: str,
        url: str,
        name: str = "binance-options-ws",
        on_error: Optional[Callable[[BaseException], Any]] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        options = where if isinstance(where, RecordingOptions) else RecordingOptions(where)
        if not isinstance(options.directory, (str, os.PathLike)):
            raise InvalidArgumentError(
                f"record_to must be a directory (a str or a pathlib.Path) or RecordingOptions, "
                f"got {options.directory!r}"
            )
        size = options.max_file_bytes
        if isinstance(size, bool) or not isinstance(size, int) or size < 1024:
            raise InvalidArgumentError(
                f"max_file_bytes must be a whole number of bytes, at least 1024, got {size!r}"
            )
        if not isinstance(options.compress, bool):
            raise InvalidArgumentError(f"compress must be True or False, got {options.compress!r}")
        self.directory: str = os.fspath(options.directory)
        #: Whether the files are gzip-compressed.
        self.compress: bool = options.compress
        self.endpoint = endpoint
        self.url = url
        self._max_file_bytes = size
        self._clock = clock
        self._on_error = on_error
        self._pending: Deque[_Pending] = collections.deque()
        self._prefixes: Dict[Tuple[int, Optional[str]], bytes] = {}
        self._stop = threading.Event()
        # Guards _file, _raw, files and the counters; held while taking frames from
        # _pending and writing them (the readers append to _pending without it).
        self._lock = threading.Lock()
        self._file: Optional[io.BufferedIOBase] = None  # the gzip stream, or the file itself
        self._raw: Optional[io.BufferedIOBase] = None
        self._hour = -1
        self._rotate = threading.Event()
        self._sequence = 0
        #: Every file written so far, oldest first.
        self.files: List[str] = []
        #: Frames written.
        self.frames: int = 0
        #: Frames lost: too many waiting, or after a write failed.
        self.dropped: int = 0
        #: The error that stopped the recording, if one did.
        self.error: Optional[RecordingError] = None
        try:
            os.makedirs(self.directory, exist_ok=True)
            free = shutil.disk_usage(self.directory).free
        except OSError as exc:
            raise RecordingError(f"cannot record to {self.directory!r}: {exc}") from exc
        if free < MIN_FREE_BYTES:
            raise RecordingError(
                f"cannot record to {self.directory!r}: only {free} bytes free "
                f"(at least {MIN_FREE_BYTES} needed)"
            )
        with self._lock:
            self._open(self._clock())
        self._thread = threading.Thread(target=self._run, name=f"{name}-recorder", daemon=True)
        self._thread.start()
        _live_recorders.add(self)

    def __repr__(self) -> str:
        frames, files = format_count(self.frames, "frame"), format_count(len(self.files), "file")
        return f"<Recorder {self.directory} {frames} in {files}>"

    @property
    def thread(self) -> threading.Thread:
        """The thread that writes."""
        return self._thread

    # ------------------------------------------------------------ the reader's side

    def add(self, connection: int, frame: bytes, messages: List[Any]) -> None:
        """Keep one frame (on the reader thread: appends and returns).

        Args:
            connection: The number of the connection it arrived on.
            frame: The frame as received.
            messages: The events it parsed to (their stream is recorded).
        """
        pending = self._pending
        if len(pending) >= _MAX_PENDING or self.error is not None:
            self.dropped += 1
            return
        stream = messages[0].stream if messages else None
        pending.append((self._clock(), connection, frame, stream))

    # ------------------------------------------------------------ the writer's side

    def _open(self, now: float) -> None:
        """Open the next file and write its header (``_lock`` held)."""
        moment = _dt.datetime.fromtimestamp(now, _dt.timezone.utc)
        while True:
            self._sequence += 1
            stamp = moment.strftime("%Y%m%dT%H%M%S")
            suffix = SUFFIX if self.compress else PLAIN_SUFFIX
            path = os.path.join(
                self.directory, f"{self.endpoint}-{stamp}Z-{self._sequence:04d}{suffix}"
            )
            try:
                raw = open(path, "xb")  # noqa: SIM115 (closed in _close_file)
            except FileExistsError:
                continue
            except OSError as exc:
                raise RecordingError(f"cannot record to {path!r}: {exc}") from exc
            break
        gz: io.BufferedIOBase = raw
        if self.compress:
            gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0)
        header = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "library": __version__,
            "endpoint": self.endpoint,
            "url": self.url,
            "created": round(now, 6),
        }
        try:
            gz.write(json.dumps(header).encode() + b"\n")
            gz.flush()
        except OSError as exc:
            raise RecordingError(f"cannot record to {path!r}: {exc}") from exc
        self._file, self._raw = gz, raw
        self._hour = int(now // 3600)
        self.files.append(path)

    def _close_file(self) -> None:
        """End the current file (``_lock`` held)."""
        gz, raw = self._file, self._raw
        self._file = self._raw = None
        try:
            if gz is not None and gz is not raw:
                gz.close()
        finally:
            if raw is not None:
                raw.close()

    def _prefix(self, conn: int, stream: Optional[str]) -> bytes:
        """The middle of a frame's line: ``,"conn":1,"stream":"...","raw":`` (cached)."""
        key = (conn, stream)
        prefix = self._prefixes.get(key)
        if prefix is None:
            prefix = b',"conn":%d,"stream":%b,"raw":' % (conn, json.dumps(stream).encode())
            if len(self._prefixes) < 10_000:
                self._prefixes[key] = prefix
        return prefix

    def _lines(self, batch: List[_Pending]) -> bytes:
        """The lines of ``batch``, joined.

        The whole batch is formatted by one ``%`` (one pass in C, one copy of each
        frame); a frame with a line break in it, which would cut its line, sends the
        batch through :meth:`_lines_one_by_one` instead.
        """
        prefixes = self._prefixes
        args: List[Any] = []
        for moment, conn, frame, stream in batch:
            prefix = prefixes.get((conn, stream))
            if prefix is None:
                prefix = self._prefix(conn, stream)
            args += (moment, prefix, frame)
        data: bytes = (_LINE * len(batch)) % tuple(args)
        if data.count(b"\n") != len(batch) or b"\r" in data:
            return self._lines_one_by_one(batch)
        return data

    def _lines_one_by_one(self, batch: List[_Pending]) -> bytes:
        """The lines of ``batch``, a frame with a line break kept as a JSON string."""
        parts: List[bytes] = []
        for moment, conn, frame, stream in batch:
            prefix = self._prefix(conn, stream)
            if b"\n" in frame or b"\r" in frame:
                frame = json.dumps(frame.decode("utf-8", "replace")).encode()
                prefix = prefix[: -len(_RAW)] + _TEXT
            parts += (b'{"t":', b"%.6f" % moment, prefix, frame, b"}\n")
        return b"".join(parts)

    def _write_pending(self) -> None:
        """Write and flush what the readers handed over, rotating as needed.

        Taking the frames and writing them is one step under ``_lock``, so that
        ``close()`` on another thread cannot write later frames before earlier ones.
        """
        with self._lock:
            pending = self._pending
            batch: List[_Pending] = []
            pop = pending.popleft
            while pending:
                batch.append(pop())
            if self.error is not None or self._file is None:
                self.dropped += len(batch)
                return
            try:
                if self._rotate.is_set():
                    self._rotate.clear()
                    self._close_file()
                    self._open(self._clock())
                if batch:
                    data = self._lines(batch)
                    if int(batch[0][0] // 3600) != self._hour:
                        self._close_file()
                        self._open(batch[0][0])
                    assert self._file is not None
                    self._file.write(data)
                    self._file.flush()
                    self.frames += len(batch)
                    if self._raw is not None and self._raw.tell() >= self._max_file_bytes:
                        self._close_file()
                        self._open(self._clock())
            except (OSError, RecordingError) as exc:
                self._fail(exc, len(batch))

    def _fail(self, exc: BaseException, lost: int) -> None:
        """Stop recording after a write failed (``_lock`` held); the stream goes on."""
        error = (
            exc
            if isinstance(exc, RecordingError)
            else RecordingError(f"recording to {self.directory!r} stopped: {exc}")
        )
        self.error = error
        self.dropped += lost
        _log.error("%s (the stream goes on without recording)", error)
        with contextlib.suppress(OSError):
            self._close_file()
        if self._on_error is not None:
            try:
                self._on_error(error)
            except BaseException:
                _log.exception("the on_error callback raised")

    def _run(self) -> None:
        reported = 0
        while not self._stop.wait(FLUSH_INTERVAL):
            self._write_pending()
            dropped = self.dropped
            if dropped != reported and self.error is None:
                _log.error(
                    "recording to %s fell behind: %d frames not recorded so far "
                    "(the machine has no CPU or disk to spare)",
                    self.directory,
                    dropped,
                )
                reported = dropped

    def rotate(self) -> None:
        """End the current file and go on in a new one, at the next write (within 0.1 s).

        Example:
            >>> client.recorder.rotate()   # doctest: +SKIP
        """
        self._rotate.set()

    def flush(self) -> None:
        """Write and flush everything handed over so far, now (on the calling thread).

        Example:
            >>> recorder.flush()   # doctest: +SKIP
        """
        self._write_pending()

    def close(self, timeout: Optional[float] = 1.0) -> bool:
        """Write what is left, end the file and stop the thread. Safe to call twice.

        Args:
            timeout: Seconds to wait for the thread.

        Returns:
            True if the thread has ended.

        Example:
            >>> recorder.close(1.0)   # doctest: +SKIP
        """
        self._stop.set()
        _live_recorders.discard(self)
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._write_pending()
        with self._lock:
            try:
                self._close_file()
            except OSError as exc:
                if self.error is None:
                    self._fail(exc, 0)
        return not self._thread.is_alive()
