"""Model fit, item fit, standard errors and DIF through the Python API, against the
published R mirt values for LSAT7 kept in tests/reference/fit.json."""

from __future__ import annotations

import json

import bagdar
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from test_api import lsat7_data

REFERENCE = json.loads((ROOT / "tests" / "reference" / "fit.json").read_text(encoding="utf-8"))
LSAT7_FIT = next(c for c in REFERENCE["cases"] if c["name"] == "lsat7-2pl-fit")


@pytest.fixture(scope="module")
def lsat7() -> bagdar.Calibration:
    data = pd.DataFrame(lsat7_data(), columns=[f"Item.{i}" for i in range(1, 6)])
    return bagdar.fit(data, "2pl", se=True)


def test_m2_matches_r_mirt(lsat7) -> None:
    m2 = lsat7.m2()
    assert m2["df"] == LSAT7_FIT["m2_df"]
    assert abs(m2["statistic"] - LSAT7_FIT["m2"]) < LSAT7_FIT["m2_tolerance"]
    assert 0 < m2["p_value"] < 1 and m2["rmsea"] >= 0


def test_item_fit_matches_r_mirt(lsat7) -> None:
    table = lsat7.item_fit()
    assert list(table.index) == [f"Item.{i}" for i in range(1, 6)]
    np.testing.assert_allclose(table["S_X2"], LSAT7_FIT["s_x2"], atol=LSAT7_FIT["s_x2_tolerance"])
    assert list(table["df_S_X2"]) == LSAT7_FIT["s_x2_df"]
    assert table[["infit", "outfit"]].gt(0).all().all()


def test_standard_errors_have_the_items_layout(lsat7) -> None:
    se = lsat7.se
    assert list(se.columns) == ["a", "d", "b"]
    assert list(se.index) == list(lsat7.items.index)
    assert (se > 0).all().all()
    # SEs shrink like 1/sqrt(N): the same data twice over gives SE/sqrt(2).
    doubled = bagdar.fit(np.vstack([lsat7_data()] * 2), "2pl", se=True).se
    np.testing.assert_allclose(doubled["a"].to_numpy() * np.sqrt(2), se["a"].to_numpy(), rtol=2e-3)
    assert se.attrs["positive_definite"]
    with pytest.raises(bagdar.SettingsError, match="se=True"):
        _ = bagdar.fit(lsat7_data(), "2pl").se


def test_dif_finds_a_planted_item_across_language_groups() -> None:
    rng = np.random.default_rng(5)
    n = 1500
    slopes = np.full(8, 1.2)
    intercepts = np.linspace(1.0, -1.0, 8)
    groups = np.where(np.arange(2 * n) < n, "kk", "ru")
    theta = rng.standard_normal(2 * n)
    logits = theta[:, None] * slopes + intercepts
    logits[n:, 2] -= 1.0  # item 3 is harder in the ru form
    data = (rng.random(logits.shape) < 1 / (1 + np.exp(-logits))).astype(float)
    fit = bagdar.fit(data, "2pl")
    table = fit.dif(groups)
    assert table.attrs["reference"] == "kk" and table.attrs["focal"] == "ru"
    assert table.loc["item3", "class"] == "C"
    others = table.drop(index="item3")
    assert (others["class"] != "C").all()
    logistic = fit.dif(groups, "kk", "ru", method="logistic")
    assert logistic.loc["item3", "uniform_p_value"] < 1e-6
    with pytest.raises(bagdar.SettingsError):
        fit.dif(groups, "kk", "en")
    with pytest.raises(bagdar.ResponseDataError):
        fit.dif(groups[:10])
    with pytest.raises(bagdar.SettingsError):
        fit.dif(groups, method="sibtest")
