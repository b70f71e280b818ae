//! Adaptive sessions (`bagdar::cat`) for the browser: start, ask, answer, save, resume.

use crate::error::{js_error, to_js};
use crate::{Instrument, to_value};
use bagdar::cat::{CatSession as Session, CatSettings};
use wasm_bindgen::prelude::*;

/// An adaptive testing session on an instrument. Its state is a value: `toJson()` gives
/// versioned JSON that `CatSession.fromJson` resumes to exactly the same state.
#[wasm_bindgen]
pub struct CatSession {
    inner: Session,
}

#[wasm_bindgen]
impl CatSession {
    /// Starts a session. `settings` is CAT settings JSON (data/CAT.md; default settings
    /// when absent), `language` one of the instrument's, `seed` a BigInt (every random
    /// step of the session derives from it).
    pub fn start(
        instrument: &Instrument,
        settings: Option<String>,
        language: &str,
        seed: u64,
    ) -> Result<CatSession, JsValue> {
        let settings = match settings {
            None => CatSettings::default(),
            Some(text) => CatSettings::from_json(&text).map_err(to_js)?,
        };
        Session::start(&instrument.inner, settings, language, seed)
            .map(|inner| CatSession { inner })
            .map_err(to_js)
    }

    /// Resumes a saved session (checked against the instrument's checksum; the log is
    /// replayed, so a tampered or truncated state is an error, never a different state).
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(json: &str, instrument: &Instrument) -> Result<CatSession, JsValue> {
        Session::from_json(json, &instrument.inner)
            .map(|inner| CatSession { inner })
            .map_err(to_js)
    }

    /// The item to ask now — `{item, index, scale, number, stem, options: [{value,
    /// text}]}` in the session's language — or `null` when the session has stopped. The
    /// same item is returned until it is answered.
    pub fn next(&mut self, instrument: &Instrument) -> Result<JsValue, JsValue> {
        let next = self.inner.next_item(&instrument.inner).map_err(to_js)?;
        to_value(&next)
    }

    /// Records the answer (an option value of the pending item) with an optional
    /// timestamp.
    pub fn answer(
        &mut self,
        instrument: &Instrument,
        item: &str,
        value: f64,
        timestamp: Option<String>,
    ) -> Result<(), JsValue> {
        if !(value.is_finite() && value.fract() == 0.0 && value.abs() < 9.0e15) {
            return Err(js_error(
                "ResponseDataError",
                "cat_invalid_answer",
                &format!("item {item}: answer {value} is not a whole number"),
            ));
        }
        self.inner
            .answer(&instrument.inner, item, value as i64, timestamp)
            .map_err(to_js)
    }

    /// Current estimates per scale: `[{scale, estimate: {theta, se, status}, fallback,
    /// items, stop, classification}]`.
    pub fn estimates(&self) -> Result<JsValue, JsValue> {
        to_value(&self.inner.estimates())
    }

    /// The answer log: `[{item, value, category, timestamp}]`.
    pub fn responses(&self) -> Result<JsValue, JsValue> {
        to_value(&self.inner.responses())
    }

    /// True once the session has stopped.
    #[wasm_bindgen(getter)]
    pub fn stopped(&self) -> bool {
        self.inner.is_stopped()
    }

    /// Why the session stopped (`all_scales_done`, `max_total`), or `undefined`.
    #[wasm_bindgen(getter, js_name = stopReason)]
    pub fn stop_reason(&self) -> Result<JsValue, JsValue> {
        to_value(&self.inner.stop_reason())
    }

    /// The session's language.
    #[wasm_bindgen(getter)]
    pub fn language(&self) -> String {
        self.inner.language().to_string()
    }

    /// The checksum of the instrument the session belongs to.
    #[wasm_bindgen(getter, js_name = instrumentChecksum)]
    pub fn instrument_checksum(&self) -> String {
        self.inner.instrument_checksum().to_string()
    }

    /// The state as versioned JSON (`bagdar-cat-session`, version 1).
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> Result<String, JsValue> {
        self.inner.to_json().map_err(to_js)
    }
}
