//! Norms: percentile ranks and stanines of scale scores and profile composites in a
//! norm group, stored as data with sample size, date and source.

use super::decider::{CompositeScorer, DecisionSettings, estimates_mean};
use crate::error::{Error, Result};
use crate::instrument::Instrument;
use crate::response::ResponseMatrix;
use crate::score::map_rows_with;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Scores are rounded to this before they enter or query a norm table.
pub const NORM_RESOLUTION: f64 = 0.01;

/// Upper percentile-rank boundaries of stanines 1–8 (the standard 4-7-12-17-20-17-12-7-4
/// per cent split).
pub const STANINE_BOUNDARIES: [f64; 8] = [4.0, 11.0, 23.0, 40.0, 60.0, 77.0, 89.0, 96.0];

/// The stanine (1–9) of a percentile rank.
///
/// # Formula
///
/// ```text
/// stanine = 1 + #{ b ∈ (4, 11, 23, 40, 60, 77, 89, 96) : PR ≥ b }
/// ```
///
/// # Examples
///
/// ```
/// use bagdar::decide::stanine;
/// assert_eq!(stanine(3.9), 1);
/// assert_eq!(stanine(4.0), 2);
/// assert_eq!(stanine(50.0), 5);
/// assert_eq!(stanine(96.0), 9);
/// ```
pub fn stanine(percentile_rank: f64) -> u8 {
    1 + STANINE_BOUNDARIES
        .iter()
        .filter(|&&b| percentile_rank >= b)
        .count() as u8
}

/// The distribution of one score in a norm group: distinct rounded scores with counts.
///
/// # Formula
///
/// Mid-rank percentile rank of a score x (rounded to 0.01):
///
/// ```text
/// PR(x) = 100 · ( #{scores < x} + ½ · #{scores = x} ) / N
/// ```
///
/// # Examples
///
/// ```
/// use bagdar::decide::NormTable;
/// let table = NormTable::from_scores(&[1.0, 2.0, 2.0, 3.0])?;
/// assert_eq!(table.percentile_rank(2.0), 50.0);    // (1 + ½·2) / 4
/// assert_eq!(table.percentile_rank(3.0), 87.5);    // (3 + ½) / 4
/// assert_eq!(table.percentile_rank(0.0), 0.0);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct NormTable {
    /// Number of scores N.
    pub sample_size: u64,
    /// Distinct rounded scores, ascending.
    pub scores: Vec<f64>,
    /// How many scores equal each entry of `scores`.
    pub counts: Vec<u64>,
    /// Mean of the scores.
    pub mean: f64,
    /// SD of the scores (divisor N).
    pub sd: f64,
}

crate::de::map_only_serialize!(NormTable);
crate::de::object_deserialize!(NormTable, deny_unknown_fields = true, {
    sample_size: u64 = required,
    scores: Vec<f64> = required,
    counts: Vec<u64> = required,
    mean: f64 = required,
    sd: f64 = required,
});

fn round(x: f64) -> f64 {
    // Divide by the whole number of steps per unit so that k/100 is the nearest double
    // (and prints as such), not k·0.01.
    let steps = (1.0 / NORM_RESOLUTION).round();
    (x * steps).round() / steps
}

