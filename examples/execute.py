"""Re-executes the tour notebook in place (outputs saved), from the repository root:

    .venv/bin/python examples/execute.py

Needs the ``plot`` and ``dask`` extras, nbclient, nbformat and ipykernel.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent / "bagdar-tour.ipynb"

if __name__ == "__main__":
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    nbformat.write(notebook, NOTEBOOK)
    print(f"executed {NOTEBOOK.name} in {time.perf_counter() - start:.1f} s")
