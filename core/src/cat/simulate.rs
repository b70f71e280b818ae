//! Seeded CAT simulation: bias and RMSE, test length, exposure and overlap,
//! classification agreement with the full fixed form; and Sympson–Hetter parameters
//! by iterative simulation.

use super::engine::{CatEngine, Decision};
use super::session::CatSession;
use super::settings::{CatSettings, Exposure};
use crate::decide::{Decider, DecisionSettings, Tier};
use crate::error::{Error, Result};
use crate::instrument::Instrument;
use crate::response::MISSING;
use crate::simulate::draw_category;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimulationSettings {
    /// Number of simulees.
    pub students: usize,
    /// Seed of every random step.
    pub seed: u64,
    /// Mean of the true θ (every scale, independently).
    pub theta_mean: f64,
    /// SD of the true θ.
    pub theta_sd: f64,
    /// Profile whose tier is compared with the full fixed form (default: `teacher` when
    /// the instrument has it; none when it has no profiles).
    pub profile: Option<String>,
}

impl Default for SimulationSettings {
    fn default() -> Self {
        SimulationSettings {
            students: 1000,
            seed: 1,
            theta_mean: 0.0,
            theta_sd: 1.0,
            profile: None,
        }
    }
}

/// Recovery and classification on one scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleSummary {
    /// Scale id.
    pub scale: String,
    /// Mean of θ̂ − θ (CAT).
    pub bias: f64,
    /// √mean (θ̂ − θ)² (CAT).
    pub rmse: f64,
    /// Mean reported SE (CAT).
    pub mean_se: f64,
    /// √mean (θ̂ − θ)² of the full fixed form (every item of the scale).
    pub full_form_rmse: f64,
    /// Mean number of items given on the scale.
    pub mean_items: f64,
    /// Classification against the scale's cut, when a rule is set.
    pub classification: Option<ScaleClassification>,
}

/// How a scale's classification came out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleClassification {
    /// The cut.
    pub cut: f64,
    /// Share decided by the sequential test (not by the length limits).
    pub decided_by_test: f64,
    /// Share whose decision equals true θ vs the cut.
    pub accuracy: f64,
    /// Share whose decision equals the full form's θ̂ vs the cut.
    pub agreement_with_full_form: f64,
    /// Share of the full form's decisions equal to true θ vs the cut.
    pub full_form_accuracy: f64,
}

/// Test length over simulees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LengthSummary {
    /// Mean items per session.
    pub mean: f64,
    /// SD of items per session.
    pub sd: f64,
    /// Shortest session.
    pub min: usize,
    /// Longest session.
    pub max: usize,
    /// `distribution[n]` = number of sessions of n items.
    pub distribution: Vec<usize>,
}

/// Exposure of one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemExposure {
    /// Item id.
    pub item: String,
    /// Share of simulees given the item.
    pub rate: f64,
}

/// Agreement of a profile's tier between the CAT and the full fixed form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileAgreement {
    /// Profile id.
    pub profile: String,
    /// Share with the same tier.
    pub tier_agreement: f64,
    /// Share with the same side of the cut (posterior mean of the composite).
    pub side_agreement: f64,
    /// Share of CAT sides equal to the true composite's side.
    pub cat_accuracy: f64,
    /// Share of full-form sides equal to the true composite's side.
    pub full_form_accuracy: f64,
}

/// Everything a simulation reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationReport {
    /// Simulees.
    pub students: usize,
    /// Seed.
    pub seed: u64,
    /// Instrument checksum.
    pub instrument_checksum: String,
    /// Per routed scale, in routing order.
    pub scales: Vec<ScaleSummary>,
    /// Session lengths.
    pub length: LengthSummary,
    /// Per item, in instrument order.
    pub exposure: Vec<ItemExposure>,
    /// Highest item exposure rate.
    pub max_exposure: f64,
    /// Items never given.
    pub unused_items: usize,
    /// Mean pairwise overlap: Σ_i c_i(c_i − 1) / ((N − 1) Σ_j L_j), c_i the item counts
    /// and L_j the session lengths (Chen, Ankenmann & Spray 2003, for variable length).
    pub overlap: f64,
    /// The profile comparison, when a profile is used.
    pub profile: Option<ProfileAgreement>,
}

