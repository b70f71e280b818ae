//! EAP scoring on log-probability tables.

use super::{Estimate, Status};
use crate::model::{MAX_CATEGORIES, ResponseCurve, ResponseFunction};
use crate::posterior::{exponentiate_window, sum_map, sum_zip_in};
use crate::quadrature::Quadrature;
use crate::response::{MISSING, binary_code};

/// Nodes added per pass of [`LogTable::accumulate`]: the partial sums of one block of
/// nodes stay in registers while every row of a person is added to them.
const BLOCK: usize = 16;

/// Rows of one person gathered before they are added (a person with more answers is
/// added in several groups, in item order).
const GROUP: usize = 128;

/// Consecutive 0/1 items whose Δ rows are also tabulated summed over every subset: a
/// person's answers to them select one row of 2^PACK.
const PACK: usize = 8;

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
/// the second adds only the 1-responses (about half the work). In the second form, runs
/// of eight consecutive 0/1 items answered in full add one precomputed row
/// Σ_{i in run: x_pi = 1} Δ_i1 instead of one row per 1-answer (half the rows again;
/// the sums are rounded once more, so results differ from the row-by-row sums by
/// rounding only, about 1e-15 relative). The rows are stored
/// padded to a multiple of 16 nodes and added 16 nodes at a time across all of a
/// person's items, so the running sums stay in registers.
#[derive(Debug, Clone, PartialEq)]
pub struct LogTable {
    nodes: usize,
    /// Padded row length (a multiple of [`BLOCK`], ≥ `nodes`).
    stride: usize,
    /// Per item, where its rows start in `rows`.
    items: Vec<ItemRows>,
    /// The items in order, single or in runs of [`PACK`] 0/1 items.
    segments: Vec<Segment>,
    /// B(θ_q), then per item: K rows ln P_ik, K − 1 rows Δ_ik (k ≥ 1) and −ln P_i0;
    /// each `stride` long, padded with zeros.
    rows: Vec<f64>,
}

impl LogTable {
    /// Tabulates the items on the nodes, with the subset sums of runs of 0/1 items that
    /// speed up [`LogTable::accumulate`] (256 rows per run of eight).
    pub fn new(items: &[ResponseFunction], nodes: &[f64]) -> Self {
        Self::build(items, nodes, true)
    }

    /// Tabulates the items on the nodes without the subset sums: for a user of
    /// [`LogTable::row`] only (the sums would cost memory and time for nothing).
    pub fn rows_only(items: &[ResponseFunction], nodes: &[f64]) -> Self {
        Self::build(items, nodes, false)
    }

    fn build(items: &[ResponseFunction], nodes: &[f64], packs: bool) -> Self {
        let q = nodes.len();
        let stride = q.div_ceil(BLOCK).max(1) * BLOCK;
        let mut starts = Vec::with_capacity(items.len());
        // Row 0 is B(θ_q), filled in below.
        let mut rows = vec![0.0; stride];
        let mut lp = [0.0; MAX_CATEGORIES];
        for f in items {
            let k = f.categories();
            let first = rows.len() / stride;
            starts.push(ItemRows {
                values: first * stride,
                differences: (first + k - 1) * stride,
                negated_zero: (first + 2 * k - 1) * stride,
            });
            rows.resize(rows.len() + (2 * k) * stride, 0.0);
            let at = |row: usize, node: usize| (first + row) * stride + node;
            for (qi, &theta) in nodes.iter().enumerate() {
                f.log_probabilities(theta, &mut lp);
                for c in 0..k {
                    rows[at(c, qi)] = lp[c];
                }
                for c in 1..k {
                    rows[at(k - 1 + c, qi)] = lp[c] - lp[0];
                }
                rows[at(2 * k - 1, qi)] = -lp[0];
                rows[BASE_ROW + qi] += lp[0];
            }
        }
        // Runs of PACK consecutive 0/1 items: 2^PACK rows of Δ sums over their subsets.
        let mut segments = Vec::new();
        let mut i = 0;
        while i < items.len() {
            let run = items.get(i..i + PACK).filter(|_| packs);
            if run.is_some_and(|run| run.iter().all(|f| f.categories() == 2)) {
                let sums = rows.len();
                rows.resize(sums + (1 << PACK) * stride, 0.0);
                // Row `code` = row `code` without its highest bit j, plus Δ_(i+j),1:
                // the bits' rows added in increasing j, one row addition per code.
                for code in 1..1usize << PACK {
                    let j = code.ilog2() as usize;
                    let (at, from) = (sums + code * stride, sums + (code - (1 << j)) * stride);
                    let delta = starts[i + j].differences + stride;
                    for qi in 0..q {
                        rows[at + qi] = rows[from + qi] + rows[delta + qi];
                    }
                }
                segments.push(Segment::Pack { item: i, sums });
                i += PACK;
            } else {
                segments.push(Segment::Single(i));
                i += 1;
            }
        }
        LogTable {
            nodes: q,
            stride,
            items: starts,
            segments,
            rows,
        }
    }

