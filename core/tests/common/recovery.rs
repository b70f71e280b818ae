//! The parameter-recovery design shared by `core/examples/recovery.rs` (which writes
//! `docs/recovery.md`) and the recovery test of `core/tests/calibrate_reference.rs`:
//! 20 items per model, generating parameters spread deterministically, θ ~ N(0, 1),
//! one seeded data set per (model, N, replication).

use bagdar::Result;
use bagdar::calibrate::{
    BetaPrior, Calibration, CalibrationSettings, ParameterPriors, Simulation, calibrate, simulate,
};
use bagdar::model::{ItemModel, ModelKind};

/// Items per model.
pub const ITEMS: usize = 20;

/// The models of the table, with the label used in it.
pub const MODELS: [(ModelKind, &str); 4] = [
    (ModelKind::TwoPl, "2PL"),
    (ModelKind::ThreePl, "3PL, Beta(5, 17) prior on g"),
    (ModelKind::Graded, "GRM, 5 categories"),
    (ModelKind::Gpcm, "GPCM, 5 categories"),
];

/// Deterministic spread in [0, 1) (golden-ratio sequence).
fn spread(i: usize, offset: f64) -> f64 {
    (i as f64 * 0.618_033_988_75 + offset).fract()
}

/// The generating items of a model.
pub fn truth(model: ModelKind) -> Vec<ItemModel> {
    (0..ITEMS)
        .map(|i| match model {
            ModelKind::TwoPl => ItemModel::TwoPl {
                slope: 0.6 + 1.4 * spread(i, 0.0),
                intercept: -2.0 + 4.0 * spread(i, 0.37),
            },
            ModelKind::ThreePl => ItemModel::ThreePl {
                slope: 0.9 + 1.1 * spread(i, 0.3),
                intercept: -1.5 + 3.0 * spread(i, 0.65),
                guessing: 0.12 + 0.12 * spread(i, 0.9),
            },
            ModelKind::Graded => {
                let a = 0.8 + 1.4 * spread(i, 0.2);
                let shift = -0.8 + 1.6 * spread(i, 0.55);
                ItemModel::Graded {
                    slope: a,
                    intercepts: [-1.6, -0.5, 0.4, 1.4]
                        .iter()
                        .map(|b| -a * (b + shift))
                        .collect(),
                }
            }
            ModelKind::Gpcm => {
                let a = 0.7 + 1.0 * spread(i, 0.1);
                let shift = -0.6 + 1.2 * spread(i, 0.8);
                let mut d = 0.0;
                ItemModel::Gpcm {
                    slope: a,
                    intercepts: [-1.5, -0.5, 0.5, 1.5]
                        .iter()
                        .map(|b| {
                            d -= a * (b + shift);
                            d
                        })
                        .collect(),
                }
            }
            other => panic!("no recovery design for {other:?}"),
        })
        .collect()
}

/// Calibration settings of a model: the defaults, plus Beta(5, 17) on g for the 3PL.
pub fn settings(model: ModelKind) -> CalibrationSettings {
    let priors = if model == ModelKind::ThreePl {
        ParameterPriors {
            guessing: Some(BetaPrior {
                alpha: 5.0,
                beta: 17.0,
            }),
            ..Default::default()
        }
    } else {
        ParameterPriors::default()
    };
    CalibrationSettings {
        model,
        priors,
        ..Default::default()
    }
}

/// Seed of one data set: distinct for every model, N and replication (< 100).
pub fn seed(model: ModelKind, persons: usize, replication: usize) -> u64 {
    let m = MODELS.iter().position(|(k, _)| *k == model).unwrap() as u64;
    20_261_123 + 100_000_000 * m + 100 * persons as u64 + replication as u64
}

/// Simulates one data set and calibrates it.
pub fn fit(model: ModelKind, persons: usize, replication: usize) -> Result<Calibration> {
    let data = simulate(
        &truth(model),
        &Simulation {
            persons,
            mean: 0.0,
            sd: 1.0,
            missing: 0.0,
            seed: seed(model, persons, replication),
        },
    )?;
    calibrate(&data.responses, &settings(model))
}

/// The parameter types of the table: the stored slope-intercept parameters, the
/// thresholds derived from them (b = −d/a for 2PL/3PL, b_k = −d_k/a for GRM, step
/// difficulties b_k = −(d_k − d_{k−1})/a for GPCM) and the lower asymptote.
pub const KINDS: [&str; 4] = ["slope", "intercept", "threshold", "guessing"];

/// Thresholds of an item from its slope and intercepts (see [`KINDS`]).
fn thresholds(m: &ItemModel) -> Vec<f64> {
    let a = m.slope();
    match m {
        ItemModel::TwoPl { intercept, .. } | ItemModel::ThreePl { intercept, .. } => {
            vec![-intercept / a]
        }
        ItemModel::Graded { intercepts, .. } => intercepts.iter().map(|d| -d / a).collect(),
        ItemModel::Gpcm { intercepts, .. } => {
            let mut previous = 0.0;
            intercepts
                .iter()
                .map(|d| {
                    let b = -(d - previous) / a;
                    previous = *d;
                    b
                })
                .collect()
        }
        other => panic!("unexpected model {other:?}"),
    }
}

/// (parameter type, true value, estimate) for every parameter of a fit.
pub fn pairs(truth: &[ItemModel], fit: &[ItemModel]) -> Vec<(&'static str, f64, f64)> {
    let mut out = Vec::new();
    for (t, f) in truth.iter().zip(fit) {
        out.push(("slope", t.slope(), f.slope()));
        match (t, f) {
            (ItemModel::TwoPl { intercept: ti, .. }, ItemModel::TwoPl { intercept: fi, .. }) => {
                out.push(("intercept", *ti, *fi))
            }
            (
                ItemModel::ThreePl {
                    intercept: ti,
                    guessing: tg,
                    ..
                },
                ItemModel::ThreePl {
                    intercept: fi,
                    guessing: fg,
                    ..
                },
            ) => {
                out.push(("intercept", *ti, *fi));
                out.push(("guessing", *tg, *fg));
            }
            (
                ItemModel::Graded { intercepts: ti, .. },
                ItemModel::Graded { intercepts: fi, .. },
            )
            | (ItemModel::Gpcm { intercepts: ti, .. }, ItemModel::Gpcm { intercepts: fi, .. }) => {
                out.extend(ti.iter().zip(fi).map(|(t, f)| ("intercept", *t, *f)));
            }
            other => panic!("unexpected pair {other:?}"),
        }
        out.extend(
            thresholds(t)
                .into_iter()
                .zip(thresholds(f))
                .map(|(t, f)| ("threshold", t, f)),
        );
    }
    out
}

/// Bias (mean of estimate − truth) and RMSE of one parameter type over any number of
/// fits; `None` when the type does not occur.
pub fn bias_rmse(pairs: &[(&str, f64, f64)], kind: &str) -> Option<(f64, f64, usize)> {
    let errors: Vec<f64> = pairs
        .iter()
        .filter(|(k, ..)| *k == kind)
        .map(|(_, t, f)| f - t)
        .collect();
    if errors.is_empty() {
        return None;
    }
    let n = errors.len() as f64;
    let bias = errors.iter().sum::<f64>() / n;
    let rmse = (errors.iter().map(|e| e * e).sum::<f64>() / n).sqrt();
    Some((bias, rmse, errors.len()))
}
