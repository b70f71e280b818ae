//! Modal estimators: MAP, ML and Warm's WLE.
//!
//! # Formula
//!
//! ```text
//! S(θ) = Σ_i d ln P_{i,x_i}(θ)/dθ            score
//! I(θ) = Σ_i Σ_k P'_ik² / P_ik               test information (answered items)
//! J(θ) = Σ_i Σ_k P'_ik P''_ik / P_ik
//! ML :  S(θ) = 0
//! MAP:  S(θ) − (θ − μ)/σ² = 0
//! WLE:  S(θ) + J(θ) / (2 I(θ)) = 0            (Warm 1989)
//! ```
//!
//! Roots are found with Brent's method inside `bounds`. When every answered item has a
//! log-concave response function the estimating equation has one root, bracketed by
//! the bounds. With 3PL/4PL items the likelihood can have several local maxima: the
//! objective (log-likelihood, plus log prior for MAP, plus ½ ln I for WLE) is scanned on
//! a 0.25 grid, the three highest local maxima are refined inside their brackets and the
//! best is taken; where a bracket holds no sign change of the estimating equation, every
//! sign change on the grid is examined instead.

use super::eap::LogTable;
use super::{Estimate, Method, ScoringSettings, StandardError, Status, extremes};
use crate::model::{MAX_CATEGORIES, ResponseCurve, ResponseFunction, observed_terms};
use crate::response::MISSING;

#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    log_likelihood: f64,
    score: f64,
    observed_information: f64,
    information: f64,
    warm: f64,
}

/// What a pass over the answered items has to compute. Each level gives the fields
/// of the level below bit for bit; what it leaves out stays 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Score and observed information only (the ML and MAP equations), from the observed
    /// category's P, P' and P'' alone.
    Score,
    /// Also the expected information and Warm's J (WLE equation, standard errors).
    Information,
    /// Also ln P (the objective).
    Everything,
}

fn sums(items: &[ResponseFunction], row: &[u8], theta: f64, need: Need) -> Sums {
    let mut s = Sums::default();
    for (f, &x) in items.iter().zip(row) {
        if x == MISSING {
            continue;
        }
        match need {
            Need::Score => {
                let (p, d1, d2) = f.category_derivatives(theta, x as usize);
                let (score, observed_information) = observed_terms(p, d1, d2);
                s.score += score;
                s.observed_information += observed_information;
            }
            Need::Information | Need::Everything => {
                let t = if need == Need::Everything {
                    f.terms(theta, x as usize)
                } else {
                    f.derivative_terms(theta, x as usize)
                };
                if need == Need::Everything {
                    s.log_likelihood += t.log_probability;
                }
                s.score += t.score;
                s.observed_information += t.observed_information;
                s.information += t.information;
                s.warm += t.warm;
            }
        }
    }
    s
}

/// The pass the estimating equation of `method` needs.
fn equation_need(method: Method) -> Need {
    match method {
        Method::Wle => Need::Information,
        _ => Need::Score,
    }
}

struct Problem<'a> {
    items: &'a [ResponseFunction],
    row: &'a [u8],
    method: Method,
    settings: &'a ScoringSettings,
}

