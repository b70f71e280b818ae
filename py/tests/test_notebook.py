"""The tour notebook (examples/bagdar-tour.ipynb) runs from top to bottom without an
error, so it never rots; it is executed from scratch, not read from its saved outputs."""

from __future__ import annotations

import pytest
from conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = ROOT / "examples" / "bagdar-tour.ipynb"


def outputs(notebook) -> str:
    text = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            text.append(output.get("text", ""))
            text.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(text)


def test_the_tour_notebook_executes() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError with the cell and traceback
    text = outputs(notebook)
    assert "log-likelihood -2658.805 (mirt: -2658.805)" in text
    assert "ResponseDataError - person 1250, item RE01" in text
    assert "scores equal: True" in text
    images = sum(
        "image/png" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", [])
    )
    assert images >= 4
