#![allow(clippy::needless_range_loop)] // index loops mirror the formulas being checked
//! Scoring checks against computations written separately here: direct integration on a
//! fine grid, bisection on the estimating equations, brute-force enumeration of patterns.

use super::*;
use crate::model::{MAX_CATEGORIES, ResponseCurve};

fn mixed_items() -> Vec<ItemModel> {
    vec![
        ItemModel::TwoPl {
            slope: 1.2,
            intercept: 0.3,
        },
        ItemModel::Graded {
            slope: 1.6,
            intercepts: vec![2.0, 0.1, -1.7],
        },
        ItemModel::Gpcm {
            slope: 0.9,
            intercepts: vec![0.4, 0.1],
        },
        ItemModel::RatingScale {
            intercept: -0.2,
            thresholds: vec![-0.8, 0.8],
        },
        ItemModel::TwoPl {
            slope: 0.7,
            intercept: -1.1,
        },
    ]
}

fn compiled(models: &[ItemModel]) -> Vec<ResponseFunction> {
    models
        .iter()
        .map(|m| m.response_function("t").unwrap())
        .collect()
}

fn log_lik(items: &[ResponseFunction], row: &[u8], theta: f64) -> f64 {
    let mut lp = [0.0; MAX_CATEGORIES];
    items
        .iter()
        .zip(row)
        .filter(|(_, x)| **x != MISSING)
        .map(|(f, &x)| {
            f.log_probabilities(theta, &mut lp);
            lp[x as usize]
        })
        .sum()
}

/// Posterior mean and SD by the trapezoid rule on 20,001 points over [−10, 10].
fn direct_eap(items: &[ResponseFunction], row: &[u8], mean: f64, sd: f64) -> (f64, f64) {
    let n = 20_001;
    let (mut m0, mut m1, mut m2) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let t = -10.0 + 20.0 * i as f64 / (n - 1) as f64;
        let z = (t - mean) / sd;
        let w = (log_lik(items, row, t) - 0.5 * z * z).exp();
        m0 += w;
        m1 += w * t;
        m2 += w * t * t;
    }
    let m = m1 / m0;
    (m, (m2 / m0 - m * m).sqrt())
}

fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

fn patterns() -> Vec<Vec<u8>> {
    vec![
        vec![1, 2, 1, 0, 0],
        vec![0, 0, 0, 0, 0],
        vec![1, 3, 2, 2, 1],
        vec![MISSING, 1, 2, MISSING, 0],
        vec![0, 3, 0, 2, 1],
        vec![MISSING, MISSING, MISSING, MISSING, 1],
    ]
}

#[test]
fn eap_matches_direct_integration() {
    let models = mixed_items();
    let items = compiled(&models);
    // The default grid (61 points on ±6) is exact to 1e-6 for a standard normal prior;
    // a wider prior puts visible mass beyond ±6, so that case uses a wider grid.
    let wide = Grid {
        points: 201,
        min: -10.0,
        max: 10.0,
    };
    for (mean, sd, grid) in [(0.0, 1.0, Grid::default()), (0.5, 1.5, wide)] {
        let settings = ScoringSettings {
            prior: Prior::Normal { mean, sd },
            grid,
            ..Default::default()
        };
        let scorer = Scorer::from_models(&models, &settings).unwrap();
        for row in patterns() {
            let est = scorer.score_row(&row);
            let (m, s) = direct_eap(&items, &row, mean, sd);
            assert!(
                (est.theta - m).abs() < 1e-6,
                "{row:?}: {} vs {m}",
                est.theta
            );
            assert!((est.se - s).abs() < 1e-6, "{row:?}: {} vs {s}", est.se);
        }
    }
}

