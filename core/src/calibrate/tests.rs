use super::expected::ExpectedCounts;
use super::mstep::{Derivatives, item_derivatives, population_step};
use super::parameters::{Family, ItemLayout, Slot};
use super::*;
use crate::model::{ItemModel, ModelKind};
use crate::quadrature::{Grid, Prior, Quadrature};

/// Expected counts of a few simulated persons, as test input for the derivatives.
fn counts_for(models: &[ItemModel], persons: usize, seed: u64) -> (ExpectedCounts, Vec<f64>) {
    let sim = simulate(
        models,
        &Simulation {
            persons,
            mean: 0.0,
            sd: 1.0,
            missing: 0.1,
            seed,
        },
    )
    .unwrap();
    let grid = Grid {
        points: 21,
        min: -5.0,
        max: 5.0,
    };
    let quadrature = Quadrature::new(&grid, &Prior::default()).unwrap();
    let items: Vec<_> = models
        .iter()
        .map(|m| m.response_function("t").unwrap())
        .collect();
    (
        ExpectedCounts::compute(&items, &quadrature, &sim.responses).unwrap(),
        quadrature.nodes().to_vec(),
    )
}

fn layout(kind: ModelKind, family: Family, categories: usize, n: usize) -> ItemLayout {
    ItemLayout {
        kind,
        family,
        categories,
        slots: (0..n).map(Slot::Free).collect(),
    }
}

/// Central differences of the value and the gradient against the analytic ones.
fn check_derivatives(item: &ItemLayout, v: &[f64], counts: &ExpectedCounts, nodes: &[f64]) {
    let d: Derivatives = item_derivatives(item, v, counts, 0, nodes).unwrap();
    let n = v.len();
    let h = 1e-6;
    for j in 0..n {
        let mut up = v.to_vec();
        let mut down = v.to_vec();
        up[j] += h;
        down[j] -= h;
        let du = item_derivatives(item, &up, counts, 0, nodes).unwrap();
        let dd = item_derivatives(item, &down, counts, 0, nodes).unwrap();
        let g = (du.value - dd.value) / (2.0 * h);
        assert!(
            (g - d.gradient[j]).abs() < 1e-5 * (1.0 + g.abs()),
            "{:?} gradient[{j}]: numeric {g}, analytic {}",
            item.kind,
            d.gradient[j]
        );
        for i in 0..n {
            let hij = (du.gradient[i] - dd.gradient[i]) / (2.0 * h);
            assert!(
                (hij - d.hessian[i * n + j]).abs() < 1e-4 * (1.0 + hij.abs()),
                "{:?} hessian[{i}][{j}]: numeric {hij}, analytic {}",
                item.kind,
                d.hessian[i * n + j]
            );
        }
    }
}

#[test]
fn logistic_derivatives_match_differences() {
    let model = ItemModel::FourPl {
        slope: 1.3,
        intercept: -0.4,
        guessing: 0.15,
        upper: 0.9,
    };
    let (counts, nodes) = counts_for(std::slice::from_ref(&model), 400, 1);
    let item = layout(ModelKind::FourPl, Family::Logistic, 2, 4);
    check_derivatives(&item, &[1.1, -0.2, 0.2, 0.85], &counts, &nodes);
    // 2PL path (g = 0, u = 1) on its two parameters.
    let d = item_derivatives(&item, &[1.1, -0.2, 0.0, 1.0], &counts, 0, &nodes).unwrap();
    let up = item_derivatives(&item, &[1.1 + 1e-6, -0.2, 0.0, 1.0], &counts, 0, &nodes).unwrap();
    let down = item_derivatives(&item, &[1.1 - 1e-6, -0.2, 0.0, 1.0], &counts, 0, &nodes).unwrap();
    assert!(((up.value - down.value) / 2e-6 - d.gradient[0]).abs() < 1e-5);
    assert!(((up.gradient[1] - down.gradient[1]) / 2e-6 - d.hessian[4]).abs() < 1e-4);
}

