"""Sphinx configuration: topic pages from the README, the API reference from the docstrings.

Build with ``python -m sphinx -W --keep-going -n docs docs/_build/html``.

Besides the settings, a few hooks keep the reference honest and each text written once:

* each public class or function is documented once, in its *home*: of the modules
  documented in ``api/`` that export it, the one with the shortest path (``streams``
  rather than ``dialects.nbstream``), then the one that defines it;
* the build warns (an error with ``-W``) about any name of a documented module's
  ``__all__`` that the reference leaves out;
* a cross-reference may name an object by any public path (``binance_options_ws.OrderBook``)
  or, from another module, by its short name (``StreamClient``);
* the README's sections are included in the topic pages, their links rewritten to
  point at these pages.
"""

from __future__ import annotations

import builtins
import enum
import importlib
import inspect
import re
import sys
import sysconfig
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # document this checkout, installed or not

import binance_options_ws  # noqa: E402

_LOG = logging.getLogger(__name__)

project = "binance-options-ws"
author = "binance-options-ws contributors"
project_copyright = "2026, binance-options-ws contributors"
release = binance_options_ws.__version__
version = release
REPOSITORY = "https://github.com/binance-options-ws/binance-options-ws"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

html_theme = "furo"
html_title = f"binance-options-ws {release}"
html_theme_options = {"source_repository": REPOSITORY, "source_branch": "main"}

# The README's sections are included as they are: their headings may skip a level
# under the page's title, and their anchors are what its links point to.
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

# Docstrings are Google style. An "Attributes:" section becomes one entry per attribute
# (a target for :attr: references); types come from the annotations.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = False
napoleon_use_rtype = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_class_signature = "mixed"


def _standard_library() -> Set[str]:
    """The standard library's top-level modules (listed by the interpreter from 3.10)."""
    names = getattr(sys, "stdlib_module_names", None)
    if names is None:  # Python 3.9: the modules in the standard library's folder
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        names = {path.stem for path in stdlib.iterdir() if path.suffix == ".py"}
        names |= {path.name for path in stdlib.iterdir() if (path / "__init__.py").exists()}
        names |= set(sys.builtin_module_names)
    return set(names)


# -n: every cross-reference must resolve. Without network access the build has no
# inventory of the standard library or of the dependencies, so references to those
# are not links (and are not checked); neither are internal names, those with a
# leading underscore. Everything else of this package must resolve.
_EXTERNAL = sorted(
    _standard_library()
    | {"attr", "attrs", "pytest", "requests", "typing_extensions", "websocket", "websockets"}
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(_EXTERNAL)})(\..+)?"),
    (r"py:.*", "|".join(re.escape(name) for name in dir(builtins) if not name.startswith("_"))),
    (r"py:.*", r"(Ellipsis|NoneType)"),
    (r"py:.*", r"(.+\.)?_[^.]+(\..+)?"),
]

# --------------------------------------------------------------------------
# The API reference: each documented module's __all__, each object once
# --------------------------------------------------------------------------


def _documented_modules() -> List[str]:
    """Every module an ``automodule`` directive of ``api/`` documents."""
    found = re.compile(r"^\.\. automodule:: (\S+)", re.MULTILINE)
    return sorted(
        {name for page in (DOCS / "api").glob("*.rst") for name in found.findall(page.read_text())}
    )


def _public_names(module: ModuleType) -> Iterator[Tuple[str, Any]]:
    for name in getattr(module, "__all__", ()):
        yield name, getattr(module, name)


def _shared(value: object) -> bool:
    """Whether ``value`` has one home: a class or a function (not a constant)."""
    return inspect.isclass(value) or inspect.isroutine(value)


def _homes(modules: List[str]) -> Dict[int, str]:
    """``id(object) -> module`` where each class and function exported is documented."""
    candidates: Dict[int, List[Tuple[Tuple[bool, int, bool, str], str]]] = {}
    for module_name in modules:
        for _, value in _public_names(importlib.import_module(module_name)):
            if _shared(value):
                defined_here = getattr(value, "__module__", "").startswith(module_name)
                rank = (
                    module_name == "binance_options_ws",  # the package re-exports nearly all
                    module_name.count("."),  # the shortest path: the module users import
                    not defined_here,  # then the module (or package) that defines it
                    module_name,
                )
                candidates.setdefault(id(value), []).append((rank, module_name))
    return {key: min(ranked)[1] for key, ranked in candidates.items()}