#[test]
fn modal_estimates_solve_their_equations() {
    let models = mixed_items();
    let items = compiled(&models);
    let h = 1e-5;
    for row in patterns() {
        // ML: maximize log L, found by bisection on a finite-difference derivative.
        let ml = Scorer::from_models(&models, &ScoringSettings::with_method(Method::Ml))
            .unwrap()
            .score_row(&row);
        let (_, all_min, all_max) = extremes(&items, &row);
        if all_min || all_max {
            assert!(ml.theta.is_nan());
            assert_eq!(
                ml.status,
                if all_min {
                    Status::AllMinimum
                } else {
                    Status::AllMaximum
                }
            );
        } else {
            let d =
                |t: f64| (log_lik(&items, &row, t + h) - log_lik(&items, &row, t - h)) / (2.0 * h);
            let reference = bisect(d, -20.0, 20.0);
            assert!(
                (ml.theta - reference).abs() < 1e-5,
                "{row:?} ML {} vs {reference}",
                ml.theta
            );
            let info = crate::model::test_information(
                &items
                    .iter()
                    .zip(&row)
                    .filter(|(_, x)| **x != MISSING)
                    .map(|(f, _)| f.clone())
                    .collect::<Vec<_>>(),
                ml.theta,
            );
            assert!((ml.se - 1.0 / info.sqrt()).abs() < 1e-12);
        }
        // MAP under N(0,1).
        let map = Scorer::from_models(&models, &ScoringSettings::with_method(Method::Map))
            .unwrap()
            .score_row(&row);
        let post = |t: f64| log_lik(&items, &row, t) - 0.5 * t * t;
        let reference = bisect(|t| (post(t + h) - post(t - h)) / (2.0 * h), -20.0, 20.0);
        assert!(
            (map.theta - reference).abs() < 1e-5,
            "{row:?} MAP {} vs {reference}",
            map.theta
        );
        // WLE: maximize log L + ½ ln I is Warm's estimator only for 2PL items; here the
        // check is the estimating equation itself, with J from finite differences of P'.
        let wle = Scorer::from_models(&models, &ScoringSettings::with_method(Method::Wle))
            .unwrap()
            .score_row(&row);
        let warm_eq = |t: f64| {
            let mut score = 0.0;
            let (mut info, mut j) = (0.0, 0.0);
            for (f, &x) in items.iter().zip(&row) {
                if x == MISSING {
                    continue;
                }
                let k = f.categories();
                let (mut p, mut pp, mut pm) = (
                    [0.0; MAX_CATEGORIES],
                    [0.0; MAX_CATEGORIES],
                    [0.0; MAX_CATEGORIES],
                );
                f.probabilities(t, &mut p);
                f.probabilities(t + h, &mut pp);
                f.probabilities(t - h, &mut pm);
                let (mut p2, mut p3) = ([0.0; MAX_CATEGORIES], [0.0; MAX_CATEGORIES]);
                f.probabilities(t + 2.0 * h, &mut p2);
                f.probabilities(t - 2.0 * h, &mut p3);
                for c in 0..k {
                    let d1 = (pp[c] - pm[c]) / (2.0 * h);
                    let d2 = (pp[c] - 2.0 * p[c] + pm[c]) / (h * h);
                    info += d1 * d1 / p[c];
                    j += d1 * d2 / p[c];
                    if c == x as usize {
                        score += d1 / p[c];
                    }
                }
                let _ = (p2, p3);
            }
            score + j / (2.0 * info)
        };
        if row.iter().any(|&x| x != MISSING) {
            let reference = bisect(warm_eq, -20.0, 20.0);
            assert!(
                (wle.theta - reference).abs() < 1e-3,
                "{row:?} WLE {} vs {reference}",
                wle.theta
            );
            assert!(wle.theta.is_finite());
        } else {
            assert_eq!(wle.status, Status::NoResponses);
        }
    }
}

#[test]
fn three_pl_modal_estimates_take_the_global_maximum() {
    let models: Vec<ItemModel> = (0..10)
        .map(|i| ItemModel::ThreePl {
            slope: 1.0 + 0.15 * i as f64,
            intercept: 1.5 - 0.4 * i as f64,
            guessing: 0.2,
        })
        .collect();
    let items = compiled(&models);
    let row = vec![1, 1, 0, 1, 0, 0, 1, 0, 0, 1];
    let ml = Scorer::from_models(&models, &ScoringSettings::with_method(Method::Ml))
        .unwrap()
        .score_row(&row);
    // Global maximum of log L on a fine grid.
    let (mut best, mut arg) = (f64::NEG_INFINITY, 0.0);
    for i in 0..=40_000 {
        let t = -20.0 + 40.0 * i as f64 / 40_000.0;
        let v = log_lik(&items, &row, t);
        if v > best {
            best = v;
            arg = t;
        }
    }
    assert!((ml.theta - arg).abs() < 2e-3, "{} vs {arg}", ml.theta);
}

