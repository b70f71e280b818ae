"""The Python package reproduces the native engine to 1e-12: every golden case and
method, and the demo battery's decisions for 40 students
(tests/golden/surfaces/native-scores.json, written by core/tests/surfaces.rs)."""

from __future__ import annotations

import json

import bagdar
import numpy as np
import pandas as pd
from conftest import GOLDEN, ROOT

NATIVE = json.loads((GOLDEN / "surfaces" / "native-scores.json").read_text(encoding="utf-8"))
TOLERANCE = NATIVE["tolerance"]


def _same(actual, expected) -> None:
    expected = np.array([np.nan if x is None else x for x in expected], dtype=float)
    actual = np.asarray(actual, dtype=float)
    assert np.array_equal(np.isnan(actual), np.isnan(expected))
    ok = ~np.isnan(expected)
    np.testing.assert_allclose(actual[ok], expected[ok], rtol=0, atol=TOLERANCE)


def test_every_golden_case_and_method_equals_native() -> None:
    assert len(NATIVE["cases"]) >= 20
    for c in NATIVE["cases"]:
        golden = json.loads((GOLDEN / c["file"]).read_text(encoding="utf-8"))
        data = np.array(
            [[np.nan if x is None else x for x in p] for p in golden["patterns"]], dtype=float
        )
        q = golden["quadrature"]
        out = bagdar.score(
            data,
            [i["model"] for i in golden["items"]],
            c["method"],
            quadrature=(q["points"], q["min"], q["max"]),
            prior=(golden["prior"]["mean"], golden["prior"]["sd"]),
        )
        _same(out["theta"], c["theta"])
        _same(out["se"], c["se"])


def test_demo_decisions_equal_native() -> None:
    d = NATIVE["decisions"]
    ins = bagdar.Instrument.load(ROOT / d["instrument"])
    answers = pd.DataFrame(
        [[np.nan if x is None else x for x in row] for row in d["answers"]],
        columns=[i["id"] for i in ins.definition["items"]],
    )
    frame = bagdar.decide(answers, ins, profile=None)
    for j, p in enumerate(d["profiles"]):
        _same(frame[f"{p}_composite"], [row[j] for row in d["composite"]])
        _same(frame[f"{p}_p_above_cut"], [row[j] for row in d["p_above_cut"]])
    for k, scale in enumerate(ins.scales):
        _same(frame[f"{scale}_theta"], [row[k] for row in d["theta"]])
