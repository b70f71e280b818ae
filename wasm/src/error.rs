//! The one place where core errors become JS `Error`s.
//!
//! Every error is a JS `Error` whose `name` is the error class (`InstrumentError`,
//! `ResponseDataError`, `SettingsError` or `BagdarError`, the same classes as Python's)
//! and whose `code` is a stable snake_case identifier of the core variant; `message` is
//! the core message, identical to the CLI's and Python's.

use wasm_bindgen::JsValue;

/// A JS `Error` with `name`, `code` and the message.
pub fn js_error(name: &str, code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name(name);
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// Converts a core error: class from its category, code and message from core.
pub fn to_js(error: bagdar::Error) -> JsValue {
    js_error(
        error.category().class_name(),
        error.code(),
        &error.to_string(),
    )
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
