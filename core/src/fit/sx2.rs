//! Orlando & Thissen's summed-score item fit S-X2.

use super::{chi_square_survival, require_complete, require_persons, rmsea};
use crate::calibrate::{Calibration, CalibrationSettings, Fitted};
use crate::error::Result;
use crate::model::{MAX_CATEGORIES, ResponseCurve, ResponseFunction};
use crate::quadrature::Quadrature;
use crate::response::ResponseMatrix;
use crate::score::sum_score_likelihoods;
use serde::{Deserialize, Serialize};

/// S-X2 item fit of one item.
///
/// # Formula
///
/// ```text
/// O_iks = persons with summed score s answering item i in category k, s = 1..S−1
/// E_iks = N_s Σ_q w_q P_ik(θ_q) L^{(−i)}(s − k | θ_q) / Σ_q w_q L(s | θ_q)
///         (L, L^{(−i)}: Lord–Wingersky likelihoods of the sum with and without item i)
/// S-X2_i = Σ_{s,k} (O_iks − E_iks)² / E_iks      over the cells left after collapsing
/// df_i   = cells − rows − (estimated parameters of item i) − (estimated population
///          parameters)
/// RMSEA  = √(max(S-X2/df − 1, 0)/(N − 1))
/// ```
///
/// Scores 0 and S (the maximum) carry no information and are left out. Cells are
/// collapsed as R `mirt` (`itemfit`, `mincell = 1`, function `collapseCells`) does:
/// impossible cells at the ends of a polytomous item are merged into their neighbours,
/// empty score rows dropped, rows with one observation merged upward, categories with
/// expected counts below 1 merged within a row, rare categories merged, and then
/// adjacent score rows merged (towards the neighbour with fewer observations) until
/// every expected count is at least 1. Orlando & Thissen (2000), Appl. Psychol. Meas.
/// 24; Kang & Chen (2008) for polytomous items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SX2 {
    /// The statistic (NaN when df = 0).
    pub statistic: f64,
    /// Degrees of freedom after collapsing (0 when none are left).
    pub df: usize,
    /// P(χ²_df ≥ statistic).
    pub p_value: f64,
    /// RMSEA of the statistic.
    pub rmsea: f64,
}

/// Observed and expected tables: rows are summed scores, columns categories.
type Table = Vec<Vec<f64>>;

