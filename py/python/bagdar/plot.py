"""Plots with matplotlib (the ``plot`` extra: ``pip install "bagdar[plot]"``).

Every curve is computed by the Rust engine (``item_curves``: category probabilities,
expected scores, item and test information and thresholds on a θ grid); this module
only draws. matplotlib is imported when a function runs, so ``import bagdar`` does not
need it. Each function takes an optional ``ax`` and returns the Axes it drew on.

* :func:`item_curves`: item characteristic curves (P(1) of 0/1 items), category
  response curves of polytomous items, or expected-score curves;
* :func:`information_curves`: item information and the test information;
* :func:`wright_map`: persons' θ histogram beside the items' difficulties/thresholds;
* :func:`cat_trace`: θ̂ ± SE after each answer of an adaptive session;
* :func:`profile_chart`: one student's scale scores (± SE) from :func:`bagdar.decide`.

Items may be given as a :class:`~bagdar.Calibration`, an :class:`~bagdar.Instrument`
(optionally one ``scale``), an items DataFrame (``Calibration.items`` or
``Instrument.items``) or a list of model dicts.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import bagdar, bagdar.plot
>>> ax = bagdar.plot.item_curves([{"type": "2pl", "slope": 1.2, "intercept": 0.3}])
>>> len(ax.lines)
1
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import Calibration, CatSession, Instrument, SettingsError, _bagdar

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "cat_trace",
    "curves",
    "information_curves",
    "item_curves",
    "profile_chart",
    "wright_map",
]

#: The θ grid used when none is given.
DEFAULT_THETA = np.linspace(-4.0, 4.0, 161)

_MODEL_KEYS = ("slope", "intercept", "intercepts", "guessing", "upper", "thresholds")


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots()
    return new


def _present(value: Any) -> bool:
    if isinstance(value, (list, tuple, np.ndarray)):
        return True
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _calibration_row(kind: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A model dict from a row in the layout of :attr:`Calibration.items`."""

    def numbered(prefix: str) -> list[float]:
        keys = sorted(
            (k for k in row if k.startswith(prefix) and k[len(prefix) :].isdigit()),
            key=lambda k: int(k[len(prefix) :]),
        )
        return [float(row[k]) for k in keys if _present(row[k])]

    model: dict[str, Any] = {"type": kind}
    if kind == "rasch":
        model["intercept"] = float(row["d"])
    elif kind in ("1pl", "2pl", "3pl", "4pl"):
        model["slope"] = float(row["a"])
        model["intercept"] = float(row["d"])
        if kind in ("3pl", "4pl"):
            model["guessing"] = float(row["g"])
        if kind == "4pl":
            model["upper"] = float(row["u"])
    elif kind in ("grm", "gpcm"):
        model["slope"] = float(row["a"])
        model["intercepts"] = numbered("d")
    elif kind == "pcm":
        model["intercepts"] = numbered("d")
    elif kind == "rsm":
        model["intercept"] = float(row["c"])
        model["thresholds"] = numbered("t")
    else:
        raise SettingsError(f"unknown item model {kind!r}")
    return model


