//! Wraps `bagdar::link`.

use crate::error::{json_error, to_py};
use bagdar::link::{LinkMethod, LinkSettings, Linking, link as link_items};
use bagdar::model::ItemModel;
use pyo3::prelude::*;

/// Links the common items `new_json` to `base_json` (JSON lists of item models, pairs in
/// the same order) by `method`; returns the `Linking` as JSON text.
#[pyfunction]
#[pyo3(signature = (base_json, new_json, method, settings_json = None))]
pub fn link(
    py: Python<'_>,
    base_json: &str,
    new_json: &str,
    method: &str,
    settings_json: Option<&str>,
) -> PyResult<String> {
    let base: Vec<ItemModel> =
        serde_json::from_str(base_json).map_err(|e| json_error("items", e))?;
    let new: Vec<ItemModel> = serde_json::from_str(new_json).map_err(|e| json_error("items", e))?;
    let method: LinkMethod = method.parse().map_err(to_py)?;
    let settings: LinkSettings = match settings_json {
        None => LinkSettings::default(),
        Some(text) => serde_json::from_str(text).map_err(|e| json_error("settings", e))?,
    };
    let result = py
        .detach(|| link_items(&base, &new, method, &settings))
        .map_err(to_py)?;
    Ok(serde_json::to_string(&result).expect("a linking serializes"))
}

/// The item models `models_json` moved to the base scale by the `Linking` in
/// `linking_json`; returns the models as JSON text.
#[pyfunction]
pub fn link_transform(linking_json: &str, models_json: &str) -> PyResult<String> {
    let linking: Linking =
        serde_json::from_str(linking_json).map_err(|e| json_error("linking", e))?;
    let models: Vec<ItemModel> =
        serde_json::from_str(models_json).map_err(|e| json_error("items", e))?;
    Ok(serde_json::to_string(&linking.transform_all(&models)).expect("models serialize"))
}
