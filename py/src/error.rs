//! The one place where core errors become Python exceptions.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

pyo3::create_exception!(
    _bagdar,
    BagdarError,
    PyValueError,
    "Base class of every Bagdar error (a ValueError)."
);
pyo3::create_exception!(
    _bagdar,
    InstrumentError,
    BagdarError,
    "An instrument or item parameters break a rule of the format."
);
pyo3::create_exception!(
    _bagdar,
    ResponseDataError,
    BagdarError,
    "Response data do not fit the items: wrong shape, a value outside the options."
);
pyo3::create_exception!(
    _bagdar,
    SettingsError,
    BagdarError,
    "Invalid settings: quadrature, prior, method, bounds."
);
pyo3::create_exception!(
    _bagdar,
    ConvergenceError,
    BagdarError,
    "An estimation did not converge."
);

/// Maps a core error to its exception class (by category), keeping the core message.
pub fn to_py(error: bagdar::Error) -> PyErr {
    use bagdar::ErrorCategory as C;
    let message = error.to_string();
    let err = match error.category() {
        C::Instrument => InstrumentError::new_err(message),
        C::ResponseData => ResponseDataError::new_err(message),
        C::Settings => SettingsError::new_err(message),
        C::Convergence => ConvergenceError::new_err(message),
    };
    // The stable code, as JS errors have it (`e.code`).
    Python::attach(|py| {
        let _ = err.value(py).setattr("code", error.code());
    });
    err
}

/// Registers the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("BagdarError", py.get_type::<BagdarError>())?;
    m.add("InstrumentError", py.get_type::<InstrumentError>())?;
    m.add("ResponseDataError", py.get_type::<ResponseDataError>())?;
    m.add("SettingsError", py.get_type::<SettingsError>())?;
    m.add("ConvergenceError", py.get_type::<ConvergenceError>())?;
    Ok(())
}

/// A JSON argument that does not parse: item models are an instrument problem (e.g. a
/// NaN parameter, which JSON cannot carry), anything else a settings problem.
pub fn json_error(what: &str, error: serde_json::Error) -> PyErr {
    let message = format!("{what}: {error}");
    if what == "items" {
        InstrumentError::new_err(message)
    } else {
        SettingsError::new_err(message)
    }
}
