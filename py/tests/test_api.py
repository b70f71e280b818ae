"""The Python API: instruments, DataFrames in and out, seeded plausible values, errors."""

from __future__ import annotations

import threading

import bagdar
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

LSAT7 = [
    {"type": "2pl", "slope": a, "intercept": d}
    for a, d in zip([0.988, 1.081, 1.706, 0.7651, 0.7358], [1.8561, 0.808, 1.8043, 0.486, 1.8545])
]


def test_instrument_properties(demo_path) -> None:
    ins = bagdar.Instrument.load(demo_path)
    assert len(ins.checksum) == 64
    assert ins.scales[:2] == ["realistic", "investigative"]
    assert len(ins.item_ids) == 104
    items = ins.items
    assert items.loc["VR01", "model"] == "3pl"
    assert items.loc["RE01", "scale"] == "realistic"
    assert ins.definition["demonstration"] is True
    # Layout does not change the checksum; content does.
    same = bagdar.Instrument.from_json(demo_path.read_text(encoding="utf-8").replace("\n", " "))
    assert same.checksum == ins.checksum


def test_battery_scores_a_dataframe_by_item_id(demo_path) -> None:
    ins = bagdar.Instrument.load(demo_path)
    df = pd.read_csv(ROOT / "data" / "demo" / "responses.csv", nrows=300, dtype={"language": str})
    df = df[df["student_id"].str.startswith("S")].set_index("student_id")
    shuffled = df[list(reversed(df.columns))]  # column order must not matter
    out = bagdar.score(shuffled, ins)
    assert list(out.index[:2]) == ["S0000001", "S0000002"]
    assert out.shape[1] == 3 * 12
    assert out.attrs["instrument_checksum"] == ins.checksum
    # Same first student as the CLI writes (data/demo, EAP, printed with 6 decimals).
    assert abs(out.loc["S0000001", "realistic_theta"] - 0.217563) < 5e-7
    assert (out.filter(like="_status") == "ok").all().all()
    coded = ins.code(df.iloc[:1])
    assert np.nanmax(coded) <= 4 and np.nanmin(coded) >= 0


def test_methods_and_statuses() -> None:
    data = np.array([[0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [1, 0, 1, np.nan, 1]])
    ml = bagdar.score(data, LSAT7, "ml")
    assert list(ml["status"]) == ["all_minimum", "all_maximum", "ok"]
    assert np.isnan(ml["theta"][0]) and np.isfinite(ml["theta"][2])
    wle = bagdar.score(data, LSAT7, "wle")
    assert np.isfinite(wle["theta"]).all()
    assert wle["theta"][0] < wle["theta"][2] < wle["theta"][1]
    observed = bagdar.score(data, LSAT7, "map", standard_error="observed")
    expected = bagdar.score(data, LSAT7, "map")
    # For 2PL items observed and expected information coincide.
    np.testing.assert_allclose(observed["se"], expected["se"], rtol=1e-12)


def test_plausible_values_are_seeded() -> None:
    data = np.tile([1.0, 0, 1, 1, 0], (3, 1))
    a = bagdar.plausible_values(data, LSAT7, draws=2000, seed=11)
    b = bagdar.plausible_values(data, LSAT7, draws=2000, seed=11)
    assert a.shape == (3, 2000)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[0], a[1])
    eap = bagdar.score(data[:1], LSAT7)
    assert abs(a[0].mean() - eap["theta"][0]) < 4 * eap["se"][0] / np.sqrt(2000)


