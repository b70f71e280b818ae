//! The parameter vector of a calibration: which item parameters are free, shared or
//! fixed, the scale each is estimated on, and automatic starting values.

use super::settings::{CheckedSettings, ItemSpec, ParameterPriors};
use super::summary::DataSummary;
use crate::error::{Error, Result};
use crate::model::{ItemModel, MAX_CATEGORIES, ModelKind};

/// The scale a parameter is estimated on: natural value = h(working value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transform {
    /// x = w.
    Identity,
    /// x = e^w (slopes, SD).
    Log,
    /// x = σ(w) (asymptotes).
    Logit,
}

impl Transform {
    pub(crate) fn natural(self, w: f64) -> f64 {
        match self {
            Transform::Identity => w,
            Transform::Log => w.exp(),
            Transform::Logit => crate::model::sigmoid(w),
        }
    }

    pub(crate) fn working(self, x: f64) -> f64 {
        match self {
            Transform::Identity => x,
            Transform::Log => x.ln(),
            Transform::Logit => (x / (1.0 - x)).ln(),
        }
    }

    /// dx/dw and d²x/dw², written in the natural value x.
    pub(crate) fn derivatives(self, x: f64) -> (f64, f64) {
        match self {
            Transform::Identity => (1.0, 0.0),
            Transform::Log => (x, x),
            Transform::Logit => {
                let d = x * (1.0 - x);
                (d, d * (1.0 - 2.0 * x))
            }
        }
    }
}

/// What a global parameter is (for priors and reporting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Slope,
    Intercept,
    Guessing,
    Upper,
    Threshold,
}

impl Role {
    pub(crate) fn transform(self) -> Transform {
        match self {
            Role::Slope => Transform::Log,
            Role::Guessing | Role::Upper => Transform::Logit,
            Role::Intercept | Role::Threshold => Transform::Identity,
        }
    }

    /// ln prior density (constants dropped) and its first two derivatives in the
    /// natural value; zeros when there is no prior for this role.
    pub(crate) fn log_prior(self, priors: &ParameterPriors, x: f64) -> (f64, f64, f64) {
        match self {
            Role::Slope => match priors.slope {
                Some(p) => {
                    let t = x.ln();
                    let v = p.sdlog * p.sdlog;
                    let z = (t - p.meanlog) / v;
                    (
                        -t - 0.5 * (t - p.meanlog) * z,
                        (-1.0 - z) / x,
                        (1.0 + z - 1.0 / v) / (x * x),
                    )
                }
                None => (0.0, 0.0, 0.0),
            },
            Role::Intercept => match priors.intercept {
                Some(p) => {
                    let v = p.sd * p.sd;
                    let z = x - p.mean;
                    (-0.5 * z * z / v, -z / v, -1.0 / v)
                }
                None => (0.0, 0.0, 0.0),
            },
            Role::Guessing | Role::Upper => {
                let prior = if self == Role::Guessing {
                    priors.guessing
                } else {
                    priors.upper
                };
                match prior {
                    Some(b) => {
                        let (a1, b1) = (b.alpha - 1.0, b.beta - 1.0);
                        let y = 1.0 - x;
                        (
                            a1 * x.ln() + b1 * y.ln(),
                            a1 / x - b1 / y,
                            -a1 / (x * x) - b1 / (y * y),
                        )
                    }
                    None => (0.0, 0.0, 0.0),
                }
            }
            Role::Threshold => (0.0, 0.0, 0.0),
        }
    }
}

/// One local parameter of an item: an entry of the global vector, or a constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Slot {
    Free(usize),
    Fixed(f64),
}

/// How an item's local parameters are laid out.
///
/// * `Logistic`: `[a, d, g, u]`
/// * `Graded`, `PartialCredit`: `[a, d_1, …, d_m]`
/// * `RatingScale`: `[c, τ_1, …, τ_m]`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Logistic,
    Graded,
    PartialCredit,
    RatingScale,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ItemLayout {
    pub(crate) kind: ModelKind,
    pub(crate) family: Family,
    pub(crate) categories: usize,
    pub(crate) slots: Vec<Slot>,
}

/// Items whose free parameters overlap (shared 1PL slope, shared RSM thresholds) form
/// one block of the M-step; every other item is a block of its own.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    pub(crate) items: Vec<usize>,
    pub(crate) params: Vec<usize>,
}

