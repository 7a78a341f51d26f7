"""The optional accelerator: msgspec, used by itself when it is installed.

``pip install 'binance-options-ws[speedups]'`` adds `msgspec
<https://jcristharif.com/msgspec/>`_, whose JSON decoder, written in C, can read a
message straight into typed fields, numeric strings included. Two things use it:

* :func:`json_decoder`, a plain JSON decoder that :func:`binance_options_ws._parse.loads`
  tries first;
* :func:`envelope_decoder`, which reads a combined-stream envelope whose payload is
  one of a few event types straight into a tuple of wire values, with no dict and no
  ``float()`` call in Python (see :func:`binance_options_ws._parse.frame_parser`).

Neither decides anything: whatever they refuse goes to the pure-Python code, which
stays the reference, and what they accept reads as that code reads it (the
differential test, ``tests/test_speedups.py``, holds them to it). Without msgspec
both are None and nothing changes but the speed.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import importlib
import sys
from typing import (
    Annotated,
    Any,
    Callable,
    Dict,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    Union,
    get_args,
    get_origin,
)

# The optional extra, imported by name: typed Any, so that the type check is the same
# with and without it installed.
msgspec: Any
try:
    msgspec = importlib.import_module("msgspec")
except ImportError:  # pragma: no cover - exercised by the runs without the extra
    msgspec = None

__all__ = ["AVAILABLE", "DECODE_ERRORS", "EnvelopeDecoder", "envelope_decoder", "json_decoder"]

#: True when msgspec is importable, so that the decoders below exist.
AVAILABLE = msgspec is not None

#: What the decoders raise on input they do not read (the caller then uses the
#: pure-Python code); a tuple, for an ``except`` clause.
#: (Older msgspec versions raise UnicodeDecodeError, a ValueError, for bytes that
#: are not UTF-8; the pure-Python code then says where, as it always does.)
DECODE_ERRORS: Tuple[Type[BaseException], ...] = (
    (msgspec.DecodeError, ValueError, OverflowError, RecursionError) if msgspec is not None else ()
)

#: One wire field of a typed payload: its key and its type (``float``, ``int``,
#: ``str`` or a tuple type built of them, such as ``Tuple[Tuple[float, float], ...]``).
#: A ``float`` is a finite one: ``"NaN"`` or ``"inf"`` is refused, as the readers
#: of :mod:`binance_options_ws._wire` refuse them. A third item, a default, makes the
#: field optional (such fields come last).
Field = Tuple[Any, ...]
#: Decodes one enveloped message into ``(stream, event type, the payload's values)``,
#: the values in the order of the event type's fields; raises one of DECODE_ERRORS
#: on anything else (another shape, another event type, a value of another type).
EnvelopeDecoder = Callable[[bytes], Tuple[str, str, Tuple[Any, ...]]]


def json_decoder() -> Optional[Callable[[Union[str, bytes]], Any]]:
    """msgspec's untyped JSON decoder, or None without msgspec.

    It gives what ``json.loads`` gives wherever it accepts the text (UTF-8 only,
    no ``NaN`` literal, no lone surrogate, no number beyond a float's range: those
    raise a DECODE_ERRORS error).
    """
    if msgspec is None:
        return None
    decode: Callable[[Union[str, bytes]], Any] = msgspec.json.Decoder().decode
    return decode


def _finite(kind: Any) -> Any:
    """``kind`` with every ``float`` in it constrained to finite values."""
    if kind is float:
        return Annotated[float, msgspec.Meta(ge=-sys.float_info.max, le=sys.float_info.max)]
    if get_origin(kind) is tuple:
        return Tuple[tuple(arg if arg is Ellipsis else _finite(arg) for arg in get_args(kind))]
    return kind


def envelope_decoder(payloads: Mapping[str, Sequence[Field]]) -> Optional[EnvelopeDecoder]:
    """A decoder of ``{"stream": ..., "data": {"e": TYPE, ...}}`` for the given types.

    Args:
        payloads: For each event type (the ``e`` key), its fields in the order the
            values are wanted. Numbers may come as JSON numbers or numeric strings
            (msgspec's ``strict=False``); a field is required unless it has a
            default, and keys not listed are ignored.

    Returns:
        The decoder, or None without msgspec or without payloads.
    """
    if msgspec is None or not payloads:
        return None
    structs: Dict[Any, str] = {}
    for event_type, fields in payloads.items():
        name = "".join(part for part in event_type.title() if part.isalnum()) + "Payload"
        struct = msgspec.defstruct(
            name, [(f[0], _finite(f[1]), *f[2:]) for f in fields], tag_field="e", tag=event_type
        )
        structs[struct] = event_type
    data_type: Any = Union[tuple(structs)] if len(structs) > 1 else next(iter(structs))
    envelope = msgspec.defstruct("Envelope", [("stream", str), ("data", data_type)])
    decode = msgspec.json.Decoder(envelope, strict=False).decode
    astuple = msgspec.structs.astuple

    def decode_envelope(message: bytes) -> Tuple[str, str, Tuple[Any, ...]]:
        envelope: Any = decode(message)  # msgspec.ValidationError is a DecodeError
        data = envelope.data
        return envelope.stream, structs[data.__class__], astuple(data)

    return decode_envelope
