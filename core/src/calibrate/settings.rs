//! Calibration settings, validated once into [`CheckedSettings`] before fitting.

use crate::error::{Error, Result};
use crate::model::{ItemModel, ModelKind};
use crate::quadrature::{Grid, Prior, Quadrature};
use serde::{Deserialize, Serialize};

/// What to do with one item in a calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemSpec {
    /// Estimate this model; starting values are computed from the data.
    Estimate(ModelKind),
    /// Estimate the model of the given parameters, starting from them. Asymptotes are
    /// estimated on the logit scale, so a starting g = 0 becomes 0.1 and u = 1 becomes
    /// 0.95 for the parameters that are estimated.
    Start(ItemModel),
    /// Anchored item: the parameters are fixed at the given values.
    Fixed(ItemModel),
}

impl ItemSpec {
    /// The model family of the item.
    pub fn kind(&self) -> ModelKind {
        match self {
            ItemSpec::Estimate(kind) => *kind,
            ItemSpec::Start(m) | ItemSpec::Fixed(m) => m.kind(),
        }
    }

    /// True for an anchored item.
    pub fn is_fixed(&self) -> bool {
        matches!(self, ItemSpec::Fixed(_))
    }
}

/// Lognormal prior on a slope: ln a ~ N(meanlog, sdlog²) (R `mirt`'s `lnorm`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogNormal {
    /// Mean of ln a.
    pub meanlog: f64,
    /// SD of ln a (> 0).
    pub sdlog: f64,
}

/// Normal prior on an intercept (R `mirt`'s `norm`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalPrior {
    /// Mean.
    pub mean: f64,
    /// SD (> 0).
    pub sd: f64,
}

/// Beta(α, β) prior on an asymptote (R `mirt`'s `beta`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BetaPrior {
    /// α (> 0).
    pub alpha: f64,
    /// β (> 0).
    pub beta: f64,
}

/// Priors on item parameters, applied to every estimated item that has the parameter
/// (as R `mirt`'s `parprior`). The objective becomes the log-likelihood plus the sum of
/// the log prior densities (a posterior mode, "MAP" item estimates).
///
/// # Formula
///
/// ```text
/// slope     a ~ lognormal:   ln f(a) = −ln a − (ln a − meanlog)² / (2·sdlog²)
/// intercept d ~ N(mean, sd²): ln f(d) = −(d − mean)² / (2·sd²)
/// guessing  g ~ Beta(α, β):  ln f(g) = (α − 1)·ln g + (β − 1)·ln(1 − g)
/// upper     u ~ Beta(α, β):  ln f(u) = (α − 1)·ln u + (β − 1)·ln(1 − u)
/// ```
///
/// (constants dropped). By default there are no priors: plain maximum likelihood. A 3PL
/// usually needs a prior on guessing, e.g. `Beta(5, 17)` (mode 0.2) for five options;
/// the caller chooses it, Bagdar never adds one silently. Intercept priors apply to
/// every intercept (GRM/GPCM/PCM intercepts too); RSM thresholds get none.
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::{BetaPrior, ParameterPriors};
/// let priors = ParameterPriors { guessing: Some(BetaPrior { alpha: 5.0, beta: 17.0 }), ..Default::default() };
/// assert!(priors.slope.is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ParameterPriors {
    /// Prior on slopes a (2PL, 3PL, 4PL, the common 1PL slope, GRM, GPCM).
    pub slope: Option<LogNormal>,
    /// Prior on intercepts d.
    pub intercept: Option<NormalPrior>,
    /// Prior on lower asymptotes g (3PL, 4PL).
    pub guessing: Option<BetaPrior>,
    /// Prior on upper asymptotes u (4PL).
    pub upper: Option<BetaPrior>,
}

/// The population distribution N(mean, sd²) of θ on the quadrature grid.
///
/// By default the mean is fixed at 0 and the SD at 1, except that the SD is estimated
/// when every estimated item has its slope fixed at 1 (Rasch, PCM, RSM): then the scale
/// is set by the slopes, and R `mirt` estimates the latent variance in the same case.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Population {
    /// Mean, or starting value when estimated.
    pub mean: f64,
    /// SD (> 0), or starting value when estimated.
    pub sd: f64,
    /// Estimate the mean (needs at least one anchored item).
    pub estimate_mean: bool,
    /// Estimate the SD: `None` = automatic (see above); `Some(true)` needs every
    /// estimated item's slope fixed, or an anchored item.
    pub estimate_sd: Option<bool>,
}

