//! Wraps `bagdar::model`: items evaluated on a θ grid (for plots).

use crate::error::{json_error, to_py};
use bagdar::model::{ItemModel, item_curves as curves};
use numpy::ndarray::{Array2, Array3};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3, PyReadonlyArray1};
use pyo3::prelude::*;

type Curves<'py> = (
    Bound<'py, PyArray3<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray1<f64>>,
    Vec<Vec<f64>>,
);

/// Items (JSON model objects) on a θ grid: (probabilities items × grid × max
/// categories, NaN past an item's last category; expected score items × grid;
/// information items × grid; test information; thresholds per item).
#[pyfunction]
pub fn item_curves<'py>(
    py: Python<'py>,
    models_json: &str,
    theta: PyReadonlyArray1<'py, f64>,
) -> PyResult<Curves<'py>> {
    let models: Vec<ItemModel> =
        serde_json::from_str(models_json).map_err(|e| json_error("items", e))?;
    let theta = theta.as_array().to_vec();
    let c = curves(&models, &theta).map_err(to_py)?;
    let (items, points) = (c.categories.len(), c.theta.len());
    let shape = "item curves have items × grid (× categories) values";
    let probabilities =
        Array3::from_shape_vec((items, points, c.max_categories), c.probabilities).expect(shape);
    let expected = Array2::from_shape_vec((items, points), c.expected_score).expect(shape);
    let information = Array2::from_shape_vec((items, points), c.information).expect(shape);
    Ok((
        probabilities.into_pyarray(py),
        expected.into_pyarray(py),
        information.into_pyarray(py),
        c.test_information.into_pyarray(py),
        c.thresholds,
    ))
}
