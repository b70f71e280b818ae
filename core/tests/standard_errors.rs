//! Standard errors of item parameters against an independent, brute-force observed
//! information: second differences of the marginal log-likelihood itself (not of its
//! gradient), inverted. No published R `mirt` SEs for LSAT7 are stored in
//! `tests/reference/`, so this is the check; tolerance 1e-5 relative (reached: 2e-6),
//! 1e-4 for an ill-conditioned 3PL with a prior (reached: 1.7e-5).

use bagdar::calibrate::{
    Calibration, CalibrationSettings, ExpectedCounts, ItemSpec, Simulation, calibrate, simulate,
};
use bagdar::model::{ItemModel, ModelKind};
use bagdar::quadrature::{Grid, Prior, Quadrature};
use bagdar::response::ResponseMatrix;

fn lsat(name: &str) -> ResponseMatrix {
    let path = format!("{}/../tests/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut data = Vec::new();
    let mut persons = 0;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let pattern = parts.next().unwrap();
        let count: usize = parts.next().unwrap().parse().unwrap();
        for _ in 0..count {
            data.extend(pattern.bytes().map(|b| b - b'0'));
            persons += 1;
        }
    }
    ResponseMatrix::new(persons, 5, data).unwrap()
}

fn log_likelihood(items: &[ItemModel], sd: f64, responses: &ResponseMatrix) -> f64 {
    let functions: Vec<_> = items
        .iter()
        .map(|m| m.response_function("").unwrap())
        .collect();
    let quadrature = Quadrature::new(&Grid::default(), &Prior::Normal { mean: 0.0, sd }).unwrap();
    ExpectedCounts::compute(&functions, &quadrature, responses)
        .unwrap()
        .log_likelihood()
}

/// Inverse of −(second differences of ℓ) at `beta`; returns the SEs.
fn brute_force_se(
    beta: &[f64],
    build: impl Fn(&[f64]) -> (Vec<ItemModel>, f64),
    responses: &ResponseMatrix,
) -> Vec<f64> {
    let n = beta.len();
    let h = 1e-3;
    let ll = |b: &[f64]| {
        let (items, sd) = build(b);
        log_likelihood(&items, sd, responses)
    };
    let mut info = vec![vec![0.0; n]; n];
    for j in 0..n {
        for k in j..n {
            let mut f = [0.0; 4];
            for (idx, (sj, sk)) in [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)]
                .iter()
                .enumerate()
            {
                let mut b = beta.to_vec();
                b[j] += sj * h;
                b[k] += sk * h;
                f[idx] = ll(&b);
            }
            let second = (f[0] - f[1] - f[2] + f[3]) / (4.0 * h * h);
            info[j][k] = -second;
            info[k][j] = -second;
        }
    }
    // Gauss–Jordan inverse.
    let mut a: Vec<Vec<f64>> = info
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut r = row.clone();
            r.extend((0..n).map(|c| if c == i { 1.0 } else { 0.0 }));
            r
        })
        .collect();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs()))
            .unwrap();
        a.swap(c, p);
        let d = a[c][c];
        a[c].iter_mut().for_each(|v| *v /= d);
        for r in 0..n {
            if r != c {
                let f = a[r][c];
                let pivot = a[c].clone();
                a[r].iter_mut().zip(&pivot).for_each(|(v, pv)| *v -= f * pv);
            }
        }
    }
    (0..n).map(|i| a[i][n + i].sqrt()).collect()
}

fn relative(name: &str, got: &[f64], want: &[f64]) -> f64 {
    let d = got
        .iter()
        .zip(want)
        .map(|(g, w)| ((g - w) / w).abs())
        .fold(0.0, f64::max);
    eprintln!("{name}: analytic-gradient SE {got:.6?}, brute force {want:.6?}, max rel {d:.1e}");
    d
}

fn with_se(responses: &ResponseMatrix, settings: CalibrationSettings) -> Calibration {
    let fit = calibrate(
        responses,
        &CalibrationSettings {
            standard_errors: true,
            ..settings
        },
    )
    .unwrap();
    assert!(fit.converged());
    fit
}

