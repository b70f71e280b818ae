//! The E-step: posterior weights on the grid and the expected counts they add up to.

use super::bytes::{Reader, Writer};
use crate::error::{Error, Result};
use crate::model::{MAX_CATEGORIES, ResponseCurve, ResponseFunction};
use crate::posterior::exponentiate_window;
use crate::quadrature::Quadrature;
use crate::response::{MISSING, ResponseMatrix, binary_code};
use crate::score::LogTable;
use std::collections::HashMap;
use std::ops::Range;

/// Unique response patterns per chunk of work in the E-step. Chunks are fixed in size
/// (not in number), so the summation order does not depend on the thread count.
pub(crate) const CHUNK: usize = 512;

/// Consecutive 0/1 items whose category-1 counts the E-step gathers by the code of the
/// answers to all of them (see `add_patterns`).
const QUAD: usize = 4;

/// Adds `values[window]` to each row of `target` starting at `starts` (rows of
/// `values.len()`), 16 nodes at a time so that the block of `values` stays in registers
/// (the tail in blocks of 8, 4, 2 and 1). Outside the window the values are +0, which
/// would change nothing.
fn add_to_rows(target: &mut [f64], starts: &[usize], values: &[f64], window: Range<usize>) {
    let n = window.end;
    let mut at = window.start;
    while at + 16 <= n {
        add_block::<16>(target, starts, values, at);
        at += 16;
    }
    if at + 8 <= n {
        add_block::<8>(target, starts, values, at);
        at += 8;
    }
    if at + 4 <= n {
        add_block::<4>(target, starts, values, at);
        at += 4;
    }
    if at + 2 <= n {
        add_block::<2>(target, starts, values, at);
        at += 2;
    }
    if at < n {
        add_block::<1>(target, starts, values, at);
    }
}

#[inline(always)]
fn add_block<const B: usize>(target: &mut [f64], starts: &[usize], values: &[f64], at: usize) {
    let v: &[f64; B] = values[at..at + B].try_into().expect("a whole block");
    for &s in starts {
        let row: &mut [f64; B] = (&mut target[s + at..s + at + B])
            .try_into()
            .expect("a whole block");
        for (r, x) in row.iter_mut().zip(v) {
            *r += x;
        }
    }
}

/// Chunks computed (in parallel) before their counts are added up.
const BATCH: usize = 64;

/// The distinct rows of a response matrix, each with its frequency, in order of first
/// appearance.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Patterns {
    pub(crate) items: usize,
    pub(crate) rows: Vec<u8>,
    pub(crate) frequencies: Vec<f64>,
}

impl Patterns {
    /// Collapses identical rows.
    pub(crate) fn collapse(responses: &ResponseMatrix) -> Self {
        let items = responses.items();
        let mut index: HashMap<&[u8], usize> = HashMap::new();
        let mut rows = Vec::new();
        let mut frequencies: Vec<f64> = Vec::new();
        for p in 0..responses.persons() {
            let row = responses.row(p);
            match index.get(row) {
                Some(&u) => frequencies[u] += 1.0,
                None => {
                    index.insert(row, frequencies.len());
                    rows.extend_from_slice(row);
                    frequencies.push(1.0);
                }
            }
        }
        Patterns {
            items,
            rows,
            frequencies,
        }
    }

    /// Number of distinct patterns.
    pub(crate) fn len(&self) -> usize {
        self.frequencies.len()
    }

    /// Pattern `u`.
    pub(crate) fn row(&self, u: usize) -> &[u8] {
        &self.rows[u * self.items..(u + 1) * self.items]
    }
}

