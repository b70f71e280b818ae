//! Differential item functioning across two groups by the Mantel–Haenszel procedure.

use super::{chi_square_survival, require_complete};
use crate::calibrate::{CalibrationSettings, GroupSettings, ItemSpec};
use crate::decide::normal_cdf;
use crate::error::{Error, Result};
use crate::model::ModelKind;
use crate::response::{MISSING, ResponseMatrix};
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
    dif_checks(responses, groups, reference, focal, true)?;
    let persons = responses.persons();
    let n_items = responses.items();
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

/// Logistic-regression DIF of one dichotomous item, uniform and non-uniform.
///
/// # Formula
///
/// ```text
/// S = total score (studied item included), G = 1 for the focal group, 0 for the reference
/// M0: logit P(x = 1) = β0 + β1 S
/// M1: logit P(x = 1) = β0 + β1 S + β2 G                  (uniform DIF)
/// M2: logit P(x = 1) = β0 + β1 S + β2 G + β3 S·G         (non-uniform DIF)
/// uniform     χ² = 2(ℓ1 − ℓ0), 1 df;   non-uniform χ² = 2(ℓ2 − ℓ1), 1 df
/// total       χ² = 2(ℓ2 − ℓ0), 2 df
/// R²_N        = (1 − exp(2(ℓ_null − ℓ)/n)) / (1 − exp(2 ℓ_null/n))   (Nagelkerke)
/// ΔR²         = R²_N(M2) − R²_N(M0)
/// class       A if p_total ≥ 0.05 or ΔR² < 0.035;  C if ΔR² > 0.07;  B otherwise
///             (Jodoin & Gierl 2001 effect-size bands)
/// ```
///
/// Fitted by Newton–Raphson (iteratively reweighted least squares) on the persons of
/// the two groups. Swaminathan & Rogers (1990), J. Educ. Meas. 27; Zumbo (1999).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticDif {
    /// Item (column) index.
    pub item: usize,
    /// Uniform DIF: 2(ℓ1 − ℓ0), 1 df.
    pub uniform_chi_square: f64,
    /// Its p-value.
    pub uniform_p_value: f64,
    /// Non-uniform DIF: 2(ℓ2 − ℓ1), 1 df.
    pub nonuniform_chi_square: f64,
    /// Its p-value.
    pub nonuniform_p_value: f64,
    /// Both: 2(ℓ2 − ℓ0), 2 df.
    pub total_chi_square: f64,
    /// Its p-value.
    pub total_p_value: f64,
    /// β2 of M1: the focal group's log-odds shift at equal score (negative: the item is
    /// harder for the focal group).
    pub group_effect: f64,
    /// Nagelkerke R² of M2 minus that of M0.
    pub delta_r2: f64,
    /// Jodoin–Gierl A/B/C category.
    pub class: DifClass,
}