struct Simulee {
    truth: Vec<f64>,
    full: Vec<crate::score::Estimate>,
    cat: Vec<crate::score::Estimate>,
    decisions: Vec<Option<(Decision, bool)>>,
    items: Vec<usize>,
    scale_items: Vec<usize>,
    profile: Option<ProfileOutcome>,
    considered: Vec<usize>,
}

/// One simulee's profile result: tiers and sides of the cut by the CAT and the full
/// form, and the side of the true composite.
struct ProfileOutcome {
    cat_tier: Tier,
    cat_above: bool,
    full_tier: Tier,
    full_above: bool,
    true_above: bool,
}

/// The profile compared with the full form: decider, profile position, normalized
/// components and the θ cut.
struct ProfileTarget {
    decider: Decider,
    index: usize,
    components: Vec<(usize, f64)>,
    cut: f64,
}

/// A seed for stream `index` of `seed` (splitmix64), for seeds that must differ per
/// simulee.
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

struct Context<'a> {
    instrument: &'a Instrument,
    engine: Arc<CatEngine>,
    battery: crate::instrument::BatteryScorer,
    decider: Option<ProfileTarget>,
    normal: Normal<f64>,
    seed: u64,
}

impl Context<'_> {
    fn run(&self, index: usize) -> Result<Simulee> {
        let scales = self.engine.scale_ids().len();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(index as u64);
        let truth: Vec<f64> = (0..scales).map(|_| self.normal.sample(&mut rng)).collect();
        let items = self.engine.items();
        let row: Vec<u8> = items
            .iter()
            .zip(self.engine.item_scales())
            .map(|(f, &s)| draw_category(f, truth[s], &mut rng))
            .collect();
        let language = self.engine.languages()[0].clone();
        let mut session =
            CatSession::with_engine(self.engine.clone(), &language, mix(self.seed, index as u64))?;
        while let Some(i) = session.next_index() {
            session.answer_category(row[i]);
        }
        let estimates = session.estimates();
        let mut cat_row = vec![MISSING; items.len()];
        let administered: Vec<usize> = session.administered().iter().map(|&(i, _)| i).collect();
        for &(i, c) in session.administered() {
            cat_row[i] = c;
        }
        let full = self.battery.score_row(&row);
        let profile = match &self.decider {
            None => None,
            Some(target) => {
                let a = &target.decider.decide_row(&cat_row, None)?.profiles[target.index];
                let b = &target.decider.decide_row(&row, None)?.profiles[target.index];
                let true_composite: f64 =
                    target.components.iter().map(|(s, w)| w * truth[*s]).sum();
                Some(ProfileOutcome {
                    cat_tier: a.tier,
                    cat_above: a.composite_mean > a.cut,
                    full_tier: b.tier,
                    full_above: b.composite_mean > b.cut,
                    true_above: true_composite > target.cut,
                })
            }
        };
        let mut considered = session.progress().considered.clone();
        considered.sort_unstable();
        considered.dedup();
        Ok(Simulee {
            truth,
            full,
            cat: estimates.iter().map(|e| e.estimate).collect(),
            decisions: estimates
                .iter()
                .map(|e| e.classification.map(|c| (c.decision, c.by_test)))
                .collect(),
            scale_items: estimates.iter().map(|e| e.items).collect(),
            items: administered,
            profile,
            considered,
        })
    }
}

fn run_all(context: &Context, students: usize) -> Result<Vec<Simulee>> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..students)
            .into_par_iter()
            .map(|i| context.run(i))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..students).map(|i| context.run(i)).collect()
    }
}

fn check_simulation(settings: &SimulationSettings) -> Result<Normal<f64>> {
    if settings.students < 2 || settings.students > 10_000_000 {
        return Err(Error::setting(
            "students",
            format!("{} is not between 2 and 10000000", settings.students),
        ));
    }
    if !settings.theta_mean.is_finite() {
        return Err(Error::setting(
            "theta_mean",
            format!("{} is not finite", settings.theta_mean),
        ));
    }
    Normal::new(settings.theta_mean, settings.theta_sd)
        .ok()
        .filter(|_| settings.theta_sd.is_finite() && settings.theta_sd > 0.0)
        .ok_or_else(|| {
            Error::setting(
                "theta_sd",
                format!("{} must be finite and > 0", settings.theta_sd),
            )
        })
}

