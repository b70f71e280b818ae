//! EAP for summed scores via the Lord–Wingersky recursion.

use super::eap::mean_sd;
use super::{Estimate, Status};
use crate::model::{MAX_CATEGORIES, ResponseCurve, ResponseFunction};
use crate::quadrature::Quadrature;
use crate::response::{MISSING, ResponseMatrix};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Posterior mean and SD of θ for every attainable summed score.
///
/// # Formula
///
/// ```text
/// L_0(s | θ_q)   = [s = 0]
/// L_i(s | θ_q)   = Σ_k L_{i−1}(s − k | θ_q) · P_ik(θ_q)          (Lord & Wingersky 1984)
/// P(s)           = Σ_q w_q L_n(s | θ_q)
/// EAP(s)         = Σ_q θ_q w_q L_n(s | θ_q) / P(s),   SD(s) likewise
/// ```
///
/// The summed score is Σ_i x_i over model categories (0-based). Each node's likelihoods
/// are rescaled after every item, so long tests do not underflow (Thissen, Pommerich,
/// Billeaud & Williams 1995).
///
/// # Examples
///
/// ```
/// use bagdar::model::ItemModel;
/// use bagdar::score::{Scorer, ScoringSettings};
/// let items = vec![ItemModel::Rasch { intercept: 0.0 }; 3];
/// let table = Scorer::from_models(&items, &ScoringSettings::default())?.sum_score_table();
/// assert_eq!(table.sums, vec![0, 1, 2, 3]);
/// assert!((table.theta[0] + table.theta[3]).abs() < 1e-12); // symmetric
/// assert!((table.probability.iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SumScoreTable {
    /// Summed scores 0..=max.
    pub sums: Vec<usize>,
    /// EAP of θ given the sum.
    pub theta: Vec<f64>,
    /// Posterior SD of θ given the sum.
    pub se: Vec<f64>,
    /// Model-implied marginal probability of each sum.
    pub probability: Vec<f64>,
}

impl SumScoreTable {
    /// Builds the table for `items`, all answered.
    pub fn new(items: &[ResponseFunction], quadrature: &Quadrature) -> Self {
        let max_sum: usize = items.iter().map(|f| f.categories() - 1).sum();
        let nodes = quadrature.nodes();
        let q_count = nodes.len();
        // likelihood[s * Q + q], with a log scale factor per node.
        let mut likelihood = vec![0.0; (max_sum + 1) * q_count];
        let mut log_scale = vec![0.0; q_count];
        let mut column = vec![0.0; max_sum + 1];
        for (q, &theta) in nodes.iter().enumerate() {
            log_scale[q] = sum_score_likelihoods(items, theta, &mut column);
            for s in 0..=max_sum {
                likelihood[s * q_count + q] = column[s];
            }
        }
        let top = log_scale.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let factor: Vec<f64> = log_scale
            .iter()
            .zip(quadrature.weights())
            .map(|(l, w)| w * (l - top).exp())
            .collect();
        let mut table = SumScoreTable {
            sums: (0..=max_sum).collect(),
            theta: Vec::with_capacity(max_sum + 1),
            se: Vec::with_capacity(max_sum + 1),
            probability: Vec::with_capacity(max_sum + 1),
        };
        let mut weights = vec![0.0; q_count];
        for s in 0..=max_sum {
            let mut total = 0.0;
            for q in 0..q_count {
                weights[q] = factor[q] * likelihood[s * q_count + q];
                total += weights[q];
            }
            table.probability.push(total * top.exp());
            if total > 0.0 {
                weights.iter_mut().for_each(|w| *w /= total);
                let (m, sd) = mean_sd(nodes, &weights);
                table.theta.push(m);
                table.se.push(sd);
            } else {
                table.theta.push(f64::NAN);
                table.se.push(f64::NAN);
            }
        }
        table
    }

    /// The estimate for a summed score, `None` beyond the maximum.
    pub fn lookup(&self, sum: usize) -> Option<Estimate> {
        (sum < self.sums.len()).then(|| Estimate {
            theta: self.theta[sum],
            se: self.se[sum],
            status: Status::Ok,
        })
    }
}

/// The Lord–Wingersky recursion at one θ: fills `column` (length ≥ the highest sum + 1)
/// with P(summed score = s | θ) divided by e^scale and returns that log scale (the
/// column is rescaled after every item so long tests do not underflow).
pub fn sum_score_likelihoods(items: &[ResponseFunction], theta: f64, column: &mut [f64]) -> f64 {
    let mut p = [0.0; MAX_CATEGORIES];
    column.iter_mut().for_each(|v| *v = 0.0);
    column[0] = 1.0;
    let mut reached = 0;
    let mut log_scale = 0.0;
    for f in items {
        let k = f.categories();
        f.probabilities(theta, &mut p);
        for s in (0..=reached).rev() {
            let here = column[s];
            column[s] = 0.0;
            for (c, pc) in p.iter().enumerate().take(k) {
                column[s + c] += here * pc;
            }
        }
        reached += k - 1;
        let m = column[..=reached].iter().copied().fold(0.0, f64::max);
        if m > 0.0 {
            column[..=reached].iter_mut().for_each(|v| *v /= m);
            log_scale += m.ln();
        }
    }
    log_scale
}

/// Scores each row by its sum, with one table per pattern of answered items.
pub(crate) fn score_by_sum(
    items: &[ResponseFunction],
    quadrature: &Quadrature,
    responses: &ResponseMatrix,
) -> Vec<Estimate> {
    let mut tables: HashMap<Vec<bool>, SumScoreTable> = HashMap::new();
    let mut out = Vec::with_capacity(responses.persons());
    for p in 0..responses.persons() {
        let row = responses.row(p);
        let answered: Vec<bool> = row.iter().map(|&x| x != MISSING).collect();
        if !answered.iter().any(|&a| a) {
            let (m, sd) = mean_sd(quadrature.nodes(), quadrature.weights());
            out.push(Estimate {
                theta: m,
                se: sd,
                status: Status::NoResponses,
            });
            continue;
        }
        let table = tables.entry(answered).or_insert_with_key(|mask| {
            let subset: Vec<ResponseFunction> = items
                .iter()
                .zip(mask)
                .filter(|(_, a)| **a)
                .map(|(f, _)| f.clone())
                .collect();
            SumScoreTable::new(&subset, quadrature)
        });
        let sum: usize = row
            .iter()
            .filter(|&&x| x != MISSING)
            .map(|&x| x as usize)
            .sum();
        out.push(
            table
                .lookup(sum)
                .expect("sum within the table of its own items"),
        );
    }
    out
}
