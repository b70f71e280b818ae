//! The M-step: Newton–Raphson on each block of item parameters, and the population
//! update.

use super::expected::ExpectedCounts;
use super::parameters::{Family, ItemLayout, Layout, Slot};
use super::settings::ParameterPriors;
use crate::model::{Graded, Logistic, MAX_CATEGORIES, PartialCredit, ResponseCurve, sigmoid};

/// Value, gradient and Hessian (row-major) of a function of `n` parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Derivatives {
    pub(crate) value: f64,
    pub(crate) gradient: Vec<f64>,
    pub(crate) hessian: Vec<f64>,
}

impl Derivatives {
    pub(crate) fn zeros(n: usize) -> Self {
        Derivatives {
            value: 0.0,
            gradient: vec![0.0; n],
            hessian: vec![0.0; n * n],
        }
    }
}

/// The expected complete-data log-likelihood of one item and its derivatives in the
/// item's natural local parameters (layout of [`Family`]):
///
/// ```text
/// Q_i = Σ_q Σ_k r_{ikq} ln P_ik(θ_q)
/// ∇Q_i = Σ_{q,k} (r/P) ∇P,    ∇²Q_i = Σ_{q,k} (r/P) ∇²P − (r/P²) ∇P ∇Pᵀ
/// ```
///
/// (the partial-credit family uses the exact softmax forms). Returns `None` when the
/// parameters are outside the model's domain or the value is not finite.
pub(crate) fn item_derivatives(
    item: &ItemLayout,
    locals: &[f64],
    counts: &ExpectedCounts,
    index: usize,
    nodes: &[f64],
) -> Option<Derivatives> {
    let out = match item.family {
        Family::Logistic => logistic(locals, counts, index, nodes)?,
        Family::Graded => graded(locals, counts, index, nodes)?,
        Family::PartialCredit => partial_credit(locals[0], &locals[1..], counts, index, nodes),
        Family::RatingScale => rating_scale(locals, counts, index, nodes),
    };
    (out.value.is_finite() && out.gradient.iter().all(|g| g.is_finite())).then_some(out)
}

fn logistic(
    v: &[f64],
    counts: &ExpectedCounts,
    index: usize,
    nodes: &[f64],
) -> Option<Derivatives> {
    let (a, d, g, u) = (v[0], v[1], v[2], v[3]);
    if !(a > 0.0 && (0.0..1.0).contains(&g) && u > g && u <= 1.0 && d.is_finite()) {
        return None;
    }
    let item = Logistic {
        slope: a,
        intercept: d,
        guessing: g,
        upper: u,
    };
    let r0s = counts.row(index, 0);
    let r1s = counts.row(index, 1);
    let mut out = Derivatives::zeros(4);
    let plain = g == 0.0 && u == 1.0;
    let mut lp = [0.0; 2];
    for (q, &theta) in nodes.iter().enumerate() {
        let (r0, r1) = (r0s[q], r1s[q]);
        let n = r0 + r1;
        if n <= 0.0 {
            continue;
        }
        item.log_probabilities(theta, &mut lp);
        out.value += r0 * lp[0] + r1 * lp[1];
        let z = a * theta + d;
        let (s, sc) = (sigmoid(z), sigmoid(-z));
        let w = s * sc;
        if plain {
            let first = r1 * sc - r0 * s;
            let second = -n * w;
            let grad = [theta, 1.0];
            for i in 0..2 {
                out.gradient[i] += first * grad[i];
                for j in 0..2 {
                    out.hessian[i * 4 + j] += second * grad[i] * grad[j];
                }
            }
            continue;
        }
        let p = g + (u - g) * s;
        let qq = (1.0 - u) + (u - g) * sc;
        let lp1 = r1 / p - r0 / qq;
        let lp2 = -r1 / (p * p) - r0 / (qq * qq);
        let range = u - g;
        let vv = w * (sc - s);
        let grad = [range * w * theta, range * w, sc, s];
        // ∇²P, symmetric; g and u enter linearly.
        let hp = [
            [
                range * vv * theta * theta,
                range * vv * theta,
                -w * theta,
                w * theta,
            ],
            [range * vv * theta, range * vv, -w, w],
            [-w * theta, -w, 0.0, 0.0],
            [w * theta, w, 0.0, 0.0],
        ];
        for i in 0..4 {
            out.gradient[i] += lp1 * grad[i];
            for j in 0..4 {
                out.hessian[i * 4 + j] += lp2 * grad[i] * grad[j] + lp1 * hp[i][j];
            }
        }
    }
    Some(out)
}

