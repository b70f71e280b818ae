//! Response-quality flags: straight-lining, person misfit (lz*), contradictory answers
//! to opposite-worded item pairs, too many blanks, implausibly fast completion.
//!
//! A flag never stops scoring: the record is scored as usual and carries
//! `caution: true` with the reasons.

use crate::error::{Error, Result};
use crate::instrument::{AnswerScoring, Instrument};
use crate::model::{MAX_CATEGORIES, ResponseCurve, ResponseFunction};
use crate::response::MISSING;
use serde::{Deserialize, Serialize};

/// Thresholds of the quality flags. Defaults are documented on each field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct QualitySettings {
    /// A scale counts as straight-lined when its longest run of identical raw answers
    /// (Likert items of the scale in instrument order, a blank breaks the run) covers
    /// at least this share of its Likert items. Default 0.7.
    pub long_string_fraction: f64,
    /// Only scales with at least this many Likert items are checked. Default 4.
    pub long_string_min_items: usize,
    /// Flag when at least this many scales are straight-lined. Default 3.
    pub long_string_scales: usize,
    /// Flag when the battery lz* is below this. Default −1.96.
    pub person_fit_threshold: f64,
    /// Opposite-worded item pairs (see [`ItemPairs`]).
    pub item_pairs: Vec<ItemPair>,
    /// Flag when at least this many pairs are answered at the same extreme. Default 2.
    pub inconsistent_pairs: usize,
    /// Flag when more than this share of the items is blank. Default 0.2.
    pub max_missing_fraction: f64,
    /// Flag when the seconds per answered item fall below this. Default 2.0.
    pub min_seconds_per_item: f64,
}

crate::de::map_only_serialize!(QualitySettings);
crate::de::object_deserialize!(QualitySettings, deny_unknown_fields = true, {
    long_string_fraction: f64 = container,
    long_string_min_items: usize = container,
    long_string_scales: usize = container,
    person_fit_threshold: f64 = container,
    item_pairs: Vec<ItemPair> = container,
    inconsistent_pairs: usize = container,
    max_missing_fraction: f64 = container,
    min_seconds_per_item: f64 = container,
});

impl Default for QualitySettings {
    fn default() -> Self {
        QualitySettings {
            long_string_fraction: 0.7,
            long_string_min_items: 4,
            long_string_scales: 3,
            person_fit_threshold: -1.96,
            item_pairs: Vec::new(),
            inconsistent_pairs: 2,
            max_missing_fraction: 0.2,
            min_seconds_per_item: 2.0,
        }
    }
}