/// Maximizes the logistic log-likelihood of `y` on the columns `x` (row-major, `k`
/// columns) by Newton–Raphson with step halving; returns (ℓ, β).
fn logistic_fit(x: &[f64], y: &[f64], k: usize) -> (f64, Vec<f64>) {
    let n = y.len();
    let loglik = |beta: &[f64]| -> f64 {
        (0..n)
            .map(|r| {
                let eta: f64 = (0..k).map(|c| x[r * k + c] * beta[c]).sum();
                // y·η − ln(1 + e^η), stable.
                y[r] * eta
                    - if eta > 0.0 {
                        eta + (-eta).exp().ln_1p()
                    } else {
                        eta.exp().ln_1p()
                    }
            })
            .sum()
    };
    let mut beta = vec![0.0; k];
    let mut current = loglik(&beta);
    for _ in 0..100 {
        let mut grad = vec![0.0; k];
        let mut info = vec![0.0; k * k];
        for r in 0..n {
            let eta: f64 = (0..k).map(|c| x[r * k + c] * beta[c]).sum();
            let p = crate::model::sigmoid(eta);
            let w = p * (1.0 - p);
            for a in 0..k {
                grad[a] += (y[r] - p) * x[r * k + a];
                for b in 0..k {
                    info[a * k + b] += w * x[r * k + a] * x[r * k + b];
                }
            }
        }
        // Ridge-free solve; a tiny ridge only if the information is singular.
        let step = match crate::calibrate::invert_spd(&info, k) {
            Some(inv) => (0..k)
                .map(|a| (0..k).map(|b| inv[a * k + b] * grad[b]).sum())
                .collect::<Vec<f64>>(),
            None => {
                let mut ridged = info.clone();
                for a in 0..k {
                    ridged[a * k + a] += 1e-8 * (1.0 + info[a * k + a]);
                }
                match crate::calibrate::invert_spd(&ridged, k) {
                    Some(inv) => (0..k)
                        .map(|a| (0..k).map(|b| inv[a * k + b] * grad[b]).sum())
                        .collect(),
                    None => break,
                }
            }
        };
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + t * s).collect();
            let value = loglik(&trial);
            if value >= current - 1e-12 * (1.0 + current.abs()) {
                let gain = value - current;
                beta = trial;
                current = value;
                accepted = true;
                if gain.abs() < 1e-12 * (1.0 + current.abs()) {
                    return (current, beta);
                }
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    (current, beta)
}

/// Logistic-regression DIF (uniform and non-uniform) of every item between a
/// reference and a focal group, matched on the total score.
///
/// # Errors
///
/// As [`mantel_haenszel`].
///
/// # Examples
///
/// An item whose slope is halved for the focal group shows non-uniform DIF:
///
/// ```
/// use bagdar::fit::logistic_dif;
/// use bagdar::model::ItemModel;
/// use bagdar::response::ResponseMatrix;
/// use bagdar::simulate::responses;
/// let items = |slope0: f64| -> Vec<_> {
///     (0..15).map(|i| {
///         let slope = if i == 0 { slope0 } else { 1.2 };
///         ItemModel::TwoPl { slope, intercept: 1.0 - 0.15 * i as f64 }.response_function("").unwrap()
///     }).collect()
/// };
/// let theta: Vec<f64> = (0..2000).map(|p| (p % 100) as f64 / 25.0 - 2.0).collect();
/// let mut data = responses(&items(2.0), &theta, 1).data().to_vec();
/// data.extend_from_slice(responses(&items(0.4), &theta, 2).data());
/// let all = ResponseMatrix::new(4000, 15, data)?;
/// let groups: Vec<usize> = (0..4000).map(|p| p / 2000).collect();
/// let table = logistic_dif(&all, &groups, 0, 1)?;
/// assert!(table[0].nonuniform_p_value < 1e-6);
/// assert!(table[5].total_p_value > 0.001);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn logistic_dif(
    responses: &ResponseMatrix,
    groups: &[usize],
    reference: usize,
    focal: usize,
) -> Result<Vec<LogisticDif>> {
    // Same checks as Mantel–Haenszel.
    dif_checks(responses, groups, reference, focal, true)?;
    let persons: Vec<usize> = (0..responses.persons())
        .filter(|&p| groups[p] == reference || groups[p] == focal)
        .collect();
    let n = persons.len();
    let score: Vec<f64> = persons
        .iter()
        .map(|&p| responses.row(p).iter().map(|&x| x as f64).sum())
        .collect();
    let mean = score.iter().sum::<f64>() / n as f64;
    let g: Vec<f64> = persons
        .iter()
        .map(|&p| if groups[p] == focal { 1.0 } else { 0.0 })
        .collect();
    // Columns: 1, S − S̄, G, (S − S̄)·G (centring changes no likelihood, only conditioning).
    let design = |k: usize| -> Vec<f64> {
        let mut x = Vec::with_capacity(n * k);
        for r in 0..n {
            let s = score[r] - mean;
            let row = [1.0, s, g[r], s * g[r]];
            x.extend_from_slice(&row[..k]);
        }
        x
    };
    let (x2, x3, x4) = (design(2), design(3), design(4));
    let mut out = Vec::with_capacity(responses.items());
    for item in 0..responses.items() {
        let y: Vec<f64> = persons
            .iter()
            .map(|&p| responses.row(p)[item] as f64)
            .collect();
        let p1 = y.iter().sum::<f64>() / n as f64;
        let null = if p1 > 0.0 && p1 < 1.0 {
            n as f64 * (p1 * p1.ln() + (1.0 - p1) * (1.0 - p1).ln())
        } else {
            0.0
        };
        let (l0, _) = logistic_fit(&x2, &y, 2);
        let (l1, b1) = logistic_fit(&x3, &y, 3);
        let (l2, _) = logistic_fit(&x4, &y, 4);
        let nagelkerke = |l: f64| {
            let max = 1.0 - (2.0 * null / n as f64).exp();
            (1.0 - (2.0 * (null - l) / n as f64).exp()) / max
        };
        let uniform = (2.0 * (l1 - l0)).max(0.0);
        let nonuniform = (2.0 * (l2 - l1)).max(0.0);
        let total = (2.0 * (l2 - l0)).max(0.0);
        let total_p = chi_square_survival(total, 2.0);
        let delta_r2 = nagelkerke(l2) - nagelkerke(l0);
        let class = if total_p.is_nan() || total_p >= 0.05 || delta_r2 < 0.035 {
            DifClass::A
        } else if delta_r2 > 0.07 {
            DifClass::C
        } else {
            DifClass::B
        };
        out.push(LogisticDif {
            item,
            uniform_chi_square: uniform,
            uniform_p_value: chi_square_survival(uniform, 1.0),
            nonuniform_chi_square: nonuniform,
            nonuniform_p_value: chi_square_survival(nonuniform, 1.0),
            total_chi_square: total,
            total_p_value: total_p,
            group_effect: b1[2],
            delta_r2,
            class,
        });
    }
    Ok(out)
}