impl Problem<'_> {
    /// The estimating function f(θ) (decreasing through a maximum).
    fn equation(&self, theta: f64) -> f64 {
        let s = sums(self.items, self.row, theta, equation_need(self.method));
        match self.method {
            Method::Ml => s.score,
            Method::Map => s.score + self.prior_terms(theta).1,
            Method::Wle => {
                if s.information > 0.0 {
                    s.score + s.warm / (2.0 * s.information)
                } else {
                    s.score
                }
            }
            Method::Eap => unreachable!("EAP is not a modal estimator"),
        }
    }

    /// f(θ) and an approximation of f'(θ) for Newton steps: exact for ML and MAP
    /// (−observed information, minus 1/σ² for MAP); −I(θ) for WLE.
    fn equation_and_slope(&self, theta: f64) -> (f64, f64) {
        let s = sums(self.items, self.row, theta, equation_need(self.method));
        match self.method {
            Method::Ml => (s.score, -s.observed_information),
            Method::Map => {
                let (_, d1, d2) = self.prior_terms(theta);
                (s.score + d1, d2 - s.observed_information)
            }
            Method::Wle => {
                let f = if s.information > 0.0 {
                    s.score + s.warm / (2.0 * s.information)
                } else {
                    s.score
                };
                (f, -s.information)
            }
            Method::Eap => unreachable!("EAP is not a modal estimator"),
        }
    }

    /// The function the root maximizes (used to choose among several roots).
    fn objective(&self, theta: f64) -> f64 {
        let s = sums(self.items, self.row, theta, Need::Everything);
        match self.method {
            Method::Ml => s.log_likelihood,
            Method::Map => s.log_likelihood + self.prior_terms(theta).0,
            Method::Wle => s.log_likelihood + 0.5 * s.information.max(f64::MIN_POSITIVE).ln(),
            Method::Eap => unreachable!("EAP is not a modal estimator"),
        }
    }

    /// [`Problem::objective`] without derivatives: ln P of the answered categories (and,
    /// for WLE, the item informations), for scanning.
    fn objective_value(&self, theta: f64) -> f64 {
        let mut log_p = [0.0; MAX_CATEGORIES];
        let (mut log_likelihood, mut information) = (0.0, 0.0);
        for (f, &x) in self.items.iter().zip(self.row) {
            if x == MISSING {
                continue;
            }
            f.log_probabilities(theta, &mut log_p);
            log_likelihood += log_p[x as usize];
            if self.method == Method::Wle {
                information += f.information(theta);
            }
        }
        match self.method {
            Method::Ml => log_likelihood,
            Method::Map => log_likelihood + self.prior_terms(theta).0,
            Method::Wle => log_likelihood + 0.5 * information.max(f64::MIN_POSITIVE).ln(),
            Method::Eap => unreachable!("EAP is not a modal estimator"),
        }
    }

    fn prior_terms(&self, theta: f64) -> (f64, f64, f64) {
        self.settings
            .prior
            .log_density(theta)
            .unwrap_or((0.0, 0.0, 0.0))
    }

    fn standard_error(&self, theta: f64) -> f64 {
        let s = sums(self.items, self.row, theta, Need::Information);
        let info = match self.settings.standard_error {
            StandardError::Expected => s.information,
            StandardError::Observed => s.observed_information,
        };
        let info = match self.method {
            Method::Map => info - self.prior_terms(theta).2,
            _ => info,
        };
        if info > 0.0 {
            1.0 / info.sqrt()
        } else {
            f64::INFINITY
        }
    }
}

/// MAP, ML or WLE for one row.
pub(crate) fn estimate(
    items: &[ResponseFunction],
    row: &[u8],
    method: Method,
    settings: &ScoringSettings,
    grid: Option<&GridStart>,
) -> Estimate {
    estimate_with(items, row, method, settings, grid, true)
}

/// [`estimate`]; without `standard_error` the SE of a regular estimate is left NaN
/// (callers that need only θ̂ skip one pass over the items).
pub(crate) fn estimate_with(
    items: &[ResponseFunction],
    row: &[u8],
    method: Method,
    settings: &ScoringSettings,
    grid: Option<&GridStart>,
    standard_error: bool,
) -> Estimate {
    let (answered, all_min, all_max) = extremes(items, row);
    if answered == 0 {
        return match (method, &settings.prior) {
            (Method::Map, crate::quadrature::Prior::Normal { mean, sd }) => Estimate {
                theta: *mean,
                se: *sd,
                status: Status::NoResponses,
            },
            _ => Estimate::none(Status::NoResponses),
        };
    }
    if method == Method::Ml && all_min {
        return Estimate::none(Status::AllMinimum);
    }
    if method == Method::Ml && all_max {
        return Estimate::none(Status::AllMaximum);
    }
    let problem = Problem {
        items,
        row,
        method,
        settings,
    };
    let [lo, hi] = settings.bounds;
    let concave = items
        .iter()
        .zip(row)
        .all(|(f, &x)| x == MISSING || f.is_log_concave());
    let from_grid = if concave {
        grid.and_then(|g| g.bracket(&problem))
    } else {
        None
    };
    let (theta, at_bound) = match from_grid {
        Some((a, b, start)) => (rtsafe(&problem, a, b, start), false),
        None if concave => solve_monotone(&problem, lo, hi),
        None => solve_scanned(&problem, lo, hi, grid.and_then(|g| g.scan)),
    };
    Estimate {
        theta,
        se: if standard_error {
            problem.standard_error(theta)
        } else {
            f64::NAN
        },
        status: if at_bound { Status::Bound } else { Status::Ok },
    }
}