impl Default for Population {
    fn default() -> Self {
        Population {
            mean: 0.0,
            sd: 1.0,
            estimate_mean: false,
            estimate_sd: None,
        }
    }
}

/// Convergence tolerances. Both must hold between two successive accepted iterates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tolerance {
    /// Relative change of the objective (log-likelihood + log prior),
    /// |Δℓ| / (1 + |ℓ|). Default 1e-9.
    pub log_likelihood: f64,
    /// Largest absolute change of a parameter on its natural scale (a, d, g, u, τ, μ,
    /// σ). Default 1e-5.
    pub parameters: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            log_likelihood: 1e-9,
            parameters: 1e-5,
        }
    }
}

/// How EM is accelerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Acceleration {
    /// SQUAREM (Varadhan & Roland 2008, scheme S3) with a monotonicity safeguard.
    Squarem,
    /// Plain Bock–Aitkin EM.
    None,
    /// Anderson acceleration of the EM map (type II, memory 5; Walker & Ni 2011) with a
    /// monotonicity safeguard: a proposal that lowers the objective is replaced by the
    /// plain EM step and the memory restarts. One E-step per iteration otherwise. The
    /// default.
    #[default]
    Anderson,
}

/// Calibration settings. The defaults are those of R `mirt` where it has one
/// (61 quadrature points on [−6, 6], N(0, 1) population, 2PL), with a tighter
/// tolerance and Anderson acceleration so the fit lands at the optimum.
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::CalibrationSettings;
/// use bagdar::model::ModelKind;
/// let settings = CalibrationSettings { model: ModelKind::Graded, ..Default::default() };
/// let checked = settings.check(10)?;
/// assert_eq!(checked.items().len(), 10);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalibrationSettings {
    /// The model of every item when `items` is empty.
    pub model: ModelKind,
    /// One entry per item (column); empty = estimate `model` for every item.
    pub items: Vec<ItemSpec>,
    /// Quadrature grid (fixed during estimation).
    pub grid: Grid,
    /// Population distribution of θ.
    pub population: Population,
    /// Priors on item parameters.
    pub priors: ParameterPriors,
    /// Most iterations: Anderson iterations (one E-step each, two when a proposal is
    /// refused), SQUAREM cycles (two or three) or plain EM steps.
    pub max_iterations: usize,
    /// Convergence tolerances.
    pub tolerance: Tolerance,
    /// EM acceleration.
    pub acceleration: Acceleration,
    /// Compute standard errors of the item parameters after the fit
    /// ([`super::StandardErrors`]; 2 E-steps per free parameter). Off by default, as in
    /// R `mirt` (`SE = FALSE`).
    pub standard_errors: bool,
}

impl Default for CalibrationSettings {
    fn default() -> Self {
        CalibrationSettings {
            model: ModelKind::TwoPl,
            items: Vec::new(),
            grid: Grid::default(),
            population: Population::default(),
            priors: ParameterPriors::default(),
            max_iterations: 500,
            tolerance: Tolerance::default(),
            acceleration: Acceleration::Anderson,
            standard_errors: false,
        }
    }
}

/// Settings that passed [`CalibrationSettings::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedSettings {
    pub(crate) items: Vec<ItemSpec>,
    pub(crate) grid: Grid,
    pub(crate) nodes: Vec<f64>,
    pub(crate) population: Population,
    pub(crate) estimate_mean: bool,
    pub(crate) estimate_sd: bool,
    pub(crate) priors: ParameterPriors,
    pub(crate) max_iterations: usize,
    pub(crate) tolerance: Tolerance,
    pub(crate) acceleration: Acceleration,
    pub(crate) standard_errors: bool,
}

impl CheckedSettings {
    /// The quadrature grid (a distributed E-step rebuilds the quadrature from it and
    /// the population of [`crate::quadrature::Quadrature::prior`]).
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// One spec per item.
    pub fn items(&self) -> &[ItemSpec] {
        &self.items
    }

    /// Whether the population mean is estimated.
    pub fn estimates_mean(&self) -> bool {
        self.estimate_mean
    }

