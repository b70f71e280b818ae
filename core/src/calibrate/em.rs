//! The Bock–Aitkin EM loop with Anderson or SQUAREM acceleration.

use super::FitStatus;
use super::expected::ExpectedCounts;
use super::mstep::{newton_block, population_step};
use super::parameters::{Layout, Slot};
use super::settings::{Acceleration, CheckedSettings};
use crate::error::{Error, Result};
use crate::model::{ResponseCurve, ResponseFunction};
use crate::quadrature::{Grid, Prior, Quadrature};

/// One E-step at a parameter vector.
pub(crate) struct Evaluation {
    /// Counts summed over groups (what the item M-step uses).
    pub(crate) counts: ExpectedCounts,
    /// Expected persons per node in each group (what each population M-step uses).
    pub(crate) group_totals: Vec<Vec<f64>>,
    pub(crate) log_prior: f64,
}

impl Evaluation {
    /// Log-likelihood plus log prior: what EM increases.
    pub(crate) fn objective(&self) -> f64 {
        self.counts.log_likelihood() + self.log_prior
    }
}

/// The E-step as a function of the current items and each group's quadrature; it may
/// run anywhere (threads here, Dask partitions in Python) as long as it returns the
/// merged counts of each group, in group order.
pub(crate) struct Problem<'a, F> {
    pub(crate) layout: &'a Layout,
    pub(crate) settings: &'a CheckedSettings,
    pub(crate) e_step: F,
}

pub(crate) struct Outcome {
    pub(crate) x: Vec<f64>,
    pub(crate) evaluation: Evaluation,
    pub(crate) status: FitStatus,
    pub(crate) iterations: usize,
    pub(crate) e_steps: usize,
    pub(crate) history: Vec<f64>,
}

