//! Multi-group calibration: one set of items, several populations (e.g. the Kazakh,
//! Russian and English forms), each group with its own latent mean and SD.

use super::expected::{ExpectedCounts, Patterns};
use super::parameters::item_categories;
use super::settings::{CalibrationSettings, ItemSpec};
use super::standard_errors::ItemStandardErrors;
use super::summary::DataSummary;
use super::{FitStatus, check_categories, fit_layout, layout_for};
use crate::error::{Error, Result};
use crate::model::{ItemModel, ResponseCurve};
use crate::response::{MISSING, ResponseMatrix};
use crate::score::LogTable;
use serde::{Deserialize, Serialize};

/// Settings of [`calibrate_groups`].
///
/// Items not listed in `free_items` are invariant: one set of parameters for every
/// group, which is what puts the groups on one scale. The reference group (the first)
/// has the population of `calibration.population` (N(0, 1) by default); every other
/// group's mean and SD are estimated unless switched off.
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::GroupSettings;
/// let settings = GroupSettings {
///     groups: vec!["kk".into(), "ru".into(), "en".into()],
///     free_items: vec![3],
///     ..Default::default()
/// };
/// assert!(settings.estimate_means && settings.estimate_sds);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupSettings {
    /// Settings shared by the groups: item models, grid, priors, tolerances, standard
    /// errors; `population` is the reference group's.
    pub calibration: CalibrationSettings,
    /// Group names, reference group first; person `p` is in group `groups[p]` of
    /// [`calibrate_groups`].
    pub groups: Vec<String>,
    /// Items (column indices) estimated separately in every group.
    pub free_items: Vec<usize>,
    /// Estimate the means of the groups after the first (else they are 0).
    pub estimate_means: bool,
    /// Estimate the SDs of the groups after the first (else they are 1).
    pub estimate_sds: bool,
}

impl Default for GroupSettings {
    fn default() -> Self {
        GroupSettings {
            calibration: CalibrationSettings::default(),
            groups: Vec::new(),
            free_items: Vec::new(),
            estimate_means: true,
            estimate_sds: true,
        }
    }
}

/// Standard errors of a multi-group fit (same method as [`super::StandardErrors`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStandardErrors {
    /// How they were computed ([`super::STANDARD_ERROR_METHOD`]).
    pub method: String,
    /// Whether −H was positive definite; when false every SE is `None`.
    pub positive_definite: bool,
    /// `items[g][i]`: item `i` in group `g` (the same entry in every group for an
    /// invariant item).
    pub items: Vec<Vec<ItemStandardErrors>>,
    /// SE of each group's mean (`None` where fixed).
    pub means: Vec<Option<f64>>,
    /// SE of each group's SD (`None` where fixed).
    pub sds: Vec<Option<f64>>,
}

/// The result of [`calibrate_groups`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
pub struct GroupCalibration {
    /// Group names, reference first.
    pub groups: Vec<String>,
    /// `items[g][i]`: the parameters of item `i` in group `g`; invariant items are
    /// identical in every group.
    pub items: Vec<Vec<ItemModel>>,
    /// The items estimated separately in each group.
    pub free_items: Vec<usize>,
    /// Latent mean of each group.
    pub means: Vec<f64>,
    /// Latent SD of each group.
    pub sds: Vec<f64>,
    /// Persons with at least one response, per group.
    pub persons: Vec<f64>,
    /// Marginal log-likelihood summed over the groups (without item priors).
    pub log_likelihood: f64,
    /// Sum of the log prior densities of the item parameters.
    pub log_prior: f64,
    /// Akaike information criterion.
    pub aic: f64,
    /// Bayesian information criterion (with the total number of persons).
    pub bic: f64,
    /// Estimated parameters: items (an invariant item once, a free one per group) and
    /// populations.
    pub parameters: usize,
    /// EM iterations run (Anderson iterations, SQUAREM cycles or plain EM steps).
    pub iterations: usize,
    /// E-steps run.
    pub e_steps: usize,
    /// How the fit ended.
    pub status: FitStatus,
    /// The objective after every cycle; never decreasing.
    pub history: Vec<f64>,
    /// Standard errors when `calibration.standard_errors` was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se: Option<GroupStandardErrors>,
}

impl GroupCalibration {
    /// True when the fit converged.
    pub fn converged(&self) -> bool {
        self.status == FitStatus::Converged
    }