    /// ln P_ik(θ_q) for q = 0..Q.
    #[inline]
    pub fn row(&self, item: usize, category: usize) -> &[f64] {
        let start = self.items[item].values + category * self.stride;
        &self.rows[start..start + self.nodes]
    }

    /// Adds the log-likelihood of `responses` (one per item of the table) to `acc`
    /// (length Q); returns the number of answered items.
    #[inline]
    pub fn accumulate(&self, responses: &[u8], acc: &mut [f64]) -> usize {
        self.sum_into(responses, None, acc)
    }

    /// Writes `init` (or `out` itself when `None`) plus the log-likelihood of
    /// `responses` into `out` (length Q); returns the number of answered items.
    pub(crate) fn sum_into(
        &self,
        responses: &[u8],
        init: Option<&[f64]>,
        out: &mut [f64],
    ) -> usize {
        let (missing, above_zero) = count_missing_and_above_zero(responses);
        let answered = responses.len() - missing;
        let mut gather = Gather {
            table: self,
            init,
            starts: [0; GROUP],
            len: 0,
        };
        // A row start is always written and only kept (`len` advanced) when the answer
        // needs a row: branch-free, as 0/1 answers are unpredictable.
        if responses.len() == self.items.len() && missing + above_zero < answered {
            gather.push(out, BASE_ROW, true);
            let single = |gather: &mut Gather, out: &mut [f64], i: usize| {
                let (rows, x) = (&self.items[i], responses[i]);
                let start = if x == MISSING {
                    rows.negated_zero
                } else {
                    rows.differences + usize::from(x) * self.stride
                };
                gather.push(out, start, x != 0);
            };
            for segment in &self.segments {
                match *segment {
                    Segment::Single(i) => single(&mut gather, out, i),
                    Segment::Pack { item, sums } => {
                        if let Some(code) = binary_code::<PACK>(&responses[item..]) {
                            gather.push(out, sums + code * self.stride, code != 0);
                        } else {
                            for i in item..item + PACK {
                                single(&mut gather, out, i);
                            }
                        }
                    }
                }
            }
        } else {
            for (rows, &x) in self.items.iter().zip(responses) {
                gather.push(
                    out,
                    rows.values + usize::from(x) * self.stride,
                    x != MISSING,
                );
            }
        }
        gather.flush(out);
        answered
    }
}

/// (missing, answered with a category above 0) among `responses`, counted in byte lanes
/// (blocks of at most 255) so that the compiler keeps 16 answers per vector.
#[inline(always)]
fn count_missing_and_above_zero(responses: &[u8]) -> (usize, usize) {
    let (mut missing, mut above_zero) = (0, 0);
    for block in responses.chunks(255) {
        let (mut m, mut a) = (0u8, 0u8);
        for &x in block {
            m += u8::from(x == MISSING);
            a += u8::from(x != MISSING && x > 0);
        }
        missing += usize::from(m);
        above_zero += usize::from(a);
    }
    (missing, above_zero)
}

/// Where B(θ_q) starts in [`LogTable::rows`].
const BASE_ROW: usize = 0;

/// One item, or a run of [`PACK`] 0/1 items starting at `item` whose subset sums of
/// Δ_i1 start at `sums` in [`LogTable::rows`] (row `code` = Σ_j x_j·2^j).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Segment {
    Single(usize),
    Pack { item: usize, sums: usize },
}

/// Where one item's rows start in [`LogTable::rows`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct ItemRows {
    /// ln P_i0 (row k is `stride · k` further on).
    values: usize,
    /// Where Δ_i0 would be: Δ_ik is `stride · k` further on (k ≥ 1).
    differences: usize,
    /// −ln P_i0.
    negated_zero: usize,
}