fn solve_monotone(problem: &Problem, lo: f64, hi: f64) -> (f64, bool) {
    let (flo, fhi) = (problem.equation(lo), problem.equation(hi));
    if flo <= 0.0 {
        return (lo, true);
    }
    if fhi >= 0.0 {
        return (hi, true);
    }
    (rtsafe(problem, lo, hi, 0.0_f64.clamp(lo, hi)), false)
}

/// Safeguarded Newton (rtsafe) on a bracket with f(a) > 0 > f(b): take the Newton step
/// when it stays inside the bracket, bisect otherwise.
fn rtsafe(problem: &Problem, a: f64, b: f64, start: f64) -> f64 {
    let (mut a, mut b) = (a, b);
    let mut theta = start;
    for _ in 0..200 {
        let (f, slope) = problem.equation_and_slope(theta);
        if f == 0.0 {
            return theta;
        }
        if f > 0.0 {
            a = theta;
        } else {
            b = theta;
        }
        let newton = theta - f / slope;
        let next = if slope < 0.0 && newton > a && newton < b {
            newton
        } else {
            0.5 * (a + b)
        };
        // Converged far below the 1e-12 at which surfaces are compared: platforms whose
        // exp/ln differ in the last bit then still agree.
        if (next - theta).abs() <= 1e-14 * (1.0 + theta.abs()) || b - a <= 1e-14 {
            return next;
        }
        theta = next;
    }
    theta
}

/// The objective tabulated on the quadrature grid, to start a modal search close to
/// its answer: for a concave objective the maximizer lies within one grid step of the
/// best node, so Newton starts inside a bracket one step either side of it.
pub(crate) struct GridStart<'a> {
    /// Quadrature nodes.
    pub nodes: &'a [f64],
    /// ln P_ik(θ_q).
    pub table: &'a LogTable,
    /// ln of the prior weights on the nodes (MAP).
    pub log_prior: &'a [f64],
    /// Item information on the nodes, item-major (WLE).
    pub information: &'a [f64],
    /// The objective's item terms on the scan grid (non-concave items), when built.
    pub scan: Option<&'a ScanTable>,
}

impl GridStart<'_> {
    /// (a, b, start) with f(a) > 0 > f(b), or `None` when the best node is at the edge of
    /// the grid or the equation does not change sign around it (then the caller searches
    /// the whole interval).
    fn bracket(&self, problem: &Problem) -> Option<(f64, f64, f64)> {
        let q = self.nodes.len();
        let mut objective = match problem.method {
            Method::Map => self.log_prior.to_vec(),
            _ => vec![0.0; q],
        };
        self.table.accumulate(problem.row, &mut objective);
        if problem.method == Method::Wle {
            let mut information = vec![0.0; q];
            for (i, &x) in problem.row.iter().enumerate() {
                if x != MISSING {
                    let item = &self.information[i * q..(i + 1) * q];
                    information.iter_mut().zip(item).for_each(|(t, v)| *t += v);
                }
            }
            for (o, t) in objective.iter_mut().zip(&information) {
                *o += 0.5 * t.max(f64::MIN_POSITIVE).ln();
            }
        }
        let best = (0..q).max_by(|&x, &y| objective[x].total_cmp(&objective[y]))?;
        if best == 0 || best + 1 >= q {
            return None;
        }
        let (a, b) = (self.nodes[best - 1], self.nodes[best + 1]);
        let [lo, hi] = problem.settings.bounds;
        if a < lo || b > hi {
            return None;
        }
        (problem.equation(a) > 0.0 && problem.equation(b) < 0.0).then_some((a, b, self.nodes[best]))
    }
}

/// Scan step for non-concave likelihoods.
const SCAN_STEP: f64 = 0.25;

/// Scan grids with more points than this are not tabulated (bounds wider than ±128).
const MAX_TABULATED_SCAN_POINTS: usize = 1025;

