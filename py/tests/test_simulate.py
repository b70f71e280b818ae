"""bagdar.simulate: seeded item responses and whole cohorts, as the engine draws them."""

import bagdar
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

ITEMS = [{"type": "2pl", "slope": 1.5, "intercept": d} for d in np.linspace(-1, 1, 8)]


def test_item_responses_are_seeded_and_recover_the_items():
    data, theta = bagdar.simulate(ITEMS, 4000, seed=3)
    again, theta_again = bagdar.simulate(ITEMS, 4000, seed=3)
    pd.testing.assert_frame_equal(data, again)
    np.testing.assert_array_equal(theta, theta_again)
    assert not bagdar.simulate(ITEMS, 4000, seed=4)[0].equals(data)
    assert list(data.columns) == [f"item{i}" for i in range(1, 9)]
    assert set(np.unique(data.to_numpy())) == {0.0, 1.0}
    assert abs(theta.mean()) < 0.06 and abs(theta.std() - 1) < 0.05
    fit = bagdar.fit(data)
    np.testing.assert_allclose(fit.items["a"], 1.5, atol=0.2)
    # A calibration's items simulate with its item ids; missing responses are NaN.
    sparse, _ = bagdar.simulate(fit, 500, seed=1, missing=0.3, mean=1.0)
    assert list(sparse.columns) == fit.item_ids
    assert 0.25 < sparse.isna().mean().mean() < 0.35


def test_a_cohort_is_the_cli_file():
    instrument = bagdar.Instrument.load(ROOT / "data/instruments/kasip-demo.json")
    frame, truth = bagdar.simulate(instrument, 300, seed=20261123, malformed_rows=True)
    assert list(frame.columns[:4]) == ["student_id", "region", "school", "language"]
    assert len(frame) == 307 and len(truth) == 300
    assert list(truth.columns) == instrument.scales
    # The same students as the bundled demo file, which `bagdar simulate` wrote with
    # this seed (its first rows come before any malformed row).
    demo = pd.read_csv(ROOT / "data/demo/responses.csv", nrows=20, dtype={"student_id": str})
    pd.testing.assert_frame_equal(frame.iloc[:20].reset_index(drop=True), demo, check_dtype=False)
    # The first malformed row (an out-of-range answer) comes after 300/8 students.
    scores = bagdar.decide(frame.iloc[:30], instrument)
    assert len(scores) == 30
    with pytest.raises(bagdar.ResponseDataError):
        bagdar.decide(frame.iloc[:40], instrument)


def test_bad_simulation_settings_raise():
    with pytest.raises(bagdar.BagdarError):
        bagdar.simulate(ITEMS, 10, sd=-1.0)
    with pytest.raises(bagdar.BagdarError):
        bagdar.simulate(ITEMS, 10, missing=1.5)
    with pytest.raises(bagdar.BagdarError, match="do not fit in memory"):
        bagdar.simulate(ITEMS, 2**60, seed=1)