    /// The calibration if it converged.
    ///
    /// # Errors
    ///
    /// [`Error::NotConverged`] with the status and the iterations run.
    pub fn require_converged(self) -> Result<Self> {
        self.status.require_converged(self.iterations)?;
        Ok(self)
    }
}

/// Calibrates one set of items in several groups at once (multi-group marginal maximum
/// likelihood; Bock & Zimowski 1997), as R `mirt::multipleGroup` with invariant items
/// and free means and variances.
///
/// # Formula
///
/// ```text
/// ℓ = Σ_g Σ_{p ∈ g} ln Σ_q w_q(μ_g, σ_g) Π_i P_{i,x_pi}(θ_q; β_ig)
/// β_ig = β_i for an invariant item, its own β_ig for a free item
/// (μ_1, σ_1) = the reference population; (μ_g, σ_g), g > 1, estimated
/// ```
///
/// EM runs on the same grid for every group: the E-step is done per group with that
/// group's weights, the item M-step uses the counts summed over the groups in which the
/// item is shared, and each group's population M-step uses that group's counts. A free
/// item is estimated as one column per group (missing for the persons of other groups),
/// so everything else is [`super::calibrate`]'s code: the acceleration, priors, anchored items,
/// tolerances, the fit status and the standard errors.
///
/// # Errors
///
/// [`Error::WrongLength`] when `groups` does not have one entry per person;
/// [`Error::InvalidGroups`] for fewer than two named groups, a group index out of
/// range, or an empty group; [`Error::InvalidSetting`] for a free item out of range,
/// repeated, anchored, or when no invariant item is left to link the groups while
/// their means or SDs are estimated; [`Error::UnobservedCategory`] when a free item
/// misses a category in one group; otherwise as [`super::calibrate`].
///
/// # Examples
///
/// Two groups, the second half a unit abler; all items invariant:
///
/// ```
/// use bagdar::calibrate::{GroupSettings, Simulation, calibrate_groups, simulate};
/// use bagdar::model::ItemModel;
/// use bagdar::response::ResponseMatrix;
/// let items: Vec<ItemModel> = (0..8)
///     .map(|i| ItemModel::TwoPl { slope: 1.0 + 0.1 * i as f64, intercept: 0.3 * i as f64 - 1.0 })
///     .collect();
/// let reference = simulate(&items, &Simulation { persons: 1500, mean: 0.0, sd: 1.0, missing: 0.0, seed: 1 })?;
/// let focal = simulate(&items, &Simulation { persons: 1500, mean: 1.0, sd: 1.0, missing: 0.0, seed: 2 })?;
/// let mut data = reference.responses.data().to_vec();
/// data.extend_from_slice(focal.responses.data());
/// let responses = ResponseMatrix::new(3000, 8, data)?;
/// let groups: Vec<usize> = (0..3000).map(|p| p / 1500).collect();
/// let settings = GroupSettings { groups: vec!["kk".into(), "ru".into()], ..Default::default() };
/// let fit = calibrate_groups(&responses, &groups, &settings)?.require_converged()?;
/// assert!((fit.means[1] - 1.0).abs() < 0.15);
/// assert_eq!(fit.items[0], fit.items[1]);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn calibrate_groups(
    responses: &ResponseMatrix,
    groups: &[usize],
    settings: &GroupSettings,
) -> Result<GroupCalibration> {
    calibrate_groups_from(responses, groups, settings, None)
}

