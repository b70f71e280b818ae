//! Linking: two separately calibrated forms put on one θ scale through their common
//! items (Kolen & Brennan 2014, ch. 6).
//!
//! Each form's calibration fixes its own scale (usually by a N(0, 1) population), so
//! the same item gets different parameters on the two forms. With the common items'
//! parameters from both calibrations, [`link`] finds the linear transformation
//!
//! ```text
//! θ_base = A·θ_new + B
//! ```
//!
//! by one of four [`LinkMethod`]s, and [`Linking::transform`] re-expresses any item of
//! the new form on the base scale. [`link_forms`] does this for whole instruments (common
//! items matched by id, one linking per scale) and [`transform_form`] writes the new
//! instrument on the base scales.
//!
//! ```
//! use bagdar::link::{LinkMethod, LinkSettings, link};
//! use bagdar::model::ItemModel;
//! let base = vec![
//!     ItemModel::TwoPl { slope: 1.0, intercept: 0.5 },
//!     ItemModel::TwoPl { slope: 1.5, intercept: -0.3 },
//!     ItemModel::TwoPl { slope: 0.8, intercept: -1.0 },
//! ];
//! // The same items on a scale where θ_new = (θ_base − 0.5) / 2: A = 2, B = 0.5.
//! let new: Vec<ItemModel> = base.iter().map(|m| match m {
//!     ItemModel::TwoPl { slope, intercept } => ItemModel::TwoPl {
//!         slope: slope * 2.0,
//!         intercept: intercept + slope * 0.5,
//!     },
//!     _ => unreachable!(),
//! }).collect();
//! let linking = link(&base, &new, LinkMethod::Haebara, &LinkSettings::default())?;
//! assert!((linking.slope - 2.0).abs() < 1e-9 && (linking.intercept - 0.5).abs() < 1e-9);
//! # Ok::<(), bagdar::Error>(())
//! ```

mod forms;

pub use forms::{ScaleLinking, link_forms, transform_form};

use crate::error::{Error, Result};
use crate::model::{ItemModel, MAX_CATEGORIES, ModelKind, ResponseCurve, ResponseFunction};
use crate::quadrature::{Grid, Prior, Quadrature};
use serde::{Deserialize, Serialize};

/// How the linking constants A and B are found.
///
/// # Formula
///
/// ```text
/// θ_base = A·θ_new + B;   an item's  a_base = a_new / A,  b_base = A·b_new + B
///
/// mean/mean    A = mean(a_new) / mean(a_base)
///              B = mean(b_base) − A·mean(b_new)
/// mean/sigma   A = sd(b_base) / sd(b_new)
///              B = mean(b_base) − A·mean(b_new)
/// Stocking–Lord  min over (A, B) of  Σ_q w_q [T_base(θ_q) − T*_new(θ_q)]²
/// Haebara        min over (A, B) of  Σ_q w_q Σ_i Σ_k [P_ik,base(θ_q) − P*_ik,new(θ_q)]²
///
/// a      slopes (1 for Rasch, PCM, RSM), one per common item
/// b      difficulties b = −d/a of dichotomous items and the category thresholds of
///        polytomous ones (GRM b_k = −d_k/a, GPCM/PCM/RSM step difficulties), all
///        paired across the forms; sd divides by the count (population SD)
/// θ_q, w_q   the quadrature nodes and normalized weights of [`LinkSettings`]
///        (default: 61 points on [−6, 6], N(0, 1) weights), on the base scale
/// P*_new(θ) = P_new((θ − B)/A): a new-form item transformed to the base scale
/// T(θ)   = Σ_i Σ_k k·P_ik(θ), the expected score on the common items
/// ```
///
/// The Haebara criterion sums over every category of every item, so a dichotomous
/// item contributes 2·(P₁ − P₁*)² (both categories), a polytomous one its K squared
/// category differences. With [`LinkSettings::symmetric`] the characteristic-curve
/// criteria add the same sum in the other direction (base items transformed to the new
/// scale, evaluated on the same nodes read as new-scale θ). Marco (1977) and Loyd &
/// Hoover (1980) for the moment methods; Haebara (1980); Stocking & Lord (1983).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkMethod {
    /// Mean/mean: slopes' means give A, difficulties' means B.
    MeanMean,
    /// Mean/sigma: difficulties' means and standard deviations.
    MeanSigma,
    /// Stocking–Lord: test characteristic curves.
    StockingLord,
    /// Haebara: item (category) characteristic curves.
    Haebara,
}

