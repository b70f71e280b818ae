//! Residual-based item statistics: infit/outfit mean squares and Yen's Q3.

use super::require_persons;
use crate::error::{Error, Result};
use crate::model::{MAX_CATEGORIES, ResponseCurve, ResponseFunction};
use crate::response::{MISSING, ResponseMatrix};
use serde::{Deserialize, Serialize};

/// Infit and outfit mean squares of one item.
///
/// # Formula
///
/// ```text
/// E_ni = Σ_k k P_ik(θ_n),  W_ni = Σ_k (k − E_ni)² P_ik(θ_n),  C_ni = Σ_k (k − E_ni)⁴ P_ik(θ_n)
/// z_ni = (x_ni − E_ni)/√W_ni
/// outfit_i = Σ_n z_ni² / N_i                      q²_out = Σ_n C_ni/W_ni² / N_i² − 1/N_i
/// infit_i  = Σ_n (x_ni − E_ni)² / Σ_n W_ni        q²_in  = Σ_n (C_ni − W_ni²) / (Σ_n W_ni)²
/// Zstd     = (MS^{1/3} − 1)(3/q) + q/3            (Wilson–Hilferty cube root)
/// ```
///
/// N_i counts the persons who answered item i and have a finite θ. Wright & Masters
/// (1982), *Rating Scale Analysis*; the same formulas as R `mirt`'s
/// `itemfit(fit_stats = "infit")` and eRm's `itemfit`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ItemMeanSquares {
    /// Outfit (unweighted) mean square.
    pub outfit: f64,
    /// Standardized outfit.
    pub outfit_z: f64,
    /// Infit (information-weighted) mean square.
    pub infit: f64,
    /// Standardized infit.
    pub infit_z: f64,
    /// Persons used.
    pub persons: usize,
}

fn check_theta(
    responses: &ResponseMatrix,
    items: &[ResponseFunction],
    theta: &[f64],
) -> Result<()> {
    responses.check(items, None)?;
    if theta.len() != responses.persons() {
        return Err(Error::WrongLength {
            what: "theta",
            expected: responses.persons(),
            found: theta.len(),
        });
    }
    Ok(())
}

/// Conditional mean, variance and fourth central moment of an item score at θ.
fn score_moments(f: &ResponseFunction, theta: f64) -> (f64, f64, f64) {
    let mut p = [0.0; MAX_CATEGORIES];
    f.probabilities(theta, &mut p);
    let k = f.categories();
    let e: f64 = (0..k).map(|c| c as f64 * p[c]).sum();
    let (mut w, mut c4) = (0.0, 0.0);
    for (c, pc) in p.iter().enumerate().take(k) {
        let d = c as f64 - e;
        w += d * d * pc;
        c4 += d.powi(4) * pc;
    }
    (e, w, c4)
}

fn wilson_hilferty(ms: f64, q2: f64) -> f64 {
    let q = q2.max(0.0).sqrt();
    (ms.cbrt() - 1.0) * (3.0 / q) + q / 3.0
}