/// The input checks shared by the DIF procedures.
fn dif_checks(
    responses: &ResponseMatrix,
    groups: &[usize],
    reference: usize,
    focal: usize,
    dichotomous: bool,
) -> Result<()> {
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
    require_complete(responses, "DIF")?;
    if !dichotomous {
        return Ok(());
    }
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
    Ok(())
}

/// Mantel's (1963) DIF test for an ordinal (or dichotomous) item, with the standardized
/// mean difference.
///
/// # Formula
///
/// ```text
/// stratum s (total score): y the item score, n_Rs, n_Fs, N_s persons,
///   F_s = Σ_{focal} y,  T_s = Σ_all y,  U_s = Σ_all y²
/// E[F_s]   = n_Fs T_s / N_s
/// Var(F_s) = n_Rs n_Fs (N_s U_s − T_s²) / (N_s² (N_s − 1))
/// χ²       = (Σ_s F_s − Σ_s E[F_s])² / Σ_s Var(F_s)          1 df, no continuity correction
/// SMD      = Σ_s (n_Fs/n_F) (ȳ_Fs − ȳ_Rs)                     (Dorans & Schmitt 1991)
/// ES       = SMD / SD(y)     SD over both groups
/// class    A if p ≥ 0.05 or |ES| ≤ 0.17;  C if |ES| > 0.25;  B otherwise
///          (ETS polytomous AA/BB/CC, Zwick, Thayer & Mazzeo 1997)
/// ```
///
/// SMD < 0: the focal group scores lower on the item than reference persons with the
/// same total score. Strata where a group is absent or with one person are skipped (and,
/// for SMD, focal persons in strata without reference persons are left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdinalDif {
    /// Item (column) index.
    pub item: usize,
    /// Mantel chi-square (1 df).
    pub chi_square: f64,
    /// Its p-value.
    pub p_value: f64,
    /// Standardized mean difference (focal − reference, in item-score points).
    pub smd: f64,
    /// SMD divided by the item's standard deviation.
    pub effect_size: f64,
    /// ETS AA/BB/CC category as A/B/C.
    pub class: DifClass,
}

