//! Quadrature grids and latent-trait priors.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// An equally spaced grid on [min, max].
///
/// The default, 61 points on [−6, 6], is R `mirt`'s default for one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields, default)]
pub struct Grid {
    /// Number of points (≥ 2).
    pub points: usize,
    /// Lowest point.
    pub min: f64,
    /// Highest point.
    pub max: f64,
}

crate::de::map_only_serialize!(Grid);
crate::de::object_deserialize!(Grid, deny_unknown_fields = true, {
    points: usize = container,
    min: f64 = container,
    max: f64 = container,
});

impl Default for Grid {
    fn default() -> Self {
        Grid {
            points: 61,
            min: -6.0,
            max: 6.0,
        }
    }
}

impl Grid {
    /// The grid points.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] unless `points ≥ 2` and `min < max` are finite.
    pub fn nodes(&self) -> Result<Vec<f64>> {
        if self.points < 2 || self.points > 100_000 {
            return Err(Error::setting(
                "quadrature.points",
                format!("{} is not between 2 and 100000", self.points),
            ));
        }
        if !(self.min.is_finite() && self.max.is_finite() && self.min < self.max) {
            return Err(Error::setting(
                "quadrature.min/max",
                format!("need finite min < max, got [{}, {}]", self.min, self.max),
            ));
        }
        let step = (self.max - self.min) / (self.points - 1) as f64;
        Ok((0..self.points)
            .map(|q| self.min + step * q as f64)
            .collect())
    }
}

/// The population distribution of θ used as the prior.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Prior {
    /// N(mean, sd²), evaluated on the grid and normalized (as R `mirt` does).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (> 0).
        sd: f64,
    },
    /// A user-given discrete distribution; replaces the grid.
    Discrete {
        /// Support points.
        nodes: Vec<f64>,
        /// Probabilities (non-negative, normalized on use).
        weights: Vec<f64>,
    },
}

/// Read as the derive for `#[serde(tag = "type", deny_unknown_fields)]` would, with the
/// same errors (`crate::de`).
impl<'de> Deserialize<'de> for Prior {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        const FIELDS: [&[&str]; 2] = [&["mean", "sd"], &["nodes", "weights"]];
        let object = crate::de::tagged(
            d,
            "type",
            &["normal", "discrete"],
            "internally tagged enum Prior",
        )?;
        let (mut numbers, mut lists) = ([None; 2], [None, None]);
        object.visit_fields(FIELDS[object.variant], &mut |i, value| {
            if object.variant == 0 {
                numbers[i] = Some(value.f64()?);
            } else {
                lists[i] = Some(value.f64s()?);
            }
            Ok(())
        })?;
        use crate::de::required;
        let [mean, sd] = numbers;
        let [nodes, weights] = lists;
        Ok(if object.variant == 0 {
            Prior::Normal {
                mean: required(mean, "mean")?,
                sd: required(sd, "sd")?,
            }
        } else {
            Prior::Discrete {
                nodes: required(nodes, "nodes")?,
                weights: required(weights, "weights")?,
            }
        })
    }
}

impl Default for Prior {
    fn default() -> Self {
        Prior::Normal { mean: 0.0, sd: 1.0 }
    }
}

impl Prior {
    /// ln of the prior density up to a constant, and its first two derivatives,
    /// for the normal prior; `None` for a discrete prior (no density).
    pub fn log_density(&self, theta: f64) -> Option<(f64, f64, f64)> {
        match self {
            Prior::Normal { mean, sd } => {
                let v = sd * sd;
                let z = theta - mean;
                Some((-0.5 * z * z / v, -z / v, -1.0 / v))
            }
            Prior::Discrete { .. } => None,
        }
    }

    fn check(&self) -> Result<()> {
        match self {
            Prior::Normal { mean, sd } => {
                if !mean.is_finite() {
                    return Err(Error::setting(
                        "prior.mean",
                        format!("{mean} is not finite"),
                    ));
                }
                if !(sd.is_finite() && *sd > 0.0) {
                    return Err(Error::setting(
                        "prior.sd",
                        format!("{sd} must be finite and > 0"),
                    ));
                }
                Ok(())
            }
            Prior::Discrete { nodes, weights } => {
                if nodes.is_empty() || nodes.len() != weights.len() {
                    return Err(Error::setting(
                        "prior.nodes/weights",
                        format!(
                            "need the same non-zero number of nodes and weights, got {} and {}",
                            nodes.len(),
                            weights.len()
                        ),
                    ));
                }
                if let Some(x) = nodes.iter().find(|x| !x.is_finite()) {
                    return Err(Error::setting("prior.nodes", format!("{x} is not finite")));
                }
                if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
                    return Err(Error::setting(
                        "prior.weights",
                        format!("{w} is not a finite non-negative number"),
                    ));
                }
                if weights.iter().sum::<f64>() <= 0.0 {
                    return Err(Error::setting("prior.weights", "all weights are zero"));
                }
                Ok(())
            }
        }
    }
}

/// Quadrature nodes with normalized prior weights.
///
/// # Formula
///
/// ```text
/// θ_q  equally spaced on [min, max],   w_q = φ((θ_q − μ)/σ) / Σ_r φ((θ_r − μ)/σ)
/// ```
///
/// # Examples
///
/// ```
/// use bagdar::quadrature::{Grid, Prior, Quadrature};
/// let q = Quadrature::new(&Grid::default(), &Prior::default())?;
/// assert_eq!(q.nodes().len(), 61);
/// assert!((q.weights().iter().sum::<f64>() - 1.0).abs() < 1e-15);
/// # Ok::<(), bagdar::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Quadrature {
    nodes: Vec<f64>,
    weights: Vec<f64>,
    log_weights: Vec<f64>,
    prior: Prior,
}

impl Quadrature {
    /// Builds the grid and the prior weights.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] for a bad grid or prior.
    pub fn new(grid: &Grid, prior: &Prior) -> Result<Self> {
        prior.check()?;
        let (nodes, raw) = match prior {
            Prior::Normal { mean, sd } => {
                let nodes = grid.nodes()?;
                let raw: Vec<f64> = nodes
                    .iter()
                    .map(|t| {
                        let z = (t - mean) / sd;
                        (-0.5 * z * z).exp()
                    })
                    .collect();
                (nodes, raw)
            }
            Prior::Discrete { nodes, weights } => (nodes.clone(), weights.clone()),
        };
        let total: f64 = raw.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return Err(Error::setting(
                "prior",
                "the prior has no mass on the quadrature grid",
            ));
        }
        let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
        let log_weights = weights.iter().map(|w| w.ln()).collect();
        Ok(Quadrature {
            nodes,
            weights,
            log_weights,
            prior: prior.clone(),
        })
    }

    /// The nodes θ_q.
    pub fn nodes(&self) -> &[f64] {
        &self.nodes
    }

    /// The normalized weights w_q.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// ln w_q (−∞ where a discrete prior has zero weight).
    pub fn log_weights(&self) -> &[f64] {
        &self.log_weights
    }

    /// The prior the weights were built from (for a distributed E-step: a worker
    /// rebuilds the same quadrature from the grid and this prior).
    pub fn prior(&self) -> &Prior {
        &self.prior
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Always false: a quadrature has at least one node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}