/// The sufficient statistic of the Bock–Aitkin E-step, summed over persons.
///
/// # Formula
///
/// ```text
/// π_p(q)  = w_q Π_i P_{i,x_pi}(θ_q) / L_p,   L_p = Σ_r w_r Π_i P_{i,x_pi}(θ_r)
/// r_{ikq} = Σ_p f_p · π_p(q) · [x_pi = k]     expected persons in category k of item i at θ_q
/// n_q     = Σ_p f_p · π_p(q)                  expected persons at θ_q
/// ℓ       = Σ_p f_p · ln L_p                  marginal log-likelihood
/// ```
///
/// `w_q` are the population weights on the grid, `f_p` the frequency of a response
/// pattern, and missing responses ([`MISSING`]) leave the product and `r` untouched
/// (Bock & Aitkin 1981). Every field is a sum over persons, so counts computed on
/// disjoint chunks of persons (threads, Dask partitions) are merged by addition and
/// give the counts of the whole data, up to floating-point summation order.
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::ExpectedCounts;
/// use bagdar::model::ItemModel;
/// use bagdar::quadrature::{Grid, Prior, Quadrature};
/// use bagdar::response::ResponseMatrix;
/// let items = vec![ItemModel::TwoPl { slope: 1.0, intercept: 0.0 }.response_function("i1")?; 2];
/// let quadrature = Quadrature::new(&Grid::default(), &Prior::default())?;
/// let a = ResponseMatrix::from_rows(&[vec![Some(1), Some(0)]])?;
/// let b = ResponseMatrix::from_rows(&[vec![Some(1), None], vec![Some(0), Some(0)]])?;
/// let all = ResponseMatrix::from_rows(&[vec![Some(1), Some(0)], vec![Some(1), None], vec![Some(0), Some(0)]])?;
/// let merged = (ExpectedCounts::compute(&items, &quadrature, &a)? + ExpectedCounts::compute(&items, &quadrature, &b)?)?;
/// let whole = ExpectedCounts::compute(&items, &quadrature, &all)?;
/// assert!((merged.log_likelihood() - whole.log_likelihood()).abs() < 1e-12);
/// assert!((merged.node_totals().iter().sum::<f64>() - 3.0).abs() < 1e-12);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedCounts {
    nodes: usize,
    categories: Vec<usize>,
    offsets: Vec<usize>,
    counts: Vec<f64>,
    node_totals: Vec<f64>,
    log_likelihood: f64,
    persons: f64,
    respondents: f64,
}

impl ExpectedCounts {
    /// All-zero counts for items with the given numbers of categories on `nodes` nodes.
    pub fn zeros(categories: &[usize], nodes: usize) -> Self {
        let mut offsets = Vec::with_capacity(categories.len());
        let mut total = 0;
        for &k in categories {
            offsets.push(total);
            total += k * nodes;
        }
        ExpectedCounts {
            nodes,
            categories: categories.to_vec(),
            offsets,
            counts: vec![0.0; total],
            node_totals: vec![0.0; nodes],
            log_likelihood: 0.0,
            persons: 0.0,
            respondents: 0.0,
        }
    }

    /// Runs the E-step for the persons in `responses` (one chunk or all of them),
    /// collapsing identical response patterns first; in parallel with the `parallel`
    /// feature.
    ///
    /// # Errors
    ///
    /// [`Error::WrongItemCount`] or [`Error::ResponseOutOfRange`] when the data do not
    /// fit the items.
    pub fn compute(
        items: &[ResponseFunction],
        quadrature: &Quadrature,
        responses: &ResponseMatrix,
    ) -> Result<Self> {
        responses.check(items, None)?;
        let table = LogTable::new(items, quadrature.nodes());
        let categories: Vec<usize> = items.iter().map(|f| f.categories()).collect();
        Ok(Self::from_patterns(
            &table,
            &categories,
            quadrature,
            &Patterns::collapse(responses),
        ))
    }

