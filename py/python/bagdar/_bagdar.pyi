"""Type stubs of the compiled module (kept by hand; checked by mypy stubtest in CI)."""

from typing import final

import numpy as np
import numpy.typing as npt

__all__ = [
    "BagdarError",
    "CatSession",
    "ConvergenceError",
    "Instrument",
    "InstrumentError",
    "ResponseDataError",
    "SettingsError",
    "__version__",
    "calibrate",
    "cat_simulate",
    "dif",
    "item_fit",
    "link",
    "link_transform",
    "m2",
    "plausible_values",
    "score_items",
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
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[list[str]]]: ...

def calibrate(data: npt.NDArray[np.float64], settings_json: str | None = None) -> str: ...
def m2(data: npt.NDArray[np.float64], settings_json: str, calibration_json: str) -> str: ...
def item_fit(data: npt.NDArray[np.float64], settings_json: str, calibration_json: str) -> str: ...
def dif(
    data: npt.NDArray[np.float64],
    groups: npt.NDArray[np.int64],
    reference: int,
    focal: int,
    method: str,
) -> str: ...
def link(base_json: str, new_json: str, method: str, settings_json: str | None = None) -> str: ...
def link_transform(linking_json: str, models_json: str) -> str: ...
def score_items(
    models_json: str, data: npt.NDArray[np.float64], settings_json: str | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[str]]: ...
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
    @property
    def stopped(self) -> bool: ...
    @property
    def stop_reason(self) -> str | None: ...
    def to_json(self) -> str: ...

def cat_simulate(
    instrument: Instrument, settings_json: str | None, simulation_json: str
) -> str: ...