#[test]
fn lsat7_2pl_se_match_brute_force_hessian() {
    let responses = lsat("lsat7.txt");
    let fit = with_se(&responses, CalibrationSettings::default());
    let se = fit.se.as_ref().unwrap();
    assert!(se.positive_definite);
    let mut beta = Vec::new();
    for m in &fit.items {
        beta.push(m.slope());
        beta.push(-m.difficulty().unwrap() * m.slope());
    }
    let build = |b: &[f64]| {
        let items = (0..5)
            .map(|i| ItemModel::TwoPl {
                slope: b[2 * i],
                intercept: b[2 * i + 1],
            })
            .collect();
        (items, 1.0)
    };
    let want = brute_force_se(&beta, build, &responses);
    let got: Vec<f64> = se
        .items
        .iter()
        .flat_map(|s| [s.slope.unwrap(), s.intercepts[0].unwrap()])
        .collect();
    assert!(relative("lsat7 2pl (a, d)", &got, &want) < 1e-5);
    // Covariance is symmetric and its diagonal gives the SEs.
    let n = 10;
    assert_eq!(se.covariance.len(), n * n);
    for (j, g) in got.iter().enumerate() {
        assert!((se.covariance[j * n + j].sqrt() - g).abs() < 1e-12);
        for k in 0..n {
            assert!((se.covariance[j * n + k] - se.covariance[k * n + j]).abs() < 1e-12);
        }
    }
    // Delta method for b = −d/a: b'(a, d) = (d/a², −1/a).
    for (i, s) in se.items.iter().enumerate() {
        let (a, d) = (beta[2 * i], beta[2 * i + 1]);
        let (ja, jd) = (d / (a * a), -1.0 / a);
        let v = |r: usize, c: usize| se.covariance[r * n + c];
        let var = ja * ja * v(2 * i, 2 * i)
            + 2.0 * ja * jd * v(2 * i, 2 * i + 1)
            + jd * jd * v(2 * i + 1, 2 * i + 1);
        assert!((s.difficulties[0].unwrap() - var.sqrt()).abs() < 1e-12);
        assert_eq!(s.guessing, None);
        assert_eq!(s.upper, None);
    }
    assert_eq!(se.latent_mean, None);
    assert_eq!(se.latent_sd, None);
}

#[test]
fn lsat6_rasch_se_include_the_latent_sd() {
    let responses = lsat("lsat6.txt");
    let fit = with_se(
        &responses,
        CalibrationSettings {
            model: ModelKind::Rasch,
            ..Default::default()
        },
    );
    let se = fit.se.as_ref().unwrap();
    let mut beta: Vec<f64> = fit.items.iter().map(|m| -m.difficulty().unwrap()).collect();
    beta.push(fit.latent_sd);
    let build = |b: &[f64]| {
        let items = (0..5)
            .map(|i| ItemModel::Rasch { intercept: b[i] })
            .collect();
        (items, b[5])
    };
    let want = brute_force_se(&beta, build, &responses);
    let mut got: Vec<f64> = se.items.iter().map(|s| s.intercepts[0].unwrap()).collect();
    got.push(se.latent_sd.unwrap());
    assert!(relative("lsat6 rasch (d, sd)", &got, &want) < 1e-5);
    assert!(se.items.iter().all(|s| s.slope.is_none()));
}

#[test]
fn anchored_items_have_no_se_and_graded_matches_brute_force() {
    let truth: Vec<ItemModel> = (0..4)
        .map(|i| ItemModel::Graded {
            slope: 1.0 + 0.2 * i as f64,
            intercepts: vec![1.5 - 0.1 * i as f64, 0.0, -1.2],
        })
        .collect();
    let data = simulate(
        &truth,
        &Simulation {
            persons: 800,
            mean: 0.0,
            sd: 1.0,
            missing: 0.0,
            seed: 7,
        },
    )
    .unwrap()
    .responses;
    let mut specs = vec![ItemSpec::Fixed(truth[0].clone())];
    specs.extend((1..4).map(|_| ItemSpec::Estimate(ModelKind::Graded)));
    let fit = with_se(
        &data,
        CalibrationSettings {
            items: specs,
            ..Default::default()
        },
    );
    let se = fit.se.as_ref().unwrap();
    let anchor = &se.items[0];
    assert_eq!(anchor.slope, None);
    assert!(anchor.intercepts.iter().all(Option::is_none));
    assert!(anchor.difficulties.iter().all(Option::is_none));
    let mut beta = Vec::new();
    for m in &fit.items[1..] {
        if let ItemModel::Graded { slope, intercepts } = m {
            beta.push(*slope);
            beta.extend(intercepts);
        }
    }
    let fixed = truth[0].clone();
    let build = |b: &[f64]| {
        let mut items = vec![fixed.clone()];
        items.extend((0..3).map(|i| ItemModel::Graded {
            slope: b[4 * i],
            intercepts: b[4 * i + 1..4 * i + 4].to_vec(),
        }));
        (items, 1.0)
    };
    let want = brute_force_se(&beta, build, &data);
    let got: Vec<f64> = se.items[1..]
        .iter()
        .flat_map(|s| {
            std::iter::once(s.slope.unwrap()).chain(s.intercepts.iter().map(|v| v.unwrap()))
        })
        .collect();
    assert!(relative("graded with an anchor (a, d1..d3)", &got, &want) < 1e-5);
}

