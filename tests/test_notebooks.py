"""The teaching notebooks: each runs top to bottom in a fresh Jupyter kernel, and is committed executed.

Every `notebooks/*.ipynb` is picked up by the glob, so a new notebook is tested without editing
this file. The kernel runs in an empty temporary directory, so a notebook that writes files
fails here instead of littering the repository.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path

import pytest
from components import require

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

#: Seconds a notebook may take from kernel start to its last cell (the README promises under a minute).
TIME_LIMIT = 60.0
#: Seconds any single cell may take before nbclient stops it.
CELL_TIMEOUT = 120
#: Bytes a committed notebook may have: a few plots and drawings, not a pile of base64.
MAX_BYTES = 1_500_000


def test_the_notebooks_are_found():
    # Without this an empty glob would turn the parametrized tests below into a silent skip.
    assert len(NOTEBOOKS) >= 3, f"expected the teaching notebooks in {ROOT / 'notebooks'}, found {NOTEBOOKS}"


def _jupyter_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("nbclient", "nbformat", "ipykernel"))


def _kernel_env() -> dict[str, str]:
    """The environment for the kernel: this repository first on the path, so it imports this autograd."""
    path = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_a_fresh_kernel(path: Path, tmp_path: Path):
    require(_jupyter_available(), "nbclient, nbformat and ipykernel are needed to run the notebooks")
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from nbclient import NotebookClient

    try:
        KernelSpecManager().get_kernel_spec("python3")
        found = True
    except NoSuchKernel:
        found = False
    require(found, "no `python3` Jupyter kernel spec (pip install ipykernel)")

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # the committed outputs must not leak into this run's checks
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.perf_counter()
    client.execute(env=_kernel_env())  # raises CellExecutionError, with the traceback, on any error
    seconds = time.perf_counter() - start

    assert seconds < TIME_LIMIT, f"{path.name} took {seconds:.1f} s to run (limit {TIME_LIMIT:g} s)"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code), "a code cell was not run"
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == [], f"{path.name} wrote files into its working directory: {written}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_with_its_outputs(path: Path):
    # Read as plain JSON: this check needs no Jupyter packages, so it runs everywhere.
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    assert code, f"{path.name} has no code cells"
    counts = [cell["execution_count"] for cell in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: execution counts are {counts}; run it top to bottom in a fresh kernel and "
        "save it with its outputs"
    )
    assert any(cell["outputs"] for cell in code), f"{path.name} is saved without outputs"
    errors = [
        f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
        for i, cell in enumerate(code)
        for out in cell["outputs"]
        if out["output_type"] == "error"
    ]
    assert errors == [], f"{path.name} is saved with errors: {errors}"
    size = path.stat().st_size
    assert size < MAX_BYTES, f"{path.name} is {size:,} bytes (limit {MAX_BYTES:,}); shrink its outputs"
