"""bagdar.plot on the Agg backend: what each plot draws is the engine's numbers."""

from __future__ import annotations

import json
import subprocess
import sys

import bagdar
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from test_api import LSAT7, lsat7_data

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import bagdar.plot  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

THETA = np.linspace(-3.0, 3.0, 31)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def demo(demo_path) -> bagdar.Instrument:
    return bagdar.Instrument.load(demo_path)


@pytest.fixture(scope="module")
def lsat7() -> bagdar.Calibration:
    return bagdar.fit(pd.DataFrame(lsat7_data(), columns=[f"Item.{i}" for i in range(1, 6)]))


def core(models, theta=THETA):
    return bagdar._bagdar.item_curves(json.dumps(models), np.asarray(theta, dtype=float))


def test_import_bagdar_does_not_import_matplotlib() -> None:
    code = "import sys, bagdar; assert 'matplotlib' not in sys.modules; import bagdar.plot; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_engine_curves_are_probabilities_and_information() -> None:
    models = [*LSAT7, {"type": "grm", "slope": 1.3, "intercepts": [1.5, 0.0, -1.2]}]
    probabilities, expected, information, test, thresholds = core(models)
    assert probabilities.shape == (6, len(THETA), 4)
    assert np.isnan(probabilities[0, :, 2:]).all()  # 0/1 items have two categories
    np.testing.assert_allclose(np.nansum(probabilities, axis=2), 1.0, atol=1e-12)
    # 2PL: P(1) = σ(aθ + d), I = a²P(1−P), E = P(1).
    a, d = LSAT7[2]["slope"], LSAT7[2]["intercept"]
    p = 1 / (1 + np.exp(-(a * THETA + d)))
    np.testing.assert_allclose(probabilities[2, :, 1], p, rtol=1e-12)
    np.testing.assert_allclose(information[2], a * a * p * (1 - p), rtol=1e-12)
    np.testing.assert_allclose(expected[2], p, rtol=1e-12)
    np.testing.assert_allclose(test, information.sum(axis=0), rtol=1e-12)
    assert thresholds[2] == [pytest.approx(-d / a)]
    assert thresholds[5] == pytest.approx([-1.5 / 1.3, 0.0, 1.2 / 1.3])
    with pytest.raises(bagdar.SettingsError, match="finite"):
        core(LSAT7, [0.0, np.nan])
    with pytest.raises(bagdar.InstrumentError):
        core([{"type": "2pl", "slope": -1.0, "intercept": 0.0}])


def test_item_curves_from_a_calibration_draw_the_engine_iccs(lsat7) -> None:
    ax = bagdar.plot.item_curves(lsat7, theta=THETA)
    assert len(ax.lines) == 5
    probabilities = core(lsat7.models)[0]
    for i, line in enumerate(ax.lines):
        assert line.get_label() == f"Item.{i + 1}"
        np.testing.assert_array_equal(line.get_xdata(), THETA)
        np.testing.assert_array_equal(line.get_ydata(), probabilities[i, :, 1])


def test_item_curves_from_frames_and_instruments_agree(lsat7, demo) -> None:
    # Calibration.items layout round-trips to the same curves.
    by_frame = bagdar.plot.item_curves(lsat7.items, ["Item.3"], theta=THETA)
    by_fit = bagdar.plot.item_curves(lsat7, ["Item.3"], theta=THETA)
    np.testing.assert_array_equal(by_frame.lines[0].get_ydata(), by_fit.lines[0].get_ydata())
    # A polytomous item of the demo instrument: one category curve per category.
    model = demo.items.loc["RE01"]
    ax = bagdar.plot.item_curves(demo, ["RE01"], theta=THETA)
    definition = next(i for i in demo.definition["items"] if i["id"] == "RE01")
    probabilities = core([definition["model"]])[0][0]
    assert len(ax.lines) == probabilities.shape[1] == 5
    for k, line in enumerate(ax.lines):
        np.testing.assert_array_equal(line.get_ydata(), probabilities[:, k])
    # Instrument.items layout (lists in the intercepts column) gives the same lines.
    frame_ax = bagdar.plot.item_curves(demo.items, ["RE01"], theta=THETA)
    for a, b in zip(frame_ax.lines, ax.lines):
        np.testing.assert_array_equal(a.get_ydata(), b.get_ydata())
    assert model["model"] == "grm"
    expected = bagdar.plot.item_curves(demo, ["RE01"], theta=THETA, kind="expected")
    np.testing.assert_array_equal(expected.lines[0].get_ydata(), core([definition["model"]])[1][0])


