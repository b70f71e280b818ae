//! Wraps `bagdar::calibrate`.

use crate::error::{json_error, to_py};
use crate::score::matrix_values;
use bagdar::calibrate::{CalibrationSettings, calibrate as fit};
use bagdar::response::ResponseMatrix;
use numpy::PyReadonlyArray2;
use pyo3::prelude::*;

/// Calibrates the items of a persons × items float array of model categories
/// (NaN = not administered); returns the `Calibration` as JSON text.
#[pyfunction]
#[pyo3(signature = (data, settings_json = None))]
pub fn calibrate(
    py: Python<'_>,
    data: PyReadonlyArray2<'_, f64>,
    settings_json: Option<&str>,
) -> PyResult<String> {
    let settings: CalibrationSettings = match settings_json {
        None => CalibrationSettings::default(),
        Some(text) => serde_json::from_str(text).map_err(|e| json_error("settings", e))?,
    };
    let (rows, cols, values) = matrix_values(&data);
    let result = py
        .detach(|| {
            let matrix = ResponseMatrix::from_f64(rows, cols, &values)?;
            fit(&matrix, &settings)
        })
        .map_err(to_py)?;
    Ok(serde_json::to_string(&result).expect("a calibration serializes"))
}
