//! The one call: from a student's answers to scale scores, profile composites,
//! P(composite > cut), tiers, the profile ranking, quality flags and explanation keys.

use super::accuracy::{ClassificationQuality, classification_quality};
use super::composite::{CompositeDistribution, CompositeMethod};
use super::explain::{Argument, ExplanationKey};
use super::normal::normal_quantile;
use super::norms::{GroupLabel, NormGroup, Norms, stanine};
use super::quality::{self, QualityFlag, QualitySettings, Timings, person_fit};
use crate::error::{Error, Result};
use crate::instrument::{BatteryScorer, Cut, Instrument, Tiers};
use crate::model::ResponseCurve;
use crate::quadrature::Prior;
use crate::response::{MISSING, ResponseMatrix};
use crate::score::{Estimate, Method, ScoringSettings, map_rows_with};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The three tiers of a profile decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// P(C > cut) ≥ tiers.recommended (default 0.8).
    Recommended,
    /// Between the thresholds: talk it over with a counselor.
    Borderline,
    /// P(C > cut) ≤ tiers.not_indicated (default 0.2).
    NotIndicated,
}

impl Tier {
    /// The tier of a probability.
    ///
    /// # Formula
    ///
    /// ```text
    /// P ≥ recommended      → Recommended
    /// P ≤ not_indicated    → NotIndicated
    /// otherwise (and NaN)  → Borderline
    /// ```
    ///
    /// # Examples
    ///
    /// ```
    /// use bagdar::decide::Tier;
    /// use bagdar::instrument::Tiers;
    /// assert_eq!(Tier::from_probability(0.85, Tiers::default()), Tier::Recommended);
    /// assert_eq!(Tier::from_probability(0.5, Tiers::default()), Tier::Borderline);
    /// assert_eq!(Tier::from_probability(0.2, Tiers::default()), Tier::NotIndicated);
    /// ```
    pub fn from_probability(p: f64, tiers: Tiers) -> Tier {
        if p >= tiers.recommended {
            Tier::Recommended
        } else if p <= tiers.not_indicated {
            Tier::NotIndicated
        } else {
            Tier::Borderline
        }
    }

    /// snake_case name (`recommended`, `borderline`, `not_indicated`).
    pub fn name(self) -> &'static str {
        match self {
            Tier::Recommended => "recommended",
            Tier::Borderline => "borderline",
            Tier::NotIndicated => "not_indicated",
        }
    }
}

impl std::str::FromStr for Tier {
    type Err = Error;

    /// Parses a [`Tier::name`].
    fn from_str(text: &str) -> Result<Self> {
        match text.trim() {
            "recommended" => Ok(Tier::Recommended),
            "borderline" => Ok(Tier::Borderline),
            "not_indicated" => Ok(Tier::NotIndicated),
            other => Err(Error::setting(
                "tier",
                format!("{other:?} is not recommended, borderline or not_indicated"),
            )),
        }
    }
}

/// Which norm group a student is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NormGrouping {
    /// The whole norm sample.
    #[default]
    All,
    /// The student's language form (falls back to the whole sample).
    Language,
    /// The student's region (falls back to the whole sample).
    Region,
}

crate::de::unit_enum_deserialize!(NormGrouping { All = "all", Language = "language", Region = "region" });

/// Settings of the decision step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct DecisionSettings {
    /// Scale scoring (the reported estimates use its method; the composite always uses
    /// the quadrature posterior of its grid and prior).
    pub scoring: ScoringSettings,
    /// How P(C > cut) is computed.
    pub composite: CompositeMethod,
    /// Tier thresholds for every profile, replacing the instrument's.
    pub tiers: Option<Tiers>,
    /// Cuts per profile id, replacing the instrument's.
    pub cuts: BTreeMap<String, Cut>,
    /// Response-quality thresholds and item pairs.
    pub quality: QualitySettings,
    /// The profile the explanation talks about (default `teacher` when present, else
    /// the first profile).
    pub focus_profile: Option<String>,
    /// Norm group used for percentile ranks.
    pub norm_grouping: NormGrouping,
}

crate::de::map_only_serialize!(DecisionSettings);
crate::de::object_deserialize!(DecisionSettings, deny_unknown_fields = true, {
    scoring: ScoringSettings = container,
    composite: CompositeMethod = container,
    tiers: Option<Tiers> = container,
    cuts: BTreeMap<String, Cut> = container,
    quality: QualitySettings = container,
    focus_profile: Option<String> = container,
    norm_grouping: NormGrouping = container,
});

