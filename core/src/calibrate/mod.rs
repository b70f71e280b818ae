//! Item calibration by marginal maximum likelihood: Bock–Aitkin EM on a fixed
//! quadrature grid, accelerated (Anderson acceleration by default, or SQUAREM).
//!
//! * [`CalibrationSettings`]: models (per item or one for all), quadrature, population,
//!   priors on item parameters, anchored items, starting values, tolerances.
//! * [`ExpectedCounts`]: the E-step's sufficient statistic, computed per chunk of
//!   persons and merged by addition (rayon here; Dask partitions in Python).
//! * [`calibrate`]: the fit, returning a [`Calibration`] with its [`FitStatus`];
//!   [`calibrate_with`] runs the same fit with an E-step supplied by the caller
//!   (distributed data), given the merged [`DataSummary`].
//! * [`simulate`]: seeded data for parameter-recovery checks.
//!
//! Defaults (see [`CalibrationSettings`]): 2PL for every item, 61 equally spaced nodes
//! on [−6, 6] with N(0, 1) weights (R `mirt`'s grid), no priors on item parameters,
//! automatic starting values (item–rest correlations and logits of category
//! proportions), Anderson acceleration, at most 500 iterations, converged when the
//! objective changes by less than 1e-9·(1 + |ℓ|) and no parameter by more than 1e-5 in
//! one iteration, nor in the plain EM step from the final point.
//!
//! Standard errors ([`StandardErrors`], on request) come from the observed information:
//! central differences of the exact gradient of the marginal log-likelihood.
//!
//! Multi-group calibration ([`calibrate_groups`]): groups such as the language forms
//! with their own latent mean and SD, the reference group fixed, invariant and free
//! items. Fit statistics and DIF (including likelihood-ratio DIF in the multi-group
//! model) are in [`crate::fit`].
//! Linking separately calibrated forms through common items is in [`crate::link`].

mod battery;
mod bytes;
mod em;
mod expected;
mod fitted;
mod groups;
mod mstep;
mod parameters;
mod settings;
mod simulate;
mod standard_errors;
mod summary;

pub use battery::{
    ScaleCalibration, ScaleFit, ScaleGroupCalibration, battery_fit, calibrate_battery,
    calibrate_battery_as, calibrate_battery_groups,
};
pub use expected::ExpectedCounts;
pub(crate) use fitted::Fitted;
pub(crate) use groups::calibrate_groups_from;
pub use groups::{
    GroupCalibration, GroupSettings, GroupStandardErrors, calibrate_groups, group_codes,
};
pub(crate) use parameters::Transform;
pub use settings::{
    Acceleration, BetaPrior, CalibrationSettings, CheckedSettings, ItemSpec, LogNormal,
    NormalPrior, ParameterPriors, Population, Tolerance,
};
pub use simulate::{Simulated, Simulation, simulate};
pub(crate) use standard_errors::invert_spd;
pub use standard_errors::{ItemStandardErrors, STANDARD_ERROR_METHOD, StandardErrors};
pub use summary::DataSummary;

use crate::error::{Error, Result};
use crate::model::ItemModel;
use crate::model::{ResponseCurve, ResponseFunction};
use crate::quadrature::Quadrature;
use crate::response::{MISSING, ResponseMatrix};
use crate::score::LogTable;
use expected::Patterns;
use parameters::{Layout, item_categories};
use serde::{Deserialize, Serialize};

/// How a calibration ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitStatus {
    /// Both tolerances held: the fit is at the optimum.
    Converged,
    /// The iteration limit was reached first; the estimates are not at the optimum.
    IterationLimit,
    /// An EM step lowered the objective beyond rounding (a numerical problem); the
    /// estimates are those before that step.
    LikelihoodDecreased,
}

impl FitStatus {
    /// `Ok` when converged, else [`Error::NotConverged`] with the iterations run.
    pub(crate) fn require_converged(self, iterations: usize) -> Result<()> {
        if self == FitStatus::Converged {
            Ok(())
        } else {
            Err(Error::NotConverged {
                status: self.name(),
                iterations,
            })
        }
    }

    /// snake_case name as in files.
    pub fn name(self) -> &'static str {
        match self {
            FitStatus::Converged => "converged",
            FitStatus::IterationLimit => "iteration_limit",
            FitStatus::LikelihoodDecreased => "likelihood_decreased",
        }
    }
}