#[test]
fn sum_score_table_matches_enumeration() {
    let models = mixed_items();
    let items = compiled(&models);
    let scorer = Scorer::from_models(&models, &ScoringSettings::default()).unwrap();
    let table = scorer.sum_score_table();
    let quad = scorer.quadrature();
    let cats: Vec<usize> = items.iter().map(|f| f.categories()).collect();
    let max_sum: usize = cats.iter().map(|k| k - 1).sum();
    let mut post = vec![vec![0.0; quad.len()]; max_sum + 1];
    let total: usize = cats.iter().product();
    for code in 0..total {
        let mut rest = code;
        let row: Vec<u8> = cats
            .iter()
            .map(|k| {
                let x = rest % k;
                rest /= k;
                x as u8
            })
            .collect();
        let s: usize = row.iter().map(|&x| x as usize).sum();
        for (q, &t) in quad.nodes().iter().enumerate() {
            post[s][q] += quad.weights()[q] * log_lik(&items, &row, t).exp();
        }
    }
    for s in 0..=max_sum {
        let p: f64 = post[s].iter().sum();
        let m: f64 = quad
            .nodes()
            .iter()
            .zip(&post[s])
            .map(|(t, w)| t * w)
            .sum::<f64>()
            / p;
        assert!((table.probability[s] - p).abs() < 1e-13);
        assert!((table.theta[s] - m).abs() < 1e-10, "sum {s}");
    }
}

#[test]
fn sum_scoring_uses_the_answered_items() {
    let models = mixed_items();
    let scorer = Scorer::from_models(&models, &ScoringSettings::default()).unwrap();
    let data = ResponseMatrix::from_rows(&[
        vec![Some(1), None, Some(2), Some(0), Some(1)],
        vec![None, None, None, None, None],
    ])
    .unwrap();
    let est = scorer.score_sum(&data).unwrap();
    let sub = Scorer::from_models(
        &[
            models[0].clone(),
            models[2].clone(),
            models[3].clone(),
            models[4].clone(),
        ],
        &ScoringSettings::default(),
    )
    .unwrap()
    .sum_score_table();
    assert_eq!(est[0].theta, sub.theta[4]);
    assert_eq!(est[1].status, Status::NoResponses);
}

