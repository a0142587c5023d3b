"""The notebooks in ``notebooks/`` run top to bottom (nbclient, a fresh kernel each) on their
small settings, and are stored without outputs."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: seconds one notebook may take (each is written to run in well under half of it)
TIMEOUT = 120


def test_the_four_notebooks_exist():
    names = [p.stem for p in NOTEBOOKS]
    assert names == ["01_quickstart", "02_policy_scenarios", "03_network_evolution",
                     "04_model_vs_paper"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom(path):
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, timeout=TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.perf_counter() - started
    assert elapsed < TIMEOUT
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "a notebook draws a figure"
