//! The posterior distribution of a profile composite C = Σ w̃_s θ_s from independent
//! scale posteriors on the quadrature nodes.

use super::normal::normal_cdf;
use crate::error::{Error, Result};

/// Masses below this share of the total are dropped from the tails while convolving.
const TAIL: f64 = 1e-13;

/// How P(C > cut) is computed.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CompositeMethod {
    /// Exact distribution of the weighted sum of the discrete scale posteriors,
    /// convolved onto a lattice of the given bin width (θ units, e.g. 0.01).
    Convolution {
        /// Lattice spacing.
        bin_width: f64,
    },
    /// N(mean, sd²) with the exact posterior mean and SD of the composite.
    Normal,
}

impl Default for CompositeMethod {
    fn default() -> Self {
        CompositeMethod::Convolution { bin_width: 0.01 }
    }
}

/// The posterior of one student's composite on one profile.
///
/// # Formula
///
/// ```text
/// w̃_s = w_s / Σ_t w_t                      normalized weights
/// π_sq = P(θ_s = θ_q | answers on scale s)   scale posterior on node θ_q
/// E[C]   = Σ_s w̃_s Σ_q π_sq θ_q
/// Var[C] = Σ_s w̃_s² Var[θ_s]               (scale posteriors are independent)
/// ```
///
/// The distribution of C is built by convolution: each node mass π_sq sits at
/// w̃_s θ_q, which is split between the two neighbouring lattice points k·h, (k+1)·h in
/// proportion to the distance (this keeps the mean exact and adds at most h²/4 of
/// variance per scale). Masses below 10⁻¹³ of the total are trimmed from the tails.
/// P(C > cut) reads each lattice mass as spread evenly over its bin
/// [k·h − h/2, k·h + h/2], so it is continuous and non-increasing in the cut.
///
/// # Examples
///
/// One scale, two nodes with posterior ½, ½ at θ = −1 and θ = 1:
///
/// ```
/// use bagdar::decide::{CompositeDistribution, CompositeMethod};
/// let c = CompositeDistribution::new(&[-1.0, 1.0], &[&[0.5, 0.5]], &[2.0], CompositeMethod::default())?;
/// assert!((c.mean() - 0.0).abs() < 1e-12 && (c.sd() - 1.0).abs() < 1e-12);
/// assert!((c.probability_above(0.0) - 0.5).abs() < 1e-12);
/// assert!(c.probability_above(1.1) < 1e-12);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeDistribution {
    mean: f64,
    sd: f64,
    lattice: Option<Lattice>,
}

#[derive(Debug, Clone, PartialEq)]
struct Lattice {
    bin_width: f64,
    first: i64,
    masses: Vec<f64>,
    /// tail[k] = Σ_{j ≥ k} masses[j] (one longer than `masses`, ending in 0).
    tail: Vec<f64>,
}

impl CompositeDistribution {
    /// Builds the composite posterior from the scale posteriors (`posteriors[s][q]`,
    /// each on `nodes`) and the raw weights.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] when the lengths disagree, a weight is not finite and
    /// positive, a posterior has a negative or non-finite mass or sums to zero, or the
    /// bin width is not finite and positive.
    pub fn new(
        nodes: &[f64],
        posteriors: &[&[f64]],
        weights: &[f64],
        method: CompositeMethod,
    ) -> Result<Self> {
        let supports = vec![nodes; posteriors.len()];
        CompositeDistribution::from_components(&supports, posteriors, weights, method)
    }

    /// As [`CompositeDistribution::new`], but each component has its own support:
    /// component s puts mass `masses[s][j]` at `values[s][j]` (e.g. the EAP of each
    /// summed score with its probability).
    ///
    /// # Errors
    ///
    /// As [`CompositeDistribution::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// use bagdar::decide::{CompositeDistribution, CompositeMethod};
    /// // ½(X + Y), X ∈ {0, 1} and Y ∈ {0, 2} each with probability ½.
    /// let c = CompositeDistribution::from_components(
    ///     &[&[0.0, 1.0], &[0.0, 2.0]], &[&[0.5, 0.5], &[0.5, 0.5]], &[1.0, 1.0],
    ///     CompositeMethod::default())?;
    /// assert!((c.mean() - 0.75).abs() < 1e-12);
    /// assert!((c.probability_above(0.8) - 0.5).abs() < 1e-12); // {1, 1.5}
    /// # Ok::<(), bagdar::Error>(())
    /// ```
    pub fn from_components(
        values: &[&[f64]],
        posteriors: &[&[f64]],
        weights: &[f64],
        method: CompositeMethod,
    ) -> Result<Self> {
        let (mean, variance, normalized) = moments(values, posteriors, weights)?;
        let lattice = match method {
            CompositeMethod::Normal => None,
            CompositeMethod::Convolution { bin_width } => {
                if !(bin_width.is_finite() && bin_width > 0.0) {
                    return Err(Error::setting(
                        "composite.bin_width",
                        format!("{bin_width} must be finite and > 0"),
                    ));
                }
                let mut lattice = Lattice::unit(bin_width);
                for ((posterior, (w, sum)), nodes) in posteriors.iter().zip(&normalized).zip(values)
                {
                    lattice.add(nodes, posterior, *w, *sum);
                }
                lattice.tail = lattice.tail_sums();
                Some(lattice)
            }
        };
        Ok(CompositeDistribution {
            mean,
            sd: variance.sqrt(),
            lattice,
        })
    }

    /// Posterior mean of the composite.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Posterior SD of the composite.
    pub fn sd(&self) -> f64 {
        self.sd
    }

