"""Every example runs offline (``--demo``), prints events and exits 0; so does the notebook.

The scripts and the notebook all start at once, each in its own process (they
mostly wait on the network), so the whole file takes about as long as the
slowest of them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import nbformat
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
NOTEBOOK = EXAMPLES / "live_plot.ipynb"
SMILE = EXAMPLES / "iv_smile.ipynb"
SECONDS = "3"
_DEFAULT_OUTPUT = "record_csv.py without --output"
TIMEOUT = 45

#: What a line of each example's output looks like: proof that it printed events.
EVENT_LINE: Dict[str, str] = {
    "book_ticker.py": r"BTC-\d{6}-\d+-C  bid \d\S* x \S+  ask \d\S* x \S+  spread \d",
    "depth.py": r"BTC-\d{6}-\d+-C  bid \S+ x \S+  ask ",
    "index.py": r"BTCUSDT  index \d",
    "kline.py": r"BTC-\d{6}-\d+-C 1m candle from .* close \d",
    "mark_price.py": r"BTC-\d{6}-\d+-[CP] +mark \d",
    "new_symbols.py": r"new: BTC-\d{6}-\d+-[CP] .* strike \d",
    "open_interest.py": r"BTC-\d{6}-\d+-[CP] +open interest \d",
    "option_chain.py": r"\|\s+\d+\s+\|",  # a row of the table: | strike |
    "order_book.py": r"BTC-\d{6}-\d+-C  update \d+  bids \d\S*x\S+ .* asks \d\S*x",
    "queue_vs_callbacks.py": r"\[callback\] BTCUSDT \d",
    "record_and_replay.py": r"replayed \d+ events; the \d+ read live are equal: True",
    "record_csv.py": r"row \d+: BTC-\d{6}-\d+-[CP] ",
    "ticker.py": r"BTC-\d{6}-\d+-C  last .* mark \d",
    "ticker_by_expiration.py": r"BTC-\d{6}-\d+-[CP] +bid .* iv \d",
    "trade.py": r"BTC-\d{6}-\d+-[CP] +-?\d\S* @ \d",
}

_NOTEBOOK_RUNNER = textwrap.dedent(
    """
    import sys
    import nbformat
    from nbclient import NotebookClient

    source, target = sys.argv[1], sys.argv[2]
    notebook = nbformat.read(source, as_version=4)
    client = NotebookClient(
        notebook, timeout=60, kernel_name="python3",
        resources={"metadata": {"path": str(__import__("pathlib").Path(source).parent)}},
    )
    client.execute()
    nbformat.write(notebook, target)
    """
)


def _run(argv: List[str], cwd: Path, env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return subprocess.CompletedProcess(argv, -1, out, f"timed out after {TIMEOUT} s")


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory,
) -> Dict[str, subprocess.CompletedProcess[str]]:
    """Run every script with ``--demo --seconds 3`` and the notebook, all at once."""
    work = tmp_path_factory.mktemp("examples")
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "BINANCE_OPTIONS_WS_DEMO": "1",
        "BINANCE_OPTIONS_WS_SECONDS": SECONDS,
    }
    env.pop("MPLBACKEND", None)  # the kernel's own inline backend draws the figures
    jobs = {
        script.name: [sys.executable, str(script), "--demo", "--seconds", SECONDS]
        for script in SCRIPTS
    }
    jobs["record_csv.py"] += ["--output", str(work / "trades.csv")]  # not into the source tree
    copy = work / "copy"  # a copy of record_csv.py run without --output, to see its default
    copy.mkdir()
    for name in ("record_csv.py", "_common.py"):
        shutil.copy(EXAMPLES / name, copy / name)
    default = [sys.executable, str(copy / "record_csv.py"), "--demo", "--seconds", SECONDS]
    jobs[_DEFAULT_OUTPUT] = default
    jobs[NOTEBOOK.name] = [
        sys.executable, "-c", _NOTEBOOK_RUNNER, str(NOTEBOOK), str(work / "executed.ipynb"),
    ]  # fmt: skip
    jobs[SMILE.name] = [
        sys.executable, "-c", _NOTEBOOK_RUNNER, str(SMILE), str(work / "smile.ipynb"),
    ]  # fmt: skip
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(_run, argv, work, env) for name, argv in jobs.items()}
        done = {name: future.result() for name, future in futures.items()}
    for executed in ("executed.ipynb", "smile.ipynb"):
        path = work / executed
        done[executed] = subprocess.CompletedProcess(
            [], 0, path.read_text() if path.exists() else ""
        )
    written = {
        "trades.csv": work / "trades.csv",
        "output/trades.csv": copy / "output" / "trades.csv",
    }
    for name, path in written.items():
        done[name] = subprocess.CompletedProcess([], 0, path.read_text() if path.exists() else "")
    return done


def test_every_script_has_an_expected_event_line() -> None:
    assert sorted(EVENT_LINE) == [script.name for script in SCRIPTS]


@pytest.mark.parametrize("script", [script.name for script in SCRIPTS])
def test_example_prints_events_and_exits_0(
    results: Dict[str, subprocess.CompletedProcess[str]], script: str
) -> None:
    done = results[script]
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    pattern = re.compile(EVENT_LINE[script])
    lines = [line for line in done.stdout.splitlines() if pattern.search(line)]
    assert lines, f"no event line in the output of {script}:\n{done.stdout[:2000]}"
    assert "[demo]" in done.stderr  # it said that it runs offline


def test_record_csv_writes_a_header_and_rows(
    results: Dict[str, subprocess.CompletedProcess[str]],
) -> None:
    rows = results["trades.csv"].stdout.splitlines()
    assert rows[0].startswith("symbol,trade_id,price,quantity,")
    assert len(rows) > 1


def test_record_csv_writes_by_default_to_a_folder_git_ignores(
    results: Dict[str, subprocess.CompletedProcess[str]],
) -> None:
    done = results[_DEFAULT_OUTPUT]
    assert done.returncode == 0, done.stderr[-2000:]
    rows = results["output/trades.csv"].stdout.splitlines()  # output/ beside the script
    assert rows[0].startswith("symbol,trade_id,price,quantity,")
    assert "examples/output/" in (EXAMPLES.parent / ".gitignore").read_text().splitlines()
    assert not list(EXAMPLES.glob("*.csv")), "an example's output is in the source tree"


def test_order_book_syncs_and_never_loses_an_update(
    results: Dict[str, subprocess.CompletedProcess[str]],
) -> None:
    out, err = results["order_book.py"].stdout, results["order_book.py"].stderr
    assert re.search(r"BTC-\d{6}-\d+-C: in sync at update \d+", out), out[:2000]
    rows = re.findall(r"  update (\d+)  bids .*; (\d+) resyncs\)", out)
    assert len(rows) >= 2, out[:2000]
    ids = [int(update) for update, _ in rows]
    assert ids == sorted(ids)
    assert ids[-1] > ids[0]  # the book moves forward
    assert all(resyncs == "0" for _, resyncs in rows), err  # on loopback nothing goes missing


def test_the_notebook_runs_headless_and_plots(
    results: Dict[str, subprocess.CompletedProcess[str]],
) -> None:
    done = results[NOTEBOOK.name]
    assert done.returncode == 0, done.stderr[-3000:]
    notebook = nbformat.reads(results["executed.ipynb"].stdout, as_version=4)
    outputs = [o for cell in notebook["cells"] for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    counts = re.search(r"(\d+) index prices, (\d+) mark prices", text)
    assert counts, text
    assert int(counts.group(1)) > 0
    assert int(counts.group(2)) > 0


def test_the_iv_smile_notebook_plots_the_chain_of_the_fake_exchange(
    results: Dict[str, subprocess.CompletedProcess[str]],
) -> None:
    done = results[SMILE.name]
    assert done.returncode == 0, done.stderr[-3000:]
    notebook = nbformat.reads(results["smile.ipynb"].stdout, as_version=4)
    outputs = [o for cell in notebook["cells"] for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "ready: True" in text, text
    found = re.search(r"(\d+) strikes, at the money (\d+)", text)
    assert found, text
    assert int(found.group(1)) > 3


@pytest.mark.parametrize("path", [NOTEBOOK, SMILE], ids=lambda p: p.name)
def test_the_notebook_is_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook["cells"]:
        assert not cell.get("outputs"), "clear the notebook's outputs before committing it"
        assert cell.get("execution_count") is None