def _frame_models(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if "model" not in frame.columns:
        raise SettingsError("an items DataFrame needs a 'model' column")
    instrument_layout = any(k in frame.columns for k in _MODEL_KEYS)
    models = []
    for _, row in frame.iterrows():
        if instrument_layout:
            model = {"type": row["model"]}
            for key in _MODEL_KEYS:
                if key in row and _present(row[key]):
                    value = row[key]
                    model[key] = [float(v) for v in value] if key.endswith("s") else float(value)
            models.append(model)
        else:
            models.append(_calibration_row(str(row["model"]), row))
    return models


def _items(source: Any, scale: str | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """Item ids and model dicts of any accepted item source."""
    if isinstance(source, Calibration):
        return list(source.item_ids), [dict(m) for m in source.models]
    if isinstance(source, Instrument):
        items = [i for i in source.definition["items"] if scale is None or i["scale"] == scale]
        if not items:
            raise SettingsError(f"the instrument has no items on scale {scale!r}")
        return [i["id"] for i in items], [dict(i["model"]) for i in items]
    if isinstance(source, pd.DataFrame):
        frame = source
        if scale is not None and "scale" in frame.columns:
            frame = frame[frame["scale"] == scale]
        return [str(i) for i in frame.index], _frame_models(frame)
    models = [dict(m) for m in source]
    return [f"item{i + 1}" for i in range(len(models))], models


def _select(
    ids: list[str], models: list[dict[str, Any]], which: Sequence[Any] | None
) -> tuple[list[str], list[dict[str, Any]]]:
    if which is None:
        return ids, models
    positions = []
    for w in which:
        if isinstance(w, str):
            if w not in ids:
                raise SettingsError(f"unknown item {w!r}")
            positions.append(ids.index(w))
        else:
            positions.append(int(w))
    return [ids[p] for p in positions], [models[p] for p in positions]


def curves(items: Any, theta: Any = None, *, scale: str | None = None) -> dict[str, Any]:
    """The engine's numbers behind the plots: ``ids``, ``theta``, ``probabilities``
    (items × grid × categories, NaN past an item's last category), ``expected``
    (items × grid), ``information`` (items × grid), ``test_information`` (grid) and
    ``thresholds`` (per item)."""
    ids, models = _items(items, scale)
    grid = np.ascontiguousarray(DEFAULT_THETA if theta is None else theta, dtype=np.float64)
    probabilities, expected, information, test, thresholds = _bagdar.item_curves(
        json.dumps(models), grid
    )
    return {
        "ids": ids,
        "models": models,
        "theta": grid,
        "probabilities": probabilities,
        "expected": expected,
        "information": information,
        "test_information": test,
        "thresholds": thresholds,
    }


def item_curves(
    items: Any,
    which: Sequence[Any] | None = None,
    *,
    theta: Any = None,
    kind: str = "probability",
    scale: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Item characteristic curves. ``kind="probability"``: P(1 | θ) of a 0/1 item and
    every category's P(k | θ) of a polytomous one; ``kind="expected"``: the expected
    item score E[X | θ]. ``which``: item ids or positions (default: all)."""
    if kind not in ("probability", "expected"):
        raise SettingsError(f"kind {kind!r}: use probability or expected")
    ids, models = _select(*_items(items, scale), which)
    c = curves(models, theta)
    ax = _axes(ax)
    for i, item in enumerate(ids):
        k = int(np.sum(~np.isnan(c["probabilities"][i, 0]))) if len(c["theta"]) else 0
        if kind == "expected":
            ax.plot(c["theta"], c["expected"][i], label=item)
        elif k == 2:
            ax.plot(c["theta"], c["probabilities"][i, :, 1], label=item)
        else:
            for category in range(k):
                ax.plot(c["theta"], c["probabilities"][i, :, category], label=f"{item}: {category}")
    ax.set_xlabel("θ")
    ax.set_ylabel("expected score" if kind == "expected" else "probability")
    if kind == "probability":
        ax.set_ylim(0.0, 1.0)
    if len(ids) <= 12:
        ax.legend(fontsize="small")
    return ax


def information_curves(
    items: Any,
    which: Sequence[Any] | None = None,
    *,
    theta: Any = None,
    test: bool = True,
    item_lines: bool = True,
    scale: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Item information curves (``item_lines``) and the test information, their sum
    over the shown items (``test``, drawn thick)."""
    ids, models = _select(*_items(items, scale), which)
    c = curves(models, theta)
    ax = _axes(ax)
    if item_lines:
        for i, item in enumerate(ids):
            ax.plot(c["theta"], c["information"][i], linewidth=1.0, label=item)
    if test:
        ax.plot(c["theta"], c["test_information"], color="black", linewidth=2.5, label="test")
    ax.set_xlabel("θ")
    ax.set_ylabel("information")
    if len(ids) <= 12 or not item_lines:
        ax.legend(fontsize="small")
    return ax


def _person_theta(persons: Any, scale: str | None) -> np.ndarray:
    if isinstance(persons, pd.DataFrame):
        column = "theta" if scale is None else f"{scale}_theta"
        if column not in persons.columns:
            raise SettingsError(f"the persons DataFrame has no {column!r} column")
        persons = persons[column]
    values = np.asarray(persons, dtype=np.float64).ravel()
    return values[np.isfinite(values)]


def wright_map(
    persons: Any,
    items: Any,
    *,
    scale: str | None = None,
    bins: int = 20,
    labels: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """A Wright (person–item) map on one θ axis: the persons' θ histogram to the left
    of 0, each item's difficulty (0/1 items) or thresholds (polytomous) to the right.
    ``persons``: θ values or a scores DataFrame (its ``theta`` column, or
    ``{scale}_theta`` with ``scale``); ``items`` as for :func:`item_curves` (with an
    Instrument, ``scale`` picks its items)."""
    theta = _person_theta(persons, scale)
    ids, models = _items(items, scale)
    thresholds = curves(models, np.empty(0))["thresholds"]
    ax = _axes(ax)
    if len(theta):
        counts, edges = np.histogram(theta, bins=bins)
        widths = 0.9 * counts / max(int(counts.max()), 1)
        ax.barh(
            (edges[:-1] + edges[1:]) / 2,
            -widths,
            height=np.diff(edges),
            left=0.0,
            color="tab:blue",
            alpha=0.7,
            label="persons",
        )
    xs: list[float] = []
    ys: list[float] = []
    for i, points in enumerate(thresholds):
        x = 0.05 + 0.9 * (i + 0.5) / len(thresholds)
        xs += [x] * len(points)
        ys += list(points)
        if labels and len(thresholds) <= 40 and points:
            ax.annotate(
                ids[i], (x, max(points)), textcoords="offset points", xytext=(0, 4),
                ha="center", fontsize="x-small", rotation=90,
            )  # fmt: skip
    ax.scatter(xs, ys, marker="D", color="tab:red", s=18, label="items", zorder=3)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlim(-1.0, 1.0)
    ax.set_xticks([-0.5, 0.5], ["persons", "items"])
    ax.set_ylabel("θ")
    return ax


def cat_trace(
    session: CatSession | str,
    instrument: Instrument | None = None,
    *,
    scale: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """θ̂ ± SE of the answered scale after each answer of an adaptive session, one line
    per scale (or only ``scale``). ``session``: a :class:`~bagdar.CatSession`, or its
    saved JSON with the ``instrument``. The numbers are :attr:`CatSession.trace`."""
    if isinstance(session, str):
        if instrument is None:
            raise SettingsError("a saved session needs its instrument")
        session = CatSession.from_json(session, instrument)
    trace = session.trace
    if scale is not None:
        trace = trace[trace["scale"] == scale]
    ax = _axes(ax)
    for name, steps in trace.groupby("scale", sort=False):
        ax.errorbar(
            steps.index.to_numpy(),
            steps["theta"].to_numpy(),
            yerr=steps["se"].to_numpy(),
            marker="o",
            markersize=3,
            capsize=2,
            label=str(name),
        )
    ax.axhline(0.0, color="grey", linewidth=0.6)
    ax.set_xlabel("answer")
    ax.set_ylabel("θ̂ ± SE")
    if len(trace):
        ax.legend(fontsize="small", ncol=2)
    return ax


def profile_chart(
    decisions: pd.DataFrame,
    student: Any = None,
    *,
    position: int | None = None,
    z: float = 1.0,
    ax: Axes | None = None,
) -> Axes:
    """One student's scale scores from :func:`bagdar.decide` (or scoring with an
    instrument): θ̂ of every scale with ± ``z``·SE bars. ``student``: an index label,
    or ``position`` (default: the first row)."""
    if student is not None:
        row = decisions.loc[student]
    else:
        row = decisions.iloc[0 if position is None else position]
        student = decisions.index[0 if position is None else position]
    scales = [c[: -len("_theta")] for c in decisions.columns if c.endswith("_theta")]
    if not scales:
        raise SettingsError("no {scale}_theta columns: pass bagdar.decide or score output")
    theta = np.array([row[f"{s}_theta"] for s in scales], dtype=np.float64)
    se = np.array([row.get(f"{s}_se", np.nan) for s in scales], dtype=np.float64)
    ax = _axes(ax)
    positions = np.arange(len(scales))
    ax.errorbar(theta, positions, xerr=z * se, fmt="o", capsize=3, color="tab:blue")
    ax.axvline(0.0, color="grey", linewidth=0.6)
    ax.set_yticks(positions, scales)
    ax.invert_yaxis()
    ax.set_xlabel("θ̂" + (f" ± {z:g}·SE" if z else ""))
    title = f"{student}"
    if "best_profile" in decisions.columns and isinstance(row["best_profile"], str):
        title += f" — best profile: {row['best_profile']}"
    ax.set_title(title)
    return ax