#[test]
fn se_are_off_by_default() {
    let fit = calibrate(&lsat("lsat7.txt"), &CalibrationSettings::default()).unwrap();
    assert!(fit.se.is_none());
}

#[test]
fn gpcm_se_and_step_difficulties_match_brute_force() {
    // GPCM: slopes and intercepts d_1..d_3, and the delta-method step difficulties.
    let truth: Vec<ItemModel> = (0..4)
        .map(|i| ItemModel::Gpcm {
            slope: 0.8 + 0.2 * i as f64,
            intercepts: vec![1.0, 1.2 - 0.1 * i as f64, 0.5],
        })
        .collect();
    let data = simulate(
        &truth,
        &Simulation {
            persons: 1000,
            mean: 0.0,
            sd: 1.0,
            missing: 0.0,
            seed: 4,
        },
    )
    .unwrap()
    .responses;
    let fit = with_se(
        &data,
        CalibrationSettings {
            model: ModelKind::Gpcm,
            ..Default::default()
        },
    );
    let se = fit.se.as_ref().unwrap();
    let mut beta = Vec::new();
    for m in &fit.items {
        if let ItemModel::Gpcm { slope, intercepts } = m {
            beta.push(*slope);
            beta.extend(intercepts);
        }
    }
    let build = |b: &[f64]| {
        let items = (0..4)
            .map(|i| ItemModel::Gpcm {
                slope: b[4 * i],
                intercepts: b[4 * i + 1..4 * i + 4].to_vec(),
            })
            .collect();
        (items, 1.0)
    };
    let want = brute_force_se(&beta, build, &data);
    let got: Vec<f64> = se
        .items
        .iter()
        .flat_map(|s| {
            std::iter::once(s.slope.unwrap()).chain(s.intercepts.iter().map(|v| v.unwrap()))
        })
        .collect();
    assert!(relative("gpcm (a, d1..d3)", &got, &want) < 1e-5);
    // Step difficulty b_2 = −(d_2 − d_1)/a of item 0 by the delta method.
    let n = beta.len();
    let v = |r: usize, c: usize| se.covariance[r * n + c];
    let (a, d1, d2) = (beta[0], beta[1], beta[2]);
    let g = [(0, (d2 - d1) / (a * a)), (1, 1.0 / a), (2, -1.0 / a)];
    let var: f64 = g
        .iter()
        .flat_map(|&(r, gr)| g.iter().map(move |&(c, gc)| gr * gc * v(r, c)))
        .sum();
    assert!((se.items[0].difficulties[1].unwrap() - var.sqrt()).abs() < 1e-12);
}

