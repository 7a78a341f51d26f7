"""How to install the optional parts, said the same way wherever one is missing."""

from __future__ import annotations

import importlib
from typing import Any

from .exceptions import MissingExtraError

__all__ = [
    "PANDAS_EXTRA",
    "PARQUET_EXTRA",
    "TESTING_EXTRA",
    "MissingExtraError",
    "import_pandas",
    "import_pyarrow",
]

#: The command that brings what the fake exchange needs (the ``websockets`` library).
#: Until the package is published, the second form (in a clone) is the one that works.
TESTING_EXTRA = (
    'pip install "binance-options-ws[testing]" '
    '(in a clone of the project: pip install -e ".[testing]")'
)
#: The command that brings pandas, for ``to_frame`` and ``OptionChain.to_frame``.
PANDAS_EXTRA = (
    'pip install "binance-options-ws[pandas]" '
    '(in a clone of the project: pip install -e ".[pandas]")'
)
#: The command that brings pyarrow, for Parquet (``binance-options-ws convert``).
PARQUET_EXTRA = (
    'pip install "binance-options-ws[parquet]" '
    '(in a clone of the project: pip install -e ".[parquet]")'
)


def import_pandas(what: str) -> Any:
    """The pandas module, or a :class:`MissingExtraError` saying that ``what`` needs it."""
    try:
        return importlib.import_module("pandas")
    except ImportError:
        raise MissingExtraError(f"{what} needs pandas: {PANDAS_EXTRA}") from None


def import_pyarrow(what: str) -> Any:
    """The pyarrow module (with pyarrow.parquet loaded), or a :class:`MissingExtraError`."""
    try:
        pyarrow = importlib.import_module("pyarrow")
        importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise MissingExtraError(f"{what} needs pyarrow: {PARQUET_EXTRA}") from None
    return pyarrow