def test_information_curves_draw_item_and_test_information(demo) -> None:
    _fig, ax = plt.subplots()
    out = bagdar.plot.information_curves(demo, theta=THETA, scale="social", ax=ax)
    assert out is ax
    models = [i["model"] for i in demo.definition["items"] if i["scale"] == "social"]
    _, _, information, test, _ = core(models)
    assert len(ax.lines) == len(models) + 1
    for i in range(len(models)):
        np.testing.assert_array_equal(ax.lines[i].get_ydata(), information[i])
    assert ax.lines[-1].get_label() == "test"
    np.testing.assert_array_equal(ax.lines[-1].get_ydata(), test)


def test_wright_map_shows_the_person_histogram_and_item_thresholds(lsat7) -> None:
    scores = bagdar.score(lsat7_data(), lsat7.models)
    ax = bagdar.plot.wright_map(scores, lsat7, bins=15)
    counts, _ = np.histogram(scores["theta"], bins=15)
    widths = np.array([-bar.get_width() for bar in ax.patches])
    np.testing.assert_allclose(widths, 0.9 * counts / counts.max())
    points = ax.collections[0].get_offsets()
    b = [-m["intercept"] / m["slope"] for m in lsat7.models]
    np.testing.assert_allclose(np.asarray(points)[:, 1], b, rtol=1e-12)


def test_cat_trace_draws_the_session_course(demo) -> None:
    settings = ROOT / "data" / "cat" / "kasip-demo-cat.json"
    session = bagdar.CatSession.start(demo, settings, "ru", seed=2)
    for n in range(20):
        item = session.next_item()
        if item is None:
            break
        session.answer(item["item"], item["options"][(n * 3) % len(item["options"])]["value"])
    trace = session.trace
    ax = bagdar.plot.cat_trace(session.to_json(), demo)
    scales = list(dict.fromkeys(trace["scale"]))
    assert len(scales) > 1
    # One error-bar series per scale, labelled with it, at its answers' numbers.
    assert [c.get_label() for c in ax.containers] == scales
    for scale, container in zip(scales, ax.containers):
        steps = trace[trace["scale"] == scale]
        line = container.lines[0]
        np.testing.assert_array_equal(line.get_xdata(), steps.index.to_numpy())
        np.testing.assert_array_equal(line.get_ydata(), steps["theta"].to_numpy())
    # The bars span θ̂ ± SE.
    segments = ax.containers[0].lines[2][0].get_segments()
    first = trace[trace["scale"] == scales[0]]
    np.testing.assert_allclose([s[0][1] for s in segments], first["theta"] - first["se"])
    np.testing.assert_allclose([s[1][1] for s in segments], first["theta"] + first["se"])
    only = bagdar.plot.cat_trace(session, scale=scales[0])
    assert [c.get_label() for c in only.containers] == [scales[0]]
    with pytest.raises(bagdar.SettingsError, match="instrument"):
        bagdar.plot.cat_trace(session.to_json())


def test_profile_chart_plots_one_students_scale_scores(demo) -> None:
    raw = pd.read_csv(ROOT / "data" / "demo" / "responses.csv", nrows=20).set_index("student_id")
    decisions = bagdar.decide(raw, demo)
    ax = bagdar.plot.profile_chart(decisions, "S0000003")
    row = decisions.loc["S0000003"]
    container = ax.containers[0]
    x = container.lines[0].get_xdata()
    np.testing.assert_array_equal(x, [row[f"{s}_theta"] for s in demo.scales])
    assert [t.get_text() for t in ax.get_yticklabels()] == demo.scales
    assert "S0000003" in ax.get_title()
