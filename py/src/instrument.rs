//! Wraps `bagdar::instrument::Instrument`.

use crate::error::{json_error, to_py};
use crate::score::{matrix_values, settings};
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray2};
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use std::path::PathBuf;

/// A validated instrument (battery).
#[pyclass(module = "bagdar._bagdar", frozen)]
pub struct Instrument {
    pub(crate) inner: bagdar::instrument::Instrument,
}

type BatteryScores<'py> = (
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<u8>>,
);

#[pymethods]
impl Instrument {
    /// Parses and validates instrument JSON text.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        bagdar::instrument::Instrument::from_json(text)
            .map(|inner| Instrument { inner })
            .map_err(to_py)
    }

    /// Reads and validates an instrument file.
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        let bytes = std::fs::read(&path)
            .map_err(|e| PyOSError::new_err(format!("cannot read {}: {e}", path.display())))?;
        bagdar::instrument::Instrument::from_bytes(&bytes)
            .map(|inner| Instrument { inner })
            .map_err(to_py)
    }

    /// SHA-256 of the canonical serialization.
    #[getter]
    fn checksum(&self) -> &str {
        self.inner.checksum()
    }

    /// The instrument id.
    #[getter]
    fn id(&self) -> &str {
        &self.inner.definition().id
    }

    /// Scale ids in order.
    #[getter]
    fn scale_ids(&self) -> Vec<String> {
        self.inner.scales().iter().map(|s| s.id.clone()).collect()
    }

    /// Item ids in order.
    #[getter]
    fn item_ids(&self) -> Vec<String> {
        self.inner
            .item_ids()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// The parsed definition as JSON text.
    fn definition_json(&self) -> String {
        serde_json::to_string(self.inner.definition()).expect("an instrument serializes")
    }

    /// Codes raw answers (persons × items, NaN = blank) into model categories (NaN = blank).
    fn code<'py>(
        &self,
        py: Python<'py>,
        raw: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let (rows, cols, values) = matrix_values(&raw);
        check_columns(cols, self.inner.items().len())?;
        let coded = self.inner.code_matrix(rows, &values).map_err(to_py)?;
        let out: Vec<f64> = coded
            .data()
            .iter()
            .map(|&c| {
                if c == bagdar::response::MISSING {
                    f64::NAN
                } else {
                    f64::from(c)
                }
            })
            .collect();
        Ok(numpy::ndarray::Array2::from_shape_vec((rows, cols), out)
            .expect("same shape")
            .into_pyarray(py))
    }

    /// Scores raw answers (persons × items in instrument item order, NaN = blank) on
    /// every scale: (theta, se) as persons × scales arrays and status per person and scale.
    #[pyo3(signature = (raw, settings_json = None))]
    fn score<'py>(
        &self,
        py: Python<'py>,
        raw: PyReadonlyArray2<'py, f64>,
        settings_json: Option<&str>,
    ) -> PyResult<BatteryScores<'py>> {
        let settings = settings(settings_json)?;
        let (rows, cols, values) = matrix_values(&raw);
        check_columns(cols, self.inner.items().len())?;
        let scores = py
            .detach(|| {
                let coded = self.inner.code_matrix(rows, &values)?;
                self.inner.scorers(&settings)?.score(&coded)
            })
            .map_err(to_py)?;
        let scales = scores.len();
        let mut theta = Vec::with_capacity(rows * scales);
        let mut se = Vec::with_capacity(rows * scales);
        let mut status = Vec::with_capacity(rows * scales);
        for p in 0..rows {
            for scale in &scores {
                theta.push(scale[p].theta);
                se.push(scale[p].se);
                status.push(scale[p].status.code());
            }
        }
        let shape = (rows, scales);
        Ok((
            numpy::ndarray::Array2::from_shape_vec(shape, theta)
                .expect("persons × scales")
                .into_pyarray(py),
            numpy::ndarray::Array2::from_shape_vec(shape, se)
                .expect("persons × scales")
                .into_pyarray(py),
            numpy::ndarray::Array2::from_shape_vec(shape, status)
                .expect("persons × scales")
                .into_pyarray(py),
        ))
    }

    /// The decision step for raw answers (persons × items, NaN = blank): one JSON
    /// document, a list of per-student decisions and the classification quality.
    #[pyo3(signature = (raw, settings_json = None, norms_json = None, groups_json = None))]
    fn decide(
        &self,
        py: Python<'_>,
        raw: PyReadonlyArray2<'_, f64>,
        settings_json: Option<&str>,
        norms_json: Option<&str>,
        groups_json: Option<&str>,
    ) -> PyResult<String> {
        let groups: Option<Vec<bagdar::decide::GroupLabel>> = groups_json
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| json_error("groups", e))?;
        let settings: bagdar::decide::DecisionSettings = match settings_json {
            None => Default::default(),
            Some(text) => serde_json::from_str(text).map_err(|e| json_error("settings", e))?,
        };
        let norms = norms_json
            .map(bagdar::decide::Norms::from_json)
            .transpose()
            .map_err(to_py)?;
        let (rows, cols, values) = matrix_values(&raw);
        check_columns(cols, self.inner.items().len())?;
        let batch = py
            .detach(|| {
                let coded = self.inner.code_matrix(rows, &values)?;
                let decider = bagdar::decide::Decider::new(&self.inner, settings, norms)?;
                decider.decide_batch(&coded, None, groups.as_deref())
            })
            .map_err(to_py)?;
        Ok(serde_json::to_string(&batch).expect("decisions serialize"))
    }

    /// The cut on a profile's composite meeting a target (JSON, e.g.
    /// `{"share_above": 0.15}`) over a norm sample of raw answers; JSON text.
    fn choose_cut(
        &self,
        py: Python<'_>,
        raw: PyReadonlyArray2<'_, f64>,
        profile: &str,
        target_json: &str,
    ) -> PyResult<String> {
        let target: bagdar::decide::CutTarget =
            serde_json::from_str(target_json).map_err(|e| json_error("target", e))?;
        let (rows, cols, values) = matrix_values(&raw);
        check_columns(cols, self.inner.items().len())?;
        let choice = py
            .detach(|| {
                let coded = self.inner.code_matrix(rows, &values)?;
                bagdar::decide::Decider::new(&self.inner, Default::default(), None)?
                    .choose_cut(&coded, profile, target)
            })
            .map_err(to_py)?;
        Ok(serde_json::to_string(&choice).expect("a cut choice serializes"))
    }

    /// Renders explanation keys (JSON array, as in a decision's `explanations`) in a
    /// language for `student` or `counselor`.
    fn explain(&self, keys_json: &str, language: &str, audience: &str) -> PyResult<Vec<String>> {
        let keys: Vec<bagdar::decide::ExplanationKey> =
            serde_json::from_str(keys_json).map_err(|e| json_error("explanation keys", e))?;
        let audience: bagdar::decide::Audience = audience.parse().map_err(to_py)?;
        bagdar::decide::Explanations::bundled()
            .and_then(|t| t.render_all(&keys, language, audience, &self.inner))
            .map_err(to_py)
    }

    fn __repr__(&self) -> String {
        let d = self.inner.definition();
        format!(
            "Instrument(id={:?}, version={:?}, scales={}, items={}, checksum={:?})",
            d.id,
            d.version,
            d.scales.len(),
            d.items.len(),
            &self.inner.checksum()[..12]
        )
    }
}

fn check_columns(found: usize, expected: usize) -> PyResult<()> {
    if found == expected {
        Ok(())
    } else {
        Err(to_py(bagdar::Error::WrongItemCount { expected, found }))
    }
}