/// Mantel's test and SMD for every item (polytomous or dichotomous) between a reference
/// and a focal group, matched on the total score (studied item included).
///
/// # Errors
///
/// [`Error::WrongLength`] when `groups` does not have one entry per person;
/// [`Error::InvalidGroups`] when `reference == focal` or a group has no person;
/// [`Error::MissingResponse`] for a missing response.
///
/// # Examples
///
/// A five-category item shifted by 0.8 logits for the focal group:
///
/// ```
/// use bagdar::fit::{DifClass, mantel_ordinal};
/// use bagdar::model::ItemModel;
/// use bagdar::response::ResponseMatrix;
/// use bagdar::simulate::responses;
/// let items = |shift: f64| -> Vec<_> {
///     (0..8).map(|i| {
///         let s = if i == 0 { shift } else { 0.0 };
///         ItemModel::Graded { slope: 1.5, intercepts: vec![2.0 - s, 0.7 - s, -0.5 - s, -1.8 - s] }
///             .response_function("").unwrap()
///     }).collect()
/// };
/// let theta: Vec<f64> = (0..1500).map(|p| (p % 100) as f64 / 25.0 - 2.0).collect();
/// let mut data = responses(&items(0.0), &theta, 1).data().to_vec();
/// data.extend_from_slice(responses(&items(0.8), &theta, 2).data());
/// let all = ResponseMatrix::new(3000, 8, data)?;
/// let groups: Vec<usize> = (0..3000).map(|p| p / 1500).collect();
/// let table = mantel_ordinal(&all, &groups, 0, 1)?;
/// assert!(table[0].smd < -0.3 && table[0].class == DifClass::C);
/// assert_eq!(table[3].class, DifClass::A);
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn mantel_ordinal(
    responses: &ResponseMatrix,
    groups: &[usize],
    reference: usize,
    focal: usize,
) -> Result<Vec<OrdinalDif>> {
    dif_checks(responses, groups, reference, focal, false)?;
    let persons: Vec<usize> = (0..responses.persons())
        .filter(|&p| groups[p] == reference || groups[p] == focal)
        .collect();
    let totals: Vec<usize> = persons
        .iter()
        .map(|&p| responses.row(p).iter().map(|&x| x as usize).sum())
        .collect();
    let max_total = totals.iter().copied().max().unwrap_or(0);
    let n_focal = persons.iter().filter(|&&p| groups[p] == focal).count() as f64;
    let mut out = Vec::with_capacity(responses.items());
    for item in 0..responses.items() {
        // Per stratum: [n_R, n_F, sum_R, sum_F, sum of squares (all)].
        let mut strata = vec![[0.0f64; 5]; max_total + 1];
        let (mut sum, mut sum2) = (0.0, 0.0);
        for (&p, &t) in persons.iter().zip(&totals) {
            let y = responses.row(p)[item] as f64;
            let s = &mut strata[t];
            if groups[p] == focal {
                s[1] += 1.0;
                s[3] += y;
            } else {
                s[0] += 1.0;
                s[2] += y;
            }
            s[4] += y * y;
            sum += y;
            sum2 += y * y;
        }
        let (mut f, mut e, mut v, mut smd) = (0.0, 0.0, 0.0, 0.0);
        for &[n_r, n_f, sum_r, sum_f, squares] in &strata {
            let n = n_r + n_f;
            if n_r == 0.0 || n_f == 0.0 {
                continue;
            }
            smd += n_f / n_focal * (sum_f / n_f - sum_r / n_r);
            if n < 2.0 {
                continue;
            }
            let t = sum_r + sum_f;
            f += sum_f;
            e += n_f * t / n;
            v += n_r * n_f * (n * squares - t * t) / (n * n * (n - 1.0));
        }
        let chi_square = if v > 0.0 {
            (f - e).powi(2) / v
        } else {
            f64::NAN
        };
        let p_value = chi_square_survival(chi_square, 1.0);
        let count = persons.len() as f64;
        let sd = ((sum2 - sum * sum / count) / (count - 1.0)).sqrt();
        let effect_size = smd / sd;
        let size = effect_size.abs();
        let class = if p_value.is_nan() || p_value >= 0.05 || size <= 0.17 {
            DifClass::A
        } else if size > 0.25 {
            DifClass::C
        } else {
            DifClass::B
        };
        out.push(OrdinalDif {
            item,
            chi_square,
            p_value,
            smd,
            effect_size,
            class,
        });
    }
    Ok(out)
}

/// A DIF procedure, by the name used on the command line and in Python.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DifMethod {
    /// [`mantel_haenszel`] (`"mh"`): dichotomous items.
    #[serde(rename = "mh")]
    MantelHaenszel,
    /// [`mantel_ordinal`] (`"mantel"`): ordinal items.
    Mantel,
    /// [`logistic_dif`] (`"logistic"`).
    Logistic,
    /// [`super::likelihood_ratio_dif`] (`"lr"`) with all other items as anchors, 2PL
    /// for 0/1 items and graded response for polytomous ones.
    #[serde(rename = "lr")]
    LikelihoodRatio,
}