#[test]
fn graded_derivatives_match_differences() {
    let model = ItemModel::Graded {
        slope: 1.4,
        intercepts: vec![2.0, 0.5, -0.3, -1.8],
    };
    let (counts, nodes) = counts_for(std::slice::from_ref(&model), 500, 2);
    let item = layout(ModelKind::Graded, Family::Graded, 5, 5);
    check_derivatives(&item, &[1.2, 1.8, 0.6, -0.2, -1.5], &counts, &nodes);
}

#[test]
fn partial_credit_and_rating_scale_derivatives_match_differences() {
    let model = ItemModel::Gpcm {
        slope: 0.9,
        intercepts: vec![0.5, 0.8, 0.2],
    };
    let (counts, nodes) = counts_for(std::slice::from_ref(&model), 500, 3);
    let item = layout(ModelKind::Gpcm, Family::PartialCredit, 4, 4);
    check_derivatives(&item, &[1.1, 0.4, 0.6, 0.1], &counts, &nodes);
    let rsm = layout(ModelKind::RatingScale, Family::RatingScale, 4, 4);
    check_derivatives(&rsm, &[0.3, -0.5, 0.1, 0.6], &counts, &nodes);
}

#[test]
fn population_step_recovers_moments() {
    // Counts from N(0.5, 1.5²) on a fine grid: the update returns those moments.
    let nodes: Vec<f64> = (0..241).map(|q| -12.0 + 0.1 * q as f64).collect();
    let totals: Vec<f64> = nodes
        .iter()
        .map(|t| 1000.0 * (-0.5 * ((t - 0.5) / 1.5f64).powi(2)).exp())
        .collect();
    let (m, s) = population_step(Some(0.0), Some(1.0), 0.0, 1.0, &totals, &nodes);
    assert!((m - 0.5).abs() < 1e-8 && (s - 1.5).abs() < 1e-8, "{m} {s}");
    let (m, s) = population_step(None, Some(1.0), 0.5, 1.0, &totals, &nodes);
    assert!(m == 0.5 && (s - 1.5).abs() < 1e-8, "{m} {s}");
}

fn monotone(history: &[f64]) {
    for w in history.windows(2) {
        assert!(
            w[1] >= w[0] - 1e-9 * w[0].abs(),
            "objective fell from {} to {}",
            w[0],
            w[1]
        );
    }
}

#[test]
fn em_objective_never_decreases() {
    let cases: Vec<(Vec<ItemModel>, ModelKind)> = vec![
        (
            (0..6)
                .map(|i| ItemModel::TwoPl {
                    slope: 0.7 + 0.2 * i as f64,
                    intercept: -1.0 + 0.4 * i as f64,
                })
                .collect(),
            ModelKind::TwoPl,
        ),
        (
            (0..5)
                .map(|i| ItemModel::Graded {
                    slope: 1.0 + 0.1 * i as f64,
                    intercepts: vec![1.5, 0.2 - 0.1 * i as f64, -1.2],
                })
                .collect(),
            ModelKind::Graded,
        ),
        (
            (0..5)
                .map(|i| ItemModel::Rasch {
                    intercept: -1.0 + 0.5 * i as f64,
                })
                .collect(),
            ModelKind::Rasch,
        ),
        (
            (0..5)
                .map(|i| ItemModel::RatingScale {
                    intercept: -0.5 + 0.25 * i as f64,
                    thresholds: vec![-1.0, 0.0, 1.0],
                })
                .collect(),
            ModelKind::RatingScale,
        ),
    ];
    for (seed, (models, kind)) in cases.into_iter().enumerate() {
        let sim = simulate(
            &models,
            &Simulation {
                persons: 300,
                mean: 0.0,
                sd: 1.0,
                missing: 0.05,
                seed: seed as u64,
            },
        )
        .unwrap();
        for acceleration in [
            Acceleration::None,
            Acceleration::Squarem,
            Acceleration::Anderson,
        ] {
            let settings = CalibrationSettings {
                model: kind,
                acceleration,
                max_iterations: 60,
                ..Default::default()
            };
            let fit = calibrate(&sim.responses, &settings).unwrap();
            monotone(&fit.history);
            assert_ne!(fit.status, FitStatus::LikelihoodDecreased, "{kind:?}");
        }
    }
}