/// The result of [`calibrate`].
///
/// Check [`Calibration::status`] (or call [`Calibration::require_converged`]) before
/// using the estimates: a fit that stopped at the iteration limit is returned with that
/// status, never as if it had converged.
///
/// # Formula
///
/// ```text
/// log_likelihood = Σ_p ln Σ_q w_q Π_i P_{i,x_pi}(θ_q)     (on the quadrature grid)
/// aic = −2·log_likelihood + 2·parameters
/// bic = −2·log_likelihood + parameters·ln(persons)
/// ```
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::{CalibrationSettings, FitStatus, Simulation, calibrate, simulate};
/// use bagdar::model::ItemModel;
/// let items: Vec<ItemModel> = (0..5).map(|i| ItemModel::TwoPl { slope: 1.2, intercept: 0.4 * i as f64 - 0.8 }).collect();
/// let data = simulate(&items, &Simulation { persons: 500, mean: 0.0, sd: 1.0, missing: 0.0, seed: 1 })?;
/// let fit = calibrate(&data.responses, &CalibrationSettings::default())?;
/// assert_eq!(fit.status, FitStatus::Converged);
/// assert_eq!(fit.parameters, 10);
/// assert!((fit.bic - (-2.0 * fit.log_likelihood + 10.0 * 500f64.ln())).abs() < 1e-9);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
pub struct Calibration {
    /// Estimated (and anchored) items, in column order.
    pub items: Vec<ItemModel>,
    /// Marginal log-likelihood at the estimates (without the item priors).
    pub log_likelihood: f64,
    /// Sum of the log prior densities of the item parameters (0 without priors).
    pub log_prior: f64,
    /// Akaike information criterion.
    pub aic: f64,
    /// Bayesian information criterion.
    pub bic: f64,
    /// Number of estimated parameters (items and population).
    pub parameters: usize,
    /// Number of persons with at least one response.
    pub persons: f64,
    /// EM iterations run (Anderson iterations, SQUAREM cycles or plain EM steps).
    pub iterations: usize,
    /// E-steps run (each a pass over the data).
    pub e_steps: usize,
    /// How the fit ended.
    pub status: FitStatus,
    /// Population mean of θ (estimated or fixed).
    pub latent_mean: f64,
    /// Population SD of θ (estimated or fixed).
    pub latent_sd: f64,
    /// The objective (log-likelihood + log prior) at the start and after every cycle;
    /// never decreasing.
    pub history: Vec<f64>,
    /// Standard errors of the estimates when [`CalibrationSettings::standard_errors`]
    /// was set (see [`StandardErrors`] for the method); `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se: Option<StandardErrors>,
}

impl Calibration {
    /// True when the fit converged.
    pub fn converged(&self) -> bool {
        self.status == FitStatus::Converged
    }

    /// The calibration if it converged.
    ///
    /// # Errors
    ///
    /// [`Error::NotConverged`] with the status and the iterations run.
    pub fn require_converged(self) -> Result<Self> {
        self.status.require_converged(self.iterations)?;
        Ok(self)
    }
}

/// Calibrates the items of one unidimensional scale by marginal maximum likelihood
/// (Bock & Aitkin 1981).
///
/// # Formula
///
/// ```text
/// E-step:  r_{ikq}, n_q from the posteriors π_p(q) ∝ w_q Π_i P_{i,x_pi}(θ_q)   (see ExpectedCounts)
/// M-step:  per item, maximize Σ_q Σ_k r_{ikq} ln P_ik(θ_q) + ln prior
///          by Newton–Raphson with step halving on (ln a, d, logit g, logit u);
///          shared parameters (1PL slope, RSM thresholds) are solved jointly;
///          the population (μ, σ) when free maximizes Σ_q n_q ln w_q(μ, σ)
/// Anderson: x' = G(x_k) − ΔG γ, γ = argmin ‖f_k − ΔF γ‖ over the last 5 differences of
///          the EM map G and its residual f = G(x) − x (Walker & Ni 2011), kept only
///          when it does not lower the objective (else the EM step G(x_k));
///          or SQUAREM: x' = x0 − 2α r + α² v from two EM steps (Varadhan & Roland 2008)
/// ```
///
/// Identification: the population is N(0, 1) unless set otherwise. Rasch, PCM and RSM
/// items have slope 1, and when every estimated item is of these kinds the population SD
/// is estimated (as R `mirt` does for Rasch). RSM items with the same number of
/// categories share their thresholds; while estimating, the intercept of the first such
/// item is 0, and the result is re-centred so the thresholds sum to 0. Missing responses
/// are skipped; identical response rows are collapsed and counted once.
///
/// # Errors
///
/// Settings errors from [`CalibrationSettings::check`]; [`Error::ResponseOutOfRange`]
/// for a response outside an item's categories; [`Error::NoResponses`] or
/// [`Error::UnobservedCategory`] for an item the data cannot identify;
/// [`Error::InvalidParameter`] for bad starting values; [`Error::NumericalFailure`]
/// when the log-likelihood is not finite at the starting values;
/// [`Error::DegenerateSlope`] when an estimated slope falls to 0 (slopes are kept
/// positive, so a reverse-keyed item that was not recoded ends there).
///
/// # Examples
///
/// LSAT7 (Bock & Lieberman 1970), 2PL; R `mirt` reports log-likelihood −2658.805:
///
/// ```
/// use bagdar::calibrate::{CalibrationSettings, calibrate};
/// use bagdar::response::ResponseMatrix;
/// let freq = [12, 19, 1, 7, 3, 19, 3, 17, 10, 5, 3, 7, 7, 23, 8, 28, 7, 39, 11, 34, 14,
///             51, 15, 90, 6, 25, 7, 35, 18, 136, 32, 308];
/// let mut data = Vec::new();
/// for (pattern, &f) in freq.iter().enumerate() {
///     for _ in 0..f {
///         data.extend((0..5).map(|i| ((pattern >> (4 - i)) & 1) as u8));
///     }
/// }
/// let responses = ResponseMatrix::new(1000, 5, data)?;
/// let fit = calibrate(&responses, &CalibrationSettings::default())?.require_converged()?;
/// assert!((fit.log_likelihood + 2658.805).abs() < 0.01);
/// assert!((fit.items[2].slope() - 1.706).abs() < 2e-3);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn calibrate(
    responses: &ResponseMatrix,
    settings: &CalibrationSettings,
) -> Result<Calibration> {
    let checked = settings.check(responses.items())?;
    calibrate_checked(responses, &checked)
}

