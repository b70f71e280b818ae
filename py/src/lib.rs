//! Python bindings of Bagdar. Every function converts types, calls one core function
//! and converts back; the logic lives in the `bagdar` crate.

mod calibrate;
mod cat;
mod error;
mod fit;
mod groups;
mod instrument;
mod link;
mod model;
mod score;
mod simulate;

use pyo3::prelude::*;

/// The compiled module, imported as `bagdar._bagdar`.
#[pymodule]
fn _bagdar(m: &Bound<'_, PyModule>) -> PyResult<()> {
    error::register(m)?;
    m.add_class::<instrument::Instrument>()?;
    m.add_class::<cat::CatSession>()?;
    m.add_function(wrap_pyfunction!(cat::cat_simulate, m)?)?;
    m.add_class::<calibrate::PyExpectedCounts>()?;
    m.add_class::<calibrate::PyDataSummary>()?;
    m.add_function(wrap_pyfunction!(calibrate::calibrate, m)?)?;
    m.add_function(wrap_pyfunction!(calibrate::calibrate_with, m)?)?;
    m.add_function(wrap_pyfunction!(model::item_curves, m)?)?;
    m.add_function(wrap_pyfunction!(fit::m2, m)?)?;
    m.add_function(wrap_pyfunction!(fit::item_fit, m)?)?;
    m.add_function(wrap_pyfunction!(fit::dif, m)?)?;
    m.add_function(wrap_pyfunction!(fit::local_dependence, m)?)?;
    m.add_function(wrap_pyfunction!(score::person_fit, m)?)?;
    m.add_function(wrap_pyfunction!(groups::calibrate_groups, m)?)?;
    m.add_function(wrap_pyfunction!(groups::likelihood_ratio_dif, m)?)?;
    m.add_function(wrap_pyfunction!(link::link, m)?)?;
    m.add_function(wrap_pyfunction!(link::link_transform, m)?)?;
    m.add_function(wrap_pyfunction!(score::score_items, m)?)?;
    m.add_function(wrap_pyfunction!(score::status_names, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::simulate_items, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::simulate_cohort, m)?)?;
    m.add_function(wrap_pyfunction!(score::sum_score_table, m)?)?;
    m.add_function(wrap_pyfunction!(score::plausible_values, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
