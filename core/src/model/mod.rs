//! Item response models: one response function per file, each with category
//! probabilities, stable log-probabilities, first and second derivatives in θ,
//! information and expected score.
//!
//! [`ItemModel`] is the parameter record as it is written in an instrument file;
//! [`ItemModel::response_function`] validates it and gives a [`ResponseFunction`]
//! that the scoring code evaluates.

mod curves;
mod graded;
mod logistic;
mod partial_credit;

pub use curves::{ItemCurves, item_curves};

pub use graded::Graded;
pub use logistic::Logistic;
pub use partial_credit::PartialCredit;

use crate::error::{Error, Result};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The largest number of response categories an item may have.
pub const MAX_CATEGORIES: usize = 32;

/// The logistic function σ(z) = 1 / (1 + e^(−z)), computed without overflow.
///
/// # Examples
///
/// ```
/// assert_eq!(bagdar::model::sigmoid(0.0), 0.5);
/// assert!(bagdar::model::sigmoid(-800.0) >= 0.0);
/// ```
#[inline]
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// ln σ(z) = −ln(1 + e^(−z)), finite for every finite z.
///
/// # Examples
///
/// ```
/// let v = bagdar::model::log_sigmoid(-1000.0);
/// assert_eq!(v, -1000.0);
/// ```
#[inline]
pub fn log_sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        -(-z).exp().ln_1p()
    } else {
        z - z.exp().ln_1p()
    }
}

/// What every response function provides. Slices passed in must hold at least
/// [`ResponseCurve::categories`] entries.
pub trait ResponseCurve {
    /// Number of response categories K (categories are 0..K−1).
    fn categories(&self) -> usize;

    /// Category probabilities P_k(θ).
    fn probabilities(&self, theta: f64, out: &mut [f64]);

    /// ln P_k(θ), computed without forming P_k where that would underflow.
    fn log_probabilities(&self, theta: f64, out: &mut [f64]);

    /// P_k(θ), dP_k/dθ and d²P_k/dθ².
    fn derivatives(&self, theta: f64, p: &mut [f64], d1: &mut [f64], d2: &mut [f64]);

    /// Item (Fisher) information I(θ) = Σ_k P'_k(θ)² / P_k(θ).
    fn information(&self, theta: f64) -> f64 {
        let k = self.categories();
        let (mut p, mut d1, mut d2) = scratch();
        self.derivatives(theta, &mut p, &mut d1, &mut d2);
        (0..k)
            .filter(|&c| p[c] > 0.0)
            .map(|c| d1[c] * d1[c] / p[c])
            .sum()
    }

    /// Expected score E[X | θ] = Σ_k k·P_k(θ).
    fn expected_score(&self, theta: f64) -> f64 {
        let k = self.categories();
        let mut p = [0.0; MAX_CATEGORIES];
        self.probabilities(theta, &mut p);
        (0..k).map(|c| c as f64 * p[c]).sum()
    }

    /// P_k(θ), dP_k/dθ and d²P_k/dθ² of one category k: the k-th entries of
    /// [`ResponseCurve::derivatives`], bit for bit. Models override it to skip the
    /// other categories (the ML and MAP equations need only the observed one).
    fn category_derivatives(&self, theta: f64, category: usize) -> (f64, f64, f64) {
        let (mut p, mut d1, mut d2) = scratch();
        self.derivatives(theta, &mut p, &mut d1, &mut d2);
        (p[category], d1[category], d2[category])
    }

    /// [`ResponseCurve::terms`] without ln P_k (`log_probability` is NaN): what the
    /// estimating equations and standard errors need, without the logarithms.
    fn derivative_terms(&self, theta: f64, category: usize) -> ItemTerms {
        let k = self.categories();
        let (mut p, mut d1, mut d2) = scratch();
        self.derivatives(theta, &mut p, &mut d1, &mut d2);
        let mut information = 0.0;
        let mut warm = 0.0;
        for c in 0..k {
            if p[c] > 0.0 {
                information += d1[c] * d1[c] / p[c];
                warm += d1[c] * d2[c] / p[c];
            }
        }
        let (score, observed_information) = observed_terms(p[category], d1[category], d2[category]);
        ItemTerms {
            log_probability: f64::NAN,
            score,
            observed_information,
            information,
            warm,
        }
    }

