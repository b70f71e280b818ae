//! Samejima's graded response model.

use super::{MAX_CATEGORIES, ResponseCurve, log_sigmoid, sigmoid};

/// A graded response item (Samejima 1969), slope-intercept form.
///
/// # Formula
///
/// ```text
/// P*(X ≥ k | θ) = σ(a·θ + d_k),   k = 1..K−1,   P*(X ≥ 0) = 1,   P*(X ≥ K) = 0
/// P(X = k | θ)  = P*(X ≥ k) − P*(X ≥ k+1)
/// ```
///
/// `a` slope (> 0); `d_1 > d_2 > … > d_{K−1}` intercepts. Category thresholds on the
/// θ scale are `b_k = −d_k / a`. Differences of adjacent logistic curves are formed as
/// `σ(x)·σ(−y)·(1 − e^(y−x))`, so log-probabilities stay finite far in the tails.
///
/// # Examples
///
/// ```
/// use bagdar::model::{Graded, ResponseCurve};
/// let item = Graded { slope: 1.5, intercepts: vec![1.0, -1.0] };
/// let mut p = [0.0; 3];
/// item.probabilities(0.0, &mut p);
/// assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15);
/// assert!((p[0] - p[2]).abs() < 1e-15); // symmetric intercepts
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Graded {
    /// Slope `a`.
    pub slope: f64,
    /// Intercepts `d_1 … d_{K−1}`, strictly decreasing.
    pub intercepts: Vec<f64>,
}

impl Graded {
    /// z_k = a·θ + d_k for k = 1..K−1.
    #[inline]
    fn z(&self, theta: f64, k: usize) -> f64 {
        self.slope * theta + self.intercepts[k - 1]
    }
}

impl ResponseCurve for Graded {
    fn categories(&self) -> usize {
        self.intercepts.len() + 1
    }

    fn probabilities(&self, theta: f64, out: &mut [f64]) {
        let m = self.intercepts.len();
        out[0] = sigmoid(-self.z(theta, 1));
        for (k, slot) in out.iter_mut().enumerate().take(m).skip(1) {
            let (x, y) = (self.z(theta, k), self.z(theta, k + 1));
            *slot = sigmoid(x) * sigmoid(-y) * (-(y - x).exp_m1());
        }
        out[m] = sigmoid(self.z(theta, m));
    }

    fn log_probabilities(&self, theta: f64, out: &mut [f64]) {
        let m = self.intercepts.len();
        out[0] = log_sigmoid(-self.z(theta, 1));
        for (k, slot) in out.iter_mut().enumerate().take(m).skip(1) {
            let (x, y) = (self.z(theta, k), self.z(theta, k + 1));
            *slot = log_sigmoid(x) + log_sigmoid(-y) + (-(y - x).exp_m1()).ln();
        }
        out[m] = log_sigmoid(self.z(theta, m));
    }

    fn derivatives(&self, theta: f64, p: &mut [f64], d1: &mut [f64], d2: &mut [f64]) {
        let m = self.intercepts.len();
        let a = self.slope;
        // σ(z_k) and σ(−z_k) of every boundary, computed once and shared by P_k and its
        // derivatives (the same values `probabilities` forms, so P is identical).
        let (mut s, mut q) = ([0.0; MAX_CATEGORIES], [0.0; MAX_CATEGORIES]);
        let mut z = [0.0; MAX_CATEGORIES];
        for k in 1..=m {
            z[k] = self.z(theta, k);
            s[k] = sigmoid(z[k]);
            q[k] = sigmoid(-z[k]);
        }
        p[0] = q[1];
        for k in 1..m {
            p[k] = s[k] * q[k + 1] * (-(z[k + 1] - z[k]).exp_m1());
        }
        p[m] = s[m];
        // Boundary curves: P*_0 = 1 and P*_K = 0 have zero derivatives.
        let (mut prev1, mut prev2) = (0.0, 0.0);
        for k in 0..=m {
            let (next1, next2) = if k < m {
                let (s, q) = (s[k + 1], q[k + 1]);
                (a * s * q, a * a * s * q * (q - s))
            } else {
                (0.0, 0.0)
            };
            d1[k] = prev1 - next1;
            d2[k] = prev2 - next2;
            prev1 = next1;
            prev2 = next2;
        }
    }

    fn category_derivatives(&self, theta: f64, category: usize) -> (f64, f64, f64) {
        // The k-th entries of `derivatives`, from the two boundaries around k only.
        let m = self.intercepts.len();
        let a = self.slope;
        let boundary = |k: usize| {
            let z = self.z(theta, k);
            (z, sigmoid(z), sigmoid(-z))
        };
        let slopes = |s: f64, q: f64| (a * s * q, a * a * s * q * (q - s));
        let k = category;
        let lower = (k >= 1).then(|| boundary(k));
        let upper = (k < m).then(|| boundary(k + 1));
        let p = match (lower, upper) {
            (None, Some((_, _, q))) => q,
            (Some((_, s, _)), None) => s,
            (Some((x, s, _)), Some((y, _, q))) => s * q * (-(y - x).exp_m1()),
            (None, None) => unreachable!("a graded item has at least one boundary"),
        };
        let (prev1, prev2) = lower.map_or((0.0, 0.0), |(_, s, q)| slopes(s, q));
        let (next1, next2) = upper.map_or((0.0, 0.0), |(_, s, q)| slopes(s, q));
        (p, prev1 - next1, prev2 - next2)
    }
}
