"""What the package exports, the error tree, and the exceptions module's examples.

Also the package around it: which modules are public (no leading underscore, a page in
the API reference each), and the Pythons it declares and tests.
"""

from __future__ import annotations

import builtins
import configparser
import doctest
import importlib
import importlib.util
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType
from typing import List

import pytest

import binance_options_ws
from binance_options_ws import exceptions, fstream, models, streams

ROOT = Path(__file__).resolve().parent.parent


def _public_module_names() -> List[str]:
    """Every module of the package with no leading underscore anywhere in its path."""
    names = ["binance_options_ws"]
    for info in pkgutil.walk_packages(binance_options_ws.__path__, "binance_options_ws."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


PUBLIC_MODULES: List[ModuleType] = [importlib.import_module(n) for n in _public_module_names()]
MODULES = [module for module in PUBLIC_MODULES if module is not binance_options_ws]


@pytest.mark.parametrize("name", binance_options_ws.__all__)
def test_every_top_level_name_exists(name: str) -> None:
    assert hasattr(binance_options_ws, name)


def test_star_import_gives_exactly_all() -> None:
    namespace: dict = {}
    exec("from binance_options_ws import *", namespace)
    namespace.pop("__builtins__")
    assert set(namespace) == set(binance_options_ws.__all__)


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda m: m.__name__)
def test_every_public_module_has_all(module: ModuleType) -> None:
    assert isinstance(getattr(module, "__all__", None), list), module.__name__


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
# Public and internal modules, and the API reference
# --------------------------------------------------------------------------


def test_every_public_module_has_a_page_in_the_api_reference() -> None:
    pages = "\n".join(page.read_text() for page in (ROOT / "docs" / "api").glob("*.rst"))
    documented = set(re.findall(r"^\.\. automodule:: (\S+)", pages, re.MULTILINE))
    public = set(_public_module_names())
    missing, extra = sorted(public - documented), sorted(documented - public)
    assert not missing, (
        f"public modules (no leading underscore) missing from docs/api/: {missing}; add a "
        "page, or rename the module with a leading underscore if it is internal"
    )
    assert not extra, f"docs/api/ documents modules that are not public: {extra}"


@pytest.mark.parametrize("name", ["pool", "connection", "delivery", "backoff"])
def test_the_engine_modules_are_internal(name: str) -> None:
    # The machinery behind StreamClient: nothing of it is imported by users.
    assert importlib.util.find_spec(f"binance_options_ws.{name}") is None


# --------------------------------------------------------------------------
# The package around the code
# --------------------------------------------------------------------------

SUPPORTED = ["3.9", "3.10", "3.11", "3.12", "3.13"]


def _setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    return config


def test_the_supported_pythons_are_declared_and_the_lowest_and_highest_tested() -> None:
    config = _setup_cfg()
    assert config["options"]["python_requires"] == f">={SUPPORTED[0]}"
    declared = re.findall(
        r"Programming Language :: Python :: (3\.\d+)$", config["metadata"]["classifiers"], re.M
    )
    assert declared == SUPPORTED
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"find_python {SUPPORTED[0]})" in ci
    assert f"find_python {SUPPORTED[-1]})" in ci


def test_the_licence_ships_and_the_metadata_names_it() -> None:
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    metadata = _setup_cfg()["metadata"]
    assert metadata["license"] == "MIT"
    assert metadata["license_files"] == "LICENSE"
    assert (Path(binance_options_ws.__file__).parent / "py.typed").exists()


def test_the_build_system_is_declared_and_nothing_else() -> None:
    # The metadata lives in setup.cfg; pyproject.toml only names the build backend.
    pyproject = (ROOT / "pyproject.toml").read_text()
    tables = re.findall(r"^\[([^\]]+)\]", pyproject, re.M)
    assert tables == ["build-system"]


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


def test_the_changelog_releases_the_version_the_code_carries() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)
    assert released, "CHANGELOG.md has no released section"
    assert released[0] == binance_options_ws.__version__
    assert changelog.index("## [Unreleased]") < changelog.index(f"## [{released[0]}]")
    for version in ["Unreleased", *released]:
        assert re.search(rf"^\[{re.escape(version)}\]: https://\S+$", changelog, re.M), version
