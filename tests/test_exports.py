"""What the package exports, the error tree, and the exceptions module's examples."""

from __future__ import annotations

import builtins
import doctest
import inspect
import re

import pytest

import binance_options_ws
from binance_options_ws import exceptions, fstream, models, streams

MODULES = [streams, fstream, models, exceptions]


@pytest.mark.parametrize("name", binance_options_ws.__all__)
def test_every_top_level_name_exists(name: str) -> None:
    assert hasattr(binance_options_ws, name)


def test_star_import_gives_exactly_all() -> None:
    namespace: dict = {}
    exec("from binance_options_ws import *", namespace)
    namespace.pop("__builtins__")
    assert set(namespace) == set(binance_options_ws.__all__)


@pytest.mark.parametrize("module", [binance_options_ws, *MODULES], ids=lambda m: m.__name__)
def test_all_has_no_duplicates_and_no_private_names(module: object) -> None:
    names = module.__all__  # type: ignore[attr-defined]
    assert len(names) == len(set(names))
    assert all(not name.startswith("_") or name == "__version__" for name in names)


@pytest.mark.parametrize(
    ("module", "name"),
    [(module, name) for module in MODULES for name in module.__all__],  # type: ignore[attr-defined]
    ids=lambda value: getattr(value, "__name__", value),
)
def test_every_module_name_exists(module: object, name: str) -> None:
    assert hasattr(module, name)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_public_class_and_function_is_in_all(module: object) -> None:
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__  # type: ignore[attr-defined]
    }
    assert defined <= set(module.__all__)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name",
    [
        # what a beginner uses first
        "parse_message",
        "parse_stream",
        "streams",
        "fstream",
        "OptionSymbol",
        "OptionSide",
        "StreamName",
        "StreamKind",
        "Event",
        "IndexPrice",
        "Kline",
        "MarkPrice",
        "NewSymbol",
        "OpenInterest",
        "BookDepth",
        "BookTicker",
        "DepthUpdate",
        "Ticker",
        "Trade",
        "UnknownEvent",
        "ControlReply",
        "ErrorReply",
        "__version__",
    ],
)
def test_the_essentials_are_exported_at_the_top(name: str) -> None:
    assert name in binance_options_ws.__all__


@pytest.mark.parametrize("name", exceptions.__all__)
def test_every_error_is_exported_at_the_top_as_the_same_object(name: str) -> None:
    assert name in binance_options_ws.__all__
    assert getattr(binance_options_ws, name) is getattr(exceptions, name)


@pytest.mark.parametrize(
    "name",
    sorted(set(binance_options_ws.__all__) & (set(streams.__all__) | set(models.__all__))),
)
def test_top_level_names_are_the_module_objects(name: str) -> None:
    source = streams if name in streams.__all__ else models
    assert getattr(binance_options_ws, name) is getattr(source, name)


def test_streams_module_is_exported() -> None:
    assert binance_options_ws.streams is streams
    assert binance_options_ws.streams.ticker("btc-251226-100000-c") == "BTC-251226-100000-C@ticker"


def test_fstream_module_is_exported() -> None:
    assert binance_options_ws.fstream is fstream
    assert binance_options_ws.fstream.ticker("BTC-251226-100000-C") == (
        "btc-251226-100000-c@optionTicker"
    )


def test_version_is_a_dotted_string() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+(\S*)", binance_options_ws.__version__)


# --------------------------------------------------------------------------
# The error tree, as the exceptions module docstring draws it
# --------------------------------------------------------------------------

_ROOT = "BinanceOptionsWSError"
_BRANCH = re.compile(r"^(?P<lead>[ │]*)[├└]── (?P<name>\w+)(?: \((?P<builtin>\w+)\))?")


def _drawn_tree() -> list:
    """(name, parent name, builtin name or None) for every class in the drawing."""
    lines = (exceptions.__doc__ or "").splitlines()
    [root_line] = [line for line in lines if line.strip() == _ROOT]
    root_column = root_line.index(_ROOT)
    parents = [_ROOT]
    drawn = []
    for line in lines[lines.index(root_line) + 1 :]:
        match = _BRANCH.match(line)
        if match is None:
            if line.strip():
                break
            continue
        depth = (len(match.group("lead")) - root_column) // 4 + 1
        del parents[depth:]
        drawn.append((match.group("name"), parents[-1], match.group("builtin")))
        parents.append(match.group("name"))
    return drawn


def test_the_drawing_lists_every_error() -> None:
    drawn = {name for name, _, _ in _drawn_tree()}
    assert drawn | {_ROOT} == set(exceptions.__all__)


@pytest.mark.parametrize(("name", "parent", "builtin"), _drawn_tree())
def test_error_hierarchy_is_as_drawn(name: str, parent: str, builtin: str | None) -> None:
    cls = getattr(exceptions, name)
    expected_bases = [getattr(exceptions, parent)]
    if builtin is not None:
        expected_bases.append(getattr(builtins, builtin))
    assert list(cls.__bases__) == expected_bases
    assert issubclass(cls, exceptions.BinanceOptionsWSError)


def test_root_error_is_a_plain_exception() -> None:
    assert exceptions.BinanceOptionsWSError.__bases__ == (Exception,)


def test_errors_raised_by_the_pure_layer_are_value_errors() -> None:
    with pytest.raises(exceptions.InvalidStreamError) as stream_error:
        streams.depth("BTC-251226-100000-C", levels=15)
    with pytest.raises(exceptions.MessageParseError) as parse_error:
        binance_options_ws.parse_message("{")
    for error in (stream_error.value, parse_error.value):
        assert isinstance(error, ValueError)
        assert isinstance(error, exceptions.BinanceOptionsWSError)


@pytest.mark.parametrize(
    ("error", "attributes", "text"),
    [
        (
            exceptions.ServerError(2, "Invalid request", {"method": "SUBSCRIBE", "id": 1}),
            {"code": 2, "msg": "Invalid request", "request": {"method": "SUBSCRIBE", "id": 1}},
            "error 2: Invalid request",
        ),
        (
            exceptions.BinanceAPIError(-1121, "Invalid symbol.", 400),
            {"code": -1121, "msg": "Invalid symbol.", "status": 400},
            "HTTP 400, Binance error -1121: Invalid symbol.",
        ),
        (
            exceptions.RateLimitError(-1003, "Too many requests", 429, 12.5),
            {"code": -1003, "status": 429, "retry_after": 12.5},
            "HTTP 429",
        ),
        (exceptions.MessageParseError("not JSON", "{x"), {"text": "{x"}, "not JSON"),
    ],
)
def test_errors_carry_their_details(error: Exception, attributes: dict, text: str) -> None:
    for name, value in attributes.items():
        assert getattr(error, name) == value
    assert text in str(error)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(exceptions)
    assert result.attempted >= 1
    assert result.failed == 0
