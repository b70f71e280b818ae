//! The response matrix: persons × items, model categories, missing = not administered.

use crate::error::{Error, Result};
use crate::model::{ResponseCurve, ResponseFunction};

/// Marker for a response that was not administered (or left blank).
pub const MISSING: u8 = u8::MAX;

/// A dense, row-major persons × items matrix of model categories (0-based).
///
/// One byte per response keeps a national cohort (1,000,000 × 100) in 100 MB and lets
/// the scoring loops walk memory in order. [`MISSING`] marks responses that were not
/// administered; every scoring method skips them.
///
/// # Examples
///
/// ```
/// use bagdar::response::ResponseMatrix;
/// let m = ResponseMatrix::from_rows(&[vec![Some(1), None], vec![Some(0), Some(1)]])?;
/// assert_eq!(m.persons(), 2);
/// assert_eq!(m.get(0, 1), None);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMatrix {
    persons: usize,
    items: usize,
    data: Vec<u8>,
}

impl ResponseMatrix {
    /// Wraps a row-major buffer (`MISSING` for not administered).
    ///
    /// # Errors
    ///
    /// [`Error::WrongDataLength`] when `data.len() != persons · items`.
    pub fn new(persons: usize, items: usize, data: Vec<u8>) -> Result<Self> {
        if persons.checked_mul(items) != Some(data.len()) {
            return Err(Error::WrongDataLength {
                persons,
                items,
                found: data.len(),
            });
        }
        Ok(ResponseMatrix {
            persons,
            items,
            data,
        })
    }

    /// Builds the matrix from rows of optional categories.
    ///
    /// # Errors
    ///
    /// [`Error::WrongItemCount`] when rows differ in length;
    /// [`Error::ResponseOutOfRange`] for a category ≥ 255.
    pub fn from_rows(rows: &[Vec<Option<u8>>]) -> Result<Self> {
        let items = rows.first().map_or(0, Vec::len);
        let mut data = Vec::with_capacity(rows.len() * items);
        for (person, row) in rows.iter().enumerate() {
            if row.len() != items {
                return Err(Error::WrongItemCount {
                    expected: items,
                    found: row.len(),
                });
            }
            for (item, value) in row.iter().enumerate() {
                match value {
                    Some(MISSING) => {
                        return Err(Error::ResponseOutOfRange {
                            person,
                            item: item.to_string(),
                            value: MISSING as i64,
                            max: MISSING as usize - 1,
                        });
                    }
                    Some(v) => data.push(*v),
                    None => data.push(MISSING),
                }
            }
        }
        ResponseMatrix::new(rows.len(), items, data)
    }

    /// Builds the matrix from floating-point values as numpy and pandas hold them:
    /// NaN = not administered, otherwise a whole number ≥ 0.
    ///
    /// # Errors
    ///
    /// [`Error::WrongDataLength`]; [`Error::ResponseOutOfRange`] for a negative,
    /// fractional, infinite or too large value (the error names person and item).
    pub fn from_f64(persons: usize, items: usize, values: &[f64]) -> Result<Self> {
        if persons.checked_mul(items) != Some(values.len()) {
            return Err(Error::WrongDataLength {
                persons,
                items,
                found: values.len(),
            });
        }
        let code = |v: f64| -> Option<u8> {
            if v.is_nan() {
                Some(MISSING)
            } else if v >= 0.0 && v < MISSING as f64 && v.fract() == 0.0 {
                Some(v as u8)
            } else {
                None
            }
        };
        let mut data = vec![0u8; values.len()];
        // Converted in blocks (in parallel when the feature is on); a bad value is then
        // reported at its first position, whatever the block order.
        let block = 1 << 16;
        // Branch-free so that it vectorizes: for 0 ≤ v < 2⁵¹, v + 2⁵² is exact only when
        // v is a whole number, which is then the low bits of the sum's significand; a
        // category also needs 0 ≤ v < MISSING. NaN fails every comparison.
        const WHOLE: f64 = 4_503_599_627_370_496.0; // 2⁵²
        let convert = |(out, input): (&mut [u8], &[f64])| -> bool {
            let mut ok = true;
            for (o, &v) in out.iter_mut().zip(input) {
                let shifted = v + WHOLE;
                let whole = shifted - WHOLE == v;
                let category = whole & (v >= 0.0) & (v < MISSING as f64);
                let nan = v.is_nan();
                ok &= nan | category;
                *o = if nan {
                    MISSING
                } else {
                    shifted.to_bits() as u8
                };
            }
            ok
        };
        #[cfg(feature = "parallel")]
        let ok = {
            use rayon::prelude::*;
            data.par_chunks_mut(block)
                .zip(values.par_chunks(block))
                .map(convert)
                .reduce(|| true, |a, b| a && b)
        };
        #[cfg(not(feature = "parallel"))]
        let ok = data
            .chunks_mut(block)
            .zip(values.chunks(block))
            .map(convert)
            .fold(true, |a, b| a && b);
        if !ok && let Some(i) = values.iter().position(|&v| code(v).is_none()) {
            let v = values[i];
            return Err(Error::ResponseOutOfRange {
                person: i / items.max(1),
                item: (i % items.max(1)).to_string(),
                value: if v.is_finite() { v as i64 } else { i64::MAX },
                max: MISSING as usize - 1,
            });
        }
        ResponseMatrix::new(persons, items, data)
    }

