//! Wraps `bagdar::calibrate`.

use crate::error::{json_error, to_py};
use crate::score::matrix_values;
use bagdar::calibrate::{
    CalibrationSettings, DataSummary, ExpectedCounts, calibrate as fit, calibrate_with as fit_with,
};
use bagdar::model::{ItemModel, ResponseFunction, response_functions};
use bagdar::quadrature::{Grid, Prior, Quadrature};
use bagdar::response::ResponseMatrix;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Calibrates the items of a persons × items float array of model categories
/// (NaN = not administered); returns the `Calibration` as JSON text.
#[pyfunction]
#[pyo3(signature = (data, settings_json = None))]
pub fn calibrate(
    py: Python<'_>,
    data: PyReadonlyArray2<'_, f64>,
    settings_json: Option<&str>,
) -> PyResult<String> {
    let settings = calibration_settings(settings_json)?;
    let (rows, cols, values) = matrix_values(&data);
    let result = py
        .detach(|| {
            let matrix = ResponseMatrix::from_f64(rows, cols, &values)?;
            fit(&matrix, &settings)
        })
        .map_err(to_py)?;
    Ok(serde_json::to_string(&result).expect("a calibration serializes"))
}

/// Parses calibration settings JSON (`None` = defaults).
fn calibration_settings(json: Option<&str>) -> PyResult<CalibrationSettings> {
    match json {
        None => Ok(CalibrationSettings::default()),
        Some(text) => serde_json::from_str(text).map_err(|e| json_error("settings", e)),
    }
}

/// The E-step's sufficient statistic of a chunk of persons (`bagdar::calibrate::
/// ExpectedCounts`); picklable, so Dask workers can return it.
#[pyclass(module = "bagdar._bagdar", name = "ExpectedCounts", frozen)]
pub struct PyExpectedCounts {
    inner: ExpectedCounts,
}

#[pymethods]
impl PyExpectedCounts {
    /// The E-step for the persons of `data` (persons × items of model categories, NaN
    /// = not administered) on items given as JSON model objects, with population
    /// N(mean, sd²) on the grid of `grid_json` (None = the calibration default).
    #[staticmethod]
    #[pyo3(signature = (models_json, data, mean = 0.0, sd = 1.0, grid_json = None))]
    fn compute(
        py: Python<'_>,
        models_json: &str,
        data: PyReadonlyArray2<'_, f64>,
        mean: f64,
        sd: f64,
        grid_json: Option<&str>,
    ) -> PyResult<Self> {
        let models: Vec<ItemModel> =
            serde_json::from_str(models_json).map_err(|e| json_error("items", e))?;
        let grid: Grid = match grid_json {
            None => Grid::default(),
            Some(text) => serde_json::from_str(text).map_err(|e| json_error("grid", e))?,
        };
        let (rows, cols, values) = matrix_values(&data);
        py.detach(|| {
            let items = response_functions(&models)?;
            let quadrature = Quadrature::new(&grid, &Prior::Normal { mean, sd })?;
            let matrix = ResponseMatrix::from_f64(rows, cols, &values)?;
            ExpectedCounts::compute(&items, &quadrature, &matrix)
        })
        .map(|inner| PyExpectedCounts { inner })
        .map_err(to_py)
    }

    /// These counts plus another chunk's (a new value).
    fn merge(&self, other: &PyExpectedCounts) -> PyResult<Self> {
        let mut inner = self.inner.clone();
        inner.merge(&other.inner).map_err(to_py)?;
        Ok(PyExpectedCounts { inner })
    }

    /// The exact byte form.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// Reads the byte form.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        ExpectedCounts::from_bytes(data)
            .map(|inner| PyExpectedCounts { inner })
            .map_err(to_py)
    }

    /// Pickles through the byte form.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let from_bytes = slf.get_type().getattr("from_bytes")?;
        Ok((from_bytes, (slf.get().to_bytes(slf.py()),)))
    }

    /// Σ_p f_p ln L_p, the marginal log-likelihood of these persons.
    #[getter]
    fn log_likelihood(&self) -> f64 {
        self.inner.log_likelihood()
    }

    /// Persons counted.
    #[getter]
    fn persons(&self) -> f64 {
        self.inner.persons()
    }

    /// Persons with at least one response.
    #[getter]
    fn respondents(&self) -> f64 {
        self.inner.respondents()
    }

    /// Number of categories of each item.
    #[getter]
    fn categories(&self) -> Vec<usize> {
        self.inner.categories().to_vec()
    }

    /// n_q: expected persons at each node.
    #[getter]
    fn node_totals<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.node_totals().to_vec().into_pyarray(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "ExpectedCounts(items={}, nodes={}, persons={}, log_likelihood={})",
            self.inner.categories().len(),
            self.inner.nodes(),
            self.inner.persons(),
            self.inner.log_likelihood()
        )
    }
}

