//! Wraps `bagdar::calibrate::simulate` (item responses) and `bagdar::simulate::cohort`
//! (a whole instrument's answer file).

use crate::error::{json_error, to_py};
use crate::instrument::Instrument;
use bagdar::calibrate::Simulation;
use bagdar::model::ItemModel;
use bagdar::response::MISSING;
use bagdar::simulate::{CohortSettings, cohort};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;

/// Seeded responses to item models: (persons × items categories as float, NaN =
/// missing; true θ per person).
#[pyfunction]
#[pyo3(signature = (models_json, persons, seed, mean = 0.0, sd = 1.0, missing = 0.0))]
#[allow(clippy::type_complexity)]
pub fn simulate_items<'py>(
    py: Python<'py>,
    models_json: &str,
    persons: usize,
    seed: u64,
    mean: f64,
    sd: f64,
    missing: f64,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>)> {
    let models: Vec<ItemModel> =
        serde_json::from_str(models_json).map_err(|e| json_error("items", e))?;
    let simulation = Simulation {
        persons,
        mean,
        sd,
        missing,
        seed,
    };
    let out = py
        .detach(|| bagdar::calibrate::simulate(&models, &simulation))
        .map_err(to_py)?;
    let items = out.responses.items();
    let values: Vec<f64> = out
        .responses
        .data()
        .iter()
        .map(|&v| if v == MISSING { f64::NAN } else { f64::from(v) })
        .collect();
    let array = numpy::ndarray::Array2::from_shape_vec((persons, items), values)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok((array.into_pyarray(py), out.theta.into_pyarray(py)))
}

/// A seeded cohort answering an instrument: (header, rows of text fields, true θ per
/// well-formed row and scale).
#[pyfunction]
#[pyo3(signature = (instrument, students, seed, omission_rate = 0.02, malformed_rows = false))]
#[allow(clippy::type_complexity)]
pub fn simulate_cohort(
    py: Python<'_>,
    instrument: &Instrument,
    students: usize,
    seed: u64,
    omission_rate: f64,
    malformed_rows: bool,
) -> PyResult<(Vec<String>, Vec<Vec<String>>, Vec<Vec<f64>>)> {
    let settings = CohortSettings {
        students,
        seed,
        omission_rate,
        malformed_rows,
        ..CohortSettings::default()
    };
    let inner = &instrument.inner;
    let out = py.detach(|| cohort(inner, &settings)).map_err(to_py)?;
    Ok((out.header, out.rows, out.thetas))
}