/// S-X2 of every item of a calibration.
///
/// # Errors
///
/// [`crate::Error::MissingResponse`] when a response is missing (summed scores need
/// complete data); [`crate::Error::TooFewPersons`] for fewer than 2 persons;
/// [`crate::Error::WrongItemCount`] when data and fit disagree.
///
/// # Examples
///
/// LSAT7, 2PL; R `mirt` reports S-X2 = 4.749, 14.451, 1.270, 5.237, 0.941 on 2 df:
///
/// ```
/// use bagdar::calibrate::{CalibrationSettings, calibrate};
/// use bagdar::fit::s_x2;
/// use bagdar::response::ResponseMatrix;
/// let freq = [12, 19, 1, 7, 3, 19, 3, 17, 10, 5, 3, 7, 7, 23, 8, 28, 7, 39, 11, 34, 14,
///             51, 15, 90, 6, 25, 7, 35, 18, 136, 32, 308];
/// let mut data = Vec::new();
/// for (pattern, &f) in freq.iter().enumerate() {
///     for _ in 0..f {
///         data.extend((0..5).map(|i| ((pattern >> (4 - i)) & 1) as u8));
///     }
/// }
/// let responses = ResponseMatrix::new(1000, 5, data)?;
/// let settings = CalibrationSettings::default();
/// let fit = calibrate(&responses, &settings)?;
/// let items = s_x2(&responses, &settings, &fit)?;
/// assert_eq!(items[1].df, 2);
/// assert!((items[1].statistic - 14.451).abs() < 0.01);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn s_x2(
    responses: &ResponseMatrix,
    settings: &CalibrationSettings,
    fit: &Calibration,
) -> Result<Vec<SX2>> {
    require_complete(responses, "S-X2")?;
    require_persons(responses.persons(), 2, "S-X2")?;
    let fitted = Fitted::new(responses, settings, fit)?;
    let (items, quadrature) = fitted.model(&fitted.x)?;
    let own = fitted.item_parameters();
    let population = fitted.population_parameters();
    let max_sum: usize = items.iter().map(|f| f.categories() - 1).sum();
    let persons = responses.persons();
    let sums: Vec<usize> = (0..persons)
        .map(|p| responses.row(p).iter().map(|&x| x as usize).sum())
        .collect();
    let mut n_s = vec![0.0; max_sum + 1];
    for &s in &sums {
        n_s[s] += 1.0;
    }
    let mut out = Vec::with_capacity(items.len());
    for i in 0..items.len() {
        let k_i = items[i].categories();
        let mut expected = expected_table(&items, &quadrature, i);
        let rows = expected.len();
        let mut observed: Table = vec![vec![0.0; k_i]; rows];
        for (person, &s) in sums.iter().enumerate() {
            if s >= 1 && s < max_sum {
                observed[s - 1][responses.row(person)[i] as usize] += 1.0;
            }
        }
        for (s, row) in expected.iter_mut().enumerate() {
            for v in row.iter_mut().flatten() {
                *v *= n_s[s + 1];
            }
        }
        let (o, e) = collapse(observed, expected, 1.0);
        let cells = e.iter().flatten().filter(|v| v.is_some()).count();
        let statistic: f64 = o
            .iter()
            .flatten()
            .zip(e.iter().flatten())
            .filter_map(|(o, e)| e.map(|e| (o - e).powi(2) / e))
            .sum();
        let df = cells as i64 - e.len() as i64 - own[i] as i64 - population as i64;
        let df = df.max(0) as usize;
        let statistic = if df == 0 { f64::NAN } else { statistic };
        out.push(SX2 {
            statistic,
            df,
            p_value: chi_square_survival(statistic, df as f64),
            rmsea: rmsea(statistic, df as f64, persons as f64),
        });
    }
    Ok(out)
}

/// P(x_i = k | S = s) under the model for s = 1..S−1 (rows) and every category k;
/// `None` where s − k is not a possible score of the other items.
///
/// ```text
/// P(x_i = k | s) = Σ_q w_q P_ik(θ_q) L^{(−i)}(s − k | θ_q) / Σ_q w_q L(s | θ_q)
/// ```
pub(crate) fn expected_table(
    items: &[ResponseFunction],
    quadrature: &Quadrature,
    i: usize,
) -> Vec<Vec<Option<f64>>> {
    let max_sum: usize = items.iter().map(|f| f.categories() - 1).sum();
    let k_i = items[i].categories();
    let nodes = quadrature.nodes();
    let w = quadrature.weights();
    let mut full = vec![vec![0.0; max_sum + 1]; nodes.len()];
    let mut full_scale = vec![0.0; nodes.len()];
    for (q, &theta) in nodes.iter().enumerate() {
        full_scale[q] = sum_score_likelihoods(items, theta, &mut full[q]);
    }
    let c = full_scale.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let denominator: Vec<f64> = (0..=max_sum)
        .map(|s| {
            (0..nodes.len())
                .map(|q| w[q] * full[q][s] * (full_scale[q] - c).exp())
                .sum()
        })
        .collect();
    let mut p = [0.0; MAX_CATEGORIES];
    let rest: Vec<ResponseFunction> = items
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(_, f)| f.clone())
        .collect();
    let max_rest = max_sum - (k_i - 1);
    let mut column = vec![0.0; max_rest + 1];
    // Expected table with None where s − k is outside the rest's range.
    let rows = max_sum.saturating_sub(1);
    let mut expected: Vec<Vec<Option<f64>>> = vec![vec![Some(0.0); k_i]; rows];
    for (s, row) in expected.iter_mut().enumerate() {
        let s = s + 1;
        for (k, cell) in row.iter_mut().enumerate() {
            if s < k || s - k > max_rest {
                *cell = None;
            }
        }
    }
    for (q, &theta) in nodes.iter().enumerate() {
        let scale = sum_score_likelihoods(&rest, theta, &mut column);
        items[i].probabilities(theta, &mut p);
        let factor = w[q] * (scale - c).exp();
        for (s, row) in expected.iter_mut().enumerate() {
            let s = s + 1;
            for (k, cell) in row.iter_mut().enumerate() {
                if let Some(v) = cell {
                    *v += factor * p[k] * column[s - k];
                }
            }
        }
    }
    for (s, row) in expected.iter_mut().enumerate() {
        for v in row.iter_mut().flatten() {
            *v /= denominator[s + 1];
        }
    }
    expected
}

