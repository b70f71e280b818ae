//! The teaching-aptitude decision (and any other profession profile): from a student's
//! answers to scale scores, profile composites with their uncertainty, a three-tier
//! flag, a ranking of professions, response-quality flags and explanation keys; plus
//! decision quality for a batch, norms and a cut chooser.
//!
//! # Model and conventions
//!
//! * **Scales** are scored separately (between-item structure), each with its own
//!   prior (default N(0, 1)), so given a student's answers the scale posteriors are
//!   independent. The posterior of each scale is the quadrature posterior the EAP uses
//!   (61 nodes on [−6, 6] by default).
//! * **Composite** of a profile: C = Σ_s w̃_s θ_s with w̃_s = w_s / Σ_t w_t (weights from
//!   the instrument's profile). Its posterior mean is Σ w̃_s E[θ_s], its variance
//!   Σ w̃_s² Var[θ_s]. P(C > cut | answers) comes from the exact distribution of the
//!   weighted sum of the discrete scale posteriors, convolved on a 0.01 lattice
//!   ([`CompositeDistribution`]); a normal approximation is available
//!   ([`CompositeMethod::Normal`]).
//! * **The cut** is on the θ metric of the composite, or a percentile of the norm group.
//!   The population SD of C is below 1 whenever the scales are not perfectly
//!   correlated (Var C = Σ_s Σ_t w̃_s w̃_t ρ_st ≤ 1), so a θ cut of 0.5 is not "the top
//!   31 %": a percentile cut is converted with the norm group's latent composite moments,
//!   cut = μ_C + σ_C Φ⁻¹(q/100), where σ_C² = Σ_s Σ_t w̃_s w̃_t C_st and the latent
//!   scale covariances C come from the norm sample's posterior moments: Var(posterior
//!   means) + mean posterior variance on the diagonal (law of total variance),
//!   Cov(posterior means)/(ρ_s ρ_t) off it (ρ_s the shrinkage of scale s).
//! * **Tiers** ([`Tier`]): recommended when P ≥ 0.8, not indicated when P ≤ 0.2,
//!   borderline (talk with a counselor) in between; thresholds come from the profile
//!   and can be replaced for all profiles in [`DecisionSettings::tiers`], cuts per
//!   profile in [`DecisionSettings::cuts`].
//! * **Ranking**: profiles by P(C > cut), ties by posterior mean minus cut.
//! * **Decision quality** ([`classification_quality`], [`rudner`]): Rudner's (2001,
//!   2005) expected accuracy and consistency with each person's composite posterior in
//!   place of N(θ̂, SE²); a person is classified above when the posterior mean exceeds
//!   the cut. Lee's (2010) IRT approach (D method) is given for the classification by
//!   summed scores ([`Decider::sum_score_classification`]): Lord–Wingersky
//!   distributions of each scale's summed score at the student's θ̂, mapped to
//!   sum-score EAPs and convolved into the composite.
//! * **Caveat of independence.** The scales of a battery correlate in the population
//!   (the teacher scales share a "people orientation"), but each scale's prior is
//!   N(0, 1) on its own. Posteriors are therefore slightly too narrow or too wide for
//!   the composite compared with a multidimensional prior; the simulation test
//!   compares reported and realized accuracy to keep this honest.
//! * **Norms** ([`Norms`]): mid-rank percentile ranks, PR = 100 (#below + ½ #equal)/N,
//!   scores rounded to 0.01; stanines with boundaries 4-11-23-40-60-77-89-96 %.
//! * **Quality flags** ([`QualityFlag`]) never stop scoring; they set `caution`.
//!   Defaults: long-string when at least 3 scales (of ≥ 4 Likert items) have a run of
//!   identical answers over ≥ 70 % of their items; person misfit when the battery lz*
//!   (Snijders 2001; per-scale terms at the MAP estimate, summed) is below −1.96; at
//!   least 2 opposite-worded pairs (data: `data/quality/kasip-demo-pairs.json`)
//!   answered at the same extreme; more than 20 % blanks; under 2 s per answered item.
//!   With 5–12 items per scale the estimated-θ correction of lz* leaves a positive bias
//!   of about +0.17 per scale, so on honest simulated answers the battery lz* centres
//!   near +0.5 (SD ≈ 0.95) and the −1.96 flag fires for about 1 % rather than 2.5 %.
//! * **Explanations** ([`ExplanationKey`], [`Explanations`]): the decision carries keys
//!   with arguments; the Kazakh, Russian and English texts (student and counselor) are
//!   data in `data/explanations/explanations.json`, bundled at build time.
//!
//! # Examples
//!
//! ```
//! use bagdar::decide::{Audience, DecisionSettings, Decider, Explanations};
//! use bagdar::instrument::Instrument;
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json");
//! let instrument = Instrument::from_json(&std::fs::read_to_string(path).unwrap())?;
//! let decider = Decider::new(&instrument, DecisionSettings::default(), None)?;
//! // A student who answers the middle option everywhere and gets half the tests right.
//! let answers: Vec<Option<i64>> = instrument.definition().items.iter().enumerate()
//!     .map(|(i, item)| Some(match item.key { Some(k) if i % 2 == 0 => k, Some(k) => if k == 1 { 2 } else { 1 }, None => 3 }))
//!     .collect();
//! let row = instrument.code_answers(0, &answers)?;
//! let decision = decider.decide_row(&row, None)?;
//! let teacher = &decision.profiles[0];
//! assert_eq!(teacher.profile, "teacher");
//! assert!(teacher.p_above_cut < 0.5);
//! let texts = Explanations::bundled()?;
//! let lines = texts.render_all(&decision.explanations, "kk", Audience::Student, &instrument)?;
//! assert!(lines[0].starts_with("«Мұғалім»"));
//! # Ok::<(), bagdar::Error>(())
//! ```

mod accuracy;
mod composite;
mod decider;
mod explain;
mod normal;
mod norms;
mod quality;

pub use accuracy::{
    ClassificationQuality, ClassificationTally, CutChoice, CutTarget, SumScoreClassification,
    choose_cut, classification_quality, evaluate_cut, rudner, sum_score_distribution,
};
pub use composite::{CompositeDistribution, CompositeMethod};
pub use decider::{
    BatchDecision, Contribution, Decider, DecisionSettings, NormGrouping, ProfileResult,
    ScaleResult, StudentDecision, Tier,
};
pub use explain::{
    Argument, Audience, BUNDLED_EXPLANATIONS, EXPLANATION_KEYS, ExplanationKey, ExplanationText,
    Explanations, placeholders,
};
pub use normal::{normal_cdf, normal_quantile};
pub use norms::{
    CompositeNorm, GroupLabel, NORM_RESOLUTION, NormGroup, NormTable, Norms, STANINE_BOUNDARIES,
    build_norms, stanine,
};
pub use quality::{
    ItemPair, ItemPairs, PersonFit, QualityFlag, QualitySettings, Timings, person_fit,
};

#[cfg(test)]
mod tests;