    /// The terms the point estimators need for one observed category.
    fn terms(&self, theta: f64, category: usize) -> ItemTerms {
        let mut terms = self.derivative_terms(theta, category);
        let mut log_p = [0.0; MAX_CATEGORIES];
        self.log_probabilities(theta, &mut log_p);
        terms.log_probability = log_p[category];
        terms
    }
}

/// The score d ln P_k/dθ = P'_k/P_k and the observed information
/// −d² ln P_k/dθ² = (P'_k/P_k)² − P''_k/P_k of an observed category from P_k, P'_k and
/// P''_k (both 0 where P_k = 0).
#[inline]
pub(crate) fn observed_terms(p: f64, d1: f64, d2: f64) -> (f64, f64) {
    let score = if p > 0.0 { d1 / p } else { 0.0 };
    let curvature = if p > 0.0 { d2 / p } else { 0.0 };
    (score, score * score - curvature)
}

fn scratch() -> (
    [f64; MAX_CATEGORIES],
    [f64; MAX_CATEGORIES],
    [f64; MAX_CATEGORIES],
) {
    (
        [0.0; MAX_CATEGORIES],
        [0.0; MAX_CATEGORIES],
        [0.0; MAX_CATEGORIES],
    )
}

/// Per-item quantities at θ for an observed category k.
///
/// ```text
/// log_probability      = ln P_k(θ)
/// score                = d ln P_k / dθ = P'_k / P_k
/// observed_information = −d² ln P_k / dθ² = (P'_k/P_k)² − P''_k/P_k
/// information          = Σ_c P'_c² / P_c          (expected, Fisher)
/// warm                 = Σ_c P'_c P''_c / P_c     (Warm's J term)
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemTerms {
    /// ln P_k(θ).
    pub log_probability: f64,
    /// d ln P_k / dθ.
    pub score: f64,
    /// −d² ln P_k / dθ².
    pub observed_information: f64,
    /// Item Fisher information.
    pub information: f64,
    /// Warm's J term Σ P' P'' / P.
    pub warm: f64,
}

/// The metric item parameters were published in.
///
/// Bagdar stores everything with D = 1 (logistic metric). Sources that report
/// parameters for `σ(1.702·a·(θ − b))` (the normal-ogive metric) are converted with
/// [`Scaling::Normal`]; this is never done implicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// D = 1.
    Logistic,
    /// D = 1.702.
    Normal,
}

impl Scaling {
    /// The scaling constant D.
    pub fn factor(self) -> f64 {
        match self {
            Scaling::Logistic => 1.0,
            Scaling::Normal => 1.702,
        }
    }
}