/// The points `solve_scanned` evaluates the objective at: [lo, hi] in n ≈ (hi − lo)/0.25
/// equal steps.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ScanGrid {
    lo: f64,
    hi: f64,
    n: usize,
    step: f64,
}

impl ScanGrid {
    fn new(lo: f64, hi: f64) -> Self {
        let n = (((hi - lo) / SCAN_STEP).ceil() as usize).max(2);
        ScanGrid {
            lo,
            hi,
            n,
            step: (hi - lo) / n as f64,
        }
    }

    /// Point i of 0..=n (exactly hi at n).
    fn at(&self, i: usize) -> f64 {
        if i == self.n {
            self.hi
        } else {
            self.lo + self.step * i as f64
        }
    }
}

/// The terms of [`Problem::objective_value`] tabulated on the scan grid of the search
/// bounds: ln P_ik at every point for every item and category, the item information
/// (WLE) and the log prior density (MAP). Scanning a row's objective then adds table
/// rows in item order, the same additions in the same order as evaluating the items at
/// each point, so the scan (and every estimate) is unchanged bit for bit.
#[derive(Debug, Clone)]
pub(crate) struct ScanTable {
    grid: ScanGrid,
    method: Method,
    offsets: Vec<usize>,
    log_p: Vec<f64>,
    information: Vec<f64>,
    log_prior: Vec<f64>,
}

impl ScanTable {
    /// The table for a modal method, or `None` when every item is log-concave (no scan
    /// is ever needed), the method is EAP or the grid is too fine to tabulate.
    pub(crate) fn new(items: &[ResponseFunction], settings: &ScoringSettings) -> Option<Self> {
        let method = settings.method;
        let [lo, hi] = settings.bounds;
        let grid = ScanGrid::new(lo, hi);
        let points = grid.n + 1;
        if method == Method::Eap
            || items.iter().all(ResponseFunction::is_log_concave)
            || points > MAX_TABULATED_SCAN_POINTS
        {
            return None;
        }
        let mut offsets = Vec::with_capacity(items.len());
        let mut log_p = Vec::new();
        let mut buffer = [0.0; MAX_CATEGORIES];
        for f in items {
            let base = log_p.len();
            let k = f.categories();
            offsets.push(base);
            log_p.resize(base + k * points, 0.0);
            for j in 0..points {
                f.log_probabilities(grid.at(j), &mut buffer);
                for (c, &v) in buffer.iter().enumerate().take(k) {
                    log_p[base + c * points + j] = v;
                }
            }
        }
        let information = if method == Method::Wle {
            items
                .iter()
                .flat_map(|f| (0..points).map(move |j| f.information(grid.at(j))))
                .collect()
        } else {
            Vec::new()
        };
        let log_prior = if method == Method::Map {
            (0..points)
                .map(|j| {
                    settings
                        .prior
                        .log_density(grid.at(j))
                        .unwrap_or((0.0, 0.0, 0.0))
                        .0
                })
                .collect()
        } else {
            Vec::new()
        };
        Some(ScanTable {
            grid,
            method,
            offsets,
            log_p,
            information,
            log_prior,
        })
    }

    /// [`Problem::objective_value`] at every scan point, or `None` when the table was
    /// built for other bounds or another method.
    fn objective_values(&self, problem: &Problem) -> Option<Vec<f64>> {
        let [lo, hi] = problem.settings.bounds;
        if self.method != problem.method || self.grid != ScanGrid::new(lo, hi) {
            return None;
        }
        let points = self.grid.n + 1;
        let mut log_likelihood = vec![0.0; points];
        let mut information = vec![
            0.0;
            if self.method == Method::Wle {
                points
            } else {
                0
            }
        ];
        for (i, &x) in problem.row.iter().enumerate() {
            if x == MISSING {
                continue;
            }
            let at = self.offsets[i] + x as usize * points;
            for (l, v) in log_likelihood.iter_mut().zip(&self.log_p[at..at + points]) {
                *l += v;
            }
            if self.method == Method::Wle {
                let item = &self.information[i * points..(i + 1) * points];
                for (t, v) in information.iter_mut().zip(item) {
                    *t += v;
                }
            }
        }
        Some(match self.method {
            Method::Ml => log_likelihood,
            Method::Map => log_likelihood
                .iter()
                .zip(&self.log_prior)
                .map(|(l, p)| l + p)
                .collect(),
            Method::Wle => log_likelihood
                .iter()
                .zip(&information)
                .map(|(l, t)| l + 0.5 * t.max(f64::MIN_POSITIVE).ln())
                .collect(),
            Method::Eap => unreachable!("EAP is not a modal estimator"),
        })
    }
}

