"""Shared fixtures: paths of the repository's data and golden cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"


def golden_cases() -> list[tuple[str, dict]]:
    files = sorted(GOLDEN.glob("*.json"))
    assert len(files) >= 5, "golden cases missing"
    return [(f.name, json.loads(f.read_text(encoding="utf-8"))) for f in files]


@pytest.fixture(scope="session")
def demo_path() -> Path:
    return ROOT / "data" / "instruments" / "kasip-demo.json"
