//! Person fit: lz and Snijders' lz*.

use crate::error::Result;
use crate::model::{MAX_CATEGORIES, ResponseCurve, ResponseFunction};
use crate::quadrature::Prior;
use crate::response::{MISSING, ResponseMatrix};
use crate::score::{Method, Scorer};
use serde::{Deserialize, Serialize};

/// Person-fit statistics of one person; large negative values flag aberrant patterns
/// (e.g. below −1.645 at the 5% level).
///
/// # Formula
///
/// ```text
/// l0   = Σ_i ln P_{i,x_i}(θ̂)
/// E    = Σ_i Σ_k P_ik ln P_ik,   V = Σ_i [Σ_k P_ik (ln P_ik)² − (Σ_k P_ik ln P_ik)²]
/// lz   = (l0 − E)/√V                                   (Drasgow, Levine & Williams 1985)
///
/// lz*  (θ̂ from Σ_i (x_i − P_i) r_i + r0(θ̂) = 0), dichotomous items:
/// w_i  = ln(P_i/(1 − P_i)),  r_i = P'_i/(P_i(1 − P_i)),  c = Σ P'_i w_i / Σ P'_i r_i
/// lz*  = [Σ_i (x_i − P_i) w_i + c·r0(θ̂)] / √(Σ_i (w_i − c r_i)² P_i(1 − P_i))
/// r0   = 0 (ML),  J/(2I) (WLE, J = Σ P'P''/(P(1−P)), I = Σ P'²/(P(1−P))),
///        −(θ̂ − μ)/σ² (MAP with a N(μ, σ²) prior)
/// ```
///
/// For polytomous items lz* is Sinharay's (2016) generalization
/// ([`crate::decide::person_fit`]), which reduces to the above for dichotomous items.
/// lz* is asymptotically N(0, 1) with θ estimated (Snijders 2001, Psychometrika 66;
/// Magis, Raîche & Béland 2012); lz is not (its variance shrinks when θ is estimated).
/// Only answered items enter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PersonFit {
    /// The θ estimate used (the scorer's method).
    pub theta: f64,
    /// lz (NaN when θ is not finite or no item was answered).
    pub lz: f64,
    /// lz* (NaN for EAP θ or an infinite θ).
    pub lz_star: f64,
}

/// lz and lz* of every person, with θ estimated by `scorer` (use [`Method::Ml`],
/// [`Method::Wle`] or [`Method::Map`] for lz*).
///
/// # Errors
///
/// [`crate::Error::WrongItemCount`] or [`crate::Error::ResponseOutOfRange`] when the
/// data do not fit the scorer's items.
///
/// # Examples
///
/// ```
/// use bagdar::fit::person_fit;
/// use bagdar::model::ItemModel;
/// use bagdar::response::ResponseMatrix;
/// use bagdar::score::{Method, Scorer, ScoringSettings};
/// let items: Vec<ItemModel> = (0..10).map(|i| ItemModel::TwoPl { slope: 1.5, intercept: 2.0 - 0.4 * i as f64 }).collect();
/// let scorer = Scorer::from_models(&items, &ScoringSettings::with_method(Method::Wle))?;
/// // Easy items wrong, hard items right: a Guttman-reversed pattern.
/// let aberrant = vec![Some(0), Some(0), Some(0), Some(0), Some(0), Some(1), Some(1), Some(1), Some(1), Some(1)];
/// let typical = vec![Some(1), Some(1), Some(1), Some(1), Some(1), Some(0), Some(0), Some(0), Some(0), Some(0)];
/// let data = ResponseMatrix::from_rows(&[aberrant, typical])?;
/// let fit = person_fit(&data, &scorer)?;
/// assert!(fit[0].lz_star < -3.0);
/// assert!(fit[1].lz_star > 0.5);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn person_fit(responses: &ResponseMatrix, scorer: &Scorer) -> Result<Vec<PersonFit>> {
    let items = scorer.items();
    responses.check(items, None)?;
    let estimates = scorer.score(responses)?;
    let dichotomous = items.iter().all(|f| f.categories() == 2);
    let settings = scorer.settings();
    let method = settings.method;
    let mut out = Vec::with_capacity(responses.persons());
    let mut lp = [0.0; MAX_CATEGORIES];
    for (person, estimate) in estimates.iter().enumerate() {
        let theta = estimate.theta;
        let row = responses.row(person);
        if !theta.is_finite() || row.iter().all(|&x| x == MISSING) {
            out.push(PersonFit {
                theta,
                lz: f64::NAN,
                lz_star: f64::NAN,
            });
            continue;
        }
        let (mut l0, mut expected, mut variance) = (0.0, 0.0, 0.0);
        for (f, &x) in items.iter().zip(row) {
            if x == MISSING {
                continue;
            }
            f.log_probabilities(theta, &mut lp);
            let k = f.categories();
            l0 += lp[x as usize];
            let (mut m1, mut m2) = (0.0, 0.0);
            for &l in lp.iter().take(k) {
                let pk = l.exp();
                if pk > 0.0 {
                    m1 += pk * l;
                    m2 += pk * l * l;
                }
            }
            expected += m1;
            variance += m2 - m1 * m1;
        }
        let lz = (l0 - expected) / variance.sqrt();
        let lz_star = if method == Method::Eap {
            f64::NAN
        } else {
            let (mut info, mut warm) = (0.0, 0.0);
            for (f, &x) in items.iter().zip(row) {
                if x != MISSING {
                    let t = f.terms(theta, x as usize);
                    info += t.information;
                    warm += t.warm;
                }
            }
            let r0 = match method {
                Method::Ml | Method::Eap => 0.0,
                Method::Wle => warm / (2.0 * info),
                Method::Map => match settings.prior {
                    Prior::Normal { mean, sd } => -(theta - mean) / (sd * sd),
                    Prior::Discrete { .. } => f64::NAN,
                },
            };
            if dichotomous {
                snijders(items, row, theta, r0)
            } else {
                crate::decide::person_fit(items, row, theta, r0).lz_star()
            }
        };
        out.push(PersonFit { theta, lz, lz_star });
    }
    Ok(out)
}

/// Snijders' (2001) lz* for dichotomous items (see [`PersonFit`]).
fn snijders(items: &[ResponseFunction], row: &[u8], theta: f64, r0: f64) -> f64 {
    let (mut p, mut d1, mut d2) = (
        [0.0; MAX_CATEGORIES],
        [0.0; MAX_CATEGORIES],
        [0.0; MAX_CATEGORIES],
    );
    let (mut w_num, mut pw, mut pr) = (0.0, 0.0, 0.0);
    let mut terms = Vec::new();
    for (f, &x) in items.iter().zip(row) {
        if x == MISSING {
            continue;
        }
        f.derivatives(theta, &mut p, &mut d1, &mut d2);
        let (pi, dp) = (p[1], d1[1]);
        let v = pi * (1.0 - pi);
        let w = (pi / (1.0 - pi)).ln();
        let r = dp / v;
        w_num += (x as f64 - pi) * w;
        pw += dp * w;
        pr += dp * r;
        terms.push((w, r, v));
    }
    let c = pw / pr;
    let tau: f64 = terms.iter().map(|&(w, r, v)| (w - c * r).powi(2) * v).sum();
    (w_num + c * r0) / tau.sqrt()
}