fn solve_scanned(problem: &Problem, lo: f64, hi: f64, scan: Option<&ScanTable>) -> (f64, bool) {
    let grid = ScanGrid::new(lo, hi);
    let n = grid.n;
    let at = |i: usize| grid.at(i);
    // The objective alone is cheap (no derivatives; tabulated when the scorer has the
    // table): find its local maxima on the grid and refine the highest few inside their
    // brackets.
    let values: Vec<f64> = match scan.and_then(|t| t.objective_values(problem)) {
        Some(values) => values,
        None => (0..=n).map(|i| problem.objective_value(at(i))).collect(),
    };
    let mut peaks: Vec<usize> = (0..=n)
        .filter(|&i| {
            (i == 0 || values[i] >= values[i - 1]) && (i == n || values[i] >= values[i + 1])
        })
        .collect();
    crate::order::sort_indices(&mut peaks, &|a, b| values[b].total_cmp(&values[a]));
    let mut best: Option<(f64, f64, bool)> = None; // (objective, θ, at bound)
    for &i in peaks.iter().take(3) {
        let candidate = if i == 0 && problem.equation(lo) <= 0.0 {
            Some((lo, true))
        } else if i == n && problem.equation(hi) >= 0.0 {
            Some((hi, true))
        } else {
            let (a, b) = (at(i.saturating_sub(1)), at((i + 1).min(n)));
            let (fa, fb) = (problem.equation(a), problem.equation(b));
            (fa > 0.0 && fb < 0.0).then(|| (brent(|x| problem.equation(x), a, b, fa, fb), false))
        };
        let Some((theta, at_bound)) = candidate else {
            // The surrogate objective and the estimating equation disagree here (WLE
            // with asymptotes): examine every sign change instead.
            return solve_by_sign_changes(problem, lo, hi);
        };
        let value = problem.objective(theta);
        if best.is_none_or(|(v, _, _)| value > v) {
            best = Some((value, theta, at_bound));
        }
    }
    match best {
        Some((_, theta, at_bound)) => (theta, at_bound),
        None => solve_by_sign_changes(problem, lo, hi),
    }
}

fn solve_by_sign_changes(problem: &Problem, lo: f64, hi: f64) -> (f64, bool) {
    let grid = ScanGrid::new(lo, hi);
    let n = grid.n;
    let mut best: Option<(f64, f64, bool)> = None; // (objective, θ, at bound)
    let mut consider = |theta: f64, at_bound: bool| {
        let value = problem.objective(theta);
        if best.is_none_or(|(b, _, _)| value > b) {
            best = Some((value, theta, at_bound));
        }
    };
    let mut prev_t = lo;
    let mut prev_f = problem.equation(lo);
    if prev_f < 0.0 {
        consider(lo, true);
    }
    for i in 1..=n {
        let t = grid.at(i);
        let f = problem.equation(t);
        if prev_f > 0.0 && f <= 0.0 {
            let root = if f == 0.0 {
                t
            } else {
                brent(|x| problem.equation(x), prev_t, t, prev_f, f)
            };
            consider(root, false);
        }
        prev_t = t;
        prev_f = f;
    }
    if prev_f > 0.0 {
        consider(hi, true);
    }
    match best {
        Some((_, theta, at_bound)) => (theta, at_bound),
        // f ≡ 0 everywhere (no information): report the midpoint as a bound case.
        None => (0.5 * (lo + hi), true),
    }
}