/// [`calibrate_groups`] starting from the estimates of an earlier multi-group fit of
/// the same items and groups (likelihood-ratio DIF refits many nested models).
pub(crate) fn calibrate_groups_from(
    responses: &ResponseMatrix,
    groups: &[usize],
    settings: &GroupSettings,
    start: Option<&GroupCalibration>,
) -> Result<GroupCalibration> {
    let persons = responses.persons();
    let items = responses.items();
    let g_count = settings.groups.len();
    check_groups(groups, persons, g_count)?;
    let base = settings.calibration.check(items)?;
    let free = free_item_flags(settings, items, &base.items)?;
    let categories = item_categories(&base.items, DataSummary::from_responses(responses).counts());
    check_categories(responses, &categories)?;

    // Columns: an invariant item once, a free item once per group.
    let mut columns: Vec<Vec<usize>> = Vec::with_capacity(items);
    let mut owners: Vec<(usize, Option<usize>)> = Vec::new();
    let mut specs: Vec<ItemSpec> = Vec::new();
    for (i, &is_free) in free.iter().enumerate() {
        let spec_for = |g: usize| match (&base.items[i], start) {
            (ItemSpec::Fixed(m), _) => ItemSpec::Fixed(m.clone()),
            (_, Some(s)) => ItemSpec::Start(s.items[g][i].clone()),
            (spec, None) => spec.clone(),
        };
        if is_free {
            let mut cols = Vec::with_capacity(g_count);
            for g in 0..g_count {
                cols.push(specs.len());
                owners.push((i, Some(g)));
                specs.push(spec_for(g));
            }
            columns.push(cols);
        } else {
            columns.push(vec![specs.len(); g_count]);
            owners.push((i, None));
            specs.push(spec_for(0));
        }
    }
    let width = specs.len();
    let mut expanded = settings.calibration.clone();
    expanded.items = specs;
    if let Some(s) = start {
        expanded.population.mean = s.means[0];
        expanded.population.sd = s.sds[0];
    }
    let checked = expanded.check(width)?;

    // Each group's persons on the expanded columns, collapsed to patterns.
    let mut patterns = Vec::with_capacity(g_count);
    let mut respondents = vec![0.0; g_count];
    for (g, count) in respondents.iter_mut().enumerate() {
        let mut data = Vec::new();
        let mut rows = 0;
        for p in (0..persons).filter(|&p| groups[p] == g) {
            let mut row = vec![MISSING; width];
            for (i, &v) in responses.row(p).iter().enumerate() {
                row[columns[i][g]] = v;
            }
            if row.iter().any(|&v| v != MISSING) {
                *count += 1.0;
            }
            data.extend_from_slice(&row);
            rows += 1;
        }
        patterns.push(Patterns::collapse(&ResponseMatrix::new(rows, width, data)?));
    }
    let mut summary = DataSummary::from_patterns(&patterns[0]);
    for group_patterns in patterns.iter().skip(1) {
        summary.merge(&DataSummary::from_patterns(group_patterns))?;
    }
    for i in (0..items).filter(|&i| free[i]) {
        for (g, name) in settings.groups.iter().enumerate() {
            check_free_categories(&summary, columns[i][g], i, categories[i], name)?;
        }
    }

    let name = |item: String| rename_column(&item, &owners, &settings.groups);
    let (mut layout, mut x) = layout_for(&checked, &summary).map_err(|e| e.map_item(name))?;
    for g in 1..g_count {
        let (mean, sd) = start.map_or((0.0, 1.0), |s| (s.means[g], s.sds[g]));
        layout.add_group(
            &mut x,
            (mean, settings.estimate_means),
            (sd, settings.estimate_sds),
        );
    }
    let (fit, populations) = fit_layout(&checked, layout, x, |models, quadratures| {
        let table = LogTable::new(models, quadratures[0].nodes());
        let categories: Vec<usize> = models.iter().map(|f| f.categories()).collect();
        Ok(patterns
            .iter()
            .zip(quadratures)
            .map(|(p, q)| ExpectedCounts::from_patterns(&table, &categories, q, p))
            .collect())
    })
    .map_err(|e| e.map_item(name))?;

    let per_group = |g: usize| -> Vec<ItemModel> {
        (0..items)
            .map(|i| fit.items[columns[i][g]].clone())
            .collect()
    };
    let se = fit.se.as_ref().map(|se| GroupStandardErrors {
        method: se.method.clone(),
        positive_definite: se.positive_definite,
        items: (0..g_count)
            .map(|g| {
                (0..items)
                    .map(|i| se.items[columns[i][g]].clone())
                    .collect()
            })
            .collect(),
        means: se.groups.iter().map(|p| p.0).collect(),
        sds: se.groups.iter().map(|p| p.1).collect(),
    });
    Ok(GroupCalibration {
        groups: settings.groups.clone(),
        items: (0..g_count).map(per_group).collect(),
        free_items: (0..items).filter(|&i| free[i]).collect(),
        means: populations.iter().map(|p| p.0).collect(),
        sds: populations.iter().map(|p| p.1).collect(),
        persons: respondents,
        log_likelihood: fit.log_likelihood,
        log_prior: fit.log_prior,
        aic: fit.aic,
        bic: fit.bic,
        parameters: fit.parameters,
        iterations: fit.iterations,
        e_steps: fit.e_steps,
        status: fit.status,
        history: fit.history,
        se,
    })
}

