"""Adaptive sessions through the Python API: the golden session of tests/golden/cat,
a whole session with save and resume, typed errors, and the seeded simulation."""

from __future__ import annotations

import json

import bagdar
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

GOLDEN = (ROOT / "tests" / "golden" / "cat" / "demo-session.json").read_text(encoding="utf-8")
SETTINGS = ROOT / "data" / "cat" / "kasip-demo-cat.json"


@pytest.fixture(scope="module")
def demo(demo_path) -> bagdar.Instrument:
    return bagdar.Instrument.load(demo_path)


def test_golden_session_resumes_and_matches_native_estimates(demo) -> None:
    golden = json.loads(GOLDEN)
    session = bagdar.CatSession.from_json(GOLDEN, demo)
    assert session.stopped and session.stop_reason == golden["stop"]
    estimates = session.estimates
    for g in golden["estimates"]:
        row = estimates.loc[g["scale"]]
        assert abs(row["theta"] - g["estimate"]["theta"]) <= 1e-12
        assert abs(row["se"] - g["estimate"]["se"]) <= 1e-12
        assert row["items"] == g["items"]
    back = json.loads(session.to_json())
    assert {**back, "estimates": None} == {**golden, "estimates": None}
    assert session.next_item() is None


def test_a_session_runs_saves_and_resumes(demo) -> None:
    items = {i["id"]: i for i in demo.definition["items"]}
    session = bagdar.CatSession.start(demo, SETTINGS, "en", seed=7)
    asked = []
    while (item := session.next_item()) is not None:
        assert item["stem"] == items[item["item"]]["stem"]["en"]
        resumed = bagdar.CatSession.from_json(session.to_json(), demo)
        assert resumed.next_item()["item"] == item["item"]
        session = resumed
        definition = items[item["item"]]
        value = definition.get("key", item["options"][0]["value"])
        session.answer(item["item"], value, timestamp="2026-11-23T10:00:00Z")
        asked.append(item["item"])
    assert len(asked) == len(set(asked)) < len(items)
    assert [r["item"] for r in session.responses] == asked
    assert set(session.estimates.index) == set(demo.scales)


def test_session_errors_are_typed(demo) -> None:
    session = bagdar.CatSession.start(demo, {"se_target": 0.5}, "kk", seed=1)
    item = session.next_item()
    other = next(i for i in demo.definition["items"] if i["id"] != item["item"])["id"]
    with pytest.raises(bagdar.ResponseDataError) as e:
        session.answer(other, 1)
    assert e.value.code == "cat_item_not_pending"
    with pytest.raises(bagdar.ResponseDataError):
        session.answer(item["item"], 42)
    with pytest.raises(bagdar.SettingsError):
        bagdar.CatSession.start(demo, {"routing": 7}, "kk")
    with pytest.raises(bagdar.SettingsError):
        bagdar.CatSession.start(demo, None, "de")
    with pytest.raises(bagdar.ResponseDataError):
        bagdar.CatSession.from_json(session.to_json()[:80], demo)
    tampered = json.loads(session.to_json())
    tampered["instrument_checksum"] = "0" * 64
    with pytest.raises(bagdar.InstrumentError):
        bagdar.CatSession.from_json(json.dumps(tampered), demo)


def test_simulation_is_seeded_and_reports_recovery(demo) -> None:
    a = bagdar.cat_simulate(demo, SETTINGS, students=150, seed=3)
    b = bagdar.cat_simulate(demo, SETTINGS, students=150, seed=3)
    assert a.report == b.report
    scales = a.scales
    assert set(scales.index) == set(demo.scales)
    assert (scales["rmse"] < 0.9).all()
    assert 0 < a.length["mean"] <= json.loads(SETTINGS.read_text())["max_total"]
    assert a.exposure.between(0, 1).all()
    assert a.profile is not None and a.profile["profile"] == "teacher"


def test_trace_has_the_estimate_after_every_answer(demo) -> None:
    session = bagdar.CatSession.start(demo, SETTINGS, "en", seed=3)
    seen = []
    for n in range(12):
        item = session.next_item()
        assert item is not None
        session.answer(item["item"], item["options"][n % len(item["options"])]["value"])
        row = session.estimates.loc[item["scale"]]
        seen.append((item["item"], item["scale"], row["theta"], row["se"]))
    trace = session.trace
    assert list(trace.index) == list(range(1, 13))
    for (item, scale, theta, se), (_, t) in zip(seen, trace.iterrows()):
        assert (t["item"], t["scale"]) == (item, scale)
        assert t["theta"] == theta and t["se"] == se
    # The golden (stopped) session replays to its logged items.
    golden = bagdar.CatSession.from_json(GOLDEN, demo)
    assert list(golden.trace["item"]) == [r["item"] for r in golden.responses]


def test_the_constructor_starts_a_session_and_result_decides_its_answers():
    ins = bagdar.Instrument.load(ROOT / "data/instruments/kasip-demo.json")
    settings = ROOT / "data/cat/kasip-demo-cat.json"
    session = bagdar.CatSession(ins, settings, language="en", seed=5)
    same = bagdar.CatSession.start(ins, settings, "en", seed=5)
    assert session.next_item() == same.next_item()
    while (item := session.next_item()) is not None:
        session.answer(item["item"], item["options"][-1]["value"])
    result = session.result()
    assert len(result) == 1
    assert result["teacher_tier"].iloc[0] in {"recommended", "borderline", "not_indicated"}
    # The decision is that of the answers as a raw row with the unasked items blank.
    row = pd.DataFrame([dict.fromkeys(ins.item_ids, np.nan)], columns=ins.item_ids, dtype=float)
    for response in session.responses:
        row.loc[0, response["item"]] = response["value"]
    expected = bagdar.decide(row, ins)
    pd.testing.assert_frame_equal(result, expected)