/// An item's model and parameters as stored in an instrument (slope-intercept, D = 1).
///
/// The JSON form is tagged by `type`; see `data/FORMAT.md`.
///
/// # Examples
///
/// ```
/// use bagdar::model::ItemModel;
/// let m: ItemModel = serde_json::from_str(r#"{"type":"2pl","slope":1.5,"intercept":-0.75}"#).unwrap();
/// assert_eq!(m.categories(), 2);
/// assert_eq!(m.difficulty(), Some(0.5));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum ItemModel {
    /// Rasch: P(1) = σ(θ + d).
    #[serde(rename = "rasch")]
    Rasch {
        /// Intercept d (= −b).
        intercept: f64,
    },
    /// One-parameter logistic: slope shared by a scale's 1PL items in calibration.
    #[serde(rename = "1pl")]
    OnePl {
        /// Slope a.
        slope: f64,
        /// Intercept d.
        intercept: f64,
    },
    /// Two-parameter logistic.
    #[serde(rename = "2pl")]
    TwoPl {
        /// Slope a.
        slope: f64,
        /// Intercept d.
        intercept: f64,
    },
    /// Three-parameter logistic with lower asymptote g.
    #[serde(rename = "3pl")]
    ThreePl {
        /// Slope a.
        slope: f64,
        /// Intercept d.
        intercept: f64,
        /// Lower asymptote g.
        guessing: f64,
    },
    /// Four-parameter logistic with lower g and upper u asymptotes.
    #[serde(rename = "4pl")]
    FourPl {
        /// Slope a.
        slope: f64,
        /// Intercept d.
        intercept: f64,
        /// Lower asymptote g.
        guessing: f64,
        /// Upper asymptote u.
        upper: f64,
    },
    /// Graded response model (Samejima 1969).
    #[serde(rename = "grm")]
    Graded {
        /// Slope a.
        slope: f64,
        /// Intercepts d_1 > … > d_{K−1}.
        intercepts: Vec<f64>,
    },
    /// Generalized partial credit model (Muraki 1992).
    #[serde(rename = "gpcm")]
    Gpcm {
        /// Slope a.
        slope: f64,
        /// Intercepts d_1 … d_{K−1} (d_0 = 0).
        intercepts: Vec<f64>,
    },
    /// Partial credit model (Masters 1982): GPCM with a = 1.
    #[serde(rename = "pcm")]
    Pcm {
        /// Intercepts d_1 … d_{K−1} (d_0 = 0).
        intercepts: Vec<f64>,
    },
    /// Rating scale model (Andrich 1978): P(k) ∝ exp(Σ_{j≤k}(θ + c − τ_j)).
    #[serde(rename = "rsm")]
    RatingScale {
        /// Item intercept c (location −c).
        intercept: f64,
        /// Thresholds τ_1 … τ_{K−1}, shared by a scale's RSM items in calibration.
        thresholds: Vec<f64>,
    },
}

/// Read as the derive for `#[serde(tag = "type", deny_unknown_fields)]` would, with the
/// same errors (`crate::de`), without its per-variant buffered deserializers.
impl<'de> Deserialize<'de> for ItemModel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        const VARIANTS: &[&str] = &[
            "rasch", "1pl", "2pl", "3pl", "4pl", "grm", "gpcm", "pcm", "rsm",
        ];
        let object = crate::de::tagged(d, "type", VARIANTS, "internally tagged enum ItemModel")?;
        item_model(&object)
    }
}

/// An [`ItemModel`] from its tagged object, with the derive's errors.
fn item_model<E: serde::de::Error>(
    object: &crate::de::Tagged,
) -> std::result::Result<ItemModel, E> {
    use crate::de::required;
    const FIELDS: [&[&str]; 9] = [
        &["intercept"],
        &["slope", "intercept"],
        &["slope", "intercept"],
        &["slope", "intercept", "guessing"],
        &["slope", "intercept", "guessing", "upper"],
        &["slope", "intercepts"],
        &["slope", "intercepts"],
        &["intercepts"],
        &["intercept", "thresholds"],
    ];
    let names = FIELDS[object.variant];
    // slope, intercept, guessing, upper; intercepts or thresholds.
    let mut number = [None; 4];
    let mut list = None;
    object.visit_fields(names, &mut |i, value| {
        match names[i] {
            "intercepts" | "thresholds" => list = Some(value.f64s()?),
            name => {
                let slot = ["slope", "intercept", "guessing", "upper"]
                    .iter()
                    .position(|n| *n == name)
                    .unwrap_or(0);
                number[slot] = Some(value.f64()?);
            }
        }
        Ok(())
    })?;
    let [slope, intercept, guessing, upper] = number;
    // Missing fields in declaration order, as the derive reports them.
    Ok(match object.variant {
        0 => ItemModel::Rasch {
            intercept: required(intercept, "intercept")?,
        },
        1 | 2 => {
            let slope = required(slope, "slope")?;
            let intercept = required(intercept, "intercept")?;
            if object.variant == 1 {
                ItemModel::OnePl { slope, intercept }
            } else {
                ItemModel::TwoPl { slope, intercept }
            }
        }
        3 => ItemModel::ThreePl {
            slope: required(slope, "slope")?,
            intercept: required(intercept, "intercept")?,
            guessing: required(guessing, "guessing")?,
        },
        4 => ItemModel::FourPl {
            slope: required(slope, "slope")?,
            intercept: required(intercept, "intercept")?,
            guessing: required(guessing, "guessing")?,
            upper: required(upper, "upper")?,
        },
        5 => ItemModel::Graded {
            slope: required(slope, "slope")?,
            intercepts: required(list, "intercepts")?,
        },
        6 => ItemModel::Gpcm {
            slope: required(slope, "slope")?,
            intercepts: required(list, "intercepts")?,
        },
        7 => ItemModel::Pcm {
            intercepts: required(list, "intercepts")?,
        },
        _ => ItemModel::RatingScale {
            intercept: required(intercept, "intercept")?,
            thresholds: required(list, "thresholds")?,
        },
    })
}