/// The population parameters' positions in the vector (after the item parameters):
/// the mean (identity scale) and the SD (log scale).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PopulationLayout {
    pub(crate) mean: Slot,
    pub(crate) sd: Slot,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    pub(crate) items: Vec<ItemLayout>,
    pub(crate) roles: Vec<Role>,
    pub(crate) blocks: Vec<Block>,
    /// One population per group (the reference group first; one group unless the fit
    /// is multi-group).
    pub(crate) populations: Vec<PopulationLayout>,
    /// Number of item parameters (the population ones follow).
    pub(crate) item_parameters: usize,
    /// Per RSM item: the free intercept of the first RSM item of its threshold group is
    /// fixed at 0 during estimation and the thresholds are re-centred afterwards.
    pub(crate) rsm_groups: Vec<Vec<usize>>,
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// The 1 + a²/2.9 attenuation of a marginal logit under N(0, 1) (probit approximation).
fn attenuation(slope: f64) -> f64 {
    (1.0 + slope * slope / 2.897).sqrt()
}

fn beta_mode(prior: Option<super::BetaPrior>, fallback: f64) -> f64 {
    match prior {
        Some(b) if b.alpha > 1.0 && b.beta > 1.0 => {
            ((b.alpha - 1.0) / (b.alpha + b.beta - 2.0)).clamp(0.01, 0.99)
        }
        _ => fallback,
    }
}

/// Natural local starting values of one item from the data.
fn automatic_start(
    kind: ModelKind,
    categories: usize,
    counts: &[f64],
    correlation: f64,
    priors: &ParameterPriors,
) -> Vec<f64> {
    let r = (correlation / 0.8).clamp(0.05, 0.9);
    let slope = match kind {
        ModelKind::Rasch | ModelKind::Pcm | ModelKind::RatingScale => 1.0,
        _ => (1.702 * r / (1.0 - r * r).sqrt()).clamp(0.3, 3.0),
    };
    let total: f64 = counts[..categories].iter().sum();
    let smoothed = |c: f64| (c + 0.5) / (total + 0.5 * categories as f64);
    match kind {
        ModelKind::Rasch | ModelKind::OnePl | ModelKind::TwoPl => {
            let p = smoothed(counts[1]);
            vec![slope, logit(p) * attenuation(slope), 0.0, 1.0]
        }
        ModelKind::ThreePl | ModelKind::FourPl => {
            let g = beta_mode(priors.guessing, 0.1);
            let u = if kind == ModelKind::FourPl {
                beta_mode(priors.upper, 0.95).max(g + 0.1).min(0.999)
            } else {
                1.0
            };
            let p = smoothed(counts[1]);
            let inner = ((p - g) / (u - g)).clamp(0.02, 0.98);
            vec![slope, logit(inner) * attenuation(slope), g, u]
        }
        ModelKind::Graded => {
            let mut out = vec![slope];
            let mut above = total;
            for &count in &counts[..categories - 1] {
                above -= count;
                let p = ((above + 0.5) / (total + 1.0)).clamp(1e-4, 1.0 - 1e-4);
                out.push(logit(p) * attenuation(slope));
            }
            // Keep the intercepts strictly decreasing after clamping.
            for k in 2..out.len() {
                if out[k] >= out[k - 1] {
                    out[k] = out[k - 1] - 0.1;
                }
            }
            out
        }
        ModelKind::Gpcm | ModelKind::Pcm | ModelKind::RatingScale => {
            // d_k ≈ ln(p_k / p_0) at θ = 0, attenuated.
            let mut out = vec![slope];
            let p0 = smoothed(counts[0]);
            for &count in &counts[1..categories] {
                out.push((smoothed(count) / p0).ln() * attenuation(slope));
            }
            out
        }
    }
}

