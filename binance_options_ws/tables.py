"""Events as tables: a pandas DataFrame in one call, a recording as Parquet files.

:func:`to_frame` turns any events (a list, ``client.events(...)``, a replay) into a
pandas DataFrame: one row per event, one column per field, and a ``time`` column
of UTC datetimes read from ``event_time``. :func:`recording_to_parquet` (the
``binance-options-ws convert`` command) writes a recording as one Parquet file per
event type, which pandas, Polars, DuckDB and Spark read directly.

Both need optional libraries: pandas for :func:`to_frame`
(``pip install "binance-options-ws[pandas]"``), pyarrow for Parquet
(``pip install "binance-options-ws[parquet]"``). Without them they raise
:class:`MissingExtraError`, an ``ImportError`` that names the extra.

Example:
    >>> from binance_options_ws import to_frame
    >>> frame = to_frame(client.events(timeout=10))   # doctest: +SKIP
    >>> frame[["time", "symbol", "mark_price"]]        # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import typing
from typing import Any, Dict, Iterable, List, Sequence, Type

import attrs

from ._extras import MissingExtraError, import_pandas, import_pyarrow
from .endpoints import get_endpoint
from .exceptions import InvalidArgumentError, MessageParseError
from .models import UnknownEvent
from .recording import PathLike, read_recording

__all__ = ["MissingExtraError", "TIME_COLUMN", "recording_to_parquet", "to_frame"]

#: The name of the datetime column made from ``event_time``.
TIME_COLUMN = "time"
# Rows written to a Parquet file at once.
_CHUNK = 50_000


def _row(event: Any) -> Dict[str, Any]:
    """An event's fields, by name (not recursing: tuples of book levels stay tuples)."""
    return attrs.asdict(event, recurse=False)


def to_frame(events: Iterable[Any]) -> Any:
    """A pandas DataFrame of events: a row each, a column per field, and a ``time`` column.

    ``time`` holds ``event_time`` as UTC datetimes (``NaT`` where an event has
    none) and comes first. Events of several types give the union of their
    columns, with an ``event_type`` column (the class name) after ``time``;
    missing fields are empty. Book levels (``bids``, ``asks``) stay tuples of
    ``(price, quantity)``.

    Args:
        events: Any iterable of events (a list, ``client.events(timeout=...)``,
            ``chain.rows()`` ...). It is read to the end.

    Returns:
        A ``pandas.DataFrame`` (empty, with only ``time``, for no events).

    Raises:
        MissingExtraError: If pandas is not installed (an ``ImportError``).
        InvalidArgumentError: If an item is not an event.

    Example:
        >>> frame = to_frame(client.events(timeout=10))   # doctest: +SKIP
        >>> frame.set_index("time")["price"].plot()       # doctest: +SKIP
    """
    pandas = import_pandas("to_frame")
    rows: List[Dict[str, Any]] = []
    names: List[str] = []
    types: Dict[Type[Any], None] = {}
    for event in events:
        kind = type(event)
        if not attrs.has(kind):
            raise InvalidArgumentError(
                f"to_frame takes events (IndexPrice, Ticker, ...), got {event!r}"
            )
        types[kind] = None
        names.append(kind.__name__)
        rows.append(_row(event))
    columns: Dict[str, None] = {}
    for kind in types:
        columns.update((field.name, None) for field in attrs.fields(kind))
    frame = pandas.DataFrame(rows, columns=list(columns))
    if len(types) > 1:
        frame.insert(0, "event_type", names)
    times = frame["event_time"] if "event_time" in frame else pandas.Series([], dtype="float64")
    frame.insert(0, TIME_COLUMN, pandas.to_datetime(times, unit="ms", utc=True, errors="coerce"))
    return frame


# --------------------------------------------------------------------------- Parquet