/// The model family of an item, without parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ModelKind {
    /// Rasch.
    #[serde(rename = "rasch")]
    Rasch,
    /// 1PL.
    #[serde(rename = "1pl")]
    OnePl,
    /// 2PL.
    #[serde(rename = "2pl")]
    TwoPl,
    /// 3PL.
    #[serde(rename = "3pl")]
    ThreePl,
    /// 4PL.
    #[serde(rename = "4pl")]
    FourPl,
    /// Graded response.
    #[serde(rename = "grm")]
    Graded,
    /// Generalized partial credit.
    #[serde(rename = "gpcm")]
    Gpcm,
    /// Partial credit.
    #[serde(rename = "pcm")]
    Pcm,
    /// Rating scale.
    #[serde(rename = "rsm")]
    RatingScale,
}

impl ModelKind {
    /// The name used in files and on the command line (`"2pl"`, `"grm"`, …).
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Rasch => "rasch",
            ModelKind::OnePl => "1pl",
            ModelKind::TwoPl => "2pl",
            ModelKind::ThreePl => "3pl",
            ModelKind::FourPl => "4pl",
            ModelKind::Graded => "grm",
            ModelKind::Gpcm => "gpcm",
            ModelKind::Pcm => "pcm",
            ModelKind::RatingScale => "rsm",
        }
    }

    /// True for the dichotomous (two-category) families.
    pub fn is_dichotomous(self) -> bool {
        matches!(
            self,
            ModelKind::Rasch
                | ModelKind::OnePl
                | ModelKind::TwoPl
                | ModelKind::ThreePl
                | ModelKind::FourPl
        )
    }
}

impl std::str::FromStr for ModelKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "rasch" => ModelKind::Rasch,
            "1pl" => ModelKind::OnePl,
            "2pl" => ModelKind::TwoPl,
            "3pl" => ModelKind::ThreePl,
            "4pl" => ModelKind::FourPl,
            "grm" | "graded" => ModelKind::Graded,
            "gpcm" => ModelKind::Gpcm,
            "pcm" => ModelKind::Pcm,
            "rsm" => ModelKind::RatingScale,
            _ => {
                return Err(Error::UnknownId {
                    kind: "model",
                    id: s.to_string(),
                    context: " (expected rasch, 1pl, 2pl, 3pl, 4pl, grm, gpcm, pcm or rsm)".into(),
                });
            }
        })
    }
}

impl ItemModel {
    /// The model family.
    pub fn kind(&self) -> ModelKind {
        match self {
            ItemModel::Rasch { .. } => ModelKind::Rasch,
            ItemModel::OnePl { .. } => ModelKind::OnePl,
            ItemModel::TwoPl { .. } => ModelKind::TwoPl,
            ItemModel::ThreePl { .. } => ModelKind::ThreePl,
            ItemModel::FourPl { .. } => ModelKind::FourPl,
            ItemModel::Graded { .. } => ModelKind::Graded,
            ItemModel::Gpcm { .. } => ModelKind::Gpcm,
            ItemModel::Pcm { .. } => ModelKind::Pcm,
            ItemModel::RatingScale { .. } => ModelKind::RatingScale,
        }
    }

    /// Number of response categories.
    pub fn categories(&self) -> usize {
        match self {
            ItemModel::Graded { intercepts, .. }
            | ItemModel::Gpcm { intercepts, .. }
            | ItemModel::Pcm { intercepts } => intercepts.len() + 1,
            ItemModel::RatingScale { thresholds, .. } => thresholds.len() + 1,
            _ => 2,
        }
    }