fn context<'a>(
    instrument: &'a Instrument,
    engine: Arc<CatEngine>,
    settings: &SimulationSettings,
    with_profile: bool,
) -> Result<Context<'a>> {
    let normal = check_simulation(settings)?;
    let scoring = engine.settings().estimation.scoring.clone();
    let battery = instrument.scorers(&crate::score::ScoringSettings {
        method: crate::score::Method::Eap,
        ..scoring.clone()
    })?;
    let profiles = &instrument.definition().profiles;
    let profile = match &settings.profile {
        Some(id) => Some(id.clone()),
        None => profiles
            .iter()
            .find(|p| p.id == "teacher")
            .or(profiles.first())
            .map(|p| p.id.clone()),
    };
    let decider = match profile.filter(|_| with_profile) {
        None => None,
        Some(id) => {
            let p = profiles
                .iter()
                .position(|p| p.id == id)
                .ok_or_else(|| Error::UnknownId {
                    kind: "profile",
                    id: id.clone(),
                    context: " (simulation settings)".into(),
                })?;
            let decider = Decider::new(
                instrument,
                DecisionSettings {
                    scoring: crate::score::ScoringSettings {
                        method: crate::score::Method::Eap,
                        ..scoring
                    },
                    ..DecisionSettings::default()
                },
                None,
            )?;
            let total: f64 = profiles[p].components.iter().map(|c| c.weight).sum();
            let components = profiles[p]
                .components
                .iter()
                .map(|c| {
                    (
                        instrument.scale_index(&c.scale).expect("valid"),
                        c.weight / total,
                    )
                })
                .collect();
            let cut = decider
                .cuts()
                .into_iter()
                .find(|(pid, _)| *pid == id)
                .map(|(_, c)| c)
                .expect("a cut per profile");
            Some(ProfileTarget {
                decider,
                index: p,
                components,
                cut,
            })
        }
    };
    Ok(Context {
        instrument,
        engine,
        battery,
        decider,
        normal,
        seed: settings.seed,
    })
}

/// Simulates `settings.students` adaptive sessions and summarizes them.
///
/// # Formula
///
/// ```text
/// θ_js ~ N(μ, σ²) independently per simulee j and scale s (ChaCha8 stream j of seed)
/// x_ji ~ P_i(θ_j,scale(i)) for every item (the same answers feed the CAT and the full form)
/// bias_s = mean_j (θ̂_js − θ_js),  RMSE_s = √mean_j (θ̂_js − θ_js)²
/// exposure_i = c_i / N,  overlap = Σ_i c_i(c_i − 1) / ((N − 1) Σ_j L_j)
/// ```
///
/// Full-form estimates are EAP on every item with the CAT's grid and prior. Results
/// do not depend on the number of threads.
///
/// # Errors
///
/// [`Error::InvalidSetting`] for fewer than 2 students or a bad θ distribution;
/// settings errors as for [`CatSettings::check`]; [`Error::UnknownId`] for an unknown
/// profile; decision errors as for [`Decider::new`].
///
/// # Examples
///
/// ```
/// use bagdar::cat::{CatSettings, SimulationSettings, simulate};
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// let cat = CatSettings { scales: vec!["verbal".into()], se_target: Some(0.5), ..CatSettings::default() };
/// let sim = SimulationSettings { students: 200, seed: 3, ..SimulationSettings::default() };
/// let report = simulate(&instrument, &cat, &sim)?;
/// assert_eq!(report.students, 200);
/// assert!(report.scales[0].rmse < 0.7);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn simulate(
    instrument: &Instrument,
    settings: &CatSettings,
    simulation: &SimulationSettings,
) -> Result<SimulationReport> {
    let engine = Arc::new(CatEngine::new(instrument, settings.clone())?);
    let ctx = context(instrument, engine.clone(), simulation, true)?;
    let runs = run_all(&ctx, simulation.students)?;
    Ok(summarize(&ctx, &runs))
}

