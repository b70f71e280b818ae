//! The limited-information goodness-of-fit statistic M2 (M2* for ordinal items).

use super::{chi_square_survival, require_complete, require_persons, rmsea};
use crate::calibrate::{Calibration, CalibrationSettings, Fitted, Transform, invert_spd};
use crate::error::{Error, Result};
use crate::model::{MAX_CATEGORIES, ResponseCurve, ResponseFunction};
use crate::quadrature::Quadrature;
use crate::response::ResponseMatrix;
use serde::{Deserialize, Serialize};

/// The M2 test of a calibrated model.
///
/// # Formula
///
/// ```text
/// moments   m = (E[x_i])_i ∪ (E[x_i x_j])_{i<j}          (x_i the 0-based category score)
/// p          observed means of those products;  π(β) their model values
///            π_i = Σ_q w_q E[x_i|θ_q],  π_ij = Σ_q w_q E[x_i|θ_q] E[x_j|θ_q]
/// Ξ          model covariance of the products: E[m_a m_b] − π_a π_b, where E[m_a m_b]
///            = Σ_q w_q Π_i E[x_i^{c_i}|θ_q], c_i ∈ {1, 2} the multiplicity of item i
/// Δ          = ∂π/∂β over all estimated parameters (central differences)
/// C          = Ξ⁻¹ − Ξ⁻¹Δ(ΔᵀΞ⁻¹Δ)⁻¹ΔᵀΞ⁻¹
/// M2         = N (p − π)ᵀ C (p − π),   df = #moments − #parameters
/// RMSEA2     = √(max(M2/df − 1, 0)/(N − 1))
/// SRMSR      = √(mean_{i<j} (r_ij − ρ_ij)²),  r observed, ρ model-implied correlations
/// ```
///
/// For dichotomous items this is M2 (Maydeu-Olivares & Joe 2006, Psychometrika 71); for
/// polytomous items the moments are those of the item scores, M2* (Maydeu-Olivares &
/// Joe 2014; Cai & Hansen 2013), as R `mirt`'s `M2()` computes.
///
/// Cost: with n items there are m = n(n + 1)/2 moments and Ξ is m × m (inverted by
/// Cholesky, O(m³)): instant for 20 items, seconds around 50, impractical beyond ~80
/// items per scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct M2 {
    /// The statistic.
    pub statistic: f64,
    /// Degrees of freedom.
    pub df: usize,
    /// P(χ²_df ≥ statistic).
    pub p_value: f64,
    /// RMSEA of the statistic.
    pub rmsea: f64,
    /// Standardized root mean square residual of the inter-item correlations.
    pub srmsr: f64,
    /// True when some item is polytomous (the statistic is M2*).
    pub ordinal: bool,
    /// Persons.
    pub persons: usize,
}

/// Per node: E[x|θ] and E[x²|θ] of every item.
fn conditional_moments(items: &[ResponseFunction], nodes: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let q = nodes.len();
    let mut first = vec![0.0; items.len() * q];
    let mut second = vec![0.0; items.len() * q];
    let mut p = [0.0; MAX_CATEGORIES];
    for (i, f) in items.iter().enumerate() {
        for (n, &theta) in nodes.iter().enumerate() {
            f.probabilities(theta, &mut p);
            let (mut e1, mut e2) = (0.0, 0.0);
            for (k, pk) in p.iter().enumerate().take(f.categories()) {
                e1 += k as f64 * pk;
                e2 += (k * k) as f64 * pk;
            }
            first[i * q + n] = e1;
            second[i * q + n] = e2;
        }
    }
    (first, second)
}

/// The moment list: (i, None) for E[x_i], (i, Some(j)) for E[x_i x_j], i < j.
fn moment_list(n: usize) -> Vec<(usize, Option<usize>)> {
    let mut out: Vec<(usize, Option<usize>)> = (0..n).map(|i| (i, None)).collect();
    for i in 0..n {
        for j in i + 1..n {
            out.push((i, Some(j)));
        }
    }
    out
}

fn model_moments(
    items: &[ResponseFunction],
    quadrature: &Quadrature,
    moments: &[(usize, Option<usize>)],
) -> Vec<f64> {
    let (first, _) = conditional_moments(items, quadrature.nodes());
    let q = quadrature.len();
    let w = quadrature.weights();
    moments
        .iter()
        .map(|&(i, j)| {
            (0..q)
                .map(|n| w[n] * first[i * q + n] * j.map_or(1.0, |j| first[j * q + n]))
                .sum()
        })
        .collect()
}