MODULES = _documented_modules()
_HOMES = _homes(MODULES)
_current_module: List[str] = [""]


def _note_module(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: Any) -> None:
    """Remember which module autodoc is documenting, for ``_choose_members``."""
    if what == "module":
        _current_module[0] = name


def _choose_members(
    app: Sphinx, what: str, name: str, obj: Any, skip: bool, options: Any
) -> Optional[bool]:
    """Document each class and function in its home module only, and enums whole.

    The fields of a named tuple are left to its docstring's Attributes section.
    """
    if what == "module" and _shared(obj):
        home = _HOMES.get(id(obj))
        if home is not None and home != _current_module[0]:
            return True
    if what in ("class", "exception") and (getattr(obj, "__doc__", None) or "").startswith(
        "Alias for field number"
    ):
        return True
    if what == "class" and isinstance(obj, enum.Enum):
        return False  # every member of an enum, documented or not
    return None


def _public_bases(app: Sphinx, name: str, obj: Any, options: Any, bases: List[type]) -> None:
    """Show only the bases a reader can look up: not ``object``, not internal classes."""
    bases[:] = [
        base
        for base in bases
        if base is not object and not any(p.startswith("_") for p in base.__module__.split("."))
    ]


def _no_inline_attribute_type(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: List[str]
) -> None:
    """Keep napoleon from reading a type in an attribute docstring's first line.

    The docstrings here give types as annotations, never as ``type: description``, so a
    first line such as ``The endpoint this client talks to: "nbstream" or "fstream".``
    must stay a sentence. Runs before napoleon, which takes the first line it finds for
    ``type: description``: here an empty comment (``..``, rendered as nothing).
    """
    if what in ("attribute", "property", "data") and lines and ":" in lines[0]:
        lines[:0] = ["..", ""]


def _documented_as(env: BuildEnvironment, name: str, value: Any) -> Optional[str]:
    """Where the reference documents ``value``, exported as ``name``, or None."""
    objects = env.get_domain("py").objects  # type: ignore[attr-defined]
    if _shared(value):
        home = _HOMES.get(id(value))
        if home is not None and f"{home}.{value.__name__}" in objects:
            return f"{home}.{value.__name__}"
        return None
    for module_name in MODULES:  # a constant or an alias: wherever it has its comment
        module = sys.modules[module_name]
        exported = name in getattr(module, "__all__", ()) and getattr(module, name) is value
        if exported and f"{module_name}.{name}" in objects:
            return f"{module_name}.{name}"
    return None