impl Default for DecisionSettings {
    fn default() -> Self {
        DecisionSettings {
            scoring: ScoringSettings::default(),
            composite: CompositeMethod::default(),
            tiers: None,
            cuts: BTreeMap::new(),
            quality: QualitySettings::default(),
            focus_profile: None,
            norm_grouping: NormGrouping::All,
        }
    }
}

/// A scale score with its norm position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleResult {
    /// Scale id.
    pub scale: String,
    /// θ estimate and SE (posterior SD for EAP).
    pub estimate: Estimate,
    /// Percentile rank in the norm group, when norms are given.
    pub percentile: Option<f64>,
    /// Stanine in the norm group, when norms are given.
    pub stanine: Option<u8>,
}

/// One scale's share of a composite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Scale id.
    pub scale: String,
    /// Normalized weight w̃_s.
    pub weight: f64,
    /// w̃_s · E[θ_s]: how far the scale moves the composite from the population mean 0.
    pub contribution: f64,
}

/// A student's result on one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileResult {
    /// Profile id.
    pub profile: String,
    /// Posterior mean of the composite.
    pub composite_mean: f64,
    /// Posterior SD of the composite.
    pub composite_sd: f64,
    /// The cut on the θ metric of the composite.
    pub cut: f64,
    /// P(composite > cut | answers).
    pub p_above_cut: f64,
    /// The tier of that probability.
    pub tier: Tier,
    /// Rank among the profiles (1 = best fitting).
    pub rank: usize,
    /// Each scale's contribution, in the profile's order.
    pub contributions: Vec<Contribution>,
    /// Percentile rank of the composite in the norm group, when norms are given.
    pub percentile: Option<f64>,
    /// Stanine of the composite, when norms are given.
    pub stanine: Option<u8>,
}

/// Everything the decision step says about one student.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentDecision {
    /// Scale scores, in scale order.
    pub scales: Vec<ScaleResult>,
    /// Profile results, in the instrument's profile order (see `rank`).
    pub profiles: Vec<ProfileResult>,
    /// Profile ids, best fitting first.
    pub ranking: Vec<String>,
    /// Battery lz* person fit (`None` when no item was answered).
    pub lz_star: Option<f64>,
    /// Response-quality flags.
    pub quality: Vec<QualityFlag>,
    /// True when any flag is raised: interpret with caution.
    pub caution: bool,
    /// Explanation keys with their arguments, in reading order.
    pub explanations: Vec<ExplanationKey>,
}

/// Decisions for a batch and the classification quality of every profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchDecision {
    /// One decision per row.
    pub students: Vec<StudentDecision>,
    /// Per profile: expected accuracy and consistency at its cut over the batch (empty
    /// for an empty batch).
    pub classification: Vec<ClassificationQuality>,
}

#[derive(Debug, Clone)]
struct ResolvedProfile {
    id: String,
    components: Vec<(usize, f64)>,
    cut: f64,
    tiers: Tiers,
}

/// Scale scorers and profile components: what scoring and norming share.
#[derive(Debug, Clone)]
pub(crate) struct CompositeScorer {
    battery: BatteryScorer,
    scale_items: Vec<Vec<usize>>,
    method: CompositeMethod,
    profiles: Vec<(String, Vec<(usize, f64)>)>,
}