    /// Number of persons (rows).
    pub fn persons(&self) -> usize {
        self.persons
    }

    /// Number of items (columns).
    pub fn items(&self) -> usize {
        self.items
    }

    /// One person's responses.
    pub fn row(&self, person: usize) -> &[u8] {
        &self.data[person * self.items..(person + 1) * self.items]
    }

    /// The whole buffer, row-major.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// One response, `None` when not administered.
    pub fn get(&self, person: usize, item: usize) -> Option<u8> {
        let v = self.data[person * self.items + item];
        (v != MISSING).then_some(v)
    }

    /// A matrix holding only the given columns, in the given order.
    pub fn select_columns(&self, columns: &[usize]) -> ResponseMatrix {
        let mut data = Vec::with_capacity(self.persons * columns.len());
        for p in 0..self.persons {
            let row = self.row(p);
            data.extend(columns.iter().map(|&c| row[c]));
        }
        ResponseMatrix {
            persons: self.persons,
            items: columns.len(),
            data,
        }
    }

    /// Checks the matrix against the items: same number of columns, every response
    /// within its item's categories.
    ///
    /// # Errors
    ///
    /// [`Error::WrongItemCount`] or [`Error::ResponseOutOfRange`] (first offending cell;
    /// `item_ids` name the item when given).
    pub fn check(&self, items: &[ResponseFunction], item_ids: Option<&[String]>) -> Result<()> {
        if items.len() != self.items {
            return Err(Error::WrongItemCount {
                expected: items.len(),
                found: self.items,
            });
        }
        let maxima: Vec<u8> = items.iter().map(|f| (f.categories() - 1) as u8).collect();
        // A branch-free scan per row (vectorized); the first bad row is then searched.
        let row_ok = |row: &[u8]| {
            row.iter()
                .zip(&maxima)
                .fold(true, |ok, (&v, &max)| ok & ((v == MISSING) | (v <= max)))
        };
        for p in 0..self.persons {
            if row_ok(self.row(p)) {
                continue;
            }
            for (i, (&v, &max)) in self.row(p).iter().zip(&maxima).enumerate() {
                if v != MISSING && v > max {
                    return Err(Error::ResponseOutOfRange {
                        person: p,
                        item: item_ids.map_or_else(|| i.to_string(), |ids| ids[i].clone()),
                        value: v as i64,
                        max: max as usize,
                    });
                }
            }
        }
        Ok(())
    }
}

/// The code Σ_j b_j·2^j of up to eight consecutive answers b_j to 0/1 items, or `None`
/// when one of them is [`MISSING`] (the only value of such an item with its high bit
/// set). The bytes are read as one little-endian word; multiplying it by
/// Σ_j 2^(56 − 7j) moves b_j to bit 56 + j, and no two partial products share a bit, so
/// nothing carries into the top byte. Used to pick one precomputed row (scoring) or one
/// accumulator (the E-step) for a whole run of items.
#[inline(always)]
pub(crate) fn binary_code<const N: usize>(answers: &[u8]) -> Option<usize> {
    const { assert!(N <= 8, "at most eight answers fit one word") };
    let mut word = [0u8; 8];
    word[..N].copy_from_slice(&answers[..N]);
    let bytes = u64::from_le_bytes(word);
    (bytes & 0x8080_8080_8080_8080 == 0)
        .then(|| (bytes.wrapping_mul(0x0102_0408_1020_4080) >> 56) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_f64_reports_the_first_bad_value_across_blocks() {
        let items = 10;
        let persons = 20_000; // 200k values: several conversion blocks
        let mut values = vec![1.0; persons * items];
        values[3] = f64::NAN;
        values[150_007] = 2.5;
        values[199_999] = -1.0;
        let err = ResponseMatrix::from_f64(persons, items, &values).unwrap_err();
        assert!(
            matches!(err, Error::ResponseOutOfRange { person: 15_000, ref item, value: 2, .. } if item == "7"),
            "{err:?}"
        );
        values[150_007] = 0.0;
        values[199_999] = 1.0;
        let matrix = ResponseMatrix::from_f64(persons, items, &values).unwrap();
        assert_eq!(matrix.row(0)[3], MISSING);
        assert_eq!(matrix.row(15_000)[7], 0);
        assert_eq!(matrix.row(19_999)[9], 1);
    }

    #[test]
    fn from_f64_takes_exactly_the_whole_numbers_below_missing() {
        let bad = [
            -1.0,
            -0.5,
            -1e-300,
            0.5,
            1.0 + f64::EPSILON,
            254.5,
            255.0,
            256.0,
            511.0,
            1e15,
            2f64.powi(51) + 1.0,
            2f64.powi(52),
            2f64.powi(52) + 1.0,
            2f64.powi(53) + 2.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ];
        for v in bad {
            assert!(
                ResponseMatrix::from_f64(1, 1, &[v]).is_err(),
                "{v} accepted"
            );
        }
        let good: Vec<f64> = (0..255).map(f64::from).chain([-0.0, f64::NAN]).collect();
        let matrix = ResponseMatrix::from_f64(1, good.len(), &good).unwrap();
        let expected: Vec<u8> = (0..=254u8).chain([0, MISSING]).collect();
        assert_eq!(matrix.row(0), expected.as_slice());
    }
}