#[test]
fn batch_equals_row_by_row_and_checks_ranges() {
    let models = mixed_items();
    let rows: Vec<Vec<Option<u8>>> = (0..1000)
        .map(|p| {
            [2usize, 4, 3, 3, 2]
                .iter()
                .enumerate()
                .map(|(i, &k)| {
                    let v = (p * 7 + i * 3 + p / 5) % (k + 1);
                    (v < k).then_some(v as u8)
                })
                .collect()
        })
        .collect();
    let data = ResponseMatrix::from_rows(&rows).unwrap();
    for method in [Method::Eap, Method::Map, Method::Ml, Method::Wle] {
        let scorer = Scorer::from_models(&models, &ScoringSettings::with_method(method)).unwrap();
        let batch = scorer.score(&data).unwrap();
        for p in (0..1000).step_by(37) {
            let single = scorer.score_row(data.row(p));
            assert!(single.theta.to_bits() == batch[p].theta.to_bits());
        }
    }
    let bad =
        ResponseMatrix::from_rows(&[vec![Some(2), Some(0), Some(0), Some(0), Some(0)]]).unwrap();
    let scorer = Scorer::from_models(&models, &ScoringSettings::default()).unwrap();
    match scorer.score(&bad) {
        Err(Error::ResponseOutOfRange {
            person: 0,
            item,
            value: 2,
            max: 1,
        }) => assert_eq!(item, "0"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn plausible_values_are_seeded_and_follow_the_posterior() {
    let models = mixed_items();
    let scorer = Scorer::from_models(&models, &ScoringSettings::default()).unwrap();
    let data =
        ResponseMatrix::from_rows(&vec![vec![Some(1), Some(2), Some(1), Some(0), Some(0)]; 3])
            .unwrap();
    for method in [PlausibleMethod::Normal, PlausibleMethod::Posterior] {
        let a = scorer.plausible_values(&data, 4000, 7, method).unwrap();
        let b = scorer.plausible_values(&data, 4000, 7, method).unwrap();
        assert_eq!(a, b);
        let c = scorer.plausible_values(&data, 4000, 8, method).unwrap();
        assert_ne!(a, c);
        // Same responses, different persons: different streams.
        assert_ne!(a[..4000], a[4000..8000]);
        let eap = scorer.score_row(data.row(0));
        let n = 4000.0;
        let mean = a[..4000].iter().sum::<f64>() / n;
        let sd = (a[..4000].iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(
            (mean - eap.theta).abs() < 4.0 * eap.se / n.sqrt(),
            "{method:?} mean {mean} vs {}",
            eap.theta
        );
        assert!(
            (sd - eap.se).abs() < 0.05,
            "{method:?} sd {sd} vs {}",
            eap.se
        );
    }
}

#[test]
fn settings_are_checked() {
    let models = mixed_items();
    let bad_prior = ScoringSettings {
        prior: Prior::Normal { mean: 0.0, sd: 0.0 },
        ..Default::default()
    };
    assert!(matches!(
        Scorer::from_models(&models, &bad_prior),
        Err(Error::InvalidSetting { .. })
    ));
    let map_discrete = ScoringSettings {
        method: Method::Map,
        prior: Prior::Discrete {
            nodes: vec![-1.0, 1.0],
            weights: vec![0.5, 0.5],
        },
        ..Default::default()
    };
    assert!(Scorer::from_models(&models, &map_discrete).is_err());
    let discrete = ScoringSettings {
        prior: Prior::Discrete {
            nodes: vec![-1.0, 1.0],
            weights: vec![1.0, 3.0],
        },
        ..Default::default()
    };
    let est = Scorer::from_models(&models, &discrete)
        .unwrap()
        .score_row(&[MISSING; 5]);
    assert!((est.theta - 0.5).abs() < 1e-15);
    assert_eq!(est.status, Status::NoResponses);
}

#[test]
fn grid_started_estimates_equal_the_full_interval_search() {
    use rand::{RngExt, SeedableRng};
    let models = mixed_items();
    let items = compiled(&models);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let cats: Vec<usize> = items.iter().map(|f| f.categories()).collect();
    let mut compared = 0;
    for method in [Method::Ml, Method::Map, Method::Wle] {
        let settings = ScoringSettings::with_method(method);
        let scorer = Scorer::from_models(&models, &settings).unwrap();
        for _ in 0..400 {
            let row: Vec<u8> = cats
                .iter()
                .map(|&k| {
                    if rng.random::<f64>() < 0.15 {
                        MISSING
                    } else {
                        rng.random_range(0..k) as u8
                    }
                })
                .collect();
            let fast = scorer.score_row(&row);
            let full = point::estimate(&items, &row, method, &settings, None);
            assert_eq!(fast.status, full.status, "{method:?} {row:?}");
            if fast.theta.is_finite() {
                assert!(
                    (fast.theta - full.theta).abs() < 1e-9,
                    "{method:?} {row:?}: {} vs {}",
                    fast.theta,
                    full.theta
                );
                assert!((fast.se - full.se).abs() < 1e-9);
                compared += 1;
            }
        }
    }
    assert!(compared > 1000);
}

#[test]
fn skipping_negligible_nodes_changes_no_bit() {
    // 100-item 2PL tests concentrate the posterior, so most nodes are skipped; compare
    // with the plain computation (every exp evaluated, in the same summation order) bit
    // for bit, and with libm's exp within rounding.
    let models: Vec<ItemModel> = (0..100)
        .map(|i| ItemModel::TwoPl {
            slope: 0.6 + 0.02 * i as f64,
            intercept: -2.0 + 0.04 * i as f64,
        })
        .collect();
    let items = compiled(&models);
    let scorer = Scorer::from_models(&models, &ScoringSettings::default()).unwrap();
    let thetas: Vec<f64> = (0..300).map(|p| -3.0 + 0.02 * p as f64).collect();
    let data = crate::simulate::responses(&items, &thetas, 4);
    let quad = scorer.quadrature();
    let table = LogTable::new(&items, quad.nodes());
    let mut skipped = 0;
    for p in 0..data.persons() {
        let mut acc = quad.log_weights().to_vec();
        table.accumulate(data.row(p), &mut acc);
        let max = acc.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        skipped += acc.iter().filter(|v| **v - max <= -50.0).count();
        let weights: Vec<f64> = acc
            .iter()
            .map(|v| crate::posterior::exp_nonpositive((v - max).max(-700.0)))
            .collect();
        let total = crate::posterior::sum_map(&weights, |w| w);
        let nodes = quad.nodes();
        let mean = crate::posterior::sum_zip(nodes, &weights, |t, w| t * w) / total;
        let var =
            crate::posterior::sum_zip(nodes, &weights, |t, w| (t - mean) * (t - mean) * w) / total;
        let got = scorer.score_row(data.row(p));
        assert_eq!(got.theta.to_bits(), mean.to_bits(), "person {p}");
        assert_eq!(got.se.to_bits(), var.sqrt().to_bits(), "person {p}");
        // libm's exp and plain sums in node order.
        let libm: Vec<f64> = acc.iter().map(|v| (v - max).exp()).collect();
        let total: f64 = libm.iter().sum();
        let mean_libm: f64 = nodes.iter().zip(&libm).map(|(t, w)| t * w).sum::<f64>() / total;
        assert!((got.theta - mean_libm).abs() < 1e-14, "person {p}");
    }
    assert!(skipped > 20 * 300, "few nodes skipped: {skipped}");
}