/// Natural local parameters of a given model, in the family layout. RSM gives
/// `[c, τ…]`.
fn model_locals(model: &ItemModel) -> Vec<f64> {
    match model {
        ItemModel::Rasch { intercept } => vec![1.0, *intercept, 0.0, 1.0],
        ItemModel::OnePl { slope, intercept } | ItemModel::TwoPl { slope, intercept } => {
            vec![*slope, *intercept, 0.0, 1.0]
        }
        ItemModel::ThreePl {
            slope,
            intercept,
            guessing,
        } => vec![*slope, *intercept, *guessing, 1.0],
        ItemModel::FourPl {
            slope,
            intercept,
            guessing,
            upper,
        } => vec![*slope, *intercept, *guessing, *upper],
        ItemModel::Graded { slope, intercepts } | ItemModel::Gpcm { slope, intercepts } => {
            std::iter::once(*slope)
                .chain(intercepts.iter().copied())
                .collect()
        }
        ItemModel::Pcm { intercepts } => std::iter::once(1.0)
            .chain(intercepts.iter().copied())
            .collect(),
        ItemModel::RatingScale {
            intercept,
            thresholds,
        } => std::iter::once(*intercept)
            .chain(thresholds.iter().copied())
            .collect(),
    }
}

fn family(kind: ModelKind) -> Family {
    match kind {
        ModelKind::Rasch
        | ModelKind::OnePl
        | ModelKind::TwoPl
        | ModelKind::ThreePl
        | ModelKind::FourPl => Family::Logistic,
        ModelKind::Graded => Family::Graded,
        ModelKind::Gpcm | ModelKind::Pcm => Family::PartialCredit,
        ModelKind::RatingScale => Family::RatingScale,
    }
}

/// Number of categories of each item: from the given model, 2 for dichotomous models,
/// else the highest observed category + 1.
pub(crate) fn item_categories(specs: &[ItemSpec], counts: &[[f64; MAX_CATEGORIES]]) -> Vec<usize> {
    specs
        .iter()
        .zip(counts)
        .map(|(spec, c)| match spec {
            ItemSpec::Start(m) | ItemSpec::Fixed(m) => m.categories(),
            ItemSpec::Estimate(kind) if kind.is_dichotomous() => 2,
            ItemSpec::Estimate(_) => (0..MAX_CATEGORIES)
                .rev()
                .find(|&k| c[k] > 0.0)
                .map_or(2, |k| (k + 1).max(2)),
        })
        .collect()
}

struct Builder {
    roles: Vec<Role>,
    values: Vec<f64>,
}

impl Builder {
    fn push(&mut self, role: Role, natural: f64) -> Slot {
        self.roles.push(role);
        self.values.push(role.transform().working(natural));
        Slot::Free(self.roles.len() - 1)
    }
}

impl Layout {
    /// Lays out the parameters and computes the starting vector (working scale).
    ///
    /// # Errors
    ///
    /// [`Error::NoResponses`] or [`Error::UnobservedCategory`] for an estimated item the
    /// data cannot identify; [`Error::InvalidParameter`] for a non-finite starting value.
    pub(crate) fn build(
        settings: &CheckedSettings,
        summary: &DataSummary,
    ) -> Result<(Layout, Vec<f64>)> {
        let specs = &settings.items;
        let counts = summary.counts();
        let categories = item_categories(specs, counts);
        let correlations = summary.correlations();
        for (i, spec) in specs.iter().enumerate() {
            if spec.is_fixed() {
                continue;
            }
            let total: f64 = counts[i].iter().sum();
            if total == 0.0 {
                return Err(Error::NoResponses {
                    item: format!("#{i}"),
                });
            }
            if let Some(k) = (0..categories[i]).find(|&k| counts[i][k] == 0.0) {
                return Err(Error::UnobservedCategory {
                    item: format!("#{i}"),
                    category: k,
                    max: categories[i] - 1,
                });
            }
        }
        // Natural local starting values of every item.
        let locals: Vec<Vec<f64>> = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| match spec {
                ItemSpec::Estimate(kind) => {
                    let mut start = automatic_start(
                        *kind,
                        categories[i],
                        &counts[i],
                        correlations[i],
                        &settings.priors,
                    );
                    if *kind == ModelKind::RatingScale {
                        start = rsm_from_partial_credit(&start[1..]);
                    }
                    start
                }
                ItemSpec::Start(m) | ItemSpec::Fixed(m) => model_locals(m),
            })
            .collect();
        for (i, values) in locals.iter().enumerate() {
            if let Some(v) = values.iter().find(|v| !v.is_finite()) {
                return Err(Error::InvalidParameter {
                    item: format!("#{i}"),
                    field: "starting value".into(),
                    value: *v,
                    reason: "must be a finite number",
                });
            }
        }

