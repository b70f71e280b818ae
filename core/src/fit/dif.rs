//! Differential item functioning across two groups by the Mantel–Haenszel procedure.

use super::{chi_square_survival, require_complete};
use crate::decide::normal_cdf;
use crate::error::{Error, Result};
use crate::response::ResponseMatrix;
use serde::{Deserialize, Serialize};

/// ETS DIF category (Zieky 1993; Zwick 2012, ETS RR-12-08).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DifClass {
    /// Negligible: |Δ_MH| < 1 or Δ_MH not significantly different from 0.
    A,
    /// Slight to moderate: neither A nor C.
    B,
    /// Moderate to large: |Δ_MH| ≥ 1.5 and |Δ_MH| significantly greater than 1.
    C,
}

/// Mantel–Haenszel DIF of one dichotomous item.
///
/// # Formula
///
/// ```text
/// stratum s (matching total score): A_s, B_s = reference right, wrong;
///                                   C_s, D_s = focal right, wrong;  N_s = A+B+C+D
/// α_MH   = Σ_s A_s D_s/N_s  /  Σ_s B_s C_s/N_s          (common odds ratio)
/// χ²_MH  = (|Σ_s A_s − Σ_s E[A_s]| − ½)² / Σ_s Var(A_s)   (continuity-corrected, 1 df;
///          no correction when the deviation is below ½, as R `mantelhaen.test`)
///          E[A_s] = n_Rs m_1s/N_s,  Var(A_s) = n_Rs n_Fs m_1s m_0s / (N_s²(N_s − 1))
/// Δ_MH   = −2.35 ln α_MH                                (ETS delta metric)
/// SE(ln α_MH) by Robins, Breslow & Greenland (1986);  SE(Δ) = 2.35·SE(ln α)
/// class  A if |Δ| < 1 or p(χ²_MH) ≥ 0.05;  C if |Δ| ≥ 1.5 and (|Δ| − 1)/SE(Δ) > 1.645;
///        B otherwise
/// ```
///
/// Δ_MH < 0 means the item is harder for the focal group at equal total score (it
/// favours the reference group). Strata with only one group or one person carry no
/// information and are skipped. Holland & Thayer (1988); Dorans & Holland (1993).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MantelHaenszel {
    /// Item (column) index.
    pub item: usize,
    /// Continuity-corrected MH chi-square (1 df).
    pub chi_square: f64,
    /// Its p-value.
    pub p_value: f64,
    /// Common odds ratio α_MH (reference : focal).
    pub odds_ratio: f64,
    /// ETS delta Δ_MH = −2.35 ln α_MH.
    pub delta: f64,
    /// Standard error of Δ_MH.
    pub delta_se: f64,
    /// ETS A/B/C category.
    pub class: DifClass,
    /// Reference-group persons used.
    pub reference_persons: usize,
    /// Focal-group persons used.
    pub focal_persons: usize,
}

