"""Type stubs of the compiled module (kept by hand; checked by mypy stubtest in CI)."""

from collections.abc import Callable
from typing import Any, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "BagdarError",
    "CatSession",
    "ConvergenceError",
    "DataSummary",
    "ExpectedCounts",
    "Instrument",
    "InstrumentError",
    "ResponseDataError",
    "SettingsError",
    "__version__",
    "calibrate",
    "calibrate_groups",
    "calibrate_with",
    "cat_simulate",
    "dif",
    "item_curves",
    "item_fit",
    "likelihood_ratio_dif",
    "link",
    "link_transform",
    "local_dependence",
    "m2",
    "person_fit",
    "plausible_values",
    "score_items",
    "simulate_cohort",
    "simulate_items",
    "status_names",
    "sum_score_table",
]

__version__: str

class BagdarError(ValueError): ...
class InstrumentError(BagdarError): ...
class ResponseDataError(BagdarError): ...
class SettingsError(BagdarError): ...
class ConvergenceError(BagdarError): ...

@final
class Instrument:
    @staticmethod
    def from_json(text: str) -> Instrument: ...
    @staticmethod
    def load(path: str) -> Instrument: ...
    @property
    def checksum(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def scale_ids(self) -> list[str]: ...
    @property
    def item_ids(self) -> list[str]: ...
    def definition_json(self) -> str: ...
    def code(self, raw: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    def decide(
        self,
        raw: npt.NDArray[np.float64],
        settings_json: str | None = None,
        norms_json: str | None = None,
        groups_json: str | None = None,
    ) -> str: ...
    def choose_cut(self, raw: npt.NDArray[np.float64], profile: str, target_json: str) -> str: ...
    def explain(self, keys_json: str, language: str, audience: str) -> list[str]: ...
    def score(
        self, raw: npt.NDArray[np.float64], settings_json: str | None = None
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.uint8]]: ...

def calibrate(data: npt.NDArray[np.float64], settings_json: str | None = None) -> str: ...

@final
class ExpectedCounts:
    @staticmethod
    def compute(
        models_json: str,
        data: npt.NDArray[np.float64],
        mean: float = 0.0,
        sd: float = 1.0,
        grid_json: str | None = None,
    ) -> ExpectedCounts: ...
    def merge(self, other: ExpectedCounts) -> ExpectedCounts: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> ExpectedCounts: ...
    def __reduce__(self) -> tuple[Any, tuple[bytes]]: ...
    @property
    def log_likelihood(self) -> float: ...
    @property
    def persons(self) -> float: ...
    @property
    def respondents(self) -> float: ...
    @property
    def categories(self) -> list[int]: ...
    @property
    def node_totals(self) -> npt.NDArray[np.float64]: ...

@final
class DataSummary:
    @staticmethod
    def from_data(data: npt.NDArray[np.float64]) -> DataSummary: ...
    def merge(self, other: DataSummary) -> DataSummary: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> DataSummary: ...
    def __reduce__(self) -> tuple[Any, tuple[bytes]]: ...
    @property
    def items(self) -> int: ...
    @property
    def persons(self) -> float: ...
    def category_count(self, item: int, category: int) -> float: ...

def calibrate_with(
    summary: DataSummary,
    e_step: Callable[[str, float, float], ExpectedCounts],
    settings_json: str | None = None,
) -> str: ...
def item_curves(
    models_json: str, theta: npt.NDArray[np.float64]
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    list[list[float]],
]: ...
def m2(data: npt.NDArray[np.float64], settings_json: str, calibration_json: str) -> str: ...
def item_fit(data: npt.NDArray[np.float64], settings_json: str, calibration_json: str) -> str: ...
def local_dependence(
    data: npt.NDArray[np.float64], settings_json: str, calibration_json: str
) -> str: ...
def dif(
    data: npt.NDArray[np.float64],
    groups: npt.NDArray[np.int64],
    reference: int,
    focal: int,
    method: str,
) -> str: ...
def calibrate_groups(
    data: npt.NDArray[np.float64], groups: npt.NDArray[np.int64], settings_json: str
) -> str: ...
def likelihood_ratio_dif(
    data: npt.NDArray[np.float64],
    groups: npt.NDArray[np.int64],
    settings_json: str,
    anchors: list[int] | None = None,
) -> str: ...
def link(base_json: str, new_json: str, method: str, settings_json: str | None = None) -> str: ...
def link_transform(linking_json: str, models_json: str) -> str: ...
def simulate_items(
    models_json: str,
    persons: int,
    seed: int,
    mean: float = 0.0,
    sd: float = 1.0,
    missing: float = 0.0,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def simulate_cohort(
    instrument: Instrument,
    students: int,
    seed: int,
    omission_rate: float = 0.02,
    malformed_rows: bool = False,
) -> tuple[list[str], list[list[str]], list[list[float]]]: ...
def score_items(
    models_json: str, data: npt.NDArray[np.float64], settings_json: str | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.uint8]]: ...
def status_names() -> list[str]: ...
def person_fit(
    models_json: str, data: npt.NDArray[np.float64], settings_json: str | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def sum_score_table(
    models_json: str, settings_json: str | None = None
) -> tuple[
    npt.NDArray[np.uint64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]: ...
def plausible_values(
    models_json: str,
    data: npt.NDArray[np.float64],
    draws: int,
    seed: int,
    settings_json: str | None = None,
    method: str = "normal",
) -> npt.NDArray[np.float64]: ...

@final
class CatSession:
    @staticmethod
    def start(
        instrument: Instrument, settings_json: str | None, language: str, seed: int
    ) -> CatSession: ...
    @staticmethod
    def from_json(text: str, instrument: Instrument) -> CatSession: ...
    def next_item(self, instrument: Instrument) -> str | None: ...
    def answer(
        self, instrument: Instrument, item: str, value: int, timestamp: str | None = None
    ) -> None: ...
    def estimates(self) -> str: ...
    def responses(self) -> str: ...
    def trace(self) -> str: ...
    @property
    def stopped(self) -> bool: ...
    @property
    def stop_reason(self) -> str | None: ...
    def to_json(self) -> str: ...

def cat_simulate(
    instrument: Instrument, settings_json: str | None, simulation_json: str
) -> str: ...