fn summarize(ctx: &Context, runs: &[Simulee]) -> SimulationReport {
    let engine = &ctx.engine;
    let n = runs.len() as f64;
    let mean = |f: &dyn Fn(&Simulee) -> f64| runs.iter().map(f).sum::<f64>() / n;
    let scales = engine
        .route()
        .iter()
        .map(|&s| {
            let classification = engine.cut(s).map(|cut| {
                let side = |t: f64| {
                    if t > cut {
                        Decision::Above
                    } else {
                        Decision::Below
                    }
                };
                let share =
                    |f: &dyn Fn(&Simulee) -> bool| runs.iter().filter(|r| f(r)).count() as f64 / n;
                ScaleClassification {
                    cut,
                    decided_by_test: share(&|r| r.decisions[s].is_some_and(|d| d.1)),
                    accuracy: share(&|r| r.decisions[s].map(|d| d.0) == Some(side(r.truth[s]))),
                    agreement_with_full_form: share(&|r| {
                        r.decisions[s].map(|d| d.0) == Some(side(r.full[s].theta))
                    }),
                    full_form_accuracy: share(&|r| side(r.full[s].theta) == side(r.truth[s])),
                }
            });
            ScaleSummary {
                scale: engine.scale_ids()[s].clone(),
                bias: mean(&|r| r.cat[s].theta - r.truth[s]),
                rmse: mean(&|r| (r.cat[s].theta - r.truth[s]).powi(2)).sqrt(),
                mean_se: mean(&|r| r.cat[s].se),
                full_form_rmse: mean(&|r| (r.full[s].theta - r.truth[s]).powi(2)).sqrt(),
                mean_items: mean(&|r| r.scale_items[s] as f64),
                classification,
            }
        })
        .collect();
    let lengths: Vec<usize> = runs.iter().map(|r| r.items.len()).collect();
    let mean_length = lengths.iter().sum::<usize>() as f64 / n;
    let sd = (lengths
        .iter()
        .map(|&l| (l as f64 - mean_length).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    let max = lengths.iter().copied().max().unwrap_or(0);
    let mut distribution = vec![0; max + 1];
    for &l in &lengths {
        distribution[l] += 1;
    }
    let mut counts = vec![0usize; engine.items().len()];
    for r in runs {
        for &i in &r.items {
            counts[i] += 1;
        }
    }
    let exposure: Vec<ItemExposure> = counts
        .iter()
        .zip(engine.item_ids())
        .map(|(&c, id)| ItemExposure {
            item: id.clone(),
            rate: c as f64 / n,
        })
        .collect();
    let pairs: f64 = counts.iter().map(|&c| c as f64 * (c as f64 - 1.0)).sum();
    let total_length = lengths.iter().sum::<usize>() as f64;
    let overlap = if total_length > 0.0 {
        pairs / ((n - 1.0) * total_length)
    } else {
        0.0
    };
    let profile = ctx.decider.as_ref().map(|target| {
        let share = |f: &dyn Fn(&ProfileOutcome) -> bool| {
            runs.iter()
                .filter(|r| r.profile.as_ref().is_some_and(f))
                .count() as f64
                / n
        };
        ProfileAgreement {
            profile: ctx.instrument.definition().profiles[target.index]
                .id
                .clone(),
            tier_agreement: share(&|t| t.cat_tier == t.full_tier),
            side_agreement: share(&|t| t.cat_above == t.full_above),
            cat_accuracy: share(&|t| t.cat_above == t.true_above),
            full_form_accuracy: share(&|t| t.full_above == t.true_above),
        }
    });
    SimulationReport {
        students: runs.len(),
        seed: ctx.seed,
        instrument_checksum: engine.checksum().to_string(),
        scales,
        length: LengthSummary {
            mean: mean_length,
            sd,
            min: lengths.iter().copied().min().unwrap_or(0),
            max,
            distribution,
        },
        max_exposure: exposure.iter().map(|e| e.rate).fold(0.0, f64::max),
        unused_items: counts.iter().filter(|&&c| c == 0).count(),
        exposure,
        overlap,
        profile,
    }
}

/// Settings of the Sympson–Hetter iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SympsonHetterSettings {
    /// Target maximum exposure rate r (0 < r < 1).
    pub target: f64,
    /// Iterations.
    pub iterations: usize,
    /// Simulees and θ distribution of each iteration (the profile is not used).
    pub simulation: SimulationSettings,
}

impl Default for SympsonHetterSettings {
    fn default() -> Self {
        SympsonHetterSettings {
            target: 0.25,
            iterations: 10,
            simulation: SimulationSettings::default(),
        }
    }
}

/// The result of [`sympson_hetter`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SympsonHetterResult {
    /// Item id → k_i for the items with k_i < 1 (put them in
    /// [`Exposure::SympsonHetter`]).
    pub parameters: BTreeMap<String, f64>,
    /// Highest exposure rate in each iteration's simulation.
    pub max_exposure: Vec<f64>,
}