/// Mantel–Haenszel DIF of every item between a reference and a focal group, matched on
/// the total score (studied item included, as Holland & Thayer 1988 require). Persons
/// whose group is neither are ignored. No purification of the matching score.
///
/// # Errors
///
/// [`Error::WrongLength`] when `groups` does not have one entry per person;
/// [`Error::InvalidGroups`] when `reference == focal` or a group has no person;
/// [`Error::MissingResponse`] for a missing response; [`Error::ResponseOutOfRange`]
/// for a response above 1 (the procedure is for dichotomous items).
///
/// # Examples
///
/// An item planted to be harder for the focal group (by 0.8 logits) gets class C:
///
/// ```
/// use bagdar::fit::{DifClass, mantel_haenszel};
/// use bagdar::model::ItemModel;
/// use bagdar::response::ResponseMatrix;
/// use bagdar::simulate::responses;
/// let items = |shift: f64| -> Vec<_> {
///     (0..20).map(|i| {
///         let d = 1.5 - 0.15 * i as f64 - if i == 0 { shift } else { 0.0 };
///         ItemModel::TwoPl { slope: 1.2, intercept: d }.response_function("").unwrap()
///     }).collect()
/// };
/// let theta: Vec<f64> = (0..2000).map(|p| (p % 100) as f64 / 25.0 - 2.0).collect();
/// let reference = responses(&items(0.0), &theta, 1);
/// let focal = responses(&items(1.2), &theta, 2);
/// let mut data = reference.data().to_vec();
/// data.extend_from_slice(focal.data());
/// let all = ResponseMatrix::new(4000, 20, data)?;
/// let groups: Vec<usize> = (0..4000).map(|p| p / 2000).collect();
/// let table = mantel_haenszel(&all, &groups, 0, 1)?;
/// assert_eq!(table[0].class, DifClass::C);
/// assert!(table[0].delta < -1.5);
/// assert_eq!(table[5].class, DifClass::A);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn mantel_haenszel(
    responses: &ResponseMatrix,
    groups: &[usize],
    reference: usize,
    focal: usize,
) -> Result<Vec<MantelHaenszel>> {
    let persons = responses.persons();
    if groups.len() != persons {
        return Err(Error::WrongLength {
            what: "groups",
            expected: persons,
            found: groups.len(),
        });
    }
    if reference == focal {
        return Err(Error::InvalidGroups {
            message: format!("the reference and focal group are both {reference}"),
        });
    }
    for g in [reference, focal] {
        if !groups.contains(&g) {
            return Err(Error::InvalidGroups {
                message: format!("group {g} has no persons"),
            });
        }
    }
    require_complete(responses, "Mantel-Haenszel DIF")?;
    let n_items = responses.items();
    for p in 0..persons {
        if let Some(i) = responses.row(p).iter().position(|&x| x > 1) {
            return Err(Error::ResponseOutOfRange {
                person: p,
                item: format!("#{i}"),
                value: responses.row(p)[i] as i64,
                max: 1,
            });
        }
    }
    let totals: Vec<usize> = (0..persons)
        .map(|p| responses.row(p).iter().map(|&x| x as usize).sum())
        .collect();
    let reference_persons = groups.iter().filter(|&&g| g == reference).count();
    let focal_persons = groups.iter().filter(|&&g| g == focal).count();
    let mut out = Vec::with_capacity(n_items);
    for item in 0..n_items {
        // cells[s] = [A, B, C, D].
        let mut cells = vec![[0.0f64; 4]; n_items + 1];
        for p in 0..persons {
            let right = responses.row(p)[item] == 1;
            let cell = if groups[p] == reference {
                if right { 0 } else { 1 }
            } else if groups[p] == focal {
                if right { 2 } else { 3 }
            } else {
                continue;
            };
            cells[totals[p]][cell] += 1.0;
        }
        let (mut sum_a, mut sum_ea, mut sum_var) = (0.0, 0.0, 0.0);
        let (mut r, mut s) = (0.0, 0.0);
        let (mut pr, mut ps_qr, mut qs) = (0.0, 0.0, 0.0);
        for &[a, b, c, d] in &cells {
            let n = a + b + c + d;
            let (n_ref, n_foc) = (a + b, c + d);
            if n < 2.0 || n_ref == 0.0 || n_foc == 0.0 {
                continue;
            }
            let (m1, m0) = (a + c, b + d);
            sum_a += a;
            sum_ea += n_ref * m1 / n;
            sum_var += n_ref * n_foc * m1 * m0 / (n * n * (n - 1.0));
            let (rk, sk) = (a * d / n, b * c / n);
            let (pk, qk) = ((a + d) / n, (b + c) / n);
            r += rk;
            s += sk;
            pr += pk * rk;
            ps_qr += pk * sk + qk * rk;
            qs += qk * sk;
        }
        let chi_square = if sum_var > 0.0 {
            let deviation = (sum_a - sum_ea).abs();
            let yates = if deviation >= 0.5 { 0.5 } else { 0.0 };
            (deviation - yates).powi(2) / sum_var
        } else {
            f64::NAN
        };
        let p_value = chi_square_survival(chi_square, 1.0);
        let odds_ratio = r / s;
        let delta = -2.35 * odds_ratio.ln();
        let var_log = pr / (2.0 * r * r) + ps_qr / (2.0 * r * s) + qs / (2.0 * s * s);
        let delta_se = 2.35 * var_log.sqrt();
        out.push(MantelHaenszel {
            item,
            chi_square,
            p_value,
            odds_ratio,
            delta,
            delta_se,
            class: classify(delta, delta_se, p_value),
            reference_persons,
            focal_persons,
        });
    }
    Ok(out)
}

/// ETS rule: A when |Δ| < 1 or not significant at 5%; C when |Δ| ≥ 1.5 and |Δ| is
/// significantly above 1 (one-sided 5%); B otherwise.
fn classify(delta: f64, se: f64, p_value: f64) -> DifClass {
    let size = delta.abs();
    if size.is_nan() || p_value.is_nan() || size < 1.0 || p_value >= 0.05 {
        return DifClass::A;
    }
    let above_one = 1.0 - normal_cdf((size - 1.0) / se);
    if size >= 1.5 && above_one < 0.05 {
        DifClass::C
    } else {
        DifClass::B
    }
}
