"""Bagdar: item response theory for career-guidance diagnostics.

Scoring of unidimensional item sets and of whole trilingual batteries, with numpy and
pandas in and out. All computation happens in the Rust engine (``bagdar._bagdar``); heavy
calls release the GIL and run in parallel.

>>> import numpy as np, bagdar
>>> items = [{"type": "2pl", "slope": 1.0, "intercept": 0.0}] * 4
>>> out = bagdar.score(np.array([[1, 1, 0, np.nan]]), items, method="eap")
>>> round(float(out["theta"][0]), 3)
0.302
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from . import _bagdar
from ._bagdar import (
    BagdarError,
    ConvergenceError,
    InstrumentError,
    ResponseDataError,
    SettingsError,
    __version__,
)

__all__ = [
    "BagdarError",
    "Calibration",
    "CatSession",
    "CatSimulation",
    "ConvergenceError",
    "GroupCalibration",
    "Instrument",
    "InstrumentError",
    "Linking",
    "ResponseDataError",
    "SettingsError",
    "__version__",
    "cat_simulate",
    "choose_cut",
    "decide",
    "eapsum_table",
    "explain",
    "fit",
    "fit_groups",
    "likelihood_ratio_dif",
    "link",
    "person_fit",
    "plausible_values",
    "score",
    "simulate",
]

ItemModels = Sequence[Mapping[str, Any]]


def _settings(
    method: str = "eap",
    *,
    quadrature: tuple[int, float, float] | None = None,
    prior: tuple[float, float] | None = None,
    discrete_prior: tuple[Sequence[float], Sequence[float]] | None = None,
    bounds: tuple[float, float] | None = None,
    standard_error: str | None = None,
) -> str:
    settings: dict[str, Any] = {"method": method}
    if quadrature is not None:
        points, low, high = quadrature
        settings["grid"] = {"points": int(points), "min": float(low), "max": float(high)}
    if prior is not None and discrete_prior is not None:
        raise SettingsError("give either prior or discrete_prior, not both")
    if prior is not None:
        settings["prior"] = {"type": "normal", "mean": float(prior[0]), "sd": float(prior[1])}
    if discrete_prior is not None:
        nodes, weights = discrete_prior
        settings["prior"] = {
            "type": "discrete",
            "nodes": [float(x) for x in nodes],
            "weights": [float(w) for w in weights],
        }
    if bounds is not None:
        settings["bounds"] = [float(bounds[0]), float(bounds[1])]
    if standard_error is not None:
        settings["standard_error"] = standard_error
    return json.dumps(settings)


def _matrix(data: Any) -> tuple[np.ndarray, Any]:
    """A float64 2-D array (NaN = not administered) and the row index to return."""
    index = data.index if isinstance(data, pd.DataFrame) else None
    array = np.asarray(data, dtype=np.float64)
    if array.ndim != 2:
        raise ResponseDataError(f"response data must be 2-D (persons × items), got {array.ndim}-D")
    return array, index


def _models_json(items: ItemModels | pd.DataFrame) -> str:
    if isinstance(items, pd.DataFrame):
        raise SettingsError("pass item models as a list of dicts (the instrument model format)")
    return json.dumps([dict(m) for m in items])


class Instrument:
    """A validated, trilingual instrument (battery of scales).

    >>> import bagdar
    >>> ins = bagdar.Instrument.load("data/instruments/kasip-demo.json")  # doctest: +SKIP
    >>> len(ins.checksum)  # doctest: +SKIP
    64
    """

    def __init__(self, inner: _bagdar.Instrument) -> None:
        self._inner = inner

    @classmethod
    def load(cls, path: str | PathLike[str]) -> Instrument:
        """Read and validate an instrument file (raises InstrumentError, OSError)."""
        return cls(_bagdar.Instrument.load(str(path)))

    @classmethod
    def from_json(cls, text: str) -> Instrument:
        """Parse and validate instrument JSON text (raises InstrumentError)."""
        return cls(_bagdar.Instrument.from_json(text))

    @property
    def checksum(self) -> str:
        """SHA-256 of the canonical serialization; identifies the instrument version."""
        return self._inner.checksum

    @property
    def id(self) -> str:
        """The instrument id."""
        return self._inner.id

    @property
    def scales(self) -> list[str]:
        """Scale ids, in order."""
        return self._inner.scale_ids

    @property
    def item_ids(self) -> list[str]:
        """Item ids, in order (the response columns)."""
        return self._inner.item_ids

    @property
    def definition(self) -> dict[str, Any]:
        """The parsed definition as a dict."""
        return json.loads(self._inner.definition_json())

    @property
    def items(self) -> pd.DataFrame:
        """One row per item: scale, model, content area, reverse keying and parameters."""
        rows = []
        for item in self.definition["items"]:
            model = dict(item["model"])
            row = {
                "id": item["id"],
                "scale": item["scale"],
                "model": model.pop("type"),
                "content_area": item.get("content_area"),
                "reverse_keyed": item.get("reverse_keyed", False),
            }
            row.update(model)
            rows.append(row)
        return pd.DataFrame(rows).set_index("id")

    def code(self, data: Any) -> np.ndarray:
        """Raw answers (option values) to model categories; NaN stays NaN."""
        array, _ = _matrix(self._columns(data))
        return self._inner.code(np.ascontiguousarray(array))

    def _columns(self, data: Any) -> Any:
        if isinstance(data, pd.DataFrame):
            missing = [i for i in self.item_ids if i not in data.columns]
            if missing:
                raise ResponseDataError(
                    f"{len(missing)} of the instrument's {len(self.item_ids)} items have no "
                    f"column (first: {', '.join(missing[:5])})"
                )
            return data[self.item_ids]
        return data

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Pickled as its definition (e.g. to send to Dask workers); the checksum is
        # recomputed from it and equal.
        return (Instrument.from_json, (self._inner.definition_json(),))

    def __repr__(self) -> str:
        return repr(self._inner)


def score(
    data: Any,
    items: ItemModels | Instrument,
    method: str = "eap",
    **settings: Any,
) -> pd.DataFrame:
    """Score persons.

    ``data``: persons × items (numpy array or DataFrame; NaN = not administered). With
    item models (a list of model dicts, D = 1 slope-intercept), values are model
    categories 0..K−1 and the result has columns ``theta``, ``se``, ``status``. With an
    :class:`Instrument`, values are raw option values (DataFrame columns matched by item
    id) and the result has ``{scale}_theta``, ``{scale}_se``, ``{scale}_status`` for every
    scale. Status columns are categorical ("ok", "no_responses", "all_minimum",
    "all_maximum", "bound"): they compare with strings as usual. ``method``: "eap", "map", "ml" or "wle". Settings: ``quadrature=(points, min,
    max)``, ``prior=(mean, sd)``, ``discrete_prior=(nodes, weights)``, ``bounds=(lo, hi)``,
    ``standard_error="expected"|"observed"``.
    """
    settings_json = _settings(method, **settings)
    if isinstance(items, Instrument):
        array, index = _matrix(items._columns(data))
        theta, se, status = items._inner.score(np.ascontiguousarray(array), settings_json)
        columns: dict[str, Any] = {}
        for s, scale in enumerate(items.scales):
            columns[f"{scale}_theta"] = theta[:, s]
            columns[f"{scale}_se"] = se[:, s]
            columns[f"{scale}_status"] = _status(status[:, s])
        frame = pd.DataFrame(columns, index=index)
        frame.attrs["instrument_checksum"] = items.checksum
        frame.attrs["method"] = method
        return frame
    array, index = _matrix(data)
    theta, se, status = _bagdar.score_items(
        _models_json(items), np.ascontiguousarray(array), settings_json
    )
    return pd.DataFrame({"theta": theta, "se": se, "status": _status(status)}, index=index)


_STATUS_NAMES = _bagdar.status_names()


def _status(codes: np.ndarray) -> pd.Categorical:
    """Status codes from the engine as a categorical column of status names."""
    return pd.Categorical.from_codes(codes, categories=_STATUS_NAMES)


def person_fit(
    data: Any,
    items: ItemModels,
    method: str = "ml",
    **settings: Any,
) -> pd.DataFrame:
    """Person fit of every row: ``theta`` (by ``method``: "ml", "map", "wle" or "eap"),
    ``lz`` (Drasgow et al. 1985) and ``lz_star`` (Snijders 2001, corrected for the
    estimated θ; NaN for EAP θ). Large negative values flag aberrant patterns. Data and
    settings as for :func:`score` with item models."""
    array, index = _matrix(data)
    theta, lz, lz_star = _bagdar.person_fit(
        _models_json(items), np.ascontiguousarray(array), _settings(method, **settings)
    )
    return pd.DataFrame({"theta": theta, "lz": lz, "lz_star": lz_star}, index=index)


def eapsum_table(items: ItemModels, **settings: Any) -> pd.DataFrame:
    """EAP for summed scores (Lord–Wingersky): ``theta``, ``se`` and the model-implied
    ``probability`` of each sum, indexed by ``sum``."""
    sums, theta, se, probability = _bagdar.sum_score_table(
        _models_json(items), _settings("eap", **settings)
    )
    return pd.DataFrame(
        {"theta": theta, "se": se, "probability": probability},
        index=pd.Index(sums, name="sum"),
    )


def plausible_values(
    data: Any,
    items: ItemModels,
    draws: int = 5,
    seed: int = 0,
    method: str = "normal",
    **settings: Any,
) -> np.ndarray:
    """Seeded plausible values, persons × draws. ``method``: "normal" (N(EAP, SD²)) or
    "posterior" (drawn from the quadrature posterior)."""
    array, _ = _matrix(data)
    return _bagdar.plausible_values(
        _models_json(items),
        np.ascontiguousarray(array),
        int(draws),
        int(seed),
        _settings("eap", **settings),
        method,
    )


_DICHOTOMOUS = {"rasch", "1pl", "2pl", "3pl", "4pl"}


class Calibration:
    """The result of :func:`fit`: item parameters (D = 1, slope-intercept) and fit
    statistics. ``models`` can be passed straight to :func:`score`."""

    def __init__(
        self,
        result: dict[str, Any],
        item_ids: list[str],
        data: np.ndarray | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self._result = result
        self._data = data
        self._settings = settings if settings is not None else {}
        self.item_ids = item_ids
        self.models: list[dict[str, Any]] = result["items"]
        self.log_likelihood: float = result["log_likelihood"]
        self.log_prior: float = result["log_prior"]
        self.aic: float = result["aic"]
        self.bic: float = result["bic"]
        self.parameters: int = result["parameters"]
        self.iterations: int = result["iterations"]
        self.e_steps: int = result["e_steps"]
        self.status: str = result["status"]
        self.latent_mean: float = result["latent_mean"]
        self.latent_sd: float = result["latent_sd"]
        self.history: list[float] = result["history"]

    @property
    def converged(self) -> bool:
        """True when the fit met both tolerances."""
        return self.status == "converged"

    @property
    def items(self) -> pd.DataFrame:
        """One row per item: ``model``, ``a`` (slope), ``d`` and ``b`` = −d/a for
        dichotomous items, ``g``/``u`` for 3PL/4PL, ``d1``…``dk`` for GRM/GPCM/PCM,
        ``c`` and ``t1``…``tk`` for RSM."""
        return _items_frame(self.models, pd.Index(self.item_ids, name="item"))

    @property
    def se(self) -> pd.DataFrame:
        """Standard errors in the layout of :attr:`items` (``a``, ``d``, ``b`` by the delta
        method, ``g``, ``u``, ``d1``…``dk``, ``t1``…``tk``); NaN where a parameter was
        not estimated (anchored, fixed). From the observed information: central
        differences of the exact gradient of the marginal log-likelihood (log-posterior
        with priors), all items jointly. Needs ``fit(..., se=True)``."""
        se = self._result.get("se")
        if se is None:
            raise SettingsError("no standard errors: fit with se=True")
        rows = []
        for model, item in zip(self.models, se["items"]):
            kind = model["type"]
            row: dict[str, Any] = {"a": item.get("slope")}
            difficulties = item.get("difficulties") or []
            if "intercept" in model and kind != "rsm":
                row["d"] = item["intercepts"][0] if item.get("intercepts") else None
                row["b"] = difficulties[0] if difficulties else None
            if "guessing" in model:
                row["g"] = item.get("guessing")
            if "upper" in model:
                row["u"] = item.get("upper")
            if "intercepts" in model:
                for k, v in enumerate(item.get("intercepts") or [], start=1):
                    row[f"d{k}"] = v
            if kind == "rsm":
                row["c"] = (item.get("intercepts") or [None])[0]
                for k, v in enumerate(item.get("thresholds") or [], start=1):
                    row[f"t{k}"] = v
            rows.append(row)
        frame = pd.DataFrame(rows, index=pd.Index(self.item_ids, name="item"), dtype=float)
        frame.attrs["method"] = se["method"]
        frame.attrs["positive_definite"] = se["positive_definite"]
        return frame

    def _fit_arguments(self) -> tuple[np.ndarray, str, str]:
        if self._data is None:
            raise SettingsError("this Calibration has no data attached (use bagdar.fit)")
        return self._data, json.dumps(self._settings), json.dumps(self._result)

    def m2(self) -> dict[str, Any]:
        """Limited-information fit (Maydeu-Olivares & Joe 2006; M2* for polytomous items):
        ``statistic``, ``df``, ``p_value``, ``rmsea``, ``srmsr``. Complete data only."""
        result: dict[str, Any] = json.loads(_bagdar.m2(*self._fit_arguments()))
        return result

    def item_fit(self) -> pd.DataFrame:
        """Per item: Orlando–Thissen ``S_X2`` with ``df_S_X2``, ``RMSEA_S_X2``,
        ``p_S_X2`` (mirt's cell collapsing), and ``infit``/``outfit`` mean squares with
        their Zstd at each person's WLE. Complete data only."""
        table = json.loads(_bagdar.item_fit(*self._fit_arguments()))
        rows = [
            {
                "S_X2": t["s_x2"]["statistic"],
                "df_S_X2": t["s_x2"]["df"],
                "RMSEA_S_X2": t["s_x2"]["rmsea"],
                "p_S_X2": t["s_x2"]["p_value"],
                "infit": t["mean_squares"]["infit"],
                "infit_z": t["mean_squares"]["infit_z"],
                "outfit": t["mean_squares"]["outfit"],
                "outfit_z": t["mean_squares"]["outfit_z"],
            }
            for t in table
        ]
        return pd.DataFrame(rows, index=pd.Index(self.item_ids, name="item"))

    def local_dependence(self) -> dict[str, Any]:
        """Local dependence of every item pair. ``q3``: Yen's Q3 matrix (items × items,
        residual correlations at each person's EAP under the fitted population, as R
        mirt's ``residuals(type="Q3")``; NaN for pairs with fewer than 3 common
        persons); ``q3_mean``, ``q3_max_centred`` (largest Q3 minus the mean) and
        ``q3_max_pair``; ``pairs``: one row per pair (``first``, ``second``) with the LD
        X² (Chen & Thissen 1997) ``chi_square``, ``df``, ``p_value`` (approximate) and
        signed ``cramers_v``."""
        report = json.loads(_bagdar.local_dependence(*self._fit_arguments()))
        q3 = report["q3"]
        n = q3["items"]
        ids = pd.Index(self.item_ids, name="item")
        matrix = np.array([np.nan if v is None else v for v in q3["matrix"]], dtype=float)
        pairs = pd.DataFrame(report["pairs"])
        for column in ("first", "second"):
            pairs[column] = [self.item_ids[i] for i in pairs[column]]
        first, second = q3["max_pair"]
        return {
            "q3": pd.DataFrame(matrix.reshape(n, n), index=ids, columns=ids),
            "q3_mean": q3["mean"],
            "q3_max_centred": q3["max_centred"],
            "q3_max_pair": (self.item_ids[first], self.item_ids[second]),
            "pairs": pairs,
        }

    def dif(
        self,
        groups: Any,
        reference: Any = None,
        focal: Any = None,
        method: str | None = None,
    ) -> pd.DataFrame:
        """DIF of every item between two groups (e.g. language forms), matched on the
        total score. ``groups``: one label per person; ``reference``/``focal``: two of
        its labels (default: the first two in sorted order). ``method``: "mh"
        (Mantel–Haenszel with ETS delta and A/B/C class; the default for 0/1 items),
        "mantel" (ordinal, standardized mean difference, AA/BB/CC; the default for
        polytomous items), "logistic" (uniform and non-uniform, Nagelkerke ΔR²) or "lr"
        (likelihood ratio in the two-group IRT model, 2PL or graded items, all other
        items as anchors; :func:`likelihood_ratio_dif` gives anchors and models)."""
        data, _, _ = self._fit_arguments()
        labels = np.asarray(groups)
        if labels.shape != (data.shape[0],):
            raise ResponseDataError(
                f"groups: one label per person needed ({data.shape[0]}), got shape {labels.shape}"
            )
        categories = sorted(set(labels.tolist()), key=str)
        if reference is None or focal is None:
            if len(categories) < 2:
                raise SettingsError("groups: need at least two groups")
            reference, focal = categories[0], categories[1]
        for name, label in (("reference", reference), ("focal", focal)):
            if label not in categories:
                raise SettingsError(f"{name} group {label!r} does not occur in groups")
        codes = np.array([categories.index(g) for g in labels.tolist()], dtype=np.int64)
        if method is None:
            dichotomous = all(m["type"] in _DICHOTOMOUS for m in self.models)
            method = "mh" if dichotomous else "mantel"
        table = json.loads(
            _bagdar.dif(
                data,
                codes,
                categories.index(reference),
                categories.index(focal),
                method,
            )
        )
        frame = pd.DataFrame(table)
        if "item" in frame:
            frame = frame.drop(columns="item")
        frame.index = pd.Index(self.item_ids, name="item")
        frame.attrs["reference"] = reference
        frame.attrs["focal"] = focal
        frame.attrs["method"] = method
        return frame

    def __repr__(self) -> str:
        return (
            f"Calibration(items={len(self.models)}, log_likelihood={self.log_likelihood:.3f}, "
            f"status={self.status!r}, iterations={self.iterations})"
        )


def _item_ids(data: Any, array: np.ndarray) -> list[str]:
    """The item ids: a DataFrame's columns, else item1, item2, …"""
    if isinstance(data, pd.DataFrame):
        return [str(c) for c in data.columns]
    return [f"item{i + 1}" for i in range(array.shape[1])]


def _calibration_settings(
    model: str,
    *,
    quadrature: tuple[int, float, float] | None = None,
    max_iterations: int = 500,
    slope_prior: tuple[float, float] | None = None,
    intercept_prior: tuple[float, float] | None = None,
    guessing_prior: tuple[float, float] | None = None,
    upper_prior: tuple[float, float] | None = None,
    se: bool = False,
) -> dict[str, Any]:
    """The core's CalibrationSettings as a dict (see :func:`fit`)."""
    settings: dict[str, Any] = {
        "model": model,
        "max_iterations": int(max_iterations),
        "standard_errors": bool(se),
    }
    if quadrature is not None:
        points, low, high = quadrature
        settings["grid"] = {"points": int(points), "min": float(low), "max": float(high)}
    priors: dict[str, Any] = {}
    if slope_prior is not None:
        priors["slope"] = {"meanlog": float(slope_prior[0]), "sdlog": float(slope_prior[1])}
    if intercept_prior is not None:
        priors["intercept"] = {"mean": float(intercept_prior[0]), "sd": float(intercept_prior[1])}
    if guessing_prior is not None:
        priors["guessing"] = {"alpha": float(guessing_prior[0]), "beta": float(guessing_prior[1])}
    if upper_prior is not None:
        priors["upper"] = {"alpha": float(upper_prior[0]), "beta": float(upper_prior[1])}
    if priors:
        settings["priors"] = priors
    return settings


def _items_frame(models: Sequence[Mapping[str, Any]], index: Any) -> pd.DataFrame:
    """Item models as rows: ``model``, ``a``, ``d``, ``b``, ``g``, ``u``, ``d1``…, ``c``,
    ``t1``… (the layout of :attr:`Calibration.items`)."""
    rows = []
    for model in models:
        kind = model["type"]
        row: dict[str, Any] = {"model": kind, "a": model.get("slope", 1.0)}
        if "intercept" in model and kind != "rsm":
            row["d"] = model["intercept"]
            row["b"] = -model["intercept"] / row["a"]
        if "guessing" in model:
            row["g"] = model["guessing"]
        if "upper" in model:
            row["u"] = model["upper"]
        for k, d in enumerate(model.get("intercepts", []), start=1):
            row[f"d{k}"] = d
        if kind == "rsm":
            row["c"] = model["intercept"]
            for k, t in enumerate(model["thresholds"], start=1):
                row[f"t{k}"] = t
        rows.append(row)
    return pd.DataFrame(rows, index=index)


def _numbered(row: pd.Series, prefix: str) -> list[float]:
    """``d1``, ``d2``, … (or ``t1``, …) of a row, up to the first missing one."""
    values = []
    k = 1
    while f"{prefix}{k}" in row.index and pd.notna(row[f"{prefix}{k}"]):
        values.append(float(row[f"{prefix}{k}"]))
        k += 1
    return values


def _frame_models(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The inverse of :func:`_items_frame`: rows in the :attr:`Calibration.items` layout
    as item-model dicts (``b`` is ignored; ``d`` is the parameter)."""
    if "model" not in frame.columns:
        raise InstrumentError("an items DataFrame needs a 'model' column (rasch, 2pl, grm, …)")
    models = []
    for _, row in frame.iterrows():
        kind = str(row["model"])
        model: dict[str, Any] = {"type": kind}
        if kind not in ("rasch", "pcm", "rsm"):
            model["slope"] = float(row["a"])
        if kind in ("rasch", "1pl", "2pl", "3pl", "4pl"):
            model["intercept"] = float(row["d"])
        if kind in ("3pl", "4pl"):
            model["guessing"] = float(row["g"])
        if kind == "4pl":
            model["upper"] = float(row["u"])
        if kind in ("grm", "gpcm", "pcm"):
            model["intercepts"] = _numbered(row, "d")
        if kind == "rsm":
            model["intercept"] = float(row["c"])
            model["thresholds"] = _numbered(row, "t")
        models.append(model)
    return models


def _as_models(items: Any) -> list[dict[str, Any]]:
    if isinstance(items, Calibration):
        return [dict(m) for m in items.models]
    if isinstance(items, pd.DataFrame):
        return _frame_models(items)
    return [dict(m) for m in items]


def simulate(
    source: Any,
    n: int = 1000,
    *,
    seed: int = 0,
    mean: float = 0.0,
    sd: float = 1.0,
    missing: float = 0.0,
    omission_rate: float = 0.02,
    malformed_rows: bool = False,
) -> tuple[pd.DataFrame, Any]:
    """Seeded simulated data (the same seed gives the same data on every platform).

    ``source`` item models (dicts, an items DataFrame or a :class:`Calibration`):
    ``n`` persons with θ ~ N(``mean``, ``sd``²) answer every item (each response
    missing with probability ``missing``); returns (responses as a DataFrame of
    categories, NaN = missing, columns = the items DataFrame's index or item1…; true θ
    as a numpy array).

    ``source`` an :class:`Instrument`: a cohort of ``n`` students answering the whole
    battery as a response file would hold it (student_id, region, school, language, then
    raw option values; each answer blank with ``omission_rate``; with
    ``malformed_rows`` the demonstration rows a batch run must reject); returns (that
    DataFrame, the true θ per scale of the well-formed rows as a DataFrame).

    >>> data, theta = simulate([{"type": "2pl", "slope": 1.0, "intercept": 0.0}] * 3, 5, seed=1)
    >>> data.shape, theta.shape
    ((5, 3), (5,))
    """
    if isinstance(source, Instrument):
        header, rows, thetas = _bagdar.simulate_cohort(
            source._inner, int(n), int(seed), float(omission_rate), bool(malformed_rows)
        )
        # The malformed row with a column missing is padded with a blank (NaN).
        width = len(header)
        frame = pd.DataFrame([row + [""] * (width - len(row)) for row in rows], columns=header)
        for column in header[4:]:
            frame[column] = pd.to_numeric(frame[column].replace("", np.nan), errors="coerce")
        # Student r has id S{r+1:07}; the malformed rows carry other (or repeated) ids.
        ids = [f"S{r + 1:07d}" for r in range(len(thetas))]
        truth = pd.DataFrame(thetas, columns=source.scales, index=pd.Index(ids, name="student_id"))
        return frame, truth
    models = _as_models(source)
    array, theta = _bagdar.simulate_items(
        json.dumps(models), int(n), int(seed), float(mean), float(sd), float(missing)
    )
    if isinstance(source, pd.DataFrame):
        columns = [str(c) for c in source.index]
    elif isinstance(source, Calibration):
        columns = list(source.item_ids)
    else:
        columns = [f"item{i + 1}" for i in range(array.shape[1])]
    return pd.DataFrame(array, columns=columns), theta


@dataclass(frozen=True)
class Linking:
    """The result of :func:`link`: θ_base = A·θ_new + B (``slope`` = A, ``intercept`` = B).

    ``criterion`` is the minimized Stocking–Lord or Haebara criterion (None for mean/mean
    and mean/sigma); ``iterations`` and ``converged`` describe the minimization.
    """

    method: str
    slope: float
    intercept: float
    criterion: float | None
    common_items: int
    iterations: int
    converged: bool

    @property
    def A(self) -> float:  # the symbol of the linking literature
        """The slope A."""
        return self.slope

    @property
    def B(self) -> float:
        """The intercept B."""
        return self.intercept

    def theta(self, theta: Any) -> Any:
        """New-form θ on the base scale: A·θ + B."""
        return self.slope * np.asarray(theta, dtype=np.float64) + self.intercept

    def transform(self, items: Any) -> Any:
        """New-form items moved to the base scale (a = a/A, d = d − a·B/A; b = A·b + B).

        ``items``: a DataFrame in the :attr:`Calibration.items` layout (returns one in the
        same layout and index), a :class:`Calibration` or a list of item-model dicts
        (returns a list of dicts). Rasch/PCM/RSM items become 1PL/GPCM when A ≠ 1.
        """
        models = _as_models(items)
        moved = json.loads(_bagdar.link_transform(json.dumps(asdict(self)), json.dumps(models)))
        if isinstance(items, pd.DataFrame):
            return _items_frame(moved, items.index)
        return moved


def link(
    base: Any,
    new: Any,
    method: str = "stocking_lord",
    *,
    symmetric: bool = False,
    quadrature: tuple[int, float, float] | None = None,
) -> Linking:
    """Put a new form on the base form's scale through common items.

    ``base`` and ``new``: the common items' parameters from the two calibrations, in the
    same order, each a list of item-model dicts, a :class:`Calibration` or a DataFrame in
    the :attr:`Calibration.items` layout. ``method``: "mean_mean", "mean_sigma",
    "stocking_lord" or "haebara". ``symmetric`` adds the characteristic-curve criterion
    in the other direction; ``quadrature=(points, min, max)`` changes the θ grid (default
    61 points on [−6, 6], N(0, 1) weights).

    >>> import bagdar
    >>> base = [{"type": "2pl", "slope": 1.0, "intercept": 0.0},
    ...         {"type": "2pl", "slope": 2.0, "intercept": -2.0}]
    >>> new = [{"type": "2pl", "slope": 2.0, "intercept": 1.0},
    ...        {"type": "2pl", "slope": 4.0, "intercept": 0.0}]
    >>> r = bagdar.link(base, new, "mean_mean")
    >>> (r.A, r.B)
    (2.0, 1.0)
    """
    settings: dict[str, Any] = {"symmetric": bool(symmetric)}
    if quadrature is not None:
        points, low, high = quadrature
        settings["grid"] = {"points": int(points), "min": float(low), "max": float(high)}
    result = _bagdar.link(
        json.dumps(_as_models(base)), json.dumps(_as_models(new)), method, json.dumps(settings)
    )
    return Linking(**json.loads(result))


def fit(
    data: Any,
    model: str = "2pl",
    *,
    quadrature: tuple[int, float, float] | None = None,
    max_iterations: int = 500,
    slope_prior: tuple[float, float] | None = None,
    intercept_prior: tuple[float, float] | None = None,
    guessing_prior: tuple[float, float] | None = None,
    upper_prior: tuple[float, float] | None = None,
    se: bool = False,
) -> Calibration:
    """Calibrate items by marginal maximum likelihood (Bock–Aitkin EM, Anderson-accelerated).

    ``data``: persons × items of model categories 0..K−1 (NaN = not administered); a
    DataFrame's columns become the item ids. ``model``: "rasch", "1pl", "2pl", "3pl",
    "4pl", "grm", "gpcm", "pcm" or "rsm". Priors as in R mirt: ``slope_prior=(meanlog,
    sdlog)`` lognormal, ``intercept_prior=(mean, sd)`` normal, ``guessing_prior`` and
    ``upper_prior=(alpha, beta)`` beta. ``se=True`` also computes the parameters'
    standard errors (:attr:`Calibration.se`; two E-steps per parameter). Raises
    :class:`ConvergenceError` only for numerical failures; check ``.converged`` (never
    silently true).
    """
    array, _ = _matrix(data)
    item_ids = _item_ids(data, array)
    settings = _calibration_settings(
        model,
        quadrature=quadrature,
        max_iterations=max_iterations,
        slope_prior=slope_prior,
        intercept_prior=intercept_prior,
        guessing_prior=guessing_prior,
        upper_prior=upper_prior,
        se=se,
    )
    array = np.ascontiguousarray(array)
    result = _bagdar.calibrate(array, json.dumps(settings))
    return Calibration(json.loads(result), item_ids, array, settings)


def decide(
    data: Any,
    instrument: Instrument,
    profile: str | None = "teacher",
    *,
    norms: str | PathLike[str] | None = None,
    norm_grouping: str = "all",
    method: str = "eap",
    return_details: bool = False,
) -> Any:
    """The teaching-aptitude decision (and every other profile) for each student.

    ``data``: raw answers as for :func:`score` with an instrument. Returns a DataFrame
    with every scale's ``{scale}_theta``/``{scale}_se``, then for ``profile`` (or every
    profile when ``None``) ``{profile}_composite``, ``{profile}_composite_sd``,
    ``{profile}_p_above_cut`` and ``{profile}_tier``, and ``best_profile``, ``caution``
    and ``quality_flags`` (with ``norms``, also ``{profile}_percentile`` and
    ``{profile}_stanine``). ``norms``: a norms JSON file (percentile cuts and ranks,
    e.g. from ``bagdar norms``); ``norm_grouping``: "all", or "language"/"region" to rank
    each student within their group, read from a DataFrame's ``language``/``region``
    columns (a group the norms lack falls back to all). With
    ``return_details=True`` also returns the full decision documents and the
    classification quality of each profile (expected accuracy and consistency).
    """
    array, index = _matrix(instrument._columns(data))
    if norm_grouping not in ("all", "language", "region"):
        raise SettingsError(f"norm_grouping {norm_grouping!r}: use all, language or region")
    groups_json = None
    if norm_grouping != "all":
        if not isinstance(data, pd.DataFrame) or norm_grouping not in data.columns:
            raise SettingsError(
                f"norm_grouping={norm_grouping!r} needs a DataFrame with a {norm_grouping!r} column"
            )
        labels = data[norm_grouping].astype("string").tolist()
        groups_json = json.dumps([{norm_grouping: None if pd.isna(v) else str(v)} for v in labels])
    norms_json = None
    if norms is not None:
        with open(norms, encoding="utf-8") as handle:
            norms_json = handle.read()
    settings = {"scoring": json.loads(_settings(method)), "norm_grouping": norm_grouping}
    batch = json.loads(
        instrument._inner.decide(
            np.ascontiguousarray(array), json.dumps(settings), norms_json, groups_json
        )
    )
    students = batch["students"]
    profiles = [p["id"] for p in instrument.definition["profiles"]]
    if profile is not None:
        if profile not in profiles:
            raise SettingsError(f"unknown profile {profile!r} (the instrument has {profiles})")
        profiles = [profile]
    columns: dict[str, list[Any]] = {}
    for s, scale in enumerate(instrument.scales):
        columns[f"{scale}_theta"] = [d["scales"][s]["estimate"]["theta"] for d in students]
        columns[f"{scale}_se"] = [d["scales"][s]["estimate"]["se"] for d in students]
    for p in profiles:
        results = [next(r for r in d["profiles"] if r["profile"] == p) for d in students]
        columns[f"{p}_composite"] = [r["composite_mean"] for r in results]
        columns[f"{p}_composite_sd"] = [r["composite_sd"] for r in results]
        columns[f"{p}_p_above_cut"] = [r["p_above_cut"] for r in results]
        columns[f"{p}_tier"] = [r["tier"] for r in results]
        if norms is not None:
            columns[f"{p}_percentile"] = [r["percentile"] for r in results]
            columns[f"{p}_stanine"] = [r["stanine"] for r in results]
    columns["best_profile"] = [d["ranking"][0] if d["ranking"] else None for d in students]
    columns["caution"] = [d["caution"] for d in students]
    # Same keys as the CLI's quality_flags column ("quality.<flag>").
    columns["quality_flags"] = [
        ";".join(f"quality.{flag['flag']}" for flag in d["quality"]) for d in students
    ]
    frame = pd.DataFrame(columns, index=index)
    frame.attrs["instrument_checksum"] = instrument.checksum
    frame.attrs["method"] = method
    if return_details:
        return frame, batch
    return frame


def explain(
    explanations: Sequence[Mapping[str, Any]],
    instrument: Instrument,
    language: str = "kk",
    audience: str = "student",
) -> list[str]:
    """Render a decision's explanation keys (``batch["students"][i]["explanations"]``
    from :func:`decide` with ``return_details=True``) in ``language`` ("kk", "ru", "en")
    for the ``"student"`` or the ``"counselor"``."""
    return instrument._inner.explain(json.dumps(list(explanations)), language, audience)


def _cat_settings(settings: Mapping[str, Any] | str | PathLike[str] | None) -> str | None:
    """CAT settings as JSON text: a dict, a path to a JSON file, or JSON text."""
    if settings is None:
        return None
    if isinstance(settings, Mapping):
        return json.dumps(dict(settings))
    text = str(settings)
    if isinstance(settings, PathLike) or (
        not text.lstrip().startswith("{") and text.endswith(".json")
    ):
        with open(settings, encoding="utf-8") as handle:
            return handle.read()
    return text


class CatSession:
    """An adaptive testing session on an instrument (``data/CAT.md``).

    The state is a value: :meth:`to_json` gives versioned JSON that
    :meth:`from_json` resumes to exactly the same state (the answer log is replayed, so
    a tampered or truncated state raises instead of resuming differently).

    (Run from the repository root.)

    >>> import bagdar
    >>> ins = bagdar.Instrument.load("data/instruments/kasip-demo.json")
    >>> s = bagdar.CatSession.start(ins, "data/cat/kasip-demo-cat.json", "ru", seed=1)
    >>> item = s.next_item()
    >>> item["scale"]
    'social'
    >>> s.answer(item["item"], item["options"][0]["value"])
    >>> bagdar.CatSession.from_json(s.to_json(), ins).responses[0]["item"] == item["item"]
    True
    """

    def __init__(
        self,
        instrument: Instrument,
        settings: Mapping[str, Any] | str | PathLike[str] | None = None,
        language: str = "kk",
        seed: int = 0,
    ) -> None:
        """Start a session: ``settings`` as a dict, a JSON file or JSON text (None =
        defaults); ``language`` one of the instrument's; every random step derives from
        ``seed``."""
        self._inner = _bagdar.CatSession.start(
            instrument._inner, _cat_settings(settings), language, int(seed)
        )
        self.instrument = instrument

    @classmethod
    def _wrap(cls, inner: _bagdar.CatSession, instrument: Instrument) -> CatSession:
        session = cls.__new__(cls)
        session._inner = inner
        session.instrument = instrument
        return session

    @classmethod
    def start(
        cls,
        instrument: Instrument,
        settings: Mapping[str, Any] | str | PathLike[str] | None = None,
        language: str = "kk",
        seed: int = 0,
    ) -> CatSession:
        """Start a session; the same as ``CatSession(instrument, settings, language,
        seed)``."""
        return cls(instrument, settings, language, seed)

    @classmethod
    def from_json(cls, text: str, instrument: Instrument) -> CatSession:
        """Resume a saved session (checked against the instrument's checksum)."""
        return cls._wrap(_bagdar.CatSession.from_json(text, instrument._inner), instrument)

    def next_item(self) -> dict[str, Any] | None:
        """The item to ask now (``item``, ``scale``, ``stem`` and ``options`` with
        ``value``/``text`` in the session's language), or None when stopped."""
        text = self._inner.next_item(self.instrument._inner)
        return None if text is None else dict(json.loads(text))

    def answer(self, item: str, value: int, timestamp: str | None = None) -> None:
        """Record the answer (one of the item's option values) to the pending item."""
        self._inner.answer(self.instrument._inner, item, int(value), timestamp)

    @property
    def estimates(self) -> pd.DataFrame:
        """Per scale: ``theta``, ``se``, ``status``, ``items`` asked, ``stop`` reason and
        the classification ``decision`` (``above``/``below``) where a rule decided."""
        rows = []
        for e in json.loads(self._inner.estimates()):
            classification = e.get("classification") or {}
            rows.append(
                {
                    "scale": e["scale"],
                    "theta": e["estimate"]["theta"],
                    "se": e["estimate"]["se"],
                    "status": e["estimate"]["status"],
                    "items": e["items"],
                    "stop": e["stop"],
                    "decision": classification.get("decision"),
                }
            )
        return pd.DataFrame(rows).set_index("scale")

    def result(self, profile: str | None = "teacher") -> pd.DataFrame:
        """The outcome of the answers given so far, as the web form shows it: the
        session's answers (unasked items blank) decided by :func:`decide` — scale scores,
        composite, ``p_above_cut``, tier and quality flags; one row."""
        ids = self.instrument.item_ids
        row = dict.fromkeys(ids, np.nan)
        for response in self.responses:
            row[response["item"]] = response["value"]
        frame = pd.DataFrame([row], columns=ids, dtype=float)
        result: pd.DataFrame = decide(frame, self.instrument, profile)
        return result

    @property
    def responses(self) -> list[dict[str, Any]]:
        """The answer log: ``item``, ``value``, ``category``, ``timestamp``."""
        log: list[dict[str, Any]] = json.loads(self._inner.responses())
        return log

    @property
    def trace(self) -> pd.DataFrame:
        """The session's course, one row per answer (``number``): ``item``, ``scale``,
        ``category`` and the answered scale's ``theta`` and ``se`` right after it
        (replayed from the log by the engine)."""
        rows = [
            {
                "number": t["number"],
                "item": t["item"],
                "scale": t["scale"],
                "category": t["category"],
                "theta": np.nan if t["estimate"]["theta"] is None else t["estimate"]["theta"],
                "se": np.nan if t["estimate"]["se"] is None else t["estimate"]["se"],
                "status": t["estimate"]["status"],
            }
            for t in json.loads(self._inner.trace())
        ]
        columns = ["number", "item", "scale", "category", "theta", "se", "status"]
        return pd.DataFrame(rows, columns=columns).set_index("number")

    @property
    def stopped(self) -> bool:
        """True once the session has stopped."""
        return self._inner.stopped

    @property
    def stop_reason(self) -> str | None:
        """``all_scales_done`` or ``max_total`` once stopped."""
        return self._inner.stop_reason

    def to_json(self) -> str:
        """The state as versioned JSON (``bagdar-cat-session``, version 1)."""
        return self._inner.to_json()


class CatSimulation:
    """The report of :func:`cat_simulate`: ``scales`` (bias, RMSE, mean SE and length per
    scale, with the full fixed form's RMSE beside), ``exposure`` (rate per item),
    ``length`` (mean, sd, min, max, distribution), ``overlap``, ``profile`` agreement
    with the full form, and the whole ``report`` dict."""

    def __init__(self, report: dict[str, Any]) -> None:
        self.report = report
        self.length: dict[str, Any] = report["length"]
        self.overlap: float = report["overlap"]
        self.max_exposure: float = report["max_exposure"]
        self.profile: dict[str, Any] | None = report.get("profile")

    @property
    def scales(self) -> pd.DataFrame:
        rows = []
        for s in self.report["scales"]:
            row = {k: v for k, v in s.items() if k != "classification"}
            for k, v in (s.get("classification") or {}).items():
                row[f"classification_{k}"] = v
            rows.append(row)
        return pd.DataFrame(rows).set_index("scale")

    @property
    def exposure(self) -> pd.Series:
        return pd.Series({e["item"]: e["rate"] for e in self.report["exposure"]}, name="exposure")

    def __repr__(self) -> str:
        return (
            f"CatSimulation(students={self.report['students']}, "
            f"mean_length={self.length['mean']:.1f}, max_exposure={self.max_exposure:.3f})"
        )


def cat_simulate(
    instrument: Instrument,
    settings: Mapping[str, Any] | str | PathLike[str] | None = None,
    *,
    students: int = 1000,
    seed: int = 0,
    theta_mean: float = 0.0,
    theta_sd: float = 1.0,
    profile: str | None = None,
) -> CatSimulation:
    """Simulate adaptive sessions of ``students`` simulees with true θ ~ N(mean, sd²) on
    every scale (seeded; the same result with any thread count). Reports bias and RMSE
    of θ, test length, item exposure and overlap, and agreement of ``profile``'s tier
    (default: teacher) with the full fixed form."""
    simulation: dict[str, Any] = {
        "students": int(students),
        "seed": int(seed),
        "theta_mean": float(theta_mean),
        "theta_sd": float(theta_sd),
    }
    if profile is not None:
        simulation["profile"] = profile
    text = _bagdar.cat_simulate(instrument._inner, _cat_settings(settings), json.dumps(simulation))
    return CatSimulation(json.loads(text))


def choose_cut(
    data: Any,
    instrument: Instrument,
    profile: str = "teacher",
    *,
    share_above: float | None = None,
    share_recommended: float | None = None,
    accuracy: float | None = None,
) -> dict[str, Any]:
    """The cut on a profile's composite (θ metric) for a target, over a norm sample of
    raw answers (as for :func:`decide`): ``share_above`` (share of posterior means above
    the cut), ``share_recommended`` (share recommended) or ``accuracy`` (the lowest cut
    at or above the median reaching this expected accuracy) — give exactly one. Returns
    ``cut``, the shares above, recommended and not indicated, and the expected
    classification accuracy and consistency at the cut."""
    targets = {
        "share_above": share_above,
        "share_recommended": share_recommended,
        "accuracy": accuracy,
    }
    given = {k: float(v) for k, v in targets.items() if v is not None}
    if len(given) != 1:
        raise SettingsError("give exactly one of share_above, share_recommended, accuracy")
    array, _ = _matrix(instrument._columns(data))
    text = instrument._inner.choose_cut(np.ascontiguousarray(array), profile, json.dumps(given))
    result: dict[str, Any] = json.loads(text)
    return result


from .groups import GroupCalibration, fit_groups, likelihood_ratio_dif  # noqa: E402
