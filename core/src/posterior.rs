//! Posterior weights from log-likelihoods on a grid: the shared last step of EAP
//! scoring (and so of decisions and plausible values) and of the calibration E-step.
//!
//! The weights are exp(ℓ_q − max ℓ) with a branch-free exponential that the compiler
//! vectorizes. It uses only IEEE additions and multiplications (no fused multiply-add,
//! no platform `libm`), so native, Python and WASM builds get the same bits.

/// Log weights this far below the mode are treated as 0: a node 50 log-units below the
/// mode weighs < 2e-22 of it, far below half an ulp of a total that is ≥ 1.
pub(crate) const NEGLIGIBLE_LOG_WEIGHT: f64 = -50.0;

use std::ops::Range;

const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split so that k · `LN2_HI` is exact for |k| < 2¹¹ (`LN2_HI` has the upper 32
/// significant bits of ln 2; `LN2_LO` is the rest).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// 1.5 · 2⁵²: adding it rounds a value of magnitude < 2⁵¹ to the nearest integer,
/// which is then in the low bits of the sum.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// 1/n! for n = 2..=13: the Taylor polynomial of eʳ on |r| ≤ ln2/2, whose remainder
/// (|r|¹⁴/14! < 4e-18) is far below an ulp.
const INVERSE_FACTORIALS: [f64; 12] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// eˣ for x in [−700, 0] (and NaN for NaN), within 2 ulp of the correctly rounded
/// value: x = k·ln2 + r with |r| ≤ ln2/2, eˣ = 2ᵏ·eʳ.
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f64) -> f64 {
    let shifted = x * LOG2_E + ROUND;
    let k = shifted - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut p = INVERSE_FACTORIALS[11];
    for c in INVERSE_FACTORIALS[..11].iter().rev() {
        p = p * r + c;
    }
    let er = 1.0 + r * (1.0 + r * p);
    // The low 12 bits of `shifted` hold k modulo 4096 (ROUND's are zero), so k + 1023,
    // moved into the exponent field, is 2ᵏ.
    let scale = f64::from_bits(shifted.to_bits().wrapping_add(1023) << 52);
    er * scale
}

/// Replaces the log weights `values` by exp(v − max v) (0 for those more than 50 below
/// the maximum) and returns (max, Σ weights).
#[cfg(test)]
pub(crate) fn exponentiate(values: &mut [f64]) -> (f64, f64) {
    let (max, total, _) = exponentiate_window(values);
    (max, total)
}

/// [`exponentiate`], also returning the window of nodes outside which every weight is
/// 0: sums over it with [`sum_zip_in`] equal the sums over all nodes to the bit.
#[inline]
pub(crate) fn exponentiate_window(values: &mut [f64]) -> (f64, f64, Range<usize>) {
    let max = maximum(values);
    // Only the run of nodes from the first to the last non-negligible one is
    // exponentiated (on a fine grid most nodes are negligible); the rest are 0.
    let keep = |v: &f64| *v - max > NEGLIGIBLE_LOG_WEIGHT;
    let first = values.iter().position(keep).unwrap_or(values.len());
    let last = values.iter().rposition(keep).map_or(first, |l| l + 1);
    values[..first].fill(0.0);
    values[last..].fill(0.0);
    for v in values[first..last].iter_mut() {
        let d = *v - max;
        let w = exp_nonpositive(d.max(NEGLIGIBLE_LOG_WEIGHT));
        *v = if d > NEGLIGIBLE_LOG_WEIGHT { w } else { 0.0 };
    }
    let total = sum_zip_in(values, values, first..last, |w, _| w);
    (max, total, first..last)
}

/// Σ_i f(v_i) with four interleaved partial sums (element i goes to sum i mod 4; the
/// sums are added as (s₀ + s₁) + (s₂ + s₃), then the remainder in order): a fixed order,
/// so every platform gets the same bits, that the compiler can vectorize.
#[inline(always)]
pub(crate) fn sum_map(values: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut s = [0.0; 4];
    let mut chunks = values.chunks_exact(4);
    for c in &mut chunks {
        for (a, v) in s.iter_mut().zip(c) {
            *a += f(*v);
        }
    }
    let mut total = (s[0] + s[1]) + (s[2] + s[3]);
    for v in chunks.remainder() {
        total += f(*v);
    }
    total
}

