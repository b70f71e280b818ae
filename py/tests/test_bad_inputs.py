"""The bad-input corpus of tests/bad (manifest.json) through the Python package: every
malformed instrument and every bad CAT session state raises its exception class with the
core's stable code."""

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


SESSIONS = json.loads((BAD / "manifest.json").read_text(encoding="utf-8"))["sessions"]


@pytest.mark.parametrize(
    "case",
    SESSIONS,
    ids=[f"{c['file']}:{c['answer']['value']}" if "answer" in c else c["file"] for c in SESSIONS],
)
def test_bad_cat_sessions(case: dict) -> None:
    """A saved CAT session that is corrupt, tampered with or of another instrument raises
    its exception class with the core's code; so does a wrong answer to a resumed one."""
    instrument = bagdar.Instrument.load(BAD / "instrument-small.json")
    text = (BAD / case["file"]).read_text(encoding="utf-8")

    def run() -> None:
        session = bagdar.CatSession.from_json(text, instrument)
        if "answer" in case:
            session.answer(case["answer"]["item"], case["answer"]["value"])

    if case["error"] is None:
        run()
        return
    with pytest.raises(getattr(bagdar, case["class"])) as info:
        run()
    assert info.value.code == case["error"]
    assert case.get("message", "") in str(info.value)