impl<F> Problem<'_, F>
where
    F: FnMut(&[ResponseFunction], &[Quadrature]) -> Result<Vec<ExpectedCounts>>,
{
    fn grid(&self) -> &Grid {
        &self.settings.grid
    }

    fn nodes(&self) -> &[f64] {
        &self.settings.nodes
    }

    /// The E-step at `x`; `None` when `x` is outside the parameter space.
    ///
    /// # Errors
    ///
    /// Whatever the E-step returns.
    pub(crate) fn evaluate(&mut self, x: &[f64]) -> Result<Option<Evaluation>> {
        if x.iter().any(|v| !v.is_finite()) {
            return Ok(None);
        }
        let Ok(items) = (0..self.layout.items.len())
            .map(|i| self.layout.model(i, x).response_function(""))
            .collect::<Result<Vec<ResponseFunction>>>()
        else {
            return Ok(None);
        };
        let mut quadratures = Vec::with_capacity(self.layout.populations.len());
        for g in 0..self.layout.populations.len() {
            let (mean, sd) = self.layout.group_population(g, x);
            let Ok(quadrature) = Quadrature::new(self.grid(), &Prior::Normal { mean, sd }) else {
                return Ok(None);
            };
            quadratures.push(quadrature);
        }
        let groups = (self.e_step)(&items, &quadratures)?;
        let categories: Vec<usize> = items.iter().map(|f| f.categories()).collect();
        if groups.len() != quadratures.len() {
            return Err(Error::setting(
                "expected counts",
                format!(
                    "the E-step returned counts for {} groups, expected {}",
                    groups.len(),
                    quadratures.len()
                ),
            ));
        }
        for counts in &groups {
            if counts.categories() != categories.as_slice() || counts.nodes() != self.nodes().len()
            {
                return Err(Error::setting(
                    "expected counts",
                    format!(
                        "the E-step returned counts for {} items on {} nodes, expected {} items on {} nodes",
                        counts.categories().len(),
                        counts.nodes(),
                        categories.len(),
                        self.nodes().len()
                    ),
                ));
            }
        }
        let group_totals: Vec<Vec<f64>> = groups.iter().map(|c| c.node_totals().to_vec()).collect();
        let mut groups = groups.into_iter();
        let Some(mut counts) = groups.next() else {
            return Err(Error::setting("expected counts", "no group to estimate"));
        };
        for other in groups {
            counts.merge(&other)?;
        }
        let log_prior = self.layout.log_prior(x, &self.settings.priors);
        let evaluation = Evaluation {
            counts,
            group_totals,
            log_prior,
        };
        Ok(evaluation.objective().is_finite().then_some(evaluation))
    }

    /// The M-step from `x` with the E-step at `x`.
    pub(crate) fn m_step(&self, x: &[f64], evaluation: &Evaluation) -> Vec<f64> {
        let mut next = x.to_vec();
        for block in &self.layout.blocks {
            newton_block(
                self.layout,
                &block.items,
                &block.params,
                &mut next,
                &evaluation.counts,
                self.nodes(),
                &self.settings.priors,
            );
        }
        for (g, pop) in self.layout.populations.iter().enumerate() {
            let free_mean = matches!(pop.mean, Slot::Free(_));
            let free_sd = matches!(pop.sd, Slot::Free(_));
            if !(free_mean || free_sd) {
                continue;
            }
            let (mean, sd) = self.layout.group_population(g, x);
            let (new_mean, new_sd) = population_step(
                free_mean.then_some(mean),
                free_sd.then_some(sd),
                mean,
                sd,
                &evaluation.group_totals[g],
                self.nodes(),
            );
            if let Slot::Free(k) = pop.mean {
                next[k] = new_mean;
            }
            if let Slot::Free(k) = pop.sd {
                next[k] = new_sd.ln();
            }
        }
        next
    }

    /// Runs EM from `start` until the tolerances hold or the iteration limit.
    pub(crate) fn run(&mut self, start: Vec<f64>) -> Result<Outcome> {
        if self.settings.acceleration == Acceleration::Anderson {
            return self.run_anderson(start);
        }
        let settings = self.settings;
        let mut x0 = start;
        let mut e0 = self.evaluate(&x0)?.ok_or_else(|| Error::NumericalFailure {
            iteration: 0,
            what: "log-likelihood at the starting values".into(),
        })?;
        let mut e_steps = 1;
        let mut history = vec![e0.objective()];
        let mut step_max: f64 = 1.0;
        let mut status = FitStatus::IterationLimit;
        let mut iterations = 0;
        let decreased = |before: f64, after: f64| after < before - 1e-10 * (1.0 + before.abs());
        while iterations < settings.max_iterations {
            iterations += 1;
            let x1 = self.m_step(&x0, &e0);
            let e1 = self.evaluate(&x1)?.ok_or_else(|| Error::NumericalFailure {
                iteration: iterations,
                what: "log-likelihood after the M-step".into(),
            })?;
            e_steps += 1;
            if decreased(e0.objective(), e1.objective()) {
                status = FitStatus::LikelihoodDecreased;
                break;
            }
            let (x_new, e_new) = if settings.acceleration == Acceleration::None {
                (x1, e1)
            } else {
                let x2 = self.m_step(&x1, &e1);
                let e2 = self.evaluate(&x2)?.ok_or_else(|| Error::NumericalFailure {
                    iteration: iterations,
                    what: "log-likelihood after the M-step".into(),
                })?;
                e_steps += 1;
                if decreased(e1.objective(), e2.objective()) {
                    x0 = x1;
                    e0 = e1;
                    history.push(e0.objective());
                    status = FitStatus::LikelihoodDecreased;
                    break;
                }
                let (x, e, extra) = self.squarem(&x0, &x1, &x2, e2, &mut step_max)?;
                e_steps += extra;
                (x, e)
            };
            let change = self.layout.largest_change(&x0, &x_new);
            let gain = e_new.objective() - e0.objective();
            x0 = x_new;
            e0 = e_new;
            history.push(e0.objective());
            if gain.abs() <= settings.tolerance.log_likelihood * (1.0 + e0.objective().abs())
                && change <= settings.tolerance.parameters
            {
                status = FitStatus::Converged;
                break;
            }
        }
        Ok(Outcome {
            x: x0,
            evaluation: e0,
            status,
            iterations,
            e_steps,
            history,
        })
    }

    /// Anderson-accelerated EM: x_{k+1} = G(x_k) − ΔG γ with γ minimizing
    /// ‖f_k − ΔF γ‖ over the last [`ANDERSON_MEMORY`] differences of the residuals
    /// f = G(x) − x (a ridge of 1e-12·trace keeps the small normal equations solvable).
    /// A proposal outside the parameter space or with a lower objective than x_k is
    /// replaced by G(x_k), whose objective EM guarantees, and the memory restarts.
    fn run_anderson(&mut self, start: Vec<f64>) -> Result<Outcome> {
        let settings = self.settings;
        let mut x = start;
        let mut e = self.evaluate(&x)?.ok_or_else(|| Error::NumericalFailure {
            iteration: 0,
            what: "log-likelihood at the starting values".into(),
        })?;
        let mut e_steps = 1;
        let mut history = vec![e.objective()];
        let mut status = FitStatus::IterationLimit;
        let mut iterations = 0;
        // (G(x_j), f_j) of the last iterations, oldest first.
        let mut memory: std::collections::VecDeque<(Vec<f64>, Vec<f64>)> =
            std::collections::VecDeque::new();
        let (mut gain, mut change) = (f64::INFINITY, f64::INFINITY);
        while iterations < settings.max_iterations {
            let g = self.m_step(&x, &e);
            // Converged when the last iteration's gain and its step are within the
            // tolerances (as for SQUAREM's cycles) and the plain EM step from x moves no
            // parameter by more than the tolerance either (x is a fixed point of EM).
            if gain.abs() <= settings.tolerance.log_likelihood * (1.0 + e.objective().abs())
                && change <= settings.tolerance.parameters
                && self.layout.largest_change(&x, &g) <= settings.tolerance.parameters
            {
                status = FitStatus::Converged;
                break;
            }
            iterations += 1;
            let f: Vec<f64> = g.iter().zip(&x).map(|(a, b)| a - b).collect();
            memory.push_back((g.clone(), f.clone()));
            if memory.len() > ANDERSON_MEMORY + 1 {
                memory.pop_front();
            }
            let proposal = anderson_mix(&memory).unwrap_or_else(|| g.clone());
            let mut next = None;
            if proposal != g
                && let Some(ep) = self.evaluate(&proposal)?
            {
                e_steps += 1;
                if ep.objective() >= e.objective() {
                    next = Some((proposal, ep));
                }
            } else if proposal != g {
                e_steps += 1;
            }
            let (x_new, e_new) = match next {
                Some(accepted) => accepted,
                None => {
                    memory.clear();
                    memory.push_back((g.clone(), f));
                    let eg = self.evaluate(&g)?.ok_or_else(|| Error::NumericalFailure {
                        iteration: iterations,
                        what: "log-likelihood after the M-step".into(),
                    })?;
                    e_steps += 1;
                    if eg.objective() < e.objective() - 1e-10 * (1.0 + e.objective().abs()) {
                        status = FitStatus::LikelihoodDecreased;
                        break;
                    }
                    (g, eg)
                }
            };
            gain = e_new.objective() - e.objective();
            change = self.layout.largest_change(&x, &x_new);
            x = x_new;
            e = e_new;
            history.push(e.objective());
        }
        Ok(Outcome {
            x,
            evaluation: e,
            status,
            iterations,
            e_steps,
            history,
        })
    }

    /// One SQUAREM S3 extrapolation (Varadhan & Roland 2008) from x0 through the two EM
    /// steps x1 = F(x0), x2 = F(x1):
    ///
    /// ```text
    /// r = x1 − x0,  v = x2 − 2·x1 + x0,  α = −‖r‖/‖v‖  (α ≤ −1)
    /// x' = x0 − 2α·r + α²·v
    /// ```
    ///
    /// x' is kept only if it is a valid point with an objective at least that of x2;
    /// otherwise α is moved half-way to −1 (a few times) and finally x2 is used. So the
    /// accepted objective never falls below that of the plain EM steps.
    fn squarem(
        &mut self,
        x0: &[f64],
        x1: &[f64],
        x2: &[f64],
        e2: Evaluation,
        step_max: &mut f64,
    ) -> Result<(Vec<f64>, Evaluation, usize)> {
        let r: Vec<f64> = x1.iter().zip(x0).map(|(a, b)| a - b).collect();
        let v: Vec<f64> = x2
            .iter()
            .zip(x1)
            .zip(x0)
            .map(|((c, b), a)| c - 2.0 * b + a)
            .collect();
        let rr: f64 = r.iter().map(|a| a * a).sum();
        let vv: f64 = v.iter().map(|a| a * a).sum();
        if !(vv > 0.0 && rr > 0.0) {
            return Ok((x2.to_vec(), e2, 0));
        }
        let mut alpha = (-(rr / vv).sqrt()).min(-1.0);
        alpha = alpha.max(-*step_max);
        if alpha <= -*step_max {
            *step_max *= 4.0;
        }
        let mut evaluations = 0;
        let target = e2.objective();
        for _ in 0..6 {
            if alpha > -1.0 - 1e-3 {
                break;
            }
            let xp: Vec<f64> = x0
                .iter()
                .zip(&r)
                .zip(&v)
                .map(|((a, ri), vi)| a - 2.0 * alpha * ri + alpha * alpha * vi)
                .collect();
            evaluations += 1;
            if let Some(ep) = self.evaluate(&xp)?
                && ep.objective() >= target
            {
                return Ok((xp, ep, evaluations));
            }
            alpha = (alpha - 1.0) / 2.0;
            *step_max = (*step_max / 4.0).max(1.0);
        }
        Ok((x2.to_vec(), e2, evaluations))
    }
}