/// The rows one person needs, added in groups of [`GROUP`].
struct Gather<'a> {
    table: &'a LogTable,
    /// The starting values until the first group is added.
    init: Option<&'a [f64]>,
    starts: [usize; GROUP],
    len: usize,
}

impl Gather<'_> {
    #[inline(always)]
    fn push(&mut self, out: &mut [f64], start: usize, keep: bool) {
        self.starts[self.len] = start;
        self.len += usize::from(keep);
        if self.len == GROUP {
            self.flush(out);
        }
    }

    /// out[q] = (init or out)[q] + Σ_r rows[r + q] over the gathered rows, in order,
    /// 16 nodes at a time (rows are padded to whole blocks).
    #[inline(always)]
    fn flush(&mut self, out: &mut [f64]) {
        let t = self.table;
        let out = &mut out[..t.nodes];
        let starts = &self.starts[..self.len];
        for (b, chunk) in out.chunks_mut(BLOCK).enumerate() {
            let offset = b * BLOCK;
            // The running sums are a fixed-size array indexed only by constants (the
            // partial last block goes through `edge`), so they stay in registers.
            let mut edge = [0.0; BLOCK];
            edge[..chunk.len()].copy_from_slice(match self.init {
                Some(init) => &init[offset..offset + chunk.len()],
                None => chunk,
            });
            let mut sums = edge;
            for &s in starts {
                let row: &[f64; BLOCK] = t.rows[s + offset..s + offset + BLOCK]
                    .try_into()
                    .expect("rows are padded to whole blocks");
                for (total, v) in sums.iter_mut().zip(row) {
                    *total += v;
                }
            }
            edge = sums;
            chunk.copy_from_slice(&edge[..chunk.len()]);
        }
        self.init = None;
        self.len = 0;
    }
}

/// Writes normalized posterior weights into `out`; returns the EAP estimate, the same
/// to the bit as [`eap_row`].
pub(crate) fn posterior_row(
    table: &LogTable,
    quadrature: &Quadrature,
    row: &[u8],
    out: &mut [f64],
) -> Estimate {
    let estimate = eap_row(table, quadrature, row, out);
    let total = sum_map(out, |w| w);
    for v in out.iter_mut() {
        *v /= total;
    }
    estimate
}

/// EAP and posterior SD of one row: θ̂ = Σ θ_q w_q / Σ w_q and
/// SD² = Σ (θ_q − θ̂)² w_q / Σ w_q on the unnormalized weights w_q = exp(ℓ_q − max ℓ),
/// which are left in `scratch`.
pub(crate) fn eap_row(
    table: &LogTable,
    quadrature: &Quadrature,
    row: &[u8],
    scratch: &mut [f64],
) -> Estimate {
    let answered = table.sum_into(row, Some(quadrature.log_weights()), scratch);
    let (_, total, window) = exponentiate_window(scratch);
    let nodes = quadrature.nodes();
    // The weights are 0 outside the window, so these are the sums over all nodes.
    let theta = sum_zip_in(nodes, scratch, window.clone(), |t, w| t * w) / total;
    let var = sum_zip_in(nodes, scratch, window, |t, w| (t - theta) * (t - theta) * w) / total;
    Estimate {
        theta,
        se: var.sqrt(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_code_reads_every_subset_of_eight_or_four_answers() {
        for code in 0..1usize << PACK {
            let answers: [u8; PACK] = std::array::from_fn(|j| (code >> j & 1) as u8);
            assert_eq!(binary_code::<PACK>(&answers), Some(code));
            assert_eq!(binary_code::<4>(&answers), Some(code & 15));
            for j in 0..PACK {
                let mut with_missing = answers;
                with_missing[j] = MISSING;
                assert_eq!(binary_code::<PACK>(&with_missing), None);
                assert_eq!(binary_code::<4>(&with_missing).is_none(), j < 4);
            }
        }
    }

    #[test]
    fn counts_survive_more_than_255_answers() {
        let mut responses = vec![MISSING; 300];
        responses.extend(std::iter::repeat_n(2, 280));
        responses.extend(std::iter::repeat_n(0, 7));
        assert_eq!(count_missing_and_above_zero(&responses), (300, 280));
        assert_eq!(count_missing_and_above_zero(&[]), (0, 0));
    }
}
