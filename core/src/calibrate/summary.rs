//! Per-item data statistics for starting values and identification checks.

use super::bytes::{Reader, Writer};
use super::expected::Patterns;
use crate::error::{Error, Result};
use crate::model::MAX_CATEGORIES;
use crate::response::{MISSING, ResponseMatrix};

/// What calibration needs to know about the data before the first E-step: how often
/// each category of each item was chosen, and the sums for item–rest correlations
/// (starting slopes). Like [`super::ExpectedCounts`] it is a sum over persons, so
/// summaries of disjoint chunks of persons merge by addition.
///
/// # Formula
///
/// ```text
/// n_ik                      persons answering item i in category k
/// y_pi = Σ_{j≠i} x_pj       rest score over the other answered items
/// r_i  = corr(x_i, y_i)     over persons answering item i
/// ```
///
/// # Examples
///
/// ```
/// use bagdar::calibrate::DataSummary;
/// use bagdar::response::ResponseMatrix;
/// let a = ResponseMatrix::from_rows(&[vec![Some(1), Some(0)], vec![Some(1), None]])?;
/// let b = ResponseMatrix::from_rows(&[vec![Some(0), Some(1)]])?;
/// let mut summary = DataSummary::from_responses(&a);
/// summary.merge(&DataSummary::from_responses(&b))?;
/// assert_eq!(summary.category_count(0, 1), 2.0);
/// assert_eq!(summary.persons(), 3.0);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DataSummary {
    items: usize,
    counts: Vec<[f64; MAX_CATEGORIES]>,
    /// n, Σx, Σy, Σx², Σy², Σxy per item (x the item, y the rest score).
    moments: Vec<[f64; 6]>,
    persons: f64,
}

impl DataSummary {
    /// Summarizes a chunk of persons.
    pub fn from_responses(responses: &ResponseMatrix) -> Self {
        DataSummary::from_patterns(&Patterns::collapse(responses))
    }

    pub(crate) fn from_patterns(patterns: &Patterns) -> Self {
        let items = patterns.items;
        let mut counts = vec![[0.0; MAX_CATEGORIES]; items];
        let mut moments = vec![[0.0; 6]; items];
        let mut persons = 0.0;
        for u in 0..patterns.len() {
            let row = patterns.row(u);
            let f = patterns.frequencies[u];
            persons += f;
            let total: f64 = row
                .iter()
                .filter(|&&x| x != MISSING)
                .map(|&x| x as f64)
                .sum();
            for ((c, s), &x) in counts.iter_mut().zip(moments.iter_mut()).zip(row) {
                if x == MISSING {
                    continue;
                }
                if (x as usize) < MAX_CATEGORIES {
                    c[x as usize] += f;
                }
                let x = x as f64;
                let y = total - x;
                s[0] += f;
                s[1] += f * x;
                s[2] += f * y;
                s[3] += f * x * x;
                s[4] += f * y * y;
                s[5] += f * x * y;
            }
        }
        DataSummary {
            items,
            counts,
            moments,
            persons,
        }
    }

    /// Adds the summary of another chunk of persons.
    ///
    /// # Errors
    ///
    /// [`Error::WrongItemCount`] when the chunks have different numbers of items.
    pub fn merge(&mut self, other: &DataSummary) -> Result<()> {
        if self.items != other.items {
            return Err(Error::WrongItemCount {
                expected: self.items,
                found: other.items,
            });
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.moments.iter_mut().zip(&other.moments) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.persons += other.persons;
        Ok(())
    }

    /// Number of items.
    pub fn items(&self) -> usize {
        self.items
    }

    /// Number of persons summarized.
    pub fn persons(&self) -> f64 {
        self.persons
    }

    /// Persons who answered `item` in `category` (0 for categories ≥ 32).
    pub fn category_count(&self, item: usize, category: usize) -> f64 {
        self.counts
            .get(item)
            .and_then(|c| c.get(category))
            .copied()
            .unwrap_or(0.0)
    }

    /// The summary as bytes that [`DataSummary::from_bytes`] reads back exactly: tag
    /// `BGDS`, a version byte, then little-endian items, persons, the 32 category
    /// counts and the 6 moment sums of each item.
    ///
    /// # Examples
    ///
    /// ```
    /// use bagdar::calibrate::DataSummary;
    /// use bagdar::response::ResponseMatrix;
    /// let s = DataSummary::from_responses(&ResponseMatrix::from_rows(&[vec![Some(1), Some(0)]])?);
    /// assert_eq!(DataSummary::from_bytes(&s.to_bytes())?, s);
    /// assert!(DataSummary::from_bytes(b"BGEC\x01").is_err());
    /// # Ok::<(), bagdar::Error>(())
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(SUMMARY_TAG, 8 * (2 + self.items * (MAX_CATEGORIES + 6)));
        w.size(self.items);
        w.value(self.persons);
        for (c, m) in self.counts.iter().zip(&self.moments) {
            w.values(c);
            w.values(m);
        }
        w.finish()
    }

    /// Reads a summary written by [`DataSummary::to_bytes`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] for bytes of another kind or version, truncated or
    /// trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new("data summary", SUMMARY_TAG, bytes)?;
        let items = r.size(bytes.len() / (8 * (MAX_CATEGORIES + 6)))?;
        let persons = r.value()?;
        let mut counts = Vec::with_capacity(items);
        let mut moments = Vec::with_capacity(items);
        for _ in 0..items {
            let c = r.values(MAX_CATEGORIES)?;
            let m = r.values(6)?;
            counts.push(c.try_into().expect("32 values"));
            moments.push(m.try_into().expect("6 values"));
        }
        r.finish()?;
        Ok(DataSummary {
            items,
            counts,
            moments,
            persons,
        })
    }

    pub(crate) fn counts(&self) -> &[[f64; MAX_CATEGORIES]] {
        &self.counts
    }

    /// Item–rest correlations, 0 where undefined.
    pub(crate) fn correlations(&self) -> Vec<f64> {
        self.moments
            .iter()
            .map(|s| {
                if s[0] < 2.0 {
                    return 0.0;
                }
                let n = s[0];
                let sxx = s[3] - s[1] * s[1] / n;
                let syy = s[4] - s[2] * s[2] / n;
                let sxy = s[5] - s[1] * s[2] / n;
                if sxx > 0.0 && syy > 0.0 {
                    sxy / (sxx * syy).sqrt()
                } else {
                    0.0
                }
            })
            .collect()
    }
}

/// The tag of [`DataSummary::to_bytes`].
const SUMMARY_TAG: &[u8; 4] = b"BGDS";
