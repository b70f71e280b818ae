//! WebAssembly bindings of Bagdar for the browser and Node: load a trilingual
//! instrument, score fixed forms, run adaptive sessions. Functions convert arguments, call one core function
//! and convert the result; errors arrive as JS `Error`s (see [`error`]).
//!
//! Results are plain JS objects (`serde-wasm-bindgen`), numbers passed through
//! unchanged, so they equal the native engine's bit for bit.

pub mod cat;
pub mod error;

use bagdar::model::ItemModel;
use bagdar::response::ResponseMatrix;
use bagdar::score::{Estimate, Scorer, ScoringSettings};
use error::{json_error, to_js};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Installs the panic hook (feature `panic-hook`) when the module starts.
#[wasm_bindgen(start)]
pub fn start() {
    #[cfg(feature = "panic-hook")]
    console_error_panic_hook::set_once();
}

/// The engine version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

fn settings(json: Option<String>) -> Result<ScoringSettings, JsValue> {
    match json {
        None => Ok(ScoringSettings::default()),
        Some(text) => serde_json::from_str(&text).map_err(|e| json_error("settings", e)),
    }
}

pub(crate) fn to_value<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(
            &serde_wasm_bindgen::Serializer::json_compatible().serialize_missing_as_null(true),
        )
        .map_err(|e| error::js_error("BagdarError", "serialize", &e.to_string()))
}

/// Estimates as columns; non-finite values (no estimate) become `null`.
#[derive(Serialize)]
struct Columns {
    theta: Vec<Option<f64>>,
    se: Vec<Option<f64>>,
    status: Vec<&'static str>,
}

fn columns(estimates: &[Estimate]) -> Columns {
    let finite = |v: f64| v.is_finite().then_some(v);
    Columns {
        theta: estimates.iter().map(|e| finite(e.theta)).collect(),
        se: estimates.iter().map(|e| finite(e.se)).collect(),
        status: estimates.iter().map(|e| e.status.name()).collect(),
    }
}

/// Scores persons on items given as a JSON array of model objects (data/FORMAT.md).
/// `data` is row-major persons × items of model categories, NaN = not administered.
/// Returns `{theta: [...], se: [...], status: [...]}` (null where there is no estimate).
#[wasm_bindgen(js_name = scoreItems)]
pub fn score_items(
    models_json: &str,
    data: &[f64],
    persons: usize,
    settings_json: Option<String>,
) -> Result<JsValue, JsValue> {
    let models: Vec<ItemModel> =
        serde_json::from_str(models_json).map_err(|e| json_error("items", e))?;
    let settings = settings(settings_json)?;
    let scorer = Scorer::from_models(&models, &settings).map_err(to_js)?;
    let matrix = ResponseMatrix::from_f64(persons, models.len(), data).map_err(to_js)?;
    let estimates = scorer.score(&matrix).map_err(to_js)?;
    to_value(&columns(&estimates))
}

/// The EAP-for-sum-scores table `{sums, theta, se, probability}`.
#[wasm_bindgen(js_name = sumScoreTable)]
pub fn sum_score_table(
    models_json: &str,
    settings_json: Option<String>,
) -> Result<JsValue, JsValue> {
    let models: Vec<ItemModel> =
        serde_json::from_str(models_json).map_err(|e| json_error("items", e))?;
    let settings = settings(settings_json)?;
    let table = Scorer::from_models(&models, &settings)
        .map_err(to_js)?
        .sum_score_table();
    to_value(&table)
}

/// A validated instrument.
#[wasm_bindgen]
pub struct Instrument {
    pub(crate) inner: bagdar::instrument::Instrument,
}

#[wasm_bindgen]
impl Instrument {
    /// Parses and validates instrument JSON.
    #[wasm_bindgen(constructor)]
    pub fn new(json: &str) -> Result<Instrument, JsValue> {
        bagdar::instrument::Instrument::from_json(json)
            .map(|inner| Instrument { inner })
            .map_err(to_js)
    }