impl LinkMethod {
    /// The snake_case name used in files and by the bindings.
    pub fn name(self) -> &'static str {
        match self {
            LinkMethod::MeanMean => "mean_mean",
            LinkMethod::MeanSigma => "mean_sigma",
            LinkMethod::StockingLord => "stocking_lord",
            LinkMethod::Haebara => "haebara",
        }
    }

    /// True for Stocking–Lord and Haebara, which minimize a criterion iteratively.
    pub fn is_characteristic_curve(self) -> bool {
        matches!(self, LinkMethod::StockingLord | LinkMethod::Haebara)
    }

    /// The fewest common items the method works with: 2 for the moment methods (a
    /// mean and a spread), 1 for the characteristic-curve methods.
    pub fn minimum_common_items(self) -> usize {
        if self.is_characteristic_curve() { 1 } else { 2 }
    }
}

impl std::fmt::Display for LinkMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for LinkMethod {
    type Err = Error;

    /// Parses `mean_mean`, `mean_sigma`, `stocking_lord`, `haebara`; case, `-`, `/` and
    /// spaces in place of `_` are accepted (`stocking-lord`, `mean/sigma`).
    fn from_str(s: &str) -> Result<Self> {
        let key: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .map(|c| if matches!(c, '-' | '/' | ' ') { '_' } else { c })
            .collect();
        Ok(match key.as_str() {
            "mean_mean" => LinkMethod::MeanMean,
            "mean_sigma" => LinkMethod::MeanSigma,
            "stocking_lord" => LinkMethod::StockingLord,
            "haebara" => LinkMethod::Haebara,
            _ => {
                return Err(Error::UnknownId {
                    kind: "linking method",
                    id: s.to_string(),
                    context: " (expected mean_mean, mean_sigma, stocking_lord or haebara)".into(),
                });
            }
        })
    }
}

/// Settings of the characteristic-curve methods (the moment methods use none).
///
/// Defaults: the 61-point grid on [−6, 6] with N(0, 1) weights used by calibration
/// (R `mirt`'s grid), the one-directional criterion, at most 100 Newton iterations,
/// converged when a step changes A and B by less than 1e-10.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinkSettings {
    /// θ nodes on which the curves are compared.
    pub grid: Grid,
    /// Weights of the nodes (a distribution on the base scale, normalized on the grid).
    pub prior: Prior,
    /// Add the criterion in the other direction (new scale) to the base-scale one.
    pub symmetric: bool,
    /// Most Newton iterations.
    pub max_iterations: usize,
    /// Converged when max(|ΔA|, |ΔB|) of a Newton step is below this.
    pub tolerance: f64,
}

impl Default for LinkSettings {
    fn default() -> Self {
        LinkSettings {
            grid: Grid::default(),
            prior: Prior::default(),
            symmetric: false,
            max_iterations: 100,
            tolerance: 1e-10,
        }
    }
}

impl LinkSettings {
    /// Checks the settings and builds the quadrature.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] for a bad grid or prior, `max_iterations` = 0, or a
    /// tolerance that is not a finite positive number.
    pub fn quadrature(&self) -> Result<Quadrature> {
        if self.max_iterations == 0 {
            return Err(Error::setting("linking.max_iterations", "must be ≥ 1"));
        }
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err(Error::setting(
                "linking.tolerance",
                format!("{} must be finite and > 0", self.tolerance),
            ));
        }
        Quadrature::new(&self.grid, &self.prior)
    }
}

