//! # Bagdar
//!
//! An item response theory engine for career-guidance diagnostics: response models,
//! scoring, the trilingual instrument format, and (in later modules) calibration,
//! computerized adaptive testing and the teaching-aptitude decision.
//!
//! Parameters are stored in slope-intercept form with D = 1 (`logit = a·θ + d`).
//!
//! ```
//! use bagdar::model::{ItemModel, ResponseCurve};
//! let item = ItemModel::TwoPl { slope: 1.0, intercept: 0.0 }.response_function("i1")?;
//! let mut p = [0.0; 2];
//! item.probabilities(0.0, &mut p);
//! assert_eq!(p, [0.5, 0.5]);
//! # Ok::<(), bagdar::Error>(())
//! ```

pub mod batch;
pub mod calibrate;
pub mod cat;
mod de;
pub mod decide;
pub mod error;
pub mod fit;
#[doc(hidden)]
pub mod fuzz;
pub mod instrument;
pub mod link;
pub mod model;
mod order;
mod posterior;

pub use error::{Error, ErrorCategory, Result};
pub mod quadrature;
pub mod record;
pub mod report;
pub mod response;
pub mod score;
pub mod simulate;
