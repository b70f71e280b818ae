//! Person scoring: EAP with posterior SD, MAP, ML and Warm's WLE with standard errors,
//! EAP for sum scores (Lord–Wingersky), and seeded plausible values.
//!
//! A [`Scorer`] compiles the items once (log-probability tables on the quadrature
//! grid for EAP) and then scores any number of persons; batches run in parallel with
//! rayon when the `parallel` feature is on. Missing responses ([`crate::response::MISSING`])
//! are skipped by every method.

mod eap;
mod plausible;
mod point;
mod sum_score;

pub use eap::LogTable;
pub use plausible::PlausibleMethod;
pub use sum_score::{SumScoreTable, sum_score_likelihoods};

use crate::error::{Error, Result};
use crate::model::{ItemModel, ResponseCurve, ResponseFunction};
use crate::quadrature::{Grid, Prior, Quadrature};
use crate::response::{MISSING, ResponseMatrix};
use serde::{Deserialize, Serialize};

/// Scoring method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Expected a posteriori (posterior mean) with posterior SD (Bock & Mislevy 1982).
    #[default]
    Eap,
    /// Maximum a posteriori (posterior mode).
    Map,
    /// Maximum likelihood.
    Ml,
    /// Warm's (1989) weighted likelihood estimate.
    Wle,
}

crate::de::unit_enum_deserialize!(Method { Eap = "eap", Map = "map", Ml = "ml", Wle = "wle" });

impl Method {
    /// Lower-case name (`"eap"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Method::Eap => "eap",
            Method::Map => "map",
            Method::Ml => "ml",
            Method::Wle => "wle",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "eap" => Ok(Method::Eap),
            "map" => Ok(Method::Map),
            "ml" | "mle" => Ok(Method::Ml),
            "wle" => Ok(Method::Wle),
            _ => Err(Error::UnknownId {
                kind: "scoring method",
                id: s.to_string(),
                context: " (expected eap, map, ml or wle)".into(),
            }),
        }
    }
}

/// Which information the SE of a modal estimate (MAP, ML, WLE) uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StandardError {
    /// Expected (Fisher) test information at θ̂: SE = 1/√I(θ̂) (MAP: 1/√(I + 1/σ²)).
    #[default]
    Expected,
    /// Observed information −d²/dθ² of the log-likelihood (log-posterior for MAP) at θ̂.
    Observed,
}

crate::de::unit_enum_deserialize!(StandardError { Expected = "expected", Observed = "observed" });

/// Scoring settings. The defaults are those of R `mirt`'s `fscores`: 61 quadrature
/// points on [−6, 6], a standard normal prior, modal estimates bounded to ±20.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields, default)]
pub struct ScoringSettings {
    /// Estimator.
    pub method: Method,
    /// Quadrature grid (EAP, sum-score tables, plausible values).
    pub grid: Grid,
    /// Prior for θ (EAP, MAP).
    pub prior: Prior,
    /// Search interval for MAP, ML and WLE; an estimate at a bound gets [`Status::Bound`].
    pub bounds: [f64; 2],
    /// SE flavour of the modal estimators.
    pub standard_error: StandardError,
}

crate::de::map_only_serialize!(ScoringSettings);
crate::de::object_deserialize!(ScoringSettings, deny_unknown_fields = true, {
    method: Method = container,
    grid: Grid = container,
    prior: Prior = container,
    bounds: [f64; 2] = container,
    standard_error: StandardError = container,
});

impl Default for ScoringSettings {
    fn default() -> Self {
        ScoringSettings {
            method: Method::Eap,
            grid: Grid::default(),
            prior: Prior::default(),
            bounds: [-20.0, 20.0],
            standard_error: StandardError::Expected,
        }
    }
}

impl ScoringSettings {
    /// Default settings with another method.
    pub fn with_method(method: Method) -> Self {
        ScoringSettings {
            method,
            ..Self::default()
        }
    }
}

/// How a person's estimate came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A regular estimate.
    Ok,
    /// No item answered: EAP and MAP return the prior; ML and WLE have no estimate.
    NoResponses,
    /// ML only: every answered item in its lowest category; no finite estimate.
    AllMinimum,
    /// ML only: every answered item in its highest category; no finite estimate.
    AllMaximum,
    /// The modal estimate lies at a search bound (`ScoringSettings::bounds`).
    Bound,
}

impl Status {
    /// Every status, in the order of [`Status::code`].
    pub const ALL: [Status; 5] = [
        Status::Ok,
        Status::NoResponses,
        Status::AllMinimum,
        Status::AllMaximum,
        Status::Bound,
    ];

    /// A small integer code, the position in [`Status::ALL`] (for columnar outputs).
    ///
    /// ```
    /// use bagdar::score::Status;
    /// assert!(Status::ALL.iter().enumerate().all(|(i, s)| s.code() as usize == i));
    /// ```
    pub fn code(self) -> u8 {
        self as u8
    }

