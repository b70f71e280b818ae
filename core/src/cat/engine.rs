//! The compiled CAT engine (tables on the grids, routing, selection, interim
//! estimation, stopping) and the per-student progress it updates.

use super::settings::{CatSettings, ClassificationMethod, Criterion, Exposure, Routing};
use crate::error::{Error, Result};
use crate::instrument::{AnswerScoring, Instrument};
use crate::model::{MAX_CATEGORIES, ResponseCurve, ResponseFunction};
use crate::quadrature::{Grid, Prior, Quadrature};
use crate::response::MISSING;
use crate::score::{Estimate, LogTable, Method, Scorer, ScoringSettings, Status};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Why one scale of a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleStop {
    /// The classification test decided (SPRT or GLR).
    Classified,
    /// SE at or below the target.
    SeTarget,
    /// The scale's maximum length was reached.
    MaxLength,
    /// No eligible item has information above `min_information` at θ̂.
    InformationExhausted,
    /// No eligible item is left (all administered, enemies or set aside).
    BankExhausted,
}

impl ScaleStop {
    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            ScaleStop::Classified => "classified",
            ScaleStop::SeTarget => "se_target",
            ScaleStop::MaxLength => "max_length",
            ScaleStop::InformationExhausted => "information_exhausted",
            ScaleStop::BankExhausted => "bank_exhausted",
        }
    }
}

/// Why a whole session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every scale has ended (see each scale's [`ScaleStop`]).
    AllScalesDone,
    /// The session's maximum length (`max_total`) was reached.
    MaxTotal,
}

impl StopReason {
    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            StopReason::AllScalesDone => "all_scales_done",
            StopReason::MaxTotal => "max_total",
        }
    }
}

/// A classification against a cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// θ above the cut.
    Above,
    /// θ below the cut.
    Below,
}

/// A scale's classification: the decision and whether the sequential test made it
/// (`false`: the scale ended otherwise and θ̂ was compared with the cut).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// The cut on the θ metric.
    pub cut: f64,
    /// Above or below.
    pub decision: Decision,
    /// True when the SPRT/GLR reached a bound.
    pub by_test: bool,
    /// The final log likelihood ratio Λ.
    pub log_ratio: f64,
}

#[derive(Debug, Clone)]
struct Rule {
    cut: f64,
    theta_low: f64,
    theta_high: f64,
    upper: f64,
    lower: f64,
    method: ClassificationMethod,
}

/// Per-item log-probability prefix sums on a fine grid, for the KL integral.
#[derive(Debug, Clone)]
struct KlTable {
    min: f64,
    step: f64,
    points: usize,
    offsets: Vec<usize>,
    prefix: Vec<f64>,
}

/// An instrument compiled with CAT settings: item tables on the grids and every
/// resolved setting. Cheap to share (sessions hold it in an `Arc`).
///
/// # Examples
///
/// ```
/// use bagdar::cat::{CatEngine, CatSettings};
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/instruments/kasip-demo.json")).unwrap();
/// let instrument = bagdar::instrument::Instrument::from_json(&json)?;
/// let engine = CatEngine::new(&instrument, CatSettings::default())?;
/// assert_eq!(engine.scale_ids().len(), 12);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CatEngine {
    checksum: String,
    settings: CatSettings,
    languages: Vec<String>,
    item_ids: Vec<String>,
    items: Vec<ResponseFunction>,
    answer_scoring: Vec<AnswerScoring>,
    item_scale: Vec<usize>,
    item_position: Vec<usize>,
    scale_ids: Vec<String>,
    scale_items: Vec<Vec<usize>>,
    route: Vec<usize>,
    lengths: Vec<(usize, usize)>,
    rules: Vec<Option<Rule>>,
    nodes: Vec<f64>,
    log_prior: Vec<f64>,
    table: LogTable,
    information: Vec<f64>,
    kl: Option<KlTable>,
    enemies: Vec<Vec<usize>>,
    exposure_k: Vec<f64>,
    item_area: Vec<Option<usize>>,
    area_targets: Vec<f64>,
    scorers: Vec<Scorer>,
    fallback_scorers: Vec<Scorer>,
    start: f64,
    bound: Vec<f64>,
    bound_order: Vec<Vec<usize>>,
    regular_grid: bool,
}