    /// Whether the population SD is estimated.
    pub fn estimates_sd(&self) -> bool {
        self.estimate_sd
    }
}

fn has_free_slope(kind: ModelKind) -> bool {
    !matches!(
        kind,
        ModelKind::Rasch | ModelKind::Pcm | ModelKind::RatingScale
    )
}

impl CalibrationSettings {
    /// Validates the settings for a test of `items` items.
    ///
    /// # Errors
    ///
    /// [`Error::WrongItemCount`] when `items` disagrees with the item list;
    /// [`Error::InvalidParameter`] for a bad starting or anchored parameter (items named
    /// `#index`); [`Error::InvalidSetting`] for a bad grid, population, prior, tolerance
    /// or iteration limit, or a population parameter that cannot be identified.
    pub fn check(&self, items: usize) -> Result<CheckedSettings> {
        let specs = if self.items.is_empty() {
            vec![ItemSpec::Estimate(self.model); items]
        } else if self.items.len() != items {
            return Err(Error::WrongItemCount {
                expected: self.items.len(),
                found: items,
            });
        } else {
            self.items.clone()
        };
        for (i, spec) in specs.iter().enumerate() {
            if let ItemSpec::Start(m) | ItemSpec::Fixed(m) = spec {
                m.validate(&format!("#{i}"))?;
            }
        }
        let population = self.population;
        let quadrature = Quadrature::new(
            &self.grid,
            &Prior::Normal {
                mean: population.mean,
                sd: population.sd,
            },
        )?;
        let anchored = specs.iter().any(ItemSpec::is_fixed);
        let estimated: Vec<ModelKind> = specs
            .iter()
            .filter(|s| !s.is_fixed())
            .map(ItemSpec::kind)
            .collect();
        let slopes_fixed = estimated.iter().all(|&k| !has_free_slope(k));
        let estimate_sd = match population.estimate_sd {
            None => slopes_fixed && !estimated.is_empty(),
            Some(true) if !(slopes_fixed || anchored) => {
                return Err(Error::setting(
                    "population.estimate_sd",
                    "the SD is not identified when estimated items have free slopes and no item is anchored",
                ));
            }
            Some(v) => v,
        };
        if population.estimate_mean && !anchored {
            return Err(Error::setting(
                "population.estimate_mean",
                "the mean is not identified without an anchored item",
            ));
        }
        check_priors(&self.priors)?;
        if self.max_iterations == 0 {
            return Err(Error::setting("max_iterations", "must be at least 1"));
        }
        let tol = self.tolerance;
        for (name, v) in [
            ("tolerance.log_likelihood", tol.log_likelihood),
            ("tolerance.parameters", tol.parameters),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::setting(name, format!("{v} must be finite and ≥ 0")));
            }
        }
        Ok(CheckedSettings {
            items: specs,
            grid: self.grid,
            nodes: quadrature.nodes().to_vec(),
            population,
            estimate_mean: population.estimate_mean,
            estimate_sd,
            priors: self.priors,
            max_iterations: self.max_iterations,
            tolerance: tol,
            acceleration: self.acceleration,
            standard_errors: self.standard_errors,
        })
    }
}

fn check_priors(p: &ParameterPriors) -> Result<()> {
    let positive = |name: &str, v: f64| {
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(Error::setting(name, format!("{v} must be finite and > 0")))
        }
    };
    let finite = |name: &str, v: f64| {
        if v.is_finite() {
            Ok(())
        } else {
            Err(Error::setting(name, format!("{v} is not finite")))
        }
    };
    if let Some(s) = p.slope {
        finite("priors.slope.meanlog", s.meanlog)?;
        positive("priors.slope.sdlog", s.sdlog)?;
    }
    if let Some(s) = p.intercept {
        finite("priors.intercept.mean", s.mean)?;
        positive("priors.intercept.sd", s.sd)?;
    }
    if let Some(b) = p.guessing {
        positive("priors.guessing.alpha", b.alpha)?;
        positive("priors.guessing.beta", b.beta)?;
    }
    if let Some(b) = p.upper {
        positive("priors.upper.alpha", b.alpha)?;
        positive("priors.upper.beta", b.beta)?;
    }
    Ok(())
}
