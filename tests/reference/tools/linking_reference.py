"""Independent reference values for Bagdar's IRT linking (tests/reference/linking.json).

Computes the linking constants A, B of theta_base = A * theta_new + B for fixed sets of
common items by mean/mean, mean/sigma, Stocking-Lord and Haebara (one-directional and
symmetric), with its own numpy implementation of the response functions and criteria and
scipy.optimize.least_squares (Levenberg-Marquardt, numeric Jacobian) for the minimization.
It shares no code with the Rust engine.

Conventions (as documented in core/src/link/mod.rs): slope-intercept parameters with
D = 1; 61 equally spaced nodes on [-6, 6] with N(0, 1) weights normalized to sum 1;
Stocking-Lord compares expected scores sum_k k P_k; Haebara sums the squared differences
over every category of every item (both categories of a dichotomous item); the symmetric
criterion adds the same sum with the base items moved to the new scale on the same nodes.

Run from the repository root:

    /work/venv-ref/bin/python tests/reference/tools/linking_reference.py          # rewrite
    /work/venv-ref/bin/python tests/reference/tools/linking_reference.py --check  # compare only
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import numpy as np
import scipy
from scipy.optimize import least_squares

OUT = Path(__file__).resolve().parents[1] / "linking.json"

NODES = np.linspace(-6.0, 6.0, 61)
WEIGHTS = np.exp(-0.5 * NODES**2)
WEIGHTS /= WEIGHTS.sum()


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def probabilities(item, theta):
    """Category probabilities, shape (len(theta), K)."""
    theta = np.asarray(theta, dtype=float)
    kind = item["type"]
    if kind in ("2pl", "3pl"):
        g = item.get("guessing", 0.0)
        p1 = g + (1.0 - g) * sigmoid(item["slope"] * theta + item["intercept"])
        return np.stack([1.0 - p1, p1], axis=1)
    if kind == "grm":
        a, d = item["slope"], np.array(item["intercepts"])
        star = sigmoid(a * theta[:, None] + d[None, :])  # P(X >= k), k = 1..K-1
        upper = np.hstack([np.ones((len(theta), 1)), star])
        lower = np.hstack([star, np.zeros((len(theta), 1))])
        return upper - lower
    if kind == "gpcm":
        a, d = item["slope"], np.concatenate([[0.0], item["intercepts"]])
        k = np.arange(len(d))
        z = a * k[None, :] * theta[:, None] + d[None, :]
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(kind)


def moved_to_base(item, a_link, b_link, theta):
    """A new-form item's probabilities at base-scale theta: P((theta - B) / A)."""
    return probabilities(item, (theta - b_link) / a_link)


def moved_to_new(item, a_link, b_link, theta):
    """A base-form item's probabilities at new-scale theta: P(A * theta + B)."""
    return probabilities(item, a_link * theta + b_link)


def residuals(x, base, new, method, symmetric):
    """sqrt(w_q) * (fixed - moved) per node (Stocking-Lord) or node-item-category."""
    a_link, b_link = x
    root_w = np.sqrt(WEIGHTS)
    directions = [(base, new, moved_to_base)]
    if symmetric:
        directions.append((new, base, moved_to_new))
    out = []
    for fixed, moving, move in directions:
        fixed_p = [probabilities(item, NODES) for item in fixed]
        moved_p = [move(item, a_link, b_link, NODES) for item in moving]
        if method == "stocking_lord":
            score = np.zeros(len(NODES))
            for pf, pm in zip(fixed_p, moved_p):
                k = np.arange(pf.shape[1])
                score += (pf - pm) @ k
            out.append(root_w * score)
        else:
            for pf, pm in zip(fixed_p, moved_p):
                out.append((root_w[:, None] * (pf - pm)).ravel())
    return np.concatenate(out)


def thresholds(item):
    kind = item["type"]
    if kind in ("2pl", "3pl"):
        return [-item["intercept"] / item["slope"]]
    if kind == "grm":
        return [-d / item["slope"] for d in item["intercepts"]]
    d = [0.0, *item["intercepts"]]
    return [-(d[k] - d[k - 1]) / item["slope"] for k in range(1, len(d))]


def moments(base, new):
    slopes_base = np.array([i["slope"] for i in base])
    slopes_new = np.array([i["slope"] for i in new])
    b_base = np.concatenate([thresholds(i) for i in base])
    b_new = np.concatenate([thresholds(i) for i in new])
    a_mm = slopes_new.mean() / slopes_base.mean()
    a_ms = b_base.std() / b_new.std()  # population SD (ddof = 0)
    return {
        "mean_mean": {"slope": a_mm, "intercept": b_base.mean() - a_mm * b_new.mean()},
        "mean_sigma": {"slope": a_ms, "intercept": b_base.mean() - a_ms * b_new.mean()},
    }


