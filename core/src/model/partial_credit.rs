//! The generalized partial credit model (and PCM and RSM, which are special cases).

use super::ResponseCurve;

/// A generalized partial credit item (Muraki 1992), slope-intercept form.
///
/// # Formula
///
/// ```text
/// z_k      = k·a·θ + d_k,    k = 0..K−1,   d_0 = 0
/// P(X = k) = exp(z_k) / Σ_j exp(z_j)
/// ```
///
/// `a` slope (> 0) and intercepts `d_1 … d_{K−1}` (not ordered). The partial credit model
/// (Masters 1982) is `a = 1`; the rating scale model (Andrich 1978) with item intercept
/// `c` and thresholds `τ_j` is `a = 1`, `d_k = k·c − Σ_{j≤k} τ_j`. Step difficulties
/// are `b_k = −(d_k − d_{k−1}) / a`.
///
/// # Examples
///
/// ```
/// use bagdar::model::{PartialCredit, ResponseCurve};
/// let item = PartialCredit { slope: 1.0, intercepts: vec![0.0] };
/// let mut p = [0.0; 2];
/// item.probabilities(0.0, &mut p);
/// assert!((p[0] - 0.5).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PartialCredit {
    /// Slope `a`.
    pub slope: f64,
    /// Intercepts `d_1 … d_{K−1}` (`d_0 = 0` is implied).
    pub intercepts: Vec<f64>,
}

impl PartialCredit {
    #[inline]
    fn z(&self, theta: f64, k: usize) -> f64 {
        if k == 0 {
            0.0
        } else {
            k as f64 * self.slope * theta + self.intercepts[k - 1]
        }
    }

    /// Fills `out` with z_k and returns log Σ exp(z_k).
    fn log_normalizer(&self, theta: f64, out: &mut [f64]) -> f64 {
        let k_count = self.categories();
        let mut max = f64::NEG_INFINITY;
        for (k, slot) in out.iter_mut().enumerate().take(k_count) {
            *slot = self.z(theta, k);
            max = max.max(*slot);
        }
        let sum: f64 = out[..k_count].iter().map(|z| (z - max).exp()).sum();
        max + sum.ln()
    }
}

impl ResponseCurve for PartialCredit {
    fn categories(&self) -> usize {
        self.intercepts.len() + 1
    }

    fn probabilities(&self, theta: f64, out: &mut [f64]) {
        let log_norm = self.log_normalizer(theta, out);
        for slot in out.iter_mut().take(self.categories()) {
            *slot = (*slot - log_norm).exp();
        }
    }

    fn log_probabilities(&self, theta: f64, out: &mut [f64]) {
        let log_norm = self.log_normalizer(theta, out);
        for slot in out.iter_mut().take(self.categories()) {
            *slot -= log_norm;
        }
    }

    fn derivatives(&self, theta: f64, p: &mut [f64], d1: &mut [f64], d2: &mut [f64]) {
        let k_count = self.categories();
        self.probabilities(theta, p);
        let mean: f64 = (0..k_count).map(|k| k as f64 * p[k]).sum();
        let variance: f64 = (0..k_count).map(|k| (k as f64 - mean).powi(2) * p[k]).sum();
        let a = self.slope;
        for k in 0..k_count {
            let dev = k as f64 - mean;
            d1[k] = a * p[k] * dev;
            d2[k] = a * a * p[k] * (dev * dev - variance);
        }
    }

    fn information(&self, theta: f64) -> f64 {
        // I(θ) = a² Var(X | θ) for the GPCM.
        let k_count = self.categories();
        let mut p = [0.0; super::MAX_CATEGORIES];
        self.probabilities(theta, &mut p);
        let mean: f64 = (0..k_count).map(|k| k as f64 * p[k]).sum();
        let variance: f64 = (0..k_count).map(|k| (k as f64 - mean).powi(2) * p[k]).sum();
        self.slope * self.slope * variance
    }
}