/// The result of [`link`]: the transformation θ_base = A·θ_new + B.
///
/// # Formula
///
/// ```text
/// θ_base = A·θ_new + B          A = slope (> 0), B = intercept
/// ```
///
/// # Examples
///
/// ```
/// use bagdar::link::{LinkMethod, Linking};
/// use bagdar::model::ItemModel;
/// let linking = Linking {
///     method: LinkMethod::MeanSigma, slope: 2.0, intercept: 0.5, criterion: None,
///     common_items: 10, iterations: 0, converged: true,
/// };
/// assert_eq!(linking.theta(1.0), 2.5);
/// let item = linking.transform(&ItemModel::TwoPl { slope: 1.0, intercept: -1.0 });
/// assert_eq!(item, ItemModel::TwoPl { slope: 0.5, intercept: -1.25 });
/// assert_eq!(item.difficulty(), Some(2.5)); // b_base = A·b_new + B = 2·1 + 0.5
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linking {
    /// The method used.
    pub method: LinkMethod,
    /// A, the slope of the transformation.
    pub slope: f64,
    /// B, the intercept of the transformation.
    pub intercept: f64,
    /// The minimized criterion at (A, B) for Stocking–Lord and Haebara (the
    /// symmetric sum when asked for); `None` for the moment methods.
    pub criterion: Option<f64>,
    /// Number of common items used.
    pub common_items: usize,
    /// Newton iterations run (0 for the moment methods).
    pub iterations: usize,
    /// True when the minimization met its tolerance (always true for the moment methods).
    pub converged: bool,
}

impl Linking {
    /// A new-form θ on the base scale: A·θ + B.
    pub fn theta(&self, theta: f64) -> f64 {
        self.slope * theta + self.intercept
    }

    /// The transformation the other way (base scale to new scale): A' = 1/A, B' = −B/A.
    pub fn inverse(&self) -> Linking {
        Linking {
            slope: 1.0 / self.slope,
            intercept: -self.intercept / self.slope,
            ..self.clone()
        }
    }

    /// A new-form item re-expressed on the base scale: its response function at a
    /// base-scale θ equals the original one at θ_new = (θ − B)/A.
    ///
    /// # Formula
    ///
    /// ```text
    /// dichotomous, GRM:  a* = a/A,  d* = d − a·B/A     (every GRM intercept d_k alike)
    /// GPCM:              a* = a/A,  d*_k = d_k − k·a·B/A,  k = 1..K−1
    /// so that            b* = A·b + B for every difficulty and threshold;
    /// guessing g and upper asymptote u are unchanged
    /// ```
    ///
    /// Model families are kept, except that a slope of 1/A ≠ 1 cannot be written in
    /// the fixed-slope families: when A ≠ 1, a Rasch item becomes 1PL with slope 1/A
    /// and a PCM or RSM item becomes GPCM with slope 1/A (RSM through its partial
    /// credit intercepts d_k = k·c − Σ_{j≤k} τ_j). When A = 1 exactly (as mean/mean
    /// gives for items that all have slope 1) they keep their family: Rasch d* = d − B,
    /// PCM d*_k = d_k − k·B, RSM c* = c − B with the thresholds unchanged.
    ///
    /// The parameters are not validated: an invalid item stays invalid.
    pub fn transform(&self, item: &ItemModel) -> ItemModel {
        transform_item(item, self.slope, self.intercept)
    }

    /// [`Linking::transform`] of every item.
    pub fn transform_all(&self, items: &[ItemModel]) -> Vec<ItemModel> {
        items.iter().map(|m| self.transform(m)).collect()
    }
}

fn transform_item(item: &ItemModel, a_link: f64, b_link: f64) -> ItemModel {
    let slope_of = |a: f64| a / a_link;
    let shift = |a: f64| a * b_link / a_link;
    match item {
        ItemModel::Rasch { intercept } => {
            if a_link == 1.0 {
                ItemModel::Rasch {
                    intercept: intercept - b_link,
                }
            } else {
                ItemModel::OnePl {
                    slope: slope_of(1.0),
                    intercept: intercept - shift(1.0),
                }
            }
        }
        ItemModel::OnePl { slope, intercept } => ItemModel::OnePl {
            slope: slope_of(*slope),
            intercept: intercept - shift(*slope),
        },
        ItemModel::TwoPl { slope, intercept } => ItemModel::TwoPl {
            slope: slope_of(*slope),
            intercept: intercept - shift(*slope),
        },
        ItemModel::ThreePl {
            slope,
            intercept,
            guessing,
        } => ItemModel::ThreePl {
            slope: slope_of(*slope),
            intercept: intercept - shift(*slope),
            guessing: *guessing,
        },
        ItemModel::FourPl {
            slope,
            intercept,
            guessing,
            upper,
        } => ItemModel::FourPl {
            slope: slope_of(*slope),
            intercept: intercept - shift(*slope),
            guessing: *guessing,
            upper: *upper,
        },
        ItemModel::Graded { slope, intercepts } => ItemModel::Graded {
            slope: slope_of(*slope),
            intercepts: intercepts.iter().map(|d| d - shift(*slope)).collect(),
        },
        ItemModel::Gpcm { slope, intercepts } => ItemModel::Gpcm {
            slope: slope_of(*slope),
            intercepts: partial_credit_shift(intercepts, shift(*slope)),
        },
        ItemModel::Pcm { intercepts } => {
            if a_link == 1.0 {
                ItemModel::Pcm {
                    intercepts: partial_credit_shift(intercepts, b_link),
                }
            } else {
                ItemModel::Gpcm {
                    slope: slope_of(1.0),
                    intercepts: partial_credit_shift(intercepts, shift(1.0)),
                }
            }
        }
        ItemModel::RatingScale {
            intercept,
            thresholds,
        } => {
            if a_link == 1.0 {
                ItemModel::RatingScale {
                    intercept: intercept - b_link,
                    thresholds: thresholds.clone(),
                }
            } else {
                let mut cumulative = 0.0;
                let intercepts: Vec<f64> = thresholds
                    .iter()
                    .enumerate()
                    .map(|(j, tau)| {
                        cumulative += tau;
                        (j + 1) as f64 * intercept - cumulative
                    })
                    .collect();
                ItemModel::Gpcm {
                    slope: slope_of(1.0),
                    intercepts: partial_credit_shift(&intercepts, shift(1.0)),
                }
            }
        }
    }
}

