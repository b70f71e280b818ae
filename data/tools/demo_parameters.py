#!/usr/bin/env python3
"""Assign DEMONSTRATION item parameters to data/instruments/kasip-demo.json.

The kasip-demo battery has never been administered to real students, so it has no
calibrated parameters. This script fills every item's ``model`` with plausible,
clearly artificial values so that the scoring engine has something to work with.
They are illustrative only and must never be presented as calibration results.

Usage (from the repository root, stdlib only):

    python3 data/tools/demo_parameters.py [path/to/kasip-demo.json]

The file is read, the ``model`` of every item is replaced, everything else
(texts, ids, order, profiles) is left untouched, the result is checked with
``check_instrument.check`` and written back (``json.dump`` with
``ensure_ascii=False, indent=2`` and a trailing newline).

Determinism: item number ``i`` (0-based, in file order) draws from its own
generator ``random.Random(SEED * 1000 + i)`` with ``SEED = 20240901``, so the
output depends only on the seed and the order of the items, and re-running the
script gives a byte-identical file.

Rules (all on the logistic slope-intercept metric of data/FORMAT.md, D = 1):

* ``grm`` items (Likert, 5 categories): slope a ~ U[0.9, 2.2], rounded to 3
  decimals; location beta ~ N(0, 0.5); threshold offsets (-2.0, -0.7, 0.5, 1.8),
  each plus N(0, 0.15) jitter, then sorted increasing; b_k = beta + offset_k;
  intercepts d_k = round(-a * b_k, 3), which must be strictly decreasing.
* ``3pl`` items (multiple choice), per aptitude scale in file order j = 1..n:
  slope a ~ U[0.8, 2.0] (3 decimals); difficulty b = -1.6 + (j - 1) * 3.4 / (n - 1)
  + N(0, 0.15), i.e. evenly spaced from -1.6 (first item) to +1.8 (last item);
  guessing g ~ U[0.12, 0.25] (3 decimals); intercept = round(-a * b, 3).

Draw order inside an item's generator is fixed: grm: slope, beta, four jitters;
3pl: slope, difficulty jitter, guessing.
"""

import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_instrument

SEED = 20240901
DEFAULT_PATH = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "instruments", "kasip-demo.json")
)

GRM_OFFSETS = (-2.0, -0.7, 0.5, 1.8)
B_FIRST, B_LAST = -1.6, 1.8


def _r3(x):
    # round to 3 decimals and turn a negative zero into 0.0
    return round(x, 3) + 0.0


def grm_model(rng):
    slope = _r3(rng.uniform(0.9, 2.2))
    beta = rng.gauss(0.0, 0.5)
    offsets = sorted(o + rng.gauss(0.0, 0.15) for o in GRM_OFFSETS)
    b = [beta + o for o in offsets]
    intercepts = [_r3(-slope * bk) for bk in b]
    assert all(x > y for x, y in zip(intercepts, intercepts[1:])), intercepts
    return {"type": "grm", "slope": slope, "intercepts": intercepts}


def three_pl_model(rng, j, n):
    slope = _r3(rng.uniform(0.8, 2.0))
    b = B_FIRST + (j - 1) * (B_LAST - B_FIRST) / (n - 1) + rng.gauss(0.0, 0.15)
    guessing = _r3(rng.uniform(0.12, 0.25))
    return {"type": "3pl", "slope": slope, "intercept": _r3(-slope * b), "guessing": guessing}


def assign(doc):
    items = doc["items"]
    n_3pl = {}
    for it in items:
        if it["model"]["type"] == "3pl":
            n_3pl[it["scale"]] = n_3pl.get(it["scale"], 0) + 1
    pos_3pl = {}
    for i, it in enumerate(items):
        rng = random.Random(SEED * 1000 + i)
        kind = it["model"]["type"]
        if kind == "grm":
            it["model"] = grm_model(rng)
        elif kind == "3pl":
            j = pos_3pl[it["scale"]] = pos_3pl.get(it["scale"], 0) + 1
            it["model"] = three_pl_model(rng, j, n_3pl[it["scale"]])
        else:
            raise SystemExit(f"item {it['id']}: no demo rule for model type {kind!r}")
    return doc


def main(argv):
    path = argv[1] if len(argv) > 1 else DEFAULT_PATH
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    assign(doc)
    errs = check_instrument.check(doc)
    if errs:
        for e in errs:
            print(f"{path}: {e}", file=sys.stderr)
        return 1
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"{path}: parameters assigned (seed {SEED}), check OK")
    print(check_instrument.summary(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