fn row_sum(row: &[f64]) -> f64 {
    row.iter().sum()
}

fn add_row(table: &mut Table, from: usize, to: usize) {
    let src = table[from].clone();
    table[to].iter_mut().zip(&src).for_each(|(a, b)| *a += b);
}

/// R `mirt`'s `collapseCells` for one item (mincell as given); expected cells that end
/// at 0 are `None` (left out of the statistic and the cell count).
pub(crate) fn collapse(
    mut observed: Table,
    expected: Vec<Vec<Option<f64>>>,
    mincell: f64,
) -> (Table, Vec<Vec<Option<f64>>>) {
    let mut e: Table = expected
        .iter()
        .map(|r| r.iter().map(|v| v.unwrap_or(0.0)).collect())
        .collect();
    let drop: Vec<usize> = expected
        .iter()
        .enumerate()
        .filter(|(_, r)| r.iter().any(Option::is_none))
        .map(|(s, _)| s)
        .collect();
    if !drop.is_empty() {
        // Impossible cells at the top and bottom ends: merge into the first/last full row.
        let half = drop.len() / 2;
        let up: Vec<usize> = (drop[0]..=drop[half.max(1) - 1]).collect();
        let low: Vec<usize> = (drop[half.min(drop.len() - 1)]..=drop[drop.len() - 1]).collect();
        let up_to = up[up.len() - 1] + 1;
        let low_to = low[0] - 1;
        for &r in &up {
            add_row(&mut e, r, up_to);
            add_row(&mut observed, r, up_to);
        }
        for &r in &low {
            add_row(&mut e, r, low_to);
            add_row(&mut observed, r, low_to);
        }
        let keep: Vec<bool> = (0..e.len())
            .map(|r| !up.contains(&r) && !low.contains(&r))
            .collect();
        e = retain_rows(e, &keep);
        observed = retain_rows(observed, &keep);
    }
    if observed.is_empty() {
        return (observed, Vec::new());
    }
    // Drop empty score rows.
    let keep: Vec<bool> = observed.iter().map(|r| row_sum(r) != 0.0).collect();
    e = retain_rows(e, &keep);
    observed = retain_rows(observed, &keep);
    if observed.is_empty() {
        return (observed, Vec::new());
    }
    // L is computed here and (as in mirt) indexed by row after the merges below.
    let small: Vec<Vec<bool>> = e
        .iter()
        .map(|r| r.iter().map(|&v| v < mincell).collect())
        .collect();
    let mut keep = vec![true; observed.len()];
    for j in 0..observed.len().saturating_sub(1) {
        if row_sum(&observed[j]) == 1.0 {
            keep[j] = false;
            add_row(&mut observed, j, j + 1);
            add_row(&mut e, j, j + 1);
        }
    }
    e = retain_rows(e, &keep);
    observed = retain_rows(observed, &keep);
    let last = observed.len() - 1;
    if last >= 1 && row_sum(&observed[last]) == 1.0 {
        add_row(&mut observed, last, last - 1);
        add_row(&mut e, last, last - 1);
        observed.pop();
        e.pop();
    }
    let mut cols = e[0].len();
    if cols > 2 {
        for j in 0..e.len() {
            if !small.get(j).is_some_and(|r| r.iter().any(|&b| b)) {
                continue;
            }
            let mut tmp = e[j].clone();
            let mut tmp2 = observed[j].clone();
            while tmp.len() > 2 {
                let m = tmp.iter().copied().fold(f64::INFINITY, f64::min);
                let whc = tmp.iter().rposition(|&v| v == m).unwrap_or(0);
                // Into the only neighbour at an end, else into the smaller neighbour
                // (the left one on ties).
                let left = whc == tmp.len() - 1
                    || (whc > 0 && tmp[whc - 1].min(tmp[whc + 1]) == tmp[whc - 1]);
                let pick = if left { whc - 1 } else { whc + 1 };
                tmp[pick] += tmp[whc];
                tmp2[pick] += tmp2[whc];
                tmp.remove(whc);
                tmp2.remove(whc);
                if tmp.iter().all(|&v| v >= mincell) {
                    break;
                }
            }
            tmp.resize(cols, 0.0);
            tmp2.resize(cols, 0.0);
            e[j] = tmp;
            observed[j] = tmp2;
        }
        // Merge the last column into the previous while it is too rare.
        loop {
            let threshold = mincell * (e.len() as f64 * 0.1).ceil();
            let last_total: f64 = e.iter().map(|r| r[cols - 1]).sum();
            if last_total.is_nan() || last_total >= threshold || cols == 2 {
                break;
            }
            for (er, or) in e.iter_mut().zip(observed.iter_mut()) {
                er[cols - 2] += er[cols - 1];
                or[cols - 2] += or[cols - 1];
                er.pop();
                or.pop();
            }
            cols -= 1;
        }
    }
    // Merge columns that are positive in fewer than 5% of rows into their left neighbour.
    let mut dropcol = vec![false; cols];
    for j in (1..cols).rev() {
        let frac = e.iter().filter(|r| r[j] > 0.0).count() as f64 / e.len() as f64;
        if frac < 0.05 {
            dropcol[j] = true;
            for (er, or) in e.iter_mut().zip(observed.iter_mut()) {
                er[j - 1] += er[j];
                or[j - 1] += or[j];
            }
        }
    }
    let strip = |t: Table| -> Table {
        t.into_iter()
            .map(|r| {
                r.into_iter()
                    .zip(&dropcol)
                    .filter(|(_, d)| !**d)
                    .map(|(v, _)| v)
                    .collect()
            })
            .collect()
    };
    e = strip(e);
    observed = strip(observed);
    // Merge score rows until every non-zero expected count reaches mincell.
    loop {
        if e.len() <= 1 || e[0].len() <= 1 {
            break;
        }
        let Some(whc) = e
            .iter()
            .position(|r| r.iter().any(|&v| v < mincell && v != 0.0))
        else {
            break;
        };
        let last = e.len() - 1;
        let pick = if whc == 0 {
            1
        } else if whc == last {
            last - 1
        } else {
            let up = row_sum(&observed[whc - 1]);
            let down = row_sum(&observed[whc + 1]);
            if up.min(down) == up { whc - 1 } else { whc + 1 }
        };
        add_row(&mut e, whc, pick);
        add_row(&mut observed, whc, pick);
        e.remove(whc);
        observed.remove(whc);
    }
    let e = e
        .into_iter()
        .map(|r| r.into_iter().map(|v| (v != 0.0).then_some(v)).collect())
        .collect();
    (observed, e)
}

fn retain_rows(t: Table, keep: &[bool]) -> Table {
    t.into_iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(r, _)| r)
        .collect()
}
