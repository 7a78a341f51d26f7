"""Fast constructors of the events that arrive by the thousand.

A frozen attrs class's ``__init__`` sets every field through
``object.__setattr__``; :func:`fast_constructor` builds the same frozen instances
faster. The payload parsers of every dialect build their events through the
constructors below: the same arguments and results as the classes, and a tenth
to a sixth off each parse. ``NewSymbol`` and the replies are rare: they keep the
classes.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import sysconfig
from typing import Any, Callable, Type, TypeVar, cast

import attrs

from .models import (
    BookDepth,
    BookTicker,
    DepthUpdate,
    IndexPrice,
    Kline,
    MarkPrice,
    OpenInterest,
    Ticker,
    Trade,
)

__all__ = [
    "FREE_THREADED",
    "fast_constructor",
    "new_book_depth",
    "new_book_ticker",
    "new_depth_update",
    "new_index_price",
    "new_kline",
    "new_mark_price",
    "new_open_interest",
    "new_ticker",
    "new_trade",
]

_E = TypeVar("_E")


#: Whether this interpreter runs without the GIL (Python 3.13's free-threaded build).
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def fast_constructor(cls: Type[_E]) -> Callable[..., _E]:
    """A stand-in for ``cls(...)`` that builds the same frozen instances faster.

    A frozen attrs class's ``__init__`` sets every field through
    ``object.__setattr__``, since its own ``__setattr__`` refuses: about 50 ns a
    field, two microseconds for the ticker's 34 (a sixth of its whole parse). The
    stand-in is a mutable twin of ``cls``, an attrs class with the same fields (so
    the same signature) and the same slots, whose ``__init__`` assigns them plainly
    and then turns the new object into a ``cls`` by assigning its ``__class__``.
    What comes out is a genuine ``cls`` instance: the same type, equality, hash,
    repr and immutability, and it pickles as one.

    CPython allows that assignment only between classes of the same layout: the
    same base, the same slot names and no ``__dict__``. A ``__weakref__`` slot
    breaks it (it comes after the fields, where the check does not look for it),
    which is why the event classes say ``weakref_slot=False``.

    On a free-threaded build (no GIL) assigning ``__class__`` pauses every other
    thread, which would cost far more than it saves, so there the classes build
    their events themselves.

    Args:
        cls: An attrs class. Only a slotted one without validators, converters,
            ``init=False`` or init hooks gets a twin.

    Returns:
        The twin class, or ``cls`` itself when the twin cannot stand in for it:
        ``cls`` has something the twin would skip, this interpreter refuses the
        ``__class__`` assignment (checked here, once), or it runs without the GIL.
        Either way the result is the same; only the speed differs.
    """
    fields = attrs.fields(cls)  # type: ignore[arg-type]
    if (
        FREE_THREADED
        or any(f.validator or f.converter or not f.init or f.alias != f.name for f in fields)
        or hasattr(cls, "__attrs_init__")  # init=False: its own __init__
        or hasattr(cls, "__attrs_pre_init__")
        or hasattr(cls, "__attrs_post_init__")
    ):
        return cls

    def __attrs_post_init__(self: Any) -> None:  # noqa: N807 (attrs' hook name)
        self.__class__ = cls

    # The twin shows nowhere but in a TypeError on bad arguments: with the class's
    # name, that reads as the class's own.
    body = {
        "__attrs_post_init__": __attrs_post_init__,
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
    }
    twin = attrs.define(
        type(cls.__name__, (), body),
        these={f.name: attrs.field(default=f.default, kw_only=f.kw_only) for f in fields},
        slots=True,
        weakref_slot=False,
        frozen=False,
        on_setattr=attrs.setters.NO_OP,
        eq=False,
        order=False,
        repr=False,
    )
    try:  # the class swap, once
        twin(**dict.fromkeys(f.name for f in fields))
    except TypeError:  # "__class__ assignment: ... object layout differs ..."
        return cls
    return cast(Callable[..., _E], twin)


new_index_price = fast_constructor(IndexPrice)
new_mark_price = fast_constructor(MarkPrice)
new_kline = fast_constructor(Kline)
new_open_interest = fast_constructor(OpenInterest)
new_book_depth = fast_constructor(BookDepth)
new_depth_update = fast_constructor(DepthUpdate)
new_book_ticker = fast_constructor(BookTicker)
new_ticker = fast_constructor(Ticker)
new_trade = fast_constructor(Trade)
