"""How to install the optional parts, said the same way wherever one is missing."""

from __future__ import annotations

__all__ = ["TESTING_EXTRA"]

#: The command that brings what the fake exchange needs (the ``websockets`` library).
#: Until the package is published, the second form (in a clone) is the one that works.
TESTING_EXTRA = (
    'pip install "binance-options-ws[testing]" '
    '(in a clone of the project: pip install -e ".[testing]")'
)
