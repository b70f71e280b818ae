"""Side-by-side comparison of Bagdar with the tools users would otherwise pick (issue 10).

One run, the same seeded data for every tool:

* EAP scoring, 2PL, 100 items with known parameters, 61 points on [−6, 6]: Bagdar
  (Python package), a plain numpy baseline (log-likelihood as one matrix product over
  the grid, float64 and float32), PyPI ``mirt`` (``fscores``) and ``girth``
  (``ability_eap``), both asked for 61 points.
* 2PL calibration, persons × 100 items: Bagdar with its defaults; ``girth``
  (``twopl_mml``) and PyPI ``mirt`` (``fit_mirt``) with their defaults and with 61
  quadrature points. Every tool's estimates are evaluated under the same marginal
  likelihood (61 equally spaced points on [−6, 6], N(0, 1) weights) with numpy, so the
  log-likelihood column compares where each tool stopped, not what each reports.
* CAT, 300-item 2PL and 3PL banks: ``catsim`` maximum-information selection per call and
  a 1000-simulee simulation (stop at SE ≤ 0.3 or 40 items), a numpy selection baseline,
  and Bagdar's CAT when the installed package has one.

Times are medians of a few repeats (a single run for anything slower than
``--single-above`` seconds). Ratios are peer time / Bagdar time: > 1 means Bagdar is
faster. A missing or failing peer is reported in the table, never fatal.

    python bench/compare/compare.py             # full sizes (many minutes)
    python bench/compare/compare.py --quick     # small sizes, under a minute
    python bench/compare/compare.py --quick --check --json out.json   # what CI runs

``--check`` exits with status 1 when Bagdar's estimates disagree: θ more than 1e-6 from
the numpy float64 EAP, a calibration that did not converge, or a peer reaching a
log-likelihood more than 0.01 above Bagdar's on the common grid.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

GRID_POINTS = 61
GRID_BOUND = 6.0
SEED = 20261123
THETA_TOLERANCE = 1e-6
LOG_LIKELIHOOD_TOLERANCE = 0.01


@dataclass
class Sizes:
    eap_persons: int
    eap_items: int
    calibration: list[tuple[int, int]]
    cat_bank: int
    cat_selections: int
    cat_simulees: int
    repeats: int


FULL = Sizes(1_000_000, 100, [(20_000, 100), (50_000, 100)], 300, 2000, 1000, 3)
QUICK = Sizes(20_000, 100, [(2_000, 20)], 300, 300, 30, 2)


@dataclass
class Row:
    """One line of the table: a tool on a case, its time and how its estimates agree."""

    case: str
    tool: str
    config: str = ""
    seconds: float | None = None
    runs: int = 0
    ratio: float | None = None
    agreement: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class Unavailable(Exception):
    """A tool (or one of its features) is not installed or has no such API."""


# ---------------------------------------------------------------------------- data


def two_pl_bank(items: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Slopes U(0.7, 2.0) and intercepts N(0, 1) (logit = a·θ + d, D = 1)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.7, 2.0, items), rng.normal(0.0, 1.0, items)


def simulate(slope: np.ndarray, intercept: np.ndarray, persons: int, seed: int) -> np.ndarray:
    """Responses (uint8, persons × items) of N(0, 1) simulees, generated in blocks."""
    rng = np.random.default_rng(seed)
    out = np.empty((persons, slope.size), dtype=np.uint8)
    block = 50_000
    for start in range(0, persons, block):
        stop = min(start + block, persons)
        theta = rng.normal(0.0, 1.0, stop - start)
        p = 1.0 / (1.0 + np.exp(-(theta[:, None] * slope + intercept)))
        out[start:stop] = rng.random(p.shape) < p
    return out


def grid() -> tuple[np.ndarray, np.ndarray]:
    """61 equally spaced nodes on [−6, 6] with normalized N(0, 1) weights (log)."""
    nodes = np.linspace(-GRID_BOUND, GRID_BOUND, GRID_POINTS)
    log_weights = -0.5 * nodes**2
    log_weights -= np.log(np.exp(log_weights).sum())
    return nodes, log_weights


# ---------------------------------------------------------------------------- timing


def timed(function: Callable[[], Any], repeats: int, single_above: float) -> tuple[float, int, Any]:
    """Median wall time of `repeats` calls (one call if the first takes > single_above s)."""
    times: list[float] = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
        if times[0] > single_above:
            break
    return statistics.median(times), len(times), result


def attempt(row: Row, function: Callable[[], dict[str, Any] | None]) -> Row:
    """Runs one measurement; an exception becomes the row's error, not a crash."""
    try:
        agreement = function()
        if agreement:
            row.agreement.update(agreement)
    except Unavailable as error:
        row.error = f"unavailable: {error}"
    except Exception as error:  # a peer failing must not stop the comparison
        row.error = f"{type(error).__name__}: {error}"
        if os.environ.get("BAGDAR_COMPARE_TRACEBACK"):
            traceback.print_exc()
    # Progress on stderr, so a long full run shows where it is.
    print(
        f"  [{row.case}] {row.tool} {row.config}: "
        f"{format_seconds(row.seconds) if row.error is None else row.error}",
        file=sys.stderr,
        flush=True,
    )
    return row