impl QualitySettings {
    pub(crate) fn check(&self, instrument: &Instrument) -> Result<()> {
        let fraction = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::setting(
                    format!("quality.{name}"),
                    format!("{v} is not in [0, 1]"),
                ))
            }
        };
        fraction("long_string_fraction", self.long_string_fraction)?;
        fraction("max_missing_fraction", self.max_missing_fraction)?;
        if self.person_fit_threshold.is_nan() {
            return Err(Error::setting("quality.person_fit_threshold", "is NaN"));
        }
        if !(self.min_seconds_per_item.is_finite() && self.min_seconds_per_item >= 0.0) {
            return Err(Error::setting(
                "quality.min_seconds_per_item",
                format!("{} must be finite and ≥ 0", self.min_seconds_per_item),
            ));
        }
        for pair in &self.item_pairs {
            for id in [&pair.first, &pair.second] {
                let Some(i) = instrument.item_index(id) else {
                    return Err(Error::UnknownId {
                        kind: "item",
                        id: id.clone(),
                        context: " (quality.item_pairs)".into(),
                    });
                };
                if !is_likert(instrument.answer_scoring(i)) {
                    return Err(Error::setting(
                        "quality.item_pairs",
                        format!("item {id} has no ordered answer options"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Two items worded in opposite directions (an item and its reverse-worded twin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ItemPair {
    /// Item id.
    pub first: String,
    /// Item id of the opposite-worded twin.
    pub second: String,
}

crate::de::map_only_serialize!(ItemPair);
crate::de::object_deserialize!(ItemPair, deny_unknown_fields = true, {
    first: String = required,
    second: String = required,
});

/// A data file of opposite-worded item pairs for one instrument
/// (`data/quality/kasip-demo-pairs.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ItemPairs {
    /// Instrument id the pairs belong to.
    pub instrument: String,
    /// Why these pairs (free text).
    #[serde(default)]
    pub note: String,
    /// The pairs.
    pub pairs: Vec<ItemPair>,
}

crate::de::map_only_serialize!(ItemPairs);
crate::de::object_deserialize!(ItemPairs, deny_unknown_fields = true, {
    instrument: String = required,
    note: String = default,
    pairs: Vec<ItemPair> = required,
});

impl ItemPairs {
    /// Reads the JSON data file.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDecisionData`] for malformed JSON.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::InvalidDecisionData {
            file: "item pairs",
            location: format!("line {}, column {}", e.line(), e.column()),
            message: e.to_string(),
        })
    }
}

/// Response times of one record, when the delivery platform records them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timings {
    /// Time for the whole battery, seconds.
    pub total_seconds: Option<f64>,
    /// Time per item in instrument order (`None` where not recorded).
    pub item_seconds: Option<Vec<Option<f64>>>,
}

/// One reason to interpret a record with caution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum QualityFlag {
    /// Straight-lining: the same answer over most of several scales.
    LongString {
        /// Scales whose longest run of identical answers reached the threshold.
        scales: Vec<String>,
        /// Longest run found (items).
        longest_run: usize,
    },
    /// The answer pattern fits the model poorly (Snijders' lz* over the battery).
    PersonMisfit {
        /// The lz* statistic.
        lz_star: f64,
    },
    /// Opposite-worded items answered at the same extreme.
    InconsistentPairs {
        /// The contradictory pairs (item ids).
        pairs: Vec<ItemPair>,
    },
    /// Too many blanks.
    TooManyMissing {
        /// Blank items.
        missing: usize,
        /// Items in the battery.
        items: usize,
    },
    /// Implausibly fast completion.
    TooFast {
        /// Seconds per answered item.
        seconds_per_item: f64,
        /// The floor it fell below.
        floor: f64,
    },
}

impl QualityFlag {
    /// The explanation key of this flag, e.g. `quality.long_string`.
    pub fn key(&self) -> &'static str {
        match self {
            QualityFlag::LongString { .. } => "quality.long_string",
            QualityFlag::PersonMisfit { .. } => "quality.person_misfit",
            QualityFlag::InconsistentPairs { .. } => "quality.inconsistent_pairs",
            QualityFlag::TooManyMissing { .. } => "quality.too_many_missing",
            QualityFlag::TooFast { .. } => "quality.too_fast",
        }
    }
}

/// The lz* terms of one scale; battery lz* = Σ numerator / √(Σ variance).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PersonFit {
    /// W(θ̂) + c(θ̂)·r₀(θ̂).
    pub numerator: f64,
    /// τ̃²(θ̂), the corrected null variance.
    pub variance: f64,
}

impl PersonFit {
    /// Adds another scale's terms.
    pub fn combine(self, other: PersonFit) -> PersonFit {
        PersonFit {
            numerator: self.numerator + other.numerator,
            variance: self.variance + other.variance,
        }
    }

    /// lz* = numerator / √variance (NaN when the variance is 0).
    pub fn lz_star(&self) -> f64 {
        if self.variance > 0.0 {
            self.numerator / self.variance.sqrt()
        } else {
            f64::NAN
        }
    }
}

/// P_k, P'_k and ln P_k of one item at θ̂, and its number of categories.
type ItemTable = (
    [f64; MAX_CATEGORIES],
    [f64; MAX_CATEGORIES],
    [f64; MAX_CATEGORIES],
    usize,
);