impl std::str::FromStr for DifMethod {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "mh" => Ok(DifMethod::MantelHaenszel),
            "mantel" => Ok(DifMethod::Mantel),
            "logistic" => Ok(DifMethod::Logistic),
            "lr" => Ok(DifMethod::LikelihoodRatio),
            other => Err(Error::setting(
                "dif method",
                format!("{other:?} is not mh, mantel, logistic or lr"),
            )),
        }
    }
}

/// The table of one DIF procedure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DifTable {
    /// From [`mantel_haenszel`].
    MantelHaenszel(Vec<MantelHaenszel>),
    /// From [`mantel_ordinal`].
    Mantel(Vec<OrdinalDif>),
    /// From [`logistic_dif`].
    Logistic(Vec<LogisticDif>),
    /// From [`super::likelihood_ratio_dif`] (its per-item rows).
    LikelihoodRatio(Vec<super::LikelihoodRatioDif>),
}

/// Runs the chosen DIF procedure.
///
/// # Errors
///
/// As the procedure.
///
/// # Examples
///
/// ```
/// use bagdar::fit::{DifMethod, DifTable, dif};
/// let method: DifMethod = "mh".parse()?;
/// assert_eq!(method, DifMethod::MantelHaenszel);
/// assert!("sibtest".parse::<DifMethod>().is_err());
/// # Ok::<(), bagdar::Error>(())
/// ```
pub fn dif(
    responses: &ResponseMatrix,
    groups: &[usize],
    reference: usize,
    focal: usize,
    method: DifMethod,
) -> Result<DifTable> {
    Ok(match method {
        DifMethod::MantelHaenszel => {
            DifTable::MantelHaenszel(mantel_haenszel(responses, groups, reference, focal)?)
        }
        DifMethod::Mantel => DifTable::Mantel(mantel_ordinal(responses, groups, reference, focal)?),
        DifMethod::Logistic => {
            DifTable::Logistic(logistic_dif(responses, groups, reference, focal)?)
        }
        DifMethod::LikelihoodRatio => DifTable::LikelihoodRatio(pairwise_likelihood_ratio(
            responses, groups, reference, focal,
        )?),
    })
}

/// Likelihood-ratio DIF between two of the groups, the persons of other groups left
/// out, with the default model of each item (2PL or graded by its categories).
fn pairwise_likelihood_ratio(
    responses: &ResponseMatrix,
    groups: &[usize],
    reference: usize,
    focal: usize,
) -> Result<Vec<super::LikelihoodRatioDif>> {
    if groups.len() != responses.persons() {
        return Err(Error::WrongLength {
            what: "groups",
            expected: responses.persons(),
            found: groups.len(),
        });
    }
    if reference == focal {
        return Err(Error::InvalidGroups {
            message: format!("reference and focal are the same group ({reference})"),
        });
    }
    let persons: Vec<usize> = (0..responses.persons())
        .filter(|&p| groups[p] == reference || groups[p] == focal)
        .collect();
    let items = responses.items();
    let data: Vec<u8> = persons
        .iter()
        .flat_map(|&p| responses.row(p).to_vec())
        .collect();
    let subset = ResponseMatrix::new(persons.len(), items, data)?;
    let codes: Vec<usize> = persons
        .iter()
        .map(|&p| usize::from(groups[p] == focal))
        .collect();
    let highest = (0..items).map(|i| {
        (0..subset.persons())
            .map(|p| subset.row(p)[i])
            .filter(|&v| v != MISSING)
            .max()
            .unwrap_or(0)
    });
    let specs = highest
        .map(|top| {
            ItemSpec::Estimate(if top <= 1 {
                ModelKind::TwoPl
            } else {
                ModelKind::Graded
            })
        })
        .collect();
    let settings = GroupSettings {
        calibration: CalibrationSettings {
            items: specs,
            ..Default::default()
        },
        groups: vec![format!("{reference}"), format!("{focal}")],
        ..Default::default()
    };
    Ok(super::likelihood_ratio_dif(&subset, &codes, &settings, None)?.items)
}