    /// Parses and validates an instrument from file bytes (a `Uint8Array`); they must
    /// be UTF-8.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<Instrument, JsValue> {
        bagdar::instrument::Instrument::from_bytes(bytes)
            .map(|inner| Instrument { inner })
            .map_err(to_js)
    }

    /// SHA-256 of the canonical serialization.
    #[wasm_bindgen(getter)]
    pub fn checksum(&self) -> String {
        self.inner.checksum().to_string()
    }

    /// The instrument id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.inner.definition().id.clone()
    }

    /// Scale ids in order.
    #[wasm_bindgen(getter, js_name = scaleIds)]
    pub fn scale_ids(&self) -> Vec<String> {
        self.inner.scales().iter().map(|s| s.id.clone()).collect()
    }

    /// Item ids in order.
    #[wasm_bindgen(getter, js_name = itemIds)]
    pub fn item_ids(&self) -> Vec<String> {
        self.inner
            .item_ids()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// Scores raw answers (row-major persons × items in item order, NaN = blank) on
    /// every scale: `{scales: [id...], scores: [{theta, se, status} per scale],
    /// instrumentChecksum}`.
    pub fn score(
        &self,
        raw: &[f64],
        persons: usize,
        settings_json: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let settings = settings(settings_json)?;
        let coded = self.inner.code_matrix(persons, raw).map_err(to_js)?;
        let scores = self
            .inner
            .scorers(&settings)
            .and_then(|b| b.score(&coded))
            .map_err(to_js)?;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Battery {
            scales: Vec<String>,
            scores: Vec<Columns>,
            instrument_checksum: String,
        }
        to_value(&Battery {
            scales: self.scale_ids(),
            scores: scores.iter().map(|s| columns(s)).collect(),
            instrument_checksum: self.checksum(),
        })
    }

    /// The decision step for raw answers (row-major persons × items, NaN = blank):
    /// `{students: [...], classification: [...], instrumentChecksum}` with scale scores, every profile's
    /// composite, P(above cut), tier and rank, quality flags and explanation keys.
    pub fn decide(
        &self,
        raw: &[f64],
        persons: usize,
        settings_json: Option<String>,
        norms_json: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let settings: bagdar::decide::DecisionSettings = match settings_json {
            None => Default::default(),
            Some(text) => serde_json::from_str(&text).map_err(|e| json_error("settings", e))?,
        };
        let norms = norms_json
            .as_deref()
            .map(bagdar::decide::Norms::from_json)
            .transpose()
            .map_err(to_js)?;
        let coded = self.inner.code_matrix(persons, raw).map_err(to_js)?;
        let batch = bagdar::decide::Decider::new(&self.inner, settings, norms)
            .and_then(|d| d.decide_batch(&coded, None, None))
            .map_err(to_js)?;
        // The batch's fields, then `instrumentChecksum` (as a `#[serde(flatten)]` wrapper
        // gave them, without serde's flattening serializer in the package).
        let value = to_value(&batch)?;
        js_sys::Reflect::set(
            &value,
            &"instrumentChecksum".into(),
            &self.inner.checksum().into(),
        )?;
        Ok(value)
    }

    /// The cut on a profile's composite meeting a target (JSON, e.g.
    /// `{"share_above": 0.15}`) over a norm sample of raw answers (row-major persons ×
    /// items, NaN = blank): `{cut, share_above, share_recommended, share_not_indicated,
    /// expected_accuracy, expected_consistency}`.
    #[wasm_bindgen(js_name = chooseCut)]
    pub fn choose_cut(
        &self,
        raw: &[f64],
        persons: usize,
        profile: &str,
        target_json: &str,
    ) -> Result<JsValue, JsValue> {
        let target: bagdar::decide::CutTarget =
            serde_json::from_str(target_json).map_err(|e| json_error("target", e))?;
        let coded = self.inner.code_matrix(persons, raw).map_err(to_js)?;
        let choice = bagdar::decide::Decider::new(&self.inner, Default::default(), None)
            .and_then(|d| d.choose_cut(&coded, profile, target))
            .map_err(to_js)?;
        to_value(&choice)
    }

    /// Renders explanation keys (a JSON array, as in a decision's `explanations`) in a
    /// language (`kk`, `ru`, `en`) for `student` or `counselor`.
    pub fn explain(
        &self,
        keys_json: &str,
        language: &str,
        audience: &str,
    ) -> Result<Vec<String>, JsValue> {
        let keys: Vec<bagdar::decide::ExplanationKey> =
            serde_json::from_str(keys_json).map_err(|e| json_error("explanation keys", e))?;
        let audience: bagdar::decide::Audience = audience.parse().map_err(to_js)?;
        bagdar::decide::Explanations::bundled()
            .and_then(|t| t.render_all(&keys, language, audience, &self.inner))
            .map_err(to_js)
    }
}
