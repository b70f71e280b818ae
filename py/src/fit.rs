//! Wraps `bagdar::fit`: model fit, item fit and DIF of a calibration.

use crate::error::{json_error, to_py};
use crate::score::matrix_values;
use bagdar::calibrate::{Calibration, CalibrationSettings};
use bagdar::response::ResponseMatrix;
use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

fn parse(
    settings_json: &str,
    calibration_json: &str,
) -> PyResult<(CalibrationSettings, Calibration)> {
    let settings = serde_json::from_str(settings_json).map_err(|e| json_error("settings", e))?;
    let calibration =
        serde_json::from_str(calibration_json).map_err(|e| json_error("calibration", e))?;
    Ok((settings, calibration))
}

/// One fit statistic of a calibration on its data, as JSON text.
fn of_calibration<T: serde::Serialize + Send>(
    py: Python<'_>,
    data: PyReadonlyArray2<'_, f64>,
    settings_json: &str,
    calibration_json: &str,
    statistic: fn(&ResponseMatrix, &CalibrationSettings, &Calibration) -> bagdar::Result<T>,
) -> PyResult<String> {
    let (settings, calibration) = parse(settings_json, calibration_json)?;
    let (rows, cols, values) = matrix_values(&data);
    let result = py
        .detach(|| {
            let matrix = ResponseMatrix::from_f64(rows, cols, &values)?;
            statistic(&matrix, &settings, &calibration)
        })
        .map_err(to_py)?;
    Ok(serde_json::to_string(&result).expect("a fit statistic serializes"))
}

/// M2 (M2* for polytomous items) of a calibration on its data; JSON text.
#[pyfunction]
pub fn m2(
    py: Python<'_>,
    data: PyReadonlyArray2<'_, f64>,
    settings_json: &str,
    calibration_json: &str,
) -> PyResult<String> {
    of_calibration(py, data, settings_json, calibration_json, bagdar::fit::m2)
}

/// S-X2 and infit/outfit of every item of a calibration; JSON text.
#[pyfunction]
pub fn item_fit(
    py: Python<'_>,
    data: PyReadonlyArray2<'_, f64>,
    settings_json: &str,
    calibration_json: &str,
) -> PyResult<String> {
    of_calibration(
        py,
        data,
        settings_json,
        calibration_json,
        bagdar::fit::item_fit,
    )
}

/// Yen's Q3 (at each person's EAP) and the LD X² of every item pair; JSON text.
#[pyfunction]
pub fn local_dependence(
    py: Python<'_>,
    data: PyReadonlyArray2<'_, f64>,
    settings_json: &str,
    calibration_json: &str,
) -> PyResult<String> {
    of_calibration(
        py,
        data,
        settings_json,
        calibration_json,
        bagdar::fit::local_dependence,
    )
}

/// DIF between two groups: `method` "mh" (Mantel–Haenszel, 0/1 items), "mantel"
/// (ordinal), "logistic" or "lr" (likelihood ratio, 2PL/graded); JSON text.
#[pyfunction]
pub fn dif(
    py: Python<'_>,
    data: PyReadonlyArray2<'_, f64>,
    groups: PyReadonlyArray1<'_, i64>,
    reference: usize,
    focal: usize,
    method: &str,
) -> PyResult<String> {
    let (rows, cols, values) = matrix_values(&data);
    let groups = group_indices(&groups)?;
    let method: bagdar::fit::DifMethod = method.parse().map_err(to_py)?;
    let result = py
        .detach(|| {
            let matrix = ResponseMatrix::from_f64(rows, cols, &values)?;
            bagdar::fit::dif(&matrix, &groups, reference, focal, method)
        })
        .map_err(to_py)?;
    Ok(serde_json::to_string(&result).expect("DIF serializes"))
}

/// Group codes (≥ 0) as indices.
pub(crate) fn group_indices(groups: &PyReadonlyArray1<'_, i64>) -> PyResult<Vec<usize>> {
    groups
        .as_array()
        .iter()
        .map(|&g| usize::try_from(g))
        .collect::<Result<_, _>>()
        .map_err(|_| {
            to_py(bagdar::Error::InvalidGroups {
                message: "group codes must be ≥ 0".into(),
            })
        })
}