#[test]
fn three_pl_with_a_guessing_prior_uses_the_log_posterior_hessian() {
    use bagdar::calibrate::{BetaPrior, ParameterPriors};
    let truth: Vec<ItemModel> = (0..6)
        .map(|i| ItemModel::ThreePl {
            slope: 1.0 + 0.2 * i as f64,
            intercept: 0.5 - 0.3 * i as f64,
            guessing: 0.2,
        })
        .collect();
    let data = simulate(
        &truth,
        &Simulation {
            persons: 2000,
            mean: 0.0,
            sd: 1.0,
            missing: 0.0,
            seed: 12,
        },
    )
    .unwrap()
    .responses;
    let prior = BetaPrior {
        alpha: 5.0,
        beta: 17.0,
    };
    let fit = with_se(
        &data,
        CalibrationSettings {
            model: ModelKind::ThreePl,
            priors: ParameterPriors {
                guessing: Some(prior),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let se = fit.se.as_ref().unwrap();
    assert!(se.positive_definite);
    let mut beta = Vec::new();
    for m in &fit.items {
        if let ItemModel::ThreePl {
            slope,
            intercept,
            guessing,
        } = m
        {
            beta.extend([*slope, *intercept, *guessing]);
        }
    }
    // Brute force on ℓ + Σ ln Beta(g; 5, 17) (constants dropped).
    let n = beta.len();
    // The 3PL information is ill-conditioned (SE of d up to 0.8): the second differences
    // themselves are good to about 2e-5 relative here (1.7e-5 at h = 3e-4, 2.6e-5 at
    // 1e-3, 5.7e-5 at 1e-4), hence the looser tolerance of this case.
    let h = 3e-4;
    let objective = |b: &[f64]| {
        let items: Vec<ItemModel> = (0..6)
            .map(|i| ItemModel::ThreePl {
                slope: b[3 * i],
                intercept: b[3 * i + 1],
                guessing: b[3 * i + 2],
            })
            .collect();
        let log_prior: f64 = (0..6)
            .map(|i| 4.0 * b[3 * i + 2].ln() + 16.0 * (1.0 - b[3 * i + 2]).ln())
            .sum();
        log_likelihood(&items, 1.0, &data) + log_prior
    };
    let mut info = vec![vec![0.0; n]; n];
    for j in 0..n {
        for k in j..n {
            let mut f = [0.0; 4];
            for (idx, (sj, sk)) in [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)]
                .iter()
                .enumerate()
            {
                let mut b = beta.clone();
                b[j] += sj * h;
                b[k] += sk * h;
                f[idx] = objective(&b);
            }
            let second = (f[0] - f[1] - f[2] + f[3]) / (4.0 * h * h);
            info[j][k] = -second;
            info[k][j] = -second;
        }
    }
    let want = invert_diagonal(info);
    let got: Vec<f64> = se
        .items
        .iter()
        .flat_map(|s| {
            [
                s.slope.unwrap(),
                s.intercepts[0].unwrap(),
                s.guessing.unwrap(),
            ]
        })
        .collect();
    assert!(relative("3pl with Beta(5, 17) on g (a, d, g)", &got, &want) < 1e-4);
}

/// √diag of the inverse (Gauss–Jordan).
fn invert_diagonal(info: Vec<Vec<f64>>) -> Vec<f64> {
    let n = info.len();
    let mut a: Vec<Vec<f64>> = info
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r.extend((0..n).map(|c| if c == i { 1.0 } else { 0.0 }));
            r
        })
        .collect();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs()))
            .unwrap();
        a.swap(c, p);
        let d = a[c][c];
        a[c].iter_mut().for_each(|v| *v /= d);
        for r in 0..n {
            if r != c {
                let f = a[r][c];
                let pivot = a[c].clone();
                a[r].iter_mut().zip(&pivot).for_each(|(v, pv)| *v -= f * pv);
            }
        }
    }
    (0..n).map(|i| a[i][n + i].sqrt()).collect()
}

#[test]
fn rating_scale_se_after_recentring_match_brute_force() {
    // RSM: c_j per item, thresholds τ shared and centred (Σ τ = 0), latent SD free.
    let truth: Vec<ItemModel> = (0..5)
        .map(|i| ItemModel::RatingScale {
            intercept: 0.6 - 0.3 * i as f64,
            thresholds: vec![-1.0, 0.2, 0.8],
        })
        .collect();
    let data = simulate(
        &truth,
        &Simulation {
            persons: 1500,
            mean: 0.0,
            sd: 1.3,
            missing: 0.0,
            seed: 5,
        },
    )
    .unwrap()
    .responses;
    let fit = with_se(
        &data,
        CalibrationSettings {
            model: ModelKind::RatingScale,
            ..Default::default()
        },
    );
    let se = fit.se.as_ref().unwrap();
    // Free parameters of the brute force: c_1..c_5, τ_1, τ_2 (τ_3 = −τ_1 − τ_2), σ.
    let (cs, taus): (Vec<f64>, Vec<f64>) = {
        let mut cs = Vec::new();
        let mut taus = Vec::new();
        for m in &fit.items {
            if let ItemModel::RatingScale {
                intercept,
                thresholds,
            } = m
            {
                cs.push(*intercept);
                taus = thresholds.clone();
            }
        }
        (cs, taus)
    };
    assert!(taus.iter().sum::<f64>().abs() < 1e-9);
    let mut beta = cs.clone();
    beta.extend([taus[0], taus[1], fit.latent_sd]);
    let build = |b: &[f64]| {
        let t = vec![b[5], b[6], -b[5] - b[6]];
        let items = (0..5)
            .map(|i| ItemModel::RatingScale {
                intercept: b[i],
                thresholds: t.clone(),
            })
            .collect();
        (items, b[7])
    };
    let direct = brute_force_se(&beta, build, &data);
    let got_c: Vec<f64> = se.items.iter().map(|s| s.intercepts[0].unwrap()).collect();
    assert!(relative("rsm c_j", &got_c, &direct[..5]) < 1e-5);
    let got_t: Vec<f64> = se.items[0].thresholds[..2]
        .iter()
        .map(|v| v.unwrap())
        .collect();
    assert!(relative("rsm τ_1, τ_2", &got_t, &direct[5..7]) < 1e-5);
    assert!(relative("latent sd", &[se.latent_sd.unwrap()], &direct[7..]) < 1e-5);
    // Every item reports the same shared thresholds' SEs.
    for s in &se.items {
        assert_eq!(s.thresholds, se.items[0].thresholds);
        assert_eq!(s.slope, None);
    }
}