/// Infit and outfit mean squares of every item at given person estimates θ (EAP, WLE,
/// …; a NaN θ leaves that person out).
///
/// # Errors
///
/// [`Error::WrongLength`] when `theta` does not have one value per person;
/// [`Error::WrongItemCount`] or [`Error::ResponseOutOfRange`] when the data do not fit
/// the items; [`Error::TooFewPersons`] for fewer than 2 persons with a finite θ.
///
/// # Examples
///
/// Data that fit the model give mean squares near 1:
///
/// ```
/// use bagdar::fit::infit_outfit;
/// use bagdar::model::ItemModel;
/// use bagdar::simulate::responses;
/// let models: Vec<ItemModel> = (0..10).map(|i| ItemModel::Rasch { intercept: 0.3 * i as f64 - 1.5 }).collect();
/// let items: Vec<_> = models.iter().map(|m| m.response_function("")).collect::<Result<_, _>>()?;
/// let theta: Vec<f64> = (0..2000).map(|p| (p % 200) as f64 / 50.0 - 2.0).collect();
/// let data = responses(&items, &theta, 5); // simulated at the true θ
/// let fit = infit_outfit(&data, &items, &theta)?;
/// assert!(fit.iter().all(|f| (f.infit - 1.0).abs() < 0.1 && (f.outfit - 1.0).abs() < 0.15));
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn infit_outfit(
    responses: &ResponseMatrix,
    items: &[ResponseFunction],
    theta: &[f64],
) -> Result<Vec<ItemMeanSquares>> {
    check_theta(responses, items, theta)?;
    require_persons(
        theta.iter().filter(|t| t.is_finite()).count(),
        2,
        "infit/outfit",
    )?;
    let mut out = Vec::with_capacity(items.len());
    for (i, f) in items.iter().enumerate() {
        let (mut z2, mut r2, mut w_sum, mut c_over_w2, mut c_minus_w2, mut n) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0usize);
        for (p, &t) in theta.iter().enumerate() {
            let x = responses.row(p)[i];
            if x == MISSING || !t.is_finite() {
                continue;
            }
            let (e, w, c4) = score_moments(f, t);
            let r = x as f64 - e;
            z2 += r * r / w;
            r2 += r * r;
            w_sum += w;
            c_over_w2 += c4 / (w * w);
            c_minus_w2 += c4 - w * w;
            n += 1;
        }
        let nf = n as f64;
        let outfit = z2 / nf;
        let infit = r2 / w_sum;
        let q_out = c_over_w2 / (nf * nf) - 1.0 / nf;
        let q_in = c_minus_w2 / (w_sum * w_sum);
        out.push(ItemMeanSquares {
            outfit,
            outfit_z: wilson_hilferty(outfit, q_out),
            infit,
            infit_z: wilson_hilferty(infit, q_in),
            persons: n,
        });
    }
    Ok(out)
}

/// Yen's Q3: correlations of the item residuals across persons.
///
/// # Formula
///
/// ```text
/// d_ni   = x_ni − E[x_i | θ_n]
/// Q3_ij  = corr_n(d_ni, d_nj)        over persons who answered both items
/// Q3*_ij = Q3_ij − mean_{k<l} Q3_kl  (Marais 2013: centred on the average)
/// ```
///
/// Under local independence Q3 is near −1/(n − 1) for n items; values above about 0.2
/// over the average flag dependent pairs (Christensen, Makransky & Horton 2017). Yen
/// (1984), Appl. Psychol. Meas. 8.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Q3 {
    /// n × n matrix, row-major (1 on the diagonal; NaN where a pair has fewer than 3
    /// common persons or a residual has no variance).
    pub matrix: Vec<f64>,
    /// Number of items n.
    pub items: usize,
    /// Mean of the off-diagonal Q3.
    pub mean: f64,
    /// Largest Q3 minus the mean (Q3* of the most dependent pair), and its pair.
    pub max_centred: f64,
    /// The pair (i, j), i < j, with the largest Q3.
    pub max_pair: (usize, usize),
}