def characteristic_curve(base, new, method, symmetric, start):
    fit = least_squares(
        residuals,
        x0=np.array(start),
        args=(base, new, method, symmetric),
        method="lm",
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
        max_nfev=10000,
    )
    criterion = float(np.sum(fit.fun**2))
    return {"slope": float(fit.x[0]), "intercept": float(fit.x[1]), "criterion": criterion}


def two_pl(a, d):
    return {"type": "2pl", "slope": a, "intercept": d}


def three_pl(a, d, g):
    return {"type": "3pl", "slope": a, "intercept": d, "guessing": g}


def grm(a, ds):
    return {"type": "grm", "slope": a, "intercepts": ds}


def gpcm(a, ds):
    return {"type": "gpcm", "slope": a, "intercepts": ds}


# Hand-picked common items: `new` is roughly `base` on a scale with A ~ 1.25, B ~ -0.3,
# with deliberate misfit, so no (A, B) reproduces the base curves exactly.
CASES = [
    {
        "name": "mixed-format",
        "why": "2PL, 3PL, GRM and GPCM common items together, not an exact transformation",
        "base": [
            two_pl(1.10, 0.40),
            two_pl(0.75, -0.90),
            three_pl(1.60, -0.20, 0.18),
            two_pl(1.35, 1.10),
            grm(1.20, [2.10, 0.60, -0.80]),
            grm(0.90, [1.30, -0.40]),
            gpcm(0.80, [0.90, 1.10, 0.20]),
            gpcm(1.15, [-0.30, -1.20]),
        ],
        "new": [
            two_pl(1.42, 0.05),
            two_pl(0.90, -1.30),
            three_pl(1.95, -0.75, 0.21),
            two_pl(1.70, 0.55),
            grm(1.45, [1.90, 0.05, -1.50]),
            grm(1.20, [1.00, -0.85]),
            gpcm(1.05, [0.75, 0.70, -0.45]),
            gpcm(1.40, [-0.60, -2.00]),
        ],
    },
    {
        "name": "dichotomous",
        "why": "2PL and 3PL only, A below 1 and B above 0",
        "base": [
            two_pl(0.80, -0.50),
            three_pl(1.20, 0.30, 0.20),
            two_pl(1.50, 1.20),
            three_pl(0.95, -1.10, 0.15),
            two_pl(1.05, 0.05),
            two_pl(0.60, 0.80),
        ],
        "new": [
            two_pl(0.62, 0.10),
            three_pl(0.88, 0.80, 0.25),
            two_pl(1.22, 2.30),
            three_pl(0.80, -0.40, 0.12),
            two_pl(0.78, 0.55),
            two_pl(0.47, 1.25),
        ],
    },
]


def check(cases: list[dict]) -> None:
    """Compares fresh results with the stored file (to 1e-9); exits 1 on a difference."""
    stored = {c["name"]: c for c in json.loads(OUT.read_text())["cases"]}
    worst = 0.0
    for case in cases:
        old = stored[case["name"]]
        assert old["base"] == case["base"] and old["new"] == case["new"], case["name"]
        for key, r in case["results"].items():
            for name, v in r.items():
                worst = max(worst, abs(v - old["results"][key][name]))
    print(f"linking reference: largest difference from {OUT.name} {worst:.1e}")
    if worst > 1e-9:
        sys.exit(1)


def main() -> None:
    cases = []
    for case in CASES:
        base, new = case["base"], case["new"]
        results = moments(base, new)
        start = (results["mean_sigma"]["slope"], results["mean_sigma"]["intercept"])
        for method in ("stocking_lord", "haebara"):
            for symmetric in (False, True):
                key = method + ("_symmetric" if symmetric else "")
                results[key] = characteristic_curve(base, new, method, symmetric, start)
        results = {k: {name: float(v) for name, v in r.items()} for k, r in sorted(results.items())}
        cases.append({**case, "results": results})
    if "--check" in sys.argv[1:]:
        check(cases)
        return
    document = {
        "source": (
            "tests/reference/tools/linking_reference.py: independent numpy "
            f"{np.__version__} / scipy {scipy.__version__} (Python "
            f"{platform.python_version()}) implementation; characteristic-curve criteria "
            "minimized by scipy.optimize.least_squares(method='lm', xtol=ftol=gtol=1e-15) "
            "from mean/sigma; 61 nodes on [-6, 6], N(0, 1) weights normalized to 1"
        ),
        "tolerance": 1e-6,
        "cases": cases,
    }
    OUT.write_text(json.dumps(document, indent=2) + "\n")
    for case in cases:
        print(case["name"])
        for key, r in case["results"].items():
            print(f"  {key:<24} " + "  ".join(f"{k}={v:.10f}" for k, v in r.items()))


if __name__ == "__main__":
    main()
