"""Linking through the Python API: planted transformations, the numpy/scipy reference in
tests/reference/linking.json, DataFrames of items and typed errors."""

from __future__ import annotations

import json

import bagdar
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

REFERENCE = json.loads((ROOT / "tests" / "reference" / "linking.json").read_text(encoding="utf-8"))

BASE = [
    {"type": "2pl", "slope": 1.2, "intercept": 0.5},
    {"type": "2pl", "slope": 0.8, "intercept": -0.7},
    {"type": "3pl", "slope": 1.5, "intercept": -0.3, "guessing": 0.2},
    {"type": "grm", "slope": 1.3, "intercepts": [2.0, 0.4, -1.2]},
    {"type": "gpcm", "slope": 1.0, "intercepts": [0.8, 0.9, -0.2]},
]


def planted(a: float, b: float) -> list[dict]:
    """BASE as a calibration on a scale with theta_base = a * theta_new + b gives it."""
    inverse = bagdar.Linking("mean_mean", 1.0 / a, -b / a, None, 0, 0, True)
    return inverse.transform(BASE)


@pytest.mark.parametrize("method", ["mean_mean", "mean_sigma", "stocking_lord", "haebara"])
def test_planted_transformation_is_recovered(method: str) -> None:
    new = planted(1.3, -0.4)
    result = bagdar.link(BASE, new, method)
    assert result.method == method
    assert abs(result.A - 1.3) < 1e-8
    assert abs(result.B + 0.4) < 1e-8
    assert result.converged and result.common_items == 5
    assert (result.criterion is None) == method.startswith("mean")
    # Moving the new-form items back gives the base parameters.
    for moved, original in zip(result.transform(new), BASE):
        assert moved["type"] == original["type"]
        assert abs(moved["slope"] - original["slope"]) < 1e-8
    np.testing.assert_allclose(result.theta([0.0, 1.0]), [result.B, result.A + result.B])


def test_matches_the_numpy_scipy_reference() -> None:
    tolerance = REFERENCE["tolerance"]
    for case in REFERENCE["cases"]:
        for key, want in case["results"].items():
            symmetric = key.endswith("_symmetric")
            method = key.removesuffix("_symmetric") if symmetric else key
            got = bagdar.link(case["base"], case["new"], method, symmetric=symmetric)
            assert abs(got.A - want["slope"]) < tolerance, (case["name"], key)
            assert abs(got.B - want["intercept"]) < tolerance, (case["name"], key)
            if got.criterion is not None:
                assert abs(got.criterion - want["criterion"]) < tolerance


def test_dataframes_of_items_link_and_transform() -> None:
    # Two 2PL calibrations of the same 10 items from populations N(0, 1) and
    # N(0.5, 1.2^2) on one scale: theta_base = 1.2 * theta_new + 0.5.
    rng = np.random.default_rng(3)
    slopes = np.linspace(0.8, 1.8, 10)
    intercepts = np.linspace(1.5, -1.5, 10)
    columns = [f"q{i}" for i in range(10)]

    def calibrated(mean: float, sd: float) -> bagdar.Calibration:
        theta = rng.normal(mean, sd, 4000)
        p = 1.0 / (1.0 + np.exp(-(theta[:, None] * slopes + intercepts)))
        data = (rng.random(p.shape) < p).astype(float)
        return bagdar.fit(pd.DataFrame(data, columns=columns), "2pl")

    base, new = calibrated(0.0, 1.0), calibrated(0.5, 1.2)
    result = bagdar.link(base.items, new.items, "stocking_lord")
    assert abs(result.A - 1.2) < 0.12
    assert abs(result.B - 0.5) < 0.12
    # A Calibration works as well as its items table.
    assert abs(bagdar.link(base, new, "stocking_lord").A - result.A) < 1e-12
    moved = result.transform(new.items)
    assert list(moved.index) == columns and list(moved.columns) == ["model", "a", "d", "b"]
    np.testing.assert_allclose(moved["a"], new.items["a"] / result.A)
    np.testing.assert_allclose(moved["b"], result.A * new.items["b"] + result.B)
    # On the base scale the new form's estimates are close to the base form's.
    assert float(np.abs(moved["b"] - base.items["b"]).mean()) < 0.15


def test_rasch_items_become_1pl_when_a_is_not_one() -> None:
    frame = pd.DataFrame(
        {"model": ["rasch", "rsm"], "a": [1.0, 1.0], "d": [0.5, np.nan], "c": [np.nan, 0.2]}
    ).assign(t1=[np.nan, -0.5], t2=[np.nan, 0.5])
    moved = bagdar.Linking("haebara", 2.0, 1.0, 0.0, 2, 3, True).transform(frame)
    assert list(moved["model"]) == ["1pl", "gpcm"]
    assert moved["a"].tolist() == [0.5, 0.5]
    assert moved.loc[0, "b"] == pytest.approx(2.0 * -0.5 + 1.0)


def test_bad_inputs_raise_typed_errors() -> None:
    with pytest.raises(bagdar.SettingsError, match="stocking_lord"):
        bagdar.link(BASE, BASE, "equipercentile")
    with pytest.raises(bagdar.InstrumentError, match="common item #0") as info:
        bagdar.link(BASE, BASE[::-1], "haebara")
    assert info.value.code == "common_item_mismatch"
    with pytest.raises(bagdar.InstrumentError, match="at least 2 common items"):
        bagdar.link(BASE[:1], BASE[:1], "mean_sigma")
    with pytest.raises(bagdar.InstrumentError) as info:
        bagdar.link(BASE, BASE[:3], "mean_mean")
    assert info.value.code == "common_item_count"
    flat = [{"type": "2pl", "slope": 1.0, "intercept": 0.3}] * 3
    with pytest.raises(bagdar.InstrumentError) as info:
        bagdar.link(flat, flat, "mean_sigma")
    assert info.value.code == "zero_difficulty_spread"
