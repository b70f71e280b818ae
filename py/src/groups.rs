//! Wraps `bagdar::calibrate::calibrate_groups` and `bagdar::fit::likelihood_ratio_dif`.

use crate::error::{json_error, to_py};
use crate::fit::group_indices;
use crate::score::matrix_values;
use bagdar::calibrate::GroupSettings;
use bagdar::response::ResponseMatrix;
use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

/// Multi-group calibration of a persons × items float array (NaN = not administered)
/// with one group code per person and `GroupSettings` as JSON; returns the
/// `GroupCalibration` as JSON text.
#[pyfunction]
pub fn calibrate_groups(
    py: Python<'_>,
    data: PyReadonlyArray2<'_, f64>,
    groups: PyReadonlyArray1<'_, i64>,
    settings_json: &str,
) -> PyResult<String> {
    let settings: GroupSettings =
        serde_json::from_str(settings_json).map_err(|e| json_error("settings", e))?;
    let groups = group_indices(&groups)?;
    let (rows, cols, values) = matrix_values(&data);
    let result = py
        .detach(|| {
            let matrix = ResponseMatrix::from_f64(rows, cols, &values)?;
            bagdar::calibrate::calibrate_groups(&matrix, &groups, &settings)
        })
        .map_err(to_py)?;
    Ok(serde_json::to_string(&result).expect("a group calibration serializes"))
}

/// Likelihood-ratio DIF in the multi-group model (`anchors`: item indices, or all other
/// items in turn when `None`); returns the table as JSON text.
#[pyfunction]
#[pyo3(signature = (data, groups, settings_json, anchors = None))]
pub fn likelihood_ratio_dif(
    py: Python<'_>,
    data: PyReadonlyArray2<'_, f64>,
    groups: PyReadonlyArray1<'_, i64>,
    settings_json: &str,
    anchors: Option<Vec<usize>>,
) -> PyResult<String> {
    let settings: GroupSettings =
        serde_json::from_str(settings_json).map_err(|e| json_error("settings", e))?;
    let groups = group_indices(&groups)?;
    let (rows, cols, values) = matrix_values(&data);
    let result = py
        .detach(|| {
            let matrix = ResponseMatrix::from_f64(rows, cols, &values)?;
            bagdar::fit::likelihood_ratio_dif(&matrix, &groups, &settings, anchors.as_deref())
        })
        .map_err(to_py)?;
    Ok(serde_json::to_string(&result).expect("a DIF table serializes"))
}