/// Brent–Dekker root finding on [a, b] with f(a)·f(b) < 0 (Brent 1973, ch. 4).
pub(crate) fn brent(f: impl Fn(f64) -> f64, a: f64, b: f64, fa: f64, fb: f64) -> f64 {
    const TOL: f64 = 1e-14;
    let (mut a, mut b, mut fa, mut fb) = (a, b, fa, fb);
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol = 2.0 * f64::EPSILON * b.abs() + 0.5 * TOL;
        let m = 0.5 * (c - b);
        if m.abs() <= tol || fb == 0.0 {
            return b;
        }
        if e.abs() >= tol && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * m * s;
                q = 1.0 - s;
            } else {
                let qq = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * m * qq * (qq - r) - (b - a) * (r - 1.0));
                q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * m * q - (tol * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = d;
            }
        } else {
            d = m;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol { d } else { tol.copysign(m) };
        fb = f(b);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ItemModel;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn fast_scan_agrees_with_every_sign_change() {
        let items: Vec<ResponseFunction> = (0..12)
            .map(|i| {
                ItemModel::FourPl {
                    slope: 0.8 + 0.12 * i as f64,
                    intercept: 1.8 - 0.35 * i as f64,
                    guessing: 0.15 + 0.01 * (i % 3) as f64,
                    upper: if i % 4 == 0 { 0.97 } else { 1.0 },
                }
                .response_function("t")
                .unwrap()
            })
            .collect();
        let settings = ScoringSettings::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut compared = 0;
        for _ in 0..300 {
            let row: Vec<u8> = (0..12)
                .map(|_| match rng.random_range(0..10) {
                    0 => MISSING,
                    v => u8::from(v > 4),
                })
                .collect();
            for method in [Method::Ml, Method::Map, Method::Wle] {
                let (answered, all_min, all_max) = super::super::extremes(&items, &row);
                if answered == 0 || (method == Method::Ml && (all_min || all_max)) {
                    continue;
                }
                let problem = Problem {
                    items: &items,
                    row: &row,
                    method,
                    settings: &settings,
                };
                let fast = solve_scanned(&problem, -20.0, 20.0, None);
                let full = solve_by_sign_changes(&problem, -20.0, 20.0);
                assert!(
                    (fast.0 - full.0).abs() < 1e-8 && fast.1 == full.1,
                    "{method:?} {row:?}: {fast:?} vs {full:?}"
                );
                compared += 1;
            }
        }
        assert!(compared > 700);
    }

    /// The tabulated scan equals evaluating the items at every scan point, bit for bit,
    /// and so does every estimate that goes through it.
    #[test]
    fn scan_table_is_bit_identical() {
        let items: Vec<ResponseFunction> = (0..10)
            .map(|i| {
                ItemModel::ThreePl {
                    slope: 0.7 + 0.15 * i as f64,
                    intercept: 1.5 - 0.3 * i as f64,
                    guessing: 0.12 + 0.02 * (i % 4) as f64,
                }
                .response_function("t")
                .unwrap()
            })
            .collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for method in [Method::Ml, Method::Map, Method::Wle] {
            let settings = ScoringSettings::with_method(method);
            let scorer = super::super::Scorer::new(items.clone(), &settings).unwrap();
            let grid = scorer.grid_start();
            let table = grid.scan.expect("3PL items are tabulated");
            for _ in 0..200 {
                let row: Vec<u8> = (0..10)
                    .map(|_| match rng.random_range(0..8) {
                        0 => MISSING,
                        v => u8::from(v > 3),
                    })
                    .collect();
                let problem = Problem {
                    items: &items,
                    row: &row,
                    method,
                    settings: &settings,
                };
                let scan = ScanGrid::new(-20.0, 20.0);
                let tabulated = table.objective_values(&problem).unwrap();
                for (i, v) in tabulated.iter().enumerate() {
                    let direct = problem.objective_value(scan.at(i));
                    assert_eq!(
                        v.to_bits(),
                        direct.to_bits(),
                        "{method:?} {row:?} point {i}"
                    );
                }
                let (answered, all_min, all_max) = super::super::extremes(&items, &row);
                if answered == 0 || (method == Method::Ml && (all_min || all_max)) {
                    continue;
                }
                let fast = solve_scanned(&problem, -20.0, 20.0, Some(table));
                let plain = solve_scanned(&problem, -20.0, 20.0, None);
                assert_eq!((fast.0.to_bits(), fast.1), (plain.0.to_bits(), plain.1));
            }
        }
    }
}
