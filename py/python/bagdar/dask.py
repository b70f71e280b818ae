"""Bagdar on Dask DataFrames (the ``dask`` extra: ``pip install "bagdar[dask]"``).

* :func:`score` scores partition by partition (``map_partitions``); every person's
  estimate is computed exactly as :func:`bagdar.score` computes it, so the result equals
  local scoring bit for bit.
* :func:`fit` calibrates with the E-step run on each partition where it lives: the
  partitions' :class:`ExpectedCounts` (the Bock–Aitkin sufficient statistic, a sum over
  persons) are computed by the workers, sent back as bytes and merged in partition
  order, so the fit is deterministic and agrees with :func:`bagdar.fit` on the same data
  to rounding (summation order). The M-step, the acceleration and convergence checks run in the
  Rust engine (``calibrate_with``), the same code as the local fit.

Dask runs on whatever scheduler is active: a ``dask.distributed.Client`` if one exists,
the local threaded scheduler otherwise. Dask is imported only when a function runs.

>>> import bagdar.dask  # doctest: +SKIP
>>> import dask.dataframe as dd  # doctest: +SKIP
>>> ddf = dd.from_pandas(frame, npartitions=4)  # doctest: +SKIP
>>> calibration = bagdar.dask.fit(ddf, "2pl")  # doctest: +SKIP
>>> scores = bagdar.dask.score(ddf, calibration.models).compute()  # doctest: +SKIP
"""

from __future__ import annotations

import json
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd

from . import Calibration, Instrument, ItemModels, _calibration_settings, _matrix, _settings
from . import score as _score
from ._bagdar import DataSummary, ExpectedCounts, calibrate_with

__all__ = ["DataSummary", "ExpectedCounts", "fit", "score"]


def _score_partition(
    frame: pd.DataFrame, items: Any, method: str, settings: dict[str, Any]
) -> pd.DataFrame:
    scored = _score(frame, items, method, **settings)
    scored.attrs = {}
    return scored


def score(data: Any, items: ItemModels | Instrument, method: str = "eap", **settings: Any) -> Any:
    """:func:`bagdar.score` over a Dask DataFrame, one partition at a time; returns a
    lazy Dask DataFrame with the columns (and index) local scoring gives. With item
    models, every column of ``data`` is an item; with an :class:`~bagdar.Instrument`,
    columns are matched by item id. Settings as for :func:`bagdar.score`."""
    _settings(method, **settings)  # bad settings fail here, not on a worker
    if not isinstance(items, Instrument):
        items = [dict(m) for m in items]
    meta = _score_partition(data._meta, items, method, settings)
    return data.map_partitions(_score_partition, items, method, settings, meta=meta)


def _partition_matrix(frame: pd.DataFrame) -> np.ndarray:
    array, _ = _matrix(frame)
    return np.ascontiguousarray(array)


def _partition_summary(array: np.ndarray) -> DataSummary:
    return DataSummary.from_data(array)


def _partition_counts(
    array: np.ndarray, models_json: str, mean: float, sd: float, grid_json: str | None
) -> ExpectedCounts:
    return ExpectedCounts.compute(models_json, array, mean, sd, grid_json)


def _merged(parts: Any) -> Any:
    """Partition statistics merged in partition order (deterministic sums)."""
    return reduce(lambda total, part: total.merge(part), parts)


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
    """:func:`bagdar.fit` over a Dask DataFrame (persons × items of model categories,
    NaN = not administered; its columns are the item ids). The partitions are converted
    to arrays once and kept on the workers (``dask.persist``); each E-step computes
    :class:`ExpectedCounts` per partition and merges them in partition order. Arguments
    and result as for :func:`bagdar.fit`; the result has no data attached, so the fit
    statistics (``m2``, ``item_fit``, ``dif``) need a local :func:`bagdar.fit`."""
    import dask

    item_ids = [str(c) for c in data.columns]
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
    grid_json = json.dumps(settings["grid"]) if "grid" in settings else None
    delayed = dask.delayed(_partition_matrix, pure=True)
    arrays = dask.persist(*[delayed(part) for part in data.to_delayed()])
    summaries = dask.compute(*[dask.delayed(_partition_summary, pure=True)(a) for a in arrays])
    summary = _merged(summaries)

    def e_step(models_json: str, mean: float, sd: float) -> ExpectedCounts:
        task = dask.delayed(_partition_counts, pure=True)
        counts = dask.compute(*[task(a, models_json, mean, sd, grid_json) for a in arrays])
        merged: ExpectedCounts = _merged(counts)
        return merged

    result = calibrate_with(summary, e_step, json.dumps(settings))
    return Calibration(json.loads(result), item_ids, None, settings)