    /// snake_case name as in files.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NoResponses => "no_responses",
            Status::AllMinimum => "all_minimum",
            Status::AllMaximum => "all_maximum",
            Status::Bound => "bound",
        }
    }
}

/// One person's estimate.
///
/// `theta` and `se` are NaN exactly when there is no estimate (ML or WLE with
/// [`Status::NoResponses`], ML with [`Status::AllMinimum`] / [`Status::AllMaximum`]);
/// surfaces write them as empty cells / missing values, with the status beside them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// θ estimate.
    pub theta: f64,
    /// Standard error (posterior SD for EAP).
    pub se: f64,
    /// Outcome.
    pub status: Status,
}

impl Estimate {
    pub(crate) fn none(status: Status) -> Self {
        Estimate {
            theta: f64::NAN,
            se: f64::NAN,
            status,
        }
    }
}

/// Scores persons on one unidimensional scale.
///
/// # Examples
///
/// LSAT7 with R `mirt`'s 2PL parameters, a person who answered 1 1 1 0 1 (the expected
/// values are from the independent reference in `tests/golden/lsat7-2pl.json`):
///
/// ```
/// use bagdar::model::ItemModel;
/// use bagdar::response::ResponseMatrix;
/// use bagdar::score::{Method, Scorer, ScoringSettings};
/// let items: Vec<ItemModel> = [(0.988, 1.8561), (1.081, 0.808), (1.706, 1.8043), (0.7651, 0.486), (0.7358, 1.8545)]
///     .iter().map(|&(slope, intercept)| ItemModel::TwoPl { slope, intercept }).collect();
/// let scorer = Scorer::from_models(&items, &ScoringSettings::default())?;
/// let data = ResponseMatrix::from_rows(&[vec![Some(1), Some(1), Some(1), Some(0), Some(1)]])?;
/// let eap = scorer.score(&data)?[0];
/// assert!((eap.theta - 0.265367).abs() < 1e-5 && (eap.se - 0.753588).abs() < 1e-5);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Scorer {
    items: Vec<ResponseFunction>,
    settings: ScoringSettings,
    quadrature: Quadrature,
    table: LogTable,
    information: Vec<f64>,
    /// The objective tabulated on the scan grid of non-concave rows (modal methods),
    /// built on first use.
    scan: std::sync::OnceLock<Option<point::ScanTable>>,
}

impl Scorer {
    /// Validates the item models and compiles them.
    ///
    /// # Errors
    ///
    /// Parameter errors from [`ItemModel::validate`] (items named by index) and settings
    /// errors as for [`Scorer::new`].
    pub fn from_models(models: &[ItemModel], settings: &ScoringSettings) -> Result<Self> {
        let items = models
            .iter()
            .enumerate()
            .map(|(i, m)| m.response_function(&format!("#{i}")))
            .collect::<Result<Vec<_>>>()?;
        Scorer::new(items, settings)
    }