impl NormTable {
    /// Builds the table from the scores of a norm sample (NaN scores are skipped).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDecisionData`] when no finite score is left.
    pub fn from_scores(scores: &[f64]) -> Result<Self> {
        let mut values: Vec<f64> = scores.iter().copied().filter(|x| x.is_finite()).collect();
        if values.is_empty() {
            return Err(Error::InvalidDecisionData {
                file: "norms",
                location: "norm sample".into(),
                message: "no finite score".into(),
            });
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        values.iter_mut().for_each(|x| *x = round(*x));
        values.sort_by(f64::total_cmp);
        let (mut distinct, mut counts): (Vec<f64>, Vec<u64>) = (Vec::new(), Vec::new());
        for x in values {
            if distinct.last() == Some(&x) {
                *counts.last_mut().expect("parallel to distinct") += 1;
            } else {
                distinct.push(x);
                counts.push(1);
            }
        }
        Ok(NormTable {
            sample_size: counts.iter().sum(),
            scores: distinct,
            counts,
            mean,
            sd,
        })
    }

    /// Mid-rank percentile rank (0–100) of a score; NaN for NaN.
    pub fn percentile_rank(&self, score: f64) -> f64 {
        if score.is_nan() || self.sample_size == 0 {
            return f64::NAN;
        }
        let x = round(score);
        let tolerance = NORM_RESOLUTION / 4.0;
        let mut below = 0u64;
        let mut equal = 0u64;
        for (s, c) in self.scores.iter().zip(&self.counts) {
            if *s < x - tolerance {
                below += c;
            } else if (*s - x).abs() <= tolerance {
                equal += c;
            } else {
                break;
            }
        }
        100.0 * (below as f64 + 0.5 * equal as f64) / self.sample_size as f64
    }

    /// The score below which `percent` per cent of the norm sample lies (lower
    /// empirical quantile).
    pub fn quantile(&self, percent: f64) -> f64 {
        let target = (percent / 100.0 * self.sample_size as f64).ceil().max(1.0) as u64;
        let mut acc = 0;
        for (s, c) in self.scores.iter().zip(&self.counts) {
            acc += c;
            if acc >= target {
                return *s;
            }
        }
        self.scores.last().copied().unwrap_or(f64::NAN)
    }

    fn check(&self, location: &str) -> Result<()> {
        let ok = self.scores.len() == self.counts.len()
            && !self.scores.is_empty()
            && self.scores.windows(2).all(|w| w[0] < w[1])
            && self.scores.iter().all(|x| x.is_finite())
            && self.counts.iter().sum::<u64>() == self.sample_size;
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidDecisionData {
                file: "norms",
                location: location.into(),
                message:
                    "need ascending finite scores, one count each, counts summing to sample_size"
                        .into(),
            })
        }
    }
}

/// The norms of one profile composite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct CompositeNorm {
    /// Distribution of the composite's posterior means (for percentile ranks).
    pub table: NormTable,
    /// Estimated mean of the true composite in the group (mean of posterior means).
    pub latent_mean: f64,
    /// Estimated SD of the true composite, √(Σ_s Σ_t w̃_s w̃_t C_st) with the latent scale
    /// covariances C estimated from posterior moments (law of total variance on the
    /// diagonal, disattenuated covariances off it). Used to place percentile cuts.
    pub latent_sd: f64,
}

crate::de::map_only_serialize!(CompositeNorm);
crate::de::object_deserialize!(CompositeNorm, deny_unknown_fields = true, {
    table: NormTable = required,
    latent_mean: f64 = required,
    latent_sd: f64 = required,
});

/// Who a norm group is: all students, or one language form and/or region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct GroupLabel {
    /// Answer language, when the group is one language form.
    pub language: Option<String>,
    /// Region, when the group is one region.
    pub region: Option<String>,
}

crate::de::map_only_serialize!(GroupLabel);
crate::de::object_deserialize!(GroupLabel, deny_unknown_fields = true, {
    language: Option<String> = container,
    region: Option<String> = container,
});

/// The norm tables of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct NormGroup {
    /// Which students.
    pub group: GroupLabel,
    /// Students in the group.
    pub sample_size: u64,
    /// Per scale id: the distribution of scale scores (EAP).
    pub scales: BTreeMap<String, NormTable>,
    /// Per profile id: the distribution of composites.
    pub composites: BTreeMap<String, CompositeNorm>,
}

crate::de::map_only_serialize!(NormGroup);
crate::de::object_deserialize!(NormGroup, deny_unknown_fields = true, {
    group: GroupLabel = required,
    sample_size: u64 = required,
    scales: BTreeMap<String, NormTable> = required,
    composites: BTreeMap<String, CompositeNorm> = required,
});

/// Norms of an instrument, as stored in a data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Norms {
    /// Instrument id.
    pub instrument: String,
    /// Checksum of the instrument version the norms were computed with.
    pub instrument_checksum: String,
    /// Where the norm sample comes from (e.g. `calibration cohort 2026, simulated`).
    pub source: String,
    /// Date of the norming (ISO 8601).
    pub date: String,
    /// The groups; the one with an empty label is the whole sample.
    pub groups: Vec<NormGroup>,
}