def _check_every_public_name(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn (an error with ``-W``) about any public name the API reference leaves out."""
    for module_name in MODULES:
        for name, value in _public_names(sys.modules[module_name]):
            if name != "__version__" and _documented_as(env, name, value) is None:
                _LOG.warning(
                    "%s.%s is public but not in the API reference (a constant or a type "
                    "alias needs a '#:' comment or a docstring where it is defined)",
                    module_name,
                    name,
                )


ELSEWHERE = ".. exported-elsewhere (conf.py writes the list here)"


def _list_names_exported_elsewhere(app: Sphinx, docname: str, source: List[str]) -> None:
    """On the package's page, list the names it exports that other pages document."""
    if ELSEWHERE not in source[0]:
        return
    items = []
    for name, value in sorted(_public_names(binance_options_ws), key=lambda item: item[0].lower()):
        if inspect.ismodule(value):
            items.append(f"* :py:mod:`{name} <{value.__name__}>`")
            continue
        homes = [_HOMES.get(id(value))] if _shared(value) else []
        homes += [  # a constant or an alias: the module that comments it
            module_name
            for module_name in MODULES[1:]
            if getattr(sys.modules[module_name], name, None) is value
            and ("", name) in ModuleAnalyzer.for_module(module_name).find_attr_docs()
        ]
        if homes and homes[0] != "binance_options_ws":
            items.append(f"* :py:obj:`{name} <binance_options_ws.{name}>`, in :py:mod:`{homes[0]}`")
    source[0] = source[0].replace(ELSEWHERE, "\n".join(items) + "\n")


def _canonical(env: BuildEnvironment, target: str) -> Optional[str]:
    """The documented name of ``target`` if it is another path to a documented object.

    ``binance_options_ws.OrderBook`` is ``binance_options_ws.order_book.OrderBook``;
    ``binance_options_ws.streams.StreamName.name`` is
    ``binance_options_ws.dialects.StreamName.name``.
    """
    parts = target.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for depth in range(split, len(parts)):
            if not hasattr(value, parts[depth]):
                return None
            value = getattr(value, parts[depth])
            documented = _documented_as(env, parts[depth], value)
            if documented is not None:
                return ".".join([documented, *parts[depth + 1 :]])
        return None
    return None


def _resolve_elsewhere(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> Optional[nodes.Element]:
    """Resolve what the Python domain did not: other paths to an object, and short names.

    A docstring may name an object by the path users import it from
    (``binance_options_ws.OrderBook``), by a name its own module re-exports
    (``parse_stream``), or, from another module, by its short name (``StreamClient``):
    each leads to where the object is documented.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    context = node.get("py:module")
    for path in (target, f"{context}.{target}" if context else None):
        canonical = _canonical(env, path) if path else None
        if canonical is not None and canonical != target:
            return env.get_domain("py").resolve_xref(  # type: ignore[no-any-return]
                env, node["refdoc"], app.builder, node["reftype"], canonical, node, contnode
            )
    if node.get("refspecific") or target.startswith("binance_options_ws."):
        return None
    retry = node.deepcopy()
    retry["refspecific"] = True  # search ".StreamClient" in every module
    return env.get_domain("py").resolve_xref(  # type: ignore[no-any-return]
        env, node["refdoc"], app.builder, node["reftype"], target, retry, contnode
    )


# --------------------------------------------------------------------------
# README sections included in the topic pages
# --------------------------------------------------------------------------

#: Where each README heading that the README links to lives in these pages.
README_ANCHORS = {
    "install": "getting-started.md#install",
    "quick-start": "getting-started.md#quick-start",
    "which-symbols-can-i-subscribe-to": "getting-started.md#which-symbols-can-i-subscribe-to",
    "callbacks-or-the-queue": "delivery.md",
    "types-subscriptions-callbacks-and-fields": (
        "delivery.md#types-subscriptions-callbacks-and-fields"
    ),
    "logging-and-stats": "delivery.md#logging-and-stats",
    "two-endpoints-nbstream-and-fstream": "endpoints.md",
    "every-stream": "streams.md",
    "a-local-order-book": "order-book.md",
    "the-command-line": "cli.md",
    "drops-stalls-and-the-24-hour-cut": "reconnects.md",
    "errors": "errors.md",
    "testing-your-own-code": "testing.md",
    "examples": "examples.md",
    "performance": "examples.md#performance",
    "documentation": "development.md#documentation",
    "development": "development.md",
}
#: README links to files of the repository that are pages here.
README_FILES = {"CHANGELOG.md": "changelog.md"}
_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def _readme_link(match: re.Match[str]) -> str:
    target = match.group("target")
    if target.startswith("#"):
        # An anchor missing here is left as it is: the build then fails on it.
        return f"]({README_ANCHORS.get(target[1:], target)})"
    if re.match(r"[a-z]+:", target):
        return match.group(0)
    if target in README_FILES:
        return f"]({README_FILES[target]})"
    kind = "tree" if target.endswith("/") else "blob"
    return f"]({REPOSITORY}/{kind}/main/{target})"


def _rewrite_readme_links(
    app: Sphinx, relative_path: Path, parent_docname: str, content: List[str]
) -> None:
    """Point the README's links at these pages, or at the repository for other files."""
    if Path(relative_path).name == "README.md":
        content[0] = _LINK.sub(_readme_link, content[0])


def setup(app: Sphinx) -> Dict[str, Any]:
    """Connect the hooks above."""
    app.connect("autodoc-process-docstring", _note_module)
    app.connect("autodoc-process-docstring", _no_inline_attribute_type, priority=400)
    app.connect("autodoc-skip-member", _choose_members)
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("env-check-consistency", _check_every_public_name)
    app.connect("missing-reference", _resolve_elsewhere)
    app.connect("include-read", _rewrite_readme_links)
    app.connect("source-read", _list_names_exported_elsewhere)
    return {"parallel_read_safe": False}
