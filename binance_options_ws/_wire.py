"""Tolerant readers of JSON values from the exchange: one copy, used by every parser.

Real messages are messier than the documentation: numbers come as JSON numbers or
strings, in exponent form (``"1.6711317692476314E7"``) or as ``"0.0"``; ids come
as strings; keys go missing. Each reader turns what it is given into the type it
names, or None when the value cannot mean one (:func:`read_str` keeps anything
but ``null`` as its text). None of them raises, whatever the value.

What cannot mean a number, and so reads as None:

* a missing key, ``null``, a word, a nested object or array;
* a boolean (``true`` is not a price of 1);
* a number that is not finite (``NaN``, ``Infinity``, ``"inf"``, ``1e999``): a
  non-finite price is not a price;
* for :func:`read_int` (ids, counts, times), a number that is not a whole one:
  ``"27.9"`` is not the id 27, nor ``"1e-8"`` the count 0 (``"27.0"`` and
  ``"1E3"`` are whole, and read as 27 and 1000).

They sit on the hot path: keep them small.

Example:
    >>> read_float("1.5e3"), read_int("27.0"), read_float(True), read_int([1])
    (1500.0, 27, None, None)
    >>> read_float("NaN"), read_int("27.9"), read_int("1e-8")
    (None, None, None)

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

from decimal import Decimal, DecimalException
from typing import Any, Dict, Iterator, Optional, Tuple

__all__ = [
    "NOT_WELL_FORMED",
    "PriceLevel",
    "read_bool",
    "read_decimal",
    "read_float",
    "read_int",
    "read_levels",
    "read_objects",
    "read_size",
    "read_str",
]

#: One book level: ``(price, quantity)``.
PriceLevel = Tuple[float, float]

#: What a strict read (``d[key]``, ``float()``, ``int()``) raises on a value that
#: the tolerant readers would turn into None: a missing key, a null, ``""``, ``"27.0"``
#: given to ``int()``, an out-of-range number. Fast paths catch these and fall
#: back to the readers.
NOT_WELL_FORMED = (KeyError, TypeError, ValueError, OverflowError)

_bool = bool


def read_float(value: Any) -> Optional[float]:
    """A finite float from a number or a numeric string; None for anything else."""
    if value.__class__ is _bool:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond 1e308
        return None
    return number if number - number == 0.0 else None  # inf - inf and NaN are NaN


def read_size(value: Any) -> Optional[float]:
    """A quantity, never negative: ``"-2"`` is a size of 2 (a sign is a side's, not a size's)."""
    number = read_float(value)
    return None if number is None else abs(number)


def read_int(value: Any) -> Optional[int]:
    """An int from an integer, an integral string, or a whole number written as a float.

    ``27``, ``"27"``, ``27.0``, ``"27.0"`` and ``"2.7E1"`` are 27; ``"27.9"``, a
    boolean or a non-finite number are None.
    """
    cls = value.__class__
    if cls is int:
        return value  # type: ignore[no-any-return]
    if cls is str:
        try:
            return int(value)
        except ValueError:
            pass
    elif cls is not float:
        return None  # a boolean, None, a list, ...
    try:  # 27.0, "27.0", "2.7E1"
        number = float(value)
        return int(number) if number.is_integer() else None
    except (ValueError, OverflowError):  # OverflowError: int() of an infinity
        return None


def read_str(value: Any) -> Optional[str]:
    """A string as is, None as None, anything else as its text (a number, say)."""
    if value is None or value.__class__ is str:
        return value
    return str(value)


def read_bool(value: Any) -> Optional[bool]:
    """A boolean from ``true``/``false``, their words (``"true"``, ``"yes"``, ``"0"``) or 0/1."""
    if value is True or value is False:
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "1", "y", "yes"):
            return True
        if lowered in ("false", "0", "n", "no"):
            return False
        return None
    if isinstance(value, (int, float)):
        return _bool(value)
    return None


def read_levels(value: Any) -> Tuple[PriceLevel, ...]:
    """Book levels ``[[price, quantity], ...]``; a level that is not two numbers is skipped.

    The numbers are read as :func:`read_float` reads them: a boolean or a non-finite
    number spoils its level, not the book.
    """
    if not isinstance(value, list):
        return ()
    levels = []
    for level in value:
        try:
            price, quantity = level[0], level[1]
            if price.__class__ is _bool or quantity.__class__ is _bool:
                continue
            price, quantity = float(price), float(quantity)
        except (TypeError, ValueError, IndexError, KeyError, OverflowError):
            continue  # one bad level does not spoil the book
        if price - price == 0.0 and quantity - quantity == 0.0:  # both finite
            levels.append((price, quantity))
    return tuple(levels)


def read_decimal(value: Any) -> Optional[Decimal]:
    """An exact number without meaningless trailing zeros: ``"4000.0000"`` -> ``4000``."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        number = Decimal(str(value).strip())
        if not number.is_finite():
            return None
        number = number.normalize()
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent > 0:  # 1E+5 -> 100000
            number = number.quantize(Decimal(1))
    except DecimalException:  # not a number, or beyond what a Decimal context holds
        return None
    return number


def read_objects(value: Any) -> Iterator[Dict[str, Any]]:
    """The JSON objects of a list; anything else (a missing key, a stray item) is skipped."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield item
