//! Likelihood-ratio DIF in the multi-group IRT model (Thissen, Steinberg & Wainer 1993).

use super::distribution::chi_square_survival;
use crate::calibrate::{GroupCalibration, GroupSettings, calibrate_groups_from};
use crate::error::{Error, Result};
use crate::model::{ItemModel, ResponseCurve};
use crate::quadrature::{Prior, Quadrature};
use crate::response::ResponseMatrix;
use serde::{Deserialize, Serialize};

/// One studied item of [`likelihood_ratio_dif`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LikelihoodRatioDif {
    /// Item (column index).
    pub item: usize,
    /// G² = 2·(ℓ with the item free across groups − ℓ with it invariant).
    pub chi_square: f64,
    /// Degrees of freedom: the parameters the item gains by being free.
    pub df: usize,
    /// Upper chi-square tail probability of `chi_square`.
    pub p_value: f64,
    /// Benjamini–Hochberg adjusted p-value over the studied items.
    pub p_adjusted: f64,
    /// The adjusted p-value is below 0.05 (false discovery rate 5%).
    pub flagged: bool,
    /// The item's parameters in each group (reference first) with the item free.
    pub parameters: Vec<ItemModel>,
    /// Per group: the mean over that group's latent distribution of the expected item
    /// score with the group's parameters minus that with the reference group's (0 for
    /// the reference). Positive: the item is easier for that group at equal θ; in item
    /// score units (a proportion correct for a 0/1 item).
    pub score_difference: Vec<f64>,
    /// Whether both fits of this comparison converged.
    pub converged: bool,
    /// Why the item could not be tested (e.g. a category unused in one group, so its
    /// per-group parameters are not identified); the statistics are then NaN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untestable: Option<String>,
}

/// The result of [`likelihood_ratio_dif`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LikelihoodRatioDifTable {
    /// Anchor items (invariant in every fit); empty when every other item served as
    /// anchor in turn.
    pub anchors: Vec<usize>,
    /// The baseline multi-group fit: all items invariant (no anchors given) or the
    /// anchors invariant and every other item free.
    pub baseline: GroupCalibration,
    /// One row per studied item, in item order.
    pub items: Vec<LikelihoodRatioDif>,
}