crate::de::map_only_serialize!(Norms);
crate::de::object_deserialize!(Norms, deny_unknown_fields = true, {
    instrument: String = required,
    instrument_checksum: String = required,
    source: String = required,
    date: String = required,
    groups: Vec<NormGroup> = required,
});

impl Norms {
    /// Reads norms from JSON and checks the tables.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDecisionData`] for malformed JSON or a broken table.
    pub fn from_json(text: &str) -> Result<Self> {
        let norms: Norms = serde_json::from_str(text).map_err(|e| Error::InvalidDecisionData {
            file: "norms",
            location: format!("line {}, column {}", e.line(), e.column()),
            message: e.to_string(),
        })?;
        for g in &norms.groups {
            for (id, t) in &g.scales {
                t.check(&format!("group {:?}, scale {id}", g.group))?;
            }
            for (id, c) in &g.composites {
                c.table
                    .check(&format!("group {:?}, profile {id}", g.group))?;
            }
        }
        Ok(norms)
    }

    /// The group with exactly this label, else the whole sample (empty label).
    pub fn group(&self, label: &GroupLabel) -> Option<&NormGroup> {
        self.groups.iter().find(|g| &g.group == label).or_else(|| {
            self.groups
                .iter()
                .find(|g| g.group == GroupLabel::default())
        })
    }
}

/// One norm-sample person.
struct NormRow {
    /// Reported scale estimates.
    estimates: Vec<f64>,
    /// Posterior (mean, variance) of every scale.
    moments: Vec<(f64, f64)>,
    /// Posterior mean of every profile composite.
    composites: Vec<f64>,
}

/// Builds norms from a norm sample (e.g. the calibration cohort): for every scale the
/// distribution of its estimates, for every profile the distribution of composite
/// posterior means and the latent moments of the composite. With `labels`, one group
/// per language and per region is added to the whole sample.
///
/// # Errors
///
/// As [`super::Decider::new`] for the settings; [`Error::InvalidSetting`] when `labels` do
/// not have one entry per row; data errors as [`super::Decider::composites`].
pub fn build_norms(
    instrument: &Instrument,
    settings: &DecisionSettings,
    responses: &ResponseMatrix,
    labels: Option<&[GroupLabel]>,
    source: &str,
    date: &str,
) -> Result<Norms> {
    let scorer = CompositeScorer::new(instrument, settings)?;
    responses.check(instrument.items(), None)?;
    let n = responses.persons();
    if let Some(l) = labels
        && l.len() != n
    {
        return Err(Error::setting(
            "labels",
            format!("{} entries for {n} rows; give one per row", l.len()),
        ));
    }
    // Per person: scale estimates, composite (mean, sd) per profile.
    let rows: Vec<NormRow> = map_rows_with(
        responses,
        || (),
        |_, _, row| {
            let (estimates, posteriors) = scorer.scales(row);
            let nodes = scorer.nodes();
            let moments = posteriors
                .iter()
                .map(|p| {
                    let m = estimates_mean(p, nodes);
                    let v = nodes.iter().zip(p).map(|(t, w)| (t - m).powi(2) * w).sum();
                    (m, v)
                })
                .collect();
            let composites = (0..scorer.profiles().len())
                .map(|p| scorer.composite(p, &posteriors).map(|c| c.mean()))
                .collect::<Result<Vec<_>>>();
            composites.map(|composites| NormRow {
                estimates: estimates.iter().map(|e| e.theta).collect(),
                moments,
                composites,
            })
        },
    )
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    let mut wanted: Vec<GroupLabel> = vec![GroupLabel::default()];
    if let Some(labels) = labels {
        let mut extra: Vec<GroupLabel> = labels
            .iter()
            .flat_map(|l| {
                [
                    l.language.clone().map(|language| GroupLabel {
                        language: Some(language),
                        region: None,
                    }),
                    l.region.clone().map(|region| GroupLabel {
                        language: None,
                        region: Some(region),
                    }),
                ]
            })
            .flatten()
            .collect();
        extra.sort();
        extra.dedup();
        wanted.extend(extra);
    }
    let mut groups = Vec::new();
    for label in wanted {
        let members: Vec<usize> = (0..n)
            .filter(|&i| {
                let l = labels.map(|l| &l[i]);
                (label.language.is_none()
                    || l.and_then(|l| l.language.as_ref()) == label.language.as_ref())
                    && (label.region.is_none()
                        || l.and_then(|l| l.region.as_ref()) == label.region.as_ref())
            })
            .collect();
        if members.is_empty() {
            continue;
        }
        let mut scales = BTreeMap::new();
        for (s, scale) in instrument.scales().iter().enumerate() {
            let values: Vec<f64> = members.iter().map(|&i| rows[i].estimates[s]).collect();
            scales.insert(scale.id.clone(), NormTable::from_scores(&values)?);
        }
        let covariance = latent_covariance(&rows, &members, instrument.scales().len());
        let mut composites = BTreeMap::new();
        for (p, (id, components)) in scorer.profiles().iter().enumerate() {
            let means: Vec<f64> = members.iter().map(|&i| rows[i].composites[p]).collect();
            let table = NormTable::from_scores(&means)?;
            let total: f64 = components.iter().map(|c| c.1).sum();
            let mut variance = 0.0;
            for &(s, ws) in components {
                for &(t, wt) in components {
                    variance += ws / total * wt / total * covariance[s][t];
                }
            }
            composites.insert(
                id.clone(),
                CompositeNorm {
                    latent_mean: table.mean,
                    latent_sd: variance.max(0.0).sqrt(),
                    table,
                },
            );
        }
        groups.push(NormGroup {
            group: label,
            sample_size: members.len() as u64,
            scales,
            composites,
        });
    }
    Ok(Norms {
        instrument: instrument.definition().id.clone(),
        instrument_checksum: instrument.checksum().to_string(),
        source: source.into(),
        date: date.into(),
        groups,
    })
}

