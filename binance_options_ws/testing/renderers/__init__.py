"""One renderer per endpoint dialect, looked up by the dialect itself.

A renderer writes the synthetic market's state as one dialect's wire payloads
(:class:`Renderer`). This module is
the one mapping from dialect to renderer: the built-in
:class:`NbstreamRenderer` and
:class:`FstreamRenderer`, and any
that :func:`register_renderer` adds. A dialect without a renderer gets no
synthetic data; ``FakeExchange.publish`` still reaches its connections.

Example:
    >>> from binance_options_ws.dialects import fstream
    >>> renderer_for(fstream.DIALECT).__name__
    'FstreamRenderer'

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

from ...dialects import Dialect
from ...dialects.fstream import DIALECT as _FSTREAM
from ...dialects.nbstream import DIALECT as _NBSTREAM
from . import _base
from ._base import MalformedSamples, Plan, QuoteTexts, QuoteValues, Renderer
from ._fstream import FstreamRenderer
from ._nbstream import NbstreamRenderer

__all__ = [
    "STREAM_PERIODS_MS",
    "FstreamRenderer",
    "MalformedSamples",
    "NbstreamRenderer",
    "Payload",
    "Plan",
    "QuoteTexts",
    "QuoteValues",
    "Render",
    "Renderer",
    "malformed_samples",
    "register_renderer",
    "renderer_for",
    "unregister_renderer",
]

#: Documented update period of each periodic stream kind, in milliseconds at ``speed=1``.
STREAM_PERIODS_MS = _base.STREAM_PERIODS_MS
#: One stream's payload, ready for JSON: an object, or a list for array streams.
Payload = _base.Payload
#: A render method: the plan of a subscribed stream and the time (ms) in, payloads out.
Render = _base.Render

_RENDERERS: Dict[Dialect, Type[Renderer]] = {
    _NBSTREAM: NbstreamRenderer,
    _FSTREAM: FstreamRenderer,
}
_BUILT_IN = frozenset(_RENDERERS)


def renderer_for(dialect: object) -> Optional[Type[Renderer]]:
    """The renderer class of ``dialect``, or None when it has none.

    Example:
        >>> renderer_for(object()) is None
        True
    """
    if not isinstance(dialect, Dialect):
        return None
    return _RENDERERS.get(dialect)


def register_renderer(dialect: Dialect, renderer: Type[Renderer]) -> None:
    """Give ``dialect`` (a registered endpoint's) synthetic data written by ``renderer``.

    Markets made afterwards render its streams; a name a market has already seen
    keeps what it got then.

    Args:
        dialect: The dialect object, as :data:`binance_options_ws.endpoints.ENDPOINTS` holds it.
        renderer: A :class:`Renderer` subclass.

    Raises:
        TypeError: If ``renderer`` is not a :class:`Renderer` subclass.
        ValueError: If ``dialect`` is a built-in one.

    Example:
        >>> register_renderer(my_dialect, MyRenderer)  # doctest: +SKIP
    """
    if not (isinstance(renderer, type) and issubclass(renderer, Renderer)):
        raise TypeError(f"renderer must be a Renderer subclass, got {renderer!r}")
    if dialect in _BUILT_IN:
        raise ValueError(f"the built-in {dialect!r} keeps its renderer")
    _RENDERERS[dialect] = renderer


def unregister_renderer(dialect: Dialect) -> None:
    """Remove what :func:`register_renderer` added for ``dialect`` (nothing if it added none).

    Raises:
        ValueError: If ``dialect`` is a built-in one.

    Example:
        >>> unregister_renderer(my_dialect)  # doctest: +SKIP
    """
    if dialect in _BUILT_IN:
        raise ValueError(f"the built-in {dialect!r} keeps its renderer")
    _RENDERERS.pop(dialect, None)


def malformed_samples(dialect: object) -> MalformedSamples:
    """The frames broken messages for ``dialect``'s connections are cut from.

    A dialect without a renderer gets neutral ones (an unknown event type on a
    stream called ``futureStream``).

    Example:
        >>> from binance_options_ws.dialects import nbstream
        >>> malformed_samples(nbstream.DIALECT).array_stream
        'BTC@markPrice'
    """
    return (renderer_for(dialect) or Renderer).samples