    /// The slope a (1 for Rasch, PCM and RSM).
    pub fn slope(&self) -> f64 {
        match self {
            ItemModel::Rasch { .. } | ItemModel::Pcm { .. } | ItemModel::RatingScale { .. } => 1.0,
            ItemModel::OnePl { slope, .. }
            | ItemModel::TwoPl { slope, .. }
            | ItemModel::ThreePl { slope, .. }
            | ItemModel::FourPl { slope, .. }
            | ItemModel::Graded { slope, .. }
            | ItemModel::Gpcm { slope, .. } => *slope,
        }
    }

    /// Traditional difficulty b = −d/a of a dichotomous item; `None` for polytomous items.
    pub fn difficulty(&self) -> Option<f64> {
        match self {
            ItemModel::Rasch { intercept } => Some(-intercept),
            ItemModel::OnePl { slope, intercept }
            | ItemModel::TwoPl { slope, intercept }
            | ItemModel::ThreePl {
                slope, intercept, ..
            }
            | ItemModel::FourPl {
                slope, intercept, ..
            } => Some(-intercept / slope),
            _ => None,
        }
    }

    /// Category thresholds on the θ scale: for GRM `b_k = −d_k/a`; for GPCM/PCM/RSM the
    /// step difficulties `b_k = −(d_k − d_{k−1})/a`; for dichotomous items `[b]`.
    pub fn thresholds(&self) -> Vec<f64> {
        match self {
            ItemModel::Graded { slope, intercepts } => {
                intercepts.iter().map(|d| -d / slope).collect()
            }
            _ => match self.response_function_unchecked() {
                ResponseFunction::PartialCredit(pc) => {
                    let mut prev = 0.0;
                    pc.intercepts
                        .iter()
                        .map(|&d| {
                            let b = -(d - prev) / pc.slope;
                            prev = d;
                            b
                        })
                        .collect()
                }
                _ => self.difficulty().into_iter().collect(),
            },
        }
    }

    /// Parameters converted from the metric `scaling` to D = 1: slopes and intercepts
    /// are multiplied by D. Rasch becomes 1PL, PCM and RSM become GPCM (their slope is
    /// no longer 1 on the logistic metric).
    ///
    /// # Examples
    ///
    /// ```
    /// use bagdar::model::{ItemModel, Scaling};
    /// let normal = ItemModel::TwoPl { slope: 1.0, intercept: -0.5 };
    /// let logistic = normal.from_scaling(Scaling::Normal);
    /// assert!((logistic.slope() - 1.702).abs() < 1e-12);
    /// assert!((logistic.difficulty().unwrap() - 0.5).abs() < 1e-12); // b is unchanged
    /// ```
    pub fn from_scaling(&self, scaling: Scaling) -> ItemModel {
        self.rescale(scaling.factor())
    }

    /// The inverse of [`ItemModel::from_scaling`]: parameters for the metric `scaling`.
    pub fn to_scaling(&self, scaling: Scaling) -> ItemModel {
        self.rescale(1.0 / scaling.factor())
    }