/// Σ_i f(a_i, b_i) over the common length, in the order of [`sum_map`] (the reference
/// that tests hold [`sum_zip_in`] to).
#[cfg(test)]
pub(crate) fn sum_zip(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> f64 {
    sum_zip_in(a, b, 0..usize::MAX, f)
}

/// [`sum_zip`] when f(a_i, b_i) is ±0 outside `window`: the same bits, with only the
/// lanes' blocks that meet the window visited (a lane that skips a ±0 term holds the
/// same value, and the remainder is added in the same order).
#[inline(always)]
pub(crate) fn sum_zip_in(
    a: &[f64],
    b: &[f64],
    window: Range<usize>,
    f: impl Fn(f64, f64) -> f64,
) -> f64 {
    let n = a.len().min(b.len());
    let full = n / 4 * 4;
    let end = window.end.min(n);
    let lanes_end = end.div_ceil(4).saturating_mul(4).min(full);
    let lanes_start = (window.start / 4 * 4).min(lanes_end);
    let mut s = [0.0; 4];
    let ca = a[lanes_start..lanes_end].chunks_exact(4);
    let cb = b[lanes_start..lanes_end].chunks_exact(4);
    for (x, y) in ca.zip(cb) {
        for j in 0..4 {
            s[j] += f(x[j], y[j]);
        }
    }
    let mut total = (s[0] + s[1]) + (s[2] + s[3]);
    for i in full.max(window.start)..end {
        total += f(a[i], b[i]);
    }
    total
}

/// The largest value (−∞ for none; NaNs are ignored as by `f64::max`), with four
/// independent running maxima so that the comparisons overlap.
#[inline]
pub(crate) fn maximum(values: &[f64]) -> f64 {
    let mut m = [f64::NEG_INFINITY; 4];
    let mut chunks = values.chunks_exact(4);
    for c in &mut chunks {
        for (a, v) in m.iter_mut().zip(c) {
            *a = a.max(*v);
        }
    }
    let rest = chunks
        .remainder()
        .iter()
        .fold(f64::NEG_INFINITY, |a, v| a.max(*v));
    m[0].max(m[1]).max(m[2].max(m[3])).max(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn exponential_is_within_two_ulp_of_libm() {
        let mut worst = 0;
        let n = 2_000_000;
        for i in 0..=n {
            let x = -700.0 * f64::from(i) / f64::from(n);
            worst = worst.max(ulps(exp_nonpositive(x), x.exp()));
        }
        // Near 0 and at awkward reductions too.
        for x in [
            0.0,
            -0.0,
            -1e-300,
            -1e-17,
            -0.346_573_590_279_972_6,
            -0.346_573_590_279_972_7,
        ] {
            worst = worst.max(ulps(exp_nonpositive(x), x.exp()));
        }
        assert!(worst <= 2, "worst error {worst} ulp");
        assert_eq!(LN2_HI + LN2_LO, std::f64::consts::LN_2);
        assert_eq!(LN2_HI.to_bits() & 0x1f_ffff, 0, "k · LN2_HI must be exact");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert!(exp_nonpositive(f64::NAN).is_nan());
    }

    #[test]
    fn weights_skip_only_negligible_nodes() {
        let mut values = vec![-3.0, -1.0, f64::NEG_INFINITY, -60.0, -2.0, -51.5, -48.0];
        let (max, total) = exponentiate(&mut values);
        assert_eq!(max, -1.0);
        let expected = [
            (-2.0f64).exp(),
            1.0,
            0.0,
            0.0,
            (-1.0f64).exp(),
            0.0,
            (-47.0f64).exp(),
        ];
        for (got, want) in values.iter().zip(expected) {
            assert!(ulps(*got, want) <= 2, "{got} vs {want}");
        }
        assert!((total - expected.iter().sum::<f64>()).abs() < 1e-15);
        assert_eq!(maximum(&[]), f64::NEG_INFINITY);
        assert_eq!(maximum(&[f64::NAN, 2.0, 1.0, 3.0, -1.0]), 3.0);
    }

    #[test]
    fn window_sums_equal_full_sums_to_the_bit() {
        // Weights that are 0 outside a window, for every window of every length up to
        // 13 (full blocks of four, a remainder, windows inside and across both).
        for n in 0..=13usize {
            let nodes: Vec<f64> = (0..n).map(|i| -1.3 + 0.37 * i as f64).collect();
            for first in 0..=n {
                for last in first..=n {
                    let mut w = vec![0.0; n];
                    for (i, v) in w.iter_mut().enumerate().take(last).skip(first) {
                        *v = 0.1 + (i as f64 * 0.731).sin().abs();
                    }
                    let full = sum_zip(&nodes, &w, |t, w| t * w);
                    let part = sum_zip_in(&nodes, &w, first..last, |t, w| t * w);
                    assert_eq!(full.to_bits(), part.to_bits(), "n {n}, {first}..{last}");
                    let spread = |t: f64, w: f64| (t - 0.3) * (t - 0.3) * w;
                    let full = sum_zip(&nodes, &w, spread);
                    assert_eq!(
                        full.to_bits(),
                        sum_zip_in(&nodes, &w, first..last, spread).to_bits()
                    );
                    assert_eq!(
                        sum_map(&w, |v| v).to_bits(),
                        sum_zip_in(&w, &w, first..last, |v, _| v).to_bits()
                    );
                }
            }
        }
    }
}
