"""Warm kernels: one kernel runs notebook after notebook, each seeing only its own outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from rencontres_lib import execution


def _notebook(path: Path, cells: list[str]) -> Path:
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def _texts(path: Path) -> list[list[str]]:
    nb = nbformat.read(path, as_version=4)
    return [[o.get("text", o.get("ename", "")) for o in c.get("outputs", [])] for c in nb.cells]


def test_a_notebook_after_a_failed_one_has_only_its_own_outputs(tmp_path):
    """Before, a notebook run after a failed one in the same kernel could show IPython's
    « ERROR! Session/line number was not unique in database » in its first cell (2 runs in 3)."""
    bad = _notebook(
        tmp_path / "bad.ipynb", ["x = 1", "secret = 'A'\nprint('bad')\nraise ValueError"]
    )
    good = _notebook(
        tmp_path / "good.ipynb", ["x = 1", "print('good', x)", "print('secret' in dir())"]
    )
    kernel = execution.WarmKernel(tmp_path)
    kernel.start()
    try:
        for round in range(2):
            try:
                kernel.run(bad, tmp_path / f"out_bad{round}.ipynb", {"x": 2})
            except Exception as exc:  # noqa: BLE001 - the failing cell is the point
                assert type(exc).__name__ == "PapermillExecutionError"
            assert kernel.execute("y = 5")  # a side task between two notebooks
            kernel.run(good, tmp_path / f"out_good{round}.ipynb", {"x": 3})
            texts = _texts(tmp_path / f"out_good{round}.ipynb")
            # the injected parameters cell, x = 1, then the two prints: nothing else anywhere
            assert [t for t in texts if t] == [["good 3\n"], ["False\n"]]
    finally:
        kernel.shutdown()
