//! Decision quality at a cut: expected classification accuracy and consistency
//! (Rudner 2001, 2005) and the cut chooser.

use super::composite::CompositeDistribution;
use super::decider::{ProfileResult, StudentDecision, Tier};
use crate::error::{Error, Result};
use crate::instrument::Tiers;
use serde::{Deserialize, Serialize};

/// Expected accuracy and consistency of the two-way classification at a cut.
///
/// # Formula
///
/// Person i is classified above the cut when the composite's posterior mean
/// m_i > cut; p_i = P(C_i > cut | answers). Following Rudner (2001, 2005), with the
/// person's posterior in place of N(θ̂, SE²):
///
/// ```text
/// accuracy    = (1/N) Σ_i [ p_i if m_i > cut else 1 − p_i ]
/// consistency = (1/N) Σ_i [ p_i² + (1 − p_i)² ]       two independent replications
/// chance      = p̄² + (1 − p̄)²,   p̄ = (1/N) Σ_i p_i
/// kappa       = (consistency − chance) / (1 − chance)
/// ```
///
/// # Examples
///
/// ```
/// use bagdar::decide::rudner;
/// // (posterior mean, P(C > cut)) for three students, cut 0.5
/// let (accuracy, consistency) = rudner(&[(1.2, 0.9), (0.1, 0.2), (0.6, 0.6)], 0.5);
/// assert!((accuracy - (0.9 + 0.8 + 0.6) / 3.0).abs() < 1e-12);
/// assert!((consistency - (0.82 + 0.68 + 0.52) / 3.0).abs() < 1e-12);
/// ```
pub fn rudner(persons: &[(f64, f64)], cut: f64) -> (f64, f64) {
    if persons.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = persons.len() as f64;
    let accuracy = persons
        .iter()
        .map(|&(m, p)| if m > cut { p } else { 1.0 - p })
        .sum::<f64>()
        / n;
    let consistency = persons
        .iter()
        .map(|&(_, p)| p * p + (1.0 - p) * (1.0 - p))
        .sum::<f64>()
        / n;
    (accuracy, consistency)
}

/// The decision quality of one profile over a batch, reported with every batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationQuality {
    /// Profile id.
    pub profile: String,
    /// Students.
    pub persons: usize,
    /// Cut on the θ metric of the composite.
    pub cut: f64,
    /// Rudner's expected accuracy of the two-way classification (posterior mean vs cut).
    pub expected_accuracy: f64,
    /// Rudner's expected consistency (two independent replications agree).
    pub expected_consistency: f64,
    /// Cohen's kappa of the expected consistency (`None` when chance agreement is 1).
    pub consistency_kappa: Option<f64>,
    /// Share with posterior mean above the cut.
    pub share_above: f64,
    /// Share recommended.
    pub share_recommended: f64,
    /// Share borderline.
    pub share_borderline: f64,
    /// Share not indicated.
    pub share_not_indicated: f64,
    /// Among the recommended: expected share truly above the cut (mean p_i).
    pub expected_precision_recommended: Option<f64>,
    /// Among the not indicated: expected share truly below the cut (mean 1 − p_i).
    pub expected_precision_not_indicated: Option<f64>,
    /// Expected number of students truly above the cut who got "not indicated".
    pub expected_missed: f64,
}

/// Classification quality of one profile over a batch of decisions.
///
/// # Errors
///
/// [`Error::InvalidSetting`] for an empty batch; [`Error::UnknownId`] when a decision
/// has no result for the profile.
pub fn classification_quality(
    decisions: &[StudentDecision],
    profile: &str,
) -> Result<ClassificationQuality> {
    if decisions.is_empty() {
        return Err(Error::setting(
            "classification quality",
            "the batch has no decisions",
        ));
    }
    let results: Vec<&ProfileResult> = decisions
        .iter()
        .map(|d| {
            d.profiles
                .iter()
                .find(|p| p.profile == profile)
                .ok_or_else(|| Error::UnknownId {
                    kind: "profile",
                    id: profile.into(),
                    context: " (classification quality)".into(),
                })
        })
        .collect::<Result<_>>()?;
    let mut tally = ClassificationTally::new(profile, results.first().map_or(f64::NAN, |r| r.cut));
    for r in results {
        tally.add(r);
    }
    tally.finish()
}

/// The sums behind [`ClassificationQuality`], added one student at a time and mergeable
/// across chunks, so a streaming batch reports the quality of the whole file without
/// holding every decision. [`classification_quality`] is this tally over a slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationTally {
    profile: String,
    cut: f64,
    persons: usize,
    accuracy: f64,
    consistency: f64,
    sum_p: f64,
    above: usize,
    recommended: usize,
    borderline: usize,
    not_indicated: usize,
    p_recommended: f64,
    q_not_indicated: f64,
    p_not_indicated: f64,
}