/// Everything a session has done and derived; rebuilt exactly by replaying the log.
#[derive(Debug, Clone)]
pub(crate) struct Progress {
    pub(crate) administered: Vec<bool>,
    blocked: Vec<bool>,
    pub(crate) order: Vec<(usize, u8)>,
    pub(crate) scale_count: Vec<usize>,
    area_count: Vec<usize>,
    loglik: Vec<f64>,
    posterior: Vec<f64>,
    rule_loglik: Vec<(f64, f64)>,
    pub(crate) estimates: Vec<Estimate>,
    pub(crate) fallback: Vec<bool>,
    theta_select: Vec<f64>,
    pub(crate) scale_stop: Vec<Option<ScaleStop>>,
    pub(crate) decided: Vec<Option<(Decision, f64)>>,
    last_scale: Option<usize>,
    pub(crate) stop: Option<StopReason>,
    rows: Vec<Vec<u8>>,
    scratch: Vec<(f64, usize)>,
    /// Items reached in the Sympson–Hetter lottery (for computing the parameters).
    pub(crate) considered: Vec<usize>,
}

impl CatEngine {
    /// Checks the settings and compiles the instrument: log-probabilities and
    /// information of every item on the scoring grid, KL prefix sums when KL is used.
    ///
    /// # Errors
    ///
    /// As [`CatSettings::check`].
    pub fn new(instrument: &Instrument, settings: CatSettings) -> Result<Self> {
        settings.check(instrument)?;
        let d = instrument.definition();
        let scoring = &settings.estimation.scoring;
        let quadrature = Quadrature::new(&scoring.grid, &scoring.prior)?;
        let nodes = quadrature.nodes().to_vec();
        let items = instrument.items().to_vec();
        let table = LogTable::rows_only(&items, &nodes);
        // PWI sums it; KL interpolates it for the min_information check. MFI needs
        // neither (its criterion is the exact information).
        let regular_grid = matches!(scoring.prior, Prior::Normal { .. });
        let information = if settings.selection.criterion == Criterion::Mfi {
            Vec::new()
        } else {
            items
                .iter()
                .flat_map(|f| nodes.iter().map(|&t| f.information(t)))
                .collect()
        };
        let scale_ids: Vec<String> = instrument.scales().iter().map(|s| s.id.clone()).collect();
        let scale_items = instrument.scale_items().to_vec();
        let mut item_position = vec![0; items.len()];
        for members in &scale_items {
            for (p, &i) in members.iter().enumerate() {
                item_position[i] = p;
            }
        }
        let route = if settings.scales.is_empty() {
            (0..scale_ids.len()).collect()
        } else {
            settings
                .scales
                .iter()
                .map(|id| instrument.scale_index(id).expect("checked"))
                .collect()
        };
        let lengths = scale_ids
            .iter()
            .map(|id| {
                let l = settings.length_of(id);
                (l.min, l.max.unwrap_or(usize::MAX))
            })
            .collect();
        let mut rules = vec![None; scale_ids.len()];
        for rule in &settings.classification {
            let s = instrument.scale_index(&rule.scale).expect("checked");
            let cut = rule.cut_theta(instrument)?;
            rules[s] = Some(Rule {
                cut,
                theta_low: cut - rule.indifference,
                theta_high: cut + rule.indifference,
                upper: ((1.0 - rule.beta) / rule.alpha).ln(),
                lower: (rule.beta / (1.0 - rule.alpha)).ln(),
                method: rule.method,
            });
        }
        let kl = (settings.selection.criterion == Criterion::Kl)
            .then(|| KlTable::new(&items, &scoring.grid, settings.selection.kl_points));
        let mut enemies = vec![Vec::new(); items.len()];
        for group in &settings.enemies {
            let idx: Vec<usize> = group
                .iter()
                .map(|id| instrument.item_index(id).expect("checked"))
                .collect();
            for &a in &idx {
                enemies[a].extend(idx.iter().copied().filter(|&b| b != a));
            }
        }
        let mut exposure_k = vec![1.0; items.len()];
        if let Exposure::SympsonHetter { parameters } = &settings.exposure {
            for (id, k) in parameters {
                exposure_k[instrument.item_index(id).expect("checked")] = *k;
            }
        }
        let areas: Vec<&String> = settings.content_targets.keys().collect();
        let item_area = d
            .items
            .iter()
            .map(|i| {
                i.content_area
                    .as_ref()
                    .and_then(|a| areas.iter().position(|t| *t == a))
            })
            .collect();
        let area_targets = settings.content_targets.values().copied().collect();
        let scale_scorers = |method: Method| -> Result<Vec<Scorer>> {
            let scoring = ScoringSettings {
                method,
                ..scoring.clone()
            };
            Ok(instrument.scorers(&scoring)?.scorers().to_vec())
        };
        let scorers = match scoring.method {
            Method::Eap => Vec::new(),
            m => scale_scorers(m)?,
        };
        let fallback_scorers = match settings.estimation.fallback {
            Method::Map if scoring.method != Method::Eap => scale_scorers(Method::Map)?,
            _ => Vec::new(),
        };
        let start = settings.estimation.start.unwrap_or(match &scoring.prior {
            Prior::Normal { mean, .. } => *mean,
            Prior::Discrete { .. } => nodes
                .iter()
                .zip(quadrature.weights())
                .map(|(t, w)| t * w)
                .sum(),
        });
        let bound: Vec<f64> = items.iter().map(information_bound).collect();
        let bound_order = scale_items
            .iter()
            .map(|members| {
                let mut order = members.clone();
                crate::order::sort_indices(&mut order, &|a, b| {
                    bound[b].total_cmp(&bound[a]).then(a.cmp(&b))
                });
                order
            })
            .collect();
        Ok(CatEngine {
            regular_grid,
            bound,
            bound_order,
            checksum: instrument.checksum().to_string(),
            languages: d.languages.clone(),
            item_ids: d.items.iter().map(|i| i.id.clone()).collect(),
            answer_scoring: (0..items.len())
                .map(|i| instrument.answer_scoring(i).clone())
                .collect(),
            item_scale: instrument.item_scales().to_vec(),
            item_position,
            scale_ids,
            scale_items,
            route,
            lengths,
            rules,
            log_prior: quadrature.log_weights().to_vec(),
            nodes,
            table,
            information,
            kl,
            enemies,
            exposure_k,
            item_area,
            area_targets,
            scorers,
            fallback_scorers,
            start,
            items,
            settings,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &CatSettings {
        &self.settings
    }

    /// Checksum of the instrument this engine was compiled from.
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// Scale ids in instrument order.
    pub fn scale_ids(&self) -> &[String] {
        &self.scale_ids
    }

    /// Item ids in instrument order.
    pub fn item_ids(&self) -> &[String] {
        &self.item_ids
    }

    /// The instrument's languages.
    pub fn languages(&self) -> &[String] {
        &self.languages
    }

    /// The compiled items.
    pub fn items(&self) -> &[ResponseFunction] {
        &self.items
    }

    /// Scale position of each item.
    pub fn item_scales(&self) -> &[usize] {
        &self.item_scale
    }

    /// Scale positions in routing order.
    pub fn route(&self) -> &[usize] {
        &self.route
    }

    /// How an item's raw answers become categories.
    pub(crate) fn answer_scoring(&self, item: usize) -> &AnswerScoring {
        &self.answer_scoring[item]
    }

    /// The cut of a scale's classification rule, if any.
    pub fn cut(&self, scale: usize) -> Option<f64> {
        self.rules[scale].as_ref().map(|r| r.cut)
    }

    /// The criterion value of item `item` at θ with `answered` items answered on its
    /// scale and posterior `posterior` (for PWI; the grid's length).
    pub(crate) fn criterion(
        &self,
        item: usize,
        theta: f64,
        answered: usize,
        posterior: &[f64],
    ) -> f64 {
        match self.settings.selection.criterion {
            Criterion::Mfi => self.items[item].information(theta),
            Criterion::Pwi => {
                let q = self.nodes.len();
                let info = &self.information[item * q..(item + 1) * q];
                info.iter().zip(posterior).map(|(i, w)| i * w).sum()
            }
            Criterion::Kl => {
                let kl = self.kl.as_ref().expect("built for KL");
                let delta = self.settings.selection.kl_radius / (answered.max(1) as f64).sqrt();
                kl.value(item, &self.items[item], theta, delta)
            }
        }
    }

    /// Fisher information of an item at θ, interpolated linearly on the grid (exact
    /// when no table was built or the nodes are a discrete prior's).
    fn information_at(&self, item: usize, theta: f64) -> f64 {
        if self.information.is_empty() || !self.regular_grid {
            return self.items[item].information(theta);
        }
        let q = self.nodes.len();
        let row = &self.information[item * q..(item + 1) * q];
        let (min, max) = (self.nodes[0], self.nodes[q - 1]);
        if theta <= min {
            return row[0];
        }
        if theta >= max {
            return row[q - 1];
        }
        let x = (theta - min) / (max - min) * (q - 1) as f64;
        let j = (x as usize).min(q - 2);
        let f = x - j as f64;
        row[j] * (1.0 - f) + row[j + 1] * f
    }

    pub(crate) fn new_progress(&self) -> Progress {
        let scales = self.scale_ids.len();
        let q = self.nodes.len();
        let mut p = Progress {
            administered: vec![false; self.items.len()],
            blocked: vec![false; self.items.len()],
            order: Vec::new(),
            scale_count: vec![0; scales],
            area_count: vec![0; scales * self.area_targets.len()],
            loglik: vec![0.0; scales * q],
            posterior: vec![0.0; scales * q],
            rule_loglik: vec![(0.0, 0.0); scales],
            estimates: vec![Estimate::none(Status::NoResponses); scales],
            fallback: vec![false; scales],
            theta_select: vec![self.start; scales],
            scale_stop: vec![None; scales],
            decided: vec![None; scales],
            last_scale: None,
            stop: None,
            rows: self
                .scale_items
                .iter()
                .map(|m| vec![MISSING; m.len()])
                .collect(),
            scratch: Vec::with_capacity(self.items.len()),
            considered: Vec::new(),
        };
        for s in 0..scales {
            self.estimate(s, &mut p);
        }
        for &s in &self.route {
            self.check_scale(s, &mut p);
        }
        p
    }

    /// Selects the next item (or stops); `step` seeds this step's random draws.
    pub(crate) fn select(&self, p: &mut Progress, seed: u64) -> Option<usize> {
        if p.stop.is_some() {
            return None;
        }
        let step = p.order.len() as u64;
        let mut rng: Option<ChaCha8Rng> = None;
        loop {
            if self.settings.max_total.is_some_and(|m| p.order.len() >= m) {
                p.stop = Some(StopReason::MaxTotal);
                return None;
            }
            let Some(s) = self.route_next(p) else {
                p.stop = Some(StopReason::AllScalesDone);
                return None;
            };
            let rng = rng.get_or_insert_with(|| {
                let mut r = ChaCha8Rng::seed_from_u64(seed);
                r.set_stream(step);
                r
            });
            if let Some(item) = self.pick(s, p, rng) {
                p.last_scale = Some(s);
                return Some(item);
            }
        }
    }

    fn route_next(&self, p: &Progress) -> Option<usize> {
        let mut open = self
            .route
            .iter()
            .copied()
            .filter(|&s| p.scale_stop[s].is_none());
        match self.settings.routing {
            Routing::Blocks => open.next(),
            Routing::LargestSe => {
                let mut best: Option<(usize, f64)> = None;
                for s in open {
                    let se = p.estimates[s].se;
                    let se = if se.is_nan() { f64::INFINITY } else { se };
                    if best.is_none_or(|(_, b)| se > b) {
                        best = Some((s, se));
                    }
                }
                best.map(|(s, _)| s)
            }
            Routing::RoundRobin => {
                let start = p
                    .last_scale
                    .and_then(|l| self.route.iter().position(|&s| s == l))
                    .map_or(0, |i| i + 1);
                let n = self.route.len();
                (0..n)
                    .map(|k| self.route[(start + k) % n])
                    .find(|&s| p.scale_stop[s].is_none())
            }
        }
    }

    fn eligible(&self, item: usize, p: &Progress) -> bool {
        !p.administered[item] && !p.blocked[item]
    }

    /// MFI without exposure control: the scan goes down the items in order of their
    /// information bound and stops when no further item can beat the best so far.
    /// Gives exactly the brute-force maximum (ties: lowest index).
    fn pick_mfi_pruned(&self, s: usize, p: &mut Progress) -> Option<usize> {
        let answered = p.scale_count[s];
        let theta = p.theta_select[s];
        let area = self.content_area(s, p);
        let epsilon = self.settings.min_information;
        let check_information = answered >= self.lengths[s].0 && epsilon > 0.0;
        let mut best: Option<(f64, usize)> = None;
        let mut any_eligible = false;
        let mut informative = !check_information;
        for &i in &self.bound_order[s] {
            let bound = self.bound[i];
            let need_best = best.is_none_or(|(v, _)| bound >= v);
            let need_information = !informative && bound >= epsilon;
            if !need_best && !need_information {
                break;
            }
            if !self.eligible(i, p) {
                continue;
            }
            any_eligible = true;
            let in_area = area.is_none() || self.item_area[i] == area;
            if in_area && need_best {
                let v = self.items[i].information(theta);
                if best.is_none_or(|(b, j)| v > b || (v == b && i < j)) {
                    best = Some((v, i));
                }
                informative |= v >= epsilon;
            } else if need_information {
                informative |= self.items[i].information(theta) >= epsilon;
            }
        }
        if !any_eligible && best.is_none() {
            // The loop may stop before meeting an eligible item only after finding one.
            p.scale_stop[s] = Some(ScaleStop::BankExhausted);
            return None;
        }
        if !informative {
            p.scale_stop[s] = Some(ScaleStop::InformationExhausted);
            return None;
        }
        match best {
            Some((_, i)) => Some(i),
            None => {
                p.scale_stop[s] = Some(ScaleStop::BankExhausted);
                None
            }
        }
    }

    /// Picks an item of scale `s`, or ends the scale and returns `None`.
    fn pick(&self, s: usize, p: &mut Progress, rng: &mut ChaCha8Rng) -> Option<usize> {
        if self.settings.selection.criterion == Criterion::Mfi
            && self.settings.exposure == Exposure::None
        {
            return self.pick_mfi_pruned(s, p);
        }
        let members = &self.scale_items[s];
        let answered = p.scale_count[s];
        let theta = p.theta_select[s];
        let area = self.content_area(s, p);
        let q = self.nodes.len();
        let posterior = &p.posterior[s * q..(s + 1) * q];
        let mfi = self.settings.selection.criterion == Criterion::Mfi;
        let check_information =
            answered >= self.lengths[s].0 && self.settings.min_information > 0.0;
        let mut best_information = f64::NEG_INFINITY;
        let mut scratch = std::mem::take(&mut p.scratch);
        scratch.clear();
        for &i in members {
            if !self.eligible(i, p) {
                continue;
            }
            let in_area = area.is_none() || self.item_area[i] == area;
            if in_area {
                let value = self.criterion(i, theta, answered, posterior);
                scratch.push((value, i));
                if mfi {
                    best_information = best_information.max(value);
                    continue;
                }
            }
            if check_information {
                best_information = best_information.max(self.information_at(i, theta));
            }
        }
        let chosen = if check_information
            && best_information > f64::NEG_INFINITY
            && best_information < self.settings.min_information
        {
            p.scale_stop[s] = Some(ScaleStop::InformationExhausted);
            None
        } else {
            let chosen = self.choose(&mut scratch, p, rng);
            if chosen.is_none() {
                p.scale_stop[s] = Some(ScaleStop::BankExhausted);
            }
            chosen
        };
        p.scratch = scratch;
        chosen
    }

    /// Kingsbury–Zara: the targeted area of scale `s` with eligible items that is
    /// furthest below its target share; `None` when no targeted area applies.
    fn content_area(&self, s: usize, p: &Progress) -> Option<usize> {
        let areas = self.area_targets.len();
        if areas == 0 {
            return None;
        }
        let mut available = [false; 64];
        let mut available_vec;
        let available: &mut [bool] = if areas <= 64 {
            &mut available[..areas]
        } else {
            available_vec = vec![false; areas];
            &mut available_vec
        };
        for &i in &self.scale_items[s] {
            if let Some(a) = self.item_area[i]
                && self.eligible(i, p)
            {
                available[a] = true;
            }
        }
        let total_target: f64 = (0..areas)
            .filter(|&a| available[a] || p.area_count[s * areas + a] > 0)
            .map(|a| self.area_targets[a])
            .sum();
        let administered = p.scale_count[s].max(1) as f64;
        let mut best: Option<(usize, f64)> = None;
        for a in (0..areas).filter(|&a| available[a]) {
            let gap = self.area_targets[a] / total_target
                - p.area_count[s * areas + a] as f64 / administered;
            if best.is_none_or(|(_, g)| gap > g) {
                best = Some((a, gap));
            }
        }
        best.map(|(a, _)| a)
    }

    fn choose(
        &self,
        scratch: &mut [(f64, usize)],
        p: &mut Progress,
        rng: &mut ChaCha8Rng,
    ) -> Option<usize> {
        if scratch.is_empty() {
            return None;
        }
        match &self.settings.exposure {
            Exposure::None => scratch
                .iter()
                .copied()
                .reduce(|a, b| {
                    if criterion_order(&b, &a).is_lt() {
                        b
                    } else {
                        a
                    }
                })
                .map(|(_, i)| i),
            Exposure::Randomesque { top } => {
                // The `top` best in criterion order (a total order, so the same list as
                // any sort), by partial selection: `top` is small.
                let k = (*top).min(scratch.len());
                for position in 0..k {
                    move_best_to(scratch, position);
                }
                Some(scratch[rng.random_range(0..k)].1)
            }
            Exposure::SympsonHetter { .. } => {
                // Down the list in criterion order, found lazily: the lotteries usually
                // end after a few items, so a full sort would be wasted.
                for position in 0..scratch.len() {
                    move_best_to(scratch, position);
                    let i = scratch[position].1;
                    p.considered.push(i);
                    let k = self.exposure_k[i];
                    if k >= 1.0 || rng.random::<f64>() < k {
                        return Some(i);
                    }
                    p.blocked[i] = true;
                }
                // Every eligible item lost its lottery: give the best one.
                let best = scratch[0].1;
                p.blocked[best] = false;
                Some(best)
            }
        }
    }

    /// Records an answer (category already checked) and updates the scale.
    pub(crate) fn apply(&self, item: usize, category: u8, p: &mut Progress) {
        let s = self.item_scale[item];
        p.administered[item] = true;
        p.order.push((item, category));
        p.scale_count[s] += 1;
        if let Some(a) = self.item_area[item] {
            p.area_count[s * self.area_targets.len() + a] += 1;
        }
        for &e in &self.enemies[item] {
            p.blocked[e] = true;
        }
        p.rows[s][self.item_position[item]] = category;
        let q = self.nodes.len();
        for (acc, l) in p.loglik[s * q..(s + 1) * q]
            .iter_mut()
            .zip(self.table.row(item, category as usize))
        {
            *acc += l;
        }
        if let Some(rule) = &self.rules[s] {
            let mut lp = [0.0; MAX_CATEGORIES];
            let f = &self.items[item];
            f.log_probabilities(rule.theta_low, &mut lp);
            p.rule_loglik[s].0 += lp[category as usize];
            f.log_probabilities(rule.theta_high, &mut lp);
            p.rule_loglik[s].1 += lp[category as usize];
        }
        self.estimate(s, p);
        self.check_scale(s, p);
        // The stops [`CatEngine::select`] would find first, found now so that an answer
        // after the last item gets `CatStopped` (the stops found only by a selection,
        // information or bank exhausted, wait for it).
        if self.settings.max_total.is_some_and(|m| p.order.len() >= m) {
            p.stop = Some(StopReason::MaxTotal);
        } else if self.route.iter().all(|&r| p.scale_stop[r].is_some()) {
            p.stop = Some(StopReason::AllScalesDone);
        }
    }

    fn check_scale(&self, s: usize, p: &mut Progress) {
        if p.scale_stop[s].is_some() {
            return;
        }
        let n = p.scale_count[s];
        let (min, max) = self.lengths[s];
        if let Some(rule) = &self.rules[s] {
            let lambda = self.log_ratio(s, rule, p);
            if lambda >= rule.upper {
                p.decided[s] = Some((Decision::Above, lambda));
            } else if lambda <= rule.lower {
                p.decided[s] = Some((Decision::Below, lambda));
            }
        }
        if n >= min {
            if p.decided[s].is_some() {
                p.scale_stop[s] = Some(ScaleStop::Classified);
                return;
            }
            if self
                .settings
                .se_target
                .is_some_and(|t| p.estimates[s].se <= t)
            {
                p.scale_stop[s] = Some(ScaleStop::SeTarget);
                return;
            }
        }
        if n >= max {
            p.scale_stop[s] = Some(ScaleStop::MaxLength);
        }
    }

    fn log_ratio(&self, s: usize, rule: &Rule, p: &Progress) -> f64 {
        let (low, high) = p.rule_loglik[s];
        match rule.method {
            ClassificationMethod::Sprt => high - low,
            ClassificationMethod::Glr => {
                let q = self.nodes.len();
                let ll = &p.loglik[s * q..(s + 1) * q];
                let (mut best_low, mut best_high) = (low, high);
                for (&t, &l) in self.nodes.iter().zip(ll) {
                    if t <= rule.theta_low {
                        best_low = best_low.max(l);
                    }
                    if t >= rule.theta_high {
                        best_high = best_high.max(l);
                    }
                }
                best_high - best_low
            }
        }
    }

    /// The classification of scale `s` now: the test's decision, else θ̂ vs the cut.
    pub(crate) fn classification(&self, s: usize, p: &Progress) -> Option<Classification> {
        let rule = self.rules[s].as_ref()?;
        Some(match p.decided[s] {
            Some((decision, log_ratio)) => Classification {
                cut: rule.cut,
                decision,
                by_test: true,
                log_ratio,
            },
            None => Classification {
                cut: rule.cut,
                decision: if p.estimates[s].theta > rule.cut {
                    Decision::Above
                } else {
                    Decision::Below
                },
                by_test: false,
                log_ratio: self.log_ratio(s, rule, p),
            },
        })
    }

    /// Posterior on the grid, then the interim estimate of scale `s`.
    fn estimate(&self, s: usize, p: &mut Progress) {
        let q = self.nodes.len();
        let post = &mut p.posterior[s * q..(s + 1) * q];
        let ll = &p.loglik[s * q..(s + 1) * q];
        let mut max = f64::NEG_INFINITY;
        for ((w, l), lp) in post.iter_mut().zip(ll).zip(&self.log_prior) {
            *w = l + lp;
            max = max.max(*w);
        }
        let mut total = 0.0;
        for w in post.iter_mut() {
            let d = *w - max;
            *w = if d > -50.0 { d.exp() } else { 0.0 };
            total += *w;
        }
        for w in post.iter_mut() {
            *w /= total;
        }
        let mean: f64 = self.nodes.iter().zip(post.iter()).map(|(t, w)| t * w).sum();
        let var: f64 = self
            .nodes
            .iter()
            .zip(post.iter())
            .map(|(t, w)| (t - mean) * (t - mean) * w)
            .sum();
        let answered = p.scale_count[s];
        let eap = Estimate {
            theta: mean,
            se: var.sqrt(),
            status: if answered == 0 {
                Status::NoResponses
            } else {
                Status::Ok
            },
        };
        let (estimate, fallback) = if self.scorers.is_empty() {
            (eap, false)
        } else {
            let e = self.scorers[s].score_row(&p.rows[s]);
            let usable = e.theta.is_finite()
                && e.se.is_finite()
                && !matches!(
                    e.status,
                    Status::NoResponses | Status::AllMinimum | Status::AllMaximum
                );
            if usable {
                (e, false)
            } else {
                let f = if self.fallback_scorers.is_empty() {
                    eap
                } else {
                    self.fallback_scorers[s].score_row(&p.rows[s])
                };
                (
                    Estimate {
                        theta: f.theta,
                        se: f.se,
                        status: e.status,
                    },
                    true,
                )
            }
        };
        p.estimates[s] = estimate;
        p.fallback[s] = fallback;
        p.theta_select[s] = if answered == 0 {
            self.start
        } else {
            estimate.theta
        };
    }
}

impl KlTable {
    fn new(items: &[ResponseFunction], grid: &Grid, points: usize) -> KlTable {
        let step = (grid.max - grid.min) / (points - 1) as f64;
        let mut offsets = Vec::with_capacity(items.len());
        let mut prefix = Vec::new();
        let mut lp = [0.0; MAX_CATEGORIES];
        for f in items {
            let k = f.categories();
            let base = prefix.len();
            offsets.push(base);
            prefix.resize(base + k * (points + 1), 0.0);
            for q in 0..points {
                f.log_probabilities(grid.min + step * q as f64, &mut lp);
                for (c, &l) in lp.iter().enumerate().take(k) {
                    let row = base + c * (points + 1);
                    prefix[row + q + 1] = prefix[row + q] + l;
                }
            }
        }
        KlTable {
            min: grid.min,
            step,
            points,
            offsets,
            prefix,
        }
    }

    /// Σ_{|θ_q − θ| ≤ δ} Σ_k P_k(θ)[ln P_k(θ) − ln P_k(θ_q)] · h.
    fn value(&self, item: usize, f: &ResponseFunction, theta: f64, delta: f64) -> f64 {
        let last = (self.points - 1) as f64;
        let lo = ((theta - delta - self.min) / self.step)
            .ceil()
            .clamp(0.0, last);
        let hi = ((theta + delta - self.min) / self.step)
            .floor()
            .clamp(0.0, last);
        let (lo, hi) = if lo > hi {
            let q = ((theta - self.min) / self.step).round().clamp(0.0, last);
            (q as usize, q as usize)
        } else {
            (lo as usize, hi as usize)
        };
        let m = (hi - lo + 1) as f64;
        let mut lp = [0.0; MAX_CATEGORIES];
        f.log_probabilities(theta, &mut lp);
        let base = self.offsets[item];
        let mut total = 0.0;
        for (c, &l) in lp.iter().enumerate().take(f.categories()) {
            let row = base + c * (self.points + 1);
            let window = self.prefix[row + hi + 1] - self.prefix[row + lo];
            total += l.exp() * (m * l - window);
        }
        total * self.step
    }
}

/// An upper bound of an item's Fisher information over all θ.
///
/// ```text
/// logistic (2PL–4PL): I ≤ a² (P − g)(u − P)/(u − g)² ≤ a²/4
/// graded:             I ≤ a²/3    (a categorized logistic variable aθ + ε carries at most
///                                  the location information 1/3 of ε, per unit a²)
/// partial credit:     I = a² Var(X | θ) ≤ a² (K − 1)²/4
/// ```
///
/// A relative margin of 1e-9 covers rounding.
fn information_bound(f: &ResponseFunction) -> f64 {
    let b = match f {
        ResponseFunction::Logistic(l) => l.slope * l.slope / 4.0,
        ResponseFunction::Graded(g) => g.slope * g.slope / 3.0,
        ResponseFunction::PartialCredit(pc) => {
            let k = pc.intercepts.len() as f64;
            pc.slope * pc.slope * k * k / 4.0
        }
    };
    b * (1.0 + 1e-9)
}

/// Checks a language code against the engine's.
pub(crate) fn check_language(engine: &CatEngine, language: &str) -> Result<()> {
    if engine.languages.iter().any(|l| l == language) {
        Ok(())
    } else {
        Err(Error::UnknownId {
            kind: "language",
            id: language.to_string(),
            context: format!(" (the instrument has {})", engine.languages.join(", ")),
        })
    }
}

/// Selection order of (criterion value, item): larger values first, ties by item.
fn criterion_order(a: &(f64, usize), b: &(f64, usize)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// Swaps the first of `scratch[position..]` in [`criterion_order`] into `position`.
fn move_best_to(scratch: &mut [(f64, usize)], position: usize) {
    let mut best = position;
    for j in position + 1..scratch.len() {
        if criterion_order(&scratch[j], &scratch[best]).is_lt() {
            best = j;
        }
    }
    scratch.swap(position, best);
}