    fn rescale(&self, f: f64) -> ItemModel {
        if f == 1.0 {
            return self.clone();
        }
        let scale = |v: &Vec<f64>| v.iter().map(|x| x * f).collect::<Vec<_>>();
        match self {
            ItemModel::Rasch { intercept } => ItemModel::OnePl {
                slope: f,
                intercept: intercept * f,
            },
            ItemModel::OnePl { slope, intercept } => ItemModel::OnePl {
                slope: slope * f,
                intercept: intercept * f,
            },
            ItemModel::TwoPl { slope, intercept } => ItemModel::TwoPl {
                slope: slope * f,
                intercept: intercept * f,
            },
            ItemModel::ThreePl {
                slope,
                intercept,
                guessing,
            } => ItemModel::ThreePl {
                slope: slope * f,
                intercept: intercept * f,
                guessing: *guessing,
            },
            ItemModel::FourPl {
                slope,
                intercept,
                guessing,
                upper,
            } => ItemModel::FourPl {
                slope: slope * f,
                intercept: intercept * f,
                guessing: *guessing,
                upper: *upper,
            },
            ItemModel::Graded { slope, intercepts } => ItemModel::Graded {
                slope: slope * f,
                intercepts: scale(intercepts),
            },
            ItemModel::Gpcm { slope, intercepts } => ItemModel::Gpcm {
                slope: slope * f,
                intercepts: scale(intercepts),
            },
            ItemModel::Pcm { .. } | ItemModel::RatingScale { .. } => {
                match self.response_function_unchecked() {
                    ResponseFunction::PartialCredit(pc) => ItemModel::Gpcm {
                        slope: pc.slope * f,
                        intercepts: scale(&pc.intercepts),
                    },
                    _ => unreachable!("PCM and RSM compile to partial credit"),
                }
            }
        }
    }

    /// Checks every parameter; `item` names the item in the error.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for a non-finite value, a slope ≤ 0, asymptotes outside
    /// 0 ≤ g < u ≤ 1, or GRM intercepts that are not strictly decreasing;
    /// [`Error::WrongCount`] for fewer than 1 or more than 31 intercepts/thresholds.
    pub fn validate(&self, item: &str) -> Result<()> {
        let bad = |field: String, value: f64, reason: &'static str| Error::InvalidParameter {
            item: item.to_string(),
            field,
            value,
            reason,
        };
        let finite = |field: &str, value: f64| {
            if value.is_finite() {
                Ok(())
            } else {
                Err(bad(field.to_string(), value, "must be a finite number"))
            }
        };
        let positive_slope = |value: f64| {
            finite("slope", value)?;
            if value > 0.0 {
                Ok(())
            } else {
                Err(bad(
                    "slope".into(),
                    value,
                    "must be > 0 (use reverse_keyed for negatively worded items)",
                ))
            }
        };
        let list = |field: &str, values: &[f64]| {
            if values.is_empty() || values.len() >= MAX_CATEGORIES {
                return Err(Error::WrongCount {
                    item: item.to_string(),
                    field: field.to_string(),
                    expected: 1,
                    found: values.len(),
                });
            }
            for (i, v) in values.iter().enumerate() {
                finite(&format!("{field}[{i}]"), *v)?;
            }
            Ok(())
        };
        match self {
            ItemModel::Rasch { intercept } => finite("intercept", *intercept),
            ItemModel::OnePl { slope, intercept } | ItemModel::TwoPl { slope, intercept } => {
                positive_slope(*slope)?;
                finite("intercept", *intercept)
            }
            ItemModel::ThreePl {
                slope,
                intercept,
                guessing,
            } => {
                positive_slope(*slope)?;
                finite("intercept", *intercept)?;
                finite("guessing", *guessing)?;
                if !(0.0..1.0).contains(guessing) {
                    return Err(bad("guessing".into(), *guessing, "must satisfy 0 ≤ g < 1"));
                }
                Ok(())
            }
            ItemModel::FourPl {
                slope,
                intercept,
                guessing,
                upper,
            } => {
                positive_slope(*slope)?;
                finite("intercept", *intercept)?;
                finite("guessing", *guessing)?;
                finite("upper", *upper)?;
                if !(0.0..1.0).contains(guessing) {
                    return Err(bad("guessing".into(), *guessing, "must satisfy 0 ≤ g < u"));
                }
                if !(*upper > *guessing && *upper <= 1.0) {
                    return Err(bad("upper".into(), *upper, "must satisfy g < u ≤ 1"));
                }
                Ok(())
            }
            ItemModel::Graded { slope, intercepts } => {
                positive_slope(*slope)?;
                list("intercepts", intercepts)?;
                for k in 1..intercepts.len() {
                    if intercepts[k] >= intercepts[k - 1] {
                        return Err(bad(
                            format!("intercepts[{k}]"),
                            intercepts[k],
                            "GRM intercepts must be strictly decreasing",
                        ));
                    }
                }
                Ok(())
            }
            ItemModel::Gpcm { slope, intercepts } => {
                positive_slope(*slope)?;
                list("intercepts", intercepts)
            }
            ItemModel::Pcm { intercepts } => list("intercepts", intercepts),
            ItemModel::RatingScale {
                intercept,
                thresholds,
            } => {
                finite("intercept", *intercept)?;
                list("thresholds", thresholds)
            }
        }
    }

    /// Validates the parameters and returns the response function to evaluate.
    ///
    /// # Errors
    ///
    /// As [`ItemModel::validate`].
    pub fn response_function(&self, item: &str) -> Result<ResponseFunction> {
        self.validate(item)?;
        Ok(self.response_function_unchecked())
    }

    fn response_function_unchecked(&self) -> ResponseFunction {
        match self {
            ItemModel::Rasch { intercept } => {
                ResponseFunction::Logistic(Logistic::two_pl(1.0, *intercept))
            }
            ItemModel::OnePl { slope, intercept } | ItemModel::TwoPl { slope, intercept } => {
                ResponseFunction::Logistic(Logistic::two_pl(*slope, *intercept))
            }
            ItemModel::ThreePl {
                slope,
                intercept,
                guessing,
            } => ResponseFunction::Logistic(Logistic {
                slope: *slope,
                intercept: *intercept,
                guessing: *guessing,
                upper: 1.0,
            }),
            ItemModel::FourPl {
                slope,
                intercept,
                guessing,
                upper,
            } => ResponseFunction::Logistic(Logistic {
                slope: *slope,
                intercept: *intercept,
                guessing: *guessing,
                upper: *upper,
            }),
            ItemModel::Graded { slope, intercepts } => ResponseFunction::Graded(Graded {
                slope: *slope,
                intercepts: intercepts.clone(),
            }),
            ItemModel::Gpcm { slope, intercepts } => {
                ResponseFunction::PartialCredit(PartialCredit {
                    slope: *slope,
                    intercepts: intercepts.clone(),
                })
            }
            ItemModel::Pcm { intercepts } => ResponseFunction::PartialCredit(PartialCredit {
                slope: 1.0,
                intercepts: intercepts.clone(),
            }),
            ItemModel::RatingScale {
                intercept,
                thresholds,
            } => {
                let mut cumulative = 0.0;
                let intercepts = thresholds
                    .iter()
                    .enumerate()
                    .map(|(j, tau)| {
                        cumulative += tau;
                        (j + 1) as f64 * intercept - cumulative
                    })
                    .collect();
                ResponseFunction::PartialCredit(PartialCredit {
                    slope: 1.0,
                    intercepts,
                })
            }
        }
    }
}

