"""Multi-group calibration and likelihood-ratio DIF across groups (e.g. language forms).

>>> import numpy as np, bagdar
>>> rng = np.random.default_rng(1)
>>> theta = np.concatenate([rng.normal(0, 1, 800), rng.normal(0.8, 1, 800)])
>>> d = np.linspace(-1, 1, 6)
>>> data = (rng.random((1600, 6)) < 1 / (1 + np.exp(-(1.2 * theta[:, None] + d)))).astype(float)
>>> groups = np.repeat(["kk", "ru"], 800)
>>> fit = bagdar.fit_groups(data, groups)
>>> fit.converged, abs(float(fit.means["ru"]) - 0.8) < 0.2
(True, True)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _bagdar
from ._bagdar import ResponseDataError, SettingsError


def _group_codes(labels: Any, persons: int, reference: Any) -> tuple[np.ndarray, list[Any]]:
    """Group codes 0..G−1 with the reference group first, then the others sorted."""
    values = np.asarray(labels)
    if values.shape != (persons,):
        raise ResponseDataError(
            f"groups: one label per person needed ({persons}), got shape {values.shape}"
        )
    names = sorted(set(values.tolist()), key=str)
    if reference is not None:
        if reference not in names:
            raise SettingsError(f"reference group {reference!r} does not occur in groups")
        names.remove(reference)
        names.insert(0, reference)
    index = {name: k for k, name in enumerate(names)}
    codes = np.array([index[v] for v in values.tolist()], dtype=np.int64)
    return codes, names


def _positions(ids: Sequence[Any] | None, item_ids: list[str], what: str) -> list[int] | None:
    """Item ids (or positions) as column positions."""
    if ids is None:
        return None
    out = []
    for item in ids:
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            out.append(int(item))
        elif str(item) in item_ids:
            out.append(item_ids.index(str(item)))
        else:
            raise SettingsError(f"{what}: {item!r} is not an item")
    return out


def _prepare(
    data: Any, groups: Any, reference: Any, model: str, options: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, list[Any], list[str], dict[str, Any]]:
    from . import _calibration_settings, _item_ids, _matrix

    array, _ = _matrix(data)
    array = np.ascontiguousarray(array)
    codes, names = _group_codes(groups, array.shape[0], reference)
    item_ids = _item_ids(data, array)
    settings = {
        "calibration": _calibration_settings(model, **options),
        "groups": [str(n) for n in names],
    }
    return array, codes, names, item_ids, settings


class GroupCalibration:
    """The result of :func:`fit_groups`: one set of items in several groups, each group
    with its own latent mean and SD (the reference group's fixed)."""

    def __init__(self, result: dict[str, Any], item_ids: list[str], names: list[Any]) -> None:
        self._result = result
        self.item_ids = item_ids
        self.groups: list[Any] = names
        self.free_items: list[str] = [item_ids[i] for i in result["free_items"]]
        self.means = pd.Series(result["means"], index=pd.Index(names, name="group"), name="mean")
        self.sds = pd.Series(result["sds"], index=pd.Index(names, name="group"), name="sd")
        self.persons = pd.Series(
            result["persons"], index=pd.Index(names, name="group"), name="persons"
        )
        self.log_likelihood: float = result["log_likelihood"]
        self.aic: float = result["aic"]
        self.bic: float = result["bic"]
        self.parameters: int = result["parameters"]
        self.iterations: int = result["iterations"]
        self.status: str = result["status"]

    @property
    def converged(self) -> bool:
        """True when the fit met both tolerances."""
        return self.status == "converged"

    def calibration(self, group: Any) -> Any:
        """The items of one group as a :class:`bagdar.Calibration` (for
        :func:`bagdar.score`, ``.items`` and, with ``se=True``, ``.se``); its
        ``latent_mean``/``latent_sd`` are the group's."""
        from . import Calibration

        if group not in self.groups:
            raise SettingsError(f"group {group!r} is not one of {self.groups}")
        g = self.groups.index(group)
        result = dict(self._result)
        result["items"] = self._result["items"][g]
        result["latent_mean"] = self._result["means"][g]
        result["latent_sd"] = self._result["sds"][g]
        se = self._result.get("se")
        if se is not None:
            result["se"] = {
                "method": se["method"],
                "positive_definite": se["positive_definite"],
                "items": se["items"][g],
            }
        return Calibration(result, self.item_ids)

    @property
    def items(self) -> pd.DataFrame:
        """Item parameters with a (group, item) index, columns as
        :attr:`bagdar.Calibration.items`; invariant items repeat in every group."""
        frames = [self.calibration(g).items for g in self.groups]
        return pd.concat(frames, keys=self.groups, names=["group", "item"])

    def __repr__(self) -> str:
        groups = ", ".join(
            f"{g}: N({m:.3f}, {s:.3f}²)" for g, m, s in zip(self.groups, self.means, self.sds)
        )
        return f"<GroupCalibration {len(self.item_ids)} items, {groups}, {self.status}>"


def fit_groups(
    data: Any,
    groups: Any,
    model: str = "2pl",
    *,
    reference: Any = None,
    free_items: Sequence[Any] = (),
    estimate_means: bool = True,
    estimate_sds: bool = True,
    **options: Any,
) -> GroupCalibration:
    """Multi-group calibration (as R ``mirt::multipleGroup`` with invariant items and
    free means and variances): ``groups`` gives each person's group label (e.g. the
    language form); the ``reference`` group (default: the first label in sorted order)
    has N(0, 1), every other group's latent mean and SD are estimated. Items are the
    same in every group except ``free_items`` (ids or positions), estimated per group.
    ``model`` and ``options`` (``quadrature``, ``max_iterations``, priors, ``se``) as in
    :func:`bagdar.fit`."""
    array, codes, names, item_ids, settings = _prepare(data, groups, reference, model, options)
    settings["free_items"] = _positions(list(free_items), item_ids, "free_items")
    settings["estimate_means"] = bool(estimate_means)
    settings["estimate_sds"] = bool(estimate_sds)
    result = _bagdar.calibrate_groups(array, codes, json.dumps(settings))
    return GroupCalibration(json.loads(result), item_ids, names)


def likelihood_ratio_dif(
    data: Any,
    groups: Any,
    model: str = "2pl",
    *,
    reference: Any = None,
    anchors: Sequence[Any] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Likelihood-ratio DIF across groups in the multi-group IRT model (Thissen,
    Steinberg & Wainer 1993), with the focal groups' means and SDs estimated so that
    ability differences are not taken for DIF. Without ``anchors`` every other item
    anchors each test (G² of freeing the item); with ``anchors`` (ids or positions) the
    anchors are invariant and each other item is tested against the model where all
    non-anchors are free. One row per studied item: ``chi_square`` (G²), ``df``,
    ``p_value``, ``p_adjusted`` (Benjamini–Hochberg), ``flagged`` (adjusted p < 0.05),
    ``score_difference_<group>`` (mean expected item-score difference against the
    reference at equal θ; negative = harder for that group), ``converged`` and
    ``untestable`` (why an item could not be tested, else None). ``attrs`` hold the
    baseline means and SDs."""
    array, codes, names, item_ids, settings = _prepare(data, groups, reference, model, options)
    positions = _positions(anchors, item_ids, "anchors")
    table = json.loads(_bagdar.likelihood_ratio_dif(array, codes, json.dumps(settings), positions))
    rows = []
    for row in table["items"]:
        out: dict[str, Any] = {
            "chi_square": row["chi_square"],
            "df": row["df"],
            "p_value": row["p_value"],
            "p_adjusted": row["p_adjusted"],
            "flagged": row["flagged"],
        }
        differences = row["score_difference"] or [float("nan")] * len(names)
        for name, value in zip(names[1:], differences[1:]):
            out[f"score_difference_{name}"] = value
        out["converged"] = row["converged"]
        out["untestable"] = row.get("untestable")
        rows.append(out)
    index = pd.Index([item_ids[row["item"]] for row in table["items"]], name="item")
    frame = pd.DataFrame(rows, index=index)
    for column in ("chi_square", "p_value", "p_adjusted"):
        frame[column] = frame[column].astype(float)
    baseline = table["baseline"]
    frame.attrs["groups"] = names
    frame.attrs["anchors"] = [item_ids[i] for i in table["anchors"]]
    frame.attrs["means"] = dict(zip(names, baseline["means"]))
    frame.attrs["sds"] = dict(zip(names, baseline["sds"]))
    return frame
