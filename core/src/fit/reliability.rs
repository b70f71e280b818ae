//! Marginal and empirical reliability.

use super::require_persons;
use crate::error::Result;
use crate::model::{ResponseFunction, test_information};
use crate::quadrature::Quadrature;
use crate::score::Estimate;

/// Marginal reliability of the test: the average over the population of the reliability
/// at θ.
///
/// # Formula
///
/// ```text
/// ρ = Σ_q w_q · σ² I(θ_q) / (σ² I(θ_q) + 1)      I the test information, σ² Var(θ)
/// ```
///
/// σ² is the variance of the quadrature's distribution. For σ = 1 this is R `mirt`'s
/// `marginal_rxx` (∫ I/(I + 1) φ dθ), here on the quadrature grid (Green, Bock,
/// Humphreys, Linn & Reckase 1984).
///
/// # Examples
///
/// ```
/// use bagdar::fit::marginal_reliability;
/// use bagdar::model::ItemModel;
/// use bagdar::quadrature::{Grid, Prior, Quadrature};
/// let items: Vec<_> = (0..20).map(|i| ItemModel::TwoPl { slope: 1.5, intercept: 0.2 * i as f64 - 2.0 }.response_function("")).collect::<Result<_, _>>()?;
/// let q = Quadrature::new(&Grid::default(), &Prior::default())?;
/// let rho = marginal_reliability(&items, &q);
/// assert!(rho > 0.85 && rho < 0.95);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn marginal_reliability(items: &[ResponseFunction], quadrature: &Quadrature) -> f64 {
    let w = quadrature.weights();
    let nodes = quadrature.nodes();
    let mean: f64 = nodes.iter().zip(w).map(|(t, w)| t * w).sum();
    let var: f64 = nodes
        .iter()
        .zip(w)
        .map(|(t, w)| w * (t - mean).powi(2))
        .sum();
    nodes
        .iter()
        .zip(w)
        .map(|(&t, w)| {
            let info = test_information(items, t);
            w * var * info / (var * info + 1.0)
        })
        .sum()
}

/// Empirical reliability of a set of estimates (R `mirt`'s `empirical_rxx`).
///
/// # Formula
///
/// ```text
/// ρ = s²_θ̂ / (s²_θ̂ + mean(SE²))     s² the sample variance (n − 1) of the finite θ̂
/// ```
///
/// With EAP estimates this is the ratio of the variance of the posterior means to the
/// prior-implied total (du Toit 2003, *IRT from SSI*).
///
/// # Errors
///
/// [`crate::Error::TooFewPersons`] for fewer than 2 finite estimates.
///
/// # Examples
///
/// LSAT7 summed-score EAPs under R `mirt`'s 2PL parameters: reliability about 0.43
/// (0.4320; response-pattern EAPs give 0.4523).
///
/// ```
/// use bagdar::fit::empirical_reliability;
/// use bagdar::model::ItemModel;
/// use bagdar::response::ResponseMatrix;
/// use bagdar::score::{Scorer, ScoringSettings};
/// let items: Vec<ItemModel> = [(0.988, 1.8561), (1.081, 0.808), (1.706, 1.8043), (0.7651, 0.486), (0.7358, 1.8545)]
///     .iter().map(|&(slope, intercept)| ItemModel::TwoPl { slope, intercept }).collect();
/// let freq = [12, 19, 1, 7, 3, 19, 3, 17, 10, 5, 3, 7, 7, 23, 8, 28, 7, 39, 11, 34, 14,
///             51, 15, 90, 6, 25, 7, 35, 18, 136, 32, 308];
/// let mut data = Vec::new();
/// for (pattern, &f) in freq.iter().enumerate() {
///     for _ in 0..f {
///         data.extend((0..5).map(|i| ((pattern >> (4 - i)) & 1) as u8));
///     }
/// }
/// let responses = ResponseMatrix::new(1000, 5, data)?;
/// let scorer = Scorer::from_models(&items, &ScoringSettings::default())?;
/// assert!((empirical_reliability(&scorer.score_sum(&responses)?)? - 0.432).abs() < 0.001);
/// assert!((empirical_reliability(&scorer.score(&responses)?)? - 0.452).abs() < 0.001);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn empirical_reliability(estimates: &[Estimate]) -> Result<f64> {
    let finite: Vec<&Estimate> = estimates
        .iter()
        .filter(|e| e.theta.is_finite() && e.se.is_finite())
        .collect();
    require_persons(finite.len(), 2, "empirical reliability")?;
    let n = finite.len() as f64;
    let mean = finite.iter().map(|e| e.theta).sum::<f64>() / n;
    let var = finite.iter().map(|e| (e.theta - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let se2 = finite.iter().map(|e| e.se * e.se).sum::<f64>() / n;
    Ok(var / (var + se2))
}