/// Runs the M2 test (M2* when an item is polytomous) for a calibration.
///
/// # Errors
///
/// [`Error::MissingResponse`] when a response is missing (the statistic needs complete
/// data); [`Error::TooFewPersons`] for fewer than 2 persons; [`Error::WrongItemCount`]
/// when data and fit disagree; [`Error::NoDegreesOfFreedom`] when there are no more
/// moments than estimated parameters (e.g. fewer than 4 items for a 2PL);
/// [`Error::NumericalFailure`] when the moment covariance matrix is singular.
///
/// # Examples
///
/// LSAT7, 2PL; R `mirt` reports M2 = 11.938 on 5 df:
///
/// ```
/// use bagdar::calibrate::{CalibrationSettings, calibrate};
/// use bagdar::fit::m2;
/// use bagdar::response::ResponseMatrix;
/// let freq = [12, 19, 1, 7, 3, 19, 3, 17, 10, 5, 3, 7, 7, 23, 8, 28, 7, 39, 11, 34, 14,
///             51, 15, 90, 6, 25, 7, 35, 18, 136, 32, 308];
/// let mut data = Vec::new();
/// for (pattern, &f) in freq.iter().enumerate() {
///     for _ in 0..f {
///         data.extend((0..5).map(|i| ((pattern >> (4 - i)) & 1) as u8));
///     }
/// }
/// let responses = ResponseMatrix::new(1000, 5, data)?;
/// let settings = CalibrationSettings::default();
/// let fit = calibrate(&responses, &settings)?;
/// let test = m2(&responses, &settings, &fit)?;
/// assert_eq!(test.df, 5);
/// assert!((test.statistic - 11.938).abs() < 0.01);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn m2(
    responses: &ResponseMatrix,
    settings: &CalibrationSettings,
    fit: &Calibration,
) -> Result<M2> {
    require_complete(responses, "M2")?;
    require_persons(responses.persons(), 2, "M2")?;
    let fitted = Fitted::new(responses, settings, fit)?;
    let n_items = responses.items();
    let moments = moment_list(n_items);
    let m = moments.len();
    let parameters = fitted.parameters();
    if m <= parameters {
        return Err(Error::NoDegreesOfFreedom {
            statistic: "M2",
            moments: m,
            parameters,
        });
    }
    let persons = responses.persons() as f64;
    // Observed moments.
    let mut observed = vec![0.0; m];
    let mut squares = vec![0.0; n_items];
    for p in 0..responses.persons() {
        let row = responses.row(p);
        for (a, &(i, j)) in moments.iter().enumerate() {
            observed[a] += row[i] as f64 * j.map_or(1.0, |j| row[j] as f64);
        }
        for (s, &x) in squares.iter_mut().zip(row) {
            *s += (x as f64) * (x as f64);
        }
    }
    observed.iter_mut().for_each(|v| *v /= persons);
    squares.iter_mut().for_each(|v| *v /= persons);

    let (items, quadrature) = fitted.model(&fitted.x)?;
    let expected = model_moments(&items, &quadrature, &moments);
    let (first, second) = conditional_moments(&items, quadrature.nodes());
    let q = quadrature.len();
    let w = quadrature.weights();

    // Ξ: products of conditional moments with multiplicities.
    let mut xi = vec![0.0; m * m];
    // The items of a product of two moments with their multiplicities (at most 4).
    let mut union: Vec<(usize, u8)> = Vec::with_capacity(4);
    for a in 0..m {
        for b in a..m {
            union.clear();
            for &(i, j) in [moments[a], moments[b]].iter() {
                for item in std::iter::once(i).chain(j) {
                    match union.iter_mut().find(|(u, _)| *u == item) {
                        Some(entry) => entry.1 += 1,
                        None => union.push((item, 1)),
                    }
                }
            }
            let mut e = 0.0;
            for n in 0..q {
                let mut prod = w[n];
                for &(i, c) in &union {
                    prod *= if c == 1 {
                        first[i * q + n]
                    } else {
                        second[i * q + n]
                    };
                }
                e += prod;
            }
            let v = e - expected[a] * expected[b];
            xi[a * m + b] = v;
            xi[b * m + a] = v;
        }
    }
    // Δ by differences in the natural parameters (a, d, g, u, τ, μ, σ): an asymptote at
    // its bound (g → 0 drifts to logit −∞) still moves the moments there, where the
    // logit scale would give a zero column. At a bound the difference is one-sided.
    let k = parameters;
    let mut delta = vec![0.0; m * k];
    for c in 0..k {
        let t = fitted.transform(c);
        let natural = t.natural(fitted.x[c]);
        let h = 1e-5 * (1.0 + natural.abs());
        let (lo, hi) = match t {
            Transform::Logit => ((natural - h).max(0.0), (natural + h).min(1.0)),
            Transform::Log => ((natural - h).max(natural / 2.0), natural + h),
            Transform::Identity => (natural - h, natural + h),
        };
        let mut plus = fitted.x.clone();
        plus[c] = t.working(hi);
        let mut minus = fitted.x.clone();
        minus[c] = t.working(lo);
        let (ip, qp) = fitted.model(&plus)?;
        let (im, qm) = fitted.model(&minus)?;
        let ep = model_moments(&ip, &qp, &moments);
        let em = model_moments(&im, &qm, &moments);
        for a in 0..m {
            delta[a * k + c] = (ep[a] - em[a]) / (hi - lo);
        }
    }
    let singular = || Error::NumericalFailure {
        iteration: 0,
        what: "M2: inverse of the moment covariance matrix".into(),
    };
    let xi_inv = invert_spd(&xi, m).ok_or_else(singular)?;
    // A = Ξ⁻¹Δ (m × k), B = ΔᵀΞ⁻¹Δ (k × k).
    let mut a_mat = vec![0.0; m * k];
    for r in 0..m {
        for c in 0..k {
            a_mat[r * k + c] = (0..m).map(|t| xi_inv[r * m + t] * delta[t * k + c]).sum();
        }
    }
    let mut b_mat = vec![0.0; k * k];
    for r in 0..k {
        for c in 0..k {
            b_mat[r * k + c] = (0..m).map(|t| delta[t * k + r] * a_mat[t * k + c]).sum();
        }
    }
    let b_inv = invert_spd(&b_mat, k).ok_or_else(singular)?;
    let residual: Vec<f64> = observed.iter().zip(&expected).map(|(o, e)| o - e).collect();
    // rᵀΞ⁻¹r − (Aᵀr)ᵀ B⁻¹ (Aᵀr).
    let quad_xi: f64 = (0..m)
        .map(|r| residual[r] * (0..m).map(|t| xi_inv[r * m + t] * residual[t]).sum::<f64>())
        .sum();
    let atr: Vec<f64> = (0..k)
        .map(|c| (0..m).map(|t| a_mat[t * k + c] * residual[t]).sum())
        .collect();
    let correction: f64 = (0..k)
        .map(|r| atr[r] * (0..k).map(|c| b_inv[r * k + c] * atr[c]).sum::<f64>())
        .sum();
    let statistic = (persons * (quad_xi - correction)).abs();
    let df = m - parameters;

    // SRMSR from observed and model-implied correlations.
    let model_second: Vec<f64> = (0..n_items)
        .map(|i| (0..q).map(|n| w[n] * second[i * q + n]).sum())
        .collect();
    let mut sum_sq = 0.0;
    let mut pairs = 0.0;
    for (a, &(i, j)) in moments.iter().enumerate() {
        let Some(j) = j else { continue };
        let (oi, oj) = (observed[i], observed[j]);
        let (ei, ej) = (expected[i], expected[j]);
        let r_obs =
            (observed[a] - oi * oj) / ((squares[i] - oi * oi) * (squares[j] - oj * oj)).sqrt();
        let r_mod = (expected[a] - ei * ej)
            / ((model_second[i] - ei * ei) * (model_second[j] - ej * ej)).sqrt();
        sum_sq += (r_obs - r_mod).powi(2);
        pairs += 1.0;
    }
    Ok(M2 {
        statistic,
        df,
        p_value: chi_square_survival(statistic, df as f64),
        rmsea: rmsea(statistic, df as f64, persons),
        srmsr: (sum_sq / pairs).sqrt(),
        ordinal: fitted.categories().iter().any(|&c| c > 2),
        persons: responses.persons(),
    })
}