impl CompositeScorer {
    pub(crate) fn new(instrument: &Instrument, settings: &DecisionSettings) -> Result<Self> {
        if instrument.definition().profiles.is_empty() {
            return Err(Error::instrument(
                "field profiles",
                "the decision step needs at least one profile",
            ));
        }
        let profiles = instrument
            .definition()
            .profiles
            .iter()
            .map(|p| {
                let components =
                    p.components
                        .iter()
                        .map(|c| {
                            let s = instrument.scale_index(&c.scale).ok_or_else(|| {
                                Error::UnknownId {
                                    kind: "scale",
                                    id: c.scale.clone(),
                                    context: format!(" (profile {})", p.id),
                                }
                            })?;
                            Ok((s, c.weight))
                        })
                        .collect::<Result<Vec<_>>>()?;
                Ok((p.id.clone(), components))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CompositeScorer {
            battery: instrument.scorers(&settings.scoring)?,
            scale_items: instrument.scale_items().to_vec(),
            method: settings.composite,
            profiles,
        })
    }

    /// Scale estimates and posteriors of one row.
    pub(crate) fn scales(&self, row: &[u8]) -> (Vec<Estimate>, Vec<Vec<f64>>) {
        let mut buffer = Vec::new();
        let mut estimates = Vec::new();
        let mut posteriors = Vec::new();
        for (scorer, items) in self.battery.scorers().iter().zip(self.scale_items()) {
            buffer.clear();
            buffer.extend(items.iter().map(|&i| row[i]));
            let (posterior, eap) = scorer.posterior_with_eap(&buffer);
            estimates.push(if scorer.settings().method == Method::Eap {
                // The EAP comes with the posterior: no second pass.
                eap
            } else {
                scorer.score_row(&buffer)
            });
            posteriors.push(posterior);
        }
        (estimates, posteriors)
    }

    fn scale_items(&self) -> &[Vec<usize>] {
        &self.scale_items
    }

    /// The quadrature nodes every scale posterior lives on.
    pub(crate) fn nodes(&self) -> &[f64] {
        self.battery.scorers()[0].quadrature().nodes()
    }

    /// The composite of profile `p`.
    pub(crate) fn composite(
        &self,
        p: usize,
        posteriors: &[Vec<f64>],
    ) -> Result<CompositeDistribution> {
        let (_, components) = &self.profiles[p];
        // All scales share the grid and prior of the scoring settings.
        let nodes = self.battery.scorers()[0].quadrature().nodes();
        let masses: Vec<&[f64]> = components
            .iter()
            .map(|(s, _)| posteriors[*s].as_slice())
            .collect();
        let weights: Vec<f64> = components.iter().map(|(_, w)| *w).collect();
        CompositeDistribution::new(nodes, &masses, &weights, self.method)
    }

    pub(crate) fn profiles(&self) -> &[(String, Vec<(usize, f64)>)] {
        &self.profiles
    }
}

/// The decision engine for one instrument: compile once, decide for many students.
///
/// # Examples
///
/// ```
/// use bagdar::decide::{DecisionSettings, Decider, Tier};
/// use bagdar::instrument::Instrument;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json");
/// let instrument = Instrument::from_json(&std::fs::read_to_string(path).unwrap())?;
/// let decider = Decider::new(&instrument, DecisionSettings::default(), None)?;
/// // Highest category on every item: far above every cut.
/// let row: Vec<u8> = instrument.items().iter()
///     .map(|f| { use bagdar::model::ResponseCurve; (f.categories() - 1) as u8 }).collect();
/// let decision = decider.decide_row(&row, None)?;
/// let teacher = decision.profiles.iter().find(|p| p.profile == "teacher").unwrap();
/// assert_eq!(teacher.tier, Tier::Recommended);
/// assert!(teacher.p_above_cut > 0.999);
/// assert!(decision.caution); // straight-lining and contradictory pairs are flagged
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Decider {
    instrument: Instrument,
    scorer: CompositeScorer,
    fit_scorers: BatteryScorer,
    fit_prior: Option<(f64, f64)>,
    profiles: Vec<ResolvedProfile>,
    pairs: Vec<(usize, usize)>,
    settings: DecisionSettings,
    norms: Option<Norms>,
    focus: usize,
}

impl Decider {
    /// Compiles the scorers and resolves every profile's cut and tiers.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInstrument`] when the instrument has no profiles;
    /// [`Error::UnknownId`] for a cut override or focus profile that is not a profile,
    /// or an item pair naming an unknown item; [`Error::InvalidSetting`] for bad
    /// scoring, tier or quality settings; [`Error::MissingNorms`] for a percentile cut
    /// without norms for the profile; [`Error::InvalidDecisionData`] when the norms
    /// were made with another instrument version.
    pub fn new(
        instrument: &Instrument,
        settings: DecisionSettings,
        norms: Option<Norms>,
    ) -> Result<Self> {
        let scorer = CompositeScorer::new(instrument, &settings)?;
        settings.quality.check(instrument)?;
        if let CompositeMethod::Convolution { bin_width } = settings.composite
            && !(bin_width.is_finite() && bin_width > 0.0 && bin_width <= 1.0)
        {
            return Err(Error::setting(
                "composite.bin_width",
                format!("{bin_width} must be finite and in (0, 1]"),
            ));
        }
        if let Some(norms) = &norms
            && norms.instrument_checksum != instrument.checksum()
        {
            return Err(Error::InvalidDecisionData {
                file: "norms",
                location: "instrument_checksum".into(),
                message: format!(
                    "norms are for instrument {} with checksum {}, not this version ({})",
                    norms.instrument,
                    norms.instrument_checksum,
                    instrument.checksum()
                ),
            });
        }
        for id in settings.cuts.keys() {
            if instrument.profile(id).is_none() {
                return Err(Error::UnknownId {
                    kind: "profile",
                    id: id.clone(),
                    context: " (settings.cuts)".into(),
                });
            }
        }
        if let Some(t) = settings.tiers
            && !(t.not_indicated >= 0.0 && t.not_indicated < t.recommended && t.recommended <= 1.0)
        {
            return Err(Error::setting(
                "tiers",
                format!(
                    "need 0 ≤ not_indicated < recommended ≤ 1, got {} and {}",
                    t.not_indicated, t.recommended
                ),
            ));
        }
        let whole = norms.as_ref().and_then(|n| n.group(&GroupLabel::default()));
        let profiles = instrument
            .definition()
            .profiles
            .iter()
            .zip(scorer.profiles())
            .map(|(p, (_, components))| {
                let cut = match settings.cuts.get(&p.id).copied().unwrap_or(p.cut) {
                    Cut::Theta(t) if t.is_finite() => t,
                    Cut::Theta(t) => {
                        return Err(Error::setting(
                            format!("cuts.{}", p.id),
                            format!("{t} is not finite"),
                        ));
                    }
                    Cut::Percentile(q) => {
                        if !(q > 0.0 && q < 100.0) {
                            return Err(Error::setting(
                                format!("cuts.{}", p.id),
                                format!("percentile {q} must lie strictly between 0 and 100"),
                            ));
                        }
                        let norm =
                            whole.and_then(|g| g.composites.get(&p.id)).ok_or_else(|| {
                                Error::MissingNorms {
                                    profile: p.id.clone(),
                                }
                            })?;
                        norm.latent_mean + norm.latent_sd * normal_quantile(q / 100.0)
                    }
                };
                Ok(ResolvedProfile {
                    id: p.id.clone(),
                    components: components.clone(),
                    cut,
                    tiers: settings.tiers.unwrap_or(p.tiers),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let focus = match &settings.focus_profile {
            Some(id) => {
                profiles
                    .iter()
                    .position(|p| &p.id == id)
                    .ok_or_else(|| Error::UnknownId {
                        kind: "profile",
                        id: id.clone(),
                        context: " (settings.focus_profile)".into(),
                    })?
            }
            None => profiles.iter().position(|p| p.id == "teacher").unwrap_or(0),
        };
        // Person fit at the MAP estimate (normal prior) or the ML estimate.
        let (fit_method, fit_prior) = match settings.scoring.prior {
            Prior::Normal { mean, sd } => (Method::Map, Some((mean, sd))),
            Prior::Discrete { .. } => (Method::Ml, None),
        };
        let fit_scorers = instrument.scorers(&ScoringSettings {
            method: fit_method,
            ..settings.scoring.clone()
        })?;
        let pairs = settings
            .quality
            .item_pairs
            .iter()
            .filter_map(|p| {
                Some((
                    instrument.item_index(&p.first)?,
                    instrument.item_index(&p.second)?,
                ))
            })
            .collect();
        Ok(Decider {
            instrument: instrument.clone(),
            scorer,
            fit_scorers,
            fit_prior,
            profiles,
            pairs,
            settings,
            norms,
            focus,
        })
    }

    /// The instrument.
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// The settings.
    pub fn settings(&self) -> &DecisionSettings {
        &self.settings
    }

    /// The resolved cut (θ metric) of each profile, in profile order.
    pub fn cuts(&self) -> Vec<(String, f64)> {
        self.profiles
            .iter()
            .map(|p| (p.id.clone(), p.cut))
            .collect()
    }

    /// The tier thresholds in force for a profile.
    pub fn tiers(&self, profile: &str) -> Option<Tiers> {
        self.profiles
            .iter()
            .find(|p| p.id == profile)
            .map(|p| p.tiers)
    }

    /// Decides for one student's row of model categories (instrument item order,
    /// [`MISSING`] = blank), compared with the whole norm sample.
    ///
    /// # Errors
    ///
    /// As [`Decider::decide_record`].
    pub fn decide_row(&self, row: &[u8], timings: Option<&Timings>) -> Result<StudentDecision> {
        self.decide_record(0, row, timings, &GroupLabel::default())
    }

    /// Decides for one student; `person` names the row in errors, `group` chooses the
    /// norm group (per [`DecisionSettings::norm_grouping`]).
    ///
    /// # Errors
    ///
    /// [`Error::WrongItemCount`] / [`Error::ResponseOutOfRange`] when the row does not
    /// fit the instrument; [`Error::InvalidTimings`].
    pub fn decide_record(
        &self,
        person: usize,
        row: &[u8],
        timings: Option<&Timings>,
        group: &GroupLabel,
    ) -> Result<StudentDecision> {
        let items = self.instrument.items();
        if row.len() != items.len() {
            return Err(Error::WrongItemCount {
                expected: items.len(),
                found: row.len(),
            });
        }
        for (i, (&x, f)) in row.iter().zip(items).enumerate() {
            if x != MISSING && x as usize >= f.categories() {
                return Err(Error::ResponseOutOfRange {
                    person,
                    item: self.instrument.definition().items[i].id.clone(),
                    value: x as i64,
                    max: f.categories() - 1,
                });
            }
        }
        let norm_group = self.norm_group(group);
        let (estimates, posteriors) = self.scorer.scales(row);
        let scales: Vec<ScaleResult> = estimates
            .iter()
            .zip(self.instrument.scales())
            .map(|(e, s)| {
                let percentile = norm_group
                    .and_then(|g| g.scales.get(&s.id))
                    .map(|t| t.percentile_rank(e.theta))
                    .filter(|p| p.is_finite());
                ScaleResult {
                    scale: s.id.clone(),
                    estimate: *e,
                    percentile,
                    stanine: percentile.map(stanine),
                }
            })
            .collect();
        let mut profiles = Vec::with_capacity(self.profiles.len());
        for (index, p) in self.profiles.iter().enumerate() {
            let composite = self.scorer.composite(index, &posteriors)?;
            let p_above_cut = composite.probability_above(p.cut);
            let total: f64 = p.components.iter().map(|c| c.1).sum();
            let contributions = p
                .components
                .iter()
                .map(|&(s, w)| Contribution {
                    scale: self.instrument.scales()[s].id.clone(),
                    weight: w / total,
                    contribution: w / total * estimates_mean(&posteriors[s], self.nodes()),
                })
                .collect();
            let percentile = norm_group
                .and_then(|g| g.composites.get(&p.id))
                .map(|c| c.table.percentile_rank(composite.mean()))
                .filter(|x| x.is_finite());
            profiles.push(ProfileResult {
                profile: p.id.clone(),
                composite_mean: composite.mean(),
                composite_sd: composite.sd(),
                cut: p.cut,
                p_above_cut,
                tier: Tier::from_probability(p_above_cut, p.tiers),
                rank: 0,
                contributions,
                percentile,
                stanine: percentile.map(stanine),
            });
        }
        let mut order: Vec<usize> = (0..profiles.len()).collect();
        crate::order::sort_indices(&mut order, &|a, b| {
            let (x, y) = (&profiles[a], &profiles[b]);
            y.p_above_cut
                .total_cmp(&x.p_above_cut)
                .then((y.composite_mean - y.cut).total_cmp(&(x.composite_mean - x.cut)))
                .then(a.cmp(&b))
        });
        for (rank, &i) in order.iter().enumerate() {
            profiles[i].rank = rank + 1;
        }
        let ranking = order.iter().map(|&i| profiles[i].profile.clone()).collect();
        let (lz_star, quality) = self.quality(person, row, timings)?;
        let caution = !quality.is_empty();
        let mut decision = StudentDecision {
            scales,
            profiles,
            ranking,
            lz_star,
            quality,
            caution,
            explanations: Vec::new(),
        };
        decision.explanations = self.explain(&decision);
        Ok(decision)
    }

    /// Decides for every row of a matrix and reports the classification quality of
    /// every profile over the batch. `timings` and `groups`, when given, have one entry
    /// per row.
    ///
    /// # Errors
    ///
    /// As [`Decider::decide_record`] (first failing row); [`Error::InvalidSetting`]
    /// when `timings` or `groups` do not have one entry per row.
    pub fn decide_batch(
        &self,
        responses: &ResponseMatrix,
        timings: Option<&[Timings]>,
        groups: Option<&[GroupLabel]>,
    ) -> Result<BatchDecision> {
        let n = responses.persons();
        for (name, found) in [
            ("timings", timings.map(<[_]>::len)),
            ("groups", groups.map(<[_]>::len)),
        ] {
            if let Some(found) = found
                && found != n
            {
                return Err(Error::setting(
                    name,
                    format!("{found} entries for {n} rows; give one per row"),
                ));
            }
        }
        let whole = GroupLabel::default();
        let students = map_rows_with(
            responses,
            || (),
            |_, p, row| {
                self.decide_record(
                    p,
                    row,
                    timings.map(|t| &t[p]),
                    groups.map_or(&whole, |g| &g[p]),
                )
            },
        )
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
        let classification = if students.is_empty() {
            Vec::new()
        } else {
            self.profiles
                .iter()
                .map(|p| classification_quality(&students, &p.id))
                .collect::<Result<Vec<_>>>()?
        };
        Ok(BatchDecision {
            students,
            classification,
        })
    }

    /// Position of a profile, or [`Error::UnknownId`] saying which call asked.
    fn profile_index(&self, profile: &str, context: &str) -> Result<usize> {
        self.profiles
            .iter()
            .position(|p| p.id == profile)
            .ok_or_else(|| Error::UnknownId {
                kind: "profile",
                id: profile.into(),
                context: format!(" ({context})"),
            })
    }

    /// The composite posterior of every row on one profile (for the cut chooser and
    /// for checking accuracy).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownId`] for an unknown profile; [`Error::WrongItemCount`] /
    /// [`Error::ResponseOutOfRange`] when the data do not fit.
    pub fn composites(
        &self,
        responses: &ResponseMatrix,
        profile: &str,
    ) -> Result<Vec<CompositeDistribution>> {
        let index = self.profile_index(profile, "composites")?;
        responses.check(self.instrument.items(), None)?;
        map_rows_with(
            responses,
            || (),
            |_, _, row| {
                let (_, posteriors) = self.scorer.scales(row);
                self.scorer.composite(index, &posteriors)
            },
        )
        .into_iter()
        .collect()
    }

    /// The cut on a profile's composite that meets a target over a norm sample, with
    /// the expected accuracy and consistency there ([`super::choose_cut`] on
    /// [`Decider::composites`], with the profile's tier thresholds).
    ///
    /// # Errors
    ///
    /// As [`Decider::composites`] and [`super::choose_cut`].
    pub fn choose_cut(
        &self,
        responses: &ResponseMatrix,
        profile: &str,
        target: super::CutTarget,
    ) -> Result<super::CutChoice> {
        let tiers = self.profiles[self.profile_index(profile, "cut chooser")?].tiers;
        super::choose_cut(&self.composites(responses, profile)?, target, tiers)
    }

    /// Lee's (2010) IRT approach for the classification by summed scores, D method:
    /// each scale's summed score is turned into its sum-score EAP, the composite of
    /// those is compared with the cut, and the distribution of that composite given θ
    /// comes from the Lord–Wingersky recursion, evaluated at each student's estimated
    /// θ vector (all items administered).
    ///
    /// # Formula
    ///
    /// ```text
    /// θ̂_i            EAP of every scale for student i
    /// X_s | θ̂_is     summed score of scale s, Lord–Wingersky distribution
    /// Ĉ_i            = Σ_s w̃_s EAP_s(X_s)          sum-score composite
    /// p_i            = P(Ĉ_i > cut | θ̂_i)           (convolution over scales)
    /// true class     = [Σ_s w̃_s θ̂_is > cut]
    /// accuracy       = (1/N) Σ_i [p_i if true class above else 1 − p_i]
    /// consistency    = (1/N) Σ_i [p_i² + (1 − p_i)²]
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::UnknownId`] for an unknown profile; data errors as
    /// [`Decider::composites`]; [`Error::InvalidSetting`] for an empty matrix.
    pub fn sum_score_classification(
        &self,
        responses: &ResponseMatrix,
        profile: &str,
    ) -> Result<super::accuracy::SumScoreClassification> {
        let index = self.profile_index(profile, "sum-score classification")?;
        responses.check(self.instrument.items(), None)?;
        if responses.persons() == 0 {
            return Err(Error::setting("sum-score classification", "no rows"));
        }
        let resolved = &self.profiles[index];
        let scorers = self.scorer.battery.scorers();
        let tables: Vec<Vec<f64>> = resolved
            .components
            .iter()
            .map(|&(s, _)| scorers[s].sum_score_table().theta)
            .collect();
        let weights: Vec<f64> = resolved.components.iter().map(|c| c.1).collect();
        let total: f64 = weights.iter().sum();
        let method = match self.settings.composite {
            CompositeMethod::Normal => CompositeMethod::default(),
            m => m,
        };
        let cut = resolved.cut;
        let per_person = map_rows_with(
            responses,
            || (),
            |_, _, row| -> Result<(f64, f64)> {
                let (_, posteriors) = self.scorer.scales(row);
                let thetas: Vec<f64> = resolved
                    .components
                    .iter()
                    .map(|&(s, _)| estimates_mean(&posteriors[s], self.nodes()))
                    .collect();
                let distributions: Vec<Vec<f64>> = resolved
                    .components
                    .iter()
                    .zip(&thetas)
                    .map(|(&(s, _), &theta)| {
                        super::accuracy::sum_score_distribution(scorers[s].items(), theta)
                    })
                    .collect();
                let values: Vec<&[f64]> = tables.iter().map(Vec::as_slice).collect();
                let masses: Vec<&[f64]> = distributions.iter().map(Vec::as_slice).collect();
                let composite =
                    CompositeDistribution::from_components(&values, &masses, &weights, method)?;
                let p = composite.probability_above(cut);
                let truth: f64 = thetas
                    .iter()
                    .zip(&weights)
                    .map(|(t, w)| w / total * t)
                    .sum();
                let accuracy = if truth > cut { p } else { 1.0 - p };
                Ok((accuracy, p * p + (1.0 - p) * (1.0 - p)))
            },
        )
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
        let n = per_person.len() as f64;
        Ok(super::accuracy::SumScoreClassification {
            profile: profile.into(),
            cut,
            persons: per_person.len(),
            expected_accuracy: per_person.iter().map(|x| x.0).sum::<f64>() / n,
            expected_consistency: per_person.iter().map(|x| x.1).sum::<f64>() / n,
        })
    }

    fn nodes(&self) -> &[f64] {
        self.scorer.battery.scorers()[0].quadrature().nodes()
    }

    fn norm_group(&self, group: &GroupLabel) -> Option<&NormGroup> {
        let norms = self.norms.as_ref()?;
        let label = match self.settings.norm_grouping {
            NormGrouping::All => GroupLabel::default(),
            NormGrouping::Language => GroupLabel {
                language: group.language.clone(),
                region: None,
            },
            NormGrouping::Region => GroupLabel {
                language: None,
                region: group.region.clone(),
            },
        };
        norms.group(&label)
    }

    fn quality(
        &self,
        person: usize,
        row: &[u8],
        timings: Option<&Timings>,
    ) -> Result<(Option<f64>, Vec<QualityFlag>)> {
        let settings = &self.settings.quality;
        let mut flags = Vec::new();
        if let Some(f) = quality::too_many_missing(row, settings) {
            flags.push(f);
        }
        if let Some(f) = quality::long_string(&self.instrument, row, settings) {
            flags.push(f);
        }
        if let Some(f) = quality::inconsistent_pairs(&self.instrument, row, &self.pairs, settings) {
            flags.push(f);
        }
        let mut fit = super::quality::PersonFit::default();
        let mut buffer = Vec::new();
        for (scorer, items) in self
            .fit_scorers
            .scorers()
            .iter()
            .zip(self.instrument.scale_items())
        {
            buffer.clear();
            buffer.extend(items.iter().map(|&i| row[i]));
            // Only θ̂ enters the person fit: no standard error.
            let theta = scorer.theta_row(&buffer);
            if !theta.is_finite() {
                continue;
            }
            let r0 = self
                .fit_prior
                .map_or(0.0, |(mean, sd)| -(theta - mean) / (sd * sd));
            fit = fit.combine(person_fit(scorer.items(), &buffer, theta, r0));
        }
        let lz_star = fit.lz_star();
        if lz_star < settings.person_fit_threshold {
            flags.push(QualityFlag::PersonMisfit { lz_star });
        }
        if let Some(t) = timings
            && let Some(f) = quality::too_fast(person, row, t, settings)?
        {
            flags.push(f);
        }
        Ok((lz_star.is_finite().then_some(lz_star), flags))
    }

    fn explain(&self, d: &StudentDecision) -> Vec<ExplanationKey> {
        let mut keys = Vec::new();
        let focus = &d.profiles[self.focus];
        let profile = || Argument::Profile(focus.profile.clone());
        keys.push(
            ExplanationKey::new(format!("tier.{}", focus.tier.name())).with("profile", profile()),
        );
        let p = focus.p_above_cut;
        let level = if p >= 0.95 {
            "certainty.very_likely_above"
        } else if p >= 0.8 {
            "certainty.likely_above"
        } else if p > 0.2 {
            "certainty.uncertain"
        } else if p > 0.05 {
            "certainty.likely_below"
        } else {
            "certainty.very_likely_below"
        };
        let chances = |q: f64| Argument::Number(((q * 100.0).round() as i64).clamp(1, 99));
        let chances_above = chances(p);
        let chances_below = chances(1.0 - p);
        keys.push(
            ExplanationKey::new(level)
                .with("profile", profile())
                .with("probability", chances_above)
                .with("probability_below", chances_below),
        );
        keys.push(ExplanationKey::new("uncertainty.what_it_means"));
        if focus.tier != Tier::Recommended {
            keys.push(ExplanationKey::new("uncertainty.not_a_verdict"));
        }
        let all = &focus.contributions;
        let mut order: Vec<usize> = (0..all.len()).collect();
        crate::order::sort_indices(&mut order, &|a, b| {
            all[b].contribution.total_cmp(&all[a].contribution)
        });
        let contributions: Vec<&Contribution> = order.iter().map(|&i| &all[i]).collect();
        let scale_percentile = |id: &str| {
            d.scales
                .iter()
                .find(|s| s.scale == id)
                .and_then(|s| s.percentile)
        };
        for c in contributions
            .iter()
            .filter(|c| c.contribution >= 0.05)
            .take(2)
        {
            keys.push(
                ExplanationKey::new("composite.raised_by")
                    .with("scale", Argument::Scale(c.scale.clone())),
            );
        }
        for c in contributions
            .iter()
            .rev()
            .filter(|c| c.contribution <= -0.05)
            .take(2)
        {
            keys.push(
                ExplanationKey::new("composite.lowered_by")
                    .with("scale", Argument::Scale(c.scale.clone())),
            );
        }
        if let Some(pr) = focus.percentile {
            keys.push(
                ExplanationKey::new("norm.composite")
                    .with("profile", profile())
                    .with("percentile", Argument::Number(pr.round() as i64))
                    .with(
                        "stanine",
                        Argument::Number(i64::from(focus.stanine.unwrap_or(5))),
                    ),
            );
            let mentioned: Vec<&str> = contributions
                .iter()
                .filter(|c| c.contribution.abs() >= 0.05)
                .map(|c| c.scale.as_str())
                .collect();
            for id in mentioned {
                if let Some(pr) = scale_percentile(id) {
                    keys.push(
                        ExplanationKey::new("norm.scale")
                            .with("scale", Argument::Scale(id.into()))
                            .with("percentile", Argument::Number(pr.round() as i64)),
                    );
                }
            }
        }
        for (i, id) in d.ranking.iter().take(3).enumerate() {
            let key = if i == 0 {
                "ranking.best"
            } else {
                "ranking.next"
            };
            keys.push(ExplanationKey::new(key).with("profile", Argument::Profile(id.clone())));
        }
        if d.caution {
            keys.push(ExplanationKey::new("quality.caution"));
            for flag in &d.quality {
                let mut key = ExplanationKey::new(flag.key());
                match flag {
                    QualityFlag::TooManyMissing { missing, items } => {
                        key = key
                            .with("missing", Argument::Number(*missing as i64))
                            .with("items", Argument::Number(*items as i64));
                    }
                    QualityFlag::TooFast {
                        seconds_per_item, ..
                    } => {
                        key = key.with("seconds", Argument::Decimal(*seconds_per_item));
                    }
                    _ => {}
                }
                keys.push(key);
            }
        }
        keys
    }
}

pub(crate) fn estimates_mean(posterior: &[f64], nodes: &[f64]) -> f64 {
    nodes.iter().zip(posterior).map(|(t, p)| t * p).sum()
}