/// Likelihood-ratio tests of differential item functioning across groups (e.g. the
/// language forms), in the multi-group model of
/// [`crate::calibrate::calibrate_groups`]: the focal groups' means and SDs are
/// estimated, so group differences in ability are not mistaken for DIF.
///
/// # Formula
///
/// ```text
/// no anchors ("all others as anchors"):  G²_i = 2·(ℓ[item i free] − ℓ[all invariant])
/// anchors A:                             G²_i = 2·(ℓ[all but A free] − ℓ[all but A and i free])
/// df_i = (number of groups − 1) · parameters of item i;  p = P(χ²_df > G²_i)
/// score difference_g = Σ_q w_q(μ_g, σ_g) · (E[X_i | θ_q; β_ig] − E[X_i | θ_q; β_i,ref])
/// ```
///
/// The test is omnibus: uniform and non-uniform DIF together (all the item's
/// parameters are freed); [`super::logistic_dif`] separates the two. Without anchors a
/// DIF item contaminates the scale of the others; with a purified anchor set (items
/// known or found to be clean) the tests are cleaner. P-values are adjusted by
/// Benjamini–Hochberg across the studied items.
///
/// # Errors
///
/// [`Error::InvalidSetting`] when `settings.free_items` is set (the scheme sets it),
/// an anchor is out of range or repeated, or the anchors leave no item to study;
/// [`Error::NotConverged`] when the baseline fit does not converge; otherwise as
/// [`crate::calibrate::calibrate_groups`].
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::{GroupSettings, Simulation, simulate};
/// use bagdar::fit::likelihood_ratio_dif;
/// use bagdar::model::ItemModel;
/// use bagdar::response::ResponseMatrix;
/// let items: Vec<ItemModel> = (0..6)
///     .map(|i| ItemModel::TwoPl { slope: 1.2, intercept: 0.4 * i as f64 - 1.0 })
///     .collect();
/// let mut shifted = items.clone();
/// shifted[2] = ItemModel::TwoPl { slope: 1.2, intercept: -0.2 - 1.0 }; // harder for group 2
/// let a = simulate(&items, &Simulation { persons: 1000, mean: 0.0, sd: 1.0, missing: 0.0, seed: 5 })?;
/// let b = simulate(&shifted, &Simulation { persons: 1000, mean: 0.3, sd: 1.0, missing: 0.0, seed: 6 })?;
/// let mut data = a.responses.data().to_vec();
/// data.extend_from_slice(b.responses.data());
/// let responses = ResponseMatrix::new(2000, 6, data)?;
/// let groups: Vec<usize> = (0..2000).map(|p| p / 1000).collect();
/// let settings = GroupSettings { groups: vec!["kk".into(), "ru".into()], ..Default::default() };
/// let table = likelihood_ratio_dif(&responses, &groups, &settings, Some(&[0, 1, 3, 4, 5]))?;
/// assert_eq!(table.items.len(), 1);
/// assert!(table.items[0].flagged && table.items[0].score_difference[1] < -0.05);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn likelihood_ratio_dif(
    responses: &ResponseMatrix,
    groups: &[usize],
    settings: &GroupSettings,
    anchors: Option<&[usize]>,
) -> Result<LikelihoodRatioDifTable> {
    if !settings.free_items.is_empty() {
        return Err(Error::setting(
            "free_items",
            "likelihood-ratio DIF sets the free items itself; leave free_items empty",
        ));
    }
    let items = responses.items();
    let mut is_anchor = vec![false; items];
    for &a in anchors.unwrap_or(&[]) {
        if a >= items || is_anchor[a] {
            return Err(Error::setting(
                "anchors",
                format!("anchor {a} is out of range or repeated (the test has {items} items)"),
            ));
        }
        is_anchor[a] = true;
    }
    let studied: Vec<usize> = (0..items).filter(|&i| !is_anchor[i]).collect();
    if studied.is_empty() {
        return Err(Error::setting(
            "anchors",
            "every item is an anchor; none is left to study",
        ));
    }
    let with_free = |free: Vec<usize>| GroupSettings {
        free_items: free,
        ..settings.clone()
    };
    let baseline_free: Vec<usize> = if anchors.is_some() {
        studied.clone()
    } else {
        Vec::new()
    };
    let baseline =
        calibrate_groups_from(responses, groups, &with_free(baseline_free.clone()), None)?
            .require_converged()?;
    let mut rows = Vec::with_capacity(studied.len());
    for &i in &studied {
        let fitted = if anchors.is_some() {
            let others: Vec<usize> = baseline_free.iter().copied().filter(|&j| j != i).collect();
            calibrate_groups_from(responses, groups, &with_free(others), Some(&baseline))
                .map(|constrained| (baseline.clone(), constrained))
        } else {
            calibrate_groups_from(responses, groups, &with_free(vec![i]), Some(&baseline))
                .map(|free| (free, baseline.clone()))
        };
        let (free, constrained) = match fitted {
            Ok(pair) => pair,
            Err(
                e @ (Error::UnobservedCategory { .. }
                | Error::NoResponses { .. }
                | Error::DegenerateSlope { .. }
                | Error::NumericalFailure { .. }),
            ) => {
                rows.push(LikelihoodRatioDif {
                    item: i,
                    chi_square: f64::NAN,
                    df: 0,
                    p_value: f64::NAN,
                    p_adjusted: f64::NAN,
                    flagged: false,
                    parameters: Vec::new(),
                    score_difference: Vec::new(),
                    converged: false,
                    untestable: Some(e.to_string()),
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        let chi_square = (2.0 * (free.log_likelihood - constrained.log_likelihood)).max(0.0);
        let df = free.parameters.saturating_sub(constrained.parameters);
        let parameters: Vec<ItemModel> = free.items.iter().map(|g| g[i].clone()).collect();
        let score_difference = score_differences(&free, &settings.calibration.grid, i)?;
        rows.push(LikelihoodRatioDif {
            item: i,
            chi_square,
            df,
            p_value: chi_square_survival(chi_square, df as f64),
            p_adjusted: f64::NAN,
            flagged: false,
            parameters,
            score_difference,
            converged: free.converged() && constrained.converged(),
            untestable: None,
        });
    }
    let adjusted = benjamini_hochberg(&rows.iter().map(|r| r.p_value).collect::<Vec<_>>());
    for (row, p) in rows.iter_mut().zip(adjusted) {
        row.p_adjusted = p;
        row.flagged = p < 0.05;
    }
    Ok(LikelihoodRatioDifTable {
        anchors: (0..items).filter(|&i| is_anchor[i]).collect(),
        baseline,
        items: rows,
    })
}

/// Mean expected-score difference of item `i` for each group against the reference.
fn score_differences(
    fit: &GroupCalibration,
    grid: &crate::quadrature::Grid,
    i: usize,
) -> Result<Vec<f64>> {
    let reference = fit.items[0][i].response_function(&format!("#{i}"))?;
    let mut out = Vec::with_capacity(fit.groups.len());
    for g in 0..fit.groups.len() {
        let own = fit.items[g][i].response_function(&format!("#{i}"))?;
        let quadrature = Quadrature::new(
            grid,
            &Prior::Normal {
                mean: fit.means[g],
                sd: fit.sds[g],
            },
        )?;
        out.push(
            quadrature
                .nodes()
                .iter()
                .zip(quadrature.weights())
                .map(|(&t, w)| w * (own.expected_score(t) - reference.expected_score(t)))
                .sum(),
        );
    }
    Ok(out)
}

/// Benjamini–Hochberg step-up adjusted p-values (NaN stays NaN and is not counted).
pub(crate) fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&k| !p[k].is_nan()).collect();
    crate::order::sort_indices(&mut order, &|a, b| p[a].total_cmp(&p[b]));
    let m = order.len() as f64;
    let mut out = vec![f64::NAN; p.len()];
    let mut running = 1.0f64;
    for (rank, &k) in order.iter().enumerate().rev() {
        running = running.min(p[k] * m / (rank + 1) as f64);
        out[k] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::benjamini_hochberg;

    #[test]
    fn benjamini_hochberg_matches_r_p_adjust() {
        // R 4.2.2: p.adjust(c(0.01, 0.04, 0.03, 0.20), "BH") = 0.04 0.0533 0.0533 0.20
        let adjusted = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.20]);
        let want = [0.04, 0.16 / 3.0, 0.16 / 3.0, 0.20];
        for (a, b) in adjusted.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{adjusted:?}");
        }
        assert!(benjamini_hochberg(&[f64::NAN, 0.5])[0].is_nan());
    }
}