/// Sympson–Hetter exposure-control parameters by iterative simulation (Sympson &
/// Hetter 1985).
///
/// # Formula
///
/// ```text
/// k_i ← 1;  repeat: simulate with k;  P(S_i) = share of simulees reaching item i in the lottery
/// k_i ← r / P(S_i) if P(S_i) > r, else 1
/// ```
///
/// Every iteration uses the same simulees (common random numbers), so the sequence is
/// reproducible; the exposure control of `settings` is replaced.
///
/// # Errors
///
/// [`Error::InvalidSetting`] for r ∉ (0, 1) or 0 iterations; otherwise as [`simulate`].
///
/// # Examples
///
/// ```
/// use bagdar::cat::{CatSettings, Length, SimulationSettings, SympsonHetterSettings, sympson_hetter};
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// let cat = CatSettings { scales: vec!["verbal".into()], se_target: None,
///     length: Length { min: 4, max: Some(4) }, ..CatSettings::default() };
/// let sh = SympsonHetterSettings { target: 0.5, iterations: 5,
///     simulation: SimulationSettings { students: 300, seed: 1, ..SimulationSettings::default() } };
/// let result = sympson_hetter(&instrument, &cat, &sh)?;
/// assert!(result.max_exposure[0] > 0.9); // without control the best item goes to almost everyone
/// assert!(result.parameters.values().all(|&k| k > 0.0 && k < 1.0));
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn sympson_hetter(
    instrument: &Instrument,
    settings: &CatSettings,
    sh: &SympsonHetterSettings,
) -> Result<SympsonHetterResult> {
    if !(sh.target > 0.0 && sh.target < 1.0) {
        return Err(Error::setting(
            "target",
            format!("{} must be in (0, 1)", sh.target),
        ));
    }
    if sh.iterations == 0 {
        return Err(Error::setting("iterations", "must be at least 1"));
    }
    let mut parameters: BTreeMap<String, f64> = BTreeMap::new();
    let mut max_exposure = Vec::with_capacity(sh.iterations);
    for _ in 0..sh.iterations {
        let current = CatSettings {
            exposure: Exposure::SympsonHetter {
                parameters: parameters.clone(),
            },
            ..settings.clone()
        };
        let engine = Arc::new(CatEngine::new(instrument, current)?);
        let ctx = context(instrument, engine.clone(), &sh.simulation, false)?;
        let runs = run_all(&ctx, sh.simulation.students)?;
        let n = runs.len() as f64;
        let mut selected = vec![0usize; engine.items().len()];
        let mut administered = vec![0usize; engine.items().len()];
        for r in &runs {
            for &i in &r.considered {
                selected[i] += 1;
            }
            for &i in &r.items {
                administered[i] += 1;
            }
        }
        max_exposure.push(
            administered
                .iter()
                .map(|&c| c as f64 / n)
                .fold(0.0, f64::max),
        );
        parameters.clear();
        for (i, &c) in selected.iter().enumerate() {
            let p = c as f64 / n;
            if p > sh.target {
                parameters.insert(engine.item_ids()[i].clone(), sh.target / p);
            }
        }
    }
    Ok(SympsonHetterResult {
        parameters,
        max_exposure,
    })
}