/// [`calibrate`] with settings already checked for this number of items.
///
/// # Errors
///
/// As [`calibrate`], and [`Error::WrongItemCount`] when the settings were checked for a
/// different number of items.
pub fn calibrate_checked(
    responses: &ResponseMatrix,
    settings: &CheckedSettings,
) -> Result<Calibration> {
    if settings.items.len() != responses.items() {
        return Err(Error::WrongItemCount {
            expected: settings.items.len(),
            found: responses.items(),
        });
    }
    if responses.items() == 0 {
        return Err(Error::setting("items", "there are no items to calibrate"));
    }
    let patterns = Patterns::collapse(responses);
    let summary = DataSummary::from_patterns(&patterns);
    let categories = item_categories(&settings.items, summary.counts());
    check_categories(responses, &categories)?;
    calibrate_with(settings, &summary, |items, quadrature| {
        let table = LogTable::new(items, quadrature.nodes());
        let categories: Vec<usize> = items.iter().map(|f| f.categories()).collect();
        Ok(ExpectedCounts::from_patterns(
            &table,
            &categories,
            quadrature,
            &patterns,
        ))
    })
}

/// Runs the calibration with an E-step supplied by the caller, for data that are not in
/// one [`ResponseMatrix`]: `e_step(items, quadrature)` must return the
/// [`ExpectedCounts`] of all persons for those items on that quadrature, e.g. computed
/// per partition with [`ExpectedCounts::compute`] and merged in a fixed partition order.
/// `summary` is the merged [`DataSummary`] of the same persons (starting values and
/// identification checks). Everything else (M-step, acceleration, convergence) is the code
/// [`calibrate`] runs, so the same counts give the same fit.
///
/// # Errors
///
/// As [`calibrate`], any error the E-step returns, and [`Error::InvalidSetting`] when it
/// returns counts for other items or another grid.
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::*;
/// use bagdar::model::ItemModel;
/// use bagdar::response::ResponseMatrix;
/// let items: Vec<ItemModel> = (0..4).map(|i| ItemModel::TwoPl { slope: 1.0, intercept: 0.5 * i as f64 - 0.7 }).collect();
/// let simulation = Simulation { persons: 400, mean: 0.0, sd: 1.0, missing: 0.0, seed: 3 };
/// let all = simulate(&items, &simulation)?.responses;
/// // Two partitions of the persons.
/// let first = ResponseMatrix::new(150, 4, all.data()[..600].to_vec())?;
/// let second = ResponseMatrix::new(250, 4, all.data()[600..].to_vec())?;
/// let mut summary = DataSummary::from_responses(&first);
/// summary.merge(&DataSummary::from_responses(&second))?;
/// let settings = CalibrationSettings::default().check(4)?;
/// let fit = calibrate_with(&settings, &summary, |items, quadrature| {
///     let mut counts = ExpectedCounts::compute(items, quadrature, &first)?;
///     counts.merge(&ExpectedCounts::compute(items, quadrature, &second)?)?;
///     Ok(counts)
/// })?;
/// let whole = calibrate(&all, &CalibrationSettings::default())?;
/// assert!((fit.log_likelihood - whole.log_likelihood).abs() < 1e-6);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn calibrate_with<F>(
    settings: &CheckedSettings,
    summary: &DataSummary,
    e_step: F,
) -> Result<Calibration>
where
    F: FnMut(&[ResponseFunction], &Quadrature) -> Result<ExpectedCounts>,
{
    let (layout, start) = layout_for(settings, summary)?;
    let mut e_step = e_step;
    let (fit, _) = fit_layout(settings, layout, start, |items, quadratures| {
        Ok(vec![e_step(items, &quadratures[0])?])
    })?;
    Ok(fit)
}