        let mut b = Builder {
            roles: Vec::new(),
            values: Vec::new(),
        };
        // Shared parameters: one 1PL slope; RSM thresholds per number of categories.
        let one_pl: Vec<usize> = (0..specs.len())
            .filter(|&i| !specs[i].is_fixed() && specs[i].kind() == ModelKind::OnePl)
            .collect();
        let shared_slope = (!one_pl.is_empty()).then(|| {
            let mean = one_pl.iter().map(|&i| locals[i][0].ln()).sum::<f64>() / one_pl.len() as f64;
            b.push(Role::Slope, mean.exp())
        });
        let mut rsm_groups: Vec<Vec<usize>> = Vec::new();
        let mut rsm_thresholds: Vec<(usize, Vec<Slot>)> = Vec::new();
        for i in 0..specs.len() {
            if specs[i].is_fixed() || specs[i].kind() != ModelKind::RatingScale {
                continue;
            }
            match rsm_thresholds.iter().position(|(k, _)| *k == categories[i]) {
                Some(g) => rsm_groups[g].push(i),
                None => {
                    let group: Vec<usize> = (i..specs.len())
                        .filter(|&j| {
                            !specs[j].is_fixed()
                                && specs[j].kind() == ModelKind::RatingScale
                                && categories[j] == categories[i]
                        })
                        .collect();
                    // Pooled thresholds, shifted so that the first item's intercept is 0
                    // (it is fixed there while estimating): c_j − τ_k = (c_j − c_first) −
                    // (τ_k − c_first).
                    let first_c = locals[i][0];
                    let slots = (1..categories[i])
                        .map(|k| {
                            let tau = group.iter().map(|&j| locals[j][k]).sum::<f64>()
                                / group.len() as f64;
                            b.push(Role::Threshold, tau - first_c)
                        })
                        .collect();
                    rsm_thresholds.push((categories[i], slots));
                    rsm_groups.push(vec![i]);
                }
            }
        }