/// Group codes for per-person labels (e.g. each student's language): the groups are
/// the distinct labels, those in `preferred` first in that order (e.g. the instrument's
/// languages, so its first language is the reference when present), then the others in
/// sorted order. Returns each person's group index and the group names.
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::group_codes;
/// let labels = ["ru", "kk", "en", "ru"].map(String::from);
/// let preferred = ["kk", "ru", "en"].map(String::from);
/// let (codes, names) = group_codes(&labels, &preferred);
/// assert_eq!(names, ["kk", "ru", "en"]);
/// assert_eq!(codes, [1, 0, 2, 1]);
/// ```
pub fn group_codes(labels: &[String], preferred: &[String]) -> (Vec<usize>, Vec<String>) {
    let present: std::collections::BTreeSet<&str> = labels.iter().map(String::as_str).collect();
    let mut names: Vec<String> = preferred
        .iter()
        .filter(|p| present.contains(p.as_str()))
        .cloned()
        .collect();
    for label in present {
        if !names.iter().any(|n| n == label) {
            names.push(label.to_string());
        }
    }
    let codes = labels
        .iter()
        .map(|l| names.iter().position(|n| n == l).unwrap_or(0))
        .collect();
    (codes, names)
}

fn check_groups(groups: &[usize], persons: usize, g_count: usize) -> Result<()> {
    if g_count < 2 {
        return Err(Error::InvalidGroups {
            message: format!(
                "a multi-group calibration needs at least two named groups, found {g_count}"
            ),
        });
    }
    if groups.len() != persons {
        return Err(Error::WrongLength {
            what: "groups",
            expected: persons,
            found: groups.len(),
        });
    }
    let mut sizes = vec![0usize; g_count];
    for (p, &g) in groups.iter().enumerate() {
        match sizes.get_mut(g) {
            Some(n) => *n += 1,
            None => {
                return Err(Error::InvalidGroups {
                    message: format!(
                        "person {p} is in group {g}, but only groups 0..{} are named",
                        g_count - 1
                    ),
                });
            }
        }
    }
    if let Some(g) = sizes.iter().position(|&n| n == 0) {
        return Err(Error::InvalidGroups {
            message: format!("group {g} has no person"),
        });
    }
    Ok(())
}

fn free_item_flags(
    settings: &GroupSettings,
    items: usize,
    specs: &[ItemSpec],
) -> Result<Vec<bool>> {
    let mut free = vec![false; items];
    for &i in &settings.free_items {
        if i >= items {
            return Err(Error::setting(
                "free_items",
                format!("item index {i} is out of range (the test has {items} items)"),
            ));
        }
        if free[i] {
            return Err(Error::setting(
                "free_items",
                format!("item index {i} is listed twice"),
            ));
        }
        if specs[i].is_fixed() {
            return Err(Error::setting(
                "free_items",
                format!("item #{i} is anchored, so it cannot be estimated per group"),
            ));
        }
        free[i] = true;
    }
    if free.iter().all(|&f| f) && (settings.estimate_means || settings.estimate_sds) {
        return Err(Error::setting(
            "free_items",
            "every item is free, so no invariant item links the groups and their means and SDs are not identified",
        ));
    }
    Ok(free)
}

/// A free item must show every category of the item in every group.
fn check_free_categories(
    summary: &DataSummary,
    column: usize,
    item: usize,
    categories: usize,
    group: &str,
) -> Result<()> {
    match (0..categories).find(|&k| summary.category_count(column, k) == 0.0) {
        Some(k) => Err(Error::UnobservedCategory {
            item: format!("#{item} in group {group}"),
            category: k,
            max: categories - 1,
        }),
        None => Ok(()),
    }
}

/// `#column` of the expanded problem as `#item` or `#item in group name`.
fn rename_column(item: &str, owners: &[(usize, Option<usize>)], groups: &[String]) -> String {
    let owner = item
        .strip_prefix('#')
        .and_then(|c| c.parse::<usize>().ok())
        .and_then(|c| owners.get(c));
    match owner {
        Some((i, Some(g))) => format!("#{i} in group {}", groups[*g]),
        Some((i, None)) => format!("#{i}"),
        None => item.to_string(),
    }
}