/// A validated response function, ready to evaluate. Dispatches to the model files.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseFunction {
    /// Rasch, 1PL, 2PL, 3PL, 4PL.
    Logistic(Logistic),
    /// Graded response.
    Graded(Graded),
    /// GPCM, PCM, RSM.
    PartialCredit(PartialCredit),
}

impl ResponseFunction {
    /// The item model this function evaluates, in the most general family that has it:
    /// a logistic function becomes 2PL (guessing 0 and upper 1), 3PL (upper 1) or 4PL,
    /// a Rasch item a 2PL with slope 1; graded stays graded; partial credit (GPCM, PCM,
    /// RSM) becomes GPCM with the same slope and cumulative intercepts. Its
    /// [`ItemModel::response_function`] is equal to `self`, so items can travel as JSON
    /// (a distributed E-step) and be evaluated identically.
    ///
    /// # Examples
    ///
    /// ```
    /// use bagdar::model::ItemModel;
    /// let rsm = ItemModel::RatingScale { intercept: 0.5, thresholds: vec![-1.0, 1.0] };
    /// let f = rsm.response_function("i1")?;
    /// assert!(matches!(f.model(), ItemModel::Gpcm { .. }));
    /// assert_eq!(f.model().response_function("i1")?, f);
    /// # Ok::<(), bagdar::Error>(())
    /// ```
    pub fn model(&self) -> ItemModel {
        match self {
            ResponseFunction::Logistic(l) if l.guessing == 0.0 && l.upper == 1.0 => {
                ItemModel::TwoPl {
                    slope: l.slope,
                    intercept: l.intercept,
                }
            }
            ResponseFunction::Logistic(l) if l.upper == 1.0 => ItemModel::ThreePl {
                slope: l.slope,
                intercept: l.intercept,
                guessing: l.guessing,
            },
            ResponseFunction::Logistic(l) => ItemModel::FourPl {
                slope: l.slope,
                intercept: l.intercept,
                guessing: l.guessing,
                upper: l.upper,
            },
            ResponseFunction::Graded(g) => ItemModel::Graded {
                slope: g.slope,
                intercepts: g.intercepts.clone(),
            },
            ResponseFunction::PartialCredit(pc) => ItemModel::Gpcm {
                slope: pc.slope,
                intercepts: pc.intercepts.clone(),
            },
        }
    }