fn graded(v: &[f64], counts: &ExpectedCounts, index: usize, nodes: &[f64]) -> Option<Derivatives> {
    let a = v[0];
    let m = v.len() - 1;
    let decreasing = v[1..].windows(2).all(|w| w[1] < w[0]);
    if a.is_nan() || a <= 0.0 || !decreasing {
        return None;
    }
    let item = Graded {
        slope: a,
        intercepts: v[1..].to_vec(),
    };
    let n_par = m + 1;
    let mut out = Derivatives::zeros(n_par);
    let mut p = [0.0; MAX_CATEGORIES];
    let mut lp = [0.0; MAX_CATEGORIES];
    // w_j = S_j(1 − S_j), v_j = w_j(1 − 2 S_j) for j = 0..=m+1 (zero at the ends).
    let mut w = [0.0; MAX_CATEGORIES + 1];
    let mut vv = [0.0; MAX_CATEGORIES + 1];
    let mut grad = [0.0; MAX_CATEGORIES];
    let rows: Vec<&[f64]> = (0..=m).map(|k| counts.row(index, k)).collect();
    for (q, &theta) in nodes.iter().enumerate() {
        if rows.iter().all(|r| r[q] <= 0.0) {
            continue;
        }
        item.probabilities(theta, &mut p);
        item.log_probabilities(theta, &mut lp);
        for j in 1..=m {
            let z = a * theta + v[j];
            let (s, sc) = (sigmoid(z), sigmoid(-z));
            w[j] = s * sc;
            vv[j] = s * sc * (sc - s);
        }
        for k in 0..=m {
            let r = rows[k][q];
            if r <= 0.0 {
                continue;
            }
            if p[k] <= 0.0 {
                return None;
            }
            out.value += r * lp[k];
            let c = r / p[k];
            let c2 = c / p[k];
            // ∇P_k: a → θ(w_k − w_{k+1}); d_k → w_k; d_{k+1} → −w_{k+1}.
            let (wk, wk1) = (
                if k >= 1 { w[k] } else { 0.0 },
                if k < m { w[k + 1] } else { 0.0 },
            );
            let (vk, vk1) = (
                if k >= 1 { vv[k] } else { 0.0 },
                if k < m { vv[k + 1] } else { 0.0 },
            );
            grad[..n_par].fill(0.0);
            grad[0] = theta * (wk - wk1);
            if k >= 1 {
                grad[k] = wk;
            }
            if k < m {
                grad[k + 1] = -wk1;
            }
            // Non-zero entries of ∇P_k: a, d_k (k ≥ 1), d_{k+1} (k < m); all distinct.
            let mut idx = [0usize; 3];
            let mut count = 1;
            if k >= 1 {
                idx[count] = k;
                count += 1;
            }
            if k < m {
                idx[count] = k + 1;
                count += 1;
            }
            for &i in &idx[..count] {
                out.gradient[i] += c * grad[i];
                for &j in &idx[..count] {
                    out.hessian[i * n_par + j] -= c2 * grad[i] * grad[j];
                }
            }
            // ∇²P_k.
            out.hessian[0] += c * theta * theta * (vk - vk1);
            if k >= 1 {
                out.hessian[k] += c * theta * vk;
                out.hessian[k * n_par] += c * theta * vk;
                out.hessian[k * n_par + k] += c * vk;
            }
            if k < m {
                let j = k + 1;
                out.hessian[j] -= c * theta * vk1;
                out.hessian[j * n_par] -= c * theta * vk1;
                out.hessian[j * n_par + j] -= c * vk1;
            }
        }
    }
    Some(out)
}