#[test]
fn plain_and_accelerated_em_agree() {
    let models: Vec<ItemModel> = (0..5)
        .map(|i| ItemModel::TwoPl {
            slope: 0.8 + 0.3 * i as f64,
            intercept: 0.5 - 0.3 * i as f64,
        })
        .collect();
    let sim = simulate(
        &models,
        &Simulation {
            persons: 500,
            mean: 0.0,
            sd: 1.0,
            missing: 0.0,
            seed: 11,
        },
    )
    .unwrap();
    let fast = calibrate(&sim.responses, &CalibrationSettings::default()).unwrap();
    let slow = calibrate(
        &sim.responses,
        &CalibrationSettings {
            acceleration: Acceleration::None,
            max_iterations: 5000,
            tolerance: Tolerance {
                log_likelihood: 1e-13,
                parameters: 1e-8,
            },
            ..Default::default()
        },
    )
    .unwrap();
    let squarem = calibrate(
        &sim.responses,
        &CalibrationSettings {
            acceleration: Acceleration::Squarem,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(fast.converged() && slow.converged() && squarem.converged());
    for accelerated in [&fast, &squarem] {
        assert!((accelerated.log_likelihood - slow.log_likelihood).abs() < 1e-4);
        assert!(accelerated.e_steps < slow.e_steps);
        for (a, b) in accelerated.items.iter().zip(&slow.items) {
            let (
                ItemModel::TwoPl {
                    slope: a1,
                    intercept: d1,
                },
                ItemModel::TwoPl {
                    slope: a2,
                    intercept: d2,
                },
            ) = (a, b)
            else {
                panic!("2PL items expected");
            };
            assert!(
                (a1 - a2).abs() < 1e-4 && (d1 - d2).abs() < 1e-4,
                "{a:?} vs {b:?}"
            );
        }
    }
    // Anderson (the default) needs fewer E-steps than SQUAREM here.
    assert!(
        fast.e_steps < squarem.e_steps,
        "{} vs {}",
        fast.e_steps,
        squarem.e_steps
    );
}

#[cfg(feature = "parallel")]
#[test]
fn results_do_not_depend_on_thread_count() {
    let models: Vec<ItemModel> = (0..8)
        .map(|i| ItemModel::TwoPl {
            slope: 0.8 + 0.15 * i as f64,
            intercept: 0.6 - 0.2 * i as f64,
        })
        .collect();
    // More distinct patterns than one chunk, so several chunks are summed.
    let sim = simulate(
        &models,
        &Simulation {
            persons: 3000,
            mean: 0.0,
            sd: 1.0,
            missing: 0.2,
            seed: 5,
        },
    )
    .unwrap();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| calibrate(&sim.responses, &CalibrationSettings::default()).unwrap())
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one, two);
}

