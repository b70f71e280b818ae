//! The four-parameter logistic response function (and its special cases Rasch, 1PL,
//! 2PL, 3PL).

use super::{ResponseCurve, log_sigmoid, sigmoid};

/// A dichotomous logistic item, slope-intercept form.
///
/// # Formula
///
/// ```text
/// z    = a·θ + d
/// P(1) = g + (u − g)·σ(z),     σ(z) = 1 / (1 + e^(−z))
/// P(0) = 1 − P(1)
/// ```
///
/// `a` slope (> 0), `d` intercept, `g` lower asymptote (guessing, 0 for 1PL/2PL),
/// `u` upper asymptote (1 except for 4PL). Traditional difficulty `b = −d/a`
/// (Birnbaum 1968; Barton & Lord 1981 for the 4PL).
///
/// # Examples
///
/// ```
/// use bagdar::model::{Logistic, ResponseCurve};
/// let item = Logistic { slope: 1.0, intercept: 0.0, guessing: 0.2, upper: 1.0 };
/// let mut p = [0.0; 2];
/// item.probabilities(0.0, &mut p);
/// assert!((p[1] - 0.6).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Logistic {
    /// Slope `a`.
    pub slope: f64,
    /// Intercept `d`.
    pub intercept: f64,
    /// Lower asymptote `g`.
    pub guessing: f64,
    /// Upper asymptote `u`.
    pub upper: f64,
}

impl Logistic {
    /// A 2PL item (`g = 0`, `u = 1`).
    pub fn two_pl(slope: f64, intercept: f64) -> Self {
        Logistic {
            slope,
            intercept,
            guessing: 0.0,
            upper: 1.0,
        }
    }

    /// P(1 | θ).
    pub fn probability(&self, theta: f64) -> f64 {
        let s = sigmoid(self.slope * theta + self.intercept);
        self.guessing + (self.upper - self.guessing) * s
    }

    /// True when there is no lower or upper asymptote (log-likelihood concave in θ).
    pub fn is_two_parameter(&self) -> bool {
        self.guessing == 0.0 && self.upper == 1.0
    }
}

impl ResponseCurve for Logistic {
    fn categories(&self) -> usize {
        2
    }

    fn probabilities(&self, theta: f64, out: &mut [f64]) {
        let z = self.slope * theta + self.intercept;
        let (g, u) = (self.guessing, self.upper);
        // Both forms avoid 1 − P cancellation for large z.
        out[1] = g + (u - g) * sigmoid(z);
        out[0] = (1.0 - u) + (u - g) * sigmoid(-z);
    }

    fn log_probabilities(&self, theta: f64, out: &mut [f64]) {
        let z = self.slope * theta + self.intercept;
        let (g, u) = (self.guessing, self.upper);
        let range = (u - g).ln();
        out[1] = if g > 0.0 {
            (g + (u - g) * sigmoid(z)).ln()
        } else {
            range + log_sigmoid(z)
        };
        out[0] = if u < 1.0 {
            ((1.0 - u) + (u - g) * sigmoid(-z)).ln()
        } else {
            range + log_sigmoid(-z)
        };
    }

    fn derivatives(&self, theta: f64, p: &mut [f64], d1: &mut [f64], d2: &mut [f64]) {
        let z = self.slope * theta + self.intercept;
        let s = sigmoid(z);
        let q = sigmoid(-z);
        let (g, u) = (self.guessing, self.upper);
        // As `probabilities`, sharing its σ pair.
        p[1] = g + (u - g) * s;
        p[0] = (1.0 - u) + (u - g) * q;
        let a = self.slope;
        let range = self.upper - self.guessing;
        let first = range * a * s * q;
        let second = range * a * a * s * q * (q - s);
        d1[1] = first;
        d1[0] = -first;
        d2[1] = second;
        d2[0] = -second;
    }

    fn category_derivatives(&self, theta: f64, category: usize) -> (f64, f64, f64) {
        // The entries of `derivatives` for one category, from one σ pair.
        let z = self.slope * theta + self.intercept;
        let s = sigmoid(z);
        let q = sigmoid(-z);
        let a = self.slope;
        let (g, u) = (self.guessing, self.upper);
        let range = u - g;
        let first = range * a * s * q;
        let second = range * a * a * s * q * (q - s);
        if category == 1 {
            (g + (u - g) * s, first, second)
        } else {
            ((1.0 - u) + (u - g) * q, -first, -second)
        }
    }

    fn information(&self, theta: f64) -> f64 {
        let z = self.slope * theta + self.intercept;
        let s = sigmoid(z);
        let q = sigmoid(-z);
        let (g, u) = (self.guessing, self.upper);
        let first = (u - g) * self.slope * s * q;
        let p1 = g + (u - g) * s;
        let p0 = (1.0 - u) + (u - g) * q;
        if first == 0.0 {
            return 0.0;
        }
        // P'^2 / (P0 P1), written to stay finite when P0 or P1 underflows.
        if self.is_two_parameter() {
            self.slope * self.slope * s * q
        } else {
            first / p1 * (first / p0)
        }
    }
}