def _arrow_type(pyarrow: Any, hint: Any) -> Any:
    """The Arrow type of one event field, from its annotation (Optional or not)."""
    if typing.get_origin(hint) is typing.Union:
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(args) == 1:
            hint = args[0]
    simple = {
        float: pyarrow.float64(),
        int: pyarrow.int64(),
        str: pyarrow.string(),
        bool: pyarrow.bool_(),
    }
    if hint in simple:
        return simple[hint]
    if typing.get_origin(hint) in (tuple, Sequence, list):
        return pyarrow.list_(pyarrow.list_(pyarrow.float64()))  # book levels
    return pyarrow.string()  # anything else (UnknownEvent.data) as JSON text


def _schema(pyarrow: Any, kind: Type[Any]) -> Any:
    hints = typing.get_type_hints(kind)
    fields = [pyarrow.field(TIME_COLUMN, pyarrow.timestamp("ms", tz="UTC"))]
    fields += [
        pyarrow.field(f.name, _arrow_type(pyarrow, hints[f.name])) for f in attrs.fields(kind)
    ]
    return pyarrow.schema(fields)


class _TableWriter:
    """Collects one event type's rows and writes them to its Parquet file in chunks."""

    def __init__(self, pyarrow: Any, kind: Type[Any], path: str) -> None:
        self._pyarrow = pyarrow
        self.schema = _schema(pyarrow, kind)
        self._json = kind is UnknownEvent
        self._writer = pyarrow.parquet.ParquetWriter(path, self.schema)
        self._rows: List[Dict[str, Any]] = []
        self.path = path
        self.rows = 0

    def add(self, event: Any) -> None:
        row = _row(event)
        row[TIME_COLUMN] = row.get("event_time")
        if self._json:
            row["data"] = json.dumps(row["data"])
        for key in ("bids", "asks"):
            if key in row:
                row[key] = [list(level) for level in row[key]]
        self._rows.append(row)
        if len(self._rows) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            table = self._pyarrow.Table.from_pylist(self._rows, schema=self.schema)
            self._writer.write_table(table)
            self.rows += len(self._rows)
            self._rows = []

    def close(self) -> None:
        self.flush()
        self._writer.close()


def recording_to_parquet(recording: PathLike, out: PathLike) -> Dict[str, str]:
    """Write a recording's events as Parquet: a directory with one file per event type.

    Each file is named after its event type (``Ticker.parquet``,
    ``IndexPrice.parquet``, ...) and has the event's fields as columns, with
    ``time`` (UTC, from ``event_time``) first; book levels are lists of
    ``[price, quantity]``. Frames are parsed as the client parses them.

    Args:
        recording: A recording's directory or file (``StreamClient(record_to=...)``).
        out: The directory to write (created; files of the same names are replaced).

    Returns:
        The path of each file written, by event type name.

    Raises:
        MissingExtraError: If pyarrow is not installed.
        FileNotFoundError: If there is no recording at ``recording``.
        RecordingDamagedError: If the recording is damaged; the events before the
            damage are written first.

    Example:
        >>> recording_to_parquet("recordings/", "market.parquet")   # doctest: +SKIP
        {'IndexPrice': 'market.parquet/IndexPrice.parquet', ...}
    """
    pyarrow = import_pyarrow("writing Parquet")
    directory = os.fspath(out)
    os.makedirs(directory, exist_ok=True)
    writers: Dict[Type[Any], _TableWriter] = {}
    parsers: Dict[str, Any] = {}
    try:
        for frame in read_recording(recording):
            parse = parsers.get(frame.endpoint)
            if parse is None:
                parse = parsers[frame.endpoint] = get_endpoint(frame.endpoint).frame_parser()
            try:
                events: List[Any] = parse(frame.frame)
            except MessageParseError:
                continue  # a frame the client could not parse either
            for event in events:
                kind = type(event)
                writer = writers.get(kind)
                if writer is None:
                    path = os.path.join(directory, f"{kind.__name__}.parquet")
                    writer = writers[kind] = _TableWriter(pyarrow, kind, path)
                writer.add(event)
    finally:
        for writer in writers.values():
            writer.close()
    return {kind.__name__: writer.path for kind, writer in writers.items()}