#[test]
fn merged_chunks_equal_the_whole() {
    let models: Vec<ItemModel> = (0..4)
        .map(|i| ItemModel::Graded {
            slope: 1.0 + 0.2 * i as f64,
            intercepts: vec![1.0, -0.5],
        })
        .collect();
    let sim = simulate(
        &models,
        &Simulation {
            persons: 700,
            mean: 0.0,
            sd: 1.0,
            missing: 0.1,
            seed: 8,
        },
    )
    .unwrap();
    let items: Vec<_> = models
        .iter()
        .map(|m| m.response_function("t").unwrap())
        .collect();
    let quadrature = Quadrature::new(&Grid::default(), &Prior::default()).unwrap();
    let whole = ExpectedCounts::compute(&items, &quadrature, &sim.responses).unwrap();
    let rows = |range: std::ops::Range<usize>| {
        let data: Vec<u8> = range
            .clone()
            .flat_map(|p| sim.responses.row(p).to_vec())
            .collect();
        crate::response::ResponseMatrix::new(range.len(), 4, data).unwrap()
    };
    let mut merged = ExpectedCounts::compute(&items, &quadrature, &rows(0..250)).unwrap();
    merged
        .merge(&ExpectedCounts::compute(&items, &quadrature, &rows(250..700)).unwrap())
        .unwrap();
    assert!((merged.log_likelihood() - whole.log_likelihood()).abs() < 1e-9);
    assert_eq!(merged.persons(), 700.0);
    for i in 0..4 {
        for k in 0..3 {
            for (a, b) in merged
                .item_category(i, k)
                .unwrap()
                .iter()
                .zip(whole.item_category(i, k).unwrap())
            {
                assert!((a - b).abs() < 1e-9);
            }
        }
    }
    // Counts of other items or grids do not merge.
    let other = ExpectedCounts::zeros(&[2, 2], 61);
    assert!(merged.merge(&other).is_err());
    assert!((merged + other).is_err());
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 12, ..Default::default() })]

    /// Plain EM never lowers the log-likelihood, whatever the items and data.
    #[test]
    fn em_log_likelihood_never_falls(
        seed in 0u64..1_000_000,
        slopes in proptest::collection::vec(0.4f64..2.5, 4..7),
        graded in proptest::bool::ANY,
    ) {
        let models: Vec<ItemModel> = slopes
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let d = -1.2 + 0.5 * i as f64;
                if graded {
                    ItemModel::Graded { slope: a, intercepts: vec![d + 1.0, d - 1.0] }
                } else {
                    ItemModel::TwoPl { slope: a, intercept: d }
                }
            })
            .collect();
        let sim = simulate(
            &models,
            &Simulation { persons: 200, mean: 0.0, sd: 1.0, missing: 0.1, seed },
        )
        .unwrap();
        let settings = CalibrationSettings {
            model: if graded { ModelKind::Graded } else { ModelKind::TwoPl },
            acceleration: Acceleration::None,
            max_iterations: 40,
            ..Default::default()
        };
        // Small samples can leave a category empty: that is an error, not a fit.
        if let Ok(fit) = calibrate(&sim.responses, &settings) {
            monotone(&fit.history);
        }
    }
}