/// Yen's Q3 at given person estimates θ (a NaN θ leaves that person out).
///
/// # Errors
///
/// As [`infit_outfit`], and [`Error::WrongCount`] for fewer than 2 items.
///
/// # Examples
///
/// ```
/// use bagdar::fit::yen_q3;
/// use bagdar::model::ItemModel;
/// use bagdar::simulate::responses;
/// let models: Vec<ItemModel> = (0..6).map(|i| ItemModel::TwoPl { slope: 1.2, intercept: 0.3 * i as f64 - 0.8 }).collect();
/// let items: Vec<_> = models.iter().map(|m| m.response_function("")).collect::<Result<_, _>>()?;
/// let theta: Vec<f64> = (0..3000).map(|p| (p % 300) as f64 / 75.0 - 2.0).collect();
/// let data = responses(&items, &theta, 9);
/// let q3 = yen_q3(&data, &items, &theta)?;
/// assert!(q3.max_centred < 0.1); // locally independent data
/// assert_eq!(q3.matrix[0], 1.0);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn yen_q3(responses: &ResponseMatrix, items: &[ResponseFunction], theta: &[f64]) -> Result<Q3> {
    check_theta(responses, items, theta)?;
    let n = items.len();
    if n < 2 {
        return Err(Error::WrongCount {
            item: "Q3".into(),
            field: "items".into(),
            expected: 2,
            found: n,
        });
    }
    require_persons(theta.iter().filter(|t| t.is_finite()).count(), 3, "Q3")?;
    let persons = responses.persons();
    let mut resid = vec![f64::NAN; persons * n];
    for (p, &t) in theta.iter().enumerate() {
        if !t.is_finite() {
            continue;
        }
        for (i, f) in items.iter().enumerate() {
            let x = responses.row(p)[i];
            if x != MISSING {
                resid[p * n + i] = x as f64 - f.expected_score(t);
            }
        }
    }
    let mut matrix = vec![f64::NAN; n * n];
    let (mut total, mut pairs) = (0.0, 0.0);
    let mut best = (f64::NEG_INFINITY, (0, 1));
    for i in 0..n {
        matrix[i * n + i] = 1.0;
        for j in i + 1..n {
            let (mut c, mut si, mut sj, mut sii, mut sjj, mut sij) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
            for p in 0..persons {
                let (a, b) = (resid[p * n + i], resid[p * n + j]);
                if a.is_nan() || b.is_nan() {
                    continue;
                }
                c += 1.0;
                si += a;
                sj += b;
                sii += a * a;
                sjj += b * b;
                sij += a * b;
            }
            let r = if c >= 3.0 {
                let cov = sij - si * sj / c;
                let vi = sii - si * si / c;
                let vj = sjj - sj * sj / c;
                cov / (vi * vj).sqrt()
            } else {
                f64::NAN
            };
            matrix[i * n + j] = r;
            matrix[j * n + i] = r;
            if r.is_finite() {
                total += r;
                pairs += 1.0;
                if r > best.0 {
                    best = (r, (i, j));
                }
            }
        }
    }
    let mean = total / pairs;
    Ok(Q3 {
        matrix,
        items: n,
        mean,
        max_centred: best.0 - mean,
        max_pair: best.1,
    })
}

/// Chen & Thissen's local-dependence X² of one item pair.
///
/// # Formula
///
/// ```text
/// O_ab  = persons answering the pair with categories (a, b)       (both answered: N_ij)
/// E_ab  = N_ij Σ_q w_q P_ia(θ_q) P_jb(θ_q)
/// X²    = Σ_{a,b} (O_ab − E_ab)² / E_ab,    df = (K_i − 1)(K_j − 1)
/// V     = ±√(X² / (N_ij (min(K_i, K_j) − 1)))   (Cramér's V), signed by the observed
///         minus model-implied covariance of the two item scores
/// ```
///
/// Positive V with a large X² flags a pair more alike than the model implies (shared
/// stimulus, redundant wording). Chen & Thissen (1997), J. Educ. Behav. Stat. 22.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LocalDependence {
    /// First item index.
    pub first: usize,
    /// Second item index (> first).
    pub second: usize,
    /// The X² statistic.
    pub chi_square: f64,
    /// Degrees of freedom (K_i − 1)(K_j − 1).
    pub df: usize,
    /// P(χ²_df ≥ X²) (approximate: the statistic is not exactly chi-square).
    pub p_value: f64,
    /// Signed Cramér's V.
    pub cramers_v: f64,
}

