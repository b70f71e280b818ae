"""The golden cases of tests/golden, reproduced through the Python package (the Rust
tests in core/tests/golden.rs read the same files with the same tolerances)."""

from __future__ import annotations

import math

import bagdar
import numpy as np
import pytest
from conftest import golden_cases

CASES = golden_cases()
# EAP is compared with the exact integral: a grid wide and fine enough (tests/golden/README.md).
EXACT_EAP_GRID = (201, -10.0, 10.0)


def _data(case: dict) -> np.ndarray:
    return np.array(
        [[np.nan if x is None else x for x in row] for row in case["patterns"]], dtype=float
    )


def _models(case: dict) -> list[dict]:
    return [item["model"] for item in case["items"]]


def _prior(case: dict) -> tuple[float, float]:
    return case["prior"]["mean"], case["prior"]["sd"]


def _grid(case: dict) -> tuple[int, float, float]:
    q = case["quadrature"]
    return q["points"], q["min"], q["max"]


@pytest.mark.parametrize("name,case", CASES, ids=[n for n, _ in CASES])
@pytest.mark.parametrize("method", ["eap", "map", "ml", "wle"])
def test_point_estimates(name: str, case: dict, method: str) -> None:
    grid = EXACT_EAP_GRID if method == "eap" else _grid(case)
    out = bagdar.score(_data(case), _models(case), method, quadrature=grid, prior=_prior(case))
    expected = case["expected"][method]
    tol = expected["tolerance"]
    statuses = expected.get("status")
    compared = 0
    for p, (theta, se) in enumerate(zip(expected["theta"], expected["se"])):
        if statuses is not None:
            assert out["status"][p] == statuses[p], f"{name} {method} pattern {p}"
        if theta is None:
            assert math.isnan(out["theta"][p]) and out["status"][p] != "ok"
            continue
        assert abs(out["theta"][p] - theta) <= tol, f"{name} {method} pattern {p}"
        assert abs(out["se"][p] - se) <= tol, f"{name} {method} pattern {p}"
        compared += 1
    assert compared > 0


@pytest.mark.parametrize("name,case", CASES, ids=[n for n, _ in CASES])
def test_sum_score_tables(name: str, case: dict) -> None:
    table = bagdar.eapsum_table(_models(case), quadrature=_grid(case), prior=_prior(case))
    expected = case["expected"]["eap_sum"]
    tol = expected["tolerance"]
    assert list(table.index) == expected["sum"]
    np.testing.assert_allclose(table["theta"], expected["theta"], rtol=0, atol=tol)
    np.testing.assert_allclose(table["se"], expected["se"], rtol=0, atol=tol)
    assert abs(table["probability"].sum() - 1.0) < 1e-12
    published = case.get("published", {}).get("eap_sum")
    if published:
        rows = table.loc[published["sum"]]
        np.testing.assert_allclose(rows["theta"], published["theta"], atol=published["tolerance"])
        np.testing.assert_allclose(rows["se"], published["se"], atol=published["tolerance"])