/// Checks the summary against the settings and lays out the parameters.
fn layout_for(settings: &CheckedSettings, summary: &DataSummary) -> Result<(Layout, Vec<f64>)> {
    if settings.items.len() != summary.items() {
        return Err(Error::WrongItemCount {
            expected: settings.items.len(),
            found: summary.items(),
        });
    }
    if summary.items() == 0 {
        return Err(Error::setting("items", "there are no items to calibrate"));
    }
    Layout::build(settings, summary)
}

/// Runs EM on a laid-out problem whose E-step returns the counts of each group; also
/// returns each group's (mean, SD) at the estimates.
pub(crate) fn fit_layout<F>(
    settings: &CheckedSettings,
    layout: Layout,
    start: Vec<f64>,
    e_step: F,
) -> Result<(Calibration, Vec<(f64, f64)>)>
where
    F: FnMut(&[ResponseFunction], &[Quadrature]) -> Result<Vec<ExpectedCounts>>,
{
    let mut problem = em::Problem {
        layout: &layout,
        settings,
        e_step,
    };
    let outcome = problem.run(start)?;
    let x = &outcome.x;
    let se = if settings.standard_errors {
        Some(standard_errors::compute(
            &layout,
            x,
            &settings.nodes,
            &settings.priors,
            |point| Ok(problem.evaluate(point)?.map(|e| (e.counts, e.group_totals))),
        )?)
    } else {
        None
    };
    let mut items: Vec<ItemModel> = (0..layout.items.len())
        .map(|i| layout.model(i, x))
        .collect();
    for (i, (item, spec)) in items.iter().zip(&settings.items).enumerate() {
        if !spec.is_fixed() && item.slope() < MIN_SLOPE {
            return Err(Error::DegenerateSlope {
                item: format!("#{i}"),
                slope: item.slope(),
            });
        }
    }
    recentre_rating_scale(&mut items, &layout.rsm_groups);
    let (latent_mean, latent_sd) = layout.population(x);
    let counts = &outcome.evaluation.counts;
    let log_likelihood = counts.log_likelihood();
    let parameters = layout.free_parameters();
    let persons = counts.respondents();
    let populations = (0..layout.populations.len())
        .map(|g| layout.group_population(g, x))
        .collect();
    let fit = Calibration {
        items,
        log_likelihood,
        log_prior: outcome.evaluation.log_prior,
        aic: -2.0 * log_likelihood + 2.0 * parameters as f64,
        bic: -2.0 * log_likelihood + parameters as f64 * persons.max(1.0).ln(),
        parameters,
        persons,
        iterations: outcome.iterations,
        e_steps: outcome.e_steps,
        status: outcome.status,
        latent_mean,
        latent_sd,
        history: outcome.history,
        se,
    };
    Ok((fit, populations))
}

/// Estimated slopes below this are reported as [`Error::DegenerateSlope`]: the slope is
/// estimated on the log scale, and an item that runs against the scale drives it to 0.
const MIN_SLOPE: f64 = 1e-4;

fn check_categories(responses: &ResponseMatrix, categories: &[usize]) -> Result<()> {
    for p in 0..responses.persons() {
        for (i, (&v, &k)) in responses.row(p).iter().zip(categories).enumerate() {
            if v != MISSING && v as usize >= k {
                return Err(Error::ResponseOutOfRange {
                    person: p,
                    item: format!("#{i}"),
                    value: v as i64,
                    max: k - 1,
                });
            }
        }
    }
    Ok(())
}

/// Shifts each RSM group so that its thresholds sum to 0 (c − τ_j is unchanged).
fn recentre_rating_scale(items: &mut [ItemModel], groups: &[Vec<usize>]) {
    for group in groups {
        let shift = match &items[group[0]] {
            ItemModel::RatingScale { thresholds, .. } => {
                thresholds.iter().sum::<f64>() / thresholds.len() as f64
            }
            _ => continue,
        };
        for &i in group {
            if let ItemModel::RatingScale {
                intercept,
                thresholds,
            } = &mut items[i]
            {
                *intercept -= shift;
                for t in thresholds.iter_mut() {
                    *t -= shift;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