/// Local-dependence X² of every item pair under the model (`items` on `quadrature`,
/// the population distribution of the calibration).
///
/// # Errors
///
/// [`Error::WrongItemCount`] or [`Error::ResponseOutOfRange`] when the data do not fit
/// the items; [`Error::WrongCount`] for fewer than 2 items.
///
/// # Examples
///
/// ```
/// use bagdar::fit::ld_x2;
/// use bagdar::model::ItemModel;
/// use bagdar::quadrature::{Grid, Prior, Quadrature};
/// use bagdar::simulate::responses;
/// let models: Vec<ItemModel> = (0..5).map(|i| ItemModel::TwoPl { slope: 1.2, intercept: 0.3 * i as f64 - 0.6 }).collect();
/// let items: Vec<_> = models.iter().map(|m| m.response_function("")).collect::<Result<_, _>>()?;
/// let q = Quadrature::new(&Grid::default(), &Prior::default())?;
/// let theta: Vec<f64> = (0..2000).map(|p| bagdar::decide::normal_quantile((p as f64 + 0.5) / 2000.0)).collect();
/// let pairs = ld_x2(&responses(&items, &theta, 3), &items, &q)?;
/// assert_eq!(pairs.len(), 10);
/// assert!(pairs.iter().all(|p| p.df == 1 && p.cramers_v.abs() < 0.1));
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn ld_x2(
    responses: &ResponseMatrix,
    items: &[ResponseFunction],
    quadrature: &crate::quadrature::Quadrature,
) -> Result<Vec<LocalDependence>> {
    responses.check(items, None)?;
    let n = items.len();
    if n < 2 {
        return Err(Error::WrongCount {
            item: "LD X2".into(),
            field: "items".into(),
            expected: 2,
            found: n,
        });
    }
    let nodes = quadrature.nodes();
    let w = quadrature.weights();
    let q_len = nodes.len();
    // probabilities[i][q * K + k]
    let probabilities: Vec<Vec<f64>> = items
        .iter()
        .map(|f| {
            let k = f.categories();
            let mut out = vec![0.0; q_len * k];
            let mut p = [0.0; MAX_CATEGORIES];
            for (q, &theta) in nodes.iter().enumerate() {
                f.probabilities(theta, &mut p);
                out[q * k..(q + 1) * k].copy_from_slice(&p[..k]);
            }
            out
        })
        .collect();
    let mut out = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            let (ki, kj) = (items[i].categories(), items[j].categories());
            let mut observed = vec![0.0; ki * kj];
            for p in 0..responses.persons() {
                let (a, b) = (responses.row(p)[i], responses.row(p)[j]);
                if a != MISSING && b != MISSING {
                    observed[a as usize * kj + b as usize] += 1.0;
                }
            }
            let total: f64 = observed.iter().sum();
            let mut expected = vec![0.0; ki * kj];
            for q in 0..q_len {
                for a in 0..ki {
                    for b in 0..kj {
                        expected[a * kj + b] +=
                            w[q] * probabilities[i][q * ki + a] * probabilities[j][q * kj + b];
                    }
                }
            }
            let mut chi_square = 0.0;
            let (mut cov_o, mut cov_e) = (0.0, 0.0);
            let (mut mo_a, mut mo_b, mut me_a, mut me_b) = (0.0, 0.0, 0.0, 0.0);
            for a in 0..ki {
                for b in 0..kj {
                    let e = expected[a * kj + b];
                    let o = observed[a * kj + b];
                    let en = e * total;
                    if en > 0.0 {
                        chi_square += (o - en).powi(2) / en;
                    }
                    let (x, y) = (a as f64, b as f64);
                    cov_o += x * y * o / total;
                    cov_e += x * y * e;
                    mo_a += x * o / total;
                    mo_b += y * o / total;
                    me_a += x * e;
                    me_b += y * e;
                }
            }
            let sign = ((cov_o - mo_a * mo_b) - (cov_e - me_a * me_b)).signum();
            let df = (ki - 1) * (kj - 1);
            let cramers_v = sign * (chi_square / (total * (ki.min(kj) - 1) as f64)).sqrt();
            out.push(LocalDependence {
                first: i,
                second: j,
                chi_square,
                df,
                p_value: super::chi_square_survival(chi_square, df as f64),
                cramers_v,
            });
        }
    }
    Ok(out)
}