        let mut items = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            let kind = spec.kind();
            let fam = family(kind);
            let v = &locals[i];
            let slots: Vec<Slot> = if spec.is_fixed() {
                v.iter().map(|&x| Slot::Fixed(x)).collect()
            } else {
                match kind {
                    ModelKind::Rasch => vec![
                        Slot::Fixed(1.0),
                        b.push(Role::Intercept, v[1]),
                        Slot::Fixed(0.0),
                        Slot::Fixed(1.0),
                    ],
                    ModelKind::OnePl => vec![
                        shared_slope.unwrap_or(Slot::Fixed(1.0)),
                        b.push(Role::Intercept, v[1]),
                        Slot::Fixed(0.0),
                        Slot::Fixed(1.0),
                    ],
                    ModelKind::TwoPl => vec![
                        b.push(Role::Slope, v[0]),
                        b.push(Role::Intercept, v[1]),
                        Slot::Fixed(0.0),
                        Slot::Fixed(1.0),
                    ],
                    ModelKind::ThreePl | ModelKind::FourPl => {
                        let g = if v[2] > 0.0 { v[2] } else { 0.1 };
                        let u = if kind == ModelKind::FourPl {
                            if v[3] < 1.0 {
                                v[3]
                            } else {
                                0.95f64.max(g + 0.01)
                            }
                        } else {
                            1.0
                        };
                        vec![
                            b.push(Role::Slope, v[0]),
                            b.push(Role::Intercept, v[1]),
                            b.push(Role::Guessing, g),
                            if kind == ModelKind::FourPl {
                                b.push(Role::Upper, u)
                            } else {
                                Slot::Fixed(1.0)
                            },
                        ]
                    }
                    ModelKind::Graded | ModelKind::Gpcm => {
                        std::iter::once(b.push(Role::Slope, v[0]))
                            .chain(v[1..].iter().map(|&d| b.push(Role::Intercept, d)))
                            .collect()
                    }
                    ModelKind::Pcm => std::iter::once(Slot::Fixed(1.0))
                        .chain(v[1..].iter().map(|&d| b.push(Role::Intercept, d)))
                        .collect(),
                    ModelKind::RatingScale => {
                        let g = rsm_groups
                            .iter()
                            .position(|grp| grp.contains(&i))
                            .unwrap_or(0);
                        let first = rsm_groups[g][0];
                        let c = if first == i {
                            Slot::Fixed(0.0)
                        } else {
                            b.push(Role::Intercept, v[0] - locals[first][0])
                        };
                        std::iter::once(c)
                            .chain(rsm_thresholds[g].1.iter().copied())
                            .collect()
                    }
                }
            };
            items.push(ItemLayout {
                kind,
                family: fam,
                categories: categories[i],
                slots,
            });
        }
        let item_parameters = b.roles.len();
        let blocks = blocks(&items, item_parameters);
        let mut values = b.values;
        let pop = settings.population;
        let mean = if settings.estimate_mean {
            values.push(pop.mean);
            Slot::Free(values.len() - 1)
        } else {
            Slot::Fixed(pop.mean)
        };
        let sd = if settings.estimate_sd {
            values.push(pop.sd.ln());
            Slot::Free(values.len() - 1)
        } else {
            Slot::Fixed(pop.sd)
        };
        Ok((
            Layout {
                items,
                roles: b.roles,
                blocks,
                populations: vec![PopulationLayout { mean, sd }],
                item_parameters,
                rsm_groups,
            },
            values,
        ))
    }

    /// Natural value of a slot.
    #[inline]
    pub(crate) fn value(&self, slot: Slot, x: &[f64]) -> f64 {
        match slot {
            Slot::Fixed(v) => v,
            Slot::Free(g) => self.roles[g].transform().natural(x[g]),
        }
    }

    /// Natural local parameters of item `i`.
    pub(crate) fn locals(&self, i: usize, x: &[f64]) -> Vec<f64> {
        self.items[i]
            .slots
            .iter()
            .map(|&s| self.value(s, x))
            .collect()
    }

    /// Population mean and SD of the reference group.
    pub(crate) fn population(&self, x: &[f64]) -> (f64, f64) {
        self.group_population(0, x)
    }

    /// Population mean and SD of group `g`.
    pub(crate) fn group_population(&self, g: usize, x: &[f64]) -> (f64, f64) {
        let pop = self.populations[g];
        let mean = match pop.mean {
            Slot::Fixed(v) => v,
            Slot::Free(k) => x[k],
        };
        let sd = match pop.sd {
            Slot::Fixed(v) => v,
            Slot::Free(k) => x[k].exp(),
        };
        (mean, sd)
    }

    /// Adds a group with population N(`mean`, `sd`²); a free mean or SD starts there and
    /// its entry is appended to the estimation vector `x`.
    pub(crate) fn add_group(
        &mut self,
        x: &mut Vec<f64>,
        (mean, free_mean): (f64, bool),
        (sd, free_sd): (f64, bool),
    ) {
        let m = if free_mean {
            x.push(mean);
            Slot::Free(x.len() - 1)
        } else {
            Slot::Fixed(mean)
        };
        let s = if free_sd {
            x.push(sd.ln());
            Slot::Free(x.len() - 1)
        } else {
            Slot::Fixed(sd)
        };
        self.populations.push(PopulationLayout { mean: m, sd: s });
    }

    /// Number of free population parameters over all groups.
    pub(crate) fn population_parameters(&self) -> usize {
        self.populations
            .iter()
            .map(|p| {
                matches!(p.mean, Slot::Free(_)) as usize + matches!(p.sd, Slot::Free(_)) as usize
            })
            .sum()
    }

    /// The model of item `i` at `x` (not validated).
    pub(crate) fn model(&self, i: usize, x: &[f64]) -> ItemModel {
        let v = self.locals(i, x);
        model_from_locals(self.items[i].kind, &v)
    }

    /// Largest change of a free parameter between `x` and `y` on its natural scale
    /// (a, d, g, u, τ, μ, σ). On the estimation scale an asymptote drifting towards 0 or 1
    /// (a flat direction of the likelihood) keeps moving in logit without changing the
    /// model; on the natural scale it settles.
    pub(crate) fn largest_change(&self, x: &[f64], y: &[f64]) -> f64 {
        let mut largest: f64 = 0.0;
        for (g, role) in self.roles.iter().enumerate() {
            let t = role.transform();
            largest = largest.max((t.natural(x[g]) - t.natural(y[g])).abs());
        }
        for pop in &self.populations {
            if let Slot::Free(g) = pop.mean {
                largest = largest.max((x[g] - y[g]).abs());
            }
            if let Slot::Free(g) = pop.sd {
                largest = largest.max((x[g].exp() - y[g].exp()).abs());
            }
        }
        largest
    }

    /// ln prior of the free item parameters at `x`.
    pub(crate) fn log_prior(&self, x: &[f64], priors: &ParameterPriors) -> f64 {
        self.roles
            .iter()
            .enumerate()
            .map(|(g, role)| role.log_prior(priors, role.transform().natural(x[g])).0)
            .sum()
    }

    /// Number of free parameters (items and population).
    pub(crate) fn free_parameters(&self) -> usize {
        self.item_parameters + self.population_parameters()
    }
}

