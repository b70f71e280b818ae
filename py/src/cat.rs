//! Wraps `bagdar::cat`: adaptive sessions and their simulation.

use crate::error::{json_error, to_py};
use crate::instrument::Instrument;
use bagdar::cat::{CatSession as Session, CatSettings, SimulationSettings};
use pyo3::prelude::*;

fn cat_settings(json: Option<&str>) -> PyResult<CatSettings> {
    match json {
        None => Ok(CatSettings::default()),
        Some(text) => CatSettings::from_json(text).map_err(to_py),
    }
}

/// An adaptive testing session (see `bagdar.CatSession`).
#[pyclass(module = "bagdar._bagdar")]
pub struct CatSession {
    inner: Session,
}

#[pymethods]
impl CatSession {
    /// Starts a session on an instrument with CAT settings JSON (None = defaults).
    #[staticmethod]
    #[pyo3(signature = (instrument, settings_json, language, seed))]
    fn start(
        instrument: &Instrument,
        settings_json: Option<&str>,
        language: &str,
        seed: u64,
    ) -> PyResult<Self> {
        let settings = cat_settings(settings_json)?;
        Session::start(&instrument.inner, settings, language, seed)
            .map(|inner| CatSession { inner })
            .map_err(to_py)
    }

    /// Resumes a saved session (its log is replayed).
    #[staticmethod]
    fn from_json(text: &str, instrument: &Instrument) -> PyResult<Self> {
        Session::from_json(text, &instrument.inner)
            .map(|inner| CatSession { inner })
            .map_err(to_py)
    }

    /// The next item as JSON text, or None when the session has stopped.
    fn next_item(&mut self, instrument: &Instrument) -> PyResult<Option<String>> {
        let next = self.inner.next_item(&instrument.inner).map_err(to_py)?;
        Ok(next.map(|n| serde_json::to_string(&n).expect("an item serializes")))
    }

    /// Records the answer (an option value) to the pending item.
    #[pyo3(signature = (instrument, item, value, timestamp = None))]
    fn answer(
        &mut self,
        instrument: &Instrument,
        item: &str,
        value: i64,
        timestamp: Option<String>,
    ) -> PyResult<()> {
        self.inner
            .answer(&instrument.inner, item, value, timestamp)
            .map_err(to_py)
    }

    /// Estimates per scale as JSON text.
    fn estimates(&self) -> String {
        serde_json::to_string(&self.inner.estimates()).expect("estimates serialize")
    }

    /// Per answer, the answered scale's estimate right after it, as JSON text.
    fn trace(&self) -> PyResult<String> {
        let trace = self.inner.trace().map_err(to_py)?;
        Ok(serde_json::to_string(&trace).expect("a trace serializes"))
    }

    /// The answer log as JSON text.
    fn responses(&self) -> String {
        serde_json::to_string(self.inner.responses()).expect("responses serialize")
    }

    /// True once the session has stopped.
    #[getter]
    fn stopped(&self) -> bool {
        self.inner.is_stopped()
    }

    /// The stop reason, or None.
    #[getter]
    fn stop_reason(&self) -> Option<String> {
        self.inner.stop_reason().map(|r| {
            serde_json::to_value(r)
                .expect("a reason serializes")
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
    }

    /// The state as versioned JSON text.
    fn to_json(&self) -> PyResult<String> {
        self.inner.to_json().map_err(to_py)
    }
}

/// Simulates adaptive sessions; the report as JSON text.
#[pyfunction]
#[pyo3(signature = (instrument, settings_json, simulation_json))]
pub fn cat_simulate(
    py: Python<'_>,
    instrument: &Instrument,
    settings_json: Option<&str>,
    simulation_json: &str,
) -> PyResult<String> {
    let settings = cat_settings(settings_json)?;
    let simulation: SimulationSettings =
        serde_json::from_str(simulation_json).map_err(|e| json_error("simulation", e))?;
    let report = py
        .detach(|| bagdar::cat::simulate(&instrument.inner, &settings, &simulation))
        .map_err(to_py)?;
    Ok(serde_json::to_string(&report).expect("a report serializes"))
}
