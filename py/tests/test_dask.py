"""bagdar.dask on a two-worker LocalCluster: distributed scoring equals local scoring
exactly; distributed calibration (E-step per partition, counts merged in partition
order) equals local bagdar.fit within 1e-6."""

from __future__ import annotations

import pickle

import bagdar
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from test_api import LSAT7, lsat7_data

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")

import bagdar.dask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    # Separate worker processes: counts and instruments really travel pickled. Loopback
    # only, no dashboard.
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def lsat7_frame() -> pd.DataFrame:
    data = lsat7_data()
    # Shuffle so that every partition holds a mix of patterns.
    order = np.random.default_rng(7).permutation(len(data))
    return pd.DataFrame(data[order], columns=[f"Item.{i}" for i in range(1, 6)])


@pytest.fixture(scope="module")
def realistic(demo_path) -> pd.DataFrame:
    """The realistic scale of the demo responses (1200 students, with missing answers)
    coded to model categories: eight 5-category graded items."""
    ins = bagdar.Instrument.load(demo_path)
    raw = pd.read_csv(ROOT / "data" / "demo" / "responses.csv", nrows=1200)
    codes = pd.DataFrame(ins.code(raw), columns=ins.item_ids)
    return codes[[i for i in ins.item_ids if ins.items.loc[i, "scale"] == "realistic"]]


def assert_same_fit(distributed_fit: bagdar.Calibration, local: bagdar.Calibration) -> None:
    assert distributed_fit.status == local.status == "converged"
    assert abs(distributed_fit.log_likelihood - local.log_likelihood) < 1e-6
    a = distributed_fit.items.select_dtypes("number").to_numpy()
    b = local.items.select_dtypes("number").to_numpy()
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert distributed_fit.parameters == local.parameters
    assert list(distributed_fit.items.index) == list(local.items.index)


def test_expected_counts_pickle_exactly() -> None:
    counts = bagdar.dask.ExpectedCounts.compute(
        bagdar._models_json(LSAT7), lsat7_data()[:300], 0.1, 1.2
    )
    back = pickle.loads(pickle.dumps(counts))
    assert back.to_bytes() == counts.to_bytes()
    assert back.log_likelihood == counts.log_likelihood < 0
    assert back.persons == 300
    summary = bagdar.dask.DataSummary.from_data(lsat7_data())
    assert pickle.loads(pickle.dumps(summary)).to_bytes() == summary.to_bytes()
    with pytest.raises(bagdar.SettingsError, match="truncated"):
        bagdar.dask.ExpectedCounts.from_bytes(counts.to_bytes()[:-3])
    with pytest.raises(bagdar.SettingsError, match="tag"):
        bagdar.dask.ExpectedCounts.from_bytes(summary.to_bytes())


def test_partition_counts_merge_to_the_whole() -> None:
    data = lsat7_data()
    models = bagdar._models_json(LSAT7)
    whole = bagdar.dask.ExpectedCounts.compute(models, data)
    parts = [bagdar.dask.ExpectedCounts.compute(models, p) for p in np.array_split(data, 3)]
    merged = parts[0].merge(parts[1]).merge(parts[2])
    assert merged.persons == whole.persons == 1000
    assert abs(merged.log_likelihood - whole.log_likelihood) < 1e-9
    np.testing.assert_allclose(merged.node_totals, whole.node_totals, atol=1e-9)
    with pytest.raises(bagdar.SettingsError, match="cannot merge"):
        whole.merge(bagdar.dask.ExpectedCounts.compute(bagdar._models_json(LSAT7[:4]), data[:, :4]))


def test_distributed_scoring_equals_local_exactly(client, lsat7_frame, demo_path) -> None:
    ddf = dd.from_pandas(lsat7_frame, npartitions=4)
    for method in ("eap", "map", "wle"):
        got = bagdar.dask.score(ddf, LSAT7, method).compute()
        want = bagdar.score(lsat7_frame, LSAT7, method)
        np.testing.assert_array_equal(got["theta"].to_numpy(), want["theta"].to_numpy())
        np.testing.assert_array_equal(got["se"].to_numpy(), want["se"].to_numpy())
        assert list(got["status"]) == list(want["status"])
        assert list(got.index) == list(want.index)
    # A whole battery with an Instrument (pickled to the workers), raw answers.
    ins = bagdar.Instrument.load(demo_path)
    raw = pd.read_csv(ROOT / "data" / "demo" / "responses.csv", nrows=600)
    got = bagdar.dask.score(dd.from_pandas(raw, npartitions=3), ins).compute()
    want = bagdar.score(raw, ins)
    assert list(got.columns) == list(want.columns)
    for column in want.columns:
        if column.endswith("_status"):
            assert list(got[column]) == list(want[column])
        else:
            np.testing.assert_array_equal(got[column].to_numpy(), want[column].to_numpy())


def test_distributed_calibration_equals_local_fit(client, lsat7_frame) -> None:
    ddf = dd.from_pandas(lsat7_frame, npartitions=4)
    got = bagdar.dask.fit(ddf, "2pl")
    assert_same_fit(got, bagdar.fit(lsat7_frame, "2pl"))
    # Deterministic: the same partitions give the same bits.
    again = bagdar.dask.fit(ddf, "2pl")
    assert again.log_likelihood == got.log_likelihood
    assert again.models == got.models


def test_distributed_graded_calibration_with_missing_answers(client, realistic) -> None:
    assert realistic.isna().any().any()
    got = bagdar.dask.fit(dd.from_pandas(realistic, npartitions=3), "grm")
    assert_same_fit(got, bagdar.fit(realistic, "grm"))


def test_distributed_calibration_with_priors_and_standard_errors(client, lsat7_frame) -> None:
    settings = {"slope_prior": (0.0, 0.5), "quadrature": (41, -5.0, 5.0), "se": True}
    got = bagdar.dask.fit(dd.from_pandas(lsat7_frame, npartitions=2), "2pl", **settings)
    local = bagdar.fit(lsat7_frame, "2pl", **settings)
    assert_same_fit(got, local)
    np.testing.assert_allclose(got.se.to_numpy(), local.se.to_numpy(), atol=1e-6)


def test_an_error_in_the_e_step_propagates() -> None:
    summary = bagdar.dask.DataSummary.from_data(lsat7_data())

    def e_step(models_json: str, mean: float, sd: float):
        raise KeyError("worker lost")

    with pytest.raises(KeyError, match="worker lost"):
        bagdar._bagdar.calibrate_with(summary, e_step, None)
