//! EAP scoring on log-probability tables.

use super::{Estimate, Status};
use crate::model::{MAX_CATEGORIES, ResponseCurve, ResponseFunction};
use crate::quadrature::Quadrature;
use crate::response::MISSING;

/// ln P_ik(θ_q) for every item i, category k and node q, laid out so that one
/// (item, category) row of Q values is contiguous: scoring a person adds one row per
/// answered item.
///
/// # Formula
///
/// ```text
/// ℓ_p(θ_q) = Σ_{i answered} ln P_{i,x_pi}(θ_q)                              (direct)
///          = B(θ_q) − Σ_{i missing} ln P_i0(θ_q) + Σ_{i: x_pi > 0} Δ_{i,x_pi}(θ_q)
/// B(θ_q) = Σ_i ln P_i0(θ_q),   Δ_ik(θ_q) = ln P_ik(θ_q) − ln P_i0(θ_q)
/// ```
///
/// A row takes whichever form adds fewer rows: for 0/1 data without missing responses
/// the second adds only the 1-responses (about half the work).
#[derive(Debug, Clone, PartialEq)]
pub struct LogTable {
    nodes: usize,
    offsets: Vec<usize>,
    values: Vec<f64>,
    /// Δ_ik rows in the layout of `values` (the k = 0 rows are 0).
    differences: Vec<f64>,
    /// B(θ_q).
    base: Vec<f64>,
}

impl LogTable {
    /// Tabulates the items on the nodes.
    pub fn new(items: &[ResponseFunction], nodes: &[f64]) -> Self {
        let q = nodes.len();
        let mut offsets = Vec::with_capacity(items.len());
        let mut values = Vec::new();
        let mut lp = [0.0; MAX_CATEGORIES];
        for f in items {
            let k = f.categories();
            let base = values.len();
            offsets.push(base);
            values.resize(base + k * q, 0.0);
            for (qi, &theta) in nodes.iter().enumerate() {
                f.log_probabilities(theta, &mut lp);
                for c in 0..k {
                    values[base + c * q + qi] = lp[c];
                }
            }
        }
        let mut differences = vec![0.0; values.len()];
        let mut base = vec![0.0; q];
        for (i, f) in items.iter().enumerate() {
            let start = offsets[i];
            let zero = &values[start..start + q];
            for (b, v) in base.iter_mut().zip(zero) {
                *b += v;
            }
            for c in 1..f.categories() {
                let at = start + c * q;
                for j in 0..q {
                    differences[at + j] = values[at + j] - zero[j];
                }
            }
        }
        LogTable {
            nodes: q,
            offsets,
            values,
            differences,
            base,
        }
    }

    /// ln P_ik(θ_q) for q = 0..Q.
    #[inline]
    pub fn row(&self, item: usize, category: usize) -> &[f64] {
        let start = self.offsets[item] + category * self.nodes;
        &self.values[start..start + self.nodes]
    }

    #[inline]
    fn difference(&self, item: usize, category: usize) -> &[f64] {
        let start = self.offsets[item] + category * self.nodes;
        &self.differences[start..start + self.nodes]
    }

    /// Adds the log-likelihood of `responses` (one per item of the table) to `acc`
    /// (length Q); returns the number of answered items.
    #[inline]
    pub fn accumulate(&self, responses: &[u8], acc: &mut [f64]) -> usize {
        let missing = responses.iter().filter(|&&x| x == MISSING).count();
        let answered = responses.len() - missing;
        let above_zero = responses.iter().filter(|&&x| x != MISSING && x > 0).count();
        let add = |acc: &mut [f64], row: &[f64]| {
            for (a, l) in acc.iter_mut().zip(row) {
                *a += l;
            }
        };
        if responses.len() == self.offsets.len() && missing + above_zero < answered {
            add(acc, &self.base);
            for (item, &x) in responses.iter().enumerate() {
                if x == MISSING {
                    for (a, l) in acc.iter_mut().zip(self.row(item, 0)) {
                        *a -= l;
                    }
                } else if x > 0 {
                    add(acc, self.difference(item, x as usize));
                }
            }
        } else {
            for (item, &x) in responses.iter().enumerate() {
                if x != MISSING {
                    add(acc, self.row(item, x as usize));
                }
            }
        }
        answered
    }
}

/// Log posterior weights this far below the mode are treated as 0.
const NEGLIGIBLE_LOG_WEIGHT: f64 = -50.0;

/// Writes normalized posterior weights into `out`; returns the number answered.
pub(crate) fn posterior_row(
    table: &LogTable,
    quadrature: &Quadrature,
    row: &[u8],
    out: &mut [f64],
) -> usize {
    out.copy_from_slice(quadrature.log_weights());
    let answered = table.accumulate(row, out);
    let max = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for v in out.iter_mut() {
        // A node more than 50 log-units below the mode weighs < 2e-22 of it: far below
        // half an ulp of the total, so leaving out its exp() changes no result.
        let d = *v - max;
        *v = if d > NEGLIGIBLE_LOG_WEIGHT {
            d.exp()
        } else {
            0.0
        };
        total += *v;
    }
    for v in out.iter_mut() {
        *v /= total;
    }
    answered
}

/// EAP and posterior SD of one row.
pub(crate) fn eap_row(
    table: &LogTable,
    quadrature: &Quadrature,
    row: &[u8],
    scratch: &mut [f64],
) -> Estimate {
    let answered = posterior_row(table, quadrature, row, scratch);
    let (theta, sd) = mean_sd(quadrature.nodes(), scratch);
    Estimate {
        theta,
        se: sd,
        status: if answered == 0 {
            Status::NoResponses
        } else {
            Status::Ok
        },
    }
}

/// Mean and SD of a discrete distribution (two passes, no cancellation).
pub(crate) fn mean_sd(nodes: &[f64], weights: &[f64]) -> (f64, f64) {
    let mean: f64 = nodes.iter().zip(weights).map(|(t, w)| t * w).sum();
    let var: f64 = nodes
        .iter()
        .zip(weights)
        .map(|(t, w)| (t - mean) * (t - mean) * w)
        .sum();
    (mean, var.sqrt())
}
