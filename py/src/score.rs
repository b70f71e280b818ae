//! Wraps `bagdar::score`.

use crate::error::{json_error, to_py};
use bagdar::model::ItemModel;
use bagdar::response::ResponseMatrix;
use bagdar::score::{Estimate, Scorer, ScoringSettings};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;

/// Parses optional settings JSON (`None` = defaults).
pub fn settings(json: Option<&str>) -> PyResult<ScoringSettings> {
    match json {
        None => Ok(ScoringSettings::default()),
        Some(text) => serde_json::from_str(text).map_err(|e| json_error("settings", e)),
    }
}

/// A 2-D float array as row-major values: borrowed in place when C-contiguous (the
/// borrow outlives the released GIL only as a read), copied when strided.
pub fn matrix_values<'a>(
    data: &'a PyReadonlyArray2<'_, f64>,
) -> (usize, usize, std::borrow::Cow<'a, [f64]>) {
    let view = data.as_array();
    let (rows, cols) = view.dim();
    // A C-contiguous array is read in place (no copy of a national cohort's matrix);
    // another layout is copied in row-major order.
    let values = match data.as_slice() {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(view.iter().copied().collect()),
    };
    (rows, cols, values)
}

/// Estimates as (theta, se, status code) columns; the codes index [`status_names`].
pub fn columns(estimates: &[Estimate]) -> (Vec<f64>, Vec<f64>, Vec<u8>) {
    (
        estimates.iter().map(|e| e.theta).collect(),
        estimates.iter().map(|e| e.se).collect(),
        estimates.iter().map(|e| e.status.code()).collect(),
    )
}

/// The estimate statuses, indexed by the status codes the scoring functions return.
#[pyfunction]
pub fn status_names() -> Vec<&'static str> {
    bagdar::score::Status::ALL
        .iter()
        .map(|s| s.name())
        .collect()
}

type Scored<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<u8>>,
);

/// Scores a persons × items float array of model categories (NaN = not administered)
/// on items given as a JSON list of model objects.
#[pyfunction]
#[pyo3(signature = (models_json, data, settings_json = None))]
pub fn score_items<'py>(
    py: Python<'py>,
    models_json: &str,
    data: PyReadonlyArray2<'py, f64>,
    settings_json: Option<&str>,
) -> PyResult<Scored<'py>> {
    let models: Vec<ItemModel> =
        serde_json::from_str(models_json).map_err(|e| json_error("items", e))?;
    let settings = settings(settings_json)?;
    let (rows, cols, values) = matrix_values(&data);
    let (theta, se, status) = py
        .detach(|| {
            let scorer = Scorer::from_models(&models, &settings)?;
            let matrix = ResponseMatrix::from_f64(rows, cols, &values)?;
            scorer.score(&matrix).map(|e| columns(&e))
        })
        .map_err(to_py)?;
    Ok((
        theta.into_pyarray(py),
        se.into_pyarray(py),
        status.into_pyarray(py),
    ))
}

type PersonFitColumns<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
);

/// Person fit of every row: (theta, lz, lz*) with θ from the settings' method (lz* is
/// NaN for EAP θ; see `bagdar::fit::person_fit`).
#[pyfunction]
#[pyo3(signature = (models_json, data, settings_json = None))]
pub fn person_fit<'py>(
    py: Python<'py>,
    models_json: &str,
    data: PyReadonlyArray2<'py, f64>,
    settings_json: Option<&str>,
) -> PyResult<PersonFitColumns<'py>> {
    let models: Vec<ItemModel> =
        serde_json::from_str(models_json).map_err(|e| json_error("items", e))?;
    let settings = settings(settings_json)?;
    let (rows, cols, values) = matrix_values(&data);
    let fits = py
        .detach(|| {
            let scorer = Scorer::from_models(&models, &settings)?;
            let matrix = ResponseMatrix::from_f64(rows, cols, &values)?;
            bagdar::fit::person_fit(&matrix, &scorer)
        })
        .map_err(to_py)?;
    Ok((
        fits.iter()
            .map(|f| f.theta)
            .collect::<Vec<_>>()
            .into_pyarray(py),
        fits.iter()
            .map(|f| f.lz)
            .collect::<Vec<_>>()
            .into_pyarray(py),
        fits.iter()
            .map(|f| f.lz_star)
            .collect::<Vec<_>>()
            .into_pyarray(py),
    ))
}

/// The EAP-for-sum-scores table: (sums, theta, se, probability).
#[pyfunction]
#[pyo3(signature = (models_json, settings_json = None))]
#[allow(clippy::type_complexity)]
pub fn sum_score_table<'py>(
    py: Python<'py>,
    models_json: &str,
    settings_json: Option<&str>,
) -> PyResult<(
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
)> {
    let models: Vec<ItemModel> =
        serde_json::from_str(models_json).map_err(|e| json_error("items", e))?;
    let settings = settings(settings_json)?;
    let table = Scorer::from_models(&models, &settings)
        .map_err(to_py)?
        .sum_score_table();
    let sums: Vec<u64> = table.sums.iter().map(|&s| s as u64).collect();
    Ok((
        sums.into_pyarray(py),
        table.theta.into_pyarray(py),
        table.se.into_pyarray(py),
        table.probability.into_pyarray(py),
    ))
}

/// Plausible values, persons × draws, seeded.
#[pyfunction]
#[pyo3(signature = (models_json, data, draws, seed, settings_json = None, method = "normal"))]
pub fn plausible_values<'py>(
    py: Python<'py>,
    models_json: &str,
    data: PyReadonlyArray2<'py, f64>,
    draws: usize,
    seed: u64,
    settings_json: Option<&str>,
    method: &str,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let models: Vec<ItemModel> =
        serde_json::from_str(models_json).map_err(|e| json_error("items", e))?;
    let settings = settings(settings_json)?;
    let method = serde_json::from_value(serde_json::Value::String(method.to_string()))
        .map_err(|e| json_error("method", e))?;
    let (rows, cols, values) = matrix_values(&data);
    let out = py
        .detach(|| {
            let scorer = Scorer::from_models(&models, &settings)?;
            let matrix = ResponseMatrix::from_f64(rows, cols, &values)?;
            scorer.plausible_values(&matrix, draws, seed, method)
        })
        .map_err(to_py)?;
    let array =
        numpy::ndarray::Array2::from_shape_vec((rows, draws), out).expect("persons × draws values");
    Ok(array.into_pyarray(py))
}