def need(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise Unavailable(f"{module} is not installed ({error})") from error


# ---------------------------------------------------------------------------- numpy reference


def numpy_eap(
    data: np.ndarray, slope: np.ndarray, intercept: np.ndarray, dtype: type = np.float64
) -> np.ndarray:
    """EAP on the 61-point grid: the log-likelihood of all persons as one matrix product.

    ℓ_pq = Σ_i x_pi·(ln P_i(θ_q) − ln Q_i(θ_q)) + Σ_i ln Q_i(θ_q), then
    θ̂_p = Σ_q θ_q·exp(ℓ_pq + ln w_q − m_p) / Σ_q exp(ℓ_pq + ln w_q − m_p).
    """
    nodes, log_weights = grid()
    logit = np.outer(slope, nodes) + intercept[:, None]  # items × nodes
    log_p = -np.logaddexp(0.0, -logit)
    log_q = -np.logaddexp(0.0, logit)
    difference = (log_p - log_q).astype(dtype)
    base = (log_q.sum(axis=0) + log_weights).astype(dtype)
    nodes_typed = nodes.astype(dtype)
    theta = np.empty(data.shape[0], dtype=np.float64)
    block = 65_536
    for start in range(0, data.shape[0], block):
        chunk = data[start : start + block].astype(dtype)
        log_post = chunk @ difference
        log_post += base
        log_post -= log_post.max(axis=1, keepdims=True)
        np.exp(log_post, out=log_post)
        theta[start : start + block] = (log_post @ nodes_typed) / log_post.sum(axis=1)
    return theta


def marginal_log_likelihood(data: np.ndarray, slope: np.ndarray, intercept: np.ndarray) -> float:
    """Σ_p ln Σ_q w_q Π_i P_i(θ_q)^x (1 − P_i(θ_q))^(1−x) on the common 61-point grid."""
    nodes, log_weights = grid()
    logit = np.outer(slope, nodes) + intercept[:, None]
    log_p = -np.logaddexp(0.0, -logit)
    log_q = -np.logaddexp(0.0, logit)
    difference = log_p - log_q
    base = log_q.sum(axis=0) + log_weights
    total = 0.0
    block = 65_536
    for start in range(0, data.shape[0], block):
        log_joint = data[start : start + block].astype(np.float64) @ difference + base
        peak = log_joint.max(axis=1)
        total += float(np.sum(peak + np.log(np.exp(log_joint - peak[:, None]).sum(axis=1))))
    return total


def numpy_select(
    slope: np.ndarray,
    intercept: np.ndarray,
    guessing: np.ndarray,
    theta: float,
    administered: np.ndarray,
) -> int:
    """Maximum Fisher information at θ among items not yet given (3PL formula, g = 0 for 2PL)."""
    p_star = 1.0 / (1.0 + np.exp(-(slope * theta + intercept)))
    p = guessing + (1.0 - guessing) * p_star
    # I = a²·(P − g)²/(1 − g)²·Q/P = a²·P*²·Q/P with P* = σ(a·θ + d).
    information = slope**2 * p_star**2 * (1.0 - p) / p
    information[administered] = -np.inf
    return int(np.argmax(information))


# ---------------------------------------------------------------------------- EAP


def eap_case(sizes: Sizes, args: argparse.Namespace, rows: list[Row]) -> None:
    slope, intercept = two_pl_bank(sizes.eap_items, SEED)
    data = simulate(slope, intercept, sizes.eap_persons, SEED + 1)
    case = f"EAP 2PL {sizes.eap_persons:,}×{sizes.eap_items}, 61 pts"
    difficulty = -intercept / slope
    reference: dict[str, np.ndarray] = {}

    def measure(row: Row, run: Callable[[], np.ndarray], compare: bool = True) -> Row:
        def go() -> dict[str, Any]:
            row.seconds, row.runs, theta = timed(run, sizes.repeats, args.single_above)
            theta = np.asarray(theta, dtype=np.float64).reshape(-1)
            if row.tool == "numpy" and row.config == "float64":
                reference["theta"] = theta
            if compare and "theta" in reference:
                return {"max_abs_delta_theta": float(np.max(np.abs(theta - reference["theta"])))}
            return {}

        return attempt(row, go)

    rows.append(
        measure(
            Row(case, "numpy", "float64"),
            lambda: numpy_eap(data, slope, intercept, np.float64),
        )
    )
    rows.append(
        measure(
            Row(case, "numpy", "float32"),
            lambda: numpy_eap(data, slope, intercept, np.float32),
        )
    )

    def run_bagdar() -> np.ndarray:
        bagdar = need("bagdar")
        items = [
            {"type": "2pl", "slope": float(a), "intercept": float(d)}
            for a, d in zip(slope, intercept)
        ]
        # The package takes float64 (NaN = not administered); converting is the caller's
        # job, done once here, outside the timing.
        data64 = data.astype(np.float64)

        def score() -> np.ndarray:
            out = bagdar.score(
                data64, items, method="eap", quadrature=(GRID_POINTS, -GRID_BOUND, GRID_BOUND)
            )
            return out["theta"].to_numpy()

        return score

    try:
        bagdar_score = run_bagdar()
    except Unavailable as error:
        rows.append(Row(case, "bagdar", "python package", error=f"unavailable: {error}"))
    else:
        rows.append(measure(Row(case, "bagdar", "python package"), bagdar_score))

    mirt_model: list[Any] = []

    def score_mirt() -> np.ndarray:
        mirt = need("mirt")
        if not mirt_model:
            from mirt.models.dichotomous import TwoParameterLogistic

            model = TwoParameterLogistic(n_items=slope.size)
            # mirt's 2PL is a·(θ − b).
            model.set_parameters(discrimination=slope, difficulty=difficulty)
            model._is_fitted = True  # known parameters: no public "fitted from values"
            mirt_model.append(model)
        return mirt.fscores(mirt_model[0], data, method="EAP", n_quadpts=GRID_POINTS).theta

    rows.append(
        measure(Row(case, "mirt", f"fscores EAP, {GRID_POINTS} Gauss–Hermite pts"), score_mirt)
    )

    def girth_score() -> np.ndarray:
        girth = need("girth")
        options = {"quadrature_n": GRID_POINTS, "quadrature_bounds": (-GRID_BOUND, GRID_BOUND)}
        return girth.ability_eap(data.T, difficulty, slope, options)

    rows.append(
        measure(
            Row(case, "girth", f"ability_eap, {GRID_POINTS} Gauss–Legendre pts ±6"), girth_score
        )
    )


# ---------------------------------------------------------------------------- calibration


def calibration_case(
    persons: int, items: int, sizes: Sizes, args: argparse.Namespace, rows: list[Row]
) -> None:
    slope, intercept = two_pl_bank(items, SEED + 10 + items)
    data = simulate(slope, intercept, persons, SEED + 20 + persons)
    case = f"2PL calibration {persons:,}×{items}"
    bagdar_estimates: dict[str, np.ndarray] = {}

    def measure(row: Row, fit: Callable[[], tuple[np.ndarray, np.ndarray, dict[str, Any]]]) -> Row:
        def go() -> dict[str, Any]:
            row.seconds, row.runs, (a, d, info) = timed(fit, sizes.repeats, args.single_above)
            a = np.asarray(a, dtype=np.float64).reshape(-1)
            d = np.asarray(d, dtype=np.float64).reshape(-1)
            agreement: dict[str, Any] = dict(info)
            agreement["log_likelihood_61"] = marginal_log_likelihood(data, a, d)
            if row.tool == "bagdar":
                bagdar_estimates.update(a=a, d=d, ll=agreement["log_likelihood_61"])
            elif "a" in bagdar_estimates:
                agreement["max_abs_delta_a"] = float(np.max(np.abs(a - bagdar_estimates["a"])))
                agreement["max_abs_delta_d"] = float(np.max(np.abs(d - bagdar_estimates["d"])))
                agreement["delta_log_likelihood"] = (
                    agreement["log_likelihood_61"] - bagdar_estimates["ll"]
                )
            agreement["max_abs_error_a_vs_true"] = float(np.max(np.abs(a - slope)))
            return agreement

        return attempt(row, go)

    def fit_bagdar() -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        bagdar = need("bagdar")
        calibration = bagdar.fit(data.astype(np.float64), "2pl")
        table = calibration.items
        return (
            table["a"].to_numpy(),
            table["d"].to_numpy(),
            {
                "converged": calibration.converged,
                "reported_log_likelihood": calibration.log_likelihood,
                "iterations": calibration.iterations,
                "e_steps": calibration.e_steps,
            },
        )

    rows.append(measure(Row(case, "bagdar", "defaults (61 pts ±6, Anderson)"), fit_bagdar))

    def fit_mirt(points: int | None) -> Callable[[], tuple[np.ndarray, np.ndarray, dict[str, Any]]]:
        def fit() -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
            mirt = need("mirt")
            options: dict[str, Any] = {"compute_standard_errors": False}
            if points is not None:
                options["n_quadpts"] = points
            result = mirt.fit_mirt(data, "2PL", **options)
            a = np.asarray(result.model.discrimination, dtype=np.float64).reshape(-1)
            b = np.asarray(result.model.difficulty, dtype=np.float64).reshape(-1)
            return (
                a,
                -a * b,
                {
                    "converged": bool(result.converged),
                    "reported_log_likelihood": float(result.log_likelihood),
                    "iterations": int(result.n_iterations),
                },
            )

        return fit

    rows.append(measure(Row(case, "mirt", "defaults (21 pts), no SEs"), fit_mirt(None)))
    rows.append(measure(Row(case, "mirt", f"{GRID_POINTS} pts, no SEs"), fit_mirt(GRID_POINTS)))

    data_items_first = np.ascontiguousarray(data.T, dtype=np.int64)

    def fit_girth(
        options: dict[str, Any] | None,
    ) -> Callable[[], tuple[np.ndarray, np.ndarray, dict[str, Any]]]:
        def fit() -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
            girth = need("girth")
            # girth marks missing responses with −99999, so it needs a signed array.
            result = girth.twopl_mml(data_items_first, options)
            a = np.asarray(result["Discrimination"], dtype=np.float64).reshape(-1)
            b = np.asarray(result["Difficulty"], dtype=np.float64).reshape(-1)
            return a, -a * b, {}

        return fit

    if not args.skip_girth_calibration:
        rows.append(measure(Row(case, "girth", "defaults (41 pts ±4.5, 25 it.)"), fit_girth(None)))
        rows.append(
            measure(
                Row(case, "girth", f"{GRID_POINTS} pts ±6"),
                fit_girth(
                    {"quadrature_n": GRID_POINTS, "quadrature_bounds": (-GRID_BOUND, GRID_BOUND)}
                ),
            )
        )


# ---------------------------------------------------------------------------- CAT


def cat_bank(items: int, model: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    slope = rng.uniform(0.7, 2.0, items)
    intercept = rng.normal(0.0, 1.2, items)
    guessing = rng.uniform(0.1, 0.25, items) if model == "3pl" else np.zeros(items)
    return slope, intercept, guessing


def selection_states(sizes: Sizes, bank_items: int, seed: int) -> list[tuple[float, np.ndarray]]:
    """Seeded (θ̂, administered items) states, 0 to 39 items already given."""
    rng = np.random.default_rng(seed)
    states = []
    for _ in range(sizes.cat_selections):
        given = rng.choice(bank_items, size=int(rng.integers(0, 40)), replace=False)
        states.append((float(rng.normal()), np.sort(given)))
    return states


def bagdar_cat_bank(slope: np.ndarray, intercept: np.ndarray, guessing: np.ndarray) -> Any:
    """The bank as a one-scale Bagdar instrument (English texts only): Bagdar's CAT runs
    on instruments, so the same items are wrapped in one."""
    bagdar = need("bagdar")
    text = {"en": "item"}
    items = []
    for i, (a, d, g) in enumerate(zip(slope, intercept, guessing)):
        model: dict[str, Any] = {"type": "2pl", "slope": float(a), "intercept": float(d)}
        if g > 0:
            model = {**model, "type": "3pl", "guessing": float(g)}
        items.append(
            {"id": f"I{i:03}", "scale": "trait", "stem": text, "option_set": "yn", "model": model}
        )
    definition = {
        "format_version": 1,
        "id": "compare-bank",
        "version": "1",
        "title": text,
        "languages": ["en"],
        "option_sets": {"yn": [{"value": v, "text": text} for v in (0, 1)]},
        "scales": [{"id": "trait", "kind": "aptitude", "name": text}],
        "items": items,
    }
    return bagdar.Instrument.from_json(json.dumps(definition))


def bagdar_cat_selector(
    slope: np.ndarray, intercept: np.ndarray, guessing: np.ndarray
) -> Callable[[float, np.ndarray], int]:
    """Bagdar selects inside sessions (select, answer, update θ̂), so selection at a
    given θ̂ is not a public call; its per-selection time is measured natively by
    criterion (bench/benches/cat.rs) and, with estimation, by the simulation case."""
    need("bagdar")
    raise Unavailable(
        "selection at a given θ is internal to Bagdar's sessions: see criterion "
        "(bench/benches/cat.rs) and the CAT simulation row"
    )


def cat_selection_case(model: str, sizes: Sizes, args: argparse.Namespace, rows: list[Row]) -> None:
    slope, intercept, guessing = cat_bank(sizes.cat_bank, model, SEED + 30)
    states = selection_states(sizes, sizes.cat_bank, SEED + 31)
    case = f"CAT next item, {sizes.cat_bank}-item {model.upper()} bank, max info"
    reference: list[int] = []

    def per_selection(select: Callable[[float, np.ndarray], int]) -> tuple[float, list[int]]:
        start = time.perf_counter()
        chosen = [select(theta, given) for theta, given in states]
        return (time.perf_counter() - start) / len(states), chosen

    def numpy_row() -> dict[str, Any]:
        def select(theta: float, given: np.ndarray) -> int:
            return numpy_select(slope, intercept, guessing, theta, given)

        row_numpy.seconds, row_numpy.runs, (per, chosen) = timed(
            lambda: per_selection(select), sizes.repeats, args.single_above
        )
        row_numpy.seconds = per
        reference.extend(chosen)
        return {"selections": len(states)}

    row_numpy = Row(case, "numpy", "per selection")
    rows.append(attempt(row_numpy, numpy_row))

    def catsim_row() -> dict[str, Any]:
        need("catsim")
        from catsim.item_bank import ItemBank
        from catsim.selection import MaxInfoSelector

        # catsim stores a, b, c, d with logit a·(θ − b).
        bank = ItemBank(np.column_stack([slope, -intercept / slope, guessing, np.ones_like(slope)]))
        selector = MaxInfoSelector()

        def select(theta: float, given: np.ndarray) -> int:
            return int(
                selector.select(item_bank=bank, administered_items=list(given), est_theta=theta)
            )

        row_catsim.seconds, row_catsim.runs, (per, chosen) = timed(
            lambda: per_selection(select), sizes.repeats, args.single_above
        )
        row_catsim.seconds = per
        same = float(np.mean(np.asarray(chosen) == np.asarray(reference))) if reference else None
        return {"selections": len(states), "same_item_as_numpy": same}

    row_catsim = Row(case, "catsim", "MaxInfoSelector, per selection")
    rows.append(attempt(row_catsim, catsim_row))

    def bagdar_row() -> dict[str, Any]:
        select = bagdar_cat_selector(slope, intercept, guessing)
        row_bagdar.seconds, row_bagdar.runs, (per, chosen) = timed(
            lambda: per_selection(select), sizes.repeats, args.single_above
        )
        row_bagdar.seconds = per
        same = float(np.mean(np.asarray(chosen) == np.asarray(reference))) if reference else None
        return {"selections": len(states), "same_item_as_numpy": same}

    row_bagdar = Row(case, "bagdar", "per selection")
    rows.append(attempt(row_bagdar, bagdar_row))


def cat_case(sizes: Sizes, args: argparse.Namespace, rows: list[Row]) -> None:
    for model in ("2pl", "3pl"):
        cat_selection_case(model, sizes, args, rows)

    # A whole simulation: catsim's own loop (selection, estimation, stopping).
    slope, intercept, guessing = cat_bank(sizes.cat_bank, "2pl", SEED + 30)
    case = f"CAT simulation, {sizes.cat_simulees} simulees, 2PL bank, SE ≤ 0.3 or 40 items"

    def catsim_simulation() -> dict[str, Any]:
        need("catsim")
        from catsim.estimation import NumericalSearchEstimator
        from catsim.initialization import FixedPointInitializer
        from catsim.item_bank import ItemBank
        from catsim.selection import MaxInfoSelector
        from catsim.simulation import Simulator
        from catsim.stopping import MinErrorStopper

        bank = ItemBank(np.column_stack([slope, -intercept / slope, guessing, np.ones_like(slope)]))
        thetas = np.random.default_rng(SEED + 32).normal(0.0, 1.0, sizes.cat_simulees)
        simulator = Simulator(bank, thetas, seed=SEED + 33)
        start = time.perf_counter()
        simulator.simulate(
            initializer=FixedPointInitializer(0.0),
            selector=MaxInfoSelector(),
            estimator=NumericalSearchEstimator(),
            stopper=MinErrorStopper(0.3, max_items=40),
        )
        row_simulation.seconds = time.perf_counter() - start
        row_simulation.runs = 1
        lengths = [len(x) for x in simulator.administered_items]
        estimates = np.asarray(simulator.latest_estimations, dtype=np.float64)
        return {
            "mean_length": float(np.mean(lengths)),
            "rmse": float(np.sqrt(np.mean((estimates - thetas) ** 2))),
        }

    row_simulation = Row(case, "catsim", "Simulator, whole run")
    rows.append(attempt(row_simulation, catsim_simulation))

    def bagdar_simulation() -> dict[str, Any]:
        bagdar = need("bagdar")
        instrument = bagdar_cat_bank(slope, intercept, guessing)
        settings = {
            "selection": {"criterion": "mfi"},
            "length": {"min": 1, "max": 40},
            "se_target": 0.3,
            "min_information": 0.0,
            "exposure": {"method": "none"},
        }
        start = time.perf_counter()
        simulation = bagdar.cat_simulate(
            instrument, settings, students=sizes.cat_simulees, seed=SEED + 33
        )
        row_bagdar_simulation.seconds = time.perf_counter() - start
        row_bagdar_simulation.runs = 1
        scale = simulation.scales.loc["trait"]
        steps = simulation.length["mean"] * sizes.cat_simulees
        return {
            "mean_length": float(simulation.length["mean"]),
            "rmse": float(scale["rmse"]),
            "per_answer_us": row_bagdar_simulation.seconds / steps * 1e6,
        }

    row_bagdar_simulation = Row(case, "bagdar", "cat_simulate (MFI, EAP), whole run")
    rows.append(attempt(row_bagdar_simulation, bagdar_simulation))


# ---------------------------------------------------------------------------- report


def ratios(rows: list[Row]) -> None:
    """peer seconds / Bagdar seconds within each case."""
    by_case: dict[str, float] = {}
    for row in rows:
        if row.tool == "bagdar" and row.seconds:
            by_case[row.case] = row.seconds
    for row in rows:
        base = by_case.get(row.case)
        if base and row.seconds and row.tool != "bagdar":
            row.ratio = row.seconds / base


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def format_agreement(agreement: dict[str, Any]) -> str:
    parts = []
    labels = {
        "max_abs_delta_theta": "max|Δθ| vs numpy64",
        "log_likelihood_61": "ℓ61",
        "delta_log_likelihood": "Δℓ61 vs bagdar",
        "max_abs_delta_a": "max|Δa|",
        "max_abs_delta_d": "max|Δd|",
        "converged": "converged",
        "iterations": "iter",
        "same_item_as_numpy": "same item as numpy",
        "mean_length": "mean length",
        "rmse": "RMSE",
        "per_answer_us": "µs per answer",
    }
    for key, label in labels.items():
        if key not in agreement or agreement[key] is None:
            continue
        value = agreement[key]
        if isinstance(value, (bool, int)):
            parts.append(f"{label} {value}")
        elif key == "log_likelihood_61":
            parts.append(f"{label} {value:.3f}")
        elif key in ("delta_log_likelihood", "mean_length", "rmse", "same_item_as_numpy"):
            parts.append(
                f"{label} {value:+.3f}" if key == "delta_log_likelihood" else f"{label} {value:.3f}"
            )
        else:
            parts.append(f"{label} {value:.2e}")
    return "; ".join(parts)


def print_table(rows: list[Row]) -> None:
    case = None
    for row in rows:
        if row.case != case:
            case = row.case
            print(f"\n## {case}")
            print(
                f"{'tool':<8} {'config':<44} {'median':>10} {'runs':>4} {'peer/bagdar':>11}  agreement"
            )
        ratio = f"{row.ratio:.2f}×" if row.ratio else ""
        detail = row.error if row.error else format_agreement(row.agreement)
        print(
            f"{row.tool:<8} {row.config:<44} {format_seconds(row.seconds):>10} "
            f"{row.runs or '':>4} {ratio:>11}  {detail}"
        )


def versions() -> dict[str, Any]:
    found: dict[str, Any] = {"python": platform.python_version()}
    for module in ("bagdar", "numpy", "scipy", "girth", "mirt", "catsim"):
        try:
            found[module] = importlib.metadata.version(module)
        except Exception:
            found[module] = None
    try:
        import mirt

        info = mirt.get_backend_info()
        found["mirt_backend"] = info.get("effective_backend")
    except Exception:
        found["mirt_backend"] = None
    model = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    found["cpu"] = model
    found["nproc"] = os.cpu_count()
    return found


def checks(rows: list[Row]) -> list[str]:
    """Estimate disagreements that make --check fail."""
    failures = []
    for row in rows:
        if row.tool != "bagdar":
            continue
        if row.error and "unavailable" not in row.error:
            failures.append(f"{row.case}: bagdar failed: {row.error}")
        delta = row.agreement.get("max_abs_delta_theta")
        if delta is not None and delta > THETA_TOLERANCE:
            failures.append(f"{row.case}: bagdar θ differs from numpy float64 by {delta:.2e}")
        if row.agreement.get("converged") is False:
            failures.append(f"{row.case}: bagdar calibration did not converge")
    for row in rows:
        if row.tool == "bagdar":
            continue
        delta_ll = row.agreement.get("delta_log_likelihood")
        if delta_ll is not None and delta_ll > LOG_LIKELIHOOD_TOLERANCE:
            failures.append(
                f"{row.case}: {row.tool} ({row.config}) reaches a log-likelihood {delta_ll:.3f} "
                "above bagdar's on the common grid"
            )
    if not any(r.tool == "bagdar" and r.seconds for r in rows):
        failures.append("bagdar was not measured at all")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (under a minute)")
    parser.add_argument("--json", metavar="PATH", help="also write every row as JSON")
    parser.add_argument("--repeats", type=int, help="repeats per measurement (median)")
    parser.add_argument(
        "--single-above",
        type=float,
        default=20.0,
        help="time a measurement once when its first run takes longer (seconds)",
    )
    parser.add_argument(
        "--only",
        choices=["eap", "calibration", "cat"],
        action="append",
        help="run only these cases",
    )
    parser.add_argument(
        "--skip-girth-calibration",
        action="store_true",
        help="leave out girth's calibrations (the slowest part of the full run)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when Bagdar's estimates disagree (θ, convergence, log-likelihood)",
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.repeats:
        sizes.repeats = args.repeats
    parts = args.only or ["eap", "calibration", "cat"]
    started = time.perf_counter()
    info = versions()
    print(
        f"Bagdar peer comparison ({'quick' if args.quick else 'full'}), seed {SEED}, "
        f"{info['nproc']} CPUs ({info['cpu']})"
    )
    print(
        "versions: " + ", ".join(f"{k} {v}" for k, v in info.items() if k not in ("cpu", "nproc"))
    )
    rows: list[Row] = []
    if "eap" in parts:
        eap_case(sizes, args, rows)
    if "calibration" in parts:
        for persons, items in sizes.calibration:
            calibration_case(persons, items, sizes, args, rows)
    if "cat" in parts:
        cat_case(sizes, args, rows)
    ratios(rows)
    print_table(rows)
    elapsed = time.perf_counter() - started
    print(f"\ntotal {elapsed:.1f} s; ratio = peer time / bagdar time (> 1: bagdar faster)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "mode": "quick" if args.quick else "full",
                    "seed": SEED,
                    "environment": info,
                    "seconds_total": elapsed,
                    "rows": [row.__dict__ for row in rows],
                },
                handle,
                indent=2,
                default=lambda v: None if isinstance(v, float) and math.isnan(v) else str(v),
            )
    if args.check:
        failures = checks(rows)
        for failure in failures:
            print(f"CHECK FAILED: {failure}", file=sys.stderr)
        if failures:
            return 1
        print("check passed: bagdar θ, convergence and log-likelihood agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
