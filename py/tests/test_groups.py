"""Multi-group calibration and likelihood-ratio DIF through the Python package."""

import bagdar
import numpy as np
import pandas as pd
import pytest


def simulate(seed, n, mean, slopes, intercepts):
    rng = np.random.default_rng(seed)
    theta = rng.normal(mean, 1.0, n)
    p = 1 / (1 + np.exp(-(theta[:, None] * slopes + intercepts)))
    return (rng.random(p.shape) < p).astype(float)


SLOPES = np.array([1.0, 1.3, 0.8, 1.5, 1.1, 0.9, 1.2])
INTERCEPTS = np.linspace(-1.2, 1.2, 7)


@pytest.fixture(scope="module")
def planted():
    """Two groups; item Q4 is harder for "ru" at equal θ."""
    shifted = INTERCEPTS.copy()
    shifted[3] -= 1.0
    data = np.vstack(
        [
            simulate(1, 1200, 0.0, SLOPES, INTERCEPTS),
            simulate(2, 1200, 0.5, SLOPES, shifted),
        ]
    )
    frame = pd.DataFrame(data, columns=[f"Q{i + 1}" for i in range(7)])
    groups = np.repeat(["kk", "ru"], 1200)
    return frame, groups


def test_group_means_are_estimated_on_one_scale(planted):
    frame, groups = planted
    fit = bagdar.fit_groups(frame, groups, free_items=["Q4"], se=True)
    assert fit.converged
    assert list(fit.means.index) == ["kk", "ru"]
    assert fit.means["kk"] == 0.0 and fit.sds["kk"] == 1.0
    assert abs(fit.means["ru"] - 0.5) < 0.15
    items = fit.items
    assert items.index.names == ["group", "item"]
    # Invariant items are the same in both groups; the free one differs by the shift.
    assert items.loc[("kk", "Q1"), "a"] == items.loc[("ru", "Q1"), "a"]
    assert items.loc[("ru", "Q4"), "d"] < items.loc[("kk", "Q4"), "d"] - 0.6
    assert fit.free_items == ["Q4"]
    se = fit.calibration("ru").se
    assert se.loc["Q4", "a"] > 0 and np.isfinite(se.loc["Q1", "d"])
    # A group's items score like any calibration.
    scores = bagdar.score(frame.iloc[:5], fit.calibration("kk").models)
    assert scores["theta"].notna().all()
    assert "GroupCalibration" in repr(fit)


def test_fixed_populations_and_no_free_items_equal_the_single_group_fit(planted):
    frame, groups = planted
    multi = bagdar.fit_groups(frame, groups, estimate_means=False, estimate_sds=False)
    single = bagdar.fit(frame)
    assert abs(multi.log_likelihood - single.log_likelihood) < 1e-6
    np.testing.assert_allclose(
        multi.calibration("ru").items["a"], single.items["a"], rtol=0, atol=1e-4
    )


def test_likelihood_ratio_dif_flags_the_planted_item(planted):
    frame, groups = planted
    table = bagdar.likelihood_ratio_dif(frame, groups, anchors=["Q1", "Q2", "Q3"])
    assert list(table.index) == ["Q4", "Q5", "Q6", "Q7"]
    assert table.loc["Q4", "flagged"]
    assert table.loc["Q4", "score_difference_ru"] < -0.08
    assert (table["df"] == 2).all()
    assert table.attrs["anchors"] == ["Q1", "Q2", "Q3"]
    assert table["p_adjusted"].ge(table["p_value"]).all()
    everything = bagdar.likelihood_ratio_dif(frame, groups)
    assert everything["chi_square"].idxmax() == "Q4"
    # Calibration.dif(method="lr") is the same test (all others as anchors, 2PL).
    pairwise = bagdar.fit(frame).dif(groups, method="lr")
    np.testing.assert_allclose(pairwise["chi_square"], everything["chi_square"], atol=1e-9)


def test_group_errors_are_typed(planted):
    frame, groups = planted
    with pytest.raises(bagdar.ResponseDataError):
        bagdar.fit_groups(frame, groups[:-1])
    with pytest.raises(bagdar.SettingsError):
        bagdar.fit_groups(frame, groups, reference="en")
    with pytest.raises(bagdar.BagdarError):
        bagdar.fit_groups(frame, np.repeat("kk", len(frame)))
    with pytest.raises(bagdar.SettingsError):
        bagdar.fit_groups(frame, groups, free_items=["Q9"])
    with pytest.raises(bagdar.SettingsError):
        bagdar.fit_groups(frame, groups, free_items=list(frame.columns))
    with pytest.raises(bagdar.SettingsError):
        bagdar.likelihood_ratio_dif(frame, groups, anchors=list(frame.columns))
