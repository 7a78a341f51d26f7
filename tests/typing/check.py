"""Type-check what a user writes, as a user would: from outside the checkout.

Run by ``.ci/run`` (``python tests/typing/check.py``), with the package installed
(``pip install -e '.[dev]' --config-settings editable_mode=compat`` or a wheel), mypy
and pyright on the PATH of the running Python. It copies into a fresh folder
outside the checkout:

* ``user_script.py``: every subscribe method of both endpoints, callbacks and both
  ways of reading events, arithmetic on the fields. ``mypy --strict`` and pyright
  in strict mode must find no error;
* every python block of ``README.md`` (a block that uses ``client`` without making
  one gets ``client = StreamClient()`` in front), with no error either;
* ``wrong_types.py``: mistakes (a callback of the wrong event type, ...). Both
  checkers must report an error on each line marked ``# error``, and nowhere else.

Exits 0 when all of that holds, 1 otherwise, printing what the checkers said.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tokenize
from pathlib import Path
from typing import Dict, List, Set, Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
README = ROOT / "README.md"
_BLOCK = re.compile(r"```python\n(?P<code>.*?)```", re.S)
_COMPAT_HINT = (
    "the checkers did not find binance_options_ws: install it with "
    "`pip install -e '.[dev]' --config-settings editable_mode=compat` (an editable "
    "install's import hook is invisible to type checkers) or from a wheel"
)


def marked_lines(path: Path) -> Set[int]:
    """The lines of ``path`` with a ``# error`` comment."""
    with path.open(encoding="utf-8") as source:
        return {
            token.start[0]
            for token in tokenize.generate_tokens(source.readline)
            if token.type == tokenize.COMMENT and re.match(r"#\s*error\b", token.string)
        }


def readme_blocks() -> List[Tuple[int, str]]:
    """``(line, code)`` of every python block of the README, ready to check alone."""
    text = README.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        code = match.group("code")
        line = text.count("\n", 0, match.start()) + 2
        prelude = []
        makes_client = re.search(r"\bclient\s*=|\bas client\b|def \w+\(client\b", code)
        if re.search(r"\bclient\b", code) and not makes_client:
            prelude.append("client = StreamClient()")
        if prelude or (
            re.search(r"\bStreamClient\b", code)
            and not re.search(r"import.*\bStreamClient\b", code)
        ):
            prelude.insert(0, "from binance_options_ws import StreamClient")
        found.append((line, "\n".join(prelude) + ("\n" if prelude else "") + code))
    return found


def mypy(folder: Path, files: List[str]) -> Dict[str, Set[int]]:
    """The lines mypy --strict reports an error on, by file, and its output printed."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(folder / ".mypy"), *files],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    errors: Dict[str, Set[int]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(?P<file>[^:]+\.py):(?P<line>\d+): error:", line)
        if match:
            errors.setdefault(match.group("file"), set()).add(int(match.group("line")))
    if result.returncode not in (0, 1) or "import-not-found" in result.stdout:
        print(result.stdout, result.stderr)
        raise SystemExit(f"mypy failed to run: {_COMPAT_HINT}")
    _show("mypy --strict", result.stdout)
    return errors


def pyright(folder: Path, files: List[str]) -> Dict[str, Set[int]]:
    """The lines pyright (strict) reports an error on, by file."""
    executable = shutil.which(
        "pyright",
        path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    if executable is None:
        raise SystemExit("pyright is not installed: pip install 'pyright[nodejs]'")
    result = subprocess.run(
        [executable, "--outputjson", "--pythonpath", sys.executable, *files],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        print(result.stdout, result.stderr)
        raise SystemExit("pyright failed to run") from None
    errors: Dict[str, Set[int]] = {}
    lines = []
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] != "error":
            continue
        name = Path(diagnostic["file"]).name
        line = diagnostic["range"]["start"]["line"] + 1
        errors.setdefault(name, set()).add(line)
        lines.append(f"{name}:{line}: {diagnostic['message'].splitlines()[0]}")
        if (
            "could not be resolved" in diagnostic["message"]
            and "binance_options_ws" in (diagnostic["message"])
        ):
            raise SystemExit(f"pyright: {diagnostic['message']}: {_COMPAT_HINT}")
    _show("pyright (strict)", "\n".join(lines))
    return errors


def _show(title: str, output: str) -> None:
    print(f"--- {title}")
    print(output.strip() or "(no error)")


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="binance-options-ws-typing-"))
    if ROOT in folder.parents:
        raise SystemExit(f"{folder} is inside the checkout: the check must run outside it")
    try:
        shutil.copy(HERE / "user_script.py", folder)
        shutil.copy(HERE / "wrong_types.py", folder)
        clean = ["user_script.py"]
        where: Dict[str, str] = {"user_script.py": "tests/typing/user_script.py"}
        for number, (line, code) in enumerate(readme_blocks(), start=1):
            name = f"readme_block_{number:02d}.py"
            (folder / name).write_text(code, encoding="utf-8")
            clean.append(name)
            where[name] = f"README.md, the block at line {line}"
        (folder / "pyrightconfig.json").write_text(
            json.dumps({"typeCheckingMode": "strict", "reportMissingModuleSource": "none"})
        )
        expected = marked_lines(HERE / "wrong_types.py")
        failures = []
        for checker in (mypy, pyright):
            found = checker(folder, clean)
            for name, lines in sorted(found.items()):
                failures.append(
                    f"{checker.__name__}: {where[name]}: errors on lines {sorted(lines)}"
                )
            wrong = checker(folder, ["wrong_types.py"]).get("wrong_types.py", set())
            if wrong != expected:
                failures.append(
                    f"{checker.__name__}: wrong_types.py: errors expected on lines "
                    f"{sorted(expected)}, found on {sorted(wrong)}"
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if failures:
        print("\nThe typing check failed:\n  " + "\n  ".join(failures))
        return 1
    print(f"\nThe typing check passed ({len(clean)} files clean, {len(expected)} mistakes caught).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