/// Snijders' (2001) lz* person-fit terms at an estimate θ̂, in the polytomous form of
/// Sinharay (2016); for dichotomous items it reduces to Snijders' formula.
///
/// # Formula
///
/// ```text
/// for answered item i with categories k:  P_ik = P_k(θ̂),  P'_ik = dP_k/dθ at θ̂
/// w_ik = ln P_ik,   r_ik = P'_ik / P_ik
/// W    = Σ_i ( w_{i,x_i} − Σ_k P_ik w_ik )                 centred log-likelihood
/// c    = Σ_i Σ_k P'_ik w_ik / Σ_i Σ_k P'_ik r_ik
/// τ̃²   = Σ_i [ Σ_k P_ik w̃_ik² − (Σ_k P_ik w̃_ik)² ],  w̃_ik = w_ik − c·r_ik
/// lz*  = (W + c·r₀(θ̂)) / τ̃
/// ```
///
/// r₀ is the prior's term in the estimating equation Σ_i r_{i,x_i} + r₀ = 0: 0 for ML,
/// −(θ̂ − μ)/σ² for MAP with a N(μ, σ²) prior. Large negative lz* means the pattern is
/// less likely than the model expects (random or contradictory answering).
///
/// # Examples
///
/// Four Rasch items at θ̂ = 0 (the ML estimate for two of four right): the two easy
/// items right is the expected (Guttman) pattern, the two hard ones right is not.
///
/// ```
/// use bagdar::decide::person_fit;
/// use bagdar::model::ItemModel;
/// let items: Vec<_> = [-2.0, -1.0, 1.0, 2.0].iter()
///     .map(|&d| ItemModel::Rasch { intercept: d }.response_function("i").unwrap()).collect();
/// let guttman = person_fit(&items, &[0, 0, 1, 1], 0.0, 0.0);
/// let reversed = person_fit(&items, &[1, 1, 0, 0], 0.0, 0.0);
/// assert!((guttman.lz_star() - 0.913742).abs() < 1e-5);
/// assert!((reversed.lz_star() + 4.489313).abs() < 1e-5);
/// ```
pub fn person_fit(items: &[ResponseFunction], row: &[u8], theta: f64, r0: f64) -> PersonFit {
    let mut w_total = 0.0;
    let (mut cross, mut information) = (0.0, 0.0);
    let mut terms: Vec<ItemTable> = Vec::new();
    for (f, &x) in items.iter().zip(row) {
        if x == MISSING {
            continue;
        }
        let k = f.categories();
        let (mut p, mut d1, mut d2) = (
            [0.0; MAX_CATEGORIES],
            [0.0; MAX_CATEGORIES],
            [0.0; MAX_CATEGORIES],
        );
        f.derivatives(theta, &mut p, &mut d1, &mut d2);
        let mut w = [0.0; MAX_CATEGORIES];
        f.log_probabilities(theta, &mut w);
        let mut expected = 0.0;
        for c in 0..k {
            w[c] = w[c].max(-745.0);
            if p[c] > 0.0 {
                expected += p[c] * w[c];
                cross += d1[c] * w[c];
                information += d1[c] * d1[c] / p[c];
            }
        }
        w_total += w[x as usize] - expected;
        terms.push((p, d1, w, k));
    }
    let c = if information > 0.0 {
        cross / information
    } else {
        0.0
    };
    let mut variance = 0.0;
    for (p, d1, w, k) in &terms {
        let (mut m1, mut m2) = (0.0, 0.0);
        for j in 0..*k {
            if p[j] > 0.0 {
                let corrected = w[j] - c * d1[j] / p[j];
                m1 += p[j] * corrected;
                m2 += p[j] * corrected * corrected;
            }
        }
        variance += (m2 - m1 * m1).max(0.0);
    }
    PersonFit {
        numerator: w_total + c * r0,
        variance,
    }
}

pub(crate) fn is_likert(scoring: &AnswerScoring) -> bool {
    matches!(scoring, AnswerScoring::Ordered { values, .. } if values.len() >= 3)
}

/// The raw answer (option value) of a category of an ordered item.
pub(crate) fn raw_answer(scoring: &AnswerScoring, category: u8) -> Option<i64> {
    match scoring {
        AnswerScoring::Ordered { values, reverse } if category != MISSING => {
            let c = category as usize;
            let i = if *reverse {
                values.len().checked_sub(1 + c)?
            } else {
                c
            };
            values.get(i).copied()
        }
        _ => None,
    }
}