def test_heavy_calls_run_in_threads() -> None:
    rng = np.random.default_rng(3)
    data = (rng.random((20_000, 5)) < 0.7).astype(float)
    results: list[pd.DataFrame] = []
    threads = [
        threading.Thread(target=lambda: results.append(bagdar.score(data, LSAT7))) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    pd.testing.assert_frame_equal(results[0], results[1])


def test_errors_are_typed_and_say_where(demo_path) -> None:
    assert issubclass(bagdar.InstrumentError, bagdar.BagdarError)
    assert issubclass(bagdar.BagdarError, ValueError)
    with pytest.raises(bagdar.InstrumentError, match="format_version"):
        bagdar.Instrument.from_json("{}")
    with pytest.raises(bagdar.InstrumentError, match="slope"):
        bagdar.score(np.zeros((1, 1)), [{"type": "2pl", "slope": -1.0, "intercept": 0.0}])
    with pytest.raises(bagdar.InstrumentError):
        bagdar.score(np.zeros((1, 1)), [{"type": "2pl", "slope": float("nan"), "intercept": 0}])
    with pytest.raises(bagdar.ResponseDataError, match="person 1, item 2: response 2"):
        bagdar.score(np.array([[0, 1, 1, 0, 1], [1, 1, 2, 0, 0]]), LSAT7)
    with pytest.raises(bagdar.ResponseDataError):
        bagdar.score(np.array([[0.5, 1, 1, 0, 1]]), LSAT7)
    with pytest.raises(bagdar.ResponseDataError, match="5 items"):
        bagdar.score(np.zeros((2, 4)), LSAT7)
    with pytest.raises(bagdar.ResponseDataError, match="2-D"):
        bagdar.score(np.zeros(5), LSAT7)
    with pytest.raises(
        bagdar.SettingsError, match="unknown variant `bayes`, expected one of `eap`"
    ):
        bagdar.score(np.zeros((1, 5)), LSAT7, method="bayes")
    with pytest.raises(bagdar.SettingsError, match="sd"):
        bagdar.score(np.zeros((1, 5)), LSAT7, prior=(0.0, 0.0))
    ins = bagdar.Instrument.load(demo_path)
    bad = np.full((1, 104), np.nan)
    bad[0, 0] = 9
    with pytest.raises(
        bagdar.ResponseDataError, match=r"RE01: answer 9 is not one of the options 1\.\.5"
    ):
        bagdar.score(bad, ins)
    with pytest.raises(bagdar.ResponseDataError, match="have no column"):
        bagdar.score(pd.DataFrame({"RE01": [1]}), ins)
    with pytest.raises(OSError):
        bagdar.Instrument.load(ROOT / "no-such-file.json")


def test_checksums_equal_the_native_engine() -> None:
    import json

    surfaces = json.loads((ROOT / "tests/golden/surfaces/checksums.json").read_text())
    for path, checksum in surfaces["instruments"].items():
        assert bagdar.Instrument.load(ROOT / path).checksum == checksum


LSAT7_FREQUENCIES = [12, 19, 1, 7, 3, 19, 3, 17, 10, 5, 3, 7, 7, 23, 8, 28]
LSAT7_FREQUENCIES += [7, 39, 11, 34, 14, 51, 15, 90, 6, 25, 7, 35, 18, 136, 32, 308]


def lsat7_data() -> np.ndarray:
    rows = []
    for pattern, count in enumerate(LSAT7_FREQUENCIES):
        rows += [[(pattern >> (4 - i)) & 1 for i in range(5)]] * count
    return np.array(rows, dtype=float)


def test_fit_lsat7_matches_r_mirt() -> None:
    # R mirt 2PL on LSAT7 (values quoted in issue 4): a, d and the log-likelihood.
    data = pd.DataFrame(lsat7_data(), columns=[f"Item.{i}" for i in range(1, 6)])
    fit = bagdar.fit(data, "2pl")
    assert fit.converged
    assert abs(fit.log_likelihood - -2658.805) < 0.01
    items = fit.items
    assert list(items.index) == ["Item.1", "Item.2", "Item.3", "Item.4", "Item.5"]
    np.testing.assert_allclose(items["a"], [0.988, 1.081, 1.706, 0.7651, 0.7358], atol=2e-3)
    np.testing.assert_allclose(items["d"], [1.8561, 0.808, 1.8043, 0.486, 1.8545], atol=2e-3)
    np.testing.assert_allclose(items["b"], -items["d"] / items["a"])
    # The fitted models score directly.
    scores = bagdar.score(lsat7_data()[:3], fit.models)
    assert scores["status"].eq("ok").all()


def test_fit_models_and_errors() -> None:
    data = lsat7_data()
    rasch = bagdar.fit(data, "rasch")
    assert rasch.converged and (rasch.items["a"] == 1.0).all()
    assert rasch.log_likelihood < bagdar.fit(data, "2pl").log_likelihood
    three = bagdar.fit(data, "3pl", guessing_prior=(5, 17))
    assert "g" in three.items.columns
    with pytest.raises(bagdar.SettingsError):
        bagdar.fit(data, "5pl")
    with pytest.raises(bagdar.ResponseDataError):
        bagdar.fit(np.full((10, 3), 7.0), "2pl")


def test_decide_gives_tiers_consistent_with_probabilities(demo_path) -> None:
    ins = bagdar.Instrument.load(demo_path)
    df = pd.read_csv(ROOT / "data" / "demo" / "responses.csv", nrows=400, index_col="student_id")
    df = df[df.index.str.startswith("S")]
    out, batch = bagdar.decide(df, ins, return_details=True)
    p = out["teacher_p_above_cut"]
    assert ((p >= 0) & (p <= 1)).all()
    expected = np.where(p >= 0.8, "recommended", np.where(p <= 0.2, "not_indicated", "borderline"))
    assert (out["teacher_tier"] == expected).all()
    # Same scale scores as plain scoring, and the same first student as the CLI.
    scores = bagdar.score(df, ins)
    np.testing.assert_array_equal(out["social_theta"], scores["social_theta"])
    assert abs(out.loc["S0000001", "teacher_composite"] - 1.136959) < 5e-7
    quality = batch["classification"][0]
    assert quality["profile"] == "teacher" and 0.8 < quality["expected_accuracy"] <= 1
    # A straight-liner is scored, and flagged.
    straight = pd.DataFrame([[1.0] * 104], columns=ins.item_ids, index=["X"])
    flagged = bagdar.decide(straight, ins, profile=None)
    assert bool(flagged.loc["X", "caution"])
    assert "quality.long_string" in flagged.loc["X", "quality_flags"]
    assert "designer_tier" in flagged.columns
    with pytest.raises(bagdar.SettingsError, match="astronaut"):
        bagdar.decide(df, ins, profile="astronaut")


def test_explanations_render_in_three_languages(demo_path) -> None:
    ins = bagdar.Instrument.load(demo_path)
    df = pd.read_csv(ROOT / "data" / "demo" / "responses.csv", nrows=1, index_col="student_id")
    _, batch = bagdar.decide(df, ins, return_details=True)
    keys = batch["students"][0]["explanations"]
    texts = {lang: bagdar.explain(keys, ins, lang) for lang in ("kk", "ru", "en")}
    assert all(len(t) == len(keys) > 0 for t in texts.values())
    assert texts["kk"] != texts["en"] and "{" not in "".join(texts["ru"])
    assert any(ch in "".join(texts["kk"]) for ch in "әғқңөұүі")
    counselor = bagdar.explain(keys, ins, "en", "counselor")
    assert len(counselor) == len(keys)
    with pytest.raises(bagdar.SettingsError):
        bagdar.explain(keys, ins, "de")


def test_decide_with_norms_and_norm_grouping(demo_path) -> None:
    ins = bagdar.Instrument.load(demo_path)
    df = pd.read_csv(ROOT / "data" / "demo" / "responses.csv", nrows=120, index_col="student_id")
    df = df[df["language"].isin(["kk", "ru", "en"])]
    norms = ROOT / "data" / "norms" / "kasip-demo-norms.json"
    plain = bagdar.decide(df, ins, norms=norms)
    assert plain["teacher_percentile"].between(0, 100).all()
    assert plain["teacher_stanine"].between(1, 9).all()
    # The demo norms have no per-language groups: grouping by language falls back to all.
    grouped = bagdar.decide(df, ins, norms=norms, norm_grouping="language")
    pd.testing.assert_series_equal(plain["teacher_percentile"], grouped["teacher_percentile"])
    with pytest.raises(bagdar.SettingsError, match="DataFrame"):
        bagdar.decide(df.drop(columns="language"), ins, norms=norms, norm_grouping="language")
    with pytest.raises(bagdar.SettingsError):
        bagdar.decide(df, ins, norms=norms, norm_grouping="school")


def test_choose_cut_meets_its_target(demo_path) -> None:
    ins = bagdar.Instrument.load(demo_path)
    df = pd.read_csv(ROOT / "data" / "demo" / "responses.csv", nrows=400, index_col="student_id")
    df = df[df["language"].isin(["kk", "ru", "en"])]
    choice = bagdar.choose_cut(df, ins, "teacher", share_above=0.15)
    assert abs(choice["share_above"] - 0.15) <= 0.01
    composites = bagdar.decide(df, ins)["teacher_composite"]
    assert abs((composites > choice["cut"]).mean() - choice["share_above"]) < 1e-9
    assert 0.5 < choice["expected_accuracy"] <= 1.0
    with pytest.raises(bagdar.SettingsError, match="exactly one"):
        bagdar.choose_cut(df, ins, share_above=0.1, accuracy=0.9)
    with pytest.raises(bagdar.SettingsError):
        bagdar.choose_cut(df, ins, "astronaut", share_above=0.1)