/// RSM `[c, τ…]` from partial-credit intercepts `d_k = k·c − Σ_{j≤k} τ_j`, with the
/// thresholds centred (Σ τ = 0).
fn rsm_from_partial_credit(d: &[f64]) -> Vec<f64> {
    let m = d.len() as f64;
    // Σ τ = 0 ⇒ d_m = m·c.
    let c = d[d.len() - 1] / m;
    let mut out = vec![c];
    let mut prev = 0.0;
    for &dk in d {
        // τ_k = c − (d_k − d_{k−1})
        out.push(c - (dk - prev));
        prev = dk;
    }
    out
}

pub(crate) fn model_from_locals(kind: ModelKind, v: &[f64]) -> ItemModel {
    match kind {
        ModelKind::Rasch => ItemModel::Rasch { intercept: v[1] },
        ModelKind::OnePl => ItemModel::OnePl {
            slope: v[0],
            intercept: v[1],
        },
        ModelKind::TwoPl => ItemModel::TwoPl {
            slope: v[0],
            intercept: v[1],
        },
        ModelKind::ThreePl => ItemModel::ThreePl {
            slope: v[0],
            intercept: v[1],
            guessing: v[2],
        },
        ModelKind::FourPl => ItemModel::FourPl {
            slope: v[0],
            intercept: v[1],
            guessing: v[2],
            upper: v[3],
        },
        ModelKind::Graded => ItemModel::Graded {
            slope: v[0],
            intercepts: v[1..].to_vec(),
        },
        ModelKind::Gpcm => ItemModel::Gpcm {
            slope: v[0],
            intercepts: v[1..].to_vec(),
        },
        ModelKind::Pcm => ItemModel::Pcm {
            intercepts: v[1..].to_vec(),
        },
        ModelKind::RatingScale => ItemModel::RatingScale {
            intercept: v[0],
            thresholds: v[1..].to_vec(),
        },
    }
}

/// Connected components of items through shared free parameters.
fn blocks(items: &[ItemLayout], parameters: usize) -> Vec<Block> {
    // Union–find over items, joined through the first item seen for each parameter.
    let mut parent: Vec<usize> = (0..items.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner = vec![usize::MAX; parameters];
    for (i, item) in items.iter().enumerate() {
        for slot in &item.slots {
            if let Slot::Free(g) = *slot {
                if owner[g] == usize::MAX {
                    owner[g] = i;
                } else {
                    let (a, b) = (find(&mut parent, owner[g]), find(&mut parent, i));
                    if a != b {
                        parent[b.max(a)] = a.min(b);
                    }
                }
            }
        }
    }
    let mut out: Vec<Block> = Vec::new();
    let mut root_block = vec![usize::MAX; items.len()];
    for (i, item) in items.iter().enumerate() {
        if !item.slots.iter().any(|s| matches!(s, Slot::Free(_))) {
            continue;
        }
        let r = find(&mut parent, i);
        if root_block[r] == usize::MAX {
            root_block[r] = out.len();
            out.push(Block {
                items: Vec::new(),
                params: Vec::new(),
            });
        }
        let blk = &mut out[root_block[r]];
        blk.items.push(i);
        for slot in &item.slots {
            if let Slot::Free(g) = *slot
                && !blk.params.contains(&g)
            {
                blk.params.push(g);
            }
        }
    }
    out
}