/// Longest run of identical raw answers per scale and the straight-lined scales.
pub(crate) fn long_string(
    instrument: &Instrument,
    row: &[u8],
    settings: &QualitySettings,
) -> Option<QualityFlag> {
    let mut flagged = Vec::new();
    let mut longest_overall = 0;
    for (s, items) in instrument.scale_items().iter().enumerate() {
        let likert: Vec<usize> = items
            .iter()
            .copied()
            .filter(|&i| is_likert(instrument.answer_scoring(i)))
            .collect();
        if likert.len() < settings.long_string_min_items.max(1) {
            continue;
        }
        let (mut longest, mut run, mut previous) = (0, 0, None);
        for &i in &likert {
            let answer = raw_answer(instrument.answer_scoring(i), row[i]);
            run = match (answer, previous) {
                (Some(a), Some(b)) if a == b => run + 1,
                (Some(_), _) => 1,
                (None, _) => 0,
            };
            previous = answer;
            longest = longest.max(run);
        }
        longest_overall = longest_overall.max(longest);
        let needed = (settings.long_string_fraction * likert.len() as f64).ceil() as usize;
        if longest >= needed.max(2) {
            flagged.push(instrument.scales()[s].id.clone());
        }
    }
    (flagged.len() >= settings.long_string_scales.max(1)).then_some(QualityFlag::LongString {
        scales: flagged,
        longest_run: longest_overall,
    })
}

/// Pairs answered at the same extreme (both the highest or both the lowest option).
pub(crate) fn inconsistent_pairs(
    instrument: &Instrument,
    row: &[u8],
    pairs: &[(usize, usize)],
    settings: &QualitySettings,
) -> Option<QualityFlag> {
    let extreme = |i: usize| {
        let scoring = instrument.answer_scoring(i);
        let answer = raw_answer(scoring, row[i])?;
        let values = scoring.values();
        if Some(&answer) == values.first() {
            Some(-1)
        } else if Some(&answer) == values.last() {
            Some(1)
        } else {
            None
        }
    };
    let contradictory: Vec<ItemPair> = pairs
        .iter()
        .filter(|&&(a, b)| matches!((extreme(a), extreme(b)), (Some(x), Some(y)) if x == y))
        .map(|&(a, b)| ItemPair {
            first: instrument.definition().items[a].id.clone(),
            second: instrument.definition().items[b].id.clone(),
        })
        .collect();
    (settings.inconsistent_pairs > 0 && contradictory.len() >= settings.inconsistent_pairs)
        .then_some(QualityFlag::InconsistentPairs {
            pairs: contradictory,
        })
}

/// Too many blanks.
pub(crate) fn too_many_missing(row: &[u8], settings: &QualitySettings) -> Option<QualityFlag> {
    let missing = row.iter().filter(|&&x| x == MISSING).count();
    (missing as f64 > settings.max_missing_fraction * row.len() as f64).then_some(
        QualityFlag::TooManyMissing {
            missing,
            items: row.len(),
        },
    )
}

/// Implausibly fast completion.
pub(crate) fn too_fast(
    person: usize,
    row: &[u8],
    timings: &Timings,
    settings: &QualitySettings,
) -> Result<Option<QualityFlag>> {
    let bad = |message: String| Error::InvalidTimings { person, message };
    let valid = |t: f64| t.is_finite() && t >= 0.0;
    let seconds = match (&timings.total_seconds, &timings.item_seconds) {
        (Some(total), _) => {
            if !valid(*total) {
                return Err(bad(format!("total_seconds {total} must be finite and ≥ 0")));
            }
            Some(*total)
        }
        (None, Some(items)) => {
            if items.len() != row.len() {
                return Err(bad(format!(
                    "item_seconds has {} entries, the instrument has {} items",
                    items.len(),
                    row.len()
                )));
            }
            if let Some(t) = items.iter().flatten().find(|t| !valid(**t)) {
                return Err(bad(format!("item time {t} must be finite and ≥ 0")));
            }
            let recorded: Vec<f64> = items.iter().flatten().copied().collect();
            (!recorded.is_empty()).then(|| recorded.iter().sum())
        }
        (None, None) => None,
    };
    let answered = row.iter().filter(|&&x| x != MISSING).count();
    Ok(match seconds {
        Some(s) if answered > 0 => {
            let per_item = s / answered as f64;
            (per_item < settings.min_seconds_per_item).then_some(QualityFlag::TooFast {
                seconds_per_item: per_item,
                floor: settings.min_seconds_per_item,
            })
        }
        _ => None,
    })
}
