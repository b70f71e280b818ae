//! The one place where core errors become JS `Error`s.
//!
//! Every error is a JS `Error` whose `name` is the error class (`InstrumentError`,
//! `ResponseDataError`, `SettingsError` or `BagdarError`, the same classes as Python's)
//! and whose `code` is a stable snake_case identifier of the core variant; `message` is
//! the core message, identical to the CLI's and Python's.

use wasm_bindgen::JsValue;

fn class_and_code(error: &bagdar::Error) -> (&'static str, &'static str) {
    use bagdar::Error as E;
    match error {
        E::InstrumentSyntax { .. } => ("InstrumentError", "instrument_syntax"),
        E::InvalidInstrument { .. } => ("InstrumentError", "invalid_instrument"),
        E::MissingTranslation { .. } => ("InstrumentError", "missing_translation"),
        E::DuplicateId { .. } => ("InstrumentError", "duplicate_id"),
        E::UnsupportedFormatVersion { .. } => ("InstrumentError", "unsupported_format_version"),
        E::InvalidParameter { .. } => ("InstrumentError", "invalid_parameter"),
        E::WrongCount { .. } => ("InstrumentError", "wrong_count"),
        E::ResponseOutOfRange { .. } => ("ResponseDataError", "response_out_of_range"),
        E::InvalidAnswer { .. } => ("ResponseDataError", "invalid_answer"),
        E::WrongItemCount { .. } => ("ResponseDataError", "wrong_item_count"),
        E::WrongDataLength { .. } => ("ResponseDataError", "wrong_data_length"),
        E::NoResponses { .. } => ("ResponseDataError", "no_responses"),
        E::UnobservedCategory { .. } => ("ResponseDataError", "unobserved_category"),
        E::NumericalFailure { .. } => ("ConvergenceError", "numerical_failure"),
        E::DegenerateSlope { .. } => ("ConvergenceError", "degenerate_slope"),
        E::NotConverged { .. } => ("ConvergenceError", "not_converged"),
        E::InvalidDecisionData { .. } => ("ResponseDataError", "invalid_decision_data"),
        E::InvalidTimings { .. } => ("ResponseDataError", "invalid_timings"),
        E::MissingNorms { .. } => ("SettingsError", "missing_norms"),
        E::InvalidSetting { .. } => ("SettingsError", "invalid_setting"),
        E::UnknownId { .. } => ("SettingsError", "unknown_id"),
        _ => ("BagdarError", "other"),
    }
}

/// A JS `Error` with `name`, `code` and the message.
pub fn js_error(name: &str, code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name(name);
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// Converts a core error.
pub fn to_js(error: bagdar::Error) -> JsValue {
    let (name, code) = class_and_code(&error);
    js_error(name, code, &error.to_string())
}

/// A JSON argument that does not parse.
pub fn json_error(what: &str, error: serde_json::Error) -> JsValue {
    let class = if what == "items" {
        "InstrumentError"
    } else {
        "SettingsError"
    };
    js_error(class, "invalid_json", &format!("{what}: {error}"))
}