/// What calibration needs from the data before the first E-step, for a chunk of
/// persons (`bagdar::calibrate::DataSummary`); picklable.
#[pyclass(module = "bagdar._bagdar", name = "DataSummary", frozen)]
pub struct PyDataSummary {
    inner: DataSummary,
}

#[pymethods]
impl PyDataSummary {
    /// Summarizes persons × items of model categories (NaN = not administered).
    #[staticmethod]
    fn from_data(py: Python<'_>, data: PyReadonlyArray2<'_, f64>) -> PyResult<Self> {
        let (rows, cols, values) = matrix_values(&data);
        py.detach(|| {
            ResponseMatrix::from_f64(rows, cols, &values)
                .map(|matrix| DataSummary::from_responses(&matrix))
        })
        .map(|inner| PyDataSummary { inner })
        .map_err(to_py)
    }

    /// This summary plus another chunk's (a new value).
    fn merge(&self, other: &PyDataSummary) -> PyResult<Self> {
        let mut inner = self.inner.clone();
        inner.merge(&other.inner).map_err(to_py)?;
        Ok(PyDataSummary { inner })
    }

    /// The exact byte form.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// Reads the byte form.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        DataSummary::from_bytes(data)
            .map(|inner| PyDataSummary { inner })
            .map_err(to_py)
    }

    /// Pickles through the byte form.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let from_bytes = slf.get_type().getattr("from_bytes")?;
        Ok((from_bytes, (slf.get().to_bytes(slf.py()),)))
    }

    /// Number of items.
    #[getter]
    fn items(&self) -> usize {
        self.inner.items()
    }

    /// Persons summarized.
    #[getter]
    fn persons(&self) -> f64 {
        self.inner.persons()
    }

    /// Persons who answered `item` in `category`.
    fn category_count(&self, item: usize, category: usize) -> f64 {
        self.inner.category_count(item, category)
    }

    fn __repr__(&self) -> String {
        format!(
            "DataSummary(items={}, persons={})",
            self.inner.items(),
            self.inner.persons()
        )
    }
}

/// Calibrates with a caller-supplied E-step: `e_step(models_json, mean, sd)` must
/// return the merged `ExpectedCounts` of all persons for those items with population
/// N(mean, sd²) on the settings' grid; `summary` is the merged `DataSummary` of the same
/// persons. Returns the `Calibration` as JSON text. An exception raised by `e_step`
/// propagates unchanged.
#[pyfunction]
#[pyo3(signature = (summary, e_step, settings_json = None))]
pub fn calibrate_with(
    py: Python<'_>,
    summary: &PyDataSummary,
    e_step: Py<PyAny>,
    settings_json: Option<&str>,
) -> PyResult<String> {
    let settings = calibration_settings(settings_json)?
        .check(summary.inner.items())
        .map_err(to_py)?;
    let mut failure: Option<PyErr> = None;
    let result = py.detach(|| {
        fit_with(&settings, &summary.inner, |items, quadrature| {
            let Prior::Normal { mean, sd } = *quadrature.prior() else {
                return Err(bagdar::Error::InvalidSetting {
                    setting: "e_step".into(),
                    reason: "calibration quadrature has a normal population".into(),
                });
            };
            let models: Vec<ItemModel> = items.iter().map(ResponseFunction::model).collect();
            let json = serde_json::to_string(&models).expect("item models serialize");
            Python::attach(|py| {
                let counts = e_step
                    .call1(py, (json, mean, sd))
                    .and_then(|r| Ok(r.extract::<PyRef<'_, PyExpectedCounts>>(py)?.inner.clone()));
                counts.map_err(|e| {
                    failure = Some(e);
                    bagdar::Error::InvalidSetting {
                        setting: "e_step".into(),
                        reason: "the E-step callback raised".into(),
                    }
                })
            })
        })
    });
    if let Some(error) = failure {
        return Err(error);
    }
    let result = result.map_err(to_py)?;
    Ok(serde_json::to_string(&result).expect("a calibration serializes"))
}
