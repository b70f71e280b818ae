"""The bad-input corpus of tests/bad (manifest.json) through the Python package: every
malformed instrument raises its exception class with the core's stable code."""

from __future__ import annotations

import json

import bagdar
import pytest
from conftest import ROOT

BAD = ROOT / "tests" / "bad"
CASES = json.loads((BAD / "manifest.json").read_text(encoding="utf-8"))["instruments"]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_bad_instruments(case: dict) -> None:
    path = BAD / case["file"]
    if case["error"] is None:
        assert len(bagdar.Instrument.load(path).checksum) == 64
        return
    with pytest.raises(bagdar.BagdarError) as info:
        bagdar.Instrument.load(path)
    assert info.value.code == case["error"]
    assert str(info.value)
