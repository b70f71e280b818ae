//! Computerized adaptive testing: item selection, battery routing, content balancing,
//! enemies, exposure control, interim estimation, stopping (SE, length, information,
//! SPRT and GLR classification), resumable sessions and seeded simulation.
//!
//! # Model and conventions
//!
//! * A battery is routed through its scales ([`Routing`]): blocks in the configured
//!   order, or interleaved by largest SE or round robin. Each scale is estimated on its
//!   own items with its own prior (between-item structure, as in [`crate::score`]).
//! * **Selection** ([`Criterion`]) at the scale's interim estimate θ̂: maximum Fisher
//!   information I_i(θ̂) (exact, from [`crate::model::ResponseCurve::information`]),
//!   Kullback–Leibler information over θ̂ ± c/√n (Chang & Ying 1996), or
//!   posterior-weighted information Σ_q w_q I_i(θ_q) (van der Linden 1998). All work
//!   for dichotomous and polytomous items. Before a scale's first answer θ̂ is the prior
//!   mean (or [`Estimation::start`]).
//! * **Eligibility**: not administered, no enemy administered, not set aside by
//!   Sympson–Hetter; with content targets, only the Kingsbury–Zara area (the targeted
//!   area of the scale furthest below its share) when it has eligible items.
//! * **Exposure** ([`Exposure`]): randomesque (uniform among the top k) or
//!   Sympson–Hetter. Random draws of step t come from ChaCha8 stream t of the session
//!   seed, so a replay of the log makes the same draws.
//! * **Interim estimation** ([`Estimation`]): EAP on the scoring grid by default, or
//!   MAP/ML/WLE through [`crate::score::Scorer`]; while ML has no finite estimate
//!   (no answer, all lowest or all highest categories) the fallback (EAP or MAP) is used.
//! * **Stopping** per scale ([`ScaleStop`]): classification decided, SE ≤ target (both
//!   only from the minimum length on), maximum length, information below
//!   `min_information`, or no eligible item. The session stops when every routed scale
//!   has stopped or at `max_total` ([`StopReason`]).
//!
//! # Examples
//!
//! ```
//! use bagdar::cat::{CatSession, CatSettings};
//! # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
//! let instrument = bagdar::instrument::Instrument::from_json(&json)?;
//! let settings = CatSettings { scales: vec!["caring".into()], se_target: Some(0.45), ..CatSettings::default() };
//! let mut session = CatSession::start(&instrument, settings, "kk", 1)?;
//! while let Some(next) = session.next_item(&instrument)? {
//!     session.answer(&instrument, &next.item, 4, None)?; // "agree" to everything
//! }
//! let caring = &session.estimates()[7];
//! assert_eq!(caring.scale, "caring");
//! assert!(caring.estimate.se <= 0.45 || caring.items == 8);
//! assert!(session.responses().len() < 8);
//! # Ok::<(), bagdar::Error>(())
//! ```

mod engine;
mod session;
mod settings;
mod simulate;

pub use engine::{CatEngine, Classification, Decision, ScaleStop, StopReason};
pub use session::{
    CatResponse, CatSession, Next, NextOption, SESSION_FORMAT, SESSION_VERSION, ScaleEstimate,
    TraceStep,
};
pub use settings::{
    CatSettings, ClassificationMethod, ClassificationRule, Criterion, CutSource, Estimation,
    Exposure, Length, Routing, Selection,
};
pub use simulate::{
    ItemExposure, LengthSummary, ProfileAgreement, ScaleClassification, ScaleSummary,
    SimulationReport, SimulationSettings, SympsonHetterResult, SympsonHetterSettings, simulate,
    sympson_hetter,
};

#[cfg(test)]
mod tests;