impl ClassificationTally {
    /// An empty tally for a profile and its cut.
    pub fn new(profile: &str, cut: f64) -> Self {
        ClassificationTally {
            profile: profile.to_string(),
            cut,
            persons: 0,
            accuracy: 0.0,
            consistency: 0.0,
            sum_p: 0.0,
            above: 0,
            recommended: 0,
            borderline: 0,
            not_indicated: 0,
            p_recommended: 0.0,
            q_not_indicated: 0.0,
            p_not_indicated: 0.0,
        }
    }

    /// Adds one student's result for this profile.
    pub fn add(&mut self, r: &ProfileResult) {
        self.add_values(r.composite_mean, r.p_above_cut, r.tier);
    }

    /// Adds one student from the three numbers a scores file keeps: the composite's
    /// posterior mean, P(composite > cut) and the tier.
    pub fn add_values(&mut self, composite_mean: f64, p_above_cut: f64, tier: Tier) {
        let p = p_above_cut;
        let above = composite_mean > self.cut;
        self.persons += 1;
        self.accuracy += if above { p } else { 1.0 - p };
        self.consistency += p * p + (1.0 - p) * (1.0 - p);
        self.sum_p += p;
        self.above += usize::from(above);
        match tier {
            Tier::Recommended => {
                self.recommended += 1;
                self.p_recommended += p;
            }
            Tier::Borderline => self.borderline += 1,
            Tier::NotIndicated => {
                self.not_indicated += 1;
                self.q_not_indicated += 1.0 - p;
                self.p_not_indicated += p;
            }
        }
    }

    /// Adds another tally of the same profile and cut (e.g. another chunk's).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] when the profiles or cuts differ.
    pub fn merge(&mut self, other: &ClassificationTally) -> Result<()> {
        if self.profile != other.profile || self.cut.to_bits() != other.cut.to_bits() {
            return Err(Error::setting(
                "classification tally",
                format!(
                    "cannot merge {} (cut {}) with {} (cut {})",
                    self.profile, self.cut, other.profile, other.cut
                ),
            ));
        }
        self.persons += other.persons;
        self.accuracy += other.accuracy;
        self.consistency += other.consistency;
        self.sum_p += other.sum_p;
        self.above += other.above;
        self.recommended += other.recommended;
        self.borderline += other.borderline;
        self.not_indicated += other.not_indicated;
        self.p_recommended += other.p_recommended;
        self.q_not_indicated += other.q_not_indicated;
        self.p_not_indicated += other.p_not_indicated;
        Ok(())
    }

    /// The quality over every student added.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] when no student was added.
    pub fn finish(&self) -> Result<ClassificationQuality> {
        if self.persons == 0 {
            return Err(Error::setting(
                "classification quality",
                "the batch has no decisions",
            ));
        }
        let n = self.persons as f64;
        let expected_consistency = self.consistency / n;
        let mean_p = self.sum_p / n;
        let chance = mean_p * mean_p + (1.0 - mean_p) * (1.0 - mean_p);
        Ok(ClassificationQuality {
            profile: self.profile.clone(),
            persons: self.persons,
            cut: self.cut,
            expected_accuracy: self.accuracy / n,
            expected_consistency,
            consistency_kappa: (chance < 1.0)
                .then(|| (expected_consistency - chance) / (1.0 - chance)),
            share_above: self.above as f64 / n,
            share_recommended: self.recommended as f64 / n,
            share_borderline: self.borderline as f64 / n,
            share_not_indicated: self.not_indicated as f64 / n,
            expected_precision_recommended: (self.recommended > 0)
                .then(|| self.p_recommended / self.recommended as f64),
            expected_precision_not_indicated: (self.not_indicated > 0)
                .then(|| self.q_not_indicated / self.not_indicated as f64),
            expected_missed: self.p_not_indicated,
        })
    }
}

/// What the cut chooser aims at.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CutTarget {
    /// Share of the norm sample whose composite posterior mean lies above the cut.
    ShareAbove(f64),
    /// Share of the norm sample that would be recommended (P ≥ tiers.recommended).
    ShareRecommended(f64),
    /// The lowest cut at or above the sample median whose expected accuracy reaches
    /// this value.
    Accuracy(f64),
}

/// A cut and what to expect there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CutChoice {
    /// Cut on the θ metric of the composite.
    pub cut: f64,
    /// Share with posterior mean above the cut.
    pub share_above: f64,
    /// Share recommended (P ≥ tiers.recommended).
    pub share_recommended: f64,
    /// Share not indicated (P ≤ tiers.not_indicated).
    pub share_not_indicated: f64,
    /// Rudner's expected accuracy at the cut.
    pub expected_accuracy: f64,
    /// Rudner's expected consistency at the cut.
    pub expected_consistency: f64,
}