/// Partial credit in `[a, d_1..d_m]`.
fn partial_credit(
    a: f64,
    d: &[f64],
    counts: &ExpectedCounts,
    index: usize,
    nodes: &[f64],
) -> Derivatives {
    let m = d.len();
    let n_par = m + 1;
    let item = PartialCredit {
        slope: a,
        intercepts: d.to_vec(),
    };
    let mut out = Derivatives::zeros(n_par);
    let mut lp = [0.0; MAX_CATEGORIES];
    let rows: Vec<&[f64]> = (0..=m).map(|k| counts.row(index, k)).collect();
    for (q, &theta) in nodes.iter().enumerate() {
        let n: f64 = rows.iter().map(|r| r[q]).sum();
        if n <= 0.0 {
            continue;
        }
        item.log_probabilities(theta, &mut lp);
        let mut mean = 0.0;
        let mut score = 0.0;
        for k in 0..=m {
            let r = rows[k][q];
            if r > 0.0 {
                out.value += r * lp[k];
            }
            mean += k as f64 * lp[k].exp();
            score += k as f64 * r;
        }
        let variance: f64 = (0..=m)
            .map(|k| (k as f64 - mean).powi(2) * lp[k].exp())
            .sum();
        out.gradient[0] += theta * (score - n * mean);
        out.hessian[0] -= n * theta * theta * variance;
        for j in 1..=m {
            let pj = lp[j].exp();
            out.gradient[j] += rows[j][q] - n * pj;
            let cross = -n * theta * pj * (j as f64 - mean);
            out.hessian[j] += cross;
            out.hessian[j * n_par] += cross;
            for (i, lpi) in lp.iter().enumerate().take(m + 1).skip(1) {
                let pi = lpi.exp();
                let delta = if i == j { pi } else { 0.0 };
                out.hessian[i * n_par + j] -= n * (delta - pi * pj);
            }
        }
    }
    out
}

/// Rating scale in `[c, τ_1..τ_m]` through d_k = k·c − Σ_{j≤k} τ_j (a = 1).
fn rating_scale(v: &[f64], counts: &ExpectedCounts, index: usize, nodes: &[f64]) -> Derivatives {
    let m = v.len() - 1;
    let c = v[0];
    let mut d = Vec::with_capacity(m);
    let mut cumulative = 0.0;
    for (k, tau) in v.iter().enumerate().skip(1) {
        cumulative += tau;
        d.push(k as f64 * c - cumulative);
    }
    let inner = partial_credit(1.0, &d, counts, index, nodes);
    // J[k][l]: ∂d_k/∂(c, τ_1..τ_m), k = 1..m (inner index k), l = 0..m.
    let jac = |k: usize, l: usize| -> f64 {
        if l == 0 {
            k as f64
        } else if l <= k {
            -1.0
        } else {
            0.0
        }
    };
    let n_in = m + 1;
    let mut out = Derivatives::zeros(m + 1);
    out.value = inner.value;
    for l in 0..=m {
        out.gradient[l] = (1..=m).map(|k| jac(k, l) * inner.gradient[k]).sum();
        for l2 in 0..=m {
            let mut h = 0.0;
            for k in 1..=m {
                let jk = jac(k, l);
                if jk == 0.0 {
                    continue;
                }
                for k2 in 1..=m {
                    h += jk * inner.hessian[k * n_in + k2] * jac(k2, l2);
                }
            }
            out.hessian[l * (m + 1) + l2] = h;
        }
    }
    out
}

/// A block's objective (Q plus log prior) and derivatives in the working parameters
/// `block.params`, with `x` holding the full vector.
pub(crate) fn block_derivatives(
    layout: &Layout,
    items: &[usize],
    params: &[usize],
    x: &[f64],
    counts: &ExpectedCounts,
    nodes: &[f64],
    priors: &ParameterPriors,
) -> Option<Derivatives> {
    let n = params.len();
    let position = |g: usize| params.iter().position(|&p| p == g);
    let mut natural = Derivatives::zeros(n);
    for &i in items {
        let item = &layout.items[i];
        let locals = layout.locals(i, x);
        let dv = item_derivatives(item, &locals, counts, i, nodes)?;
        natural.value += dv.value;
        let l = item.slots.len();
        let pos: Vec<Option<usize>> = item
            .slots
            .iter()
            .map(|s| match s {
                Slot::Free(g) => position(*g),
                Slot::Fixed(_) => None,
            })
            .collect();
        for a in 0..l {
            let Some(pa) = pos[a] else { continue };
            natural.gradient[pa] += dv.gradient[a];
            for (b, pb) in pos.iter().enumerate() {
                if let Some(pb) = *pb {
                    natural.hessian[pa * n + pb] += dv.hessian[a * l + b];
                }
            }
        }
    }
    let mut out = Derivatives::zeros(n);
    out.value = natural.value;
    let mut first = vec![0.0; n];
    for (pa, &g) in params.iter().enumerate() {
        let role = layout.roles[g];
        let xv = role.transform().natural(x[g]);
        let (lp, lp1, lp2) = role.log_prior(priors, xv);
        out.value += lp;
        natural.gradient[pa] += lp1;
        natural.hessian[pa * n + pa] += lp2;
        let (h1, h2) = role.transform().derivatives(xv);
        first[pa] = h1;
        out.gradient[pa] = h1 * natural.gradient[pa];
        out.hessian[pa * n + pa] += h2 * natural.gradient[pa];
    }
    for a in 0..n {
        for b in 0..n {
            out.hessian[a * n + b] += first[a] * first[b] * natural.hessian[a * n + b];
        }
    }
    (out.value.is_finite()
        && out.gradient.iter().all(|v| v.is_finite())
        && out.hessian.iter().all(|v| v.is_finite()))
    .then_some(out)
}