/// Latent covariance of the scales in a group, from posterior moments.
///
/// ```text
/// V_s  = Var(m_s) + mean(v_s)            law of total variance (diagonal)
/// ρ_s  = Var(m_s) / V_s                  shrinkage (reliability) of the posterior mean
/// C_st = Cov(m_s, m_t) / (ρ_s ρ_t)       off-diagonal: m_s ≈ μ + ρ_s (θ_s − μ) + error
/// ```
///
/// Each scale's own N(0, 1) prior ignores the other scales, so the posterior means of
/// correlated scales are shrunk separately; dividing by the shrinkage factors restores
/// the latent covariance the composite's population SD needs.
fn latent_covariance(rows: &[NormRow], members: &[usize], scales: usize) -> Vec<Vec<f64>> {
    let n = members.len().max(1) as f64;
    let means: Vec<f64> = (0..scales)
        .map(|s| members.iter().map(|&i| rows[i].moments[s].0).sum::<f64>() / n)
        .collect();
    let cov = |s: usize, t: usize| {
        members
            .iter()
            .map(|&i| (rows[i].moments[s].0 - means[s]) * (rows[i].moments[t].0 - means[t]))
            .sum::<f64>()
            / n
    };
    let posterior_variance: Vec<f64> = (0..scales)
        .map(|s| members.iter().map(|&i| rows[i].moments[s].1).sum::<f64>() / n)
        .collect();
    let total: Vec<f64> = (0..scales)
        .map(|s| cov(s, s) + posterior_variance[s])
        .collect();
    let shrinkage: Vec<f64> = (0..scales)
        .map(|s| {
            if total[s] > 0.0 {
                cov(s, s) / total[s]
            } else {
                0.0
            }
        })
        .collect();
    (0..scales)
        .map(|s| {
            (0..scales)
                .map(|t| {
                    if s == t {
                        total[s]
                    } else if shrinkage[s] > 0.0 && shrinkage[t] > 0.0 {
                        cov(s, t) / (shrinkage[s] * shrinkage[t])
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect()
}