/// d_k − k·s for k = 1..K−1.
fn partial_credit_shift(intercepts: &[f64], s: f64) -> Vec<f64> {
    intercepts
        .iter()
        .enumerate()
        .map(|(j, d)| d - (j + 1) as f64 * s)
        .collect()
}

/// Which response-function family an item belongs to for pairing across forms: items
/// that [`Linking::transform`] can turn into each other are compatible.
fn family(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Rasch | ModelKind::OnePl | ModelKind::TwoPl => "2pl",
        ModelKind::ThreePl => "3pl",
        ModelKind::FourPl => "4pl",
        ModelKind::Graded => "grm",
        ModelKind::Gpcm | ModelKind::Pcm | ModelKind::RatingScale => "gpcm",
    }
}

/// Puts a new form on the base form's scale through common items: finds A and B of
/// θ_base = A·θ_new + B from the two calibrations of the same items.
///
/// `base[i]` and `new[i]` are the parameters of the same common item from the base
/// and the new calibration. The formulas of each method are in [`LinkMethod`].
/// Stocking–Lord and Haebara start from mean/sigma (mean/mean when the difficulties
/// have no spread, e.g. one common item) and minimize by Newton's method with the
/// analytic gradient and Hessian (from the items' first and second θ-derivatives),
/// halving steps that do not lower the criterion and damping the Hessian where it is
/// not positive definite. A minimization that stops at `max_iterations` (or meets a
/// criterion that is not finite) is returned with `converged = false`; check it.
///
/// # Formula
///
/// ```text
/// θ_base = A·θ_new + B
/// ```
///
/// # Errors
///
/// [`Error::CommonItemCount`] when `base` and `new` differ in length;
/// [`Error::TooFewCommonItems`] for fewer than 2 common items (1 for Stocking–Lord and
/// Haebara); [`Error::InvalidParameter`]/[`Error::WrongCount`] for an invalid item
/// (named `#i (base form)` or `#i (new form)`); [`Error::CommonItemMismatch`] when a
/// common item has different model families or category counts on the two forms
/// (Rasch, 1PL and 2PL pair with each other, as do PCM, RSM and GPCM);
/// [`Error::ZeroDifficultySpread`] for mean/sigma when a form's difficulties are all
/// equal; [`Error::InvalidSetting`] for bad settings (characteristic-curve methods).
///
/// # Examples
///
/// ```
/// use bagdar::link::{LinkMethod, LinkSettings, link};
/// use bagdar::model::ItemModel;
/// let base = vec![
///     ItemModel::TwoPl { slope: 1.0, intercept: 0.0 },  // b = 0
///     ItemModel::TwoPl { slope: 2.0, intercept: -2.0 }, // b = 1
/// ];
/// let new = vec![
///     ItemModel::TwoPl { slope: 2.0, intercept: 1.0 },  // b = −0.5
///     ItemModel::TwoPl { slope: 4.0, intercept: 0.0 },  // b = 0
/// ];
/// let linking = link(&base, &new, LinkMethod::MeanMean, &LinkSettings::default())?;
/// assert_eq!((linking.slope, linking.intercept), (2.0, 1.0));
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn link(
    base: &[ItemModel],
    new: &[ItemModel],
    method: LinkMethod,
    settings: &LinkSettings,
) -> Result<Linking> {
    link_items(base, new, None, "", method, settings)
}