    /// The E-step over collapsed patterns, chunked and summed in chunk order.
    pub(crate) fn from_patterns(
        table: &LogTable,
        categories: &[usize],
        quadrature: &Quadrature,
        patterns: &Patterns,
    ) -> Self {
        let chunks = patterns.len().div_ceil(CHUNK);
        let run = |c: usize| {
            let start = c * CHUNK;
            let end = (start + CHUNK).min(patterns.len());
            let mut counts = ExpectedCounts::zeros(categories, quadrature.len());
            counts.add_patterns(table, quadrature, patterns, start..end);
            counts
        };
        // Chunks run in batches so memory stays bounded; within and across batches the
        // chunk results are added in chunk order, whatever the number of threads.
        let mut total = ExpectedCounts::zeros(categories, quadrature.len());
        let mut batch_start = 0;
        while batch_start < chunks {
            let batch_end = (batch_start + BATCH).min(chunks);
            #[cfg(feature = "parallel")]
            let parts: Vec<ExpectedCounts> = {
                use rayon::prelude::*;
                (batch_start..batch_end).into_par_iter().map(run).collect()
            };
            #[cfg(not(feature = "parallel"))]
            let parts: Vec<ExpectedCounts> = (batch_start..batch_end).map(run).collect();
            for part in &parts {
                total.add_same_shape(part);
            }
            batch_start = batch_end;
        }
        total
    }

    /// Adds the patterns `range` to these counts, which must be all zero (one chunk).
    ///
    /// Per pattern the posterior row is added to the row of each answered category.
    /// For an item whose category 0 is more common in the chunk than a missing answer,
    /// category 0 is instead filled in at the end as
    /// r_i0 = R − M_i − Σ_{k>0} r_ik, with R the posterior summed over respondents and
    /// M_i over those who left item i out: on 0/1 data that halves the additions.
    /// Runs of four such 0/1 items (at multiples of four) answered in full add the row
    /// once, to one of 16 accumulators chosen by the answers, which is added at the end
    /// to category 1 of each item answered 1 in its code: a quarter of the additions
    /// again. Only the nodes of the posterior's window are added (the rest are +0).
    fn add_patterns(
        &mut self,
        table: &LogTable,
        quadrature: &Quadrature,
        patterns: &Patterns,
        range: std::ops::Range<usize>,
    ) {
        debug_assert!(self.counts.iter().all(|&c| c == 0.0));
        let q_len = self.nodes;
        let items = self.categories.len();
        // Which items take category 0 by difference (counts of patterns, not persons:
        // the choice is about work per pattern).
        let mut zeros = vec![0u32; items];
        let mut missing = vec![0u32; items];
        for u in range.clone() {
            for ((z, m), &x) in zeros.iter_mut().zip(&mut missing).zip(patterns.row(u)) {
                *z += u32::from(x == 0);
                *m += u32::from(x == MISSING);
            }
        }
        let by_difference: Vec<bool> = zeros
            .iter()
            .zip(&missing)
            .map(|(&z, &m)| z > m && z > 0)
            .collect();
        // Runs of four 0/1 items, all by difference, starting at multiples of four: a
        // pattern that answers all four adds its posterior to one of 16 accumulator
        // rows (its answers as a code), expanded into the items' rows at the end.
        let quads: Vec<bool> = (0..items / QUAD)
            .map(|g| {
                (g * QUAD..(g + 1) * QUAD).all(|i| by_difference[i] && self.categories[i] == 2)
            })
            .collect();
        let mut accumulators = vec![0.0; quads.len() * (1 << QUAD) * q_len];
        // Per item: M_i (by difference) in `left_out`, rows of `items × q_len`.
        let mut left_out = vec![0.0; items * q_len];
        let mut respondent_total = vec![0.0; q_len];
        let mut post = vec![0.0; q_len];
        // Row starts gathered per pattern, branch-free: a start is always written and
        // only kept when needed (0/1 answers are unpredictable).
        let mut counts_rows = vec![0; items];
        let mut left_out_rows = vec![0; items];
        let mut quad_rows = vec![0; quads.len()];
        for u in range {
            let row = patterns.row(u);
            let f = patterns.frequencies[u];
            let answered = table.sum_into(row, Some(quadrature.log_weights()), &mut post);
            let (max, total, window) = exponentiate_window(&mut post);
            self.log_likelihood += f * (max + total.ln());
            self.persons += f;
            if answered == 0 {
                // The posterior is the prior: it adds to n_q but to no item.
                for (n, w) in self.node_totals.iter_mut().zip(quadrature.weights()) {
                    *n += f * w;
                }
                continue;
            }
            self.respondents += f;
            // The weights are +0 outside the window: adding them would change nothing.
            let w = window.clone();
            let scale = f / total;
            for v in post[w.clone()].iter_mut() {
                *v *= scale;
            }
            for (n, v) in self.node_totals[w.clone()].iter_mut().zip(&post[w.clone()]) {
                *n += v;
            }
            let (mut n_counts, mut n_left_out, mut n_quads) = (0, 0, 0);
            let mut single = |i: usize| {
                let x = row[i];
                let absent = x == MISSING;
                counts_rows[n_counts] = self.offsets[i] + usize::from(x) * q_len;
                n_counts += usize::from(!absent & ((x > 0) | !by_difference[i]));
                left_out_rows[n_left_out] = i * q_len;
                n_left_out += usize::from(absent & by_difference[i]);
            };
            for (g, &quad) in quads.iter().enumerate() {
                let code = binary_code::<QUAD>(&row[g * QUAD..]).filter(|_| quad);
                if let Some(code) = code {
                    quad_rows[n_quads] = ((g << QUAD) + code) * q_len;
                    n_quads += usize::from(code != 0);
                } else {
                    (g * QUAD..(g + 1) * QUAD).for_each(&mut single);
                }
            }
            (quads.len() * QUAD..items).for_each(single);
            for (r, v) in respondent_total[w.clone()].iter_mut().zip(&post[w]) {
                *r += v;
            }
            add_to_rows(
                &mut left_out,
                &left_out_rows[..n_left_out],
                &post,
                window.clone(),
            );
            add_to_rows(
                &mut self.counts,
                &counts_rows[..n_counts],
                &post,
                window.clone(),
            );
            add_to_rows(&mut accumulators, &quad_rows[..n_quads], &post, window);
        }
        // Each accumulator row adds to category 1 of every item whose bit its code has.
        for (g, _) in quads.iter().enumerate().filter(|(_, q)| **q) {
            for code in 1..1 << QUAD {
                let start = ((g << QUAD) + code) * q_len;
                let sums = &accumulators[start..start + q_len];
                for j in (0..QUAD).filter(|j| code >> j & 1 == 1) {
                    let at = self.offsets[g * QUAD + j] + q_len;
                    for (c, v) in self.counts[at..at + q_len].iter_mut().zip(sums) {
                        *c += v;
                    }
                }
            }
        }
        for (i, _) in by_difference.iter().enumerate().filter(|(_, d)| **d) {
            let start = self.offsets[i];
            for q in 0..q_len {
                let mut r0 = respondent_total[q] - left_out[i * q_len + q];
                for k in 1..self.categories[i] {
                    r0 -= self.counts[start + k * q_len + q];
                }
                // Rounding can leave a tiny negative where the count is ~0.
                self.counts[start + q] = r0.max(0.0);
            }
        }
    }