/// Differences kept by Anderson acceleration.
const ANDERSON_MEMORY: usize = 5;

/// The Anderson mixture of the remembered (G(x_j), f_j), newest last; `None` with fewer
/// than two entries or a singular system.
fn anderson_mix(memory: &std::collections::VecDeque<(Vec<f64>, Vec<f64>)>) -> Option<Vec<f64>> {
    let m = memory.len().checked_sub(1).filter(|&m| m > 0)?;
    let (g_k, f_k) = memory.back()?;
    let n = f_k.len();
    let df: Vec<Vec<f64>> = (0..m)
        .map(|j| {
            (0..n)
                .map(|i| memory[j + 1].1[i] - memory[j].1[i])
                .collect()
        })
        .collect();
    let dg: Vec<Vec<f64>> = (0..m)
        .map(|j| {
            (0..n)
                .map(|i| memory[j + 1].0[i] - memory[j].0[i])
                .collect()
        })
        .collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let mut a = vec![0.0; m * m];
    let mut b = vec![0.0; m];
    for p in 0..m {
        for q in 0..m {
            a[p * m + q] = dot(&df[p], &df[q]);
        }
        b[p] = dot(&df[p], f_k);
    }
    let trace: f64 = (0..m).map(|p| a[p * m + p]).sum();
    if !(trace > 0.0 && trace.is_finite()) {
        return None;
    }
    for p in 0..m {
        a[p * m + p] += 1e-12 * trace;
    }
    let gamma = super::mstep::cholesky_solve(&mut a, m, &b)?;
    let mut x = g_k.clone();
    for (j, c) in gamma.iter().enumerate() {
        for (xi, d) in x.iter_mut().zip(&dg[j]) {
            *xi -= c * d;
        }
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}