/// [`link`] with the items named by `names` (else `#i`) and `context` (e.g.
/// ` on scale verbal`) added to a too-few-items error.
pub(crate) fn link_items(
    base: &[ItemModel],
    new: &[ItemModel],
    names: Option<&[&str]>,
    context: &str,
    method: LinkMethod,
    settings: &LinkSettings,
) -> Result<Linking> {
    let name = |i: usize| match names {
        Some(names) => names[i].to_string(),
        None => format!("#{i}"),
    };
    if base.len() != new.len() {
        return Err(Error::CommonItemCount {
            base: base.len(),
            new: new.len(),
        });
    }
    if base.len() < method.minimum_common_items() {
        return Err(Error::TooFewCommonItems {
            method: method.name(),
            needed: method.minimum_common_items(),
            found: base.len(),
            context: context.to_string(),
        });
    }
    let base_functions = functions(base, "base", &name)?;
    let new_functions = functions(new, "new", &name)?;
    for (i, (b, n)) in base.iter().zip(new).enumerate() {
        if family(b.kind()) != family(n.kind()) || b.categories() != n.categories() {
            let describe =
                |m: &ItemModel| format!("{} with {} categories", m.kind().name(), m.categories());
            return Err(Error::CommonItemMismatch {
                item: name(i),
                base: describe(b),
                new: describe(n),
            });
        }
    }
    let common_items = base.len();
    let moments = match method {
        LinkMethod::MeanMean => mean_mean(base, new),
        LinkMethod::MeanSigma => mean_sigma(base, new)?,
        // The starting values of the characteristic-curve methods.
        LinkMethod::StockingLord | LinkMethod::Haebara => match mean_sigma(base, new) {
            Err(Error::ZeroDifficultySpread { .. }) => mean_mean(base, new),
            other => other?,
        },
    };
    if !method.is_characteristic_curve() {
        return Ok(Linking {
            method,
            slope: moments.0,
            intercept: moments.1,
            criterion: None,
            common_items,
            iterations: 0,
            converged: true,
        });
    }
    let quadrature = settings.quadrature()?;
    let problem = Criterion::new(
        &base_functions,
        &new_functions,
        &quadrature,
        method == LinkMethod::StockingLord,
        settings.symmetric,
    );
    let minimum = problem.minimize(moments, settings);
    Ok(Linking {
        method,
        slope: minimum.slope,
        intercept: minimum.intercept,
        criterion: Some(minimum.criterion),
        common_items,
        iterations: minimum.iterations,
        converged: minimum.converged,
    })
}

fn functions(
    items: &[ItemModel],
    form: &str,
    name: &dyn Fn(usize) -> String,
) -> Result<Vec<ResponseFunction>> {
    items
        .iter()
        .enumerate()
        .map(|(i, m)| m.response_function(&format!("{} ({form} form)", name(i))))
        .collect()
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn sd(values: &[f64]) -> f64 {
    let m = mean(values);
    (values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / values.len() as f64).sqrt()
}

fn difficulties(items: &[ItemModel]) -> Vec<f64> {
    items.iter().flat_map(|m| m.thresholds()).collect()
}

fn mean_mean(base: &[ItemModel], new: &[ItemModel]) -> (f64, f64) {
    let slopes = |items: &[ItemModel]| items.iter().map(|m| m.slope()).collect::<Vec<_>>();
    let a = mean(&slopes(new)) / mean(&slopes(base));
    let b = mean(&difficulties(base)) - a * mean(&difficulties(new));
    (a, b)
}

fn mean_sigma(base: &[ItemModel], new: &[ItemModel]) -> Result<(f64, f64)> {
    let (db, dn) = (difficulties(base), difficulties(new));
    let (sb, sn) = (sd(&db), sd(&dn));
    for (form, s, d) in [("base", sb, &db), ("new", sn, &dn)] {
        // A spread at rounding level of the mean is no spread (values are finite).
        if s <= 1e-12 * (1.0 + mean(d).abs()) {
            return Err(Error::ZeroDifficultySpread {
                form,
                difficulties: d.len(),
            });
        }
    }
    let a = sb / sn;
    Ok((a, mean(&db) - a * mean(&dn)))
}

/// The Stocking–Lord or Haebara criterion as a function of (A, B), with its gradient
/// and Hessian.
struct Criterion<'a> {
    base: &'a [ResponseFunction],
    new: &'a [ResponseFunction],
    nodes: &'a [f64],
    weights: &'a [f64],
    stocking_lord: bool,
    symmetric: bool,
    /// Category probabilities of the base items at the nodes: [node][item][category].
    base_at_nodes: Vec<Vec<[f64; MAX_CATEGORIES]>>,
    /// The same for the new items (used by the symmetric criterion).
    new_at_nodes: Vec<Vec<[f64; MAX_CATEGORIES]>>,
}