    fn add_same_shape(&mut self, other: &ExpectedCounts) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.node_totals.iter_mut().zip(&other.node_totals) {
            *a += b;
        }
        self.log_likelihood += other.log_likelihood;
        self.persons += other.persons;
        self.respondents += other.respondents;
    }

    /// Adds the counts of another chunk of persons.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] when the two were computed for different items or grids.
    pub fn merge(&mut self, other: &ExpectedCounts) -> Result<()> {
        if self.nodes != other.nodes || self.categories != other.categories {
            return Err(Error::setting(
                "expected counts",
                format!(
                    "cannot merge counts for {} items on {} nodes with counts for {} items on {} nodes (or different categories)",
                    self.categories.len(),
                    self.nodes,
                    other.categories.len(),
                    other.nodes
                ),
            ));
        }
        self.add_same_shape(other);
        Ok(())
    }

    /// r_{ikq} for q = 0..Q: expected persons answering `item` in `category` at each
    /// node; `None` for an item or category that does not exist.
    pub fn item_category(&self, item: usize, category: usize) -> Option<&[f64]> {
        (item < self.categories.len() && category < self.categories[item])
            .then(|| self.row(item, category))
    }

    /// r_{ikq} for q = 0..Q, for indices known to exist.
    #[inline]
    pub(crate) fn row(&self, item: usize, category: usize) -> &[f64] {
        let start = self.offsets[item] + category * self.nodes;
        &self.counts[start..start + self.nodes]
    }

    /// n_q: expected persons at each node.
    pub fn node_totals(&self) -> &[f64] {
        &self.node_totals
    }

    /// Σ_p f_p ln L_p, the marginal log-likelihood of these persons.
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// Number of persons counted (with their frequencies).
    pub fn persons(&self) -> f64 {
        self.persons
    }

    /// Number of persons with at least one response.
    pub fn respondents(&self) -> f64 {
        self.respondents
    }

    /// Number of categories of each item.
    pub fn categories(&self) -> &[usize] {
        &self.categories
    }

    /// Number of quadrature nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// The counts as bytes that [`ExpectedCounts::from_bytes`] reads back exactly (every
    /// `f64` bit for bit), so workers can send them: tag `BGEC`, a version byte, then
    /// little-endian nodes, items, each item's categories, ℓ, persons, respondents,
    /// n_q and r_{ikq}.
    ///
    /// # Examples
    ///
    /// ```
    /// use bagdar::calibrate::ExpectedCounts;
    /// let counts = ExpectedCounts::zeros(&[2, 3], 5);
    /// assert_eq!(ExpectedCounts::from_bytes(&counts.to_bytes())?, counts);
    /// assert!(ExpectedCounts::from_bytes(&counts.to_bytes()[..20]).is_err());
    /// # Ok::<(), bagdar::Error>(())
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let values = 3 + self.node_totals.len() + self.counts.len();
        let mut w = Writer::new(COUNTS_TAG, 8 * (2 + self.categories.len() + values));
        w.size(self.nodes);
        w.size(self.categories.len());
        for &k in &self.categories {
            w.size(k);
        }
        w.value(self.log_likelihood);
        w.value(self.persons);
        w.value(self.respondents);
        w.values(&self.node_totals);
        w.values(&self.counts);
        w.finish()
    }

    /// Reads counts written by [`ExpectedCounts::to_bytes`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] for bytes of another kind or version, truncated or
    /// trailing bytes, or sizes out of range (an item with fewer than 2 or more than
    /// 32 categories).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new("expected counts", COUNTS_TAG, bytes)?;
        let nodes = r.size(bytes.len() / 8)?;
        let items = r.size(bytes.len() / 8)?;
        let mut categories = Vec::with_capacity(items);
        for _ in 0..items {
            let k = r.size(MAX_CATEGORIES)?;
            if k < 2 {
                return Err(r.error(format!("an item with {k} categories")));
            }
            categories.push(k);
        }
        let mut offsets = Vec::with_capacity(items);
        let mut total: usize = 0;
        for &k in &categories {
            offsets.push(total);
            total = k
                .checked_mul(nodes)
                .and_then(|n| total.checked_add(n))
                .ok_or_else(|| r.error("sizes overflow"))?;
        }
        let log_likelihood = r.value()?;
        let persons = r.value()?;
        let respondents = r.value()?;
        let node_totals = r.values(nodes)?;
        let values = r.values(total)?;
        let counts = ExpectedCounts {
            nodes,
            categories,
            offsets,
            counts: values,
            node_totals,
            log_likelihood,
            persons,
            respondents,
        };
        r.finish()?;
        Ok(counts)
    }
}

/// The tag of [`ExpectedCounts::to_bytes`].
const COUNTS_TAG: &[u8; 4] = b"BGEC";

impl std::ops::Add for ExpectedCounts {
    type Output = Result<ExpectedCounts>;

    /// Merges two chunks; an error (not a panic) when their shapes differ.
    fn add(mut self, other: ExpectedCounts) -> Result<ExpectedCounts> {
        self.merge(&other)?;
        Ok(self)
    }
}