    /// P(C > cut) given the answers.
    pub fn probability_above(&self, cut: f64) -> f64 {
        match &self.lattice {
            None => {
                if self.sd > 0.0 {
                    normal_cdf((self.mean - cut) / self.sd)
                } else if self.mean > cut {
                    1.0
                } else {
                    0.0
                }
            }
            Some(l) => l.probability_above(cut),
        }
    }
}

/// Checks the components and returns the composite's posterior mean and variance and
/// each component's (normalized weight w̃_s, posterior sum).
#[allow(clippy::type_complexity)]
fn moments(
    values: &[&[f64]],
    posteriors: &[&[f64]],
    weights: &[f64],
) -> Result<(f64, f64, Vec<(f64, f64)>)> {
    if values.len() != posteriors.len() {
        return Err(Error::setting(
            "composite",
            format!(
                "{} supports for {} components",
                values.len(),
                posteriors.len()
            ),
        ));
    }
    if posteriors.is_empty() || posteriors.len() != weights.len() {
        return Err(Error::setting(
            "composite",
            format!(
                "need one weight per scale posterior and at least one scale, got {} posteriors and {} weights",
                posteriors.len(),
                weights.len()
            ),
        ));
    }
    if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
        return Err(Error::setting(
            "composite.weights",
            format!("{w} must be finite and > 0"),
        ));
    }
    let total_weight: f64 = weights.iter().sum();
    let mut mean = 0.0;
    let mut variance = 0.0;
    let mut normalized = Vec::with_capacity(posteriors.len());
    for (s, (posterior, weight)) in posteriors.iter().zip(weights).enumerate() {
        let nodes = values[s];
        if posterior.len() != nodes.len() || nodes.iter().any(|t| !t.is_finite()) {
            return Err(Error::setting(
                "composite",
                format!(
                    "posterior {s} has {} masses for {} values (all must be finite)",
                    posterior.len(),
                    nodes.len()
                ),
            ));
        }
        let sum: f64 = posterior.iter().sum();
        if posterior.iter().any(|m| !(m.is_finite() && *m >= 0.0)) || sum <= 0.0 {
            return Err(Error::setting(
                "composite",
                format!("posterior {s} must have finite non-negative masses with a positive sum"),
            ));
        }
        let w = weight / total_weight;
        let m: f64 = nodes
            .iter()
            .zip(*posterior)
            .map(|(t, p)| t * p)
            .sum::<f64>()
            / sum;
        let v: f64 = nodes
            .iter()
            .zip(*posterior)
            .map(|(t, p)| (t - m) * (t - m) * p)
            .sum::<f64>()
            / sum;
        mean += w * m;
        variance += w * w * v;
        normalized.push((w, sum));
    }
    Ok((mean, variance, normalized))
}

impl Lattice {
    /// The distribution with all mass at 0.
    fn unit(bin_width: f64) -> Self {
        Lattice {
            bin_width,
            first: 0,
            masses: vec![1.0],
            tail: Vec::new(),
        }
    }

    /// tail[k] = Σ_{j ≥ k} masses[j], one longer than `masses` (ending in 0).
    fn tail_sums(&self) -> Vec<f64> {
        let mut acc = 0.0;
        let mut tail = vec![0.0; self.masses.len() + 1];
        for k in (0..self.masses.len()).rev() {
            acc += self.masses[k];
            tail[k] = acc;
        }
        tail
    }

    /// Convolves with the scale whose node masses are `posterior / sum` at w·θ_q.
    fn add(&mut self, nodes: &[f64], posterior: &[f64], w: f64, sum: f64) {
        let h = self.bin_width;
        let largest = posterior.iter().copied().fold(0.0, f64::max);
        let points: Vec<(i64, f64, f64)> = nodes
            .iter()
            .zip(posterior)
            .filter(|(_, m)| **m > largest * TAIL)
            .map(|(t, m)| {
                let x = w * t / h;
                let k = x.floor();
                (k as i64, x - k, m / sum)
            })
            .collect();
        let low = points.iter().map(|p| p.0).min().unwrap_or(0);
        let high = points.iter().map(|p| p.0).max().unwrap_or(0) + 1;
        let mut next = vec![0.0; self.masses.len() + (high - low) as usize];
        let masses = &self.masses;
        let width = masses.len();
        for &(k, fraction, mass) in &points {
            let start = (k - low) as usize;
            let (lower, upper) = (mass * (1.0 - fraction), mass * fraction);
            // Bin start + j receives the upper share of masses[j − 1], then the lower
            // share of masses[j]: one pass, the same additions in the same order as
            // two passes (upper shares, then lower shares) would make.
            next[start] += masses[0] * lower;
            for ((n, &left), &right) in next[start + 1..start + width]
                .iter_mut()
                .zip(&masses[..width - 1])
                .zip(&masses[1..])
            {
                *n += left * upper;
                *n += right * lower;
            }
            next[start + width] += masses[width - 1] * upper;
        }
        let total: f64 = next.iter().sum();
        let keep = |m: &f64| *m > total * TAIL;
        let begin = next.iter().position(keep).unwrap_or(0);
        let end = next.iter().rposition(keep).map_or(next.len(), |e| e + 1);
        self.first += low + begin as i64;
        self.masses = next[begin..end].iter().map(|m| m / total).collect();
    }

    fn probability_above(&self, cut: f64) -> f64 {
        let h = self.bin_width;
        // Bin k covers [(k − ½)h, (k + ½)h]; the share of it above the cut.
        let position = cut / h + 0.5 - self.first as f64;
        if position.is_nan() {
            return f64::NAN;
        }
        if position <= 0.0 {
            return 1.0;
        }
        let bin = position.floor();
        if bin >= self.masses.len() as f64 {
            return 0.0;
        }
        let index = bin as usize;
        let partial = self.masses[index] * (1.0 - (position - bin));
        (partial + self.tail[index + 1]).clamp(0.0, 1.0)
    }
}