/// Solves (−H + λI) Δ = g by Cholesky, raising λ until −H + λI is positive definite.
pub(crate) fn newton_direction(d: &Derivatives) -> Vec<f64> {
    let n = d.gradient.len();
    let scale = (0..n)
        .map(|i| d.hessian[i * n + i].abs())
        .fold(0.0, f64::max)
        .max(1e-12);
    let mut lambda = 0.0;
    for _ in 0..40 {
        let mut m: Vec<f64> = d.hessian.iter().map(|h| -h).collect();
        for i in 0..n {
            m[i * n + i] += lambda;
        }
        if let Some(x) = cholesky_solve(&mut m, n, &d.gradient) {
            return x;
        }
        lambda = if lambda == 0.0 {
            1e-10 * scale
        } else {
            lambda * 10.0
        };
    }
    d.gradient.iter().map(|g| g / scale).collect()
}

pub(super) fn cholesky_solve(m: &mut [f64], n: usize, b: &[f64]) -> Option<Vec<f64>> {
    for j in 0..n {
        let mut s = m[j * n + j];
        for k in 0..j {
            s -= m[j * n + k] * m[j * n + k];
        }
        if s.is_nan() || s <= 0.0 || !s.is_finite() {
            return None;
        }
        let l = s.sqrt();
        m[j * n + j] = l;
        for i in j + 1..n {
            let mut t = m[i * n + j];
            for k in 0..j {
                t -= m[i * n + k] * m[j * n + k];
            }
            m[i * n + j] = t / l;
        }
    }
    let mut y = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            y[i] -= m[i * n + k] * y[k];
        }
        y[i] /= m[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= m[k * n + i] * y[k];
        }
        y[i] /= m[i * n + i];
    }
    Some(y)
}

/// Maximizes a block's objective by Newton–Raphson with step halving, starting from
/// `x` (updated in place). The objective never decreases.
pub(crate) fn newton_block(
    layout: &Layout,
    items: &[usize],
    params: &[usize],
    x: &mut [f64],
    counts: &ExpectedCounts,
    nodes: &[f64],
    priors: &ParameterPriors,
) {
    let Some(mut current) = block_derivatives(layout, items, params, x, counts, nodes, priors)
    else {
        return;
    };
    let mut trial = x.to_vec();
    for _ in 0..100 {
        let step = newton_direction(&current);
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            trial.copy_from_slice(x);
            for (&g, s) in params.iter().zip(&step) {
                trial[g] = x[g] + t * s;
            }
            if let Some(next) =
                block_derivatives(layout, items, params, &trial, counts, nodes, priors)
                && next.value >= current.value - 1e-13 * (1.0 + current.value.abs())
            {
                accepted = Some(next);
                break;
            }
            t *= 0.5;
        }
        let Some(next) = accepted else { return };
        let change = step.iter().map(|s| (t * s).abs()).fold(0.0, f64::max);
        let gain = next.value - current.value;
        if gain < 0.0 && change > 1e-12 {
            // Within rounding of the optimum; keep the better point.
            return;
        }
        x.copy_from_slice(&trial);
        current = next;
        if change < 1e-10 || gain.abs() <= 1e-14 * (1.0 + current.value.abs()) && change < 1e-7 {
            return;
        }
    }
}