#[test]
fn settings_read_from_json() {
    let text = r#"{
        "model": "grm",
        "items": [
            {"estimate": "3pl"},
            {"start": {"type": "2pl", "slope": 1.2, "intercept": 0.3}},
            {"fixed": {"type": "grm", "slope": 1.0, "intercepts": [1.0, -1.0]}}
        ],
        "priors": {"guessing": {"alpha": 5.0, "beta": 17.0}},
        "tolerance": {"log_likelihood": 1e-10},
        "acceleration": "none"
    }"#;
    let settings: CalibrationSettings = serde_json::from_str(text).unwrap();
    assert_eq!(settings.items[0], ItemSpec::Estimate(ModelKind::ThreePl));
    assert!(settings.items[2].is_fixed());
    assert_eq!(settings.tolerance.parameters, 1e-5);
    assert_eq!(settings.grid.points, 61);
    let checked = settings.check(3).unwrap();
    assert!(!checked.estimates_sd());
    let back: CalibrationSettings =
        serde_json::from_str(&serde_json::to_string(&settings).unwrap()).unwrap();
    assert_eq!(back, settings);
    assert!(serde_json::from_str::<CalibrationSettings>(r#"{"modle": "2pl"}"#).is_err());
}

/// The byte forms that travel between Dask workers: exact round trip, and every
/// truncation, extension or absurd size is an error, never a panic or a huge allocation.
#[test]
fn byte_forms_round_trip_exactly_and_reject_damage() {
    let models = vec![
        ItemModel::TwoPl {
            slope: 1.1,
            intercept: 0.3,
        },
        ItemModel::Graded {
            slope: 0.9,
            intercepts: vec![1.0, -0.5],
        },
    ];
    let (counts, _) = counts_for(&models, 200, 5);
    let bytes = counts.to_bytes();
    assert_eq!(ExpectedCounts::from_bytes(&bytes).unwrap(), counts);
    for cut in 0..bytes.len() {
        assert!(ExpectedCounts::from_bytes(&bytes[..cut]).is_err(), "{cut}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(ExpectedCounts::from_bytes(&longer).is_err());
    // A header claiming 2^40 nodes.
    let mut huge = bytes.clone();
    huge[5..13].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(ExpectedCounts::from_bytes(&huge).is_err());

    let data = simulate(
        &models,
        &Simulation {
            persons: 50,
            mean: 0.0,
            sd: 1.0,
            missing: 0.1,
            seed: 2,
        },
    )
    .unwrap();
    let summary = DataSummary::from_responses(&data.responses);
    let bytes = summary.to_bytes();
    assert_eq!(DataSummary::from_bytes(&bytes).unwrap(), summary);
    for cut in 0..bytes.len() {
        assert!(DataSummary::from_bytes(&bytes[..cut]).is_err(), "{cut}");
    }
    assert!(DataSummary::from_bytes(&counts.to_bytes()).is_err());
}

/// The E-step's shortcuts (category 0 by difference, runs of four 0/1 items gathered by
/// answer code, the posterior window) against the definition: every person's posterior
/// weights added to the row of the category they answered, with libm's `exp`.
#[test]
fn expected_counts_equal_the_direct_sums() {
    // Items 0–3 and 8–11 are 0/1 runs; item 5 is mostly missing (so not by difference,
    // which breaks its run); item 13 is graded (breaks the last run); 16–17 are a tail.
    let models: Vec<ItemModel> = (0..18)
        .map(|i| {
            let (a, d) = (0.6 + 0.1 * i as f64, -1.5 + 0.2 * i as f64);
            if i == 13 {
                ItemModel::Graded {
                    slope: a,
                    intercepts: vec![1.0, -0.8],
                }
            } else {
                ItemModel::TwoPl {
                    slope: a,
                    intercept: d,
                }
            }
        })
        .collect();
    let sim = simulate(
        &models,
        &Simulation {
            persons: 1500,
            mean: 0.2,
            sd: 1.1,
            missing: 0.05,
            seed: 31,
        },
    )
    .unwrap();
    let (persons, n_items) = (sim.responses.persons(), models.len());
    let mut data: Vec<u8> = (0..persons)
        .flat_map(|p| sim.responses.row(p).to_vec())
        .collect();
    for p in 0..persons {
        if p % 5 != 0 {
            data[p * n_items + 5] = crate::response::MISSING;
        }
    }
    let responses = crate::response::ResponseMatrix::new(persons, n_items, data).unwrap();
    let items: Vec<_> = models
        .iter()
        .map(|m| m.response_function("t").unwrap())
        .collect();
    let quadrature = Quadrature::new(&Grid::default(), &Prior::default()).unwrap();
    let counts = ExpectedCounts::compute(&items, &quadrature, &responses).unwrap();

    let nodes = quadrature.nodes();
    let mut direct: Vec<Vec<Vec<f64>>> = items
        .iter()
        .map(|f| vec![vec![0.0; nodes.len()]; f.categories()])
        .collect();
    let mut log_likelihood = 0.0;
    let mut lp = [0.0; crate::model::MAX_CATEGORIES];
    for p in 0..persons {
        let mut l: Vec<f64> = quadrature.log_weights().to_vec();
        for (i, &x) in responses.row(p).iter().enumerate() {
            if x == crate::response::MISSING {
                continue;
            }
            for (q, &theta) in nodes.iter().enumerate() {
                items[i].log_probabilities(theta, &mut lp);
                l[q] += lp[usize::from(x)];
            }
        }
        let max = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = l.iter().map(|v| (v - max).exp()).collect();
        let total: f64 = w.iter().sum();
        log_likelihood += max + total.ln();
        for (i, &x) in responses.row(p).iter().enumerate() {
            if x != crate::response::MISSING {
                for (c, v) in direct[i][usize::from(x)].iter_mut().zip(&w) {
                    *c += v / total;
                }
            }
        }
    }
    assert!((counts.log_likelihood() - log_likelihood).abs() < 1e-8 * log_likelihood.abs());
    for (i, rows) in direct.iter().enumerate() {
        for (k, row) in rows.iter().enumerate() {
            for (q, (got, want)) in counts
                .item_category(i, k)
                .unwrap()
                .iter()
                .zip(row)
                .enumerate()
            {
                assert!(
                    (got - want).abs() < 1e-10 * (1.0 + want),
                    "item {i}, category {k}, node {q}: {got} vs {want}"
                );
            }
        }
    }
}

/// Anderson (the default) and SQUAREM reach the same optimum on the harder models:
/// GRM with five categories, 3PL with a guessing prior, GPCM, Rasch with the SD
/// estimated, each with missing answers.
#[test]
fn anderson_and_squarem_reach_the_same_optimum() {
    let graded = |i: usize| ItemModel::Graded {
        slope: 0.8 + 0.1 * i as f64,
        intercepts: vec![2.0, 0.7, -0.4, -1.8],
    };
    let three_pl = |i: usize| ItemModel::ThreePl {
        slope: 1.0 + 0.08 * i as f64,
        intercept: 1.2 - 0.2 * i as f64,
        guessing: 0.2,
    };
    let gpcm = |i: usize| ItemModel::Gpcm {
        slope: 0.9 + 0.05 * i as f64,
        intercepts: vec![0.8 - 0.1 * i as f64, -0.5],
    };
    let rasch = |i: usize| ItemModel::TwoPl {
        slope: 1.0,
        intercept: 1.5 - 0.25 * i as f64,
    };
    let cases: Vec<(ModelKind, Vec<ItemModel>, ParameterPriors)> = vec![
        (
            ModelKind::Graded,
            (0..12).map(graded).collect(),
            ParameterPriors::default(),
        ),
        (
            ModelKind::ThreePl,
            (0..15).map(three_pl).collect(),
            ParameterPriors {
                guessing: Some(BetaPrior {
                    alpha: 5.0,
                    beta: 17.0,
                }),
                ..Default::default()
            },
        ),
        (
            ModelKind::Gpcm,
            (0..10).map(gpcm).collect(),
            ParameterPriors::default(),
        ),
        (
            ModelKind::Rasch,
            (0..12).map(rasch).collect(),
            ParameterPriors::default(),
        ),
    ];
    for (kind, models, priors) in cases {
        let sim = simulate(
            &models,
            &Simulation {
                persons: 1500,
                mean: 0.0,
                sd: 1.2,
                missing: 0.05,
                seed: 17,
            },
        )
        .unwrap();
        let fit = |acceleration| {
            calibrate(
                &sim.responses,
                &CalibrationSettings {
                    model: kind,
                    priors,
                    acceleration,
                    ..Default::default()
                },
            )
            .unwrap()
        };
        let (anderson, squarem) = (fit(Acceleration::Anderson), fit(Acceleration::Squarem));
        assert!(anderson.converged() && squarem.converged(), "{kind:?}");
        monotone(&anderson.history);
        let objective = |f: &Calibration| f.log_likelihood + f.log_prior;
        assert!(
            (objective(&anderson) - objective(&squarem)).abs() < 1e-3,
            "{kind:?}: {} vs {}",
            objective(&anderson),
            objective(&squarem)
        );
        eprintln!(
            "{kind:?}: E-steps Anderson {}, SQUAREM {}",
            anderson.e_steps, squarem.e_steps
        );
    }
}