    /// Compiles validated response functions.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] for a bad grid, prior or bounds, or MAP with a discrete
    /// prior (which has no density).
    pub fn new(items: Vec<ResponseFunction>, settings: &ScoringSettings) -> Result<Self> {
        let quadrature = Quadrature::new(&settings.grid, &settings.prior)?;
        let [lo, hi] = settings.bounds;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::setting(
                "bounds",
                format!("need finite lower < upper, got [{lo}, {hi}]"),
            ));
        }
        if settings.method == Method::Map && matches!(settings.prior, Prior::Discrete { .. }) {
            return Err(Error::setting(
                "prior",
                "MAP needs a normal prior; a discrete prior has no density (use EAP)",
            ));
        }
        let table = LogTable::new(&items, quadrature.nodes());
        let information = items
            .iter()
            .flat_map(|f| quadrature.nodes().iter().map(|&t| f.information(t)))
            .collect();
        Ok(Scorer {
            items,
            settings: settings.clone(),
            quadrature,
            table,
            information,
            scan: std::sync::OnceLock::new(),
        })
    }

    /// The compiled items.
    pub fn items(&self) -> &[ResponseFunction] {
        &self.items
    }

    /// The settings.
    pub fn settings(&self) -> &ScoringSettings {
        &self.settings
    }

    /// The quadrature (nodes and prior weights).
    pub fn quadrature(&self) -> &Quadrature {
        &self.quadrature
    }

    /// Scores one row of categories (already checked) with the configured method.
    pub fn score_row(&self, row: &[u8]) -> Estimate {
        match self.settings.method {
            Method::Eap => {
                let mut scratch = vec![0.0; self.quadrature.len()];
                eap::eap_row(&self.table, &self.quadrature, row, &mut scratch)
            }
            method => point::estimate(
                &self.items,
                row,
                method,
                &self.settings,
                Some(&self.grid_start()),
            ),
        }
    }

    /// θ̂ of one row (already checked) with the configured method: the `theta` of
    /// [`Scorer::score_row`], bit for bit, without computing the standard error of a
    /// modal estimate.
    pub(crate) fn theta_row(&self, row: &[u8]) -> f64 {
        match self.settings.method {
            Method::Eap => self.score_row(row).theta,
            method => {
                point::estimate_with(
                    &self.items,
                    row,
                    method,
                    &self.settings,
                    Some(&self.grid_start()),
                    false,
                )
                .theta
            }
        }
    }

    fn grid_start(&self) -> point::GridStart<'_> {
        point::GridStart {
            nodes: self.quadrature.nodes(),
            table: &self.table,
            log_prior: self.quadrature.log_weights(),
            information: &self.information,
            scan: self
                .scan
                .get_or_init(|| point::ScanTable::new(&self.items, &self.settings))
                .as_ref(),
        }
    }

    /// Posterior weights of one row on the quadrature nodes (they sum to 1).
    pub fn posterior(&self, row: &[u8]) -> Vec<f64> {
        self.posterior_with_eap(row).0
    }

    /// Posterior weights of one row (they sum to 1) and its EAP estimate, the same to
    /// the bit as [`Scorer::score_row`] with [`Method::Eap`].
    pub fn posterior_with_eap(&self, row: &[u8]) -> (Vec<f64>, Estimate) {
        let mut out = vec![0.0; self.quadrature.len()];
        let estimate = eap::posterior_row(&self.table, &self.quadrature, row, &mut out);
        (out, estimate)
    }

    /// Scores every person.
    ///
    /// # Errors
    ///
    /// [`Error::WrongItemCount`] or [`Error::ResponseOutOfRange`] when the data do not fit
    /// the items.
    pub fn score(&self, responses: &ResponseMatrix) -> Result<Vec<Estimate>> {
        responses.check(&self.items, None)?;
        Ok(match self.settings.method {
            Method::Eap => {
                let q = self.quadrature.len();
                map_rows_with(
                    responses,
                    || vec![0.0; q],
                    |scratch, _, row| eap::eap_row(&self.table, &self.quadrature, row, scratch),
                )
            }
            method => {
                let grid = self.grid_start();
                map_rows_with(
                    responses,
                    || (),
                    |_, _, row| {
                        point::estimate(&self.items, row, method, &self.settings, Some(&grid))
                    },
                )
            }
        })
    }

    /// The EAP-for-sum-scores table of these items (all items answered).
    pub fn sum_score_table(&self) -> SumScoreTable {
        SumScoreTable::new(&self.items, &self.quadrature)
    }

    /// EAP for sum scores for every person: the summed category score of the answered
    /// items is looked up in the table built for that person's set of answered items.
    ///
    /// # Errors
    ///
    /// As [`Scorer::score`].
    pub fn score_sum(&self, responses: &ResponseMatrix) -> Result<Vec<Estimate>> {
        responses.check(&self.items, None)?;
        Ok(sum_score::score_by_sum(
            &self.items,
            &self.quadrature,
            responses,
        ))
    }

    /// `draws` plausible values per person (row-major, persons × draws), seeded: the
    /// values for person p depend only on `seed`, p and the data, not on threads.
    ///
    /// # Errors
    ///
    /// As [`Scorer::score`].
    pub fn plausible_values(
        &self,
        responses: &ResponseMatrix,
        draws: usize,
        seed: u64,
        method: PlausibleMethod,
    ) -> Result<Vec<f64>> {
        responses.check(&self.items, None)?;
        Ok(plausible::draw(
            &self.table,
            &self.quadrature,
            responses,
            draws,
            seed,
            method,
        ))
    }
}

/// Runs `f` on every row, in parallel when the `parallel` feature is on, keeping order.
pub(crate) fn map_rows_with<S, T, I, F>(responses: &ResponseMatrix, init: I, f: F) -> Vec<T>
where
    T: Send,
    I: Fn() -> S + Sync + Send,
    F: Fn(&mut S, usize, &[u8]) -> T + Sync + Send,
{
    let n = responses.persons();
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n)
            .into_par_iter()
            .with_min_len(256)
            .map_init(&init, |s, p| f(s, p, responses.row(p)))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        let mut s = init();
        (0..n).map(|p| f(&mut s, p, responses.row(p))).collect()
    }
}

/// Counts answered items and whether all are at the lowest / highest category.
pub(crate) fn extremes(items: &[ResponseFunction], row: &[u8]) -> (usize, bool, bool) {
    let mut answered = 0;
    let (mut all_min, mut all_max) = (true, true);
    for (f, &x) in items.iter().zip(row) {
        if x == MISSING {
            continue;
        }
        answered += 1;
        all_min &= x == 0;
        all_max &= x as usize == f.categories() - 1;
    }
    (answered, all_min, all_max)
}

#[cfg(test)]
mod tests;