    /// True when ln P_k(θ) is concave in θ for every k (no asymptotes), so the
    /// likelihood has at most one maximum.
    pub fn is_log_concave(&self) -> bool {
        match self {
            ResponseFunction::Logistic(l) => l.is_two_parameter(),
            _ => true,
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $inner:ident => $body:expr) => {
        match $self {
            ResponseFunction::Logistic($inner) => $body,
            ResponseFunction::Graded($inner) => $body,
            ResponseFunction::PartialCredit($inner) => $body,
        }
    };
}

impl ResponseCurve for ResponseFunction {
    fn categories(&self) -> usize {
        dispatch!(self, f => f.categories())
    }
    fn probabilities(&self, theta: f64, out: &mut [f64]) {
        dispatch!(self, f => f.probabilities(theta, out))
    }
    fn log_probabilities(&self, theta: f64, out: &mut [f64]) {
        dispatch!(self, f => f.log_probabilities(theta, out))
    }
    fn derivatives(&self, theta: f64, p: &mut [f64], d1: &mut [f64], d2: &mut [f64]) {
        dispatch!(self, f => f.derivatives(theta, p, d1, d2))
    }
    fn information(&self, theta: f64) -> f64 {
        dispatch!(self, f => f.information(theta))
    }
    fn expected_score(&self, theta: f64) -> f64 {
        dispatch!(self, f => f.expected_score(theta))
    }
    fn category_derivatives(&self, theta: f64, category: usize) -> (f64, f64, f64) {
        dispatch!(self, f => f.category_derivatives(theta, category))
    }
    fn derivative_terms(&self, theta: f64, category: usize) -> ItemTerms {
        dispatch!(self, f => f.derivative_terms(theta, category))
    }
    fn terms(&self, theta: f64, category: usize) -> ItemTerms {
        dispatch!(self, f => f.terms(theta, category))
    }
}

/// Test information: the sum of the item informations at θ.
///
/// # Examples
///
/// ```
/// use bagdar::model::{ItemModel, test_information};
/// let items = vec![ItemModel::Rasch { intercept: 0.0 }.response_function("i1").unwrap(); 4];
/// assert!((test_information(&items, 0.0) - 1.0).abs() < 1e-15); // 4 · 0.25
/// ```
pub fn test_information(items: &[ResponseFunction], theta: f64) -> f64 {
    items.iter().map(|f| f.information(theta)).sum()
}

/// Validates item models and returns their response functions, in order; an item is
/// named by its position (`#0`, `#1`, …) in errors.
///
/// # Errors
///
/// As [`ItemModel::validate`], for the first invalid item.
///
/// # Examples
///
/// ```
/// use bagdar::model::{ItemModel, response_functions};
/// let items = response_functions(&[ItemModel::Rasch { intercept: 0.0 }])?;
/// assert_eq!(items.len(), 1);
/// assert!(response_functions(&[ItemModel::TwoPl { slope: f64::NAN, intercept: 0.0 }]).is_err());
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn response_functions(models: &[ItemModel]) -> Result<Vec<ResponseFunction>> {
    models
        .iter()
        .enumerate()
        .map(|(i, m)| m.response_function(&format!("#{i}")))
        .collect()
}

#[cfg(test)]
mod tests;
