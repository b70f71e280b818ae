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


def _two_pl_p(theta: np.ndarray, models: list[dict]) -> np.ndarray:
    a = np.array([m["slope"] for m in models])
    d = np.array([m["intercept"] for m in models])
    return 1.0 / (1.0 + np.exp(-(np.outer(theta, a) + d)))


def test_q3_equals_residual_correlations_at_the_eap(lsat7) -> None:
    report = lsat7.local_dependence()
    ids = [f"Item.{i}" for i in range(1, 6)]
    assert list(report["q3"].index) == ids and list(report["q3"].columns) == ids
    # The definition in numpy: residuals x − P(θ̂) at each person's EAP under the fitted
    # population, correlated across persons.
    data = lsat7_data()
    theta = bagdar.score(data, lsat7.models, prior=(lsat7.latent_mean, lsat7.latent_sd))[
        "theta"
    ].to_numpy()
    residuals = data - _two_pl_p(theta, lsat7.models)
    expected = np.corrcoef(residuals, rowvar=False)
    np.testing.assert_allclose(report["q3"].to_numpy(), expected, atol=1e-10)
    off = expected[~np.eye(5, dtype=bool)]
    assert abs(report["q3_mean"] - off.mean()) < 1e-10
    assert abs(report["q3_max_centred"] - (off.max() - off.mean())) < 1e-10
    pairs = report["pairs"]
    assert len(pairs) == 10 and list(pairs.columns[:2]) == ["first", "second"]
    assert pairs.iloc[0]["first"] == "Item.1" and pairs.iloc[0]["second"] == "Item.2"
    assert (pairs["df"] == 1).all() and pairs["p_value"].between(0, 1).all()


def test_local_dependence_flags_a_planted_pair() -> None:
    # A moderate dependence (item 6 copies item 5 for 40% of persons) among 15 items; a
    # stronger one is absorbed into θ (both slopes grow and their Q3 turns negative).
    rng = np.random.default_rng(11)
    n, items = 2000, 15
    theta = rng.normal(size=n)
    p = _two_pl_p(theta, [{"slope": 1.3, "intercept": d} for d in np.linspace(1.5, -1.5, items)])
    data = (rng.random(p.shape) < p).astype(float)
    data[:, 5] = np.where(rng.random(n) < 0.4, data[:, 4], data[:, 5])
    report = bagdar.fit(data, "2pl").local_dependence()
    assert report["q3_max_pair"] == ("item5", "item6")
    assert report["q3_max_centred"] > 0.25
    pairs = report["pairs"].set_index(["first", "second"])
    assert len(pairs) == items * (items - 1) // 2
    assert pairs["chi_square"].idxmax() == ("item5", "item6")
    assert pairs.loc[("item5", "item6"), "cramers_v"] > 0.2
    others = pairs.drop(index=("item5", "item6"))
    assert others["cramers_v"].abs().max() < 0.15


def test_person_fit_lz_follows_its_definition_and_flags_aberrant_rows() -> None:
    models = [{"type": "2pl", "slope": 1.5, "intercept": d} for d in np.linspace(2, -2, 12)]
    rng = np.random.default_rng(3)
    theta = rng.normal(size=300)
    data = (rng.random((300, 12)) < _two_pl_p(theta, models)).astype(float)
    data[0] = (np.arange(12) >= 6).astype(float)  # fails the easy items, passes the hard
    data[1, 3] = np.nan
    table = bagdar.person_fit(data, models, method="wle")
    assert list(table.columns) == ["theta", "lz", "lz_star"]
    np.testing.assert_allclose(
        table["theta"], bagdar.score(data, models, method="wle")["theta"], atol=1e-12
    )
    p = _two_pl_p(table["theta"].to_numpy(), models)
    answered = ~np.isnan(data)
    x = np.where(answered, data, 0.0)
    l0 = np.where(answered, x * np.log(p) + (1 - x) * np.log1p(-p), 0).sum(axis=1)
    mean = np.where(answered, p * np.log(p) + (1 - p) * np.log1p(-p), 0).sum(axis=1)
    var = np.where(answered, p * (1 - p) * np.log(p / (1 - p)) ** 2, 0).sum(axis=1)
    np.testing.assert_allclose(table["lz"], (l0 - mean) / np.sqrt(var), atol=1e-9)
    assert table["lz"].iloc[0] < -3 and table["lz_star"].iloc[0] < -3
    assert table["lz"].iloc[2:].median() > -1
    eap = bagdar.person_fit(data, models, method="eap")
    assert eap["lz_star"].isna().all() and eap["lz"].notna().all()
    with pytest.raises(bagdar.ResponseDataError):
        bagdar.person_fit(data[:, :5], models)