/// Value, gradient and Hessian in (A, B).
#[derive(Debug, Clone, Copy, Default)]
struct Value {
    f: f64,
    g: [f64; 2],
    h: [[f64; 2]; 2],
}

impl Value {
    fn add(&mut self, other: &Value) {
        self.f += other.f;
        for i in 0..2 {
            self.g[i] += other.g[i];
            for j in 0..2 {
                self.h[i][j] += other.h[i][j];
            }
        }
    }
}

impl<'a> Criterion<'a> {
    fn new(
        base: &'a [ResponseFunction],
        new: &'a [ResponseFunction],
        quadrature: &'a Quadrature,
        stocking_lord: bool,
        symmetric: bool,
    ) -> Self {
        let at_nodes = |items: &[ResponseFunction]| {
            quadrature
                .nodes()
                .iter()
                .map(|&t| {
                    items
                        .iter()
                        .map(|f| {
                            let mut p = [0.0; MAX_CATEGORIES];
                            f.probabilities(t, &mut p);
                            p
                        })
                        .collect()
                })
                .collect()
        };
        Criterion {
            base,
            new,
            nodes: quadrature.nodes(),
            weights: quadrature.weights(),
            stocking_lord,
            symmetric,
            base_at_nodes: at_nodes(base),
            new_at_nodes: if symmetric { at_nodes(new) } else { Vec::new() },
        }
    }

    /// The criterion at (A, B).
    fn evaluate(&self, a: f64, b: f64) -> Value {
        let mut total = self.direction(a, b, false);
        if self.symmetric {
            total.add(&self.direction(a, b, true));
        }
        total
    }

    /// One direction of the criterion. Forward: new items moved to the base scale,
    /// evaluated at t = (θ − B)/A; backward: base items moved to the new scale, at
    /// t = A·θ + B. Each moving probability P(t) has
    /// ∂P/∂x = P'(t)·t_x and ∂²P/∂x∂y = P''(t)·t_x·t_y + P'(t)·t_xy.
    fn direction(&self, a: f64, b: f64, backward: bool) -> Value {
        let (moving, fixed) = if backward {
            (self.base, &self.new_at_nodes)
        } else {
            (self.new, &self.base_at_nodes)
        };
        let mut out = Value::default();
        let (mut p, mut d1, mut d2) = (
            [0.0; MAX_CATEGORIES],
            [0.0; MAX_CATEGORIES],
            [0.0; MAX_CATEGORIES],
        );
        for (q, (&theta, &w)) in self.nodes.iter().zip(self.weights).enumerate() {
            // t and its first and second derivatives in (A, B).
            let (t, tx, txx) = if backward {
                (a * theta + b, [theta, 1.0], [[0.0, 0.0], [0.0, 0.0]])
            } else {
                let u = (theta - b) / a;
                let a2 = a * a;
                (
                    u,
                    [-u / a, -1.0 / a],
                    [[2.0 * u / a2, 1.0 / a2], [1.0 / a2, 0.0]],
                )
            };
            // Stocking–Lord: one residual per node (expected scores); Haebara: one per
            // item and category.
            let mut score = (0.0, 0.0, 0.0, 0.0); // (target, f, f', f'')
            for (i, item) in moving.iter().enumerate() {
                item.derivatives(t, &mut p, &mut d1, &mut d2);
                let target = &fixed[q][i];
                for k in 0..item.categories() {
                    if self.stocking_lord {
                        let c = k as f64;
                        score.0 += c * target[k];
                        score.1 += c * p[k];
                        score.2 += c * d1[k];
                        score.3 += c * d2[k];
                    } else {
                        accumulate(&mut out, w, target[k] - p[k], d1[k], d2[k], tx, txx);
                    }
                }
            }
            if self.stocking_lord {
                accumulate(&mut out, w, score.0 - score.1, score.2, score.3, tx, txx);
            }
        }
        out
    }