/// Updates the population mean and SD: maximizes Σ_q n_q ln w_q(μ, σ) with the
/// weights w_q ∝ exp(−(θ_q − μ)²/(2σ²)) normalized on the fixed grid, by Newton on the
/// natural parameters η = (μ/σ², −1/(2σ²)) where the function is concave.
pub(crate) fn population_step(
    mean: Option<f64>,
    sd: Option<f64>,
    fixed_mean: f64,
    fixed_sd: f64,
    node_totals: &[f64],
    nodes: &[f64],
) -> (f64, f64) {
    let total: f64 = node_totals.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return (mean.unwrap_or(fixed_mean), sd.unwrap_or(fixed_sd));
    }
    let (m0, s0) = (mean.unwrap_or(fixed_mean), sd.unwrap_or(fixed_sd));
    let free_mean = mean.is_some();
    let free_sd = sd.is_some();
    let t1: f64 = node_totals
        .iter()
        .zip(nodes)
        .map(|(n, t)| n * t)
        .sum::<f64>()
        / total;
    let t2: f64 = node_totals
        .iter()
        .zip(nodes)
        .map(|(n, t)| n * t * t)
        .sum::<f64>()
        / total;
    // Objective per person: η1·T1 + η2·T2 − ln Σ exp(η1 θ + η2 θ²).
    let objective = |e1: f64, e2: f64| -> Option<(f64, [f64; 2], [f64; 4])> {
        if e2.is_nan() || e2 >= 0.0 {
            return None;
        }
        let logits: Vec<f64> = nodes.iter().map(|t| e1 * t + e2 * t * t).collect();
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
        let z: f64 = w.iter().sum();
        let (mut m1, mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0, 0.0);
        for (wi, t) in w.iter().zip(nodes) {
            let p = wi / z;
            m1 += p * t;
            m2 += p * t * t;
            m3 += p * t * t * t;
            m4 += p * t * t * t * t;
        }
        let value = e1 * t1 + e2 * t2 - (max + z.ln());
        let grad = [t1 - m1, t2 - m2];
        let hess = [
            -(m2 - m1 * m1),
            -(m3 - m1 * m2),
            -(m3 - m1 * m2),
            -(m4 - m2 * m2),
        ];
        Some((value, grad, hess))
    };
    let mut e = [m0 / (s0 * s0), -0.5 / (s0 * s0)];
    let Some(mut cur) = objective(e[0], e[1]) else {
        return (m0, s0);
    };
    for _ in 0..100 {
        let (_, g, h) = cur;
        let step = match (free_mean, free_sd) {
            (true, true) => {
                let det = h[0] * h[3] - h[1] * h[2];
                if det.is_nan() || det <= 0.0 {
                    break;
                }
                [
                    -(h[3] * g[0] - h[1] * g[1]) / det,
                    -(-h[2] * g[0] + h[0] * g[1]) / det,
                ]
            }
            (true, false) => [-g[0] / h[0], 0.0],
            // With the mean fixed at μ, η1 = −2μη2 moves with η2.
            (false, true) => {
                let dir = [-2.0 * m0, 1.0];
                let gd = g[0] * dir[0] + g[1] * dir[1];
                let hd = dir[0] * (h[0] * dir[0] + h[1] * dir[1])
                    + dir[1] * (h[2] * dir[0] + h[3] * dir[1]);
                if hd.is_nan() || hd >= 0.0 {
                    break;
                }
                let s = -gd / hd;
                [s * dir[0], s * dir[1]]
            }
            (false, false) => break,
        };
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let trial = [e[0] + t * step[0], e[1] + t * step[1]];
            if let Some(next) = objective(trial[0], trial[1])
                && next.0 >= cur.0 - 1e-15 * (1.0 + cur.0.abs())
            {
                accepted = Some((trial, next));
                break;
            }
            t *= 0.5;
        }
        let Some((trial, next)) = accepted else { break };
        let change = (t * step[0]).abs().max((t * step[1]).abs());
        e = trial;
        cur = next;
        if change < 1e-12 {
            break;
        }
    }
    let var = -0.5 / e[1];
    let new_sd = var.sqrt();
    let new_mean = if free_mean { e[0] * var } else { m0 };
    (new_mean, if free_sd { new_sd } else { s0 })
}