/// Evaluates a cut on a norm sample of composite posteriors.
pub fn evaluate_cut(composites: &[CompositeDistribution], cut: f64, tiers: Tiers) -> CutChoice {
    let points: Vec<(f64, f64)> = composites
        .iter()
        .map(|c| (c.mean(), c.probability_above(cut)))
        .collect();
    let (expected_accuracy, expected_consistency) = rudner(&points, cut);
    let n = points.len().max(1) as f64;
    CutChoice {
        cut,
        share_above: points.iter().filter(|(m, _)| *m > cut).count() as f64 / n,
        share_recommended: points
            .iter()
            .filter(|(_, p)| *p >= tiers.recommended)
            .count() as f64
            / n,
        share_not_indicated: points
            .iter()
            .filter(|(_, p)| *p <= tiers.not_indicated)
            .count() as f64
            / n,
        expected_accuracy,
        expected_consistency,
    }
}

/// Chooses a cut on a norm sample of composite posteriors (from
/// [`super::Decider::composites`]) for a target.
///
/// # Formula
///
/// ```text
/// ShareAbove(r):        cut = the (1 − r) quantile of the posterior means m_i
/// ShareRecommended(r):  cut solving #{i : P(C_i > cut) ≥ τ_rec}/N = r  (bisection; the
///                       share is non-increasing in the cut)
/// Accuracy(a):          the lowest cut on a 0.01 grid from the median of m_i upward
///                       with expected accuracy ≥ a
/// ```
///
/// # Errors
///
/// [`Error::InvalidSetting`] for an empty sample or a target outside (0, 1);
/// [`Error::InvalidSetting`] when no cut reaches the target accuracy.
pub fn choose_cut(
    composites: &[CompositeDistribution],
    target: CutTarget,
    tiers: Tiers,
) -> Result<CutChoice> {
    if composites.is_empty() {
        return Err(Error::setting("cut chooser", "the norm sample is empty"));
    }
    let value = match target {
        CutTarget::ShareAbove(v) | CutTarget::ShareRecommended(v) | CutTarget::Accuracy(v) => v,
    };
    if !(value > 0.0 && value < 1.0) {
        return Err(Error::setting(
            "cut chooser target",
            format!("{value} is not strictly between 0 and 1"),
        ));
    }
    let mut means: Vec<f64> = composites.iter().map(|c| c.mean()).collect();
    crate::order::sort_floats(&mut means);
    let n = means.len();
    let spread = composites.iter().map(|c| c.sd()).fold(0.0, f64::max);
    let (low, high) = (
        means[0] - 6.0 * spread - 1.0,
        means[n - 1] + 6.0 * spread + 1.0,
    );
    let cut = match target {
        CutTarget::ShareAbove(r) => {
            // Place the cut halfway between the order statistics around the quantile.
            let above = ((r * n as f64).round() as usize).clamp(1, n - 1);
            0.5 * (means[n - above - 1] + means[n - above])
        }
        CutTarget::ShareRecommended(r) => {
            let share = |c: f64| {
                composites
                    .iter()
                    .filter(|d| d.probability_above(c) >= tiers.recommended)
                    .count() as f64
                    / n as f64
            };
            let (mut lo, mut hi) = (low, high);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if share(mid) > r {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            0.5 * (lo + hi)
        }
        CutTarget::Accuracy(a) => {
            let median = means[n / 2];
            let mut c = median;
            loop {
                if evaluate_cut(composites, c, tiers).expected_accuracy >= a {
                    break c;
                }
                c += 0.01;
                if c > high {
                    return Err(Error::setting(
                        "cut chooser target",
                        format!("no cut above the median reaches expected accuracy {a}"),
                    ));
                }
            }
        }
    };
    Ok(evaluate_cut(composites, cut, tiers))
}

/// Probabilities of the summed score 0..=Σ(K_i − 1) at one θ (Lord & Wingersky 1984).
///
/// # Formula
///
/// ```text
/// L_0(s) = [s = 0],   L_i(s) = Σ_k L_{i−1}(s − k) · P_ik(θ)
/// ```
///
/// # Examples
///
/// ```
/// use bagdar::decide::sum_score_distribution;
/// use bagdar::model::ItemModel;
/// let items = vec![ItemModel::Rasch { intercept: 0.0 }.response_function("i")?; 2];
/// assert_eq!(sum_score_distribution(&items, 0.0), vec![0.25, 0.5, 0.25]);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn sum_score_distribution(items: &[crate::model::ResponseFunction], theta: f64) -> Vec<f64> {
    use crate::model::ResponseCurve;
    let max: usize = items.iter().map(|f| f.categories() - 1).sum();
    let mut column = vec![0.0; max + 1];
    let scale = crate::score::sum_score_likelihoods(items, theta, &mut column).exp();
    column.iter_mut().for_each(|v| *v *= scale);
    column
}

/// Lee's (2010) expected accuracy and consistency of classifying by the summed-score
/// composite (D method).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SumScoreClassification {
    /// Profile id.
    pub profile: String,
    /// Cut on the θ metric of the composite.
    pub cut: f64,
    /// Students averaged over.
    pub persons: usize,
    /// Expected accuracy.
    pub expected_accuracy: f64,
    /// Expected consistency.
    pub expected_consistency: f64,
}