    /// Newton's method from `start`. Stops (not converged) at the iteration limit, or
    /// where the criterion or the step is not finite.
    fn minimize(&self, start: (f64, f64), settings: &LinkSettings) -> Minimum {
        let (mut a, mut b) = start;
        let mut value = self.evaluate(a, b);
        let stop = |a, b, value: &Value, iterations, converged| Minimum {
            slope: a,
            intercept: b,
            criterion: value.f,
            iterations,
            converged,
        };
        if !value.f.is_finite() {
            return stop(a, b, &value, 0, false);
        }
        for iteration in 1..=settings.max_iterations {
            let step = newton_step(&value);
            let size = step[0].abs().max(step[1].abs());
            if !size.is_finite() {
                return stop(a, b, &value, iteration, false);
            }
            // Halve until the criterion does not rise (beyond its rounding: close to the
            // minimum the decrease of a correct Newton step is below the last bit of the
            // criterion, while the analytic gradient still points the way) and A stays
            // positive.
            let rounding = 64.0 * f64::EPSILON * value.f.abs();
            let mut scale = 1.0;
            let mut accepted = None;
            for _ in 0..60 {
                let (na, nb) = (a + scale * step[0], b + scale * step[1]);
                if na > 0.0 {
                    let trial = self.evaluate(na, nb);
                    if trial.f.is_finite() && trial.f <= value.f + rounding {
                        accepted = Some((na, nb, trial));
                        break;
                    }
                }
                scale *= 0.5;
            }
            match accepted {
                Some((na, nb, trial)) => {
                    a = na;
                    b = nb;
                    value = trial;
                    if size < settings.tolerance {
                        return stop(a, b, &value, iteration, true);
                    }
                }
                // No step lowers the criterion: at the minimum to rounding when the
                // Newton step is already below the tolerance.
                None => return stop(a, b, &value, iteration, size < settings.tolerance),
            }
        }
        stop(a, b, &value, settings.max_iterations, false)
    }
}

/// Where [`Criterion::minimize`] stopped.
struct Minimum {
    slope: f64,
    intercept: f64,
    criterion: f64,
    iterations: usize,
    converged: bool,
}

/// Adds w·r² (r = target − P(t)) with its gradient and Hessian in (A, B), given
/// P'(t), P''(t) and t's derivatives.
#[inline]
fn accumulate(out: &mut Value, w: f64, r: f64, d1: f64, d2: f64, tx: [f64; 2], txx: [[f64; 2]; 2]) {
    out.f += w * r * r;
    let df = [d1 * tx[0], d1 * tx[1]];
    for i in 0..2 {
        out.g[i] -= 2.0 * w * r * df[i];
        for j in 0..2 {
            let d2f = d2 * tx[i] * tx[j] + d1 * txx[i][j];
            out.h[i][j] += 2.0 * w * (df[i] * df[j] - r * d2f);
        }
    }
}

/// −H⁻¹g, with H damped by μ·I (μ raised tenfold) until it is positive definite.
fn newton_step(value: &Value) -> [f64; 2] {
    let [[h11, h12], [_, h22]] = value.h;
    let g = value.g;
    let scale = h11.abs() + h22.abs();
    let mut mu = 0.0;
    for _ in 0..40 {
        let (p, r) = (h11 + mu, h22 + mu);
        let det = p * r - h12 * h12;
        if p > 0.0 && det > 1e-14 * (p * r).max(f64::MIN_POSITIVE) {
            return [
                -(r * g[0] - h12 * g[1]) / det,
                -(p * g[1] - h12 * g[0]) / det,
            ];
        }
        mu = if mu == 0.0 {
            1e-6 * scale.max(1e-12)
        } else {
            mu * 10.0
        };
    }
    // No curvature at all: a plain gradient step.
    [-g[0], -g[1]]
}

#[cfg(test)]
mod tests;
